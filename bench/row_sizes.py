#!/usr/bin/env python3
"""Bytes per user, group, membership, audit event, webhook message and session on one shard.

Builds a SQLite database from schema.sql (the shard schema) in a temporary file and fills
it with rows shaped like the ones the worker writes (src/edge/store/*.rs):

  users        SCIM-provisioned members with a full SCIM document (core User + enterprise
               extension, as `resource::user_columns` stores it: no id/meta/groups/schemas),
               one work email row each, and a second (home) email for every fourth user;
  groups       SCIM groups (`insert_group`) and their members (`membership_changes`);
  audit        ledger rows appended and sealed as `store::ledger` does, with the real hash
               chain (`audit_bench.row_hash`, the encoding of src/audit/ledger.rs), in a mix
               of sign-ins, failed sign-ins, SCIM user and group updates;
  outbox       one webhook message per event and subscription (`FAN_OUT_SQL`), delivered,
               with its delivery-log row (`webhook_attempts`);
  sessions     the D1 index row a sign-in writes (`sessions`).

Ids are random like `crypto::new_id` (prefix + 20 hex) and rows arrive in creation order,
so B-tree pages split as they do in a live database (no VACUUM). Workspace ids are 23
characters (`ws_` + 20 hex), which every index entry carries.

After each step it reads `dbstat` (SQLite's per-page B-tree statistics: SUM(pgsize) per
table and per index) and divides the growth by the rows added. It prints:
  1. bytes per row: table, its indexes, total, and what share of the pages is payload;
  2. the database file at the end (page_count × page_size) against the sum of the steps;
  3. SQL execution time of the hot-path statements on this database, host SQLite, median
     of many runs, as a ratio to `SELECT 1` timed in the same run (D1 adds its own costs
     per query on top: this is the SQL part only).

Host Python + sqlite3 only; no wrangler. Takes a minute or two at the default sizes.
Usage: row_sizes.py [--users N] [--groups N] [--memberships K] [--events N] [--outbox N]
                    [--sessions N] [--keep PATH]
"""
import argparse
import json
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from audit_bench import COLUMNS as AUDIT_COLUMNS, GENESIS, row_hash  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
rng = random.Random(16)


def new_id(prefix):
    """crypto::new_id: the prefix and 10 random bytes in hex."""
    return prefix + rng.randbytes(10).hex()


GIVEN = ["Alice", "Bruno", "Chiara", "Dmitri", "Emeka", "Fatima", "Grace", "Hiroshi", "Ingrid", "Jamal",
         "Katarzyna", "Luis", "Mei", "Nikolai", "Olivia", "Priya", "Quentin", "Rosa", "Sven", "Tomasz"]
FAMILY = ["Anderson", "Bianchi", "Chen", "Dubois", "Eriksson", "Fernandes", "García", "Hoffmann", "Ivanova",
          "Johansson", "Kowalski", "López", "Müller", "Nakamura", "O'Brien", "Petrov", "Quispe", "Rossi",
          "Schmidt", "Takahashi", "Uddin", "Van der Berg", "Wójcik", "Yamamoto", "Zhang"]
DEPARTMENTS = ["Engineering", "Sales", "Finance", "Legal", "Operations", "Support", "Marketing", "People"]
TITLES = ["Software Engineer", "Account Executive", "Financial Analyst", "Counsel", "Operations Manager",
          "Support Specialist", "Product Marketing Manager", "HR Business Partner"]


def scim_user(i, ws):
    """A User as an IdP (Okta / Entra ID) provisions it, in the stored document's shape."""
    given, family = GIVEN[i % len(GIVEN)], FAMILY[(i // len(GIVEN)) % len(FAMILY)]
    local = f"{given}.{family}{i}".lower().replace(" ", "").replace("'", "")
    email = f"{local}@example-corp.com"
    dept = i % len(DEPARTMENTS)
    emails = [{"value": email, "type": "work", "primary": True}]
    if i % 4 == 0:
        emails.append({"value": f"{local}@gmail.com", "type": "home", "primary": False})
    doc = {
        "userName": email,
        "externalId": f"00u{rng.randbytes(8).hex()[:17]}",  # Okta-style user id
        "name": {"givenName": given, "familyName": family, "formatted": f"{given} {family}"},
        "displayName": f"{given} {family}",
        "title": TITLES[dept],
        "userType": "Employee",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "Europe/Paris",
        "active": i % 20 != 0,
        "emails": emails,
        "phoneNumbers": [{"value": f"+33 1 {i % 100:02d} {i // 100 % 100:02d} {i // 10000 % 100:02d} 00",
                          "type": "work"}],
        ENTERPRISE: {
            "employeeNumber": f"{100000 + i}",
            "costCenter": f"CC-{dept * 100 + i % 7}",
            "organization": "Example Corp",
            "department": DEPARTMENTS[dept],
            "manager": {"value": f"u_{rng.randbytes(10).hex()}"},
        },
    }
    return doc, emails


def fill_users(db, ws, n):
    """insert_user: the users row and its email rows. Returns the user ids."""
    ids, users, emails = [], [], []
    for i in range(n):
        uid = new_id("u_")
        doc, mails = scim_user(i, ws)
        at = T0 + i * 1000
        users.append((ws, uid, doc["emails"][0]["value"].lower(), doc["userName"], doc["externalId"],
                      doc["displayName"], doc["name"]["givenName"], doc["name"]["familyName"],
                      json.dumps(doc, separators=(",", ":"), ensure_ascii=False),
                      "active" if doc["active"] else "disabled", None, at))
        emails.extend((ws, uid, pos, m["value"], m["type"], int(m["primary"])) for pos, m in enumerate(mails))
        ids.append(uid)
    db.executemany(
        "INSERT INTO users (workspace_id, id, email, user_name, external_id, display_name, given_name, family_name, "
        "scim, version, role, status, provisioned_by, password_hash, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 1, 'member', ?10, 'scim', ?11, ?12, ?12)", users)
    db.executemany(
        "INSERT INTO user_emails (workspace_id, user_id, position, value, type, is_primary) VALUES (?, ?, ?, ?, ?, ?)",
        emails)
    return ids, len(emails)


def fill_groups(db, ws, n):
    groups = []
    for i in range(n):
        at = T0 + i * 500
        groups.append((new_id("g_"), ws, f"{DEPARTMENTS[i % len(DEPARTMENTS)]} team {i}",
                       f"00g{rng.randbytes(8).hex()[:17]}", at))
    db.executemany(
        "INSERT INTO scim_groups (id, workspace_id, display_name, external_id, version, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, 1, ?5, ?5)", groups)
    return [g[0] for g in groups]


def fill_memberships(db, ws, groups, users, per_user):
    """membership_changes: each group's members added in one statement, as a PATCH does."""
    size = max(1, len(users) * per_user // len(groups))
    total = 0
    for g in groups:
        members = rng.sample(users, size)
        db.execute("INSERT OR IGNORE INTO scim_group_members (workspace_id, group_id, user_id) "
                   "SELECT ?1, ?2, value FROM json_each(?3)", (ws, g, json.dumps(members)))
        total += size
    return total


def event(i, ws, users, groups, token_id):
    """(action, actor_type, actor_id, resource_id, data) in the handlers' shapes."""
    kind = i % 20
    if kind < 12:  # 60 %: sign-in (handlers/auth.rs)
        u = rng.choice(users)
        method = "saml" if kind % 3 else "password"
        data = {"sessionId": new_id("sess_"), "method": method}
        if method == "saml":
            data["providerId"] = "saml_" + rng.randbytes(10).hex()
            data["groups"] = ["Engineering", "All staff"]
        return "ACCOUNT_SIGNIN_SUCCEEDED", "user", u, u, data
    if kind < 14:  # 10 %: failed sign-in
        u = rng.choice(users)
        return "ACCOUNT_SIGNIN_FAILED", "anonymous", None, u, {"code": "INVALID_CREDENTIALS", "factor": "password"}
    if kind < 19:  # 25 %: SCIM user update (handlers/scim.rs save_user)
        u = rng.choice(users)
        return ("SCIM_USER_UPDATED", "scim_token", token_id, u,
                {"userName": f"someone{i}@example-corp.com", "passwordChanged": False, "version": 1 + i % 9})
    g = rng.choice(groups)  # 5 %: SCIM group update
    return ("SCIM_GROUP_UPDATED", "scim_token", token_id, g,
            {"displayName": "Engineering team 42", "membersAdded": 1, "membersRemoved": 0, "membersIgnored": None})


RESOURCE_TYPE = {"ACCOUNT_SIGNIN_SUCCEEDED": "user", "ACCOUNT_SIGNIN_FAILED": "user", "SCIM_USER_UPDATED": "user",
                 "SCIM_GROUP_UPDATED": "group"}


def fill_audit(db, ws, n, users, groups):
    """store::ledger: INSERT with seq = MAX(seq) + 1, then sealed (prev_hash, hash) in seq order.
    Rows are written sealed in one statement here; the bytes are the same. Returns the events."""
    token_id = rng.randbytes(6).hex()
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        action, actor_type, actor_id, resource_id, data = event(i, ws, users, groups, token_id)
        r = {"workspace_id": ws, "seq": i, "id": new_id("evt_"), "at": T0 + i * 100, "action": action,
             "actor_type": actor_type, "actor_id": actor_id, "resource_type": RESOURCE_TYPE[action],
             "resource_id": resource_id, "ip": f"203.0.113.{i % 250 + 1}",
             "data": json.dumps(data, separators=(",", ":")), "prev_hash": prev}
        r["hash"] = prev = row_hash(r)
        rows.append(tuple(r[c] for c in AUDIT_COLUMNS))
    db.executemany(f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})",
                   rows)
    return rows


def fill_outbox(db, ws, events, n):
    """FAN_OUT_SQL for one subscription, then a successful delivery (state delivered) and its
    webhook_attempts row. Returns the subscription id."""
    sub = new_id("wh_")
    db.execute(
        "INSERT INTO webhook_subscriptions (id, workspace_id, name, url, event_filters, secret_nonce, "
        "secret_fingerprint, created_at, updated_at) VALUES (?, ?, 'SIEM', 'https://siem.example-corp.com/hooks/axis', "
        "'[\"*\"]', ?, ?, ?, ?)", (sub, ws, rng.randbytes(16).hex(), rng.randbytes(32).hex(), T0, T0))
    col = {c: k for k, c in enumerate(AUDIT_COLUMNS)}
    messages, attempts = [], []
    for e in events[:n]:
        evt, at = e[col["id"]], e[col["at"]]
        msg = "msg_" + evt[len("evt_"):]
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(at / 1000)) + f".{at % 1000:03d}Z"
        body = json.dumps({"type": e[col["action"]], "id": evt, "timestamp": ts, "workspace_id": ws,
                           "data": json.loads(e[col["data"]])}, separators=(",", ":"))
        messages.append((sub, msg, ws, e[col["seq"]], e[col["action"]], body, at + 900, at, at + 900))
        attempts.append((new_id("wa_"), sub, msg, ws, e[col["action"]], "delivered", 200, "ok", 120, at + 900))
    db.executemany(
        "INSERT INTO webhook_messages (subscription_id, id, workspace_id, seq, event_type, body, state, attempts, "
        "next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'delivered', 1, ?, ?, ?)", messages)
    db.executemany(
        "INSERT INTO webhook_attempts (id, subscription_id, message_id, workspace_id, event_type, attempt, outcome, "
        "response_status, response_body, error, elapsed_ms, next_retry_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, NULL, ?, NULL, ?)", attempts)
    return sub


def fill_sessions(db, ws, n, users):
    rows = []
    for i in range(n):
        at = T0 + i * 1000
        rows.append((new_id("sess_"), ws, rng.choice(users), at, at + 7 * 86_400_000, "Chrome on macOS",
                     f"203.0.113.{i % 250}/24"))
    db.executemany("INSERT INTO sessions (id, workspace_id, user_id, created_at, expires_at, device_label, ip_prefix) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def stat(db):
    """{table: (table bytes, index bytes, payload bytes)} from dbstat."""
    owner = dict(db.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
    out = {}
    for name, pgsize, payload in db.execute("SELECT name, SUM(pgsize), SUM(payload) FROM dbstat GROUP BY name"):
        table = owner.get(name, name)
        t, i, p = out.get(table, (0, 0, 0))
        if name == table:
            t += pgsize
        else:
            i += pgsize
        out[table] = (t, i, p + payload)
    return out


def delta(before, after, tables):
    t = sum(after.get(x, (0, 0, 0))[0] - before.get(x, (0, 0, 0))[0] for x in tables)
    i = sum(after.get(x, (0, 0, 0))[1] - before.get(x, (0, 0, 0))[1] for x in tables)
    p = sum(after.get(x, (0, 0, 0))[2] - before.get(x, (0, 0, 0))[2] for x in tables)
    return t, i, p


def timed(db, sql, args_of, runs):
    """Median microseconds of one execution (statement prepared once, rows fetched)."""
    samples = []
    for _ in range(runs):
        args = args_of()
        t = time.perf_counter()
        db.execute(sql, args).fetchall()
        samples.append((time.perf_counter() - t) * 1e6)
    return statistics.median(samples)


def timings(db, ws, users, user_names, groups):
    runs = 2000
    scim_user_columns = (
        "u.id, u.user_name, u.email, u.display_name, u.status, u.scim, u.version, u.created_at, u.updated_at, "
        "(SELECT json_group_array(json_array(g.id, g.display_name)) FROM scim_group_members m JOIN scim_groups g "
        "ON g.id = m.group_id WHERE m.workspace_id = u.workspace_id AND m.user_id = u.id) AS groups_json")
    audit_cols = ", ".join(["workspace_id", "seq", "id", "at", "action", "actor_type", "actor_id", "resource_type",
                            "resource_id", "ip", "data", "COALESCE(prev_hash, '') AS prev_hash",
                            "COALESCE(hash, '') AS hash"])
    cases = [
        ("`SELECT 1` (baseline)", "SELECT 1", lambda: ()),
        ("user by id (point read, PK)", "SELECT * FROM users WHERE workspace_id = ?1 AND id = ?2",
         lambda: (ws, rng.choice(users))),
        ("SCIM `userName eq` with the groups subquery (store::scim::user_by_name)",
         f"SELECT {scim_user_columns} FROM users u WHERE u.workspace_id = ?1 AND u.user_name = ?2",
         lambda: (ws, rng.choice(user_names))),
        ("SCIM group members of one group (with_members)",
         "SELECT m.group_id AS owner, u.id AS id, COALESCE(u.display_name, u.user_name) AS name "
         "FROM scim_group_members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1 "
         "AND m.group_id IN (SELECT value FROM json_each(?2)) ORDER BY u.created_at, u.id",
         lambda: (ws, json.dumps([rng.choice(groups)]))),
        ("audit page: newest 50 (audit::query page_sql, no filter)",
         f"SELECT {audit_cols} FROM audit_log WHERE workspace_id = ?1 ORDER BY seq DESC LIMIT 50", lambda: (ws,)),
        ("audit page: 50 of one actor (`userId=`)",
         f"SELECT {audit_cols} FROM audit_log WHERE workspace_id = ?1 AND actor_id = ?2 ORDER BY seq DESC LIMIT 50",
         lambda: (ws, rng.choice(users))),
    ]
    results = [(label, timed(db, sql, args, runs)) for label, sql, args in cases]
    # Whole-tenant reads: what a replica should take off the primary (fewer runs: they are long).
    heavy = [
        ("SCIM list total, no filter: COUNT(*) of the workspace's users (store::scim::count_users)",
         "SELECT COUNT(*) AS n FROM users u WHERE u.workspace_id = ?1 AND 1", lambda: (ws,)),
        ("audit export: newest 50,000 rows (audit export cap)",
         f"SELECT {audit_cols} FROM audit_log WHERE workspace_id = ?1 ORDER BY seq DESC LIMIT 50000", lambda: (ws,)),
    ]
    results += [(label, timed(db, sql, args, 20)) for label, sql, args in heavy]
    # An append as store::ledger::record makes it, then its seal, in one transaction (D1 batch).
    append = ("INSERT INTO audit_log (workspace_id, seq, id, at, action, actor_type, actor_id, resource_type, "
              "resource_id, ip, data) SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, 'SCIM_USER_UPDATED', "
              "'scim_token', 'abcdef012345', 'user', ?4, '203.0.113.9', "
              "'{\"userName\":\"x@example-corp.com\",\"passwordChanged\":false,\"version\":2}' "
              "FROM audit_log WHERE workspace_id = ?1")
    seal = ("UPDATE audit_log SET prev_hash = ?3, hash = ?4 WHERE workspace_id = ?1 AND seq = "
            "(SELECT MAX(seq) FROM audit_log WHERE workspace_id = ?1) AND hash IS NULL")
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        with db:
            db.execute(append, (ws, new_id("evt_"), T0, rng.choice(users)))
            db.execute(seal, (ws, 0, "0" * 64, "f" * 64))
        samples.append((time.perf_counter() - t) * 1e6)
    results.append(("audit append + seal, one transaction as in one D1 batch (no journal, no fsync)", statistics.median(samples)))
    return results, runs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--users", type=int, default=100_000)
    ap.add_argument("--groups", type=int, default=10_000)
    ap.add_argument("--memberships", type=int, default=5, help="groups per user, on average")
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--outbox", type=int, default=100_000, help="webhook messages (one subscription)")
    ap.add_argument("--sessions", type=int, default=100_000)
    ap.add_argument("--keep", help="write the database here and keep it")
    a = ap.parse_args()

    path = a.keep or os.path.join(tempfile.mkdtemp(prefix="row_sizes."), "shard.sqlite")
    if os.path.exists(path):
        os.remove(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = OFF")  # speed only: the page layout is the same
    db.execute("PRAGMA synchronous = OFF")
    with open(os.path.join(ROOT, "schema.sql")) as f:
        db.executescript(f.read())
    ws = new_id("ws_")
    db.execute("INSERT INTO workspaces (id, name, slug, created_at, updated_at) VALUES (?, 'Example Corp', ?, ?, ?)",
               (ws, "example-corp-" + ws[-6:], T0, T0))
    page_size = db.execute("PRAGMA page_size").fetchone()[0]

    rows = []  # (entity, count, (table, index, payload) bytes)
    started = time.perf_counter()

    def step(label, tables, fill):
        before = stat(db)
        db.execute("BEGIN")
        result = fill()
        db.execute("COMMIT")
        after = stat(db)
        return result, before, after

    (users, n_emails), b, s = step("users", ["users", "user_emails"], lambda: fill_users(db, ws, a.users))
    rows.append(("user: users row + its emails (1.25 per user)", a.users, delta(b, s, ["users", "user_emails"])))
    rows.append(("  of which the users row", a.users, delta(b, s, ["users"])))
    rows.append(("  of which one user_emails row", n_emails, delta(b, s, ["user_emails"])))
    groups, b, s = step("groups", ["scim_groups"], lambda: fill_groups(db, ws, a.groups))
    rows.append(("group (scim_groups row)", a.groups, delta(b, s, ["scim_groups"])))
    n_members, b, s = step("memberships", ["scim_group_members"],
                           lambda: fill_memberships(db, ws, groups, users, a.memberships))
    rows.append(("group membership (scim_group_members row)", n_members, delta(b, s, ["scim_group_members"])))
    events, b, s = step("audit", ["audit_log"], lambda: fill_audit(db, ws, a.events, users, groups))
    rows.append(("audit event (audit_log row, sealed)", a.events, delta(b, s, ["audit_log"])))
    _, b, s = step("outbox", ["webhook_messages", "webhook_attempts"],
                   lambda: fill_outbox(db, ws, events, a.outbox))
    n_out = min(a.outbox, len(events))
    rows.append(("webhook message + its attempt row, per event per subscription", n_out,
                 delta(b, s, ["webhook_messages", "webhook_attempts", "webhook_subscriptions"])))
    _, b, s = step("sessions", ["sessions"], lambda: fill_sessions(db, ws, a.sessions, users))
    rows.append(("session index row (one per sign-in)", a.sessions, delta(b, s, ["sessions"])))
    built = time.perf_counter() - started
    db.execute("ANALYZE")

    print(f"# Shard row sizes: schema.sql, SQLite {sqlite3.sqlite_version}, page size {page_size} B, "
          f"built in {built:.0f} s")
    print(f"# {a.users:,} users, {a.groups:,} groups, {n_members:,} memberships, {a.events:,} audit events, "
          f"{n_out:,} webhook messages, {a.sessions:,} sessions in one workspace ({len(ws)}-character id)")
    print()
    print("| per | rows | table B/row | index B/row | total B/row | payload share |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, n, (t, i, p) in rows:
        print(f"| {label} | {n:,} | {t / n:,.0f} | {i / n:,.0f} | {(t + i) / n:,.0f} | {p / max(t + i, 1):.0%} |")
    page_count = db.execute("PRAGMA page_count").fetchone()[0]
    summed = sum(t + i for t, i, _ in stat(db).values())
    print()
    print(f"File: {page_count * page_size / 1e6:,.1f} MB (page_count × page_size); dbstat sum {summed / 1e6:,.1f} MB; "
          f"stored SCIM document {db.execute('SELECT AVG(LENGTH(scim)) FROM users').fetchone()[0]:,.0f} B on average")

    user_names = [r[0] for r in db.execute("SELECT user_name FROM users ORDER BY random() LIMIT 5000")]
    results, runs = timings(db, ws, users, user_names, groups)
    base = results[0][1]
    print()
    print(f"| SQL on this database (host SQLite; median of {runs:,} runs, 20 for the whole-tenant reads) | µs | × `SELECT 1` |")
    print("|---|---:|---:|")
    for label, us in results:
        print(f"| {label} | {us:,.1f} | {us / base:,.0f}× |")
    db.close()
    if not a.keep:
        os.remove(path)
        os.rmdir(os.path.dirname(path))


if __name__ == "__main__":
    main()
