//! The webhook core's parsers of untrusted text (`webhooks::receiver_url`,
//! `webhooks::event_filter`, `webhooks::retry::parse_retry_after`, `webhooks::sign::Secret`).
//!
//! The input, when UTF-8, is used whole as a receiver URL, a glob, a `Retry-After` value and a
//! `whsec_` secret:
//! * an accepted URL validates again to itself (the stored form is a fixed point), under every
//!   policy that accepted it;
//! * `matches` never panics and a pattern matches itself when it has no `*`;
//! * a parsed secret encodes and re-parses to the same fingerprint.
//! Nothing may panic.
#![no_main]

use axissynapse_edge::webhooks::event_filter::matches;
use axissynapse_edge::webhooks::receiver_url::{validate, UrlPolicy};
use axissynapse_edge::webhooks::retry::parse_retry_after;
use axissynapse_edge::webhooks::sign::Secret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for production in [false, true] {
        let policy = UrlPolicy { production, allow_http_localhost: !production };
        if let Ok(stored) = validate(text, policy) {
            assert_eq!(validate(&stored, policy).as_deref(), Ok(stored.as_str()), "stored URL is a fixed point");
        }
    }
    let (pattern, subject) = text.split_once('\n').unwrap_or((text, text));
    let hit = matches(pattern, subject);
    if !pattern.contains('*') {
        assert_eq!(hit, pattern == subject);
    }
    let _ = parse_retry_after(text, 1_700_000_000_000);
    if let Ok(secret) = Secret::parse(text) {
        let again = Secret::parse(&secret.encode()).expect("encoded secret parses");
        assert_eq!(again.fingerprint(), secret.fingerprint());
    }
});
