//! Host tests over a registration captured from a real browser: Debian Chromium's CTAP2
//! virtual authenticator, driven by `tests/browser/portal-security.test.mjs` with AXIS_CAPTURE_FILE
//! (see `tests/fixtures/webauthn/README.md`). The same bytes the worker accepted over HTTP
//! must pass the pure core, and fail it once tampered.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::testutil::verify;
use super::{prepare_registration, AttestationKind, RegistrationInput};

struct Capture {
    origin: String,
    rp_id: String,
    challenge: Vec<u8>,
    client_data: Vec<u8>,
    attestation_object: Vec<u8>,
}

fn b64u(value: &serde_json::Value) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(value.as_str().unwrap().trim_end_matches('=')).unwrap()
}

fn capture() -> Capture {
    let text = include_str!("../../tests/fixtures/webauthn/chromium-virtual-authenticator.json");
    let doc: serde_json::Value = serde_json::from_str(text).unwrap();
    Capture {
        origin: doc["origin"].as_str().unwrap().to_string(),
        rp_id: doc["options"]["rp"]["id"].as_str().unwrap().to_string(),
        challenge: b64u(&doc["options"]["challenge"]),
        client_data: b64u(&doc["credential"]["response"]["clientDataJSON"]),
        attestation_object: b64u(&doc["credential"]["response"]["attestationObject"]),
    }
}

fn register(c: &Capture) -> Result<super::PreparedRegistration, super::WebauthnError> {
    let origins = [c.origin.as_str()];
    prepare_registration(&RegistrationInput {
        client_data_json: &c.client_data,
        attestation_object: &c.attestation_object,
        expected_challenge: &c.challenge,
        allowed_origins: &origins,
        rp_id: &c.rp_id,
        require_user_verification: true,
    })
}

#[test]
fn chromium_virtual_authenticator_registration_verifies() {
    let prepared = register(&capture()).unwrap();
    assert!(prepared.credential.user_verified);
    assert!(!prepared.checks.is_empty(), "packed attestation carries a signature");
    assert!(prepared.checks.iter().all(verify), "every signature verifies with pure-Rust crypto");
    assert!(matches!(
        prepared.attestation.kind,
        AttestationKind::SelfAttested | AttestationKind::Basic { .. } | AttestationKind::None
    ));
}

#[test]
fn chromium_virtual_authenticator_registration_refuses_another_challenge_or_origin() {
    let mut c = capture();
    c.challenge[0] ^= 1;
    assert!(register(&c).is_err());
    let mut c = capture();
    c.origin = "http://localhost:1".into();
    assert!(register(&c).is_err());
    let mut c = capture();
    c.rp_id = "example.com".into();
    assert!(register(&c).is_err());
}

#[test]
fn chromium_virtual_authenticator_tampered_signature_fails() {
    let prepared = register(&capture()).unwrap();
    for check in &prepared.checks {
        let mut tampered = check.clone();
        tampered.message[0] ^= 1;
        assert!(!verify(&tampered));
    }
}
