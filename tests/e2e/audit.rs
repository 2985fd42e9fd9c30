//! The audit ledger API: keyset-paginated query and its filters, tenant isolation, access
//! control, the streamed CSV / NDJSON export (cap, RFC 4180, formula neutralisation, the
//! export auditing itself) and hash-chain verification.
//!
//! Tests run in parallel against one worker, so nothing here assumes exact row counts in
//! `ws_demo`: live rows are found through unique markers (session ids, token names, resource
//! ids). Exact counts are only asserted on the seeded, fixed history of `ws_bulk`
//! (rows 1..=50,250, row n at 2026-01-01T00:00:00Z + n seconds, every 10th a failed sign-in).

use crate::common::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const LOG: &str = "/api/settings/audit-log";
const EXPORT: &str = "/api/settings/audit-log/export";
const VERIFY: &str = "/api/settings/audit-log/verify";

const BULK_ADMIN: &str = "admin@bulk.test";
/// Seeded rows in `ws_bulk`.
const BULK_ROWS: i64 = 50_250;
const EXPORT_CAP: usize = 50_000;
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The documented hash-encoding domain (see `src/audit/ledger.rs` module docs).
const HASH_DOMAIN: &str = "axissynapse-edge/audit-entry/v1";
const CSV_HEADER: [&str; 12] = [
    "id",
    "seq",
    "occurredAt",
    "action",
    "actorType",
    "actorId",
    "resourceType",
    "resourceId",
    "ip",
    "data",
    "prevHash",
    "hash",
];
/// Spreadsheet formula triggers (OWASP "CSV Injection").
const FORMULA_TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
/// Users of `ws_demo` (seeded); none may ever show up in another workspace's ledger.
const DEMO_USER_IDS: [&str; 8] = [
    "u_demo_admin",
    "u_demo_member",
    "u_shared_demo",
    "u_disabled",
    "u_lockout",
    "u_sessions",
    "u_revoker",
    "u_victim",
];

// ---------------------------------------------------------------------------------------------
// Helpers: URLs, callers, queries
// ---------------------------------------------------------------------------------------------

/// Percent-encodes a query component (everything but RFC 3986 unreserved characters).
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn url(path: &str, params: &[(&str, &str)]) -> String {
    if params.is_empty() {
        return path.to_string();
    }
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect();
    format!("{path}?{}", query.join("&"))
}

/// A unique, mixed-case marker for this process and call.
fn unique(label: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("AuditE2E{label}{}x{nanos}x{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

#[derive(Clone, Copy)]
enum Who<'a> {
    Session(&'a Session),
    Pat(&'a str),
    Anonymous,
}

fn get(who: Who, path: &str, params: &[(&str, &str)]) -> Resp {
    let r = req("GET", &url(path, params));
    match who {
        Who::Session(s) => r.session(s),
        Who::Pat(t) => r.bearer(t),
        Who::Anonymous => r,
    }
    .send()
}

/// One page of the query endpoint: the items and the next cursor.
fn query(who: Who, params: &[(&str, &str)]) -> (Vec<Value>, Option<String>) {
    let resp = get(who, LOG, params);
    let body = resp.ok();
    assert!(resp.header("content-type").is_some_and(|c| c.starts_with("application/json")), "{:?}", resp.headers);
    let obj = body.as_object().unwrap_or_else(|| panic!("not an object: {body}"));
    assert!(obj.contains_key("items") && obj.contains_key("nextCursor"), "page shape: {body}");
    let items = body["items"].as_array().unwrap_or_else(|| panic!("items not an array: {body}")).clone();
    let next = match &body["nextCursor"] {
        Value::Null => None,
        Value::String(c) => {
            assert!(!c.is_empty(), "empty cursor: {body}");
            Some(c.clone())
        }
        other => panic!("nextCursor neither string nor null: {other}"),
    };
    (items, next)
}

/// Every page of a query, following `nextCursor` to the end; `between` runs before each
/// follow-up page is fetched (with the number of pages fetched so far).
fn walk(who: Who, params: &[(&str, &str)], mut between: impl FnMut(usize)) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    for pages in 1..=5_000 {
        let (items, next) = {
            let mut p = params.to_vec();
            if let Some(c) = &cursor {
                p.push(("cursor", c.as_str()));
            }
            query(who, &p)
        };
        if let Some(limit) = params.iter().find(|(k, _)| *k == "limit").and_then(|(_, v)| v.parse::<usize>().ok()) {
            assert!(items.len() <= limit, "page larger than limit {limit}: {}", items.len());
            if next.is_some() {
                assert_eq!(items.len(), limit, "a page with a next cursor must be full");
            }
        }
        all.extend(items);
        match next {
            Some(c) => {
                between(pages);
                cursor = Some(c);
            }
            None => return all,
        }
    }
    panic!("pagination did not end after 5000 pages")
}

fn seqs(items: &[Value]) -> Vec<i64> {
    items.iter().map(|i| i["seq"].as_i64().unwrap_or_else(|| panic!("seq not an integer: {i}"))).collect()
}

fn newest_seq(who: Who) -> i64 {
    let (items, _) = query(who, &[("limit", "1")]);
    items.first().and_then(|i| i["seq"].as_i64()).unwrap_or(0)
}

/// Signs in as `email`, acting from `ip` (the development-only client address override).
fn login_from(email: &str, ip: &str) -> Session {
    session_of(
        &req("POST", "/api/auth/login")
            .header("x-axissynapse-client-ip", ip)
            .json(&json!({"email": email, "password": password(email)}))
            .send(),
    )
}

fn logout(s: &Session) {
    let resp = req("POST", "/api/auth/logout").session(s).send();
    assert!((200..300).contains(&resp.status), "logout: {} {}", resp.status, resp.body);
}

/// Mints a PAT through the session; returns (token id, secret).
fn mint_pat(s: &Session, name: &str) -> (String, String) {
    let resp = req("POST", "/api/me/tokens").session(s).json(&json!({"name": name})).send();
    assert_eq!(resp.status, 201, "mint: {}", resp.body);
    let body = resp.json();
    (body["id"].as_str().expect("token id").to_string(), body["token"].as_str().expect("token secret").to_string())
}

fn revoke_pat(s: &Session, id: &str) {
    let resp = req("DELETE", &format!("/api/me/tokens/{id}")).session(s).send();
    assert!((200..300).contains(&resp.status), "revoke: {} {}", resp.status, resp.body);
}

// ---------------------------------------------------------------------------------------------
// Helpers: time (RFC 3339, as the API writes it: `YYYY-MM-DDTHH:MM:SS.mmmZ`)
// ---------------------------------------------------------------------------------------------

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses the API's timestamp form exactly; panics on anything else.
fn parse_ts(s: &str) -> i64 {
    let b = s.as_bytes();
    let shape_ok = b.len() == 24
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'.',
            23 => *c == b'Z',
            _ => c.is_ascii_digit(),
        });
    assert!(shape_ok, "occurredAt not in YYYY-MM-DDTHH:MM:SS.mmmZ form: {s:?}");
    let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
    let (mo, d, h, mi, sec) = (n(5..7), n(8..10), n(11..13), n(14..16), n(17..19));
    assert!((1..=12).contains(&mo) && (1..=31).contains(&d) && h < 24 && mi < 60 && sec < 60, "bad timestamp {s:?}");
    days_from_civil(n(0..4), mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + sec) * 1000 + n(20..23)
}

/// `ms` as RFC 3339 in the given UTC offset (minutes), e.g. `…+05:30`, or `Z` for 0.
fn fmt_ts(ms: i64, offset_min: i64) -> String {
    let local = ms + offset_min * 60_000;
    let (days, rem) = (local.div_euclid(86_400_000), local.rem_euclid(86_400_000));
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    let zone = if offset_min == 0 {
        "Z".to_string()
    } else {
        format!("{}{:02}:{:02}", if offset_min < 0 { '-' } else { '+' }, offset_min.abs() / 60, offset_min.abs() % 60)
    };
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{milli:03}{zone}")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64
}

// ---------------------------------------------------------------------------------------------
// Helpers: rows and their hash (the documented canonical encoding, recomputed independently)
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
struct Row {
    id: String,
    seq: i64,
    at_ms: i64,
    action: String,
    actor_type: String,
    actor_id: Option<String>,
    resource_type: Option<String>,
    resource_id: Option<String>,
    ip: Option<String>,
    /// The stored JSON text of `data`.
    data: String,
    prev_hash: String,
    hash: String,
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn is_action_code(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

fn opt_str(v: &Value, what: &str) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => panic!("{what} neither string nor null: {other}"),
    }
}

impl Row {
    /// Reads an API item (query page or NDJSON line), asserting its documented shape.
    fn from_json(v: &Value) -> Row {
        let obj = v.as_object().unwrap_or_else(|| panic!("entry not an object: {v}"));
        let keys: HashSet<&str> = obj.keys().map(String::as_str).collect();
        let expected: HashSet<&str> =
            ["id", "seq", "occurredAt", "action", "actor", "resource", "ip", "data", "prevHash", "hash"]
                .into_iter()
                .collect();
        assert_eq!(keys, expected, "entry fields: {v}");
        let s = |k: &str| v[k].as_str().unwrap_or_else(|| panic!("{k} not a string: {v}")).to_string();
        let id = s("id");
        assert!(id.starts_with("evt_") && id.len() > 4, "id: {v}");
        let seq = v["seq"].as_i64().unwrap_or_else(|| panic!("seq not an integer: {v}"));
        assert!(seq >= 1, "seq: {v}");
        let action = s("action");
        assert!(is_action_code(&action), "action code: {v}");
        let actor = v["actor"].as_object().unwrap_or_else(|| panic!("actor not an object: {v}"));
        let actor_type =
            actor.get("type").and_then(Value::as_str).unwrap_or_else(|| panic!("actor.type: {v}")).to_string();
        assert!(["user", "pat", "scim", "system", "anonymous"].contains(&actor_type.as_str()), "actor.type: {v}");
        let actor_id = opt_str(actor.get("id").unwrap_or(&Value::Null), "actor.id");
        let (resource_type, resource_id) = match &v["resource"] {
            Value::Null => (None, None),
            Value::Object(r) => (
                Some(r.get("type").and_then(Value::as_str).unwrap_or_else(|| panic!("resource.type: {v}")).to_string()),
                opt_str(r.get("id").unwrap_or(&Value::Null), "resource.id"),
            ),
            other => panic!("resource neither object nor null: {other}"),
        };
        let data = match &v["data"] {
            Value::String(raw) => raw.clone(),
            other => other.to_string(),
        };
        let (prev_hash, hash) = (s("prevHash"), s("hash"));
        assert!(is_hex64(&prev_hash) && is_hex64(&hash), "hashes must be 64 lowercase hex: {v}");
        Row {
            id,
            seq,
            at_ms: parse_ts(&s("occurredAt")),
            action,
            actor_type,
            actor_id,
            resource_type,
            resource_id,
            ip: opt_str(&v["ip"], "ip"),
            data,
            prev_hash,
            hash,
        }
    }

    /// Reads a CSV record (already un-neutralised); empty optional cells are absent values.
    fn from_csv(f: &[String]) -> Row {
        assert_eq!(f.len(), CSV_HEADER.len(), "record width: {f:?}");
        let opt = |s: &String| if s.is_empty() { None } else { Some(s.clone()) };
        Row {
            id: f[0].clone(),
            seq: f[1].parse().unwrap_or_else(|_| panic!("seq not an integer: {f:?}")),
            at_ms: parse_ts(&f[2]),
            action: f[3].clone(),
            actor_type: f[4].clone(),
            actor_id: opt(&f[5]),
            resource_type: opt(&f[6]),
            resource_id: opt(&f[7]),
            ip: opt(&f[8]),
            data: f[9].clone(),
            prev_hash: f[10].clone(),
            hash: f[11].clone(),
        }
    }

    /// Lowercase hex SHA-256 of the canonical encoding, for a row of `workspace_id`.
    fn expected_hash(&self, workspace_id: &str) -> String {
        fn text(h: &mut Sha256, s: &str) {
            h.update((s.len() as u64).to_be_bytes());
            h.update(s.as_bytes());
        }
        fn opt(h: &mut Sha256, s: Option<&str>) {
            match s {
                None => h.update([0u8]),
                Some(s) => {
                    h.update([1u8]);
                    text(h, s);
                }
            }
        }
        let mut h = Sha256::new();
        text(&mut h, HASH_DOMAIN);
        text(&mut h, workspace_id);
        h.update(self.seq.to_be_bytes());
        text(&mut h, &self.id);
        h.update(self.at_ms.to_be_bytes());
        text(&mut h, &self.action);
        text(&mut h, &self.actor_type);
        opt(&mut h, self.actor_id.as_deref());
        opt(&mut h, self.resource_type.as_deref());
        opt(&mut h, self.resource_id.as_deref());
        opt(&mut h, self.ip.as_deref());
        text(&mut h, &self.data);
        text(&mut h, &self.prev_hash);
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn assert_sealed_in(&self, workspace_id: &str) {
        assert_eq!(
            self.hash,
            self.expected_hash(workspace_id),
            "row seq {} ({}) does not hash as a row of {workspace_id}",
            self.seq,
            self.id
        );
    }
}

/// Asserts `rows` (newest first) are consecutive, each linked to its predecessor by hash.
fn assert_contiguous_chain(rows: &[Row]) {
    for w in rows.windows(2) {
        assert_eq!(w[0].seq, w[1].seq + 1, "rows must be newest first with no gap: {} then {}", w[0].seq, w[1].seq);
        assert_eq!(w[0].prev_hash, w[1].hash, "prevHash of seq {} must be the hash of seq {}", w[0].seq, w[1].seq);
    }
    if let Some(oldest) = rows.last().filter(|r| r.seq == 1) {
        assert_eq!(oldest.prev_hash, GENESIS, "the first row chains onto the genesis hash");
    }
}

fn find_by(items: &[Value], pred: impl Fn(&Value) -> bool) -> Option<&Value> {
    items.iter().find(|i| pred(i))
}

// ---------------------------------------------------------------------------------------------
// Helpers: streamed export and an RFC 4180 parser
// ---------------------------------------------------------------------------------------------

struct Streamed {
    status: u16,
    headers: Vec<(String, String)>,
    /// From sending the request to the first body byte.
    first_byte: Option<Duration>,
    total: Duration,
    body: Vec<u8>,
}

impl Streamed {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// GETs an export and reads the body incrementally (no size limit); `after_first_chunk`
/// runs as soon as the first body bytes arrived, while the rest is still streaming.
fn export_stream(who: Who, params: &[(&str, &str)], mut after_first_chunk: impl FnMut()) -> Streamed {
    let mut builder = ureq::http::Request::builder().method("GET").uri(format!("{}{}", base(), url(EXPORT, params)));
    builder = match who {
        Who::Session(s) => builder.header("cookie", &s.cookie),
        Who::Pat(t) => builder.header("authorization", format!("Bearer {t}")),
        Who::Anonymous => builder,
    };
    let request = builder.body(Vec::<u8>::new()).expect("request");
    let started = Instant::now();
    let mut response = agent().run(request).expect("worker reachable");
    let status = response.status().as_u16();
    let headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let mut reader = response.body_mut().with_config().limit(u64::MAX).reader();
    let mut body = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut first_byte = None;
    loop {
        let n = reader.read(&mut buf).expect("reading the export body");
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buf[..n]);
        if first_byte.is_none() {
            first_byte = Some(started.elapsed());
            after_first_chunk();
        }
    }
    Streamed { status, headers, first_byte, total: started.elapsed(), body }
}

/// The `type` of an export's closing checkpoint line.
const CHECKPOINT_TYPE: &str = "axissynapse.audit.checkpoint.v1";

/// The rows of an NDJSON export: every line but the closing checkpoint, which must be there.
fn ndjson_rows(body: &[u8]) -> Vec<Value> {
    let mut lines: Vec<Value> = std::str::from_utf8(body)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("NDJSON line"))
        .collect();
    let last = lines.pop().expect("an NDJSON export ends with its checkpoint line");
    assert_eq!(last["type"], CHECKPOINT_TYPE, "{last}");
    lines
}

/// One CSV field: its unescaped text and whether it was quoted on the wire.
#[derive(Debug, Clone)]
struct Field {
    text: String,
    quoted: bool,
}

/// Strict RFC 4180 §2 parser: CRLF record ends, quoted fields with doubled quotes, CR/LF
/// allowed only inside quotes, a quote only at a field's start, every record CRLF-terminated.
fn parse_csv(bytes: &[u8]) -> Vec<Vec<Field>> {
    #[derive(PartialEq)]
    enum St {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
        AfterCr,
    }
    let mut records = Vec::new();
    let mut record: Vec<Field> = Vec::new();
    let mut field: Vec<u8> = Vec::new();
    let mut quoted = false;
    let mut st = St::FieldStart;
    let finish = |field: &mut Vec<u8>, quoted: &mut bool, record: &mut Vec<Field>| {
        let text = String::from_utf8(std::mem::take(field)).expect("CSV field is UTF-8");
        record.push(Field { text, quoted: std::mem::replace(quoted, false) });
    };
    for (pos, &b) in bytes.iter().enumerate() {
        let at = || format!("at byte {pos} (record {})", records.len() + 1);
        st = match st {
            St::FieldStart => match b {
                b'"' => {
                    quoted = true;
                    St::Quoted
                }
                b',' => {
                    finish(&mut field, &mut quoted, &mut record);
                    St::FieldStart
                }
                b'\r' => St::AfterCr,
                b'\n' => panic!("bare LF outside quotes {}", at()),
                _ => {
                    field.push(b);
                    St::Unquoted
                }
            },
            St::Unquoted => match b {
                b',' => {
                    finish(&mut field, &mut quoted, &mut record);
                    St::FieldStart
                }
                b'\r' => St::AfterCr,
                b'"' => panic!("quote inside an unquoted field {}", at()),
                b'\n' => panic!("bare LF outside quotes {}", at()),
                _ => {
                    field.push(b);
                    St::Unquoted
                }
            },
            St::Quoted => {
                if b == b'"' {
                    St::QuoteInQuoted
                } else {
                    field.push(b);
                    St::Quoted
                }
            }
            St::QuoteInQuoted => match b {
                b'"' => {
                    field.push(b'"');
                    St::Quoted
                }
                b',' => {
                    finish(&mut field, &mut quoted, &mut record);
                    St::FieldStart
                }
                b'\r' => St::AfterCr,
                _ => panic!("text after a closing quote {}", at()),
            },
            St::AfterCr => {
                assert_eq!(b, b'\n', "bare CR outside quotes {}", at());
                finish(&mut field, &mut quoted, &mut record);
                records.push(std::mem::take(&mut record));
                St::FieldStart
            }
        };
    }
    assert!(
        st == St::FieldStart && record.is_empty() && field.is_empty() && !quoted,
        "CSV does not end with a complete CRLF-terminated record"
    );
    records
}

/// Undoes formula neutralisation: a leading `'` before a trigger character.
fn unneutralise(text: &str) -> String {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest.to_string(),
        _ => text.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// Query: shape, order, chain
// ---------------------------------------------------------------------------------------------

#[test]
fn query_lists_newest_first_hash_chained_entries_in_the_documented_shape() {
    let started = now_ms();
    let s = login(ADMIN);
    let name = unique("Shape");
    let (token_id, secret) = mint_pat(&s, &name);
    let who = Who::Session(&s);

    let (items, _) = query(who, &[("limit", "200")]);
    assert!(items.len() >= 2, "at least my sign-in and token rows: {items:?}");
    let rows: Vec<Row> = items.iter().map(Row::from_json).collect();
    // Unfiltered, so one workspace's rows are consecutive: newest first, each linked to the
    // previous row's hash, and each hash is the documented digest over a ws_demo row.
    assert_contiguous_chain(&rows);
    for r in &rows {
        r.assert_sealed_in("ws_demo");
    }
    assert!(rows.iter().map(|r| &r.id).collect::<HashSet<_>>().len() == rows.len(), "ids are unique");

    // My two rows, located by their unique markers.
    let (mine, _) = query(who, &[("q", &s.sid)]);
    let signin = find_by(&mine, |i| i["data"]["sessionId"] == s.sid.as_str()).expect("my sign-in is in the ledger");
    assert_eq!(signin["action"], "ACCOUNT_SIGNIN_SUCCEEDED");
    assert_eq!(signin["actor"], json!({"type": "user", "id": "u_demo_admin"}));
    assert_eq!(signin["resource"], json!({"type": "user", "id": "u_demo_admin"}));
    assert_eq!(signin["data"]["method"], "password");
    let at = parse_ts(signin["occurredAt"].as_str().unwrap());
    assert!((started - 60_000..=now_ms() + 60_000).contains(&at), "occurredAt {at} is not about now ({started})");

    let (pat_rows, _) = query(who, &[("resourceType", "pat"), ("resourceId", &token_id)]);
    assert_eq!(pat_rows.len(), 1, "{pat_rows:?}");
    let pat = &pat_rows[0];
    assert_eq!(pat["action"], "ACCOUNT_PAT_CREATED");
    assert_eq!(pat["actor"], json!({"type": "user", "id": "u_demo_admin"}));
    assert_eq!(pat["resource"], json!({"type": "pat", "id": token_id}));
    assert_eq!(pat["data"]["name"], name.as_str());
    assert_eq!(pat["data"]["tokenId"], token_id.as_str());
    assert!(!pat.to_string().contains(&secret), "the token secret must never be logged: {pat}");
    assert!(pat["seq"].as_i64() > signin["seq"].as_i64(), "minted after signing in, so a later seq");
    Row::from_json(pat).assert_sealed_in("ws_demo");

    revoke_pat(&s, &token_id);
}

// ---------------------------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------------------------

#[test]
fn filters_select_exactly_the_matching_seeded_bulk_rows() {
    let s = login(BULK_ADMIN);
    let who = Who::Session(&s);
    // Seeded rows 1..=20 (2026-01-01T00:00:01Z ..= 00:00:20Z); rows 10 and 20 are failures.
    let window = [("from", "2026-01-01T00:00:01Z"), ("to", "2026-01-01T00:00:20Z")];
    let run = |extra: &[(&str, &str)]| -> Vec<i64> {
        let mut p = window.to_vec();
        p.extend_from_slice(extra);
        p.push(("limit", "200"));
        let (items, next) = query(who, &p);
        assert!(next.is_none(), "everything fits one page: {extra:?}");
        items.iter().for_each(|i| Row::from_json(i).assert_sealed_in("ws_bulk"));
        seqs(&items)
    };
    let all: Vec<i64> = (1..=20).rev().collect();
    let succeeded: Vec<i64> = all.iter().copied().filter(|n| n % 10 != 0).collect();
    let failed = vec![20, 10];
    let none: Vec<i64> = Vec::new();

    assert_eq!(run(&[]), all);
    // action: exact, comma list, PREFIX*, mixed
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_FAILED")]), failed);
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_SUCCEEDED")]), succeeded);
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_FAILED,ACCOUNT_SIGNIN_SUCCEEDED")]), all);
    assert_eq!(
        run(&[("action", "ACCOUNT_SIGNIN_FAILED,ACCOUNT_SIGNIN_FAILED")]),
        failed,
        "a repeated code matches each row once"
    );
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_*")]), all);
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_F*")]), failed);
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_FAILED*")]), failed, "a prefix matches the whole code too");
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_FAILE")]), none, "without `*` a code is exact, not a prefix");
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_FAILEDX")]), none);
    assert_eq!(run(&[("action", "ACCOUNT_PAT_*,ACCOUNT_SIGNIN_FAILED")]), failed);
    assert_eq!(run(&[("action", "ACCOUNT_PAT_*,WORKSPACE_*")]), none);
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_S*,ACCOUNT_SIGNIN_FAILED")]), all);
    // userId (exact actor id)
    assert_eq!(run(&[("userId", "u_bulk_admin")]), all);
    assert_eq!(run(&[("userId", "u_demo_admin")]), none);
    assert_eq!(run(&[("userId", "u_bulk")]), none, "userId is exact, not a prefix");
    // resourceType + resourceId
    assert_eq!(run(&[("resourceType", "user"), ("resourceId", "u_bulk_admin")]), all);
    assert_eq!(run(&[("resourceType", "pat"), ("resourceId", "u_bulk_admin")]), none);
    assert_eq!(run(&[("resourceType", "user"), ("resourceId", "u_other_admin")]), none);
    assert_eq!(run(&[("resourceId", "u_bulk_admin")]), all);
    assert_eq!(run(&[("resourceType", "session")]), none);
    // combined filters AND together
    assert_eq!(
        run(&[("action", "ACCOUNT_SIGNIN_FAILED"), ("userId", "u_bulk_admin"), ("resourceType", "user")]),
        failed
    );
    assert_eq!(run(&[("action", "ACCOUNT_SIGNIN_FAILED"), ("userId", "u_demo_admin")]), none);
    // q: case-insensitive substring of action, resource id and data; LIKE wildcards literal
    assert_eq!(run(&[("q", "HYPERLINK")]), failed);
    assert_eq!(run(&[("q", "hyperlink")]), failed);
    assert_eq!(run(&[("q", "signin_failed")]), failed, "q searches the action");
    assert_eq!(run(&[("q", "U_BULK_ADMIN")]), all, "q searches the resource id");
    assert_eq!(run(&[("q", "\"n\":5}")]), vec![5], "q searches the data text");
    assert_eq!(run(&[("q", "INVALID%CREDENTIALS")]), none, "`%` is literal");
    assert_eq!(run(&[("q", "password\"_\"n")]), none, "`_` is literal");
    assert_eq!(run(&[("q", "INVALID_CREDENTIALS")]), failed);
    assert_eq!(run(&[("q", "no such text anywhere")]), none);

    // from / to: inclusive, millisecond precise, offsets and bare dates understood
    let times = |from: &str, to: &str| -> Vec<i64> {
        let (items, next) = query(who, &[("from", from), ("to", to), ("limit", "200")]);
        assert!(next.is_none());
        seqs(&items)
    };
    assert_eq!(times("2026-01-01T00:00:05Z", "2026-01-01T00:00:05Z"), vec![5], "both bounds inclusive");
    assert_eq!(times("2026-01-01T00:00:05.001Z", "2026-01-01T00:00:07Z"), vec![7, 6]);
    assert_eq!(times("2026-01-01T00:00:05Z", "2026-01-01T00:00:06.999Z"), vec![6, 5]);
    assert_eq!(times("2026-01-01T05:30:05+05:30", "2026-01-01T05:30:06+05:30"), vec![6, 5], "offsets convert to UTC");
    assert_eq!(times("2025-12-31T19:00:07-05:00", "2025-12-31T19:00:07-05:00"), vec![7]);
    assert_eq!(
        times("2026-01-01T13:57:21Z", "2026-01-01T13:57:30.000Z"),
        (50_241..=BULK_ROWS).rev().collect::<Vec<_>>()
    );
    assert_eq!(
        times("2025-12-31", "2026-01-01"),
        none,
        "a bare date is midnight UTC; nothing before the first seeded row"
    );
    let (items, _) = query(who, &[("to", "2026-01-01T00:00:03Z")]);
    assert_eq!(seqs(&items), vec![3, 2, 1], "`to` alone");
    let (items, _) = query(who, &[("from", "2026-01-01T13:57:28Z"), ("to", "2026-01-01T13:57:30Z")]);
    assert_eq!(seqs(&items), vec![50_250, 50_249, 50_248]);
    let (items, _) = query(who, &[("from", "2026-01-01T13:57:29Z"), ("action", "ACCOUNT_SIGNIN_SUCCEEDED")]);
    assert!(items.iter().all(|i| i["action"] == "ACCOUNT_SIGNIN_SUCCEEDED"), "`from` alone, with action");
    assert_eq!(seqs(&items).last(), Some(&50_249), "oldest match at or after 13:57:29 is seq 50249");
}

#[test]
fn filters_select_live_rows_in_the_demo_workspace() {
    let s = login(ADMIN);
    let member = login(MEMBER);
    let name = unique("Filter");
    let (token_id, _) = mint_pat(&s, &name);
    let who = Who::Session(&s);

    let (signins, _) = query(who, &[("q", &s.sid), ("action", "ACCOUNT_SIGNIN_SUCCEEDED")]);
    assert_eq!(signins.len(), 1, "my session id occurs in exactly one sign-in row: {signins:?}");
    let since = signins[0]["occurredAt"].as_str().unwrap().to_string();
    let (pat_rows, _) = query(who, &[("resourceType", "pat"), ("resourceId", &token_id)]);
    assert_eq!(pat_rows.len(), 1, "{pat_rows:?}");
    let pat = pat_rows[0].clone();
    assert_eq!(pat["action"], "ACCOUNT_PAT_CREATED");
    let pat_id = pat["id"].as_str().unwrap().to_string();
    let has = |items: &[Value], id: &str| items.iter().any(|i| i["id"] == id);
    let has_session = |items: &[Value], sid: &str| items.iter().any(|i| i["data"]["sessionId"] == sid);

    // resourceType + resourceId are exact and combined
    let (items, _) = query(who, &[("resourceType", "user"), ("resourceId", &token_id)]);
    assert!(items.is_empty(), "right id, wrong type: {items:?}");
    let (items, _) = query(who, &[("resourceId", &token_id)]);
    assert_eq!(seqs(&items), seqs(&pat_rows));

    // q: case-insensitive, matches only my uniquely named token's row
    for q in [name.clone(), name.to_uppercase(), name.to_lowercase()] {
        let (items, next) = query(who, &[("q", &q)]);
        assert_eq!(items.len(), 1, "q={q}: {items:?}");
        assert_eq!(items[0]["id"], pat_id.as_str());
        assert!(next.is_none());
    }

    // userId: only the member's rows, including the member's new sign-in
    let member_rows = walk(who, &[("userId", "u_demo_member"), ("from", &since), ("limit", "200")], |_| {});
    assert!(has_session(&member_rows, &member.sid), "member sign-in missing");
    assert!(member_rows.iter().all(|i| i["actor"]["id"] == "u_demo_member"), "{member_rows:?}");
    assert!(!has(&member_rows, &pat_id));

    // action: exact, list, prefix (restricted to rows since my sign-in to stay small)
    let pats = walk(who, &[("action", "ACCOUNT_PAT_CREATED"), ("from", &since), ("limit", "200")], |_| {});
    assert!(has(&pats, &pat_id) && !has_session(&pats, &s.sid));
    assert!(pats.iter().all(|i| i["action"] == "ACCOUNT_PAT_CREATED"));
    let list = walk(
        who,
        &[("action", "ACCOUNT_PAT_CREATED,ACCOUNT_SIGNIN_SUCCEEDED"), ("from", &since), ("limit", "200")],
        |_| {},
    );
    assert!(has(&list, &pat_id) && has_session(&list, &s.sid) && has_session(&list, &member.sid));
    assert!(list.iter().all(|i| i["action"] == "ACCOUNT_PAT_CREATED" || i["action"] == "ACCOUNT_SIGNIN_SUCCEEDED"));
    let prefix = walk(who, &[("action", "ACCOUNT_PAT_*"), ("from", &since), ("limit", "200")], |_| {});
    assert!(has(&prefix, &pat_id) && !has_session(&prefix, &s.sid));
    assert!(prefix.iter().all(|i| i["action"].as_str().unwrap().starts_with("ACCOUNT_PAT_")), "{prefix:?}");
    let broad = walk(who, &[("action", "ACCOUNT_*"), ("from", &since), ("limit", "200")], |_| {});
    assert!(has(&broad, &pat_id) && has_session(&broad, &s.sid) && has_session(&broad, &member.sid));
    let other_family = walk(who, &[("action", "WORKSPACE_*"), ("from", &since), ("limit", "200")], |_| {});
    assert!(other_family.iter().all(|i| i["action"].as_str().unwrap().starts_with("WORKSPACE_")));
    assert!(!has(&other_family, &pat_id) && !has_session(&other_family, &s.sid));
    let (items, _) =
        query(who, &[("userId", "u_demo_member"), ("action", "ACCOUNT_PAT_CREATED"), ("resourceId", &token_id)]);
    assert!(items.is_empty(), "filters AND together: {items:?}");

    // from / to around the token row's own timestamp, millisecond precise
    let at = parse_ts(pat["occurredAt"].as_str().unwrap());
    let exact = walk(who, &[("from", &fmt_ts(at, 0)), ("to", &fmt_ts(at, 0)), ("limit", "200")], |_| {});
    assert!(has(&exact, &pat_id));
    assert!(exact.iter().all(|i| parse_ts(i["occurredAt"].as_str().unwrap()) == at));
    let shifted = walk(who, &[("from", &fmt_ts(at, 330)), ("to", &fmt_ts(at, -240)), ("limit", "200")], |_| {});
    assert!(has(&shifted, &pat_id), "the same instant written with offsets");
    let after = walk(who, &[("from", &fmt_ts(at + 1, 0)), ("limit", "200")], |_| {});
    assert!(!has(&after, &pat_id));
    assert!(after.iter().all(|i| parse_ts(i["occurredAt"].as_str().unwrap()) > at));
    let (before, _) = query(who, &[("to", &fmt_ts(at - 1, 0)), ("limit", "200")]);
    assert!(!has(&before, &pat_id));
    assert!(before.iter().all(|i| parse_ts(i["occurredAt"].as_str().unwrap()) < at));

    revoke_pat(&s, &token_id);
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

#[test]
fn invalid_parameters_are_rejected_with_a_reason_naming_the_parameter() {
    let pat = admin_pat();
    let who = Who::Pat(&pat);
    let b64 = |s: &str| URL_SAFE_NO_PAD.encode(s);
    let long_q = "x".repeat(257);
    let (zero_cursor, text_cursor, padded_cursor) =
        (b64("v1.0"), b64("v1.abc"), base64::engine::general_purpose::URL_SAFE.encode("v1.42"));
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("limit", "0")], "limit"),
        (vec![("limit", "201")], "limit"),
        (vec![("limit", "-1")], "limit"),
        (vec![("limit", "ten")], "limit"),
        (vec![("limit", "")], "limit"),
        (vec![("cursor", "not a cursor!")], "cursor"),
        (vec![("cursor", &zero_cursor)], "cursor"),
        (vec![("cursor", &text_cursor)], "cursor"),
        (vec![("cursor", &padded_cursor)], "cursor"),
        (vec![("from", "2026-06-10"), ("to", "2026-06-09")], "from"),
        (vec![("from", "2026-06-09T00:00:00.001Z"), ("to", "2026-06-09T00:00:00Z")], "from"),
        (vec![("action", "account_signin_failed")], "action"),
        (vec![("action", "ACCOUNT_SIGNIN_FAILED,")], "action"),
        (vec![("action", "*")], "action"),
        (vec![("action", "ACCOUNT_*_FAILED")], "action"),
        (vec![("action", "1ACCOUNT")], "action"),
        (vec![("from", "2026-02-30")], "from"),
        (vec![("to", "yesterday")], "to"),
        (vec![("from", "2026-01-01T25:00:00Z")], "from"),
        (vec![("to", "2026-01-01 00:00:00")], "to"),
        (vec![("q", "")], "q"),
        (vec![("q", &long_q)], "q"),
        (vec![("userId", "u_demo_admin"), ("userId", "u_demo_admin")], "userId"),
    ];
    for (params, param) in &cases {
        for path in [LOG, EXPORT] {
            let body = get(who, path, params).expect_error(400, "ValidationError");
            let reason = body["reason"].as_str().unwrap_or_else(|| panic!("{path} {params:?}: no reason: {body}"));
            let prefix = format!("{param}: ");
            assert!(
                reason.starts_with(&prefix) && reason.len() > prefix.len(),
                "{path} {params:?}: reason {reason:?} should explain `{param}`"
            );
        }
    }
    // Boundaries that are valid.
    for limit in ["1", "200"] {
        let (items, _) = query(who, &[("limit", limit)]);
        assert!(items.len() <= limit.parse().unwrap());
    }
    query(who, &[("from", "2026-06-09"), ("to", "2026-06-09T00:00:00Z")]);
    query(who, &[("unknownParam", "whatever")]);
    // One value per parameter holds for every parameter, unknown ones too (issue 15).
    let body =
        get(who, LOG, &[("unknownParam", "whatever"), ("unknownParam", "twice")]).expect_error(400, "ValidationError");
    assert_eq!(body["reason"], "unknownParam: given more than once; send it once");
    // Unsupported export formats.
    for format in ["xml", "CSV", "json", ""] {
        let body = get(who, EXPORT, &[("format", format)]).expect_error(400, "ValidationError");
        assert!(body["reason"].as_str().is_some_and(|r| r.contains("format")), "format={format:?}: {body}");
    }
}

// ---------------------------------------------------------------------------------------------
// Keyset pagination
// ---------------------------------------------------------------------------------------------

#[test]
fn keyset_pagination_has_no_duplicates_or_gaps_while_rows_are_appended() {
    let s = login(ADMIN);
    let _ = login(ADMIN); // at least two rows, so there are at least two pages of one
    let who = Who::Session(&s);
    let mut inserted = Vec::new();

    // Unfiltered walk, signing in (and out) between the first pages: appended rows are newer
    // than the walk's first page and must not appear; every older row must appear once.
    let all = walk(who, &[("limit", "7")], |pages| {
        if pages <= 6 {
            let x = login(ADMIN);
            inserted.push(x.sid.clone());
            logout(&x);
        }
    });
    let head = all[0]["seq"].as_i64().unwrap();
    assert_eq!(
        seqs(&all),
        (1..=head).rev().collect::<Vec<_>>(),
        "the walk must cover seq {head}..=1 exactly once each"
    );
    let rows: Vec<Row> = all.iter().map(Row::from_json).collect();
    assert_contiguous_chain(&rows);
    assert_eq!(rows.iter().map(|r| r.id.as_str()).collect::<HashSet<_>>().len(), rows.len(), "duplicate ids");
    for sid in &inserted {
        assert!(
            !all.iter().any(|i| i["data"]["sessionId"] == sid.as_str()),
            "row appended during the walk leaked into it: {sid}"
        );
    }
    assert!(newest_seq(who) >= head + 2 * inserted.len() as i64, "the sign-ins really appended rows");

    // Filtered walk whose own filter matches the rows appended in between.
    let mut inserted_b = Vec::new();
    let signins = walk(who, &[("action", "ACCOUNT_SIGNIN_SUCCEEDED"), ("limit", "3")], |pages| {
        if pages <= 5 {
            let x = login(ADMIN);
            inserted_b.push(x.sid.clone());
            logout(&x);
        }
    });
    let got = seqs(&signins);
    assert!(got.windows(2).all(|w| w[0] > w[1]), "strictly newest first, no duplicates: {got:?}");
    assert!(signins.iter().all(|i| i["action"] == "ACCOUNT_SIGNIN_SUCCEEDED"));
    let expected_old: Vec<&Value> = all.iter().filter(|i| i["action"] == "ACCOUNT_SIGNIN_SUCCEEDED").collect();
    let got_old: Vec<&Value> = signins.iter().filter(|i| i["seq"].as_i64().unwrap() <= head).collect();
    assert_eq!(
        got_old.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
        expected_old.iter().map(|i| i["id"].clone()).collect::<Vec<_>>(),
        "the filtered walk must contain exactly the matching rows, no gaps"
    );
    for sid in &inserted_b {
        assert!(
            !signins.iter().any(|i| i["data"]["sessionId"] == sid.as_str()),
            "matching row appended during the walk leaked into it: {sid}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Isolation and access
// ---------------------------------------------------------------------------------------------

#[test]
fn one_workspace_never_sees_another_workspaces_rows() {
    let demo = login(ADMIN);
    let _ = login(ADMIN);
    let other = login(OTHER_ADMIN);
    let (d, o) = (Who::Session(&demo), Who::Session(&other));

    let (demo_page, demo_cursor) = query(d, &[("limit", "1")]);
    let demo_cursor = demo_cursor.expect("ws_demo has more than one row");
    let demo_ids: HashSet<String> =
        walk(d, &[("limit", "200")], |_| {}).iter().map(|i| i["id"].as_str().unwrap().to_string()).collect();
    assert!(demo_ids.contains(demo_page[0]["id"].as_str().unwrap()));

    let check_other = |items: &[Value]| {
        for i in items {
            let row = Row::from_json(i);
            row.assert_sealed_in("ws_other");
            assert!(!demo_ids.contains(&row.id), "ws_demo row leaked into ws_other: {i}");
            for id in [row.actor_id.as_deref(), row.resource_id.as_deref()].into_iter().flatten() {
                assert!(!DEMO_USER_IDS.contains(&id), "a ws_demo user appears in ws_other's ledger: {i}");
            }
            assert!(!i.to_string().contains(&demo.sid), "ws_demo session in ws_other's ledger: {i}");
        }
    };
    let other_all = walk(o, &[("limit", "200")], |_| {});
    assert!(
        other_all.iter().any(|i| i["data"]["sessionId"] == other.sid.as_str()),
        "other admin's own sign-in is visible"
    );
    check_other(&other_all);
    let rows: Vec<Row> = other_all.iter().map(Row::from_json).collect();
    assert_contiguous_chain(&rows);
    assert_eq!(rows.last().map(|r| r.seq), Some(1), "ws_other's chain is its own, starting at 1");

    // A cursor minted for ws_demo only positions within ws_other's own rows.
    let (with_demo_cursor, _) = query(o, &[("cursor", &demo_cursor), ("limit", "200")]);
    check_other(&with_demo_cursor);
    // Searching for ws_demo's identifiers finds nothing.
    for params in [
        vec![("q", demo.sid.as_str())],
        vec![("userId", "u_demo_admin")],
        vec![("resourceType", "user"), ("resourceId", "u_demo_admin")],
    ] {
        let (items, _) = query(o, &params);
        assert!(items.is_empty(), "{params:?} leaked: {items:?}");
    }
    // Nor does an export.
    let out = export_stream(o, &[("format", "ndjson"), ("userId", "u_demo_admin")], || {});
    assert_eq!(out.status, 200);
    assert_eq!(out.header("x-axissynapse-export-rows"), Some("0"));
    assert_eq!(ndjson_rows(&out.body), Vec::<Value>::new(), "{}", String::from_utf8_lossy(&out.body));
    let out = export_stream(o, &[("format", "ndjson")], || {});
    let lines = ndjson_rows(&out.body);
    assert!(!lines.is_empty());
    check_other(&lines);
    // And the other way round.
    let (items, _) = query(d, &[("q", &other.sid)]);
    assert!(items.is_empty(), "ws_other row visible to ws_demo: {items:?}");
}

#[test]
fn members_are_forbidden_and_anonymous_callers_unauthorized() {
    let member = login(MEMBER);
    for path in [LOG, EXPORT, VERIFY] {
        let resp = get(Who::Session(&member), path, &[]);
        resp.expect_error(403, "Forbidden");
        assert!(resp.header("x-axissynapse-export-rows").is_none());
        get(Who::Anonymous, path, &[]).expect_error(401, "Unauthorized");
        get(Who::Pat("pat_0000000000000000_notatoken"), path, &[]).expect_error(401, "Unauthorized");
        let forged =
            Session { cookie: "authjs.session-token=forged".into(), sid: String::new(), token: "forged".into() };
        get(Who::Session(&forged), path, &[]).expect_error(401, "Unauthorized");
    }
    get(Who::Session(&member), EXPORT, &[("format", "ndjson")]).expect_error(403, "Forbidden");
    // Refused exports are not audited; the admin (by PAT) sees that, and is allowed.
    let pat = admin_pat();
    let (items, _) = query(Who::Pat(&pat), &[("action", "ACCOUNT_AUDIT_LOG_EXPORTED"), ("userId", "u_demo_member")]);
    assert!(items.is_empty(), "a refused export left a ledger row: {items:?}");
    assert_eq!(get(Who::Pat(&pat), VERIFY, &[]).ok()["ok"], true);
}

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

#[test]
fn csv_export_of_the_bulk_ledger_is_streamed_capped_rfc4180_and_formula_safe() {
    // Sign-ins from "addresses" that are spreadsheet formulas put hostile text into a column.
    let hostile = ["=HYPERLINK(\"http://evil.test\",\"x\")", "+1+1", "-2+3", "@SUM(A1)"];
    let mut session = None;
    for ip in hostile {
        session = Some(login_from(BULK_ADMIN, ip));
    }
    let s = session.unwrap();
    let who = Who::Session(&s);
    let head_before = newest_seq(who);

    let out = export_stream(who, &[("format", "csv")], || {});
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body[..out.body.len().min(500)]));
    assert!(out.header("content-type").is_some_and(|c| c.starts_with("text/csv")), "{:?}", out.headers);
    assert!(
        out.header("content-disposition").is_some_and(|c| c.starts_with("attachment") && c.contains(".csv")),
        "{:?}",
        out.headers
    );
    assert_eq!(out.header("x-axissynapse-export-rows"), Some("50000"));
    assert_eq!(out.header("x-axissynapse-export-cap"), Some("50000"));
    assert_eq!(out.header("x-axissynapse-export-truncated"), Some("true"));
    // Streamed, not buffered: no length known up front, chunked on the wire.
    assert!(out.header("content-length").is_none(), "a streamed export has no content-length: {:?}", out.headers);
    assert!(
        out.header("transfer-encoding").is_some_and(|t| t.to_ascii_lowercase().contains("chunked")),
        "{:?}",
        out.headers
    );
    let first_byte = out.first_byte.expect("a body");
    if out.total > Duration::from_secs(1) {
        assert!(first_byte < out.total / 2, "first byte after {first_byte:?} of {:?}: not streamed", out.total);
    }

    let records = parse_csv(&out.body);
    assert_eq!(records[0].iter().map(|f| f.text.as_str()).collect::<Vec<_>>(), CSV_HEADER, "header record");
    let data = &records[1..];
    assert_eq!(data.len(), EXPORT_CAP, "exactly the cap's worth of data records");

    let mut rows = Vec::with_capacity(data.len());
    for rec in data {
        assert_eq!(rec.len(), CSV_HEADER.len(), "record width: {rec:?}");
        for (i, f) in rec.iter().enumerate() {
            if i == 1 {
                continue; // seq: an integer column
            }
            assert!(
                !f.text.starts_with(FORMULA_TRIGGERS),
                "formula not neutralised in column {}: {rec:?}",
                CSV_HEADER[i]
            );
            if f.text.starts_with('\'') && f.text[1..].starts_with(FORMULA_TRIGGERS) {
                assert!(f.quoted, "a neutralised field is quoted: {rec:?}");
            }
        }
        let fields: Vec<String> = rec.iter().map(|f| unneutralise(&f.text)).collect();
        rows.push(Row::from_csv(&fields));
    }
    let newest = rows[0].seq;
    assert!(newest >= head_before, "the export starts at the head as of its start ({newest} < {head_before})");
    assert_eq!(rows.last().unwrap().seq, newest - EXPORT_CAP as i64 + 1, "newest 50,000 rows");
    assert_contiguous_chain(&rows);
    for r in &rows {
        r.assert_sealed_in("ws_bulk"); // every column round-trips exactly through the CSV
    }

    // Hostile addresses are neutralised with a leading quote inside a quoted field.
    for ip in hostile {
        let rec = data
            .iter()
            .find(|rec| rec[8].text == format!("'{ip}"))
            .unwrap_or_else(|| panic!("no neutralised ip {ip:?}"));
        assert!(rec[8].quoted);
        assert_eq!(rec[3].text, "ACCOUNT_SIGNIN_SUCCEEDED");
    }
    // The seeded HYPERLINK payloads stay inert inside the quoted JSON data field.
    let failed: Vec<&Vec<Field>> = data.iter().filter(|rec| rec[3].text == "ACCOUNT_SIGNIN_FAILED").collect();
    let oldest = rows.last().unwrap().seq;
    let expected_failed = (oldest..=BULK_ROWS).filter(|n| n % 10 == 0).count();
    assert_eq!(failed.len(), expected_failed, "failed sign-ins among the exported seeded rows");
    for rec in failed {
        assert!(rec[9].quoted, "{rec:?}");
        assert_eq!(rec[9].text, r#"{"code":"INVALID_CREDENTIALS","note":"=HYPERLINK(\"x\")"}"#);
    }

    // The export is itself audited, after (so outside) its own snapshot.
    let (audits, _) = query(who, &[("action", "ACCOUNT_AUDIT_LOG_EXPORTED"), ("limit", "200")]);
    let audit = find_by(&audits, |i| {
        i["seq"].as_i64().unwrap() > newest && i["data"]["format"] == "csv" && i["data"]["filters"] == json!({})
    })
    .unwrap_or_else(|| panic!("no ACCOUNT_AUDIT_LOG_EXPORTED row for this export: {audits:?}"));
    assert_eq!(audit["data"]["rows"], 50_000);
    assert_eq!(audit["data"]["truncated"], true);
    assert_eq!(audit["actor"], json!({"type": "user", "id": "u_bulk_admin"}));
    assert_eq!(audit["resource"]["type"], "audit_log");
}

#[test]
fn filtered_ndjson_export_is_complete_and_audited_before_streaming() {
    let s = login(BULK_ADMIN);
    let who = Who::Session(&s);
    let head_before = newest_seq(who);
    let mut audited_early = None;
    let out = export_stream(who, &[("format", "ndjson"), ("action", "ACCOUNT_SIGNIN_FAILED")], || {
        let (items, _) = query(who, &[("action", "ACCOUNT_AUDIT_LOG_EXPORTED"), ("limit", "200")]);
        audited_early = find_by(&items, |i| {
            i["seq"].as_i64().unwrap() > head_before
                && i["data"]["format"] == "ndjson"
                && i["data"]["filters"]["action"] == "ACCOUNT_SIGNIN_FAILED"
        })
        .cloned();
    });
    assert_eq!(out.status, 200, "{}", String::from_utf8_lossy(&out.body[..out.body.len().min(500)]));
    assert!(out.header("content-type").is_some_and(|c| c.starts_with("application/x-ndjson")), "{:?}", out.headers);
    assert!(out.header("content-disposition").is_some_and(|c| c.contains(".ndjson")), "{:?}", out.headers);
    assert_eq!(out.header("x-axissynapse-export-rows"), Some("5025"));
    assert_eq!(out.header("x-axissynapse-export-cap"), Some("50000"));
    assert_eq!(out.header("x-axissynapse-export-truncated"), Some("false"));
    assert!(out.header("content-length").is_none(), "{:?}", out.headers);

    let text = String::from_utf8(out.body).expect("UTF-8");
    assert!(text.ends_with('\n'), "every line LF-terminated");
    let mut lines: Vec<&str> = text.split_terminator('\n').collect();
    let checkpoint: Value = serde_json::from_str(lines.pop().unwrap()).expect("the last line is JSON");
    assert_eq!(checkpoint["type"], CHECKPOINT_TYPE, "the last line is the export's checkpoint");
    assert_eq!(checkpoint["export"]["filters"], json!({"action": "ACCOUNT_SIGNIN_FAILED"}));
    assert_eq!(lines.len(), 5_025);
    for (i, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("line {i} not JSON ({e}): {line}"));
        assert_eq!(v["action"], "ACCOUNT_SIGNIN_FAILED", "line {i}");
        assert_eq!(v["seq"], BULK_ROWS - 10 * i as i64, "line {i}: newest first, none missing");
        assert_eq!(
            v["data"],
            json!({"code": "INVALID_CREDENTIALS", "note": "=HYPERLINK(\"x\")"}),
            "NDJSON carries data verbatim"
        );
        Row::from_json(&v).assert_sealed_in("ws_bulk");
    }

    let audit = audited_early.expect("the ACCOUNT_AUDIT_LOG_EXPORTED row exists before the body is streamed");
    assert_eq!(audit["data"]["rows"], 5_025);
    assert_eq!(audit["data"]["truncated"], false);
    assert_eq!(audit["data"]["filters"], json!({"action": "ACCOUNT_SIGNIN_FAILED"}));
    assert_eq!(audit["actor"], json!({"type": "user", "id": "u_bulk_admin"}));
    assert_eq!(audit["resource"]["type"], "audit_log");
    Row::from_json(&audit).assert_sealed_in("ws_bulk");
}

#[test]
fn small_exports_by_pat_carry_the_filtered_rows_and_are_audited_as_the_pat() {
    let s = login(ADMIN);
    let name = unique("Export");
    let (token_id, _) = mint_pat(&s, &name);
    let pat = admin_pat();
    let who = Who::Pat(&pat);
    let (pat_rows, _) = query(who, &[("resourceType", "pat"), ("resourceId", &token_id)]);
    assert_eq!(pat_rows.len(), 1);
    let expected = Row::from_json(&pat_rows[0]);

    // One-row CSV with the filter.
    let out = export_stream(who, &[("resourceType", "pat"), ("resourceId", &token_id)], || {});
    assert_eq!(out.status, 200);
    assert!(
        out.header("content-type").is_some_and(|c| c.starts_with("text/csv")),
        "csv is the default: {:?}",
        out.headers
    );
    assert_eq!(out.header("x-axissynapse-export-rows"), Some("1"));
    assert_eq!(out.header("x-axissynapse-export-truncated"), Some("false"));
    let records = parse_csv(&out.body);
    assert_eq!(records.len(), 2, "header + 1 record");
    let fields: Vec<String> = records[1].iter().map(|f| unneutralise(&f.text)).collect();
    let got = Row::from_csv(&fields);
    assert_eq!(
        (got.id.as_str(), got.seq, got.action.as_str()),
        (expected.id.as_str(), expected.seq, "ACCOUNT_PAT_CREATED")
    );
    assert_eq!((got.resource_type.as_deref(), got.resource_id.as_deref()), (Some("pat"), Some(token_id.as_str())));
    assert_eq!(got.hash, expected.hash);
    got.assert_sealed_in("ws_demo");
    let data: Value = serde_json::from_str(&got.data).expect("data column is the JSON text");
    assert_eq!(data["name"], name.as_str());

    let (audits, _) = query(who, &[("action", "ACCOUNT_AUDIT_LOG_EXPORTED"), ("q", &token_id)]);
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert_eq!(audits[0]["actor"], json!({"type": "pat", "id": "u_demo_admin"}), "audited as the PAT's owner, via PAT");
    assert_eq!(audits[0]["data"]["format"], "csv");
    assert_eq!(audits[0]["data"]["rows"], 1);
    assert_eq!(audits[0]["data"]["truncated"], false);
    assert_eq!(audits[0]["data"]["filters"], json!({"resourceType": "pat", "resourceId": token_id}));

    // Empty exports: CSV is just the header, NDJSON just its checkpoint; both audited with 0 rows.
    let marker = unique("Empty");
    let out = export_stream(who, &[("format", "csv"), ("q", &marker)], || {});
    assert_eq!(out.header("x-axissynapse-export-rows"), Some("0"));
    assert_eq!(String::from_utf8(out.body).unwrap(), format!("{}\r\n", CSV_HEADER.join(",")));
    let marker_nd = unique("EmptyNd");
    let out = export_stream(who, &[("format", "ndjson"), ("q", &marker_nd)], || {});
    assert_eq!(out.header("x-axissynapse-export-rows"), Some("0"));
    assert_eq!(ndjson_rows(&out.body), Vec::<Value>::new(), "no rows, only the checkpoint line");
    for (m, format) in [(&marker, "csv"), (&marker_nd, "ndjson")] {
        let (audits, _) = query(who, &[("action", "ACCOUNT_AUDIT_LOG_EXPORTED"), ("q", m)]);
        assert_eq!(audits.len(), 1, "{audits:?}");
        assert_eq!(audits[0]["data"]["rows"], 0);
        assert_eq!(audits[0]["data"]["format"], format);
        assert_eq!(audits[0]["data"]["filters"]["q"], m.as_str());
    }

    // Rejected exports leave no trace in the ledger.
    let (bad_format, bad_limit) = (unique("BadFormat"), unique("BadLimit"));
    get(who, EXPORT, &[("format", "xml"), ("q", &bad_format)]).expect_error(400, "ValidationError");
    get(who, EXPORT, &[("format", "csv"), ("limit", "0"), ("q", &bad_limit)]).expect_error(400, "ValidationError");
    for m in [&bad_format, &bad_limit] {
        let (audits, _) = query(who, &[("q", m)]);
        assert!(audits.is_empty(), "a rejected export was audited: {audits:?}");
    }

    revoke_pat(&s, &token_id);
}

// ---------------------------------------------------------------------------------------------
// Verify
// ---------------------------------------------------------------------------------------------

#[test]
fn verify_confirms_the_bulk_and_demo_chains() {
    let bulk = login(BULK_ADMIN);
    let body = get(Who::Session(&bulk), VERIFY, &[]).ok();
    assert_eq!(body["ok"], true, "{body}");
    let rows = body["rows"].as_i64().unwrap();
    assert!(rows > BULK_ROWS, "seeded rows plus my sign-in: {body}");
    assert_eq!(body["headSeq"].as_i64(), Some(rows));
    assert!(body["headHash"].as_str().is_some_and(is_hex64));
    let (items, _) = query(Who::Session(&bulk), &[("limit", "200")]);
    let head = find_by(&items, |i| i["seq"].as_i64() == Some(rows))
        .unwrap_or_else(|| panic!("row {rows} not on the newest page"));
    assert_eq!(head["hash"], body["headHash"]);

    let _ = login(ADMIN);
    let pat = admin_pat();
    let body = get(Who::Pat(&pat), VERIFY, &[]).ok();
    assert_eq!(body["ok"], true, "{body}");
    let rows = body["rows"].as_i64().unwrap();
    assert!(rows >= 1);
    assert_eq!(body["headSeq"].as_i64(), Some(rows));
    let (items, _) = query(Who::Pat(&pat), &[("limit", "200")]);
    let head = find_by(&items, |i| i["seq"].as_i64() == Some(rows))
        .unwrap_or_else(|| panic!("row {rows} not on the newest page"));
    assert_eq!(head["hash"], body["headHash"]);
}

// ---------------------------------------------------------------------------------------------
// Histogram (the portal's chart)
// ---------------------------------------------------------------------------------------------

const HISTOGRAM: &str = "/api/settings/audit-log/histogram";

/// `{hour: {category: n}}` of a histogram answer, checking each bucket's total.
fn buckets(body: &Value) -> Vec<(String, Vec<(String, i64)>)> {
    body["buckets"]
        .as_array()
        .unwrap_or_else(|| panic!("buckets: {body}"))
        .iter()
        .map(|b| {
            let counts: Vec<(String, i64)> = b["counts"]
                .as_object()
                .unwrap_or_else(|| panic!("counts: {b}"))
                .iter()
                .map(|(k, v)| (k.clone(), v.as_i64().unwrap()))
                .collect();
            assert_eq!(b["total"].as_i64(), Some(counts.iter().map(|(_, n)| n).sum::<i64>()), "{b}");
            (b["hour"].as_str().unwrap().to_string(), counts)
        })
        .collect()
}

#[test]
fn histogram_counts_the_filtered_rows_per_hour_and_category() {
    let s = login(BULK_ADMIN);
    let who = Who::Session(&s);
    // Seeded row n is at 2026-01-01T00:00:00Z + n s: hour 0 holds rows 1..=3599, later hours
    // 3600 each; every 10th row is a failed sign-in; every row is an ACCOUNT_* action.
    let window = [("from", "2026-01-01T00:00:00Z"), ("to", "2026-01-01T02:59:59.999Z")];
    let body = get(who, HISTOGRAM, &window).ok();
    assert_eq!(body["bucketMs"], 3_600_000);
    assert_eq!(body["from"], "2026-01-01T00:00:00.000Z");
    assert_eq!(body["to"], "2026-01-01T02:59:59.999Z");
    assert_eq!(body["categories"], json!(["ACCOUNT"]));
    let hours = ["2026-01-01T00:00:00.000Z", "2026-01-01T01:00:00.000Z", "2026-01-01T02:00:00.000Z"];
    let want = |counts: [i64; 3]| -> Vec<(String, Vec<(String, i64)>)> {
        hours.iter().zip(counts).map(|(h, n)| (h.to_string(), vec![("ACCOUNT".to_string(), n)])).collect()
    };
    assert_eq!(buckets(&body), want([3599, 3600, 3600]));
    // The query's filters apply.
    let mut failed = window.to_vec();
    failed.push(("action", "ACCOUNT_SIGNIN_FAILED"));
    assert_eq!(buckets(&get(who, HISTOGRAM, &failed).ok()), want([359, 360, 360]));
    let mut texts = window.to_vec();
    texts.push(("q", "\"n\":5}"));
    let only_5 = get(who, HISTOGRAM, &texts).ok();
    assert_eq!(buckets(&only_5), vec![(hours[0].to_string(), vec![("ACCOUNT".to_string(), 1)])]);
    // Hours without rows are left out; a range with none is empty.
    let empty = get(who, HISTOGRAM, &[("from", "2025-06-01T00:00:00Z"), ("to", "2025-06-02T00:00:00Z")]).ok();
    assert_eq!(empty["buckets"], json!([]));
    assert_eq!(empty["categories"], json!([]));
    // At most 31 days of hours; `from` after `to` and bad times are refused, naming the parameter.
    get(who, HISTOGRAM, &[("from", "2026-01-01T00:00:00Z"), ("to", "2026-01-31T23:59:59.999Z")]).ok();
    for (params, param) in [
        (vec![("from", "2026-01-01T00:00:00Z"), ("to", "2026-02-01T00:00:00Z")], "from"),
        (vec![("from", "2026-01-02"), ("to", "2026-01-01")], "from"),
        (vec![("to", "yesterday")], "to"),
        (vec![("action", "lower")], "action"),
    ] {
        let body = get(who, HISTOGRAM, &params).expect_error(400, "ValidationError");
        let reason = body["reason"].as_str().unwrap_or_default();
        assert!(reason.starts_with(&format!("{param}: ")), "{params:?}: {body}");
    }
    // Default range: the last 24 hours, which hold this session's sign-in.
    let recent = get(who, HISTOGRAM, &[]).ok();
    let span = parse_ts(recent["to"].as_str().unwrap()) - parse_ts(recent["from"].as_str().unwrap());
    assert_eq!(span, 24 * 3_600_000 - 1);
    assert!(recent["categories"].as_array().unwrap().contains(&json!("ACCOUNT")), "{recent}");
    // Admins only; other workspaces' rows never count.
    get(Who::Session(&login(MEMBER)), HISTOGRAM, &[]).expect_error(403, "Forbidden");
    get(Who::Anonymous, HISTOGRAM, &[]).expect_error(401, "Unauthorized");
    let demo = login(ADMIN);
    let other = get(Who::Session(&demo), HISTOGRAM, &window).ok();
    assert_eq!(other["buckets"], json!([]), "ws_demo sees none of ws_bulk's seeded history");
}
