//! Offline verification of an audit export (NDJSON or CSV) against signed checkpoints.
//!
//! An NDJSON export is one `crate::audit::ledger::to_json` object per line, then one checkpoint
//! line (`crate::audit::checkpoint`, `"type": "axissynapse.audit.checkpoint.v1"`) carrying an
//! extra, unsigned `export` member: `{"filters": {...}, "order": "newest-first"}`. A CSV export
//! (`crate::audit::csv_read`) has the same rows, its checkpoint travels beside it.
//! [`parse_ndjson`] turns each row back into the [`AuditEntry`] it was rendered from, and
//! [`verify_export`] recomputes every row hash with the ledger's own `ChainVerifier` (so with
//! `ledger::compute_hash`: the encoding is not repeated here), checks the `prevHash` links, the
//! newest row against the signed checkpoint, and, given an earlier checkpoint, that the later
//! one extends it. The full reference is `docs/audit-verification.md`.
//!
//! Rows may come newest first (as the worker streams them) or oldest first: the direction is
//! read from the first and last rows' `seq`, and the rows are checked in ascending `seq`.
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
//! Two modes, chosen by the checkpoint's `export.filters`:
//!
//! * **chain** (no `export` member, or empty `filters`): the rows must be one run of consecutive
//!   seqs ending at the checkpoint's `seq`. A first row after seq 1 has its `prevHash` taken as
//!   given (the chain binds it to the signed head); an export that declares itself complete
//!   (`filters` empty) must then hold exactly [`EXPORT_ROW_CAP`] rows (the worker's cap).
//! * **filtered** (non-empty `filters`): each row's own hash is checked, and the link between
//!   rows whose seqs are consecutive; seqs must still strictly increase; every gap, including
//!   the one between the newest row and the checkpoint's `seq`, is reported as filtered out.
//!
//! `export` is not signed: it only chooses how the rows are checked, and the summary says which
//! was done. The answer is the first failed check in this order: the checkpoint's signature; the
//! rows in ascending `seq` (order, link, hash); the newest row against the checkpoint's `seq`;
//! the head hash; the oldest row of a complete export; then the earlier checkpoint's signature
//! and whether the rows carry its head.

use serde_json::Value;

use crate::audit::checkpoint::{
    self, CheckpointError, Ed25519Check, ParseError, PublicKey, SignedCheckpoint, CHECKPOINT_TYPE,
};
use crate::audit::ledger::{AuditEntry, ChainBreak, ChainVerifier, GENESIS_HASH};
use crate::time;

/// Most rows one export holds: a complete export of a longer ledger holds the newest this many.
/// Must equal the worker's export cap (`edge::handlers::audit::EXPORT_CAP`).
pub const EXPORT_ROW_CAP: usize = 50_000;

/// At most this many filtered-out ranges are listed in a summary (then a count of the rest).
const LISTED_RANGES: usize = 20;

/// One exported row as read back, with the other readings of it when its text is ambiguous.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRow {
    /// The row, `workspace_id` left empty until [`verify_export`] sets it from the checkpoint.
    pub entry: AuditEntry,
    /// Other readings tried, in order, when `entry`'s hash does not match: the raw-text
    /// reading of NDJSON `data`, or CSV cells whose formula neutralisation is ambiguous.
    pub alternatives: Vec<AuditEntry>,
}

/// Why an export line could not be read; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    pub line: usize,
    pub reason: String,
}

/// The unsigned `export` member of an export's checkpoint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportInfo {
    /// The query parameters the export was filtered by, sorted by name; empty: complete.
    pub filters: Vec<(String, String)>,
}

/// An export's checkpoint: the signed checkpoint and, if present, its `export` member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportCheckpoint {
    pub signed: SignedCheckpoint,
    pub export: Option<ExportInfo>,
}

impl ExportCheckpoint {
    /// Reads a checkpoint's JSON; `export`, when present, must have a `filters` object of
    /// strings (`order` and other members are ignored).
    pub fn from_json(v: &Value) -> Result<Self, ParseError> {
        let signed = SignedCheckpoint::from_json(v)?;
        let export = match v.get("export") {
            None | Some(Value::Null) => None,
            Some(e) => {
                let filters =
                    e.get("filters").and_then(Value::as_object).ok_or(ParseError::Missing("export.filters"))?;
                let mut filters = filters
                    .iter()
                    .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                    .collect::<Option<Vec<_>>>()
                    .ok_or(ParseError::Invalid("export.filters"))?;
                filters.sort();
                Some(ExportInfo { filters })
            }
        };
        Ok(Self { signed, export })
    }

    fn filters(&self) -> &[(String, String)] {
        self.export.as_ref().map_or(&[], |e| &e.filters)
    }
}

/// Reads an NDJSON export: rows, then at most one checkpoint line, which must be the last
/// non-empty line. Blank lines (such as the one after the final LF) are skipped.
pub fn parse_ndjson(text: &str) -> Result<(Vec<ExportRow>, Option<ExportCheckpoint>), LineError> {
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
            checkpoint = Some(ExportCheckpoint::from_json(&v).map_err(|e| err(format!("checkpoint: {e}")))?);
        } else {
            rows.push(parse_row(&v).map_err(|m| err(format!("row: member `{m}` missing or invalid")))?);
        }
    }
    Ok((rows, checkpoint))
}

/// Parses an `occurredAt`-style time, only in the exact `format_ms` spelling.
pub(crate) fn exact_time(s: &str) -> Option<i64> {
    time::parse(s).ok().filter(|ms| time::format_ms(*ms) == s)
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
    let at_ms = exact_time(&text("occurredAt")?).ok_or("occurredAt")?;
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
    let entry = AuditEntry {
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
    };
    let alternatives = match data_value {
        Value::String(s) if serde_json::from_str::<Value>(s).is_err() => {
            vec![AuditEntry { data: s.clone(), ..entry.clone() }]
        }
        _ => Vec::new(),
    };
    Ok(ExportRow { entry, alternatives })
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
    /// Filtered mode: row `found` comes after row `previous` (0: none yet) in ascending order
    /// though its seq is not higher: rows swapped or repeated.
    OutOfOrder { previous: i64, found: i64 },
    /// The rows stop at `last_seq` (0 when there are none), before the checkpoint's `seq`:
    /// the newest rows are missing.
    TruncatedTail { checkpoint_seq: i64, last_seq: i64 },
    /// The rows go on to `last_seq`, past the checkpoint's `seq`: those rows are not signed.
    RowsAfterCheckpoint { checkpoint_seq: i64, last_seq: i64 },
    /// The row at the checkpoint's `seq` has another `hash` than the one signed.
    HeadMismatch { seq: i64, signed: String, found: String },
    /// A complete export (empty `export.filters`) starts at `first_seq` > 1 without holding
    /// [`EXPORT_ROW_CAP`] rows: its oldest rows are missing (the file was cut short).
    MissingOldest { first_seq: i64, rows: u64 },
    /// The later checkpoint does not extend the earlier one.
    NotAnExtension { earlier_seq: i64, reason: ExtensionBreak },
}

impl VerifyError {
    /// The first bad `seq`, when the failure is a row's.
    pub fn seq(&self) -> Option<i64> {
        match self {
            Self::AlteredRow { seq } | Self::BrokenLink { seq, .. } | Self::HeadMismatch { seq, .. } => Some(*seq),
            Self::DroppedRow { expected, .. } | Self::Reordered { expected, .. } => Some(*expected),
            Self::OutOfOrder { found, .. } => Some(*found),
            Self::TruncatedTail { last_seq, .. } => Some(last_seq + 1),
            Self::MissingOldest { first_seq, .. } => Some(first_seq - 1),
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
            Self::OutOfOrder { previous, found } => write!(
                f,
                "seq {found}: reordered or repeated rows (in a filtered export it comes after seq {previous})"
            ),
            Self::MissingOldest { first_seq, rows } => write!(
                f,
                "seq {}: oldest rows missing (a complete export starts at seq 1 or holds the newest {EXPORT_ROW_CAP} rows; this one starts at seq {first_seq} with {rows} rows)",
                first_seq - 1
            ),
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

/// How the rows were checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// One run of consecutive seqs from `first_seq` to the signed head.
    Chain,
    /// A filtered export: rows verified individually; `filtered_out` are the seq ranges
    /// (inclusive, ascending) not in the export, up to the checkpoint's `seq`.
    Filtered { filters: Vec<(String, String)>, filtered_out: Vec<(i64, i64)> },
}

/// What the check against an earlier checkpoint established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EarlierCheck {
    /// The rows link the earlier checkpoint's head to the later one's.
    Extends,
    /// Filtered mode: the row at the earlier `seq` has the hash it signs, but the rows from
    /// it to the head are not all in the export, so the extension itself is not proven.
    RowMatches,
    /// Filtered mode: neither the row at the earlier `seq` nor the one after it is in the
    /// export, so nothing could be compared.
    NotCheckable,
}

/// What a verified export proved; its `Display` is the verifier's `OK …` report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    pub workspace_id: String,
    pub mode: Mode,
    /// How many rows the export holds.
    pub rows: u64,
    /// Lowest `seq` in the export (1 when there are none).
    pub first_seq: i64,
    /// From this `seq` to the head, every row is linked to the signed head (`None`: no row is).
    pub linked_from: Option<i64>,
    pub head_seq: i64,
    pub head_hash: String,
    pub key_id: String,
    pub time_ms: i64,
    /// The earlier checkpoint's `seq` and what was established about it, if one was given.
    pub earlier: Option<(i64, EarlierCheck)>,
}

impl std::fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.mode {
            Mode::Chain => self.fmt_chain(f),
            Mode::Filtered { filters, filtered_out } => self.fmt_filtered(f, filters, filtered_out),
        }
    }
}

impl ExportSummary {
    fn signed(&self) -> String {
        format!("head {} signed by {} at {}", self.head_hash, self.key_id, time::format_ms(self.time_ms))
    }

    fn fmt_chain(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (ws, first, head, rows) = (&self.workspace_id, self.first_seq, self.head_seq, self.rows);
        write!(f, "OK workspace {ws} rows {first}..={head} ({rows} rows) {}", self.signed())?;
        if first > 1 {
            write!(f, "; rows before seq {first} are not in this export")?;
        }
        match self.earlier {
            Some((seq, _)) => write!(f, "; extends the checkpoint at seq {seq}"),
            None => Ok(()),
        }
    }

    fn fmt_filtered(
        &self,
        f: &mut std::fmt::Formatter<'_>,
        filters: &[(String, String)],
        filtered_out: &[(i64, i64)],
    ) -> std::fmt::Result {
        let filters: serde_json::Map<String, Value> =
            filters.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        writeln!(
            f,
            "OK FILTERED export of workspace {} (filters {}): {} rows verified individually (each row's hash, and the link between rows with consecutive seqs), not as a complete chain; checkpoint at seq {} {}",
            self.workspace_id,
            Value::Object(filters),
            self.rows,
            self.head_seq,
            self.signed()
        )?;
        write!(f, "filtered out (not in this export): {}", ranges(filtered_out))?;
        match self.linked_from {
            Some(from) => write!(f, "\nlinked to the signed head: rows {from}..={}", self.head_seq)?,
            None => f.write_str("\nlinked to the signed head: none")?,
        }
        let Some((seq, check)) = self.earlier else { return Ok(()) };
        write!(f, "\nearlier checkpoint at seq {seq}: ")?;
        f.write_str(match check {
            EarlierCheck::Extends => "extended (the rows link its head to the signed head)",
            EarlierCheck::RowMatches => {
                "its row is in this export with the hash it signs; the rows between are not all here, so the extension is not proven"
            }
            EarlierCheck::NotCheckable => "not checkable (neither its row nor the next one is in this filtered export)",
        })
    }
}

/// `a..=b` ranges (`a` alone when one seq), the first [`LISTED_RANGES`], and a count.
fn ranges(list: &[(i64, i64)]) -> String {
    if list.is_empty() {
        return "none".into();
    }
    let shown: Vec<String> = list
        .iter()
        .take(LISTED_RANGES)
        .map(|(a, b)| if a == b { a.to_string() } else { format!("{a}..={b}") })
        .collect();
    let rows: i64 = list.iter().map(|(a, b)| b - a + 1).sum();
    let more = list.len().saturating_sub(LISTED_RANGES);
    let more = if more > 0 { format!(", … ({more} more)") } else { String::new() };
    format!("{}{more} ({rows} rows in {} ranges)", shown.join(", "), list.len())
}

/// The rows in ascending order when the file has them newest first (first `seq` > last).
fn ascending(rows: &[ExportRow]) -> Vec<&ExportRow> {
    match (rows.first(), rows.last()) {
        (Some(first), Some(last)) if first.entry.seq > last.entry.seq => rows.iter().rev().collect(),
        _ => rows.iter().collect(),
    }
}

/// Pushes one row (in `workspace_id`), trying its alternative readings if its hash fails.
fn push(chain: &mut ChainVerifier, row: &ExportRow, workspace_id: &str) -> Result<(), ChainBreak> {
    let mut result = chain.push(&AuditEntry { workspace_id: workspace_id.to_owned(), ..row.entry.clone() });
    for alt in &row.alternatives {
        if !matches!(result, Err(ChainBreak::HashMismatch { .. })) {
            break;
        }
        result = chain.push(&AuditEntry { workspace_id: workspace_id.to_owned(), ..alt.clone() });
    }
    result
}

fn link_or_hash(b: ChainBreak) -> VerifyError {
    match b {
        ChainBreak::HashMismatch { seq, .. } => VerifyError::AlteredRow { seq },
        ChainBreak::PrevHashMismatch { seq, expected, actual } => {
            VerifyError::BrokenLink { seq, expected, found: actual }
        }
        ChainBreak::SeqGap { expected, actual } => VerifyError::DroppedRow { expected, found: actual },
    }
}

/// The verified rows: the newest `seq` and hash, where the last run of consecutive seqs
/// starts, and the gaps between runs (filtered mode).
struct Walk {
    chain: ChainVerifier,
    run_start: i64,
    gaps: Vec<(i64, i64)>,
}

/// Chain mode: one run from the lowest `seq` (its `prevHash` taken as given when above 1).
fn walk_chain(rows: &[&ExportRow], ws: &str) -> Result<Walk, VerifyError> {
    let lowest = rows.iter().map(|r| r.entry.seq).min();
    let first_seq = lowest.map_or(1, |s| s.max(1));
    let start_hash = match rows.iter().find(|r| r.entry.seq == first_seq) {
        Some(r) if first_seq > 1 => r.entry.prev_hash.clone(),
        _ => GENESIS_HASH.to_owned(),
    };
    let mut chain = ChainVerifier::new(&start_hash, first_seq);
    for (i, row) in rows.iter().enumerate() {
        match push(&mut chain, row, ws) {
            Ok(()) => {}
            Err(ChainBreak::SeqGap { expected, actual }) => {
                let later = rows[i + 1..].iter().any(|r| r.entry.seq == expected);
                return Err(if actual < expected || later {
                    VerifyError::Reordered { expected, found: actual }
                } else {
                    VerifyError::DroppedRow { expected, found: actual }
                });
            }
            Err(b) => return Err(link_or_hash(b)),
        }
    }
    Ok(Walk { chain, run_start: first_seq, gaps: Vec::new() })
}

/// Filtered mode: strictly increasing seqs; a gap restarts the chain at the next row.
fn walk_filtered(rows: &[&ExportRow], ws: &str) -> Result<Walk, VerifyError> {
    let mut walk = Walk { chain: ChainVerifier::new(GENESIS_HASH, 1), run_start: 1, gaps: Vec::new() };
    for row in rows {
        let (head, seq) = (walk.chain.summary().head_seq, row.entry.seq);
        if seq <= head {
            return Err(VerifyError::OutOfOrder { previous: head, found: seq });
        }
        if seq > head + 1 {
            walk.gaps.push((head + 1, seq - 1));
            walk.chain = ChainVerifier::new(&row.entry.prev_hash, seq);
            walk.run_start = seq;
        }
        push(&mut walk.chain, row, ws).map_err(link_or_hash)?;
    }
    Ok(walk)
}

/// Verifies `rows` (as read by [`parse_ndjson`] or `csv_read::parse_csv`, in either order)
/// against the signed `checkpoint` of the export, and, if given, against `earlier`. `ed25519`
/// runs each signature check (`checkpoint::verify_ed25519` on the host).
pub fn verify_export(
    rows: &[ExportRow],
    checkpoint: &ExportCheckpoint,
    earlier: Option<&SignedCheckpoint>,
    keys: &[PublicKey],
    ed25519: impl FnMut(&Ed25519Check) -> bool,
) -> Result<ExportSummary, VerifyError> {
    verify_with_cap(rows, checkpoint, earlier, keys, ed25519, EXPORT_ROW_CAP)
}

fn verify_with_cap(
    rows: &[ExportRow],
    checkpoint: &ExportCheckpoint,
    earlier: Option<&SignedCheckpoint>,
    keys: &[PublicKey],
    mut ed25519: impl FnMut(&Ed25519Check) -> bool,
    cap: usize,
) -> Result<ExportSummary, VerifyError> {
    checkpoint::verify(&checkpoint.signed, keys, &mut ed25519).map_err(|e| VerifyError::from_checkpoint(e, false))?;
    let cp = &checkpoint.signed.checkpoint;
    let filtered = !checkpoint.filters().is_empty();
    let rows = ascending(rows);
    let mut walk =
        if filtered { walk_filtered(&rows, &cp.workspace_id)? } else { walk_chain(&rows, &cp.workspace_id)? };
    let head = walk.chain.summary().clone();
    if head.head_seq > cp.seq {
        return Err(VerifyError::RowsAfterCheckpoint { checkpoint_seq: cp.seq, last_seq: head.head_seq });
    }
    if head.head_seq < cp.seq && !filtered {
        return Err(VerifyError::TruncatedTail { checkpoint_seq: cp.seq, last_seq: head.head_seq.max(0) });
    }
    if head.head_seq < cp.seq {
        walk.gaps.push((head.head_seq + 1, cp.seq));
    } else if head.head_hash != cp.hash {
        return Err(VerifyError::HeadMismatch { seq: cp.seq, signed: cp.hash.clone(), found: head.head_hash });
    }
    let first_seq = rows.first().map_or(1, |r| r.entry.seq.max(1));
    if checkpoint.export.is_some() && !filtered && first_seq > 1 && rows.len() != cap {
        return Err(VerifyError::MissingOldest { first_seq, rows: rows.len() as u64 });
    }
    let linked_from = (!filtered || head.head_seq == cp.seq && !rows.is_empty()).then_some(walk.run_start);
    let earlier = match earlier {
        None => None,
        Some(e) => Some((e.checkpoint.seq, check_earlier(e, checkpoint, &rows, linked_from, keys, &mut ed25519)?)),
    };
    let mode = if filtered {
        Mode::Filtered { filters: checkpoint.filters().to_vec(), filtered_out: walk.gaps }
    } else {
        Mode::Chain
    };
    Ok(ExportSummary {
        workspace_id: cp.workspace_id.clone(),
        mode,
        rows: rows.len() as u64,
        first_seq,
        linked_from,
        head_seq: cp.seq,
        head_hash: cp.hash.clone(),
        key_id: cp.key_id.clone(),
        time_ms: cp.time_ms,
        earlier,
    })
}

/// The hash at `seq` the verified rows vouch for: the row's own, or the next row's `prevHash`
/// (genesis for 0). `rows` are verified, so strictly ascending.
fn hash_at<'a>(rows: &[&'a ExportRow], seq: i64) -> Option<&'a str> {
    if seq == 0 {
        return Some(GENESIS_HASH);
    }
    let find = |s: i64| rows.binary_search_by_key(&s, |r| r.entry.seq).ok().and_then(|i| rows.get(i));
    find(seq).map(|r| r.entry.hash.as_str()).or_else(|| find(seq.saturating_add(1)).map(|r| r.entry.prev_hash.as_str()))
}

/// Checks the earlier checkpoint's signature and that the rows carry its head.
fn check_earlier(
    earlier: &SignedCheckpoint,
    later: &ExportCheckpoint,
    rows: &[&ExportRow],
    linked_from: Option<i64>,
    keys: &[PublicKey],
    ed25519: &mut impl FnMut(&Ed25519Check) -> bool,
) -> Result<EarlierCheck, VerifyError> {
    checkpoint::verify(earlier, keys, ed25519).map_err(|e| VerifyError::from_checkpoint(e, true))?;
    let (old, cp) = (&earlier.checkpoint, &later.signed.checkpoint);
    let not_ext = |reason| Err(VerifyError::NotAnExtension { earlier_seq: old.seq, reason });
    if old.workspace_id != cp.workspace_id {
        return not_ext(ExtensionBreak::OtherWorkspace);
    }
    if old.seq > cp.seq {
        return not_ext(ExtensionBreak::Older { later_seq: cp.seq });
    }
    let filtered = !later.filters().is_empty();
    match hash_at(rows, old.seq) {
        None if filtered => Ok(EarlierCheck::NotCheckable),
        None => {
            let first_seq = rows.first().map_or(1, |r| r.entry.seq);
            not_ext(ExtensionBreak::NotCovered { first_seq })
        }
        Some(hash) if hash != old.hash => {
            not_ext(ExtensionBreak::HashDiffers { expected: old.hash.clone(), found: hash.to_owned() })
        }
        Some(_) if old.seq == 0 || linked_from.is_some_and(|from| old.seq >= from - 1) => Ok(EarlierCheck::Extends),
        Some(_) => Ok(EarlierCheck::RowMatches),
    }
}

#[cfg(test)]
#[path = "verify_export_tests.rs"]
mod tests;
