//! The hash-chained audit row, its seal and chain verification.
//!
//! Each row's `hash` is the lowercase hex SHA-256 (FIPS 180-4) of a canonical, unambiguous
//! binary encoding of every other field, `prev_hash` included, so the rows of one workspace
//! form a chain from [`GENESIS_HASH`]. The encoding, in field order, is:
//!
//! * a text `t`: its UTF-8 length as a `u64` big-endian, then its bytes;
//! * an integer: 8 bytes, `i64` big-endian (two's complement);
//! * an optional text: `0x00` if absent, else `0x01` then the text.
//!
//! It starts with the text [`HASH_DOMAIN`], then `workspace_id, seq, id, at_ms, action,
//! actor_type, actor_id?, resource_type?, resource_id?, ip?, data, prev_hash`. Every field is
//! length-prefixed or fixed-size, so two different rows never share an encoding.
//! [`to_json`] renders a row in the API shape, timestamps per RFC 3339 (`crate::time`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::time;

/// The `prev_hash` of a workspace's first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Leads every hashed encoding, so a change of format can never collide with this one.
pub const HASH_DOMAIN: &str = "axissynapse-edge/audit-entry/v1";

/// One audit-log row, as stored in the `audit_log` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub workspace_id: String,
    /// Per-workspace sequence number: 1, 2, 3, …
    pub seq: i64,
    /// Public event id (`evt_…`).
    pub id: String,
    /// When it happened, Unix milliseconds.
    #[serde(alias = "at")]
    pub at_ms: i64,
    pub action: String,
    /// `user` | `pat` | `scim` | `system` | `anonymous`.
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub resource_type: Option<String>,
    pub resource_id: Option<String>,
    pub ip: Option<String>,
    /// Event details, JSON text.
    pub data: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// Sets `hash` to [`compute_hash`] of the row.
    pub fn seal(mut self) -> Self {
        self.hash = compute_hash(&self);
        self
    }
}

/// Lowercase hex SHA-256 of the canonical encoding of every field except `hash`.
pub fn compute_hash(e: &AuditEntry) -> String {
    let mut h = Sha256::new();
    put_text(&mut h, HASH_DOMAIN);
    put_text(&mut h, &e.workspace_id);
    put_int(&mut h, e.seq);
    put_text(&mut h, &e.id);
    put_int(&mut h, e.at_ms);
    put_text(&mut h, &e.action);
    put_text(&mut h, &e.actor_type);
    put_opt_text(&mut h, e.actor_id.as_deref());
    put_opt_text(&mut h, e.resource_type.as_deref());
    put_opt_text(&mut h, e.resource_id.as_deref());
    put_opt_text(&mut h, e.ip.as_deref());
    put_text(&mut h, &e.data);
    put_text(&mut h, &e.prev_hash);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn put_text(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_be_bytes());
    h.update(s.as_bytes());
}

fn put_int(h: &mut Sha256, n: i64) {
    h.update(n.to_be_bytes());
}

fn put_opt_text(h: &mut Sha256, s: Option<&str>) {
    match s {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put_text(h, s);
        }
    }
}

/// Where and how a chain stopped verifying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainBreak {
    /// A row's `seq` is not the one after its predecessor's.
    SeqGap { expected: i64, actual: i64 },
    /// A row's `prev_hash` is not its predecessor's `hash`.
    PrevHashMismatch { seq: i64, expected: String, actual: String },
    /// A row's stored `hash` is not the hash of its contents.
    HashMismatch { seq: i64, expected: String, actual: String },
}

impl ChainBreak {
    /// Where the chain first fails: the missing `seq` of a gap, else the row that does not verify.
    pub fn seq(&self) -> i64 {
        match self {
            Self::SeqGap { expected, .. } => *expected,
            Self::PrevHashMismatch { seq, .. } | Self::HashMismatch { seq, .. } => *seq,
        }
    }
}

/// The verified head of a chain (or of a verified stretch of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainSummary {
    /// How many rows were verified.
    pub rows: u64,
    /// `hash` of the last verified row (the start hash if none).
    pub head_hash: String,
    /// `seq` of the last verified row (`start_seq - 1` if none).
    pub head_seq: i64,
}

/// Verifies rows one at a time in ascending `seq`, so a chain can be checked page by page.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    summary: ChainSummary,
}

impl ChainVerifier {
    /// Expects the first row to have `seq == start_seq` and `prev_hash == start_prev_hash`
    /// ([`GENESIS_HASH`] and 1 for a whole chain; a trusted row's `hash` and `seq + 1` to
    /// resume from it).
    pub fn new(start_prev_hash: &str, start_seq: i64) -> Self {
        Self {
            summary: ChainSummary {
                rows: 0,
                head_hash: start_prev_hash.to_owned(),
                head_seq: start_seq.saturating_sub(1),
            },
        }
    }

    /// Checks the next row; on success it becomes the head. A failed row leaves the head as is.
    pub fn push(&mut self, e: &AuditEntry) -> Result<(), ChainBreak> {
        let expected_seq = self.summary.head_seq.saturating_add(1);
        if e.seq != expected_seq {
            return Err(ChainBreak::SeqGap { expected: expected_seq, actual: e.seq });
        }
        if e.prev_hash != self.summary.head_hash {
            return Err(ChainBreak::PrevHashMismatch {
                seq: e.seq,
                expected: self.summary.head_hash.clone(),
                actual: e.prev_hash.clone(),
            });
        }
        let computed = compute_hash(e);
        if e.hash != computed {
            return Err(ChainBreak::HashMismatch { seq: e.seq, expected: computed, actual: e.hash.clone() });
        }
        self.summary = ChainSummary { rows: self.summary.rows + 1, head_hash: computed, head_seq: e.seq };
        Ok(())
    }

    /// What has been verified so far.
    pub fn summary(&self) -> &ChainSummary {
        &self.summary
    }
}

/// Verifies `entries` (ascending `seq`) as a chain continuing from `start_prev_hash`, with the
/// first row at `start_seq`. See [`ChainVerifier::new`].
pub fn verify_chain<'a>(
    entries: impl IntoIterator<Item = &'a AuditEntry>,
    start_prev_hash: &str,
    start_seq: i64,
) -> Result<ChainSummary, ChainBreak> {
    let mut verifier = ChainVerifier::new(start_prev_hash, start_seq);
    for e in entries {
        verifier.push(e)?;
    }
    Ok(verifier.summary)
}

/// The API shape of a row: `{"id","seq","occurredAt","action","actor":{"type","id"},
/// "resource":{"type","id"}|null,"ip","data","prevHash","hash"}`. `data` is the parsed JSON,
/// or the raw text if it is not JSON; `resource` is null when the row has no resource type.
pub fn to_json(e: &AuditEntry) -> Value {
    let resource = match &e.resource_type {
        Some(kind) => json!({ "type": kind, "id": e.resource_id }),
        None => Value::Null,
    };
    json!({
        "id": e.id,
        "seq": e.seq,
        "occurredAt": time::format_ms(e.at_ms),
        "action": e.action,
        "actor": { "type": e.actor_type, "id": e.actor_id },
        "resource": resource,
        "ip": e.ip,
        "data": serde_json::from_str::<Value>(&e.data).unwrap_or_else(|_| Value::String(e.data.clone())),
        "prevHash": e.prev_hash,
        "hash": e.hash,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An unsealed row `seq` of workspace `ws_1`, chained onto `prev_hash`.
    pub(crate) fn entry(seq: i64, prev_hash: &str) -> AuditEntry {
        AuditEntry {
            workspace_id: "ws_1".into(),
            seq,
            id: format!("evt_{seq:04}"),
            at_ms: 1_780_991_622_626 + seq * 1_000,
            action: "USER_LOGIN".into(),
            actor_type: "user".into(),
            actor_id: Some("usr_1".into()),
            resource_type: Some("session".into()),
            resource_id: Some(format!("ses_{seq}")),
            ip: Some("203.0.113.7".into()),
            data: r#"{"method":"password"}"#.into(),
            prev_hash: prev_hash.into(),
            hash: String::new(),
        }
    }

    /// A sealed chain of rows 1..=n from genesis.
    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut rows: Vec<AuditEntry> = Vec::new();
        for seq in 1..=n {
            let prev = rows.last().map_or(GENESIS_HASH.to_owned(), |r| r.hash.clone());
            rows.push(entry(seq, &prev).seal());
        }
        rows
    }

    #[test]
    fn genesis_hash_is_64_zeros() {
        assert_eq!(GENESIS_HASH.len(), 64);
        assert!(GENESIS_HASH.bytes().all(|b| b == b'0'));
    }

    #[test]
    fn hash_matches_independent_computation_of_documented_encoding() {
        // Computed outside Rust (Python hashlib) from the encoding in the module docs.
        assert_eq!(
            compute_hash(&entry(1, GENESIS_HASH)),
            "045eabad013421c9ef82269800d02bf86f28eb76f0e3558701a4688b33aed2d1"
        );
    }

    #[test]
    fn hash_is_lowercase_hex_sha256_and_ignores_stored_hash() {
        let e = entry(1, GENESIS_HASH);
        let h = compute_hash(&e);
        assert_eq!(h.len(), 64);
        assert!(h.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_eq!(compute_hash(&AuditEntry { hash: "x".into(), ..e.clone() }), h);
        assert_eq!(e.seal().hash, h);
    }

    #[test]
    fn hash_covers_every_field_but_hash() {
        let base = entry(1, GENESIS_HASH);
        let h = compute_hash(&base);
        let variants = [
            AuditEntry { workspace_id: "ws_2".into(), ..base.clone() },
            AuditEntry { seq: 2, ..base.clone() },
            AuditEntry { id: "evt_x".into(), ..base.clone() },
            AuditEntry { at_ms: base.at_ms + 1, ..base.clone() },
            AuditEntry { action: "USER_LOGOUT".into(), ..base.clone() },
            AuditEntry { actor_type: "pat".into(), ..base.clone() },
            AuditEntry { actor_id: None, ..base.clone() },
            AuditEntry { resource_type: None, ..base.clone() },
            AuditEntry { resource_id: None, ..base.clone() },
            AuditEntry { ip: None, ..base.clone() },
            AuditEntry { data: "{}".into(), ..base.clone() },
            AuditEntry { prev_hash: "1".repeat(64), ..base.clone() },
        ];
        for v in variants {
            assert_ne!(compute_hash(&v), h, "{v:?}");
        }
    }

    #[test]
    fn encoding_is_unambiguous_across_field_boundaries() {
        let base = entry(1, GENESIS_HASH);
        let a = AuditEntry { action: "AB".into(), actor_type: "C".into(), ..base.clone() };
        let b = AuditEntry { action: "A".into(), actor_type: "BC".into(), ..base.clone() };
        assert_ne!(compute_hash(&a), compute_hash(&b));
        let none = AuditEntry { ip: None, ..base.clone() };
        let empty = AuditEntry { ip: Some(String::new()), ..base.clone() };
        assert_ne!(compute_hash(&none), compute_hash(&empty));
        let shifted = AuditEntry { actor_id: None, resource_type: Some("usr_1".into()), ..base.clone() };
        let unshifted = AuditEntry { resource_type: None, ..base };
        assert_ne!(compute_hash(&shifted), compute_hash(&unshifted));
    }

    #[test]
    fn chain_of_5_verifies_from_genesis() {
        let rows = chain(5);
        let summary = verify_chain(&rows, GENESIS_HASH, 1).unwrap();
        assert_eq!(summary, ChainSummary { rows: 5, head_hash: rows[4].hash.clone(), head_seq: 5 });
    }

    #[test]
    fn empty_chain_summary_is_the_start() {
        let summary = verify_chain(&[], GENESIS_HASH, 1).unwrap();
        assert_eq!(summary, ChainSummary { rows: 0, head_hash: GENESIS_HASH.into(), head_seq: 0 });
    }

    #[test]
    fn verifying_page_by_page_equals_whole_chain() {
        let rows = chain(5);
        let mut verifier = ChainVerifier::new(GENESIS_HASH, 1);
        for page in rows.chunks(2) {
            for e in page {
                verifier.push(e).unwrap();
            }
        }
        assert_eq!(verifier.summary(), &verify_chain(&rows, GENESIS_HASH, 1).unwrap());
    }

    #[test]
    fn suffix_verifies_from_a_trusted_row() {
        let rows = chain(5);
        let summary = verify_chain(&rows[2..], &rows[1].hash, 3).unwrap();
        assert_eq!((summary.rows, summary.head_seq), (3, 5));
    }

    #[test]
    fn edited_field_detected_as_hash_mismatch_at_that_seq() {
        let mut rows = chain(5);
        rows[2].data = r#"{"method":"sso"}"#.into();
        let stored = rows[2].hash.clone();
        let expected = compute_hash(&rows[2]);
        assert_eq!(
            verify_chain(&rows, GENESIS_HASH, 1),
            Err(ChainBreak::HashMismatch { seq: 3, expected, actual: stored })
        );
    }

    #[test]
    fn resealed_edit_detected_as_prev_hash_mismatch_at_next_seq() {
        let mut rows = chain(5);
        let original = rows[2].hash.clone();
        rows[2].action = "USER_LOGOUT".into();
        rows[2] = rows[2].clone().seal();
        assert_eq!(
            verify_chain(&rows, GENESIS_HASH, 1),
            Err(ChainBreak::PrevHashMismatch { seq: 4, expected: rows[2].hash.clone(), actual: original })
        );
    }

    #[test]
    fn relinked_row_detected_as_prev_hash_mismatch_at_that_seq() {
        let mut rows = chain(5);
        rows[2].prev_hash = rows[0].hash.clone();
        rows[2] = rows[2].clone().seal();
        assert!(matches!(verify_chain(&rows, GENESIS_HASH, 1), Err(ChainBreak::PrevHashMismatch { seq: 3, .. })));
    }

    #[test]
    fn deleted_row_detected_as_seq_gap() {
        let mut rows = chain(5);
        rows.remove(2);
        assert_eq!(verify_chain(&rows, GENESIS_HASH, 1), Err(ChainBreak::SeqGap { expected: 3, actual: 4 }));
        assert_eq!(ChainBreak::SeqGap { expected: 3, actual: 4 }.seq(), 3);
    }

    #[test]
    fn swapped_rows_detected_as_seq_gap() {
        let mut rows = chain(5);
        rows.swap(1, 2);
        assert_eq!(verify_chain(&rows, GENESIS_HASH, 1), Err(ChainBreak::SeqGap { expected: 2, actual: 3 }));
    }

    #[test]
    fn truncated_start_detected_as_seq_gap() {
        let rows = chain(5);
        assert_eq!(verify_chain(&rows[1..], GENESIS_HASH, 1), Err(ChainBreak::SeqGap { expected: 1, actual: 2 }));
    }

    #[test]
    fn wrong_start_hash_detected_at_first_row() {
        let rows = chain(2);
        assert!(matches!(verify_chain(&rows, &"f".repeat(64), 1), Err(ChainBreak::PrevHashMismatch { seq: 1, .. })));
    }

    #[test]
    fn failed_push_leaves_head_unchanged() {
        let rows = chain(3);
        let mut verifier = ChainVerifier::new(GENESIS_HASH, 1);
        verifier.push(&rows[0]).unwrap();
        assert!(verifier.push(&rows[2]).is_err());
        verifier.push(&rows[1]).unwrap();
        assert_eq!(verifier.summary().head_seq, 2);
    }

    #[test]
    fn to_json_has_api_shape() {
        let e = entry(1, GENESIS_HASH).seal();
        assert_eq!(
            to_json(&e),
            json!({
                "id": "evt_0001",
                "seq": 1,
                "occurredAt": "2026-06-09T07:53:43.626Z",
                "action": "USER_LOGIN",
                "actor": { "type": "user", "id": "usr_1" },
                "resource": { "type": "session", "id": "ses_1" },
                "ip": "203.0.113.7",
                "data": { "method": "password" },
                "prevHash": GENESIS_HASH,
                "hash": e.hash,
            })
        );
    }

    #[test]
    fn to_json_nulls_absent_resource_actor_id_and_ip() {
        let e = AuditEntry {
            actor_id: None,
            resource_type: None,
            ip: None,
            actor_type: "system".into(),
            ..entry(1, GENESIS_HASH)
        };
        let v = to_json(&e);
        assert_eq!(v["resource"], Value::Null);
        assert_eq!(v["actor"], json!({ "type": "system", "id": null }));
        assert_eq!(v["ip"], Value::Null);
    }

    #[test]
    fn to_json_keeps_resource_without_id() {
        let e = AuditEntry { resource_id: None, ..entry(1, GENESIS_HASH) };
        assert_eq!(to_json(&e)["resource"], json!({ "type": "session", "id": null }));
    }

    #[test]
    fn to_json_falls_back_to_raw_text_for_non_json_data() {
        let e = AuditEntry { data: "not {json".into(), ..entry(1, GENESIS_HASH) };
        assert_eq!(to_json(&e)["data"], json!("not {json"));
    }

    #[test]
    fn entry_serde_round_trips() {
        let e = entry(1, GENESIS_HASH).seal();
        let text = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AuditEntry>(&text).unwrap(), e);
    }
}
