//! Tests of `verify_export`: chain and filtered modes, both row orders, every named failure.

use super::*;
use crate::audit::checkpoint::tests::{public_key, sign, signing_key};
use crate::audit::checkpoint::{verify_ed25519, Checkpoint};
use crate::audit::export::ndjson_row;
use crate::audit::ledger::tests::entry;
use serde_json::json;

const T: i64 = 1_790_000_000_000;

/// A sealed chain of rows 1..=n of `ws_1`, with varied `data` shapes.
fn chain(n: i64) -> Vec<AuditEntry> {
    let mut rows: Vec<AuditEntry> = Vec::new();
    for seq in 1..=n {
        let prev = rows.last().map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone());
        let mut e = entry(seq, &prev);
        e.data = match seq % 4 {
            0 => json!({"z": 1, "a": [1.5, null, "x"], "m": {"k": true}}).to_string(),
            1 => json!("a JSON string").to_string(),
            2 => "raw text, not JSON".into(),
            _ => json!({"method": "password", "n": seq}).to_string(),
        };
        if seq % 3 == 0 {
            e.resource_type = None;
            e.resource_id = None;
            e.ip = None;
            e.actor_id = None;
        }
        rows.push(e.seal());
    }
    rows
}

/// `rows` with row 2's data changed and every later row resealed: a self-consistent rewrite.
fn rewrite_second_row(rows: &[AuditEntry]) -> Vec<AuditEntry> {
    let mut rewritten = rows.to_vec();
    rewritten[1].data = r#"{"method":"nothing happened"}"#.into();
    for i in 1..rewritten.len() {
        rewritten[i].prev_hash = rewritten[i - 1].hash.clone();
        rewritten[i] = rewritten[i].clone().seal();
    }
    rewritten
}

fn checkpoint_of(rows: &[AuditEntry], seq: i64, kid: &str, key: u8) -> SignedCheckpoint {
    let hash = if seq == 0 { GENESIS_HASH.to_owned() } else { rows[seq as usize - 1].hash.clone() };
    let c = Checkpoint { workspace_id: "ws_1".into(), seq, hash, time_ms: T + seq, key_id: kid.into() };
    sign(c, &signing_key(key))
}

fn ndjson(rows: &[AuditEntry], cp: Option<&SignedCheckpoint>) -> String {
    let mut text: String = rows.iter().map(ndjson_row).collect();
    if let Some(cp) = cp {
        text += &(cp.to_json().to_string() + "\n");
    }
    text
}

fn keys() -> Vec<PublicKey> {
    vec![public_key(1, "k1")]
}

/// Parses the NDJSON text and verifies it against its own checkpoint line.
fn verify_text(text: &str, earlier: Option<&SignedCheckpoint>) -> Result<ExportSummary, VerifyError> {
    let (rows, cp) = parse_ndjson(text).unwrap();
    verify_export(&rows, &cp.unwrap(), earlier, &keys(), verify_ed25519)
}

fn verify_rows(rows: &[AuditEntry], cp: &SignedCheckpoint) -> Result<ExportSummary, VerifyError> {
    verify_text(&ndjson(rows, Some(cp)), None)
}

#[test]
fn good_chain_verifies_from_ndjson_with_its_checkpoint() {
    let rows = chain(12);
    let cp = checkpoint_of(&rows, 12, "k1", 1);
    assert_eq!(
        verify_rows(&rows, &cp),
        Ok(ExportSummary {
            workspace_id: "ws_1".into(),
            mode: Mode::Chain,
            rows: 12,
            first_seq: 1,
            linked_from: Some(1),
            head_seq: 12,
            head_hash: rows[11].hash.clone(),
            key_id: "k1".into(),
            time_ms: T + 12,
            earlier: None,
        })
    );
}

#[test]
fn export_of_50000_rows_verifies() {
    let rows = chain(50_000);
    let cp = checkpoint_of(&rows, 50_000, "k1", 1);
    let summary = verify_rows(&rows, &cp).unwrap();
    assert_eq!((summary.rows, summary.head_seq), (50_000, 50_000));
}

#[test]
fn parsed_rows_are_the_ledger_rows() {
    let rows = chain(4);
    let (parsed, cp) = parse_ndjson(&ndjson(&rows, None)).unwrap();
    assert!(cp.is_none());
    for (p, e) in parsed.iter().zip(&rows) {
        assert_eq!(p.alternatives.len(), usize::from(e.seq <= 2), "seq 1 holds a JSON string, seq 2 raw text");
        let data = if e.seq == 2 { p.alternatives[0].data.clone() } else { p.entry.data.clone() };
        assert_eq!(AuditEntry { workspace_id: "ws_1".into(), data, ..p.entry.clone() }, *e);
    }
}

#[test]
fn empty_ledger_verifies_against_genesis_checkpoint() {
    let cp = checkpoint_of(&[], 0, "k1", 1);
    let summary = verify_rows(&[], &cp).unwrap();
    assert_eq!((summary.rows, summary.head_seq, summary.head_hash), (0, 0, GENESIS_HASH.to_owned()));
}

#[test]
fn suffix_export_verifies_and_reports_its_first_seq() {
    let rows = chain(8);
    let cp = checkpoint_of(&rows, 8, "k1", 1);
    let summary = verify_rows(&rows[4..], &cp).unwrap();
    assert_eq!((summary.first_seq, summary.rows), (5, 4));
}

#[test]
fn one_byte_change_in_a_row_is_altered_row_at_its_seq() {
    let rows = chain(6);
    let cp = checkpoint_of(&rows, 6, "k1", 1);
    let text = ndjson(&rows, Some(&cp));
    // Each of these one-byte edits is inside row 4's line.
    let line4_start = text.match_indices('\n').nth(2).unwrap().0 + 1;
    for (from, to) in [("USER_LOGIN", "USER_LOGIM"), ("evt_0004", "evt_0005"), ("\"z\":1", "\"z\":2")] {
        let at = line4_start + text[line4_start..].find(from).unwrap();
        let edited = format!("{}{}{}", &text[..at], to, &text[at + from.len()..]);
        assert_eq!(verify_text(&edited, None), Err(VerifyError::AlteredRow { seq: 4 }), "{from}");
    }
}

#[test]
fn edited_raw_text_data_is_altered_row() {
    let mut rows = chain(3);
    let cp = checkpoint_of(&rows, 3, "k1", 1);
    rows[1].data = "raw text, not JSON!".into();
    assert_eq!(verify_rows(&rows, &cp), Err(VerifyError::AlteredRow { seq: 2 }));
}

#[test]
fn altered_and_resealed_row_is_broken_link_at_the_next_seq() {
    let mut rows = chain(5);
    let cp = checkpoint_of(&rows, 5, "k1", 1);
    let original = rows[2].hash.clone();
    rows[2].action = "USER_LOGOUT".into();
    rows[2] = rows[2].clone().seal();
    assert_eq!(
        verify_rows(&rows, &cp),
        Err(VerifyError::BrokenLink { seq: 4, expected: rows[2].hash.clone(), found: original })
    );
}

#[test]
fn dropped_row_is_dropped_row_at_the_missing_seq() {
    let mut rows = chain(5);
    let cp = checkpoint_of(&rows, 5, "k1", 1);
    rows.remove(2);
    let err = verify_rows(&rows, &cp).unwrap_err();
    assert_eq!(err, VerifyError::DroppedRow { expected: 3, found: 4 });
    assert_eq!(err.seq(), Some(3));
}

#[test]
fn swapped_pair_is_reordered_at_the_first_out_of_place_seq() {
    let mut rows = chain(5);
    let cp = checkpoint_of(&rows, 5, "k1", 1);
    rows.swap(2, 3);
    assert_eq!(verify_rows(&rows, &cp), Err(VerifyError::Reordered { expected: 3, found: 4 }));
}

#[test]
fn repeated_row_is_reordered() {
    let mut rows = chain(4);
    let cp = checkpoint_of(&rows, 4, "k1", 1);
    rows.insert(2, rows[1].clone());
    assert_eq!(verify_rows(&rows, &cp), Err(VerifyError::Reordered { expected: 3, found: 2 }));
}

#[test]
fn row_numbered_below_one_is_refused_as_out_of_order() {
    let mut rows = chain(2);
    let cp = checkpoint_of(&rows, 2, "k1", 1);
    rows[0].seq = 0;
    rows[0] = rows[0].clone().seal();
    assert_eq!(verify_rows(&rows, &cp), Err(VerifyError::Reordered { expected: 1, found: 0 }));
}

#[test]
fn cut_tail_is_truncated_tail_after_the_last_row() {
    let rows = chain(6);
    let cp = checkpoint_of(&rows, 6, "k1", 1);
    let err = verify_rows(&rows[..4], &cp).unwrap_err();
    assert_eq!(err, VerifyError::TruncatedTail { checkpoint_seq: 6, last_seq: 4 });
    assert_eq!(err.seq(), Some(5));
    assert_eq!(verify_rows(&[], &cp), Err(VerifyError::TruncatedTail { checkpoint_seq: 6, last_seq: 0 }));
}

#[test]
fn rows_past_the_checkpoint_are_not_signed() {
    let rows = chain(6);
    let cp = checkpoint_of(&rows, 4, "k1", 1);
    assert_eq!(verify_rows(&rows, &cp), Err(VerifyError::RowsAfterCheckpoint { checkpoint_seq: 4, last_seq: 6 }));
}

#[test]
fn resealed_last_row_is_head_mismatch() {
    let mut rows = chain(4);
    let cp = checkpoint_of(&rows, 4, "k1", 1);
    rows[3].data = "{}".into();
    rows[3] = rows[3].clone().seal();
    assert!(matches!(verify_rows(&rows, &cp), Err(VerifyError::HeadMismatch { seq: 4, .. })));
}

#[test]
fn rows_of_another_workspace_fail_their_hash() {
    let rows = chain(3);
    let c = Checkpoint { workspace_id: "ws_2".into(), ..checkpoint_of(&rows, 3, "k1", 1).checkpoint };
    let cp = sign(c, &signing_key(1));
    assert_eq!(verify_rows(&rows, &cp), Err(VerifyError::AlteredRow { seq: 1 }));
}

#[test]
fn forged_checkpoint_with_wrong_key_is_bad_signature() {
    let rows = chain(3);
    let forged = checkpoint_of(&rows, 3, "k1", 2);
    let err = verify_rows(&rows, &forged).unwrap_err();
    assert_eq!(err, VerifyError::BadSignature { kid: "k1".into(), earlier: false });
    assert_eq!(err.seq(), None);
}

#[test]
fn checkpoint_with_unpublished_kid_is_unknown_key() {
    let rows = chain(3);
    assert_eq!(
        verify_rows(&rows, &checkpoint_of(&rows, 3, "k7", 1)),
        Err(VerifyError::UnknownKey { kid: "k7".into(), earlier: false })
    );
}

#[test]
fn later_checkpoint_extends_an_earlier_one() {
    let rows = chain(9);
    let earlier = checkpoint_of(&rows, 4, "k1", 1);
    let later = checkpoint_of(&rows, 9, "k1", 1);
    assert!(verify_text(&ndjson(&rows, Some(&later)), Some(&earlier)).is_ok());
    // The rows need only reach back to the earlier head.
    assert!(verify_text(&ndjson(&rows[4..], Some(&later)), Some(&earlier)).is_ok());
    assert!(verify_text(&ndjson(&rows, Some(&later)), Some(&later)).is_ok());
}

#[test]
fn rewritten_history_under_an_old_checkpoint_is_not_an_extension() {
    let rows = chain(9);
    let earlier = checkpoint_of(&rows, 4, "k1", 1);
    // Row 2 rewritten and everything after it resealed, then a fresh valid checkpoint.
    let rewritten = rewrite_second_row(&rows);
    let later = checkpoint_of(&rewritten, 9, "k1", 1);
    let text = ndjson(&rewritten, Some(&later));
    assert!(verify_text(&text, None).is_ok(), "the rewrite alone is self-consistent");
    assert_eq!(
        verify_text(&text, Some(&earlier)),
        Err(VerifyError::NotAnExtension {
            earlier_seq: 4,
            reason: ExtensionBreak::HashDiffers { expected: rows[3].hash.clone(), found: rewritten[3].hash.clone() }
        })
    );
}

#[test]
fn extension_needs_rows_back_to_the_earlier_head_same_workspace_and_order() {
    let rows = chain(9);
    let earlier = checkpoint_of(&rows, 4, "k1", 1);
    let later = checkpoint_of(&rows, 9, "k1", 1);
    assert_eq!(
        verify_text(&ndjson(&rows[6..], Some(&later)), Some(&earlier)),
        Err(VerifyError::NotAnExtension { earlier_seq: 4, reason: ExtensionBreak::NotCovered { first_seq: 7 } })
    );
    let newer = checkpoint_of(&rows, 9, "k1", 1);
    let older = checkpoint_of(&rows, 4, "k1", 1);
    assert_eq!(
        verify_text(&ndjson(&rows[..4], Some(&older)), Some(&newer)),
        Err(VerifyError::NotAnExtension { earlier_seq: 9, reason: ExtensionBreak::Older { later_seq: 4 } })
    );
    let other = sign(Checkpoint { workspace_id: "ws_2".into(), ..earlier.checkpoint.clone() }, &signing_key(1));
    assert_eq!(
        verify_text(&ndjson(&rows, Some(&later)), Some(&other)),
        Err(VerifyError::NotAnExtension { earlier_seq: 4, reason: ExtensionBreak::OtherWorkspace })
    );
}

#[test]
fn forged_earlier_checkpoint_is_bad_signature_marked_earlier() {
    let rows = chain(5);
    let earlier = checkpoint_of(&rows, 2, "k1", 3);
    let later = checkpoint_of(&rows, 5, "k1", 1);
    assert_eq!(
        verify_text(&ndjson(&rows, Some(&later)), Some(&earlier)),
        Err(VerifyError::BadSignature { kid: "k1".into(), earlier: true })
    );
}

/// No-panic sweep of the parser and verifier: 2,000 exports with random byte edits
/// (flip, insert, delete, splice a structural character); any change that still parses must
/// still be refused or verify to the same head (a change JSON treats as equivalent, such as
/// whitespace), never panic.
#[test]
fn mutated_exports_never_panic_and_never_verify_to_another_head() {
    let rows = chain(6);
    let cp = checkpoint_of(&rows, 6, "k1", 1);
    let earlier = checkpoint_of(&rows, 3, "k1", 1);
    let good = ndjson(&rows, Some(&cp)).into_bytes();
    let mut rng = crate::test_rng::Rng(20);
    let mut verified = 0;
    for case in 0..2_000 {
        let mut bytes = good.clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(bytes.len());
            match rng.below(4) {
                0 => bytes[at] ^= 1 << rng.below(8),
                1 => bytes.insert(at, rng.pick(b"{}[]\",:0a\n -")),
                2 => {
                    bytes.remove(at);
                }
                _ => bytes[at] = rng.pick(b"{}[]\",:0a\n -"),
            }
        }
        let Ok(text) = String::from_utf8(bytes) else { continue };
        let Ok((parsed, Some(signed))) = parse_ndjson(&text) else { continue };
        verified += 1;
        for prior in [None, Some(&earlier)] {
            if let Ok(summary) = verify_export(&parsed, &signed, prior, &keys(), verify_ed25519) {
                assert_eq!((summary.head_seq, &summary.head_hash), (6, &cp.checkpoint.hash), "case {case}: {text}");
                assert_eq!(summary.rows, 6, "case {case}: {text}");
            }
        }
    }
    assert!(verified > 200, "only {verified} mutated exports reached the verifier");
}

#[test]
fn parse_refuses_malformed_lines_with_their_number() {
    let rows = chain(2);
    let cp = checkpoint_of(&rows, 2, "k1", 1);
    let good = ndjson(&rows, Some(&cp));
    assert_eq!(parse_ndjson("{\"id\":1}\n").unwrap_err().line, 1);
    assert_eq!(parse_ndjson(&(good.clone() + "{}\n")).unwrap_err().line, 4);
    let not_json = good.replacen("{", "[", 1);
    assert_eq!(parse_ndjson(&not_json).unwrap_err().line, 1);
    let other_time = good.replacen(".626Z", ".626+00:00", 1);
    assert!(parse_ndjson(&other_time).unwrap_err().reason.contains("occurredAt"));
}

// --- newest-first exports with their `export` member (the worker's format) ---------------------

/// The checkpoint line the worker writes: the signed checkpoint plus `export`.
fn export_line(cp: &SignedCheckpoint, filters: Value) -> String {
    let mut v = cp.to_json();
    v["export"] = json!({ "filters": filters, "order": "newest-first" });
    v.to_string() + "\n"
}

/// `rows` (ascending) written newest first or oldest first, then the checkpoint line.
fn export(rows: &[AuditEntry], newest_first: bool, cp: &SignedCheckpoint, filters: Value) -> String {
    let mut ordered: Vec<&AuditEntry> = rows.iter().collect();
    if newest_first {
        ordered.reverse();
    }
    ordered.into_iter().map(ndjson_row).collect::<String>() + &export_line(cp, filters)
}

fn complete(rows: &[AuditEntry], newest_first: bool, cp: &SignedCheckpoint) -> Result<ExportSummary, VerifyError> {
    verify_text(&export(rows, newest_first, cp, json!({})), None)
}

#[test]
fn newest_first_and_oldest_first_exports_verify_alike() {
    let rows = chain(9);
    let cp = checkpoint_of(&rows, 9, "k1", 1);
    let newest = complete(&rows, true, &cp).unwrap();
    assert_eq!(newest, complete(&rows, false, &cp).unwrap());
    assert_eq!((&newest.mode, newest.rows, newest.first_seq, newest.head_seq), (&Mode::Chain, 9, 1, 9));
    assert!(newest.to_string().starts_with("OK workspace ws_1 rows 1..=9 (9 rows) head "), "{newest}");
    // One row, or none, is trivially ordered.
    assert!(complete(&rows[..1], true, &checkpoint_of(&rows, 1, "k1", 1)).is_ok());
    assert!(complete(&[], true, &checkpoint_of(&[], 0, "k1", 1)).is_ok());
}

/// Each tampering, applied to the ascending rows, then written in both orders.
#[test]
fn every_tampering_is_caught_and_named_alike_in_both_orders() {
    let rows = chain(8);
    let cp = checkpoint_of(&rows, 8, "k1", 1);
    let mut altered = rows.clone();
    altered[3].id = "evt_0005".into();
    let mut dropped = rows.clone();
    dropped.remove(3);
    let mut swapped = rows.clone();
    swapped.swap(2, 3);
    let cases: [(&str, &[AuditEntry], VerifyError); 5] = [
        ("one-byte change", &altered, VerifyError::AlteredRow { seq: 4 }),
        ("dropped row", &dropped, VerifyError::DroppedRow { expected: 4, found: 5 }),
        ("swapped pair", &swapped, VerifyError::Reordered { expected: 3, found: 4 }),
        ("newest rows cut", &rows[..6], VerifyError::TruncatedTail { checkpoint_seq: 8, last_seq: 6 }),
        ("oldest rows cut", &rows[2..], VerifyError::MissingOldest { first_seq: 3, rows: 6 }),
    ];
    for (name, tampered, expected) in cases {
        for newest_first in [true, false] {
            assert_eq!(
                complete(tampered, newest_first, &cp),
                Err(expected.clone()),
                "{name}, newest first {newest_first}"
            );
        }
    }
    let err = complete(&rows[2..], true, &cp).unwrap_err();
    assert_eq!(err.seq(), Some(2));
    assert!(err.to_string().starts_with("seq 2: oldest rows missing"), "{err}");
}

#[test]
fn forged_checkpoints_fail_in_both_orders() {
    let rows = chain(5);
    let wrong_key = checkpoint_of(&rows, 5, "k1", 2);
    let unknown = checkpoint_of(&rows, 5, "k9", 2);
    for newest_first in [true, false] {
        assert_eq!(
            complete(&rows, newest_first, &wrong_key),
            Err(VerifyError::BadSignature { kid: "k1".into(), earlier: false })
        );
        assert_eq!(
            complete(&rows, newest_first, &unknown),
            Err(VerifyError::UnknownKey { kid: "k9".into(), earlier: false })
        );
    }
}

#[test]
fn rewritten_history_is_caught_in_both_orders() {
    let rows = chain(7);
    let earlier = checkpoint_of(&rows, 3, "k1", 1);
    let rewritten = rewrite_second_row(&rows);
    let later = checkpoint_of(&rewritten, 7, "k1", 1);
    for newest_first in [true, false] {
        let text = export(&rewritten, newest_first, &later, json!({}));
        assert!(matches!(
            verify_text(&text, Some(&earlier)),
            Err(VerifyError::NotAnExtension { earlier_seq: 3, reason: ExtensionBreak::HashDiffers { .. } })
        ));
        let good = export(&rows, newest_first, &checkpoint_of(&rows, 7, "k1", 1), json!({}));
        assert_eq!(verify_text(&good, Some(&earlier)).unwrap().earlier, Some((3, EarlierCheck::Extends)));
    }
}

#[test]
fn complete_export_cut_at_the_cap_holds_the_newest_rows() {
    let rows = chain(8);
    let cp = checkpoint_of(&rows, 8, "k1", 1);
    let (parsed, signed) = parse_ndjson(&export(&rows[3..], true, &cp, json!({}))).unwrap();
    let summary = verify_with_cap(&parsed, &signed.unwrap(), None, &keys(), verify_ed25519, 5).unwrap();
    assert_eq!((summary.first_seq, summary.rows, summary.linked_from), (4, 5, Some(4)));
    assert!(summary.to_string().ends_with("; rows before seq 4 are not in this export"), "{summary}");
    let (parsed, signed) = parse_ndjson(&export(&rows[4..], true, &cp, json!({}))).unwrap();
    assert_eq!(
        verify_with_cap(&parsed, &signed.unwrap(), None, &keys(), verify_ed25519, 5),
        Err(VerifyError::MissingOldest { first_seq: 5, rows: 4 })
    );
}

// --- filtered exports --------------------------------------------------------------------------

fn pick(rows: &[AuditEntry], seqs: &[i64]) -> Vec<AuditEntry> {
    seqs.iter().map(|s| rows[*s as usize - 1].clone()).collect()
}

fn filtered(rows: &[AuditEntry], newest_first: bool, cp: &SignedCheckpoint) -> String {
    export(rows, newest_first, cp, json!({"action": "USER_*", "from": "2026-06-09T00:00:00.000Z"}))
}

#[test]
fn filtered_export_verifies_rows_individually_and_names_its_gaps() {
    let rows = chain(10);
    let cp = checkpoint_of(&rows, 10, "k1", 1);
    for newest_first in [true, false] {
        let summary = verify_text(&filtered(&pick(&rows, &[2, 3, 6, 8]), newest_first, &cp), None).unwrap();
        let Mode::Filtered { filters, filtered_out } = &summary.mode else { panic!("{summary:?}") };
        assert_eq!(filters[0], ("action".to_owned(), "USER_*".to_owned()));
        assert_eq!(filtered_out, &[(1, 1), (4, 5), (7, 7), (9, 10)]);
        assert_eq!((summary.rows, summary.first_seq, summary.linked_from), (4, 2, None));
        let text = summary.to_string();
        assert!(
            text.starts_with(r#"OK FILTERED export of workspace ws_1 (filters {"action":"USER_*","from":"#),
            "{text}"
        );
        assert!(text.contains("4 rows verified individually"), "{text}");
        assert!(
            text.contains("\nfiltered out (not in this export): 1, 4..=5, 7, 9..=10 (6 rows in 4 ranges)"),
            "{text}"
        );
        assert!(text.ends_with("\nlinked to the signed head: none"), "{text}");
    }
    let summary = verify_text(&filtered(&pick(&rows, &[2, 3, 9, 10]), true, &cp), None).unwrap();
    assert_eq!(summary.linked_from, Some(9));
    assert!(summary.to_string().ends_with("\nlinked to the signed head: rows 9..=10"), "{summary}");
}

#[test]
fn filtered_export_lists_at_most_twenty_ranges() {
    let rows = chain(60);
    let cp = checkpoint_of(&rows, 60, "k1", 1);
    let odd: Vec<i64> = (1..=60).step_by(2).collect();
    let text = verify_text(&filtered(&pick(&rows, &odd), true, &cp), None).unwrap().to_string();
    assert!(text.contains(", 40, … (10 more) (30 rows in 30 ranges)"), "{text}");
}

#[test]
fn filtered_export_with_an_altered_row_fails() {
    let rows = chain(10);
    let cp = checkpoint_of(&rows, 10, "k1", 1);
    let mut some = pick(&rows, &[2, 3, 6, 10]);
    some[2].action = "USER_LOGOUT".into();
    assert_eq!(verify_text(&filtered(&some, true, &cp), None), Err(VerifyError::AlteredRow { seq: 6 }));
    // Resealed: the link to the next seq, present, breaks; the head is checked when present.
    let mut resealed = pick(&rows, &[2, 3, 6, 10]);
    resealed[0] = AuditEntry { action: "USER_LOGOUT".into(), ..resealed[0].clone() }.seal();
    assert!(matches!(verify_text(&filtered(&resealed, true, &cp), None), Err(VerifyError::BrokenLink { seq: 3, .. })));
    let mut head = pick(&rows, &[2, 10]);
    head[1] = AuditEntry { action: "USER_LOGOUT".into(), ..head[1].clone() }.seal();
    assert!(matches!(verify_text(&filtered(&head, false, &cp), None), Err(VerifyError::HeadMismatch { seq: 10, .. })));
    // A forged first row must link to genesis.
    let mut first = pick(&rows, &[1, 5]);
    first[0] = AuditEntry { prev_hash: "ab".repeat(32), ..first[0].clone() }.seal();
    assert!(matches!(verify_text(&filtered(&first, true, &cp), None), Err(VerifyError::BrokenLink { seq: 1, .. })));
}

#[test]
fn filtered_export_refuses_repeated_swapped_and_later_rows() {
    let rows = chain(10);
    let cp = checkpoint_of(&rows, 8, "k1", 1);
    let repeated = pick(&rows, &[2, 4, 4, 6]);
    assert_eq!(
        verify_text(&filtered(&repeated, false, &cp), None),
        Err(VerifyError::OutOfOrder { previous: 4, found: 4 })
    );
    let swapped = pick(&rows, &[2, 6, 4, 7]);
    let err = verify_text(&filtered(&swapped, false, &cp), None).unwrap_err();
    assert_eq!(err, VerifyError::OutOfOrder { previous: 6, found: 4 });
    assert!(err.to_string().starts_with("seq 4: reordered or repeated rows"), "{err}");
    let mut desc = pick(&rows, &[7, 4, 6, 2]);
    desc.reverse(); // written newest first: 2, 6, 4, 7 reversed
    assert!(matches!(verify_text(&filtered(&desc, true, &cp), None), Err(VerifyError::OutOfOrder { .. })));
    assert_eq!(
        verify_text(&filtered(&pick(&rows, &[2, 9]), true, &cp), None),
        Err(VerifyError::RowsAfterCheckpoint { checkpoint_seq: 8, last_seq: 9 })
    );
}

#[test]
fn earlier_checkpoint_against_a_filtered_export() {
    let rows = chain(10);
    let cp = checkpoint_of(&rows, 10, "k1", 1);
    let text = filtered(&pick(&rows, &[2, 3, 6, 9, 10]), true, &cp);
    let check = |seq: i64| verify_text(&text, Some(&checkpoint_of(&rows, seq, "k1", 1))).map(|s| s.earlier);
    assert_eq!(check(3), Ok(Some((3, EarlierCheck::RowMatches))));
    assert_eq!(check(5), Ok(Some((5, EarlierCheck::RowMatches))), "row 6's prevHash");
    assert_eq!(check(8), Ok(Some((8, EarlierCheck::Extends))), "row 9's prevHash, linked to the head");
    assert_eq!(check(10), Ok(Some((10, EarlierCheck::Extends))));
    assert_eq!(check(0), Ok(Some((0, EarlierCheck::Extends))));
    assert_eq!(check(7), Ok(Some((7, EarlierCheck::NotCheckable))));
    let summary = verify_text(&text, Some(&checkpoint_of(&rows, 7, "k1", 1))).unwrap();
    assert!(summary.to_string().ends_with(
        "\nearlier checkpoint at seq 7: not checkable (neither its row nor the next one is in this filtered export)"
    ));
    let other =
        sign(Checkpoint { hash: "cd".repeat(32), ..checkpoint_of(&rows, 3, "k1", 1).checkpoint }, &signing_key(1));
    assert!(matches!(
        verify_text(&text, Some(&other)),
        Err(VerifyError::NotAnExtension { earlier_seq: 3, reason: ExtensionBreak::HashDiffers { .. } })
    ));
}

#[test]
fn empty_filtered_export_filters_out_everything() {
    let rows = chain(4);
    let cp = checkpoint_of(&rows, 4, "k1", 1);
    let summary = verify_text(&filtered(&[], true, &cp), None).unwrap();
    assert_eq!(
        summary.mode,
        Mode::Filtered {
            filters: vec![("action".into(), "USER_*".into()), ("from".into(), "2026-06-09T00:00:00.000Z".into())],
            filtered_out: vec![(1, 4)]
        }
    );
}

#[test]
fn export_member_must_hold_string_filters() {
    let cp = checkpoint_of(&chain(1), 1, "k1", 1);
    let read = |export: Value| {
        let mut v = cp.to_json();
        v["export"] = export;
        ExportCheckpoint::from_json(&v)
    };
    assert_eq!(read(json!({"order": "newest-first"})), Err(ParseError::Missing("export.filters")));
    assert_eq!(read(json!({"filters": {"limit": 5}})), Err(ParseError::Invalid("export.filters")));
    let parsed = read(json!({"filters": {"to": "b", "action": "a"}})).unwrap();
    assert_eq!(parsed.export.unwrap().filters, vec![("action".into(), "a".into()), ("to".into(), "b".into())]);
    assert_eq!(ExportCheckpoint::from_json(&cp.to_json()).unwrap().export, None);
}
