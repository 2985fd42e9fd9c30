//! W3C Web Authentication Level 3 — the relying-party core (§7 "WebAuthn Relying Party
//! Operations": §7.1 registration, §7.2 authentication) and the shared small types.
//!
//! Nothing here verifies a signature: at the edge that is asynchronous Web Crypto
//! (`crypto.subtle.verify`). Every ceremony instead returns [`SignatureCheck`] values, already
//! in the shape Web Crypto wants, which the caller must all verify before acting on the result.
//! No clocks or randomness are used: challenges come in as bytes.

pub mod assertion;
pub mod attestation;
pub mod authdata;
mod cbor;
pub mod client_data;
pub mod cose;
mod der;
pub mod options;
pub mod registration;
mod x509;
pub use x509::{certificate_details, certificate_public_key, CertificateDetails};

#[cfg(test)]
mod captured;
#[cfg(test)]
mod no_panic;
#[cfg(test)]
pub(crate) mod testutil;
#[cfg(test)]
mod vectors;

use std::fmt;

pub use assertion::{prepare_assertion, AssertionInput, PreparedAssertion, StoredCredential};
pub use attestation::{Attestation, AttestationKind, AttestationObject};
pub use authdata::{AttestedCredential, AuthenticatorData, Flags};
pub use client_data::CeremonyType;
pub use cose::CoseKey;
pub use registration::{prepare_registration, NewCredential, PreparedRegistration, RegistrationInput};

/// An authenticator model identifier (§6.5.1 "AAGUID"), shown as a lowercase UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Aaguid(pub [u8; 16]);

impl Aaguid {
    /// Parses the hyphenated 8-4-4-4-12 hex form (either case).
    pub fn parse(text: &str) -> Result<Self, WebauthnError> {
        let bad = || WebauthnError::AaguidSyntax(text.chars().take(64).collect());
        let groups: Vec<&str> = text.split('-').collect();
        let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
        if lengths != [8, 4, 4, 4, 12] {
            return Err(bad());
        }
        let hex: Vec<u8> = groups.concat().into_bytes();
        let mut out = [0u8; 16];
        for (byte, pair) in out.iter_mut().zip(hex.chunks_exact(2)) {
            let [hi, lo] = pair else { return Err(bad()) };
            *byte = (hex_digit(*hi).ok_or_else(bad)? << 4) | hex_digit(*lo).ok_or_else(bad)?;
        }
        Ok(Aaguid(out))
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

impl fmt::Display for Aaguid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// One signature the caller must verify with Web Crypto: `key` (import it with
/// [`CoseKey::to_jwk`] and [`CoseKey::web_crypto_algorithm`]) over `message`.
/// `signature` is already converted: ES256 raw `r‖s` (64 bytes), RS256 PKCS#1 v1.5 as sent,
/// EdDSA raw 64 bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCheck {
    pub key: CoseKey,
    pub message: Vec<u8>,
    pub signature: Vec<u8>,
}

impl SignatureCheck {
    /// Builds the check for `key` over `signed` ‖ `client_data_hash` (§6.1 and §6.5.3).
    pub(crate) fn new(
        key: CoseKey,
        signed: &[u8],
        client_data_hash: &[u8; 32],
        signature_as_sent: &[u8],
    ) -> Result<Self, WebauthnError> {
        let signature = key.web_crypto_signature(signature_as_sent)?;
        let message = [signed, client_data_hash.as_slice()].concat();
        Ok(SignatureCheck { key, message, signature })
    }
}

/// Every way a ceremony can fail: one variant per check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebauthnError {
    /// An input is over its size limit.
    TooLarge { what: &'static str, limit: usize, actual: usize },
    /// An input ended early: `what` needed `needed` bytes (for CBOR: at least that many).
    Truncated { what: &'static str, needed: usize, available: usize },
    /// Bytes follow a structure that must end its input.
    TrailingBytes { what: &'static str, count: usize },
    /// CBOR that does not decode.
    Cbor(String),
    /// CBOR nested deeper than the limit.
    CborNestingTooDeep { limit: usize },
    /// A CBOR map repeats a key.
    CborDuplicateKey { what: &'static str },
    /// A required member is absent or of the wrong type.
    MissingOrInvalidField(&'static str),
    /// clientDataJSON is not the JSON object of §5.8.1.
    ClientDataJson(String),
    /// §7.1 and §7.2: `type`.
    ClientDataType { expected: &'static str, actual: String },
    /// `challenge` is not unpadded base64url.
    ChallengeEncoding,
    /// §7.1 and §7.2: `challenge`.
    ChallengeMismatch,
    /// §7.1 and §7.2: `origin`.
    OriginMismatch { expected: Vec<String>, actual: String },
    /// `crossOrigin: true` or a `topOrigin`: this relying party is never embedded.
    CrossOrigin { top_origin: Option<String> },
    /// §7.1 and §7.2: `rpIdHash`.
    RpIdHashMismatch,
    /// §7.1 and §7.2: UP flag.
    UserPresenceMissing,
    /// §7.1 and §7.2: UV flag.
    UserVerificationMissing,
    /// §6.1 flags: BS set while BE is clear.
    BackupStateWithoutEligibility,
    /// A registration's authenticator data has no attested credential data (AT clear).
    AttestedCredentialMissing,
    /// §6.5.1: credential IDs are at most 1023 bytes.
    CredentialIdTooLong { length: usize },
    /// COSE `kty` other than EC2 (2), RSA (3) or OKP (1).
    UnsupportedKeyType(i64),
    /// COSE `alg` other than ES256 (-7), EdDSA (-8) or RS256 (-257).
    UnsupportedAlgorithm(i64),
    /// COSE `crv` other than P-256 (1) for EC2 or Ed25519 (6) for OKP.
    UnsupportedCurve(i64),
    /// A supported `alg` on a key type it does not belong to.
    KeyAlgorithmMismatch { kty: i64, alg: i64 },
    /// A COSE key parameter is missing, mistyped, of the wrong length or not allowed.
    CoseKeyParameter { label: i64, problem: &'static str },
    /// A signature is not in the encoding its algorithm requires.
    SignatureEncoding(&'static str),
    /// §8.7: `none` attestation with a non-empty attStmt.
    AttestationStatementNotEmpty,
    /// §8.2: attStmt `alg` differs from the key that must have made the signature.
    AttestationAlgorithmMismatch { expected: i64, actual: i64 },
    /// §8.2: a packed attStmt that is not `{alg, sig, x5c?}`.
    AttestationInvalid(String),
    /// An attestation certificate that is not strict DER.
    Der(&'static str),
    /// §8.2.1: the attestation certificate must be X.509 version 3.
    CertificateVersion { expected: u64, actual: u64 },
    /// §8.2.1: Subject-OU must be exactly "Authenticator Attestation".
    CertificateSubjectOu { expected: &'static str, actual: Vec<String> },
    /// §8.2.1: basicConstraints must be present.
    CertificateBasicConstraintsMissing,
    /// §8.2.1: basicConstraints CA must be false.
    CertificateIsCa,
    /// §8.2.1: id-fido-gen-ce-aaguid must equal the authenticator data AAGUID.
    CertificateAaguidMismatch { expected: Aaguid, actual: Aaguid },
    /// §8.2.1: id-fido-gen-ce-aaguid must not be critical.
    CertificateAaguidCritical,
    /// The attestation certificate key is neither EC P-256 nor RSA.
    CertificateKeyUnsupported,
    /// Text that is not an 8-4-4-4-12 hex AAGUID.
    AaguidSyntax(String),
}

impl fmt::Display for WebauthnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use WebauthnError as E;
        match self {
            E::TooLarge { what, limit, actual } => write!(f, "{what} is {actual} bytes, over the {limit}-byte limit"),
            E::Truncated { what, needed, available } => {
                write!(f, "{what} truncated: needed {needed} bytes, {available} available")
            }
            E::TrailingBytes { what, count } => write!(f, "{count} unexpected bytes after {what}"),
            E::Cbor(why) => write!(f, "invalid CBOR: {why}"),
            E::CborNestingTooDeep { limit } => write!(f, "CBOR nested deeper than {limit}"),
            E::CborDuplicateKey { what } => write!(f, "duplicate key in {what}"),
            E::MissingOrInvalidField(what) => write!(f, "{what} is missing or has the wrong type"),
            E::ClientDataJson(why) => write!(f, "invalid clientDataJSON: {why}"),
            E::ClientDataType { expected, actual } => {
                write!(f, "clientData type is {actual:?}, expected {expected:?}")
            }
            E::ChallengeEncoding => f.write_str("clientData challenge is not unpadded base64url"),
            E::ChallengeMismatch => f.write_str("clientData challenge does not match"),
            E::OriginMismatch { expected, actual } => {
                write!(f, "origin {actual:?} is not one of {expected:?}")
            }
            E::CrossOrigin { top_origin } => {
                write!(f, "cross-origin ceremony (topOrigin {top_origin:?}) is not allowed")
            }
            E::RpIdHashMismatch => f.write_str("rpIdHash is not SHA-256 of the RP ID"),
            E::UserPresenceMissing => f.write_str("user presence flag is not set"),
            E::UserVerificationMissing => f.write_str("user verification flag is not set"),
            E::BackupStateWithoutEligibility => f.write_str("backup state flag set without backup eligibility"),
            E::AttestedCredentialMissing => f.write_str("authenticator data has no attested credential data"),
            E::CredentialIdTooLong { length } => {
                write!(f, "credential ID is {length} bytes, over 1023")
            }
            E::UnsupportedKeyType(kty) => write!(f, "unsupported COSE key type {kty}"),
            E::UnsupportedAlgorithm(alg) => write!(f, "unsupported COSE algorithm {alg}"),
            E::UnsupportedCurve(crv) => write!(f, "unsupported COSE curve {crv}"),
            E::KeyAlgorithmMismatch { kty, alg } => {
                write!(f, "COSE algorithm {alg} does not fit key type {kty}")
            }
            E::CoseKeyParameter { label, problem } => {
                write!(f, "COSE key parameter {label}: {problem}")
            }
            E::SignatureEncoding(why) => write!(f, "malformed signature: {why}"),
            E::AttestationStatementNotEmpty => f.write_str("'none' attestation statement is not empty"),
            E::AttestationAlgorithmMismatch { expected, actual } => {
                write!(f, "attestation alg {actual}, expected {expected}")
            }
            E::AttestationInvalid(why) => write!(f, "invalid attestation statement: {why}"),
            E::Der(why) => write!(f, "malformed DER: {why}"),
            E::CertificateVersion { expected, actual } => {
                write!(f, "certificate version {actual}, expected {expected}")
            }
            E::CertificateSubjectOu { expected, actual } => {
                write!(f, "certificate subject OU {actual:?}, expected {expected:?}")
            }
            E::CertificateBasicConstraintsMissing => f.write_str("certificate has no basicConstraints"),
            E::CertificateIsCa => f.write_str("attestation certificate is a CA certificate"),
            E::CertificateAaguidMismatch { expected, actual } => {
                write!(f, "certificate AAGUID {actual}, authenticator data has {expected}")
            }
            E::CertificateAaguidCritical => f.write_str("certificate AAGUID extension is marked critical"),
            E::CertificateKeyUnsupported => f.write_str("attestation certificate key is not EC P-256 or RSA"),
            E::AaguidSyntax(text) => write!(f, "not an AAGUID: {text:?}"),
        }
    }
}

impl std::error::Error for WebauthnError {}

/// SHA-256, the only hash this module needs (§6.1 rpIdHash, §5.8.1 clientDataHash).
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aaguid_round_trips_as_lowercase_uuid() {
        let aaguid = Aaguid::parse("8446CCB9-AB1D-B374-750B-2367FF6F3A1F").unwrap();
        assert_eq!(aaguid.0[0], 0x84);
        assert_eq!(aaguid.to_string(), "8446ccb9-ab1d-b374-750b-2367ff6f3a1f");
    }

    #[test]
    fn aaguid_parse_rejects_other_shapes() {
        for text in [
            "",
            "8446ccb9ab1db374750b2367ff6f3a1f",
            "8446ccb9-ab1d-b374-750b-2367ff6f3a1g",
            "é446ccb9-ab1d-b374-750b-2367ff6f3a1",
        ] {
            assert!(matches!(Aaguid::parse(text), Err(WebauthnError::AaguidSyntax(_))), "{text}");
        }
    }

    #[test]
    fn truncated_error_names_what_needed_and_available() {
        let e = WebauthnError::Truncated { what: "authenticator data", needed: 37, available: 3 };
        assert_eq!(e.to_string(), "authenticator data truncated: needed 37 bytes, 3 available");
    }
}
