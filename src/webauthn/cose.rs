//! COSE_Key credential public keys (§6.5.1.1 "Examples of credentialPublicKey Values Encoded
//! in COSE_Key Format", RFC 9052 §7, RFC 9053 §2 and §7, RFC 8230 §4) for the three algorithms
//! this relying party accepts, and their import shape for Web Crypto (JWK, RFC 7517/7518, RFC 8037).

use super::{cbor, der, WebauthnError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ciborium::value::Value;
use serde_json::json;

/// COSE algorithm ES256: ECDSA on P-256 with SHA-256.
pub const ALG_ES256: i64 = -7;
/// COSE algorithm EdDSA (here only on Ed25519).
pub const ALG_EDDSA: i64 = -8;
/// COSE algorithm RS256: RSASSA-PKCS1-v1_5 with SHA-256.
pub const ALG_RS256: i64 = -257;

const KTY_OKP: i64 = 1;
const KTY_EC2: i64 = 2;
const KTY_RSA: i64 = 3;
const CRV_P256: i64 = 1;
const CRV_ED25519: i64 = 6;
const LABEL_KTY: i64 = 1;
const LABEL_ALG: i64 = 3;
const RSA_MODULUS_BYTES: std::ops::RangeInclusive<usize> = 256..=512;
const RSA_EXPONENT_MAX_BYTES: usize = 8;

/// A credential public key of a supported algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoseKey {
    /// kty 2 (EC2), crv 1 (P-256), alg -7.
    Es256 { x: [u8; 32], y: [u8; 32] },
    /// kty 3 (RSA), alg -257; big-endian `n` (2048–4096 bits) and `e`, no leading zero bytes.
    Rs256 { n: Vec<u8>, e: Vec<u8> },
    /// kty 1 (OKP), crv 6 (Ed25519), alg -8.
    EdDsa { x: [u8; 32] },
}

/// The key-type-specific parameters (labels -1, -2, -3) of one COSE_Key.
struct Params<'v> {
    kty: i64,
    alg: i64,
    p1: Option<&'v Value>,
    p2: Option<&'v Value>,
    p3: Option<&'v Value>,
}

impl CoseKey {
    /// Decodes a COSE_Key that fills `bytes` exactly.
    pub fn from_cbor(bytes: &[u8]) -> Result<Self, WebauthnError> {
        Self::from_value(&cbor::decode_exact(bytes, "credentialPublicKey")?)
    }

    /// The COSE algorithm identifier.
    pub fn alg(&self) -> i64 {
        match self {
            CoseKey::Es256 { .. } => ALG_ES256,
            CoseKey::Rs256 { .. } => ALG_RS256,
            CoseKey::EdDsa { .. } => ALG_EDDSA,
        }
    }

    /// The key as a JWK for `crypto.subtle.importKey("jwk", …)`.
    pub fn to_jwk(&self) -> serde_json::Value {
        match self {
            CoseKey::Es256 { x, y } => {
                json!({"kty": "EC", "crv": "P-256", "alg": "ES256", "x": b64u(x), "y": b64u(y)})
            }
            CoseKey::Rs256 { n, e } => {
                json!({"kty": "RSA", "alg": "RS256", "n": b64u(n), "e": b64u(e)})
            }
            CoseKey::EdDsa { x } => {
                json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "x": b64u(x)})
            }
        }
    }

    /// A Web Crypto algorithm object valid both for `importKey` and for `verify`.
    pub fn web_crypto_algorithm(&self) -> serde_json::Value {
        match self {
            CoseKey::Es256 { .. } => {
                json!({"name": "ECDSA", "namedCurve": "P-256", "hash": "SHA-256"})
            }
            CoseKey::Rs256 { .. } => json!({"name": "RSASSA-PKCS1-v1_5", "hash": "SHA-256"}),
            CoseKey::EdDsa { .. } => json!({"name": "Ed25519"}),
        }
    }

    /// Converts a signature as sent (§6.5.5) into what Web Crypto verifies for this key.
    pub(super) fn web_crypto_signature(&self, signature: &[u8]) -> Result<Vec<u8>, WebauthnError> {
        match self {
            CoseKey::Es256 { .. } => Ok(der::ecdsa_p256_signature_to_raw(signature)?.to_vec()),
            CoseKey::Rs256 { n, .. } if signature.len() == n.len() => Ok(signature.to_vec()),
            CoseKey::Rs256 { .. } => {
                Err(WebauthnError::SignatureEncoding("RSA signature length differs from the modulus"))
            }
            CoseKey::EdDsa { .. } if signature.len() == 64 => Ok(signature.to_vec()),
            CoseKey::EdDsa { .. } => Err(WebauthnError::SignatureEncoding("Ed25519 signature is not 64 bytes")),
        }
    }

    /// Reads an already decoded COSE_Key map.
    pub(super) fn from_value(value: &Value) -> Result<Self, WebauthnError> {
        let params = Params::read(cbor::map(value, "credentialPublicKey")?)?;
        match (params.kty, params.alg) {
            (KTY_EC2, ALG_ES256) => params.es256(),
            (KTY_RSA, ALG_RS256) => params.rs256(),
            (KTY_OKP, ALG_EDDSA) => params.eddsa(),
            (KTY_EC2 | KTY_RSA | KTY_OKP, alg @ (ALG_ES256 | ALG_RS256 | ALG_EDDSA)) => {
                Err(WebauthnError::KeyAlgorithmMismatch { kty: params.kty, alg })
            }
            (KTY_EC2 | KTY_RSA | KTY_OKP, alg) => Err(WebauthnError::UnsupportedAlgorithm(alg)),
            (kty, _) => Err(WebauthnError::UnsupportedKeyType(kty)),
        }
    }

    /// An RSA key from big-endian unsigned `n` and `e`, checked as for COSE.
    pub(super) fn rsa(n: &[u8], e: &[u8]) -> Result<Self, WebauthnError> {
        let bad = |label, problem| Err(WebauthnError::CoseKeyParameter { label, problem });
        if !RSA_MODULUS_BYTES.contains(&n.len()) || n.first() == Some(&0) {
            return bad(-1, "RSA modulus must be 2048 to 4096 bits without leading zero bytes");
        }
        if e.is_empty() || e.len() > RSA_EXPONENT_MAX_BYTES || e.first() == Some(&0) {
            return bad(-2, "RSA exponent must be 1 to 8 bytes without leading zero bytes");
        }
        Ok(CoseKey::Rs256 { n: n.to_vec(), e: e.to_vec() })
    }
}

impl<'v> Params<'v> {
    fn read(entries: &'v [(Value, Value)]) -> Result<Self, WebauthnError> {
        let (mut kty, mut alg, mut p1, mut p2, mut p3) = (None, None, None, None, None);
        for (key, value) in entries {
            let label = cbor::int(key)
                .ok_or(WebauthnError::CoseKeyParameter { label: 0, problem: "label is not an integer" })?;
            let slot = match label {
                LABEL_KTY => &mut kty,
                LABEL_ALG => &mut alg,
                -1 => &mut p1,
                -2 => &mut p2,
                -3 => &mut p3,
                _ => return Err(WebauthnError::CoseKeyParameter { label, problem: "label not allowed" }),
            };
            *slot = Some(value);
        }
        Ok(Params { kty: required_int(kty, LABEL_KTY)?, alg: required_int(alg, LABEL_ALG)?, p1, p2, p3 })
    }

    fn es256(&self) -> Result<CoseKey, WebauthnError> {
        self.curve(CRV_P256)?;
        Ok(CoseKey::Es256 { x: fixed_bytes(self.p2, -2)?, y: fixed_bytes(self.p3, -3)? })
    }

    fn eddsa(&self) -> Result<CoseKey, WebauthnError> {
        self.curve(CRV_ED25519)?;
        absent(self.p3, -3)?;
        Ok(CoseKey::EdDsa { x: fixed_bytes(self.p2, -2)? })
    }

    fn rs256(&self) -> Result<CoseKey, WebauthnError> {
        absent(self.p3, -3)?;
        CoseKey::rsa(bytes(self.p1, -1)?, bytes(self.p2, -2)?)
    }

    fn curve(&self, expected: i64) -> Result<(), WebauthnError> {
        match required_int(self.p1, -1)? {
            crv if crv == expected => Ok(()),
            crv => Err(WebauthnError::UnsupportedCurve(crv)),
        }
    }
}

fn required_int(value: Option<&Value>, label: i64) -> Result<i64, WebauthnError> {
    value.and_then(cbor::int).ok_or(WebauthnError::CoseKeyParameter { label, problem: "missing or not an integer" })
}

fn bytes(value: Option<&Value>, label: i64) -> Result<&[u8], WebauthnError> {
    value
        .and_then(Value::as_bytes)
        .map(Vec::as_slice)
        .ok_or(WebauthnError::CoseKeyParameter { label, problem: "missing or not a byte string" })
}

fn fixed_bytes(value: Option<&Value>, label: i64) -> Result<[u8; 32], WebauthnError> {
    bytes(value, label)?
        .try_into()
        .map_err(|_| WebauthnError::CoseKeyParameter { label, problem: "must be exactly 32 bytes" })
}

fn absent(value: Option<&Value>, label: i64) -> Result<(), WebauthnError> {
    match value {
        None => Ok(()),
        Some(_) => Err(WebauthnError::CoseKeyParameter { label, problem: "label not allowed for this key type" }),
    }
}

fn b64u(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webauthn::testutil::{cbor_bytes, hex};
    use ciborium::value::Value as V;

    /// The credentialPublicKey of §16 "ES256 Credential with No Attestation".
    const NONE_ES256_KEY: &str = "a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220";

    fn key(entries: Vec<(i64, V)>) -> Vec<u8> {
        cbor_bytes(&V::Map(entries.into_iter().map(|(k, v)| (V::from(k), v)).collect()))
    }

    fn ec2(alg: i64, crv: i64, x_len: usize) -> Vec<u8> {
        key(vec![
            (1, V::from(2)),
            (3, V::from(alg)),
            (-1, V::from(crv)),
            (-2, V::Bytes(vec![1; x_len])),
            (-3, V::Bytes(vec![2; 32])),
        ])
    }

    #[test]
    fn none_es256_credential_key_parses_to_p256_jwk() {
        let parsed = CoseKey::from_cbor(&hex(NONE_ES256_KEY)).unwrap();
        assert_eq!(parsed.alg(), ALG_ES256);
        let jwk = parsed.to_jwk();
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["x"], "r--hb5fKmy0j64bMtkCY0g25CFYGLrJJwzqbZy8m32E");
        assert_eq!(parsed.web_crypto_algorithm()["namedCurve"], "P-256");
    }

    #[test]
    fn unsupported_key_type_algorithm_and_curve_are_named() {
        assert_eq!(
            CoseKey::from_cbor(&key(vec![(1, V::from(4)), (3, V::from(-7))])),
            Err(WebauthnError::UnsupportedKeyType(4))
        );
        assert_eq!(CoseKey::from_cbor(&ec2(-35, 2, 48)), Err(WebauthnError::UnsupportedAlgorithm(-35)));
        assert_eq!(CoseKey::from_cbor(&ec2(-7, 2, 32)), Err(WebauthnError::UnsupportedCurve(2)));
        assert_eq!(CoseKey::from_cbor(&ec2(-8, 1, 32)), Err(WebauthnError::KeyAlgorithmMismatch { kty: 2, alg: -8 }));
    }

    #[test]
    fn point_lengths_and_labels_are_checked() {
        let short = CoseKey::from_cbor(&ec2(-7, 1, 31));
        assert_eq!(short, Err(WebauthnError::CoseKeyParameter { label: -2, problem: "must be exactly 32 bytes" }));
        let private = key(vec![
            (1, V::from(1)),
            (3, V::from(-8)),
            (-1, V::from(6)),
            (-2, V::Bytes(vec![1; 32])),
            (-4, V::Bytes(vec![1; 32])),
        ]);
        assert_eq!(
            CoseKey::from_cbor(&private),
            Err(WebauthnError::CoseKeyParameter { label: -4, problem: "label not allowed" })
        );
        let no_alg = key(vec![(1, V::from(2)), (-1, V::from(1))]);
        assert_eq!(
            CoseKey::from_cbor(&no_alg),
            Err(WebauthnError::CoseKeyParameter { label: 3, problem: "missing or not an integer" })
        );
        let compressed = key(vec![
            (1, V::from(2)),
            (3, V::from(-7)),
            (-1, V::from(1)),
            (-2, V::Bytes(vec![1; 32])),
            (-3, V::Bool(true)),
        ]);
        assert!(matches!(CoseKey::from_cbor(&compressed), Err(WebauthnError::CoseKeyParameter { label: -3, .. })));
    }

    #[test]
    fn rsa_modulus_and_exponent_are_bounded() {
        let rsa = |n: Vec<u8>, e: Vec<u8>| {
            key(vec![(1, V::from(3)), (3, V::from(-257)), (-1, V::Bytes(n)), (-2, V::Bytes(e))])
        };
        assert!(CoseKey::from_cbor(&rsa(vec![0xc5; 256], vec![1, 0, 1])).is_ok());
        assert!(matches!(
            CoseKey::from_cbor(&rsa(vec![0xc5; 128], vec![1, 0, 1])),
            Err(WebauthnError::CoseKeyParameter { label: -1, .. })
        ));
        assert!(matches!(
            CoseKey::from_cbor(&rsa(vec![0xc5; 256], vec![0, 1])),
            Err(WebauthnError::CoseKeyParameter { label: -2, .. })
        ));
    }

    #[test]
    fn signature_lengths_are_checked_per_algorithm() {
        let ed = CoseKey::EdDsa { x: [0; 32] };
        assert_eq!(
            ed.web_crypto_signature(&[0; 63]),
            Err(WebauthnError::SignatureEncoding("Ed25519 signature is not 64 bytes"))
        );
        let rsa = CoseKey::Rs256 { n: vec![0xc5; 256], e: vec![3] };
        assert!(matches!(rsa.web_crypto_signature(&[0; 255]), Err(WebauthnError::SignatureEncoding(_))));
        assert_eq!(rsa.web_crypto_signature(&[7; 256]).unwrap().len(), 256);
    }
}
