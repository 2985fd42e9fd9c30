//! The W3C WebAuthn Level 3 §16 "Test Vectors", end to end: each registration and
//! authentication example through [`prepare_registration`] / [`prepare_assertion`], with every
//! returned [`SignatureCheck`] verified by the host stand-in for Web Crypto. Fixtures and their
//! provenance: `tests/fixtures/webauthn/README.md`.

use super::assertion::{evaluate, prepare_assertion, AssertionInput, PreparedAssertion, StoredCredential};
use super::attestation::AttestationKind;
use super::registration::{prepare_registration, PreparedRegistration, RegistrationInput};
use super::testutil::{attestation_object, edit_certificate, verify, CertEdit, Vector};
use super::{Aaguid, CoseKey, WebauthnError};
use ciborium::value::Value;

const ORIGINS: &[&str] = &["https://example.org"];
const RP_ID: &str = "example.org";

fn register_with(
    v: &Vector,
    attestation_object: &[u8],
    require_uv: bool,
) -> Result<PreparedRegistration, WebauthnError> {
    prepare_registration(&RegistrationInput {
        client_data_json: &v.reg("clientDataJSON"),
        attestation_object,
        expected_challenge: &v.reg("challenge"),
        allowed_origins: ORIGINS,
        rp_id: RP_ID,
        require_user_verification: require_uv,
    })
}

fn register(v: &Vector) -> Result<PreparedRegistration, WebauthnError> {
    register_with(v, &v.reg("attestationObject"), false)
}

/// Registers `v`, asserting that every returned check verifies and the credential matches the vector.
fn registered(v: &Vector) -> PreparedRegistration {
    let prepared = register(v).unwrap();
    assert!(prepared.checks.iter().all(verify), "a registration check failed to verify");
    assert_eq!(prepared.checks, prepared.attestation.checks);
    assert_eq!(prepared.credential.id, v.reg("credential_id"));
    assert_eq!(prepared.credential.aaguid, Aaguid(v.reg("aaguid").try_into().unwrap()));
    prepared
}

fn stored(prepared: &PreparedRegistration) -> StoredCredential {
    StoredCredential {
        public_key: prepared.credential.public_key.clone(),
        sign_count: prepared.credential.sign_count,
        backup_eligible: prepared.credential.backup_eligible,
        backup_state: prepared.credential.backup_state,
    }
}

fn assertion_input(
    v: &Vector,
    stored: StoredCredential,
    run: impl FnOnce(&AssertionInput<'_>) -> Result<PreparedAssertion, WebauthnError>,
) -> Result<PreparedAssertion, WebauthnError> {
    run(&AssertionInput {
        client_data_json: &v.auth("clientDataJSON"),
        authenticator_data: &v.auth("authenticatorData"),
        signature: &v.auth("signature"),
        expected_challenge: &v.auth("challenge"),
        allowed_origins: ORIGINS,
        rp_id: RP_ID,
        stored,
    })
}

/// The authentication example passes `prepare_assertion` and its check verifies.
fn asserts_with_uv(v: &Vector, stored: StoredCredential) -> PreparedAssertion {
    let prepared = assertion_input(v, stored, prepare_assertion).unwrap();
    assert!(prepared.user_verified && verify(&prepared.check));
    prepared
}

/// The authentication example has UV clear: refused by `prepare_assertion`, yet every other
/// check passes and its signature verifies.
fn asserts_only_without_uv_requirement(v: &Vector, stored: StoredCredential) {
    let refused = assertion_input(v, stored.clone(), prepare_assertion);
    assert_eq!(refused, Err(WebauthnError::UserVerificationMissing));
    let prepared = assertion_input(v, stored, evaluate).unwrap();
    assert!(!prepared.user_verified && verify(&prepared.check));
}

fn p256_public_key(private_key: &[u8]) -> CoseKey {
    let signing = p256::ecdsa::SigningKey::from_slice(private_key).unwrap();
    let point = signing.verifying_key().to_sec1_point(false);
    let bytes = point.as_bytes();
    CoseKey::Es256 { x: bytes[1..33].try_into().unwrap(), y: bytes[33..65].try_into().unwrap() }
}

#[test]
fn none_es256() {
    let v = Vector::load("none-es256");
    let prepared = registered(&v);
    assert_eq!(prepared.attestation.kind, AttestationKind::None);
    assert!(prepared.checks.is_empty());
    assert_eq!(prepared.credential.public_key, p256_public_key(&v.reg("credential_private_key")));
    assert!(
        prepared.credential.backup_eligible && prepared.credential.backup_state && !prepared.credential.user_verified
    );
    assert_eq!(register_with(&v, &v.reg("attestationObject"), true), Err(WebauthnError::UserVerificationMissing));
    asserts_only_without_uv_requirement(&v, stored(&prepared));
}

#[test]
fn packed_self_es256() {
    let v = Vector::load("packed-self-es256");
    let prepared = register_with(&v, &v.reg("attestationObject"), true).unwrap();
    assert_eq!(prepared.attestation.kind, AttestationKind::SelfAttested);
    assert_eq!(prepared.checks.len(), 1);
    assert!(verify(&prepared.checks[0]));
    assert_eq!(prepared.checks[0].key, p256_public_key(&v.reg("credential_private_key")));
    asserts_only_without_uv_requirement(&v, stored(&prepared));
}

#[test]
fn none_es256_cross_origin() {
    let v = Vector::load("none-es256-crossOrigin");
    assert_eq!(register(&v), Err(WebauthnError::CrossOrigin { top_origin: None }));
    let key = p256_public_key(&v.reg("credential_private_key"));
    let stored = StoredCredential { public_key: key, sign_count: 0, backup_eligible: false, backup_state: false };
    assert_eq!(assertion_input(&v, stored, evaluate), Err(WebauthnError::CrossOrigin { top_origin: None }));
}

#[test]
fn none_es256_top_origin() {
    let v = Vector::load("none-es256-topOrigin");
    let expected = WebauthnError::CrossOrigin { top_origin: Some("https://example.com".into()) };
    assert_eq!(register(&v), Err(expected.clone()));
    let key = p256_public_key(&v.reg("credential_private_key"));
    let stored = StoredCredential { public_key: key, sign_count: 0, backup_eligible: false, backup_state: false };
    assert_eq!(assertion_input(&v, stored, evaluate), Err(expected));
}

#[test]
fn none_es256_long_credential_id() {
    let v = Vector::load("none-es256-long-credential-id");
    let prepared = registered(&v);
    assert_eq!(prepared.credential.id.len(), 1023);
    let asserted = asserts_with_uv(&v, stored(&prepared));
    assert!(!asserted.counter_regressed && !asserted.backup_eligibility_changed);
}

#[test]
fn packed_es256() {
    let v = Vector::load("packed-es256");
    let prepared = register_with(&v, &v.reg("attestationObject"), true).unwrap();
    assert_eq!(prepared.attestation.kind, AttestationKind::Basic { leaf_der: v.x5c_leaf() });
    assert!(verify(&prepared.checks[0]));
    assert_ne!(prepared.checks[0].key, prepared.credential.public_key);
    assert_eq!(prepared.credential.public_key, p256_public_key(&v.reg("credential_private_key")));
    asserts_with_uv(&v, stored(&prepared));
}

#[test]
fn packed_es384() {
    assert_eq!(register(&Vector::load("packed-es384")), Err(WebauthnError::UnsupportedAlgorithm(-35)));
}

#[test]
fn packed_es512() {
    assert_eq!(register(&Vector::load("packed-es512")), Err(WebauthnError::UnsupportedAlgorithm(-36)));
}

#[test]
fn packed_rs256() {
    let v = Vector::load("packed-rs256");
    let prepared = registered(&v);
    assert!(matches!(prepared.attestation.kind, AttestationKind::Basic { .. }));
    let CoseKey::Rs256 { n, e } = &prepared.credential.public_key else { panic!("not RSA") };
    assert_eq!((n.len(), e.as_slice()), (436, &[1, 0, 1][..]));
    asserts_only_without_uv_requirement(&v, stored(&prepared));
}

#[test]
fn packed_eddsa() {
    let v = Vector::load("packed-eddsa");
    let prepared = registered(&v);
    let signing = ed25519_dalek::SigningKey::from_bytes(&v.reg("private_key").try_into().unwrap());
    assert_eq!(prepared.credential.public_key, CoseKey::EdDsa { x: signing.verifying_key().to_bytes() });
    assert_eq!(prepared.credential.public_key.to_jwk()["crv"], "Ed25519");
    asserts_only_without_uv_requirement(&v, stored(&prepared));
}

#[test]
fn packed_ed448() {
    assert_eq!(register(&Vector::load("packed-ed448")), Err(WebauthnError::UnsupportedAlgorithm(-53)));
}

#[test]
fn tpm_es256() {
    let v = Vector::load("tpm-es256");
    let prepared = registered(&v);
    assert_eq!(prepared.attestation.kind, AttestationKind::Unverified { fmt: "tpm".into() });
    assert!(prepared.checks.is_empty());
    asserts_with_uv(&v, stored(&prepared));
}

#[test]
fn android_key_es256() {
    let v = Vector::load("android-key-es256");
    let prepared = registered(&v);
    assert_eq!(prepared.attestation.kind, AttestationKind::Unverified { fmt: "android-key".into() });
    asserts_only_without_uv_requirement(&v, stored(&prepared));
}

#[test]
fn apple_es256() {
    let v = Vector::load("apple-es256");
    let prepared = registered(&v);
    assert_eq!(prepared.attestation.kind, AttestationKind::Unverified { fmt: "apple".into() });
    asserts_only_without_uv_requirement(&v, stored(&prepared));
}

#[test]
fn fido_u2f_es256() {
    let v = Vector::load("fido-u2f-es256");
    let prepared = registered(&v);
    assert_eq!(prepared.attestation.kind, AttestationKind::Unverified { fmt: "fido-u2f".into() });
    asserts_only_without_uv_requirement(&v, stored(&prepared));
}

/// The packed-es256 registration with `leaf` in place of its x5c (the attestation key, and so
/// the statement signature, are unchanged when `leaf` is an edit of the original).
fn packed_es256_with_leaf(leaf: Vec<u8>) -> Result<PreparedRegistration, WebauthnError> {
    let v = Vector::load("packed-es256");
    let members = v.statement();
    let statement = members
        .iter()
        .map(|(k, value)| match k.as_str() {
            "x5c" => (k.as_str(), Value::Array(vec![Value::Bytes(leaf.clone())])),
            _ => (k.as_str(), value.clone()),
        })
        .collect();
    register_with(&v, &attestation_object("packed", statement, &v.registration_auth_data()), true)
}

#[test]
fn packed_es256_leaf_with_matching_aaguid_extension() {
    let v = Vector::load("packed-es256");
    let aaguid = v.reg("aaguid").try_into().unwrap();
    let prepared =
        packed_es256_with_leaf(edit_certificate(&v.x5c_leaf(), CertEdit::AddAaguid { aaguid, critical: false }))
            .unwrap();
    assert!(verify(&prepared.checks[0]));
}

#[test]
fn packed_es256_leaf_with_other_aaguid_extension() {
    let v = Vector::load("packed-es256");
    let expected = Aaguid(v.reg("aaguid").try_into().unwrap());
    let leaf = edit_certificate(&v.x5c_leaf(), CertEdit::AddAaguid { aaguid: [0x42; 16], critical: false });
    let result = packed_es256_with_leaf(leaf);
    assert_eq!(result, Err(WebauthnError::CertificateAaguidMismatch { expected, actual: Aaguid([0x42; 16]) }));
}

#[test]
fn packed_es256_with_rsa_leaf_key_and_ecdsa_alg() {
    let v = Vector::load("packed-es256");
    let leaf = edit_certificate(&v.x5c_leaf(), CertEdit::RsaKey { n: vec![0xc5; 256], e: vec![1, 0, 1] });
    assert_eq!(
        packed_es256_with_leaf(leaf),
        Err(WebauthnError::AttestationAlgorithmMismatch { expected: -257, actual: -7 })
    );
}

#[test]
fn packed_es256_with_attestation_root_cert_as_leaf() {
    let root = Vector::load("attestation-root-cert").value("root", "attestation_ca_cert");
    let result = packed_es256_with_leaf(root);
    assert!(matches!(result, Err(WebauthnError::CertificateSubjectOu { .. })), "{result:?}");
}
