"""The reference QR codes for tests/browser/qr.test.mjs: reads a JSON list of strings on
stdin, writes for each the symbol Python's `qrcode` package (tests/conformance/requirements.txt)
makes in byte mode at level M, as {"version", "mask", "modules": ["0101…", …]} (1 = dark)."""
import json
import sys

import qrcode
from qrcode.util import MODE_8BIT_BYTE, QRData

out = []
for text in json.load(sys.stdin):
    qr = qrcode.QRCode(version=None, error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(QRData(text.encode("utf-8"), mode=MODE_8BIT_BYTE))
    qr.make(fit=True)
    modules = ["".join("1" if m else "0" for m in row) for row in qr.modules]
    out.append({"version": qr.version, "mask": qr.best_mask_pattern(), "modules": modules})
json.dump(out, sys.stdout)
