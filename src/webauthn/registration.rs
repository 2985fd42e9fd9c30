//! The registration ceremony (§7.1 "Registering a New Credential"), every step except the
//! signature verifications, which are returned as [`SignatureCheck`]s, and the RP-side
//! look-ups (credential ID not yet registered, attestation trust policy) left to the caller.

use super::attestation::{Attestation, AttestationObject};
use super::authdata::AuthenticatorData;
use super::client_data::{verify_client_data, CeremonyType};
use super::{sha256, Aaguid, CoseKey, SignatureCheck, WebauthnError};

/// What the browser sent plus what the relying party expects.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationInput<'a> {
    pub client_data_json: &'a [u8],
    pub attestation_object: &'a [u8],
    pub expected_challenge: &'a [u8],
    pub allowed_origins: &'a [&'a str],
    pub rp_id: &'a str,
    pub require_user_verification: bool,
}

/// The credential to store once every check has verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    pub id: Vec<u8>,
    pub public_key: CoseKey,
    /// credentialPublicKey exactly as the authenticator encoded it.
    pub public_key_cbor: Vec<u8>,
    pub aaguid: Aaguid,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backup_state: bool,
    pub user_verified: bool,
}

/// A registration that passed every check this core can make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRegistration {
    pub credential: NewCredential,
    pub attestation: Attestation,
    /// Every signature the caller must verify before storing `credential`
    /// (today exactly `attestation.checks`).
    pub checks: Vec<SignatureCheck>,
}

/// Runs §7.1 on `input`.
pub fn prepare_registration(input: &RegistrationInput<'_>) -> Result<PreparedRegistration, WebauthnError> {
    let client_data_hash = verify_client_data(
        input.client_data_json,
        CeremonyType::Create,
        input.expected_challenge,
        input.allowed_origins,
    )?;
    let object = AttestationObject::from_cbor(input.attestation_object)?;
    let auth_data = &object.auth_data;
    check_flags(auth_data, input)?;
    let attested = auth_data.attested.clone().ok_or(WebauthnError::AttestedCredentialMissing)?;
    let attestation = object.verify(&client_data_hash)?;
    let credential = NewCredential {
        id: attested.credential_id,
        public_key: attested.public_key,
        public_key_cbor: attested.public_key_cbor,
        aaguid: attested.aaguid,
        sign_count: auth_data.sign_count,
        backup_eligible: auth_data.flags.backup_eligible(),
        backup_state: auth_data.flags.backup_state(),
        user_verified: auth_data.flags.user_verified(),
    };
    let checks = attestation.checks.clone();
    Ok(PreparedRegistration { credential, attestation, checks })
}

/// rpIdHash, UP and (when asked) UV; BS-without-BE is refused by the parser.
fn check_flags(auth_data: &AuthenticatorData, input: &RegistrationInput<'_>) -> Result<(), WebauthnError> {
    if auth_data.rp_id_hash != sha256(input.rp_id.as_bytes()) {
        return Err(WebauthnError::RpIdHashMismatch);
    }
    if !auth_data.flags.user_present() {
        return Err(WebauthnError::UserPresenceMissing);
    }
    if input.require_user_verification && !auth_data.flags.user_verified() {
        return Err(WebauthnError::UserVerificationMissing);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webauthn::testutil::{attestation_object, Vector};
    use crate::webauthn::{authdata::Flags, cbor::MAX_INPUT};

    fn run(v: &Vector, attestation_object: &[u8], rp_id: &str) -> Result<PreparedRegistration, WebauthnError> {
        prepare_registration(&RegistrationInput {
            client_data_json: &v.reg("clientDataJSON"),
            attestation_object,
            expected_challenge: &v.reg("challenge"),
            allowed_origins: &["https://example.org"],
            rp_id,
            require_user_verification: false,
        })
    }

    /// none-es256 with its authenticator data flags replaced.
    fn none_es256_with_flags(v: &Vector, flags: u8) -> Vec<u8> {
        let mut auth_data = v.registration_auth_data();
        auth_data[32] = flags;
        attestation_object("none", vec![], &auth_data)
    }

    #[test]
    fn none_es256_for_another_rp_id_is_refused() {
        let v = Vector::load("none-es256");
        assert_eq!(run(&v, &v.reg("attestationObject"), "example.com"), Err(WebauthnError::RpIdHashMismatch));
    }

    #[test]
    fn none_es256_without_user_presence_is_refused() {
        let v = Vector::load("none-es256");
        let object = none_es256_with_flags(&v, Flags::AT | Flags::UV);
        assert_eq!(run(&v, &object, "example.org"), Err(WebauthnError::UserPresenceMissing));
    }

    #[test]
    fn none_es256_with_bs_but_not_be_is_refused() {
        let v = Vector::load("none-es256");
        let object = none_es256_with_flags(&v, Flags::AT | Flags::UP | Flags::BS);
        assert_eq!(run(&v, &object, "example.org"), Err(WebauthnError::BackupStateWithoutEligibility));
    }

    #[test]
    fn none_es256_assertion_auth_data_in_a_registration_is_refused() {
        let v = Vector::load("none-es256");
        let object = attestation_object("none", vec![], &v.auth("authenticatorData"));
        assert_eq!(run(&v, &object, "example.org"), Err(WebauthnError::AttestedCredentialMissing));
    }

    #[test]
    fn none_es256_attestation_object_truncated_at_every_length() {
        let v = Vector::load("none-es256");
        let object = v.reg("attestationObject");
        for len in 0..object.len() {
            let result = run(&v, &object[..len], "example.org");
            assert!(matches!(result, Err(WebauthnError::Truncated { .. })), "length {len}: {result:?}");
        }
    }

    #[test]
    fn oversized_attestation_object_is_refused() {
        let v = Vector::load("none-es256");
        let auth_data = [v.registration_auth_data(), vec![0; MAX_INPUT]].concat();
        let result = run(&v, &attestation_object("none", vec![], &auth_data), "example.org");
        assert!(matches!(result, Err(WebauthnError::TooLarge { what: "attestationObject", .. })));
    }
}
