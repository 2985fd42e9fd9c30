//! `AuthenticatorData::parse` on arbitrary bytes (§6.1 authenticator data, §6.5.1 attested
//! credential data, extensions). Must return `Ok` or `Err`, never panic.
//!
//! On success it also checks what the parser promises: the flags say which optional parts are
//! present, and an attested credential's raw `credentialPublicKey` bytes decode on their own to
//! the same key.
#![no_main]

use axissynapse_edge::webauthn::{AuthenticatorData, CoseKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = AuthenticatorData::parse(data) else {
        return;
    };
    assert_eq!(parsed.flags.0, data[32], "flags byte");
    assert_eq!(
        parsed.attested.is_some(),
        parsed.flags.attested_credential_data(),
        "attested credential data present iff AT"
    );
    assert_eq!(parsed.has_extensions, parsed.flags.extension_data());
    if let Some(attested) = &parsed.attested {
        assert!(attested.credential_id.len() <= 1023);
        let again = CoseKey::from_cbor(&attested.public_key_cbor)
            .expect("the raw credentialPublicKey that parsed inside authData parses alone");
        assert_eq!(again, attested.public_key);
        let _ = attested.public_key.to_jwk();
        let _ = attested.aaguid.to_string();
    }
});
