//! SCIM list paging (`scim::resource::Paging`, `ListQuery`; RFC 7644 §3.4.2.4).
//!
//! The input, when UTF-8, is used three ways:
//! * split at the first `\n` into `startIndex` and `count` for `Paging::parse`; the result is
//!   compared with an independent oracle (`str::parse::<i128>`, overflow saturating): an
//!   integer is accepted and clamped to `1..=MAX_START_INDEX` / `0..=MAX_COUNT`, anything else
//!   is refused; the offset is `startIndex - 1` and survives the trip through an `f64` (how D1
//!   binds it); the accepted values re-parse to themselves;
//! * split like a query string (on `&`, then at the first `=`) into pairs for
//!   `ListQuery::from_params`;
//! * parsed as JSON, as a `.search` body for `ListQuery::from_search`, and also with the text's
//!   two fields placed as the body's `startIndex` and `count` (numbers when they are JSON
//!   numbers, strings otherwise).
//!
//! Every accepted query lies within the bounds. Nothing may panic.
#![no_main]

use std::num::IntErrorKind;

use axissynapse_edge::scim::resource::{ListQuery, Paging, MAX_COUNT, MAX_START_INDEX, SEARCH_URN};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// What `Paging::parse` must make of one field: `None` refused, `Some(v)` the integer clamped.
/// `str::parse` reports an overflow as soon as it happens, before it sees a bad character
/// further on, so an overflowing text counts only when all of it is digits.
fn oracle(text: &str, min: u64, max: u64) -> Option<u64> {
    let text = text.trim();
    let all_digits = || {
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        digits.bytes().all(|b| b.is_ascii_digit())
    };
    let value = match text.parse::<i128>() {
        Ok(v) => v,
        Err(e) if *e.kind() == IntErrorKind::PosOverflow && all_digits() => i128::MAX,
        Err(e) if *e.kind() == IntErrorKind::NegOverflow && all_digits() => i128::MIN,
        Err(_) => return None,
    };
    Some(value.clamp(i128::from(min), i128::from(max)) as u64)
}

fn check_bounds(start_index: u64, count: u64, offset: u64) {
    assert!((1..=MAX_START_INDEX).contains(&start_index), "startIndex {start_index}");
    assert!(count <= MAX_COUNT, "count {count}");
    assert_eq!(offset, start_index - 1);
    assert_eq!(offset as f64 as u64, offset, "offset {offset} is not exact as a double");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (start, count) = text.split_once('\n').unwrap_or((text, "1"));

    let parsed = Paging::parse(Some(start), Some(count));
    let expected = oracle(start, 1, MAX_START_INDEX).zip(oracle(count, 0, MAX_COUNT));
    assert_eq!(parsed.as_ref().ok().map(|p| (p.start_index, p.count)), expected, "{start:?} {count:?}");
    if let Ok(paging) = parsed {
        check_bounds(paging.start_index, paging.count, paging.offset());
        let again = Paging::parse(Some(&paging.start_index.to_string()), Some(&paging.count.to_string()));
        assert_eq!(again, Ok(paging), "accepted values re-parse to themselves");
    }
    let defaults = Paging::parse(None, None).map(|p| (p.start_index, p.count));
    assert_eq!(defaults, Ok((1, 100)));

    let pairs: Vec<(String, String)> = text
        .split('&')
        .map(|item| match item.split_once('=') {
            Some((key, value)) => (key.to_owned(), value.to_owned()),
            None => (item.to_owned(), String::new()),
        })
        .collect();
    if let Ok(q) = ListQuery::from_params(&pairs) {
        check_bounds(q.start_index, q.count, q.offset());
    }

    if let Ok(body) = serde_json::from_str::<Value>(text) {
        if let Ok(q) = ListQuery::from_search(&body) {
            check_bounds(q.start_index, q.count, q.offset());
        }
    }
    let field = |s: &str| serde_json::from_str::<Value>(s).ok().filter(Value::is_number).unwrap_or_else(|| json!(s));
    let body = json!({"schemas": [SEARCH_URN], "startIndex": field(start), "count": field(count)});
    if let Ok(q) = ListQuery::from_search(&body) {
        check_bounds(q.start_index, q.count, q.offset());
    }
});
