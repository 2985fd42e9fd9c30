//! Reads a CSV audit export (`crate::audit::export::csv_row`) back into rows for
//! `crate::audit::verify_export`.
//!
//! RFC 4180: the first record is the header (`export::CSV_COLUMNS`, which is how a CSV export
//! is recognised, [`is_csv`]); records end in CRLF (a bare LF is accepted too); a quoted field
//! may hold `,`, CR and LF, with inner quotes doubled; a quote inside an unquoted field is
//! refused. A leading byte-order mark is skipped. Cells:
//!
//! * `seq` is an integer in its canonical spelling; `occurredAt` in the exact spelling
//!   `crate::time::format_ms` writes;
//! * an empty `actorId`, `resourceType`, `resourceId` or `ip` is absent (so a present but
//!   empty value cannot be told from an absent one: such a row fails its hash);
//! * `data` is the stored text itself;
//! * formula neutralisation is undone: a text cell that is `'` followed by a trigger (`=`, `+`,
//!   `-`, `@`, TAB, CR) is read without the `'`. A text that itself began so was written as is
//!   (it does not start with a trigger), so the other readings of the row are kept as
//!   alternatives: every combination when at most [`MAX_AMBIGUOUS`] cells are ambiguous, else
//!   only the one keeping every `'`.

use crate::audit::export::{CSV_COLUMNS, FORMULA_TRIGGERS};
use crate::audit::ledger::AuditEntry;
use crate::audit::verify_export::{exact_time, ExportRow, LineError};

/// Up to this many ambiguous cells in a row, every reading is tried (2^n).
pub const MAX_AMBIGUOUS: usize = 3;

const COLUMNS: usize = 12;
/// Text columns that go into the row hash and may be neutralised: id, action, actorType,
/// actorId, resourceType, resourceId, ip, data.
const FREE_TEXT: [usize; 8] = [0, 3, 4, 5, 6, 7, 8, 9];

/// Whether `text` starts with the CSV export's header line.
pub fn is_csv(text: &str) -> bool {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.split('\n').next().unwrap_or_default();
    first.strip_suffix('\r').unwrap_or(first) == CSV_COLUMNS.join(",")
}

/// Reads a CSV export: the header, then one row per record. Errors name the record's line.
pub fn parse_csv(text: &str) -> Result<Vec<ExportRow>, LineError> {
    let mut reader = Reader { rest: text.strip_prefix('\u{feff}').unwrap_or(text), line: 1 };
    match reader.record() {
        Some(Ok((_, header))) if header == CSV_COLUMNS => {}
        Some(Err(e)) => return Err(e),
        _ => return Err(LineError { line: 1, reason: "not the CSV export's header".into() }),
    }
    let mut rows = Vec::new();
    while let Some(record) = reader.record() {
        let (line, cells) = record?;
        rows.push(row(cells).map_err(|reason| LineError { line, reason })?);
    }
    Ok(rows)
}

struct Reader<'a> {
    rest: &'a str,
    line: usize,
}

impl Reader<'_> {
    /// The next record and the line it starts on; `None` at the end of the text.
    fn record(&mut self) -> Option<Result<(usize, Vec<String>), LineError>> {
        if self.rest.is_empty() {
            return None;
        }
        let start = self.line;
        let mut fields = Vec::new();
        loop {
            match self.field() {
                Ok(f) => fields.push(f),
                Err(reason) => return Some(Err(LineError { line: self.line, reason })),
            }
            if let Some(rest) = self.rest.strip_prefix(',') {
                self.rest = rest;
            } else if let Some(rest) = self.rest.strip_prefix("\r\n").or_else(|| self.rest.strip_prefix('\n')) {
                self.rest = rest;
                self.line += 1;
                return Some(Ok((start, fields)));
            } else if self.rest.is_empty() {
                return Some(Ok((start, fields)));
            } else {
                let reason = "expected `,` or a line end after a field".to_owned();
                return Some(Err(LineError { line: self.line, reason }));
            }
        }
    }

    fn field(&mut self) -> Result<String, String> {
        let Some(mut rest) = self.rest.strip_prefix('"') else {
            let end = self.rest.find([',', '\r', '\n']).unwrap_or(self.rest.len());
            let (field, rest) = self.rest.split_at(end);
            if field.contains('"') {
                return Err("`\"` inside an unquoted field".into());
            }
            self.rest = rest;
            return Ok(field.to_owned());
        };
        let mut out = String::new();
        loop {
            let at = rest.find('"').ok_or("unterminated quoted field")?;
            out.push_str(&rest[..at]);
            rest = &rest[at + 1..];
            match rest.strip_prefix('"') {
                Some(after) => {
                    out.push('"');
                    rest = after;
                }
                None => break,
            }
        }
        self.line += out.matches('\n').count();
        self.rest = rest;
        Ok(out)
    }
}

/// A text cell without its formula-neutralising `'`, if it has one.
fn undo_neutralisation(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest,
        _ => cell,
    }
}

fn row(cells: Vec<String>) -> Result<ExportRow, String> {
    let found = cells.len();
    let cells: [String; COLUMNS] = cells.try_into().map_err(|_| format!("expected {COLUMNS} fields, found {found}"))?;
    let [_, seq, at, ..] = &cells;
    let seq = seq.parse::<i64>().ok().filter(|n| n.to_string() == *seq).ok_or("seq: not an integer")?;
    let at_ms = exact_time(at).ok_or("occurredAt: not in the export's time format")?;
    let read: [String; COLUMNS] = cells.clone().map(|c| undo_neutralisation(&c).to_owned());
    let ambiguous: Vec<usize> = FREE_TEXT.into_iter().filter(|&i| cells.get(i) != read.get(i)).collect();
    let masks: Vec<u32> =
        if ambiguous.len() <= MAX_AMBIGUOUS { (1..1u32 << ambiguous.len()).collect() } else { vec![u32::MAX] };
    let alternatives = masks
        .into_iter()
        .map(|mask| {
            let mut v = read.clone();
            for (bit, &i) in ambiguous.iter().enumerate() {
                if mask >> bit & 1 == 1 {
                    if let (Some(slot), Some(original)) = (v.get_mut(i), cells.get(i)) {
                        slot.clone_from(original);
                    }
                }
            }
            entry(v, seq, at_ms)
        })
        .collect();
    Ok(ExportRow { entry: entry(read, seq, at_ms), alternatives })
}

fn entry(cells: [String; COLUMNS], seq: i64, at_ms: i64) -> AuditEntry {
    let opt = |s: String| Some(s).filter(|s| !s.is_empty());
    let [id, _, _, action, actor_type, actor_id, resource_type, resource_id, ip, data, prev_hash, hash] = cells;
    AuditEntry {
        workspace_id: String::new(),
        seq,
        id,
        at_ms,
        action,
        actor_type,
        actor_id: opt(actor_id),
        resource_type: opt(resource_type),
        resource_id: opt(resource_id),
        ip: opt(ip),
        data,
        prev_hash,
        hash,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::export::{csv_header, csv_row};
    use crate::audit::ledger::{tests::entry as ledger_entry, GENESIS_HASH};

    fn sealed(f: impl FnOnce(&mut AuditEntry)) -> AuditEntry {
        let mut e = ledger_entry(3, GENESIS_HASH);
        f(&mut e);
        e.seal()
    }

    fn read_back(e: &AuditEntry) -> ExportRow {
        let rows = parse_csv(&(csv_header() + &csv_row(e))).unwrap();
        assert_eq!(rows.len(), 1);
        rows.into_iter().next().unwrap()
    }

    /// The reading whose hash matches, as the verifier would pick it.
    fn matching(row: &ExportRow) -> Option<AuditEntry> {
        std::iter::once(&row.entry)
            .chain(&row.alternatives)
            .find(|e| {
                crate::audit::ledger::compute_hash(&AuditEntry { workspace_id: "ws_1".into(), ..(*e).clone() })
                    == e.hash
            })
            .map(|e| AuditEntry { workspace_id: "ws_1".into(), ..e.clone() })
    }

    #[test]
    fn rows_read_back_exactly_with_quotes_newlines_and_absent_fields() {
        for e in [
            sealed(|_| {}),
            sealed(|e| e.data = "line1\r\nline2, \"quoted\"\nZoë 東京".into()),
            sealed(|e| (e.actor_id, e.resource_type, e.resource_id, e.ip) = (None, None, None, None)),
        ] {
            let row = read_back(&e);
            assert_eq!(AuditEntry { workspace_id: "ws_1".into(), ..row.entry.clone() }, e);
            assert!(row.alternatives.is_empty());
        }
    }

    #[test]
    fn formula_neutralisation_is_undone_and_the_original_quote_still_found() {
        let neutralised = sealed(|e| (e.data, e.resource_id) = ("=SUM(A1)".into(), Some("-42".into())));
        let row = read_back(&neutralised);
        assert_eq!(row.entry.data, "=SUM(A1)");
        assert_eq!(row.alternatives.len(), 3);
        assert_eq!(matching(&row), Some(neutralised));
        // Text that itself starts with `'` and a trigger is written as is: the other reading.
        let quoted = sealed(|e| (e.data, e.ip) = ("'=not a formula".into(), Some("'+1".into())));
        let row = read_back(&quoted);
        assert_eq!(row.entry.data, "=not a formula");
        assert_eq!(matching(&row), Some(quoted));
        let mixed = sealed(|e| (e.data, e.actor_id) = ("'@x".into(), Some("@y".into())));
        assert_eq!(matching(&read_back(&mixed)), Some(mixed));
    }

    #[test]
    fn many_ambiguous_cells_try_only_keeping_every_quote() {
        let e = sealed(|e| {
            e.id = "'=1".into();
            e.action = "'=2".into();
            e.actor_type = "'=3".into();
            e.data = "'=4".into();
        });
        let row = read_back(&e);
        assert_eq!(row.alternatives.len(), 1);
        assert_eq!(matching(&row), Some(e));
    }

    #[test]
    fn detects_the_header_and_refuses_malformed_records_with_their_line() {
        let good = csv_header() + &csv_row(&sealed(|e| e.data = "a\nb".into())) + &csv_row(&sealed(|_| {}));
        assert!(is_csv(&good) && is_csv(&format!("\u{feff}{good}")));
        assert!(!is_csv("{\"id\":1}\n") && !is_csv("id,seq\r\n"));
        assert_eq!(parse_csv(&good).unwrap().len(), 2);
        assert_eq!(parse_csv(&good.replace("\r\n", "\n")).unwrap().len(), 2);
        assert_eq!(parse_csv(&(good.clone() + "x,1\r\n")).unwrap_err().line, 5);
        assert_eq!(parse_csv(&good.replacen(",3,", ",03,", 1)).unwrap_err().line, 2);
        assert_eq!(parse_csv(&good.replacen(",3,", ",3\",", 1)).unwrap_err().line, 2);
        assert_eq!(parse_csv(&(good.clone() + "\"open")).unwrap_err().reason, "unterminated quoted field");
        assert!(parse_csv(&good.replacen(".626Z", ".626+00:00", 1)).unwrap_err().reason.starts_with("occurredAt"));
        assert_eq!(parse_csv("id,seq\r\n").unwrap_err().line, 1);
    }
}
