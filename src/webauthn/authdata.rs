//! Authenticator data (§6.1 "Authenticator Data", §6.1.3 "Credential Backup State",
//! §6.5.1 "Attested Credential Data"): a strict, length-checked parser.

use super::{cbor, Aaguid, CoseKey, WebauthnError};

/// Largest authenticator data accepted.
pub const MAX_AUTH_DATA: usize = cbor::MAX_INPUT;
/// §6.5.1: credential IDs are at most 1023 bytes.
pub const MAX_CREDENTIAL_ID: usize = 1023;
const FIXED_PART: usize = 37;

/// The flags byte of §6.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flags(pub u8);

impl Flags {
    pub const UP: u8 = 0x01;
    pub const UV: u8 = 0x04;
    pub const BE: u8 = 0x08;
    pub const BS: u8 = 0x10;
    pub const AT: u8 = 0x40;
    pub const ED: u8 = 0x80;

    fn has(self, bit: u8) -> bool {
        self.0 & bit == bit
    }
    pub fn user_present(self) -> bool {
        self.has(Self::UP)
    }
    pub fn user_verified(self) -> bool {
        self.has(Self::UV)
    }
    pub fn backup_eligible(self) -> bool {
        self.has(Self::BE)
    }
    pub fn backup_state(self) -> bool {
        self.has(Self::BS)
    }
    pub fn attested_credential_data(self) -> bool {
        self.has(Self::AT)
    }
    pub fn extension_data(self) -> bool {
        self.has(Self::ED)
    }
}

/// §6.5.1 attested credential data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttestedCredential {
    pub aaguid: Aaguid,
    pub credential_id: Vec<u8>,
    pub public_key: CoseKey,
    /// The credentialPublicKey exactly as the authenticator encoded it.
    pub public_key_cbor: Vec<u8>,
}

/// Parsed authenticator data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: Flags,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential>,
    /// ED was set and one well-formed CBOR map of extension outputs followed.
    pub has_extensions: bool,
}

/// A cursor that names what it was reading when the input ran out.
struct Cursor<'a> {
    rest: &'a [u8],
}

impl<'a> Cursor<'a> {
    fn take(&mut self, needed: usize, what: &'static str) -> Result<&'a [u8], WebauthnError> {
        let available = self.rest.len();
        let (head, rest) =
            self.rest.split_at_checked(needed).ok_or(WebauthnError::Truncated { what, needed, available })?;
        self.rest = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], WebauthnError> {
        let available = self.rest.len();
        self.take(N, what)?.try_into().map_err(|_| WebauthnError::Truncated { what, needed: N, available })
    }

    /// Consumes exactly one CBOR item.
    fn cbor(&mut self, what: &'static str) -> Result<(ciborium::value::Value, &'a [u8]), WebauthnError> {
        let (value, used) = cbor::decode_prefix(self.rest, what)?;
        Ok((value, self.take(used, what)?))
    }
}

impl AuthenticatorData {
    /// Parses authenticator data; every byte must belong to a field the flags announce.
    pub fn parse(bytes: &[u8]) -> Result<Self, WebauthnError> {
        if bytes.len() > MAX_AUTH_DATA {
            return Err(WebauthnError::TooLarge {
                what: "authenticator data",
                limit: MAX_AUTH_DATA,
                actual: bytes.len(),
            });
        }
        if bytes.len() < FIXED_PART {
            return Err(WebauthnError::Truncated {
                what: "authenticator data",
                needed: FIXED_PART,
                available: bytes.len(),
            });
        }
        let mut cursor = Cursor { rest: bytes };
        let rp_id_hash = cursor.array::<32>("rpIdHash")?;
        let [flags] = cursor.array::<1>("flags")?;
        let flags = Flags(flags);
        let sign_count = u32::from_be_bytes(cursor.array::<4>("signCount")?);
        if flags.backup_state() && !flags.backup_eligible() {
            return Err(WebauthnError::BackupStateWithoutEligibility);
        }
        let attested = if flags.attested_credential_data() { Some(attested_credential(&mut cursor)?) } else { None };
        if flags.extension_data() {
            extensions(&mut cursor)?;
        }
        match cursor.rest.len() {
            0 => Ok(AuthenticatorData {
                rp_id_hash,
                flags,
                sign_count,
                attested,
                has_extensions: flags.extension_data(),
            }),
            count => Err(WebauthnError::TrailingBytes { what: "authenticator data", count }),
        }
    }
}

fn attested_credential(cursor: &mut Cursor<'_>) -> Result<AttestedCredential, WebauthnError> {
    let aaguid = Aaguid(cursor.array::<16>("aaguid")?);
    let length = usize::from(u16::from_be_bytes(cursor.array::<2>("credentialIdLength")?));
    if length > MAX_CREDENTIAL_ID {
        return Err(WebauthnError::CredentialIdTooLong { length });
    }
    let credential_id = cursor.take(length, "credentialId")?.to_vec();
    let (value, raw) = cursor.cbor("credentialPublicKey")?;
    let public_key = CoseKey::from_value(&value)?;
    Ok(AttestedCredential { aaguid, credential_id, public_key, public_key_cbor: raw.to_vec() })
}

fn extensions(cursor: &mut Cursor<'_>) -> Result<(), WebauthnError> {
    match cursor.cbor("extensions")? {
        (ciborium::value::Value::Map(_), _) => Ok(()),
        _ => Err(WebauthnError::MissingOrInvalidField("extensions")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webauthn::testutil::{hex, Vector};

    /// §16 "ES256 Credential with No Attestation", authentication `authenticatorData`.
    const NONE_ES256_ASSERTION: &str = "bfabc37432958b063360d3ad6461c9c4735ae7f8edd46592a5e0f01452b2e4b51900000000";

    fn with_flags(flags: u8) -> Vec<u8> {
        let mut bytes = hex(NONE_ES256_ASSERTION);
        bytes[32] = flags;
        bytes
    }

    #[test]
    fn none_es256_assertion_authenticator_data_parses() {
        let parsed = AuthenticatorData::parse(&hex(NONE_ES256_ASSERTION)).unwrap();
        assert_eq!(parsed.flags, Flags(0x19));
        assert!(parsed.flags.user_present() && parsed.flags.backup_eligible() && parsed.flags.backup_state());
        assert!(!parsed.flags.user_verified());
        assert_eq!(parsed.sign_count, 0);
        assert!(parsed.attested.is_none() && !parsed.has_extensions);
    }

    #[test]
    fn none_es256_registration_authenticator_data_truncated_at_every_length() {
        let auth_data = Vector::load("none-es256").registration_auth_data();
        assert!(AuthenticatorData::parse(&auth_data).is_ok());
        for len in 0..auth_data.len() {
            let result = AuthenticatorData::parse(&auth_data[..len]);
            assert!(matches!(result, Err(WebauthnError::Truncated { .. })), "length {len}: {result:?}");
        }
    }

    #[test]
    fn backup_state_without_eligibility_is_rejected() {
        assert_eq!(AuthenticatorData::parse(&with_flags(0x11)), Err(WebauthnError::BackupStateWithoutEligibility));
    }

    #[test]
    fn bytes_not_announced_by_the_flags_are_rejected() {
        let mut bytes = hex(NONE_ES256_ASSERTION);
        bytes.push(0xa0);
        assert_eq!(
            AuthenticatorData::parse(&bytes),
            Err(WebauthnError::TrailingBytes { what: "authenticator data", count: 1 })
        );
    }

    #[test]
    fn extensions_must_be_one_cbor_map() {
        let mut bytes = with_flags(0x81);
        bytes.extend([0xa1, 0x61, 0x78, 0xf5]);
        assert!(AuthenticatorData::parse(&bytes).unwrap().has_extensions);
        let mut not_map = with_flags(0x81);
        not_map.push(0x01);
        assert_eq!(AuthenticatorData::parse(&not_map), Err(WebauthnError::MissingOrInvalidField("extensions")));
        assert!(matches!(AuthenticatorData::parse(&with_flags(0x81)), Err(WebauthnError::Truncated { .. })));
    }

    #[test]
    fn credential_id_over_1023_bytes_is_rejected() {
        let mut bytes = with_flags(0x41);
        bytes.extend([0u8; 16]);
        bytes.extend(1024u16.to_be_bytes());
        bytes.extend(vec![0u8; 1024]);
        assert_eq!(AuthenticatorData::parse(&bytes), Err(WebauthnError::CredentialIdTooLong { length: 1024 }));
    }

    #[test]
    fn oversized_authenticator_data_is_rejected() {
        let big = vec![0u8; MAX_AUTH_DATA + 1];
        assert!(matches!(AuthenticatorData::parse(&big), Err(WebauthnError::TooLarge { .. })));
    }
}
