//! The SAML ACS input path (`saml::response`), IdP metadata import (`saml::metadata`) and the
//! relay-state check (`saml::authn_request::safe_relay_state`).
//!
//! The input, when UTF-8, is parsed as a Response (bounded, DTD-free, structure and
//! signature-reference checks, digests) and, when that succeeds, validated against fixed
//! expectations; it is also read as IdP metadata and as a relay state:
//! * a parsed Response has one check per signature it carries, each for the Response or the
//!   Assertion, and at least one;
//! * an accepted relay state is the input itself and starts with one `/`.
//! Nothing may panic.
#![no_main]

use axissynapse_edge::saml::authn_request::safe_relay_state;
use axissynapse_edge::saml::metadata::parse_idp_metadata;
use axissynapse_edge::saml::response::{parse, Expectations};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(parsed) = parse(text) {
        assert!(!parsed.checks.is_empty() && parsed.checks.len() <= 2, "one or two signatures");
        let expectations = Expectations {
            sp_entity_id: "https://edge.axissynapse.test/api/saml/sp_fixture/metadata",
            acs_url: "https://edge.axissynapse.test/api/saml/sp_fixture/acs",
            idp_entity_id: "https://idp.example.test/saml",
            request_id: Some("_req_fixture_1"),
            allow_idp_initiated: false,
            now_ms: 1_780_308_060_000,
            skew_ms: 60_000,
            want_assertions_signed: false,
        };
        let _ = parsed.validate(&expectations);
    }
    let _ = parse_idp_metadata(text);
    if let Some(relay) = safe_relay_state(text) {
        assert_eq!(relay, text);
        assert!(relay.starts_with('/') && !relay.starts_with("//"));
    }
});
