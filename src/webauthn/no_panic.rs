//! Robustness: every parser meets thousands of deterministic pseudo-random inputs — random
//! bytes, and truncated, bit-flipped, spliced and resized copies of the §16 vectors — and must
//! return (Ok or Err) without panicking, overflowing the stack or allocating without bound.

use super::assertion::{evaluate, AssertionInput, StoredCredential};
use super::attestation::AttestationObject;
use super::authdata::AuthenticatorData;
use super::client_data::{verify_client_data, CeremonyType};
use super::registration::{prepare_registration, RegistrationInput};
use super::testutil::Vector;
use super::{der, x509, Aaguid, CoseKey, WebauthnError};
use crate::test_rng::Rng;

const ROUNDS: usize = 3000;
const VECTORS: &[&str] = &[
    "none-es256",
    "packed-self-es256",
    "none-es256-long-credential-id",
    "packed-es256",
    "packed-rs256",
    "packed-eddsa",
    "tpm-es256",
    "android-key-es256",
    "apple-es256",
    "fido-u2f-es256",
];

/// A random input (one time in eight), or a copy of one of `seeds` truncated, bit-flipped,
/// spliced or resized.
fn input(rng: &mut Rng, seeds: &[Vec<u8>]) -> Vec<u8> {
    const INTERESTING: [u8; 12] = [0x00, 0x18, 0x19, 0x1a, 0x1b, 0x5a, 0x5f, 0x7f, 0x80, 0x9f, 0xbf, 0xff];
    if rng.below(8) == 0 || seeds.is_empty() {
        let len = rng.below(600);
        return rng.bytes(len);
    }
    let mut data = seeds[rng.below(seeds.len())].clone();
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len());
        match rng.below(6) {
            0 => data.truncate(at),
            1 if !data.is_empty() => data[at] ^= 1 << rng.below(8),
            2 if !data.is_empty() => data[at] = INTERESTING[rng.below(INTERESTING.len())],
            3 => data.insert(at.min(data.len()), rng.next_u64() as u8),
            4 if !data.is_empty() => {
                data.remove(at);
            }
            _ => {
                let extra = rng.below(64);
                data.extend(rng.bytes(extra));
            }
        }
    }
    data
}

fn seeds(pick: impl Fn(&Vector) -> Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    VECTORS.iter().flat_map(|name| pick(&Vector::load(name))).collect()
}

fn fuzz(seed: u64, corpus: &[Vec<u8>], mut run: impl FnMut(&[u8])) {
    let mut rng = Rng(seed);
    for _ in 0..ROUNDS {
        run(&input(&mut rng, corpus));
    }
}

#[test]
fn authenticator_data_parser_never_panics() {
    let corpus = seeds(|v| vec![v.registration_auth_data(), v.auth("authenticatorData")]);
    fuzz(1, &corpus, |bytes| drop(AuthenticatorData::parse(bytes)));
}

#[test]
fn cose_key_parser_never_panics() {
    let corpus = seeds(|v| {
        vec![AuthenticatorData::parse(&v.registration_auth_data()).unwrap().attested.unwrap().public_key_cbor]
    });
    fuzz(2, &corpus, |bytes| drop(CoseKey::from_cbor(bytes)));
}

#[test]
fn attestation_object_parser_and_statement_checks_never_panic() {
    let corpus = seeds(|v| vec![v.reg("attestationObject")]);
    fuzz(3, &corpus, |bytes| {
        if let Ok(object) = AttestationObject::from_cbor(bytes) {
            drop(object.verify(&[0; 32]));
        }
    });
}

#[test]
fn client_data_parser_never_panics() {
    let corpus = seeds(|v| vec![v.reg("clientDataJSON"), v.auth("clientDataJSON")]);
    fuzz(4, &corpus, |bytes| {
        drop(verify_client_data(bytes, CeremonyType::Get, b"challenge", &["https://example.org"]))
    });
}

#[test]
fn der_signature_and_certificate_parsers_never_panic() {
    let signatures = seeds(|v| vec![v.auth("signature")]);
    fuzz(5, &signatures, |bytes| drop(der::ecdsa_p256_signature_to_raw(bytes)));
    let certificates = seeds(|v| v.statement().into_iter().filter(|(k, _)| k == "x5c").map(|_| v.x5c_leaf()).collect());
    fuzz(6, &certificates, |bytes| drop(x509::packed_leaf_key(bytes, &Aaguid([0; 16]))));
}

#[test]
fn ceremonies_never_panic() {
    let v = Vector::load("packed-es256");
    let objects = seeds(|v| vec![v.reg("attestationObject")]);
    fuzz(7, &objects, |object| {
        drop(prepare_registration(&RegistrationInput {
            client_data_json: &v.reg("clientDataJSON"),
            attestation_object: object,
            expected_challenge: &v.reg("challenge"),
            allowed_origins: &["https://example.org"],
            rp_id: "example.org",
            require_user_verification: false,
        }))
    });
    let stored = StoredCredential {
        public_key: CoseKey::EdDsa { x: [9; 32] },
        sign_count: 1,
        backup_eligible: true,
        backup_state: false,
    };
    let auth_data = seeds(|v| vec![v.auth("authenticatorData")]);
    fuzz(8, &auth_data, |bytes| {
        drop(evaluate(&AssertionInput {
            client_data_json: &v.auth("clientDataJSON"),
            authenticator_data: bytes,
            signature: bytes,
            expected_challenge: &v.auth("challenge"),
            allowed_origins: &["https://example.org"],
            rp_id: "example.org",
            stored: stored.clone(),
        }))
    });
}

#[test]
fn aaguid_parser_never_panics() {
    let mut rng = Rng(9);
    for _ in 0..ROUNDS {
        let len = rng.below(40);
        let text: String = (0..len).map(|_| ['a', 'F', '0', '9', '-', 'é', 'g'][rng.below(7)]).collect();
        drop(Aaguid::parse(&text));
    }
}

#[test]
fn deep_nesting_is_refused_without_recursing() {
    let mut bytes = vec![0x81; 100_000];
    bytes.push(0x00);
    assert!(matches!(CoseKey::from_cbor(&bytes), Err(WebauthnError::TooLarge { .. })));
    bytes.truncate(16 * 1024);
    assert_eq!(CoseKey::from_cbor(&bytes), Err(WebauthnError::CborNestingTooDeep { limit: 8 }));
}
