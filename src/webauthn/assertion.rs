//! The authentication ceremony (§7.2 "Verifying an Authentication Assertion"), every step
//! except the signature verification, which is returned as a [`SignatureCheck`]. User
//! verification is always required (this core serves sign-in and step-up); a change of
//! backup eligibility and a regressed signature counter (§6.1.1) are reported, not fatal.

use super::authdata::{AuthenticatorData, MAX_AUTH_DATA};
use super::client_data::{verify_client_data, CeremonyType};
use super::{sha256, CoseKey, SignatureCheck, WebauthnError};

/// Largest signature accepted (RSA-4096 needs 512 bytes).
pub const MAX_SIGNATURE: usize = 1024;

/// The stored state of the credential being asserted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCredential {
    pub public_key: CoseKey,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backup_state: bool,
}

/// What the browser sent plus what the relying party expects.
#[derive(Debug, Clone)]
pub struct AssertionInput<'a> {
    pub client_data_json: &'a [u8],
    pub authenticator_data: &'a [u8],
    pub signature: &'a [u8],
    pub expected_challenge: &'a [u8],
    pub allowed_origins: &'a [&'a str],
    pub rp_id: &'a str,
    pub stored: StoredCredential,
}

/// An assertion that passed every check this core can make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedAssertion {
    /// Must verify before the assertion counts.
    pub check: SignatureCheck,
    /// The counter to store: the authenticator's, or the stored one when it regressed.
    pub new_sign_count: u32,
    /// §7.2: signCount not greater than a stored count while either is non-zero
    /// (a possible cloned authenticator); 0 → 0 is normal for synced passkeys.
    pub counter_regressed: bool,
    pub user_verified: bool,
    pub backup_state: bool,
    pub backup_state_changed: bool,
    pub backup_eligibility_changed: bool,
}

/// Runs §7.2 on `input`; user verification is required.
pub fn prepare_assertion(input: &AssertionInput<'_>) -> Result<PreparedAssertion, WebauthnError> {
    let prepared = evaluate(input)?;
    if prepared.user_verified {
        Ok(prepared)
    } else {
        Err(WebauthnError::UserVerificationMissing)
    }
}

/// Every §7.2 check except the user-verification requirement.
pub(super) fn evaluate(input: &AssertionInput<'_>) -> Result<PreparedAssertion, WebauthnError> {
    if input.signature.len() > MAX_SIGNATURE {
        return Err(WebauthnError::TooLarge { what: "signature", limit: MAX_SIGNATURE, actual: input.signature.len() });
    }
    if input.authenticator_data.len() > MAX_AUTH_DATA {
        let actual = input.authenticator_data.len();
        return Err(WebauthnError::TooLarge { what: "authenticator data", limit: MAX_AUTH_DATA, actual });
    }
    let client_data_hash =
        verify_client_data(input.client_data_json, CeremonyType::Get, input.expected_challenge, input.allowed_origins)?;
    let auth_data = AuthenticatorData::parse(input.authenticator_data)?;
    if auth_data.rp_id_hash != sha256(input.rp_id.as_bytes()) {
        return Err(WebauthnError::RpIdHashMismatch);
    }
    if !auth_data.flags.user_present() {
        return Err(WebauthnError::UserPresenceMissing);
    }
    let check = SignatureCheck::new(
        input.stored.public_key.clone(),
        input.authenticator_data,
        &client_data_hash,
        input.signature,
    )?;
    Ok(outcome(check, &auth_data, &input.stored))
}

fn outcome(check: SignatureCheck, auth_data: &AuthenticatorData, stored: &StoredCredential) -> PreparedAssertion {
    let received = auth_data.sign_count;
    let counter_regressed = (received != 0 || stored.sign_count != 0) && received <= stored.sign_count;
    PreparedAssertion {
        check,
        new_sign_count: received.max(stored.sign_count),
        counter_regressed,
        user_verified: auth_data.flags.user_verified(),
        backup_state: auth_data.flags.backup_state(),
        backup_state_changed: auth_data.flags.backup_state() != stored.backup_state,
        backup_eligibility_changed: auth_data.flags.backup_eligible() != stored.backup_eligible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webauthn::testutil::{verify, Vector};

    /// The stored credential of §16 "ES256 Credential with very long credential ID", whose
    /// authentication example has UP, UV and BE set and signCount 0.
    fn stored(sign_count: u32, backup_eligible: bool, backup_state: bool) -> StoredCredential {
        let v = Vector::load("none-es256-long-credential-id");
        let object = crate::webauthn::AttestationObject::from_cbor(&v.reg("attestationObject")).unwrap();
        let public_key = object.auth_data.attested.unwrap().public_key;
        StoredCredential { public_key, sign_count, backup_eligible, backup_state }
    }

    fn run(
        stored: StoredCredential,
        edit: impl FnOnce(&mut Vec<u8>, &mut Vec<u8>, &mut String),
    ) -> Result<PreparedAssertion, WebauthnError> {
        let v = Vector::load("none-es256-long-credential-id");
        let (mut auth_data, mut signature, mut rp_id) =
            (v.auth("authenticatorData"), v.auth("signature"), "example.org".to_string());
        edit(&mut auth_data, &mut signature, &mut rp_id);
        prepare_assertion(&AssertionInput {
            client_data_json: &v.auth("clientDataJSON"),
            authenticator_data: &auth_data,
            signature: &signature,
            expected_challenge: &v.auth("challenge"),
            allowed_origins: &["https://example.org"],
            rp_id: &rp_id,
            stored,
        })
    }

    #[test]
    fn long_credential_id_assertion_with_matching_state_changes_nothing() {
        let prepared = run(stored(0, true, false), |_, _, _| {}).unwrap();
        assert!(verify(&prepared.check));
        assert_eq!(prepared.new_sign_count, 0);
        assert!(!prepared.counter_regressed && !prepared.backup_state_changed && !prepared.backup_eligibility_changed);
    }

    #[test]
    fn counter_not_above_a_stored_non_zero_count_is_reported_not_fatal() {
        let prepared = run(stored(5, true, false), |_, _, _| {}).unwrap();
        assert!(prepared.counter_regressed);
        assert_eq!(prepared.new_sign_count, 5);
    }

    #[test]
    fn changed_backup_flags_are_reported_not_fatal() {
        let prepared = run(stored(0, false, true), |_, _, _| {}).unwrap();
        assert!(prepared.backup_eligibility_changed && prepared.backup_state_changed && !prepared.backup_state);
    }

    #[test]
    fn tampered_counter_keeps_the_checks_but_fails_the_signature() {
        let prepared = run(stored(0, true, false), |auth_data, _, _| auth_data[36] = 9).unwrap();
        assert_eq!(prepared.new_sign_count, 9);
        assert!(!verify(&prepared.check));
    }

    #[test]
    fn wrong_rp_id_missing_presence_and_bad_lengths_are_refused() {
        assert_eq!(
            run(stored(0, true, false), |_, _, rp| *rp = "example.com".into()),
            Err(WebauthnError::RpIdHashMismatch)
        );
        assert_eq!(run(stored(0, true, false), |ad, _, _| ad[32] = 0x0c), Err(WebauthnError::UserPresenceMissing));
        assert_eq!(run(stored(0, true, false), |ad, _, _| ad[32] = 0x09), Err(WebauthnError::UserVerificationMissing));
        let too_long = run(stored(0, true, false), |_, sig, _| sig.resize(MAX_SIGNATURE + 1, 0));
        assert!(matches!(too_long, Err(WebauthnError::TooLarge { what: "signature", .. })));
        let trailing = run(stored(0, true, false), |_, sig, _| sig.push(0));
        assert_eq!(trailing, Err(WebauthnError::SignatureEncoding("bytes after ECDSA-Sig-Value")));
    }

    #[test]
    fn truncated_authenticator_data_at_every_length_is_refused() {
        for len in 0..37 {
            let result = run(stored(0, true, false), |ad, _, _| ad.truncate(len));
            assert!(matches!(result, Err(WebauthnError::Truncated { .. })), "length {len}: {result:?}");
        }
    }
}
