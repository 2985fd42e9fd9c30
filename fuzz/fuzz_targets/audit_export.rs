//! The offline export verifier's parsers and checks (`audit::verify_export`, `audit::csv_read`,
//! `audit::checkpoint`).
//!
//! The input, when UTF-8, is read as:
//! * an NDJSON export (`parse_ndjson`); when it parses with its checkpoint line, `verify_export`
//!   runs with a signature check that always passes (so every row check is reached), without and
//!   with the same checkpoint as the earlier one;
//! * a CSV export (`parse_csv`, whether or not `is_csv` says so); its rows are verified against
//!   a checkpoint of their newest row, complete and filtered;
//! * JSON: `ExportCheckpoint::from_json`, `SignedCheckpoint::from_json`, `keys_from_jwks`.
//!
//! Nothing may panic, and a verified export's summary must add up: its `rows`, its head at the
//! checkpoint's `seq`, and in filtered mode rows plus filtered-out seqs are exactly `1..=seq`.
#![no_main]

use axissynapse_edge::audit::checkpoint::{keys_from_jwks, Checkpoint, PublicKey, SignedCheckpoint};
use axissynapse_edge::audit::csv_read::{is_csv, parse_csv};
use axissynapse_edge::audit::verify_export::{
    parse_ndjson, verify_export, ExportCheckpoint, ExportInfo, ExportRow, Mode,
};
use libfuzzer_sys::fuzz_target;

fn keys(kid: &str) -> Vec<PublicKey> {
    vec![PublicKey { kid: kid.to_owned(), x: [0; 32], not_before_ms: None, not_after_ms: None }]
}

fn check(rows: &[ExportRow], cp: &ExportCheckpoint, earlier: Option<&SignedCheckpoint>) {
    let c = &cp.signed.checkpoint;
    let Ok(summary) = verify_export(rows, cp, earlier, &keys(&c.key_id), |_| true) else { return };
    assert_eq!(summary.rows, rows.len() as u64);
    assert_eq!((summary.head_seq, &summary.head_hash), (c.seq, &c.hash));
    match &summary.mode {
        Mode::Chain if !rows.is_empty() => assert_eq!(c.seq - summary.first_seq + 1, rows.len() as i64),
        Mode::Chain => assert_eq!(c.seq, 0),
        Mode::Filtered { filtered_out, .. } => {
            let gaps: i64 = filtered_out.iter().map(|(a, b)| b - a + 1).sum();
            assert_eq!(gaps + rows.len() as i64, c.seq);
        }
    }
    assert!(!summary.to_string().is_empty());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok((rows, Some(cp))) = parse_ndjson(text) {
        check(&rows, &cp, None);
        check(&rows, &cp, Some(&cp.signed));
    }

    let _ = is_csv(text);
    if let Ok(rows) = parse_csv(text) {
        let newest = rows.iter().max_by_key(|r| r.entry.seq);
        let (seq, hash) = newest.map_or((0, "0".repeat(64)), |r| (r.entry.seq, r.entry.hash.clone()));
        let c = Checkpoint { workspace_id: "ws_1".into(), seq, hash, time_ms: 0, key_id: "k1".into() };
        let signed = SignedCheckpoint { checkpoint: c, signature: [0; 64] };
        for filters in [vec![], vec![("action".to_owned(), "USER_*".to_owned())]] {
            let cp = ExportCheckpoint { signed: signed.clone(), export: Some(ExportInfo { filters }) };
            check(&rows, &cp, None);
        }
    }

    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        if let Ok(cp) = ExportCheckpoint::from_json(&v) {
            assert_eq!(SignedCheckpoint::from_json(&v).ok(), Some(cp.signed.clone()));
            assert_eq!(SignedCheckpoint::from_json(&cp.signed.to_json()).ok(), Some(cp.signed));
        }
        if let Ok(keys) = keys_from_jwks(&v) {
            for k in keys {
                assert_eq!(PublicKey::from_jwk(&k.to_jwk()).ok(), Some(k));
            }
        }
    }
});
