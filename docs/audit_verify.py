#!/usr/bin/env python3
"""Offline verifier of an AxisSynapse NDJSON audit export (issue 20); needs only `cryptography`.

Usage: audit_verify.py EXPORT.ndjson --keys AUDIT-KEYS.json [--checkpoint EARLIER.json]
Exit 0 verified, 1 not verified ("FAIL seq N: what"), 2 usage or unreadable input. The same
checks, in the same order, as the Rust `audit-verify` (src/audit/verify_export.rs); encodings
are documented in src/audit/ledger.rs (rows) and src/audit/checkpoint.rs (checkpoints).
Limitation: `data` is re-serialised as serde_json does (compact, keys sorted); floats written
with an exponent (1e20) are spelled differently by Python and fail as altered rows.
"""
import argparse, base64, calendar, datetime, hashlib, json, re, struct, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
ROW_DOMAIN = "axissynapse-edge/audit-entry/v1"
CP_DOMAIN = "axissynapse-edge/audit-checkpoint/v1"
CP_TYPE = "axissynapse.audit.checkpoint.v1"
TIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$")

def text(s): b = s.encode(); return struct.pack(">Q", len(b)) + b
def integer(n): return struct.pack(">q", n)
def opt(s): return b"\0" if s is None else b"\1" + text(s)
def b64(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def ms(s):
    m = TIME_RE.match(s or "")
    if not m: raise ValueError("time %r" % s)
    y, mo, d, h, mi, sec, milli = map(int, m.groups())
    t = calendar.timegm(datetime.datetime(y, mo, d, h, mi, sec).timetuple()) * 1000 + milli
    return t

def row_hash(ws, r, data):
    a, res = r["actor"], r["resource"] or {}
    enc = (text(ROW_DOMAIN) + text(ws) + integer(r["seq"]) + text(r["id"]) + integer(ms(r["occurredAt"]))
           + text(r["action"]) + text(a["type"]) + opt(a.get("id")) + opt(res.get("type")) + opt(res.get("id"))
           + opt(r.get("ip")) + text(data) + text(r["prevHash"]))
    return hashlib.sha256(enc).hexdigest()

def no_constant(c): raise ValueError(c)

def data_texts(v):
    yield json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    if isinstance(v, str):
        try: json.loads(v, parse_constant=no_constant)  # NaN/Infinity are not JSON to serde_json
        except ValueError: yield v  # the raw-text fallback of ledger::to_json

def check_sig(cp, keys, which):
    kid, t = cp["kid"], ms(cp["time"])
    key = keys.get(kid)
    if key is None: raise Fail("unknown key: %s signed by kid %s, not in the key set" % (which, json.dumps(kid)))
    nb, na = key.get("notBefore"), key.get("notAfter")
    if (nb and t < ms(nb)) or (na and t >= ms(na)):
        raise Fail("key not valid: %s made at %s is outside the validity window of kid %s" % (which, cp["time"], json.dumps(kid)))
    msg = text(CP_DOMAIN) + text(cp["workspaceId"]) + integer(cp["seq"]) + text(cp["hash"]) + integer(t) + text(kid)
    try: Ed25519PublicKey.from_public_bytes(b64(key["x"])).verify(b64(cp["sig"]), msg)
    except (InvalidSignature, ValueError): raise Fail("bad signature: %s does not verify under kid %s" % (which, json.dumps(kid)))

class Fail(Exception): pass

def verify(rows, cp, earlier, keys):
    check_sig(cp, keys, "checkpoint")
    ws = cp["workspaceId"]
    first = max(rows[0]["seq"], 1) if rows else 1
    head_seq, head = first - 1, rows[0]["prevHash"] if rows and rows[0]["seq"] > 1 else GENESIS
    heads = {head_seq: head}
    for i, r in enumerate(rows):
        seq = r["seq"]
        if seq != head_seq + 1:
            want = head_seq + 1
            if seq < want or any(x["seq"] == want for x in rows[i + 1:]):
                raise Fail("seq %d: reordered rows (seq %d came in its place)" % (want, seq))
            raise Fail("seq %d: dropped row (the next row is seq %d)" % (want, seq))
        if r["prevHash"] != head:
            raise Fail("seq %d: broken link (prevHash is not the previous row's hash: an earlier row was altered and resealed)" % seq)
        if not any(row_hash(ws, r, d) == r["hash"] for d in data_texts(r["data"])):
            raise Fail("seq %d: altered field (the row's hash is not the hash of its contents)" % seq)
        head_seq, head = seq, r["hash"]
        heads[seq] = head
    if head_seq < cp["seq"]:
        raise Fail("seq %d: truncated tail (rows stop at seq %d, the checkpoint is at seq %d)" % (max(head_seq, 0) + 1, max(head_seq, 0), cp["seq"]))
    if head_seq > cp["seq"]:
        raise Fail("seq %d: rows after the checkpoint (rows go on to seq %d, the checkpoint is at seq %d)" % (cp["seq"] + 1, head_seq, cp["seq"]))
    if head != cp["hash"]:
        raise Fail("seq %d: head mismatch (the checkpoint signs hash %s, the row has %s)" % (cp["seq"], cp["hash"], head))
    if earlier:
        check_sig(earlier, keys, "earlier checkpoint")
        s, pre = earlier["seq"], "seq %d: the checkpoint does not extend the earlier one: " % earlier["seq"]
        if earlier["workspaceId"] != ws: raise Fail(pre + "they are of different workspaces")
        if s > cp["seq"]: raise Fail(pre + "it is at seq %d, before the earlier one" % cp["seq"])
        if s not in heads: raise Fail(pre + "the rows start at seq %d, after the earlier head; export from seq %d" % (first, s))
        if heads[s] != earlier["hash"]:
            raise Fail(pre + "history rewritten (the earlier checkpoint signs hash %s, the row now has %s)" % (earlier["hash"], heads[s]))
    out = "OK workspace %s rows %d..=%d (%d rows) head %s signed by %s at %s" % (
        ws, first, head_seq, len(rows), head, cp["kid"], cp["time"])
    return out + ("; extends the checkpoint at seq %d" % earlier["seq"] if earlier else "")

def main(argv):
    p = argparse.ArgumentParser(description="Verify an AxisSynapse NDJSON audit export offline.")
    p.add_argument("export"); p.add_argument("--keys", required=True); p.add_argument("--checkpoint")
    a = p.parse_args(argv)
    try:
        keys = {k["kid"]: k for k in json.load(open(a.keys))["keys"] if k.get("kty") == "OKP" and k.get("crv") == "Ed25519"}
        lines = [json.loads(l) for l in open(a.export, encoding="utf-8").read().split("\n") if l.strip()]
        if not lines or lines[-1].get("type") != CP_TYPE: raise ValueError("no checkpoint line at the end")
        earlier = json.load(open(a.checkpoint)) if a.checkpoint else None
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("%s" % e, file=sys.stderr); return 2
    try: print(verify(lines[:-1], lines[-1], earlier, keys)); return 0
    except Fail as e: print("FAIL %s" % e, file=sys.stderr); return 1
    except (ValueError, KeyError, TypeError) as e: print("malformed export: %s" % e, file=sys.stderr); return 2

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
