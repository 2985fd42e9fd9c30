#!/usr/bin/env python3
"""Offline verifier of an AxisSynapse audit export, NDJSON or CSV (issue 20); needs only `cryptography`.

Usage: audit_verify.py EXPORT --keys AUDIT-KEYS.json [--export-checkpoint CP.json] [--checkpoint EARLIER.json]
Exit 0 verified, 1 not ("FAIL seq N: what"), 2 usage or unreadable input: the same checks, order and
messages as the Rust `audit-verify`. Reference: docs/audit-verification.md (limitation: NDJSON floats
written with an exponent, 1e20, are re-serialised differently by Python and fail as altered rows).
"""
import argparse, base64, calendar, collections, csv, datetime, hashlib, io, json, re, struct, sys
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

GENESIS = "0" * 64
ROW_DOMAIN = "axissynapse-edge/audit-entry/v1"
CP_DOMAIN = "axissynapse-edge/audit-checkpoint/v1"
CP_TYPE = "axissynapse.audit.checkpoint.v1"
CAP, LISTED, MAX_AMBIGUOUS = 50000, 20, 3  # export row cap; ranges listed; CSV cells tried both ways
COLUMNS = "id,seq,occurredAt,action,actorType,actorId,resourceType,resourceId,ip,data,prevHash,hash".split(",")
FREE = (0, 3, 4, 5, 6, 7, 8, 9)  # hashed text columns that may be formula-neutralised
TIME_RE = re.compile(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{3})Z$")
Row = collections.namedtuple("Row", "seq prev hash readings")  # reading: id, ms, action, actor/resource/ip, data

def text(s): b = s.encode(); return struct.pack(">Q", len(b)) + b
def integer(n): return struct.pack(">q", n)
def opt(s): return b"\0" if s is None else b"\1" + text(s)
def b64(s): return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

def ms(s):
    m = TIME_RE.match(s or "")
    if not m: raise ValueError("time %r" % s)
    y, mo, d, h, mi, sec, milli = map(int, m.groups())
    return calendar.timegm(datetime.datetime(y, mo, d, h, mi, sec).timetuple()) * 1000 + milli

def row_hash(ws, r, rd):
    i, t, action, atype, aid, rtype, rid, ip, data = rd
    enc = (text(ROW_DOMAIN) + text(ws) + integer(r.seq) + text(i) + integer(t) + text(action) + text(atype)
           + opt(aid) + opt(rtype) + opt(rid) + opt(ip) + text(data) + text(r.prev))
    return hashlib.sha256(enc).hexdigest()

def no_constant(c): raise ValueError(c)

def data_texts(v):
    yield json.dumps(v, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    if isinstance(v, str):
        try: json.loads(v, parse_constant=no_constant)  # NaN/Infinity are not JSON to serde_json
        except ValueError: yield v  # the raw-text fallback of ledger::to_json

def from_json(r):
    a, res = r["actor"], r.get("resource")
    rt, rid = (None, None) if res is None else (res["type"], res.get("id"))
    base = (r["id"], ms(r["occurredAt"]), r["action"], a["type"], a.get("id"), rt, rid, r.get("ip"))
    return Row(r["seq"], r["prevHash"], r["hash"], [base + (d,) for d in data_texts(r["data"])])

def unneutralise(c): return c[1:] if c[:1] == "'" and c[1:2] and c[1] in "=+-@\t\r" else c

def from_csv(cells):
    if len(cells) != 12: raise ValueError("expected 12 fields, found %d" % len(cells))
    if str(int(cells[1])) != cells[1]: raise ValueError("seq: not an integer")
    read = [unneutralise(c) for c in cells]
    amb = [i for i in FREE if read[i] != cells[i]]
    masks = range(1 << len(amb)) if len(amb) <= MAX_AMBIGUOUS else (0, (1 << len(amb)) - 1)
    readings = []
    for m in masks:
        v = [cells[i] if i in amb and m >> amb.index(i) & 1 else read[i] for i in range(12)]
        readings.append((v[0], ms(cells[2]), v[3], v[4], v[5] or None, v[6] or None, v[7] or None, v[8] or None, v[9]))
    return Row(int(cells[1]), read[10], read[11], readings)

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

def check_row(ws, r, head):
    if r.prev != head:
        raise Fail("seq %d: broken link (prevHash is not the previous row's hash: an earlier row was altered and resealed)" % r.seq)
    if not any(row_hash(ws, r, rd) == r.hash for rd in r.readings):
        raise Fail("seq %d: altered field (the row's hash is not the hash of its contents)" % r.seq)
    return r.seq, r.hash

def ranges(gaps):
    if not gaps: return "none"
    shown = ", ".join(str(a) if a == b else "%d..=%d" % (a, b) for a, b in gaps[:LISTED])
    more = ", … (%d more)" % (len(gaps) - LISTED) if len(gaps) > LISTED else ""
    return "%s%s (%d rows in %d ranges)" % (shown, more, sum(b - a + 1 for a, b in gaps), len(gaps))

def verify(rows, cp, filters, earlier, keys):
    check_sig(cp, keys, "checkpoint")
    ws, top, gaps = cp["workspaceId"], cp["seq"], []
    if len(rows) > 1 and rows[0].seq > rows[-1].seq: rows = rows[::-1]  # newest first
    if filters:  # filtered: rows one by one, links only between consecutive seqs
        head_seq, head, start = 0, GENESIS, 1
        for r in rows:
            if r.seq <= head_seq:
                raise Fail("seq %d: reordered or repeated rows (in a filtered export it comes after seq %d)" % (r.seq, head_seq))
            if r.seq > head_seq + 1: gaps.append((head_seq + 1, r.seq - 1)); head, start = r.prev, r.seq
            head_seq, head = check_row(ws, r, head)
    else:  # one chain from the lowest seq
        start = max(min(r.seq for r in rows), 1) if rows else 1
        head_seq, head = start - 1, next((r.prev for r in rows if r.seq == start), GENESIS) if start > 1 else GENESIS
        for i, r in enumerate(rows):
            want = head_seq + 1
            if r.seq != want:
                if r.seq < want or any(x.seq == want for x in rows[i + 1:]):
                    raise Fail("seq %d: reordered rows (seq %d came in its place)" % (want, r.seq))
                raise Fail("seq %d: dropped row (the next row is seq %d)" % (want, r.seq))
            head_seq, head = check_row(ws, r, head)
    if head_seq > top:
        raise Fail("seq %d: rows after the checkpoint (rows go on to seq %d, the checkpoint is at seq %d)" % (top + 1, head_seq, top))
    if head_seq < top and not filters:
        raise Fail("seq %d: truncated tail (rows stop at seq %d, the checkpoint is at seq %d)" % (head_seq + 1, head_seq, top))
    if head_seq < top: gaps.append((head_seq + 1, top))
    elif head != cp["hash"]:
        raise Fail("seq %d: head mismatch (the checkpoint signs hash %s, the row has %s)" % (top, cp["hash"], head))
    first = max(rows[0].seq, 1) if rows else 1
    if filters == {} and first > 1 and len(rows) != CAP:
        raise Fail("seq %d: oldest rows missing (a complete export starts at seq 1 or holds the newest %d rows; this one "
                   "starts at seq %d with %d rows)" % (first - 1, CAP, first, len(rows)))
    linked = start if not filters or (head_seq == top and rows) else None
    ext = earlier and check_earlier(earlier, cp, rows, filters, linked, keys)
    signed = "head %s signed by %s at %s" % (cp["hash"], cp["kid"], cp["time"])
    if not filters:
        return ("OK workspace %s rows %d..=%d (%d rows) %s" % (ws, first, top, len(rows), signed)
                + ("; rows before seq %d are not in this export" % first if first > 1 else "")
                + ("; extends the checkpoint at seq %d" % earlier["seq"] if earlier else ""))
    return ("OK FILTERED export of workspace %s (filters %s): %d rows verified individually (each row's hash, and the link "
            "between rows with consecutive seqs), not as a complete chain; checkpoint at seq %d %s"
            % (ws, json.dumps(dict(sorted(filters.items())), separators=(",", ":"), ensure_ascii=False), len(rows), top, signed)
            + "\nfiltered out (not in this export): " + ranges(gaps)
            + ("\nlinked to the signed head: rows %d..=%d" % (linked, top) if linked else "\nlinked to the signed head: none")
            + ("\nearlier checkpoint at seq %d: %s" % (earlier["seq"], ext) if earlier else ""))

def check_earlier(earlier, cp, rows, filters, linked, keys):
    check_sig(earlier, keys, "earlier checkpoint")
    s, pre = earlier["seq"], "seq %d: the checkpoint does not extend the earlier one: " % earlier["seq"]
    if earlier["workspaceId"] != cp["workspaceId"]: raise Fail(pre + "they are of different workspaces")
    if s > cp["seq"]: raise Fail(pre + "it is at seq %d, before the earlier one" % cp["seq"])
    by_seq = {r.seq: r for r in rows}
    h = GENESIS if s == 0 else by_seq[s].hash if s in by_seq else by_seq[s + 1].prev if s + 1 in by_seq else None
    if h is None and filters: return "not checkable (neither its row nor the next one is in this filtered export)"
    if h is None:
        raise Fail(pre + "the rows start at seq %d, after the earlier head; export from seq %d" % (rows[0].seq if rows else 1, s))
    if h != earlier["hash"]:
        raise Fail(pre + "history rewritten (the earlier checkpoint signs hash %s, the row now has %s)" % (earlier["hash"], h))
    if s == 0 or (linked is not None and s >= linked - 1): return "extended (the rows link its head to the signed head)"
    return "its row is in this export with the hash it signs; the rows between are not all here, so the extension is not proven"

def read_export(path, cp_path):
    body = open(path, encoding="utf-8", newline="").read().lstrip("\ufeff")
    if body.split("\n", 1)[0].rstrip("\r") == ",".join(COLUMNS):
        csv.field_size_limit(2**31 - 1)  # a `data` cell may exceed the default 128 KiB
        recs = list(csv.reader(io.StringIO(body, newline=""), strict=True))
        rows, cp = [from_csv(c) for c in recs[1:]], None
    else:
        lines = [json.loads(l) for l in body.split("\n") if l.strip()]
        cp = lines.pop() if lines and lines[-1].get("type") == CP_TYPE else None
        rows = [from_json(r) for r in lines]
    if cp and cp_path: raise ValueError("%s: carries its own checkpoint line; --export-checkpoint is for a CSV export" % path)
    cp = cp or (json.load(open(cp_path)) if cp_path else None)
    if cp is None: raise ValueError("%s: no checkpoint (a CSV export needs --export-checkpoint)" % path)
    filters = cp["export"]["filters"] if cp.get("export") is not None else None
    if filters is not None and not all(isinstance(v, str) for v in dict(filters).values()): raise ValueError("export.filters")
    return rows, cp, filters

def main(argv):
    sys.stdout.reconfigure(encoding="utf-8"); sys.stderr.reconfigure(encoding="utf-8")
    p = argparse.ArgumentParser(description="Verify an AxisSynapse audit export (NDJSON or CSV) offline.")
    p.add_argument("export"); p.add_argument("--keys", required=True)
    p.add_argument("--export-checkpoint"); p.add_argument("--checkpoint")
    a = p.parse_args(argv)
    try:
        keys = {k["kid"]: k for k in json.load(open(a.keys))["keys"] if k.get("kty") == "OKP" and k.get("crv") == "Ed25519"}
        rows, cp, filters = read_export(a.export, a.export_checkpoint)
        earlier = json.load(open(a.checkpoint)) if a.checkpoint else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError, csv.Error) as e:
        print("%s" % e, file=sys.stderr); return 2
    try: print(verify(rows, cp, filters, earlier, keys)); return 0
    except Fail as e: print("FAIL %s" % e, file=sys.stderr); return 1
    except (ValueError, KeyError, TypeError, AttributeError, struct.error) as e: print("malformed export: %s" % e, file=sys.stderr); return 2

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
