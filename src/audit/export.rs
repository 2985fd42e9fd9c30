//! Audit-log export encodings: CSV per RFC 4180 §2 and NDJSON (one compact JSON object per
//! line, LF-terminated) in the API shape of `crate::audit::ledger::to_json`.
//!
//! CSV records end in CRLF; a field containing `,`, `"`, CR or LF is quoted, with inner quotes
//! doubled (RFC 4180 §2 rules 6–7). Against spreadsheet formula injection (OWASP "CSV
//! Injection"), a text field starting with `=`, `+`, `-`, `@`, TAB or CR gets a leading `'`
//! and is then always quoted. Only text columns are neutralised, even when they merely look
//! numeric (`-1`): their content comes from callers. `seq`, an integer column, is written as is.

use crate::audit::ledger::{to_json, AuditEntry};
use crate::time;

/// CSV header names, in column order.
pub const CSV_COLUMNS: &[&str] = &[
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

const RECORD_END: &str = "\r\n";
pub(crate) const FORMULA_TRIGGERS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// The CSV header record, CRLF-terminated.
pub fn csv_header() -> String {
    CSV_COLUMNS.join(",") + RECORD_END
}

/// One CSV record for `e`, CRLF-terminated; absent optional fields are empty.
pub fn csv_row(e: &AuditEntry) -> String {
    let opt = |field: &Option<String>| csv_text(field.as_deref().unwrap_or_default());
    let fields = [
        csv_text(&e.id),
        e.seq.to_string(),
        csv_text(&time::format_ms(e.at_ms)),
        csv_text(&e.action),
        csv_text(&e.actor_type),
        opt(&e.actor_id),
        opt(&e.resource_type),
        opt(&e.resource_id),
        opt(&e.ip),
        csv_text(&e.data),
        csv_text(&e.prev_hash),
        csv_text(&e.hash),
    ];
    fields.join(",") + RECORD_END
}

/// One NDJSON line for `e`: compact [`to_json`] then LF.
pub fn ndjson_row(e: &AuditEntry) -> String {
    to_json(e).to_string() + "\n"
}

/// A text field, formula-neutralised and quoted as needed.
fn csv_text(field: &str) -> String {
    if field.starts_with(FORMULA_TRIGGERS) {
        quote(&format!("'{field}"))
    } else if field.contains([',', '"', '\r', '\n']) {
        quote(field)
    } else {
        field.to_owned()
    }
}

fn quote(field: &str) -> String {
    format!("\"{}\"", field.replace('"', "\"\""))
}

/// `v` as compact JSON in printable ASCII, for the `X-AxisSynapse-Audit-Checkpoint` header:
/// every other character is written as a JSON `\uXXXX` escape (UTF-16, RFC 8259 §7), so the
/// header parses back to the same value.
pub fn ascii_json(v: &serde_json::Value) -> String {
    let mut out = String::new();
    for c in v.to_string().chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_json_escapes_everything_outside_printable_ascii_and_parses_back() {
        let v = serde_json::json!({"q": "Zoë 🔑", "action": "ACCOUNT_*"});
        let header = ascii_json(&v);
        assert!(header.bytes().all(|b| (0x20..0x7f).contains(&b)), "{header}");
        assert!(header.contains("\\u00eb") && header.contains("\\ud83d\\udd11"), "{header}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&header).unwrap(), v);
    }
    use crate::audit::ledger::{tests::entry, GENESIS_HASH};

    fn row_with_data(data: &str) -> AuditEntry {
        AuditEntry { data: data.into(), ..entry(1, GENESIS_HASH) }
    }

    /// The `data` cell of the record (the fields before it hold no commas).
    fn data_cell(e: &AuditEntry) -> String {
        let record = csv_row(e);
        let after_ip = record.splitn(10, ',').nth(9).unwrap().to_owned();
        let hash_tail = format!(",{},{}\r\n", e.prev_hash, e.hash);
        after_ip.strip_suffix(&hash_tail).unwrap().to_owned()
    }

    #[test]
    fn header_lists_columns_with_crlf() {
        assert_eq!(
            csv_header(),
            "id,seq,occurredAt,action,actorType,actorId,resourceType,resourceId,ip,data,prevHash,hash\r\n"
        );
    }

    #[test]
    fn row_has_one_field_per_column_and_crlf() {
        let e = AuditEntry { data: "plain".into(), ..entry(7, GENESIS_HASH) }.seal();
        let expected = format!(
            "evt_0007,7,2026-06-09T07:53:49.626Z,USER_LOGIN,user,usr_1,session,ses_7,203.0.113.7,plain,{GENESIS_HASH},{}\r\n",
            e.hash
        );
        assert_eq!(csv_row(&e), expected);
        assert_eq!(csv_row(&e).split(',').count(), CSV_COLUMNS.len());
    }

    #[test]
    fn absent_optional_fields_are_empty() {
        let e = AuditEntry { actor_id: None, resource_type: None, resource_id: None, ip: None, ..row_with_data("x") };
        assert!(csv_row(&e).contains(",user,,,,,x,"));
    }

    #[test]
    fn json_data_is_quoted_with_doubled_quotes() {
        assert_eq!(data_cell(&row_with_data(r#"{"a":1,"b":"c"}"#)), r#""{""a"":1,""b"":""c""}""#);
    }

    #[test]
    fn rfc4180_quotes_comma_quote_cr_lf() {
        assert_eq!(csv_text("a,b"), "\"a,b\"");
        assert_eq!(csv_text("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_text("a\rb"), "\"a\rb\"");
        assert_eq!(csv_text("plain text"), "plain text");
        assert_eq!(csv_text(""), "");
    }

    #[test]
    fn embedded_newlines_stay_inside_one_quoted_field() {
        let e = row_with_data("line1\r\nline2\nline3");
        assert_eq!(data_cell(&e), "\"line1\r\nline2\nline3\"");
        assert!(csv_row(&e).ends_with(&format!(",{}\r\n", e.hash)));
    }

    #[test]
    fn owasp_formula_triggers_neutralised_and_quoted() {
        let cases = [
            ("=1+1", "\"'=1+1\""),
            ("+1+1", "\"'+1+1\""),
            ("-1+1", "\"'-1+1\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("\t=cmd", "\"'\t=cmd\""),
            ("\r=cmd", "\"'\r=cmd\""),
            ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
        ];
        for (input, expected) in cases {
            assert_eq!(csv_text(input), expected, "{input:?}");
        }
    }

    #[test]
    fn triggers_only_matter_at_the_start() {
        assert_eq!(csv_text("a=b"), "a=b");
        assert_eq!(csv_text("x-1"), "x-1");
        assert_eq!(csv_text(" =1"), " =1");
    }

    #[test]
    fn negative_number_looking_text_is_still_neutralised() {
        let e = AuditEntry { resource_id: Some("-42".into()), ..row_with_data("-3.5") };
        assert!(csv_row(&e).contains(",\"'-42\",203.0.113.7,\"'-3.5\","));
    }

    #[test]
    fn numeric_seq_kept_as_is_even_when_negative() {
        let e = AuditEntry { seq: -5, ..row_with_data("x") };
        assert!(csv_row(&e).starts_with("evt_0001,-5,"));
    }

    #[test]
    fn unicode_passes_through_unquoted() {
        assert_eq!(data_cell(&row_with_data("Zoë 東京 🚀")), "Zoë 東京 🚀");
        assert_eq!(csv_text("ü,ß"), "\"ü,ß\"");
    }

    #[test]
    fn ndjson_row_is_compact_to_json_plus_lf() {
        let e = row_with_data("{\"k\": [1, 2]}").seal();
        let line = ndjson_row(&e);
        assert!(line.ends_with('\n'));
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.contains(r#""data":{"k":[1,2]}"#));
        assert_eq!(serde_json::from_str::<serde_json::Value>(&line).unwrap(), to_json(&e));
    }

    #[test]
    fn ndjson_escapes_newlines_in_raw_text_data() {
        let line = ndjson_row(&row_with_data("not json\nsecond line"));
        assert_eq!(line.matches('\n').count(), 1);
        assert!(line.contains(r#""data":"not json\nsecond line""#));
    }
}
