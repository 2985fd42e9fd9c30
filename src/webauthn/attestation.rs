//! The attestation object (§6.5 "Attestation", §6.5.4 "Generating an Attestation Object") and
//! the two statement formats verified here: `none` (§8.7) and `packed` (§8.2, self and x5c,
//! with §8.2.1 certificate requirements). Other registered formats (§8.3–§8.6, §8.8) are
//! decoded but reported as [`AttestationKind::Unverified`].

use super::authdata::AuthenticatorData;
use super::{cbor, x509, SignatureCheck, WebauthnError};
use ciborium::value::Value;

/// Longest `fmt` accepted (registered identifiers are far shorter).
const MAX_FMT: usize = 32;
/// Most certificates accepted in `x5c`.
const MAX_X5C: usize = 8;

/// A decoded attestation object.
#[derive(Debug, Clone, PartialEq)]
pub struct AttestationObject {
    /// The attestation statement format identifier.
    pub fmt: String,
    /// The authenticator data, parsed.
    pub auth_data: AuthenticatorData,
    /// The authenticator data exactly as signed.
    pub raw_auth_data: Vec<u8>,
    statement: Vec<(Value, Value)>,
}

/// What the attestation statement established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttestationKind {
    /// `none`: nothing is claimed about the authenticator.
    None,
    /// `packed` without `x5c`: signed by the credential key itself.
    SelfAttested,
    /// `packed` with `x5c`: signed by an attestation key certified by `leaf_der` (the chain
    /// to a trusted root is the caller's policy).
    Basic { leaf_der: Vec<u8> },
    /// A known-shaped object in a format this core does not verify (tpm, android-key, …).
    Unverified { fmt: String },
}

/// The outcome of checking an attestation statement; `checks` must all verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestation {
    pub fmt: String,
    pub kind: AttestationKind,
    pub checks: Vec<SignatureCheck>,
}

/// The members of a packed attStmt (§8.2 syntax).
struct Packed<'v> {
    alg: i64,
    sig: &'v [u8],
    x5c: Option<Vec<&'v [u8]>>,
}

impl AttestationObject {
    /// Decodes `{fmt, attStmt, authData}` (other keys are ignored, repeated keys refused)
    /// and parses authData.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, WebauthnError> {
        let value = cbor::decode_exact(bytes, "attestationObject")?;
        let entries = cbor::map(&value, "attestationObject")?;
        let fmt = cbor::get(entries, "fmt")
            .and_then(Value::as_text)
            .filter(|f| !f.is_empty() && f.len() <= MAX_FMT)
            .ok_or(WebauthnError::MissingOrInvalidField("attestationObject.fmt"))?;
        let statement = cbor::map(
            cbor::get(entries, "attStmt").ok_or(WebauthnError::MissingOrInvalidField("attestationObject.attStmt"))?,
            "attestationObject.attStmt",
        )?;
        let raw_auth_data = cbor::get(entries, "authData")
            .and_then(Value::as_bytes)
            .ok_or(WebauthnError::MissingOrInvalidField("attestationObject.authData"))?;
        Ok(AttestationObject {
            fmt: fmt.to_string(),
            auth_data: AuthenticatorData::parse(raw_auth_data)?,
            raw_auth_data: raw_auth_data.clone(),
            statement: statement.to_vec(),
        })
    }

    /// Checks the statement against the authenticator data and the clientDataHash.
    pub fn verify(&self, client_data_hash: &[u8; 32]) -> Result<Attestation, WebauthnError> {
        let (kind, checks) = match self.fmt.as_str() {
            "none" if self.statement.is_empty() => (AttestationKind::None, Vec::new()),
            "none" => return Err(WebauthnError::AttestationStatementNotEmpty),
            "packed" => self.packed(client_data_hash)?,
            other => (AttestationKind::Unverified { fmt: other.to_string() }, Vec::new()),
        };
        Ok(Attestation { fmt: self.fmt.clone(), kind, checks })
    }

    fn packed(&self, hash: &[u8; 32]) -> Result<(AttestationKind, Vec<SignatureCheck>), WebauthnError> {
        let credential = self.auth_data.attested.as_ref().ok_or(WebauthnError::AttestedCredentialMissing)?;
        let packed = Packed::read(&self.statement)?;
        let (kind, key) = match packed.x5c {
            None => (AttestationKind::SelfAttested, credential.public_key.clone()),
            Some(chain) => {
                let leaf = chain.first().ok_or_else(|| invalid("x5c is empty"))?;
                let key = x509::packed_leaf_key(leaf, &credential.aaguid)?;
                (AttestationKind::Basic { leaf_der: leaf.to_vec() }, key)
            }
        };
        if packed.alg != key.alg() {
            return Err(WebauthnError::AttestationAlgorithmMismatch { expected: key.alg(), actual: packed.alg });
        }
        let check = SignatureCheck::new(key, &self.raw_auth_data, hash, packed.sig)?;
        Ok((kind, vec![check]))
    }
}

impl<'v> Packed<'v> {
    fn read(statement: &'v [(Value, Value)]) -> Result<Self, WebauthnError> {
        if let Some((key, _)) = statement.iter().find(|(k, _)| !matches!(k.as_text(), Some("alg" | "sig" | "x5c"))) {
            return Err(invalid(&format!("unexpected member {key:?}")));
        }
        let alg = cbor::get(statement, "alg")
            .and_then(cbor::int)
            .ok_or_else(|| invalid("alg is missing or not an integer"))?;
        let sig = cbor::get(statement, "sig")
            .and_then(Value::as_bytes)
            .ok_or_else(|| invalid("sig is missing or not bytes"))?;
        let x5c = cbor::get(statement, "x5c").map(certificates).transpose()?;
        Ok(Packed { alg, sig, x5c })
    }
}

fn certificates(value: &Value) -> Result<Vec<&[u8]>, WebauthnError> {
    let array = value.as_array().ok_or_else(|| invalid("x5c is not an array"))?;
    if array.len() > MAX_X5C {
        return Err(invalid("x5c has too many certificates"));
    }
    array
        .iter()
        .map(|cert| cert.as_bytes().map(Vec::as_slice).ok_or_else(|| invalid("x5c holds a non-bytes item")))
        .collect()
}

fn invalid(why: &str) -> WebauthnError {
    WebauthnError::AttestationInvalid(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webauthn::testutil::{attestation_object, cbor_bytes, Vector};
    use crate::webauthn::{cose::ALG_RS256, sha256};

    fn checked(v: &Vector, object: &[u8]) -> Result<Attestation, WebauthnError> {
        AttestationObject::from_cbor(object)?.verify(&sha256(&v.reg("clientDataJSON")))
    }

    fn with_statement(v: &Vector, fmt: &str, statement: Vec<(&str, Value)>) -> Vec<u8> {
        attestation_object(fmt, statement, &v.registration_auth_data())
    }

    #[test]
    fn packed_self_es256_statement_yields_one_credential_key_check() {
        let v = Vector::load("packed-self-es256");
        let outcome = checked(&v, &v.reg("attestationObject")).unwrap();
        assert_eq!(outcome.kind, AttestationKind::SelfAttested);
        assert_eq!(outcome.checks.len(), 1);
    }

    #[test]
    fn none_statement_must_be_empty() {
        let v = Vector::load("none-es256");
        let object = with_statement(&v, "none", vec![("alg", Value::from(-7))]);
        assert_eq!(checked(&v, &object), Err(WebauthnError::AttestationStatementNotEmpty));
    }

    #[test]
    fn packed_self_alg_must_equal_the_credential_alg() {
        let v = Vector::load("packed-self-es256");
        let object =
            with_statement(&v, "packed", vec![("alg", Value::from(ALG_RS256)), ("sig", Value::Bytes(vec![0; 70]))]);
        assert_eq!(
            checked(&v, &object),
            Err(WebauthnError::AttestationAlgorithmMismatch { expected: -7, actual: -257 })
        );
    }

    #[test]
    fn packed_statement_shape_is_checked() {
        let v = Vector::load("packed-self-es256");
        let cases = [
            vec![("alg", Value::from(-7))],
            vec![("alg", Value::from(-7)), ("sig", Value::Bytes(vec![1])), ("ecdaaKeyId", Value::Bytes(vec![]))],
            vec![("alg", Value::from(-7)), ("sig", Value::Bytes(vec![1])), ("x5c", Value::Array(vec![]))],
            vec![("alg", Value::from(-7)), ("sig", Value::Bytes(vec![1])), ("x5c", Value::Array(vec![Value::from(1)]))],
        ];
        for statement in cases {
            let object = with_statement(&v, "packed", statement);
            assert!(matches!(checked(&v, &object), Err(WebauthnError::AttestationInvalid(_))));
        }
    }

    #[test]
    fn unknown_fmt_is_unverified_not_an_error() {
        let v = Vector::load("none-es256");
        let object = with_statement(&v, "future-fmt", vec![("anything", Value::from(1))]);
        let outcome = checked(&v, &object).unwrap();
        assert_eq!(outcome.kind, AttestationKind::Unverified { fmt: "future-fmt".into() });
        assert!(outcome.checks.is_empty());
    }

    #[test]
    fn object_members_are_required_and_unique() {
        let v = Vector::load("none-es256");
        let missing = cbor_bytes(&Value::Map(vec![(Value::from("fmt"), Value::from("none"))]));
        assert_eq!(
            AttestationObject::from_cbor(&missing),
            Err(WebauthnError::MissingOrInvalidField("attestationObject.attStmt"))
        );
        let no_auth = cbor_bytes(&Value::Map(vec![
            (Value::from("fmt"), Value::from("none")),
            (Value::from("attStmt"), Value::Map(vec![])),
        ]));
        assert_eq!(
            AttestationObject::from_cbor(&no_auth),
            Err(WebauthnError::MissingOrInvalidField("attestationObject.authData"))
        );
        let mut object = v.reg("attestationObject");
        object[0] = 0xa4;
        object.extend([0x63, b'f', b'm', b't', 0x64, b'n', b'o', b'n', b'e']);
        assert_eq!(
            AttestationObject::from_cbor(&object),
            Err(WebauthnError::CborDuplicateKey { what: "attestationObject" })
        );
    }
}
