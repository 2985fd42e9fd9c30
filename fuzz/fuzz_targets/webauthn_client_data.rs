//! `verify_client_data` (§5.8.1 clientDataJSON, the §7.2 type / challenge / origin /
//! cross-origin checks) on arbitrary bytes, for a `webauthn.get` ceremony with challenge
//! `b"challenge"` (base64url `Y2hhbGxlbmdl`) and origin `https://example.com`. Must never
//! panic. When it accepts, the returned clientDataHash must be SHA-256 of the exact input
//! bytes, and the same bytes must be refused for a `webauthn.create` ceremony.
#![no_main]

use axissynapse_edge::webauthn::client_data::verify_client_data;
use axissynapse_edge::webauthn::CeremonyType;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

const CHALLENGE: &[u8] = b"challenge";
const ORIGINS: &[&str] = &["https://example.com"];

fuzz_target!(|data: &[u8]| {
    let Ok(hash) = verify_client_data(data, CeremonyType::Get, CHALLENGE, ORIGINS) else {
        return;
    };
    let expected: [u8; 32] = Sha256::digest(data).into();
    assert_eq!(
        hash, expected,
        "clientDataHash is SHA-256 of clientDataJSON"
    );
    assert!(verify_client_data(data, CeremonyType::Create, CHALLENGE, ORIGINS).is_err());
});
