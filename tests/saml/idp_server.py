"""The e2e test IdP (idp.py, signxml) behind HTTP, for the portal's browser test of a test
sign-in in a real popup window (tests/browser/portal-saml.test.mjs).

POST /sso/KEY/VARIANT takes the HTTP-POST binding's form (SAMLRequest, as our login page
posts it), has idp.py answer it for --email signed with KEY (KEY.key.pem and KEY.crt.pem in
--keys), and answers a page that POSTs the SAMLResponse to the request's
AssertionConsumerServiceURL, as an IdP does. VARIANT is `ok`, or `wrong-audience` (the
Assertion's Audience names another SP). Prints `listening PORT` once it serves.

--make NAME:DAYS[:AGO] first writes an RSA key and self-signed certificate NAME.key.pem and
NAME.crt.pem into --keys, valid from AGO days ago (default 1) until DAYS days from now (a
certificate that expires soon; a negative DAYS makes one that has expired). Repeatable.

Usage: idp_server.py --keys DIR --email EMAIL [--make NAME:DAYS[:AGO]]... [--port 0]
"""
import argparse
import base64
import datetime
import html
import http.server
import os
import subprocess
import sys
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree

IDP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "idp.py")
VARIANTS = {"ok": [], "wrong-audience": ["--audience", "https://other-sp.test"]}

ap = argparse.ArgumentParser()
ap.add_argument("--keys", required=True)
ap.add_argument("--email", required=True)
ap.add_argument("--make", action="append", default=[])
ap.add_argument("--port", type=int, default=0)
a = ap.parse_args()


def make(name, days, ago=1):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "AxisSynapse test fixtures"),
                         x509.NameAttribute(NameOID.COMMON_NAME, f"{name} signing (expires soon)")])
    now = datetime.datetime.now(datetime.timezone.utc)
    start = now - datetime.timedelta(days=ago)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(now + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))
    with open(os.path.join(a.keys, f"{name}.key.pem"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    with open(os.path.join(a.keys, f"{name}.crt.pem"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


class Idp(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        parts = self.path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "sso" or parts[2] not in VARIANTS or not parts[1].isidentifier():
            return self.answer(404, "no such IdP endpoint")
        length = min(int(self.headers.get("content-length", "0")), 256 * 1024)
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        request = form.get("SAMLRequest", [""])[0]
        parser = etree.XMLParser(resolve_entities=False, no_network=True)
        acs = etree.fromstring(base64.b64decode(request), parser=parser).get("AssertionConsumerServiceURL")
        key = os.path.join(a.keys, parts[1])
        out = subprocess.run([sys.executable, IDP, request, a.email, f"{key}.key.pem", f"{key}.crt.pem",
                              *VARIANTS[parts[2]]], capture_output=True, text=True, check=True)
        page = (f'<!doctype html><title>Test IdP</title><form method="post" action="{html.escape(acs)}">'
                f'<input type="hidden" name="SAMLResponse" value="{html.escape(out.stdout.strip())}">'
                "<button>Continue</button></form><script>document.forms[0].submit()</script>")
        self.answer(200, page, "text/html; charset=utf-8")

    def answer(self, status, body, media="text/plain; charset=utf-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("content-type", media)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


for spec in a.make:
    name, *numbers = spec.split(":")
    make(name, *map(int, numbers))
server = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), Idp)
print(f"listening {server.server_address[1]}", flush=True)
server.serve_forever()
