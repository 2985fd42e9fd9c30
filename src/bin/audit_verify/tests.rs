//! Tests of `audit-verify` through `host::run`, and of `docs/audit_verify.py` answering exactly
//! as it does: NDJSON newest first and oldest first, CSV newest first and oldest first, complete
//! and filtered, with every tampering the verifiers must name.

use crate::host::run;
use axissynapse_edge::audit::checkpoint::{Checkpoint, PublicKey, SignedCheckpoint};
use axissynapse_edge::audit::export::{csv_header, csv_row, ndjson_row};
use axissynapse_edge::audit::ledger::{AuditEntry, GENESIS_HASH};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};
use std::collections::HashMap;

type Files = HashMap<&'static str, String>;

/// Rows 1..=n of `ws_1` with data the CSV and NDJSON encodings must both carry exactly; row 2's
/// `data` gets `rewrite` appended (with `""`, the original history).
fn ledger(n: i64, rewrite: &str) -> Vec<AuditEntry> {
    let mut rows: Vec<AuditEntry> = Vec::new();
    for seq in 1..=n {
        let prev = rows.last().map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone());
        let data = match seq {
            1 => "raw text, not JSON".into(),
            2 => format!(r#"{{"n":1{rewrite}}}"#),
            3 => r#""a JSON string""#.into(),
            4 => "=HYPERLINK(\"http://x\",\"y\")".into(),
            5 => json!({"z": "Zoë 東京\n\u{1}", "a": [1.5, null, true, -7]}).to_string(),
            6 => "'@not a formula, \"quoted\"\r\nsecond line".into(),
            7 => "-3.5".into(),
            _ => r#"{"n":1}"#.into(),
        };
        let row = AuditEntry {
            workspace_id: "ws_1".into(),
            seq,
            id: format!("evt_{seq}"),
            at_ms: 1_790_000_000_000 + seq,
            action: if seq % 2 == 0 { "USER_LOGIN" } else { "ACCOUNT_STEPUP_OK" }.into(),
            actor_type: "user".into(),
            actor_id: (seq % 3 != 0).then(|| "usr_1".into()),
            resource_type: (seq % 3 != 0).then(|| "session".into()),
            resource_id: (seq == 7).then(|| "-42".into()),
            ip: (seq % 2 == 0).then(|| "203.0.113.7".into()),
            data,
            prev_hash: prev,
            hash: String::new(),
        };
        rows.push(row.seal());
    }
    rows
}

/// A checkpoint of `rows` at `seq`, signed by key byte `key` as `kid`, with the `export`
/// member when `filters` is given.
fn checkpoint(rows: &[AuditEntry], seq: i64, kid: &str, key: u8, filters: Option<Value>) -> String {
    let c = Checkpoint {
        workspace_id: "ws_1".into(),
        seq,
        hash: if seq == 0 { GENESIS_HASH.to_owned() } else { rows[seq as usize - 1].hash.clone() },
        time_ms: 1_790_000_100_000 + seq,
        key_id: kid.into(),
    };
    let signature = SigningKey::from_bytes(&[key; 32]).sign(&c.signing_bytes()).to_bytes();
    let mut v = SignedCheckpoint { checkpoint: c, signature }.to_json();
    if let Some(filters) = filters {
        v["export"] = json!({ "filters": filters, "order": "newest-first" });
    }
    v.to_string()
}

fn keys() -> String {
    let public = PublicKey {
        kid: "k1".into(),
        x: SigningKey::from_bytes(&[7; 32]).verifying_key().to_bytes(),
        not_before_ms: None,
        not_after_ms: None,
    };
    json!({ "keys": [public.to_jwk()] }).to_string()
}

#[derive(Clone, Copy, Debug)]
enum Format {
    Ndjson { newest_first: bool },
    Csv { newest_first: bool },
}

const FORMATS: [Format; 4] = [
    Format::Ndjson { newest_first: true },
    Format::Ndjson { newest_first: false },
    Format::Csv { newest_first: true },
    Format::Csv { newest_first: false },
];

/// The export file (named `export`, whatever its format), its checkpoint and the keys.
fn files(rows: &[AuditEntry], cp: &str, format: Format) -> Files {
    let ordered = |newest_first: bool| {
        let mut v: Vec<&AuditEntry> = rows.iter().collect();
        if newest_first {
            v.reverse();
        }
        v
    };
    let mut f = HashMap::from([("keys.json", keys())]);
    match format {
        Format::Ndjson { newest_first } => {
            f.insert("export", ordered(newest_first).into_iter().map(ndjson_row).collect::<String>() + cp + "\n");
        }
        Format::Csv { newest_first } => {
            f.insert("export", csv_header() + &ordered(newest_first).into_iter().map(csv_row).collect::<String>());
            f.insert("export.checkpoint.json", cp.to_owned());
        }
    }
    f
}

fn args(format: Format, earlier: bool) -> Vec<&'static str> {
    let mut a = vec!["export", "--keys", "keys.json"];
    if matches!(format, Format::Csv { .. }) {
        a.extend(["--export-checkpoint", "export.checkpoint.json"]);
    }
    if earlier {
        a.extend(["--checkpoint", "earlier.json"]);
    }
    a
}

fn run_with(files: &Files, args: &[&str]) -> (i32, String) {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    run(&args, |path| files.get(path).cloned().ok_or_else(|| "no such file".to_owned()))
}

/// `AXIS_PYTHON` if set, else `python3`: it must have the `cryptography` package.
fn interpreter() -> String {
    std::env::var("AXIS_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The same files through `docs/audit_verify.py`: exit status and message, as `run` gives them.
fn python(files: &Files, args: &[&str]) -> (i32, String) {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("audit-verify-py-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/audit_verify.py");
    let python = interpreter();
    let out = std::process::Command::new(&python)
        .arg(script)
        .args(args)
        .current_dir(&dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python} (set AXIS_PYTHON to a Python with `cryptography`): {e}"));
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("ModuleNotFoundError"),
        "{python} lacks the `cryptography` package: set AXIS_PYTHON to a Python that has it\n{stderr}"
    );
    let text = String::from_utf8(if out.status.success() { out.stdout } else { out.stderr }).unwrap();
    (out.status.code().unwrap(), text.trim_end().to_owned())
}

/// Every tampering, in every format and order: the Rust answer is the expected one, and the
/// Python verifier gives exactly the same (status and message).
#[test]
fn both_verifiers_name_every_tampering_alike_in_every_format_and_order() {
    let rows = ledger(8, "");
    let complete = Some(json!({}));
    let good_cp = checkpoint(&rows, 8, "k1", 7, complete.clone());
    let mut altered = rows.clone();
    altered[3].id = "evt_5".into();
    let mut dropped = rows.clone();
    dropped.remove(2);
    let mut swapped = rows.clone();
    swapped.swap(1, 2);
    let rewritten = ledger(8, r#","x":2"#);
    let filters = Some(json!({"action": "USER_*", "from": "2026-09-21T00:00:00.000Z"}));
    let even: Vec<AuditEntry> = rows.iter().filter(|r| r.seq % 2 == 0).cloned().collect();
    let mut even_altered = even.clone();
    even_altered[1].data = r#"{"n":2}"#.into();
    let filtered_cp = checkpoint(&rows, 8, "k1", 7, filters.clone());
    let cases: Vec<(&str, &[AuditEntry], String, bool, &str)> = vec![
        ("good", &rows, good_cp.clone(), true, "OK workspace ws_1 rows 1..=8 (8 rows) head "),
        ("one-byte change", &altered, good_cp.clone(), false, "FAIL seq 4: altered field"),
        ("dropped row", &dropped, good_cp.clone(), false, "FAIL seq 3: dropped row (the next row is seq 4)"),
        ("swapped pair", &swapped, good_cp.clone(), false, "FAIL seq 2: reordered rows (seq 3 came in its place)"),
        ("newest rows cut", &rows[..6], good_cp.clone(), false, "FAIL seq 7: truncated tail (rows stop at seq 6"),
        ("oldest rows cut", &rows[2..], good_cp.clone(), false, "FAIL seq 2: oldest rows missing"),
        ("unpublished key", &rows, checkpoint(&rows, 8, "k9", 8, complete.clone()), false, "FAIL unknown key"),
        ("right kid, wrong key", &rows, checkpoint(&rows, 8, "k1", 8, complete.clone()), false, "FAIL bad signature"),
        (
            "rewritten history",
            &rewritten,
            checkpoint(&rewritten, 8, "k1", 7, complete),
            true,
            "FAIL seq 3: the checkpoint does not extend the earlier one: history rewritten",
        ),
        (
            "filtered",
            &even,
            filtered_cp.clone(),
            true,
            "OK FILTERED export of workspace ws_1 (filters {\"action\":\"USER_*\"",
        ),
        ("filtered, altered row", &even_altered, filtered_cp, false, "FAIL seq 4: altered field"),
    ];
    let earlier = checkpoint(&rows, 3, "k1", 7, None);
    for (name, tampered, cp, with_earlier, expected) in &cases {
        for format in FORMATS {
            let mut f = files(tampered, cp, format);
            f.insert("earlier.json", earlier.clone());
            let args = args(format, *with_earlier);
            let rust = run_with(&f, &args);
            assert!(rust.1.starts_with(expected), "{name}, {format:?}: {}", rust.1);
            assert_eq!(rust.0, if expected.starts_with("OK") { 0 } else { 1 }, "{name}, {format:?}: {}", rust.1);
            assert_eq!(python(&f, &args), rust, "{name}, {format:?}");
        }
    }
}

#[test]
fn filtered_report_names_the_gaps_and_the_earlier_checkpoint() {
    let rows = ledger(8, "");
    let even: Vec<AuditEntry> = rows.iter().filter(|r| r.seq % 2 == 0).cloned().collect();
    let cp = checkpoint(&rows, 8, "k1", 7, Some(json!({"action": "USER_*"})));
    let mut f = files(&even, &cp, Format::Ndjson { newest_first: true });
    f.insert("earlier.json", checkpoint(&rows, 4, "k1", 7, None));
    let (code, message) = run_with(&f, &args(Format::Ndjson { newest_first: true }, true));
    assert_eq!(code, 0, "{message}");
    let lines: Vec<&str> = message.lines().collect();
    assert!(lines[0].contains("4 rows verified individually"), "{message}");
    assert_eq!(lines[1], "filtered out (not in this export): 1, 3, 5, 7 (4 rows in 4 ranges)");
    assert_eq!(lines[2], "linked to the signed head: rows 8..=8");
    assert!(lines[3].starts_with("earlier checkpoint at seq 4: its row is in this export"), "{message}");
    assert_eq!(python(&f, &args(Format::Ndjson { newest_first: true }, true)), (code, message));
}

#[test]
fn csv_export_of_50000_rows_verifies() {
    let n = 50_000;
    let mut rows: Vec<AuditEntry> = ledger(8, "");
    rows.reserve(n);
    for seq in 9..=n as i64 {
        let prev = rows[seq as usize - 2].hash.clone();
        rows.push(AuditEntry { seq, id: format!("evt_{seq}"), prev_hash: prev, ..rows[7].clone() }.seal());
    }
    let cp = checkpoint(&rows, n as i64, "k1", 7, Some(json!({})));
    let f = files(&rows, &cp, Format::Csv { newest_first: true });
    let (code, message) = run_with(&f, &args(Format::Csv { newest_first: true }, false));
    assert_eq!(code, 0, "{message}");
    assert!(message.starts_with("OK workspace ws_1 rows 1..=50000 (50000 rows)"), "{message}");
}

#[test]
fn checkpoint_sources_and_usage_errors_exit_2() {
    let rows = ledger(2, "");
    let cp = checkpoint(&rows, 2, "k1", 7, Some(json!({})));
    let ndjson = files(&rows, &cp, Format::Ndjson { newest_first: true });
    let csv = files(&rows, &cp, Format::Csv { newest_first: true });
    assert_eq!(run_with(&ndjson, &["export"]).0, 2);
    assert_eq!(run_with(&ndjson, &["export", "--keys"]).0, 2);
    assert_eq!(run_with(&ndjson, &["export", "--keys", "keys.json", "--bogus", "x"]).0, 2);
    let (code, message) = run_with(&ndjson, &["missing", "--keys", "keys.json"]);
    assert_eq!((code, message.as_str()), (2, "missing: no such file"));
    // CSV needs its checkpoint; NDJSON carries its own, so a second one is refused.
    let (code, message) = run_with(&csv, &["export", "--keys", "keys.json"]);
    assert_eq!(code, 2);
    assert!(message.contains("--export-checkpoint"), "{message}");
    let mut both = ndjson.clone();
    both.insert("export.checkpoint.json", cp.clone());
    assert_eq!(run_with(&both, &args(Format::Csv { newest_first: true }, false)).0, 2);
    // NDJSON without its checkpoint line takes one given beside it.
    let mut bare = ndjson.clone();
    let text = &ndjson["export"];
    bare.insert("export", text[..text.trim_end().rfind('\n').unwrap() + 1].to_owned());
    assert_eq!(run_with(&bare, &["export", "--keys", "keys.json"]).0, 2);
    bare.insert("export.checkpoint.json", cp);
    assert_eq!(run_with(&bare, &args(Format::Csv { newest_first: true }, false)).0, 0);
    for f in [&ndjson, &csv, &bare] {
        for args in [&["export"][..], &["missing", "--keys", "keys.json"][..]] {
            assert_eq!(python(f, args).0, 2, "{args:?}");
        }
    }
}
