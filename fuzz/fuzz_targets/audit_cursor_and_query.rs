//! Audit-log query parsing (`audit::query`).
//!
//! The input, when UTF-8, is used three ways:
//! * `Cursor::decode` on the whole text; when it accepts, re-encoding gives the text back
//!   (the function's own contract: it accepts exactly what `Cursor::encode` produces);
//! * split like a query string — on `&`, then each item at its first `=` (a missing `=`
//!   gives an empty value) — into already-decoded pairs for `AuditFilter::from_query`; when
//!   that accepts, `where_clause`, `page_sql` and `paginate` must also run without panicking,
//!   with one placeholder bound per parameter;
//! * `Cursor::encode` → `decode` round trip for a positive `before_seq` taken from the first
//!   8 bytes.
//! Nothing may panic.
#![no_main]

use axissynapse_edge::audit::query::{AuditFilter, Cursor};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(bytes) = data.get(..8) {
        let seq = i64::from_le_bytes(bytes.try_into().unwrap_or_default());
        if seq > 0 {
            let cursor = Cursor { before_seq: seq };
            assert_eq!(Cursor::decode(&cursor.encode()), Ok(cursor));
        }
    }

    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };

    if let Ok(cursor) = Cursor::decode(text) {
        assert!(cursor.before_seq > 0);
        assert_eq!(cursor.encode(), text);
    }

    let pairs: Vec<(String, String)> = text
        .split('&')
        .map(|item| match item.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (item.to_owned(), String::new()),
        })
        .collect();
    if let Ok(filter) = AuditFilter::from_query(&pairs) {
        assert!((1..=200).contains(&filter.limit));
        let (condition, params) = filter.where_clause("ws_fuzz");
        assert!(!params.is_empty());
        assert!(condition.contains(&format!("?{}", params.len())));
        let (sql, page_params) = filter.page_sql("ws_fuzz");
        assert!(sql.starts_with("SELECT "));
        assert_eq!(page_params, params);
        let (rows, next) = filter.paginate(Vec::new());
        assert!(rows.is_empty() && next.is_none());
    }
});
