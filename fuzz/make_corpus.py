#!/usr/bin/env python3
"""Regenerates the committed seed corpora under fuzz/corpus/<target>/.

Run from anywhere: `python3 fuzz/make_corpus.py`. Standard library only; the output is
deterministic, so re-running it on unchanged fixtures leaves `git status` clean.

Sources:
* tests/fixtures/webauthn/*.json (W3C WebAuthn L3 §16 test vectors, hex fields decoded to raw
  bytes): authenticator data (the `authData` inside each attestation object and each
  authentication `authenticatorData`), attestation objects, COSE credential public keys
  (extracted from the attested credential data of each `authData`), clientDataJSON;
* tests/fixtures/authjs/vectors.json: Auth.js session tokens;
* a few hand-written seeds per target (named `hand-*`) that reach checks the fixtures do not,
  e.g. a clientDataJSON with the fuzz target's challenge and origin.

Each target's directory is emptied of files this script wrote before (`seed-*`, `hand-*`)
and refilled, so renamed or removed fixtures do not leave stale seeds behind.
"""

import base64
import hashlib
import json
import pathlib
import struct

FUZZ = pathlib.Path(__file__).resolve().parent
ROOT = FUZZ.parent
WEBAUTHN = ROOT / "tests" / "fixtures" / "webauthn"
AUTHJS = ROOT / "tests" / "fixtures" / "authjs" / "vectors.json"
CORPUS = FUZZ / "corpus"

# The key the session_jwe target decrypts with.
FUZZ_JWE_KEY = bytes([7]) * 64


# --- a minimal CBOR (RFC 8949) reader: just enough to walk the fixtures --------------------


def cbor_head(buf, pos):
    """Returns (major type, argument, position after the head)."""
    initial = buf[pos]
    major, info = initial >> 5, initial & 0x1F
    pos += 1
    if info < 24:
        return major, info, pos
    width = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if width is None:
        raise ValueError(f"unsupported CBOR additional info {info} at {pos - 1}")
    return major, int.from_bytes(buf[pos:pos + width], "big"), pos + width


def cbor_item(buf, pos):
    """Decodes one definite-length item at `pos`; returns (value, position after it)."""
    major, arg, pos = cbor_head(buf, pos)
    if major == 0:
        return arg, pos
    if major == 1:
        return -1 - arg, pos
    if major == 2:
        return bytes(buf[pos:pos + arg]), pos + arg
    if major == 3:
        return bytes(buf[pos:pos + arg]).decode("utf-8"), pos + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, pos = cbor_item(buf, pos)
            items.append(item)
        return items, pos
    if major == 5:
        entries = {}
        for _ in range(arg):
            key, pos = cbor_item(buf, pos)
            value, pos = cbor_item(buf, pos)
            entries[key if not isinstance(key, list) else tuple(key)] = value
        return entries, pos
    if major == 6:
        return cbor_item(buf, pos)
    return arg, pos  # simple values (false/true/null) and floats: not needed here


def cbor_decode(buf):
    value, end = cbor_item(buf, 0)
    if end != len(buf):
        raise ValueError(f"{len(buf) - end} trailing bytes")
    return value


def credential_public_key(auth_data):
    """The raw credentialPublicKey bytes of §6.5.1 attested credential data, if AT is set."""
    flags = auth_data[32]
    if not flags & 0x40:
        return None
    pos = 37 + 16
    (id_len,) = struct.unpack(">H", auth_data[pos:pos + 2])
    start = pos + 2 + id_len
    _, end = cbor_item(auth_data, start)
    return bytes(auth_data[start:end])


# --- writing -------------------------------------------------------------------------------


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Seeds:
    def __init__(self):
        self.by_target = {}

    def add(self, target, name, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        files = self.by_target.setdefault(target, {})
        if data in files.values():
            return  # identical bytes already seeded under another name
        if name in files:
            raise ValueError(f"{target}/{name} written twice")
        files[name] = data

    def write(self):
        for target, files in sorted(self.by_target.items()):
            directory = CORPUS / target
            directory.mkdir(parents=True, exist_ok=True)
            for old in directory.iterdir():
                if old.is_file() and old.name.startswith(("seed-", "hand-")):
                    old.unlink()
            for name, data in sorted(files.items()):
                (directory / name).write_bytes(data)
            total = sum(len(d) for d in files.values())
            print(f"{target}: {len(files)} files, {total} bytes")


def webauthn_seeds(seeds):
    for path in sorted(WEBAUTHN.glob("*.json")):
        vector = json.loads(path.read_text())
        stem = path.stem
        for ceremony in ("registration", "authentication"):
            fields = vector.get(ceremony)
            if not fields:
                continue
            tag = f"seed-{stem}.{ceremony}"
            if "clientDataJSON" in fields:
                seeds.add("webauthn_client_data", f"{tag}.clientDataJSON",
                          bytes.fromhex(fields["clientDataJSON"]))
            if "authenticatorData" in fields:
                seeds.add("webauthn_authdata", f"{tag}.authenticatorData",
                          bytes.fromhex(fields["authenticatorData"]))
            if "attestationObject" in fields:
                attestation = bytes.fromhex(fields["attestationObject"])
                seeds.add("webauthn_attestation_object", f"{tag}.attestationObject", attestation)
                auth_data = cbor_decode(attestation)["authData"]
                seeds.add("webauthn_authdata", f"{tag}.authData", auth_data)
                key = credential_public_key(auth_data)
                if key is not None:
                    seeds.add("webauthn_cose", f"{tag}.credentialPublicKey", key)


def client_data_hand_seeds(seeds):
    challenge = b64u(b"challenge")
    base = {"type": "webauthn.get", "challenge": challenge, "origin": "https://example.com"}
    seeds.add("webauthn_client_data", "hand-accepted.json", json.dumps(base, separators=(",", ":")))
    seeds.add("webauthn_client_data", "hand-crossOrigin.json",
              json.dumps({**base, "crossOrigin": True}, separators=(",", ":")))
    seeds.add("webauthn_client_data", "hand-topOrigin.json",
              json.dumps({**base, "topOrigin": "https://evil.example"}, separators=(",", ":")))
    seeds.add("webauthn_client_data", "hand-create.json",
              json.dumps({**base, "type": "webauthn.create"}, separators=(",", ":")))


def jwk_thumbprint(key):
    jwk = '{"k":"%s","kty":"oct"}' % b64u(key)
    return b64u(hashlib.sha512(jwk.encode("ascii")).digest())


def jwe_seeds(seeds):
    data = json.loads(AUTHJS.read_text())
    tokens = [(v["name"], v["token"]) for v in data["vectors"]]
    tokens.append((data["a256gcm"]["name"], data["a256gcm"]["token"]))
    tokens.append(("rustSealed", data["rustSealed"]["token"]))
    for name, token in tokens:
        seeds.add("session_jwe", f"seed-{name}.jwe", token)
    # The fixture tokens are sealed under another key, so their `kid` stops them early. The
    # same tokens with the header rewritten (kid of the fuzz key, or no kid) reach the part
    # length checks and the tag comparison.
    name, token = tokens[0]
    _, rest = token.split(".", 1)
    with_kid = {"alg": "dir", "enc": "A256CBC-HS512", "kid": jwk_thumbprint(FUZZ_JWE_KEY)}
    without_kid = {"alg": "dir", "enc": "A256CBC-HS512"}
    for label, header in (("fuzzkey-kid", with_kid), ("no-kid", without_kid)):
        protected = b64u(json.dumps(header, separators=(",", ":")).encode("ascii"))
        seeds.add("session_jwe", f"hand-{name}.{label}.jwe", f"{protected}.{rest}")


def audit_seeds(seeds):
    def cursor(seq):
        return b64u(f"v1.{seq}".encode("ascii"))

    seeds.add("audit_cursor_and_query", "hand-cursor", cursor(12345))
    seeds.add("audit_cursor_and_query", "hand-cursor-max", cursor(2**63 - 1))
    seeds.add("audit_cursor_and_query", "hand-query-full",
              "userId=usr_01HZX3Q9M2&action=USER_LOGIN,STEPUP_*&resourceType=session"
              "&resourceId=ses_5b1e0d&from=2026-01-01&to=2026-12-31T23:59:59.999Z"
              f"&q=50%_off\\&limit=200&cursor={cursor(99)}")
    seeds.add("audit_cursor_and_query", "hand-query-times",
              "from=2026-03-01T10:00:00+02:00&to=2026-03-01T08:00:00.5-00:30&limit=1")
    seeds.add("audit_cursor_and_query", "hand-query-duplicate", "limit=5&limit=6&action=A*")


def audit_export_seeds(seeds):
    """Exports as the worker writes them (rows hashed with the documented encoding; the
    signature is a placeholder, the target's signature check always passes): NDJSON newest
    first with its checkpoint line, the same filtered, CSV with formula-neutralised cells, a
    checkpoint and a JWKS."""
    def text(s):
        b = s.encode()
        return struct.pack(">Q", len(b)) + b

    def opt(s):
        return b"\0" if s is None else b"\1" + text(s)

    rows, prev = [], "0" * 64
    for seq, (data, rid) in enumerate([('{"method":"passkey"}', "ses_1"), ("=1+1", "-42"), ("'@x, \"y\"\r\nz", None)], 1):
        at = f"2026-09-21T14:13:2{seq}.000Z"
        ms = (1_790_000_000 + seq) * 1000
        enc = (text("axissynapse-edge/audit-entry/v1") + text("ws_1") + struct.pack(">q", seq) + text(f"evt_{seq}")
               + struct.pack(">q", ms) + text("USER_LOGIN") + text("user") + opt("usr_1") + opt("session") + opt(rid)
               + opt("203.0.113.7") + text(data) + text(prev))
        h = hashlib.sha256(enc).hexdigest()
        rows.append((seq, at, data, rid, prev, h))
        prev = h

    def checkpoint(filters):
        cp = {"type": "axissynapse.audit.checkpoint.v1", "workspaceId": "ws_1", "seq": 3, "hash": prev,
              "time": "2026-09-21T14:14:00.000Z", "kid": "k1", "sig": b64u(bytes(64))}
        if filters is not None:
            cp["export"] = {"filters": filters, "order": "newest-first"}
        return json.dumps(cp, separators=(",", ":"))

    def ndjson(keep):
        lines = []
        for seq, at, data, rid, p, h in reversed(rows):
            if seq in keep:
                try:
                    value = json.loads(data)
                except ValueError:
                    value = data
                lines.append(json.dumps({"id": f"evt_{seq}", "seq": seq, "occurredAt": at, "action": "USER_LOGIN",
                                         "actor": {"type": "user", "id": "usr_1"},
                                         "resource": {"type": "session", "id": rid}, "ip": "203.0.113.7",
                                         "data": value, "prevHash": p, "hash": h}, separators=(",", ":")))
        return lines

    def cell(s):
        if s[:1] in ("=", "+", "-", "@", "\t", "\r"):
            s = "'" + s
            return '"' + s.replace('"', '""') + '"'
        return '"' + s.replace('"', '""') + '"' if any(c in s for c in ',"\r\n') else s

    header = "id,seq,occurredAt,action,actorType,actorId,resourceType,resourceId,ip,data,prevHash,hash\r\n"
    csv_rows = "".join(",".join([f"evt_{seq}", str(seq), at, "USER_LOGIN", "user", "usr_1", "session", cell(rid or ""),
                                 "203.0.113.7", cell(data), p, h]) + "\r\n" for seq, at, data, rid, p, h in reversed(rows))
    seeds.add("audit_export", "hand-ndjson-complete", "\n".join(ndjson({1, 2, 3}) + [checkpoint({})]) + "\n")
    seeds.add("audit_export", "hand-ndjson-filtered",
              "\n".join(ndjson({1, 3}) + [checkpoint({"action": "USER_*"})]) + "\n")
    seeds.add("audit_export", "hand-ndjson-legacy", "\n".join(ndjson({2, 3})[::-1] + [checkpoint(None)]) + "\n")
    seeds.add("audit_export", "hand-csv", header + csv_rows)
    seeds.add("audit_export", "hand-checkpoint", checkpoint({"cursor": "MTIz", "to": "2026-09-22T00:00:00.000Z"}))
    seeds.add("audit_export", "hand-jwks", json.dumps({"keys": [
        {"kty": "OKP", "crv": "Ed25519", "kid": "k1", "x": b64u(bytes(32)), "notAfter": "2026-09-22T00:00:00.000Z"},
        {"kty": "OKP", "crv": "Ed25519", "kid": "k2", "x": b64u(bytes(range(32))), "notBefore": "2026-09-22T00:00:00.000Z"}]}))


def totp_seeds(seeds):
    # RFC 6238 Appendix B: the SHA-1 secret "12345678901234567890" and T = 59 → 94287082
    # (8 digits); the 6-digit code at that step is its last six digits.
    secret = base64.b32encode(b"12345678901234567890").decode("ascii").rstrip("=")
    seeds.add("totp_base32", "hand-rfc6238-t59", f"{secret}\n287082\n59\n1\n")
    seeds.add("totp_base32", "hand-rfc6238-replayed", f"{secret}\n287 082\n59\n1\n1")
    seeds.add("totp_base32", "hand-lowercase-spaced",
              " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)).lower()
              + "\n000000\n18446744073709551615\n18446744073709551615\n")
    seeds.add("totp_base32", "hand-bad-length", "ABC\n123456\n0\n10\n")


def scim_paging_seeds(seeds):
    # `startIndex\ncount` (also read as a query string and as JSON by the target).
    for name, text in [
        ("defaults", "1\n100"),
        ("huge-start", "9223372036854775807\n1"),
        ("float-edge", f"{2**63 - 511}\n{2**63}"),
        ("past-u64", f"{2**64}\n-{2**64}"),
        ("safe-edge", f"{2**53 - 1}\n{2**53}"),
        ("signs-spaces", " +3 \n -0"),
        ("not-integers", "1.0\n1e3"),
        ("query", "filter=userName%20eq%20%22a%22&startIndex=9223372036854775807&count=99999999999999999999"),
        ("search", json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                               "startIndex": 2**63 - 1, "count": 1e30}, separators=(",", ":"))),
    ]:
        seeds.add("scim_paging", f"hand-{name}", text)


def main():
    seeds = Seeds()
    webauthn_seeds(seeds)
    client_data_hand_seeds(seeds)
    jwe_seeds(seeds)
    audit_seeds(seeds)
    audit_export_seeds(seeds)
    totp_seeds(seeds)
    scim_paging_seeds(seeds)
    seeds.write()


if __name__ == "__main__":
    main()
