//! Offline verification of an NDJSON audit export against signed checkpoints.
//!
//! An NDJSON export is one `crate::audit::ledger::to_json` object per line, optionally ending
//! with one checkpoint line (`crate::audit::checkpoint`, `"type":
//! "axissynapse.audit.checkpoint.v1"`). [`parse_ndjson`] turns each row back into the
//! [`AuditEntry`] it was rendered from, and [`verify_export`] recomputes every row hash with the
//! ledger's own `ChainVerifier` (so with `ledger::compute_hash`: the encoding is not repeated
//! here), checks each `prevHash` link, checks the last row against the signed checkpoint, and,
//! given an earlier checkpoint, that the later one extends it.
//!
//! Reconstructing a row from its API shape:
//!
//! * `workspace_id` is not in a row; it is the checkpoint's `workspaceId` (a row moved from
//!   another workspace therefore fails its hash).
//! * `at_ms` is `occurredAt` parsed back; it must be in the exact `YYYY-MM-DDTHH:MM:SS.mmmZ`
//!   spelling `to_json` writes (any other spelling is a modified export).
//! * `data`: `to_json` parses the stored text and falls back to the raw text when it is not
//!   JSON. The ledger writes `data` as `serde_json::Value::to_string()` (compact, keys sorted),
//!   which re-serialising reproduces; so `data` is the compact serialisation of the value, and
//!   when the value is a string that is not itself JSON text, the string itself is tried too
//!   (the raw-text fallback).
//! * `resource: null` means no resource type and no resource id (the ledger always records a
//!   resource type, so a row with an id and no type is never written).
//!
//! The answer is the first failed check in this order: the checkpoint's signature; the rows in
//! file order (seq, link, hash); the tail against the checkpoint's `seq`; the head hash; then the
//! earlier checkpoint's signature and whether the rows carry its head.

use std::collections::HashSet;

use serde_json::Value;

use crate::audit::checkpoint::{self, CheckpointError, Ed25519Check, PublicKey, SignedCheckpoint, CHECKPOINT_TYPE};
use crate::audit::ledger::{AuditEntry, ChainBreak, ChainVerifier, GENESIS_HASH};
use crate::time;

/// One exported row as read back, with the raw-text reading of `data` when there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    /// The row, `workspace_id` left empty until [`verify_export`] sets it from the checkpoint.
    pub entry: AuditEntry,
    /// The raw-text fallback reading of `data` (see the module docs), if it applies.
    pub raw_text_data: Option<String>,
}

/// Why an export line could not be read; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub reason: String,
}

/// Reads an NDJSON export: rows, then at most one checkpoint line, which must be the last
/// non-empty line. Blank lines (such as the one after the final LF) are skipped.
pub fn parse_ndjson(text: &str) -> Result<(Vec<ExportRow>, Option<SignedCheckpoint>), LineError> {
    let mut rows = Vec::new();
    let mut checkpoint = None;
    for (i, line) in text.split('\n').enumerate() {
        let line_no = i + 1;
        let err = |reason: String| LineError { line: line_no, reason };
        if line.trim().is_empty() {
            continue;
        }
        if checkpoint.is_some() {
            return Err(err("content after the checkpoint line".into()));
        }
        let v: Value = serde_json::from_str(line).map_err(|e| err(format!("not JSON: {e}")))?;
        if v.get("type").and_then(Value::as_str) == Some(CHECKPOINT_TYPE) {
            checkpoint = Some(SignedCheckpoint::from_json(&v).map_err(|e| err(format!("checkpoint: {e}")))?);
        } else {
            rows.push(parse_row(&v).map_err(|m| err(format!("row: member `{m}` missing or invalid")))?);
        }
    }
    Ok((rows, checkpoint))
}

/// Reads one row in the `to_json` shape; the error names the offending member.
pub fn parse_row(v: &Value) -> Result<ExportRow, &'static str> {
    let o = v.as_object().ok_or("(object)")?;
    let text = |name: &'static str| o.get(name).and_then(Value::as_str).map(str::to_owned).ok_or(name);
    let opt_text =
        |parent: Option<&Value>, name: &'static str, what: &'static str| match parent.and_then(|p| p.get(name)) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(what),
        };
    let occurred_at = text("occurredAt")?;
    let at_ms = match time::parse(&occurred_at) {
        Ok(ms) if time::format_ms(ms) == occurred_at => ms,
        _ => return Err("occurredAt"),
    };
    let actor = o.get("actor").filter(|a| a.is_object()).ok_or("actor")?;
    let actor_type = actor.get("type").and_then(Value::as_str).ok_or("actor.type")?.to_owned();
    let (resource_type, resource_id) = match o.get("resource") {
        None | Some(Value::Null) => (None, None),
        Some(r @ Value::Object(_)) => (
            Some(r.get("type").and_then(Value::as_str).ok_or("resource.type")?.to_owned()),
            opt_text(Some(r), "id", "resource.id")?,
        ),
        Some(_) => return Err("resource"),
    };
    let data_value = o.get("data").ok_or("data")?;
    let raw_text_data = match data_value {
        Value::String(s) if serde_json::from_str::<Value>(s).is_err() => Some(s.clone()),
        _ => None,
    };
    Ok(ExportRow {
        entry: AuditEntry {
            workspace_id: String::new(),
            seq: o.get("seq").and_then(Value::as_i64).ok_or("seq")?,
            id: text("id")?,
            at_ms,
            action: text("action")?,
            actor_type,
            actor_id: opt_text(Some(actor), "id", "actor.id")?,
            resource_type,
            resource_id,
            ip: opt_text(Some(v), "ip", "ip")?,
            data: data_value.to_string(),
            prev_hash: text("prevHash")?,
            hash: text("hash")?,
        },
        raw_text_data,
    })
}

/// Why an earlier checkpoint is not a prefix of the history the later one signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtensionBreak {
    /// The two checkpoints are of different workspaces.
    OtherWorkspace,
    /// The earlier checkpoint's `seq` is past the later one's.
    Older { later_seq: i64 },
    /// The rows start after the earlier checkpoint's head, so they cannot link the two.
    NotCovered { first_seq: i64 },
    /// The row at the earlier checkpoint's `seq` has another hash: history was rewritten.
    HashDiffers { expected: String, found: String },
}

/// What is wrong with an export, at the first `seq` that fails (see the module docs for the
/// order in which checks run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// No published key has the checkpoint's `kid` (`earlier`: the `--checkpoint` one).
    UnknownKey { kid: String, earlier: bool },
    /// The key's validity window does not cover the checkpoint's time.
    KeyNotValidAt { kid: String, time_ms: i64, earlier: bool },
    /// The checkpoint's signature does not verify: forged, or altered after signing.
    BadSignature { kid: String, earlier: bool },
    /// The row's stored `hash` is not the hash of its contents: a field was altered.
    AlteredRow { seq: i64 },
    /// The row's `prevHash` is not its predecessor's `hash`: a row before it was altered and
    /// resealed, or the row was relinked.
    BrokenLink { seq: i64, expected: String, found: String },
    /// Row `expected` is missing: the next row is `found` and `expected` appears nowhere later.
    DroppedRow { expected: i64, found: i64 },
    /// Rows are out of order: row `expected` was due but `found` came first (`found` is later
    /// and `expected` follows it, or `found` is a repeated or earlier row).
    Reordered { expected: i64, found: i64 },
    /// The rows stop at `last_seq` (0 when there are none), before the checkpoint's `seq`.
    TruncatedTail { checkpoint_seq: i64, last_seq: i64 },
    /// The rows go on to `last_seq`, past the checkpoint's `seq`: those rows are not signed.
    RowsAfterCheckpoint { checkpoint_seq: i64, last_seq: i64 },
    /// The row at the checkpoint's `seq` has another `hash` than the one signed.
    HeadMismatch { seq: i64, signed: String, found: String },
    /// The later checkpoint does not extend the earlier one.
    NotAnExtension { earlier_seq: i64, reason: ExtensionBreak },
}

impl VerifyError {
    /// The first bad `seq`, when the failure is a row's.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Self::AlteredRow { seq } | Self::BrokenLink { seq, .. } | Self::HeadMismatch { seq, .. } => Some(*seq),
            Self::DroppedRow { expected, .. } | Self::Reordered { expected, .. } => Some(*expected),
            Self::TruncatedTail { last_seq, .. } => Some(last_seq + 1),
            Self::RowsAfterCheckpoint { checkpoint_seq, .. } => Some(checkpoint_seq + 1),
            Self::NotAnExtension { earlier_seq, .. } => Some(*earlier_seq),
            Self::UnknownKey { .. } | Self::KeyNotValidAt { .. } | Self::BadSignature { .. } => None,
        }
    }

    fn from_checkpoint(e: CheckpointError, earlier: bool) -> Self {
        match e {
            CheckpointError::UnknownKey { kid } => Self::UnknownKey { kid, earlier },
            CheckpointError::KeyNotValidAt { kid, time_ms } => Self::KeyNotValidAt { kid, time_ms, earlier },
            CheckpointError::BadSignature { kid } => Self::BadSignature { kid, earlier },
        }
    }
}

impl std::fmt::Display for VerifyError {
    /// One line naming the first bad `seq` and what is wrong with it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let which = |earlier: &bool| if *earlier { "earlier checkpoint" } else { "checkpoint" };
        match self {
            Self::UnknownKey { kid, earlier } => write!(f, "unknown key: {} signed by kid {kid:?}, not in the key set", which(earlier)),
            Self::KeyNotValidAt { kid, time_ms, earlier } => write!(
                f,
                "key not valid: {} made at {} is outside the validity window of kid {kid:?}",
                which(earlier),
                time::format_ms(*time_ms)
            ),
            Self::BadSignature { kid, earlier } => write!(f, "bad signature: {} does not verify under kid {kid:?}", which(earlier)),
            Self::AlteredRow { seq } => write!(f, "seq {seq}: altered field (the row's hash is not the hash of its contents)"),
            Self::BrokenLink { seq, .. } => {
                write!(f, "seq {seq}: broken link (prevHash is not the previous row's hash: an earlier row was altered and resealed)")
            }
            Self::DroppedRow { expected, found } => write!(f, "seq {expected}: dropped row (the next row is seq {found})"),
            Self::Reordered { expected, found } => write!(f, "seq {expected}: reordered rows (seq {found} came in its place)"),
            Self::TruncatedTail { checkpoint_seq, last_seq } => {
                write!(f, "seq {}: truncated tail (rows stop at seq {last_seq}, the checkpoint is at seq {checkpoint_seq})", last_seq + 1)
            }
            Self::RowsAfterCheckpoint { checkpoint_seq, last_seq } => write!(
                f,
                "seq {}: rows after the checkpoint (rows go on to seq {last_seq}, the checkpoint is at seq {checkpoint_seq})",
                checkpoint_seq + 1
            ),
            Self::HeadMismatch { seq, signed, found } => {
                write!(f, "seq {seq}: head mismatch (the checkpoint signs hash {signed}, the row has {found})")
            }
            Self::NotAnExtension { earlier_seq, reason } => {
                write!(f, "seq {earlier_seq}: the checkpoint does not extend the earlier one: ")?;
                match reason {
                    ExtensionBreak::OtherWorkspace => f.write_str("they are of different workspaces"),
                    ExtensionBreak::Older { later_seq } => write!(f, "it is at seq {later_seq}, before the earlier one"),
                    ExtensionBreak::NotCovered { first_seq } => {
                        write!(f, "the rows start at seq {first_seq}, after the earlier head; export from seq {earlier_seq}")
                    }
                    ExtensionBreak::HashDiffers { expected, found } => {
                        write!(f, "history rewritten (the earlier checkpoint signs hash {expected}, the row now has {found})")
                    }
                }
            }
        }
    }
}

/// What a verified export proved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub workspace_id: String,
    /// `seq` of the first row (1 when there are none: only an empty ledger's checkpoint, `seq`
    /// 0, verifies without rows). Rows before it are not in the export; from it to the head every row is bound to the signed head.
    pub first_seq: i64,
    pub rows: u64,
    pub head_seq: i64,
    pub head_hash: String,
}

/// Verifies `rows` (as read by [`parse_ndjson`]) against the signed `checkpoint` of their
/// head, and, if given, that `checkpoint` extends `earlier`. `ed25519` runs each signature check
/// (`checkpoint::verify_ed25519` on the host).
pub fn verify_export(
    rows: &[ExportRow],
    checkpoint: &SignedCheckpoint,
    earlier: Option<&SignedCheckpoint>,
    keys: &[PublicKey],
    mut ed25519: impl FnMut(&Ed25519Check) -> bool,
) -> Result<ExportSummary, VerifyError> {
    checkpoint::verify(checkpoint, keys, &mut ed25519).map_err(|e| VerifyError::from_checkpoint(e, false))?;
    let cp = &checkpoint.checkpoint;

    // A first row at seq 1 (or below, which the chain then refuses) links to genesis; a later
    // one's `prevHash` is taken as given: the chain from it to the signed head binds it.
    let first_seq = rows.first().map_or(1, |r| r.entry.seq.max(1));
    let start_hash = match rows.first() {
        Some(r) if r.entry.seq > 1 => r.entry.prev_hash.clone(),
        _ => GENESIS_HASH.to_owned(),
    };
    let mut chain = ChainVerifier::new(&start_hash, first_seq);
    // Hash of each verified seq, with the start's predecessor, for the extension check.
    let mut heads: Vec<(i64, String)> = vec![(first_seq - 1, start_hash)];
    for (i, row) in rows.iter().enumerate() {
        let mut entry = AuditEntry { workspace_id: cp.workspace_id.clone(), ..row.entry.clone() };
        let mut result = chain.push(&entry);
        if let (Err(ChainBreak::HashMismatch { .. }), Some(raw)) = (&result, &row.raw_text_data) {
            entry.data = raw.clone();
            result = chain.push(&entry);
        }
        match result {
            Ok(()) => heads.push((entry.seq, entry.hash)),
            Err(ChainBreak::HashMismatch { seq, .. }) => return Err(VerifyError::AlteredRow { seq }),
            Err(ChainBreak::PrevHashMismatch { seq, expected, actual }) => {
                return Err(VerifyError::BrokenLink { seq, expected, found: actual })
            }
            Err(ChainBreak::SeqGap { expected, actual }) => {
                let later: HashSet<i64> = rows[i + 1..].iter().map(|r| r.entry.seq).collect();
                return Err(if actual < expected || later.contains(&expected) {
                    VerifyError::Reordered { expected, found: actual }
                } else {
                    VerifyError::DroppedRow { expected, found: actual }
                });
            }
        }
    }

    let summary = chain.summary().clone();
    if summary.head_seq < cp.seq {
        return Err(VerifyError::TruncatedTail { checkpoint_seq: cp.seq, last_seq: summary.head_seq.max(0) });
    }
    if summary.head_seq > cp.seq {
        return Err(VerifyError::RowsAfterCheckpoint { checkpoint_seq: cp.seq, last_seq: summary.head_seq });
    }
    if summary.head_hash != cp.hash {
        return Err(VerifyError::HeadMismatch { seq: cp.seq, signed: cp.hash.clone(), found: summary.head_hash });
    }

    if let Some(earlier) = earlier {
        checkpoint::verify(earlier, keys, &mut ed25519).map_err(|e| VerifyError::from_checkpoint(e, true))?;
        let old = &earlier.checkpoint;
        let not_ext = |reason| Err(VerifyError::NotAnExtension { earlier_seq: old.seq, reason });
        if old.workspace_id != cp.workspace_id {
            return not_ext(ExtensionBreak::OtherWorkspace);
        }
        if old.seq > cp.seq {
            return not_ext(ExtensionBreak::Older { later_seq: cp.seq });
        }
        match heads.iter().find(|(seq, _)| *seq == old.seq) {
            None => return not_ext(ExtensionBreak::NotCovered { first_seq }),
            Some((_, hash)) if *hash != old.hash => {
                return not_ext(ExtensionBreak::HashDiffers { expected: old.hash.clone(), found: hash.clone() })
            }
            Some(_) => {}
        }
    }

    Ok(ExportSummary {
        workspace_id: cp.workspace_id.clone(),
        first_seq,
        rows: summary.rows,
        head_seq: summary.head_seq,
        head_hash: summary.head_hash,
    })
}

#[cfg(test)]
mod tests {
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
                first_seq: 1,
                rows: 12,
                head_seq: 12,
                head_hash: rows[11].hash.clone()
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
            let data = if e.seq == 2 { p.raw_text_data.clone().unwrap() } else { p.entry.data.clone() };
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
        let mut rewritten = rows.clone();
        rewritten[1].data = r#"{"method":"nothing happened"}"#.into();
        for i in 1..rewritten.len() {
            rewritten[i].prev_hash = rewritten[i - 1].hash.clone();
            rewritten[i] = rewritten[i].clone().seal();
        }
        let later = checkpoint_of(&rewritten, 9, "k1", 1);
        let text = ndjson(&rewritten, Some(&later));
        assert!(verify_text(&text, None).is_ok(), "the rewrite alone is self-consistent");
        assert_eq!(
            verify_text(&text, Some(&earlier)),
            Err(VerifyError::NotAnExtension {
                earlier_seq: 4,
                reason: ExtensionBreak::HashDiffers {
                    expected: rows[3].hash.clone(),
                    found: rewritten[3].hash.clone()
                }
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
}
