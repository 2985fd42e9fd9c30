//! The audit signing keyring: the Ed25519 private keys checkpoints are signed with, and every
//! public key ever used, as configured by the operator.
//!
//! * `AUDIT_SIGNING_KEY` (a secret) is one private JWK (RFC 8037 §2: `kty: OKP`, `crv:
//!   Ed25519`, `kid`, `x`, `d`) or a JWKS `{"keys": [...]}` of them, each with an optional
//!   `notBefore` / `notAfter` window (RFC 3339, as `crate::audit::checkpoint` reads them).
//! * `AUDIT_PUBLIC_KEYS` (a var, optional) is a JWKS of retired public keys: keys whose private
//!   half is gone but whose old checkpoints must still verify. A `d` there is refused, so a
//!   private key can never be published by mistake.
//!
//! A checkpoint made at `now` is signed by the key valid at `now` with the latest `notBefore`
//! ([`Keyring::signer_at`]), which makes rotation a configuration change with no gap: add the
//! new key with `notBefore = T` and close the old one with `notAfter = T`. The published set
//! ([`Keyring::jwks`]) is every key's public half with its window, never a `d`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::audit::checkpoint::{decode_bytes, keys_from_jwks, ParseError, PublicKey};

/// Longest `kid` accepted (it is signed into every checkpoint and shown in every JWKS).
pub const MAX_KID_LEN: usize = 64;

/// One private signing key with its public half and window.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey {
    pub public: PublicKey,
    d: [u8; 32],
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("public", &self.public).finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The private JWK to import into Web Crypto (`importKey("jwk", …, "Ed25519")`).
    pub fn private_jwk(&self) -> Value {
        json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "x": URL_SAFE_NO_PAD.encode(self.public.x),
            "d": URL_SAFE_NO_PAD.encode(self.d),
        })
    }
}

/// Why the configured keys were refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringError {
    /// `AUDIT_SIGNING_KEY` or `AUDIT_PUBLIC_KEYS` is not JSON.
    NotJson { var: &'static str },
    /// A key is not an Ed25519 JWK as required; names the member.
    Key { var: &'static str, error: ParseError },
    /// A key in `AUDIT_SIGNING_KEY` has no 32-byte `d`.
    MissingPrivateKey { kid: String },
    /// `AUDIT_PUBLIC_KEYS` holds a private key (`d`).
    PrivateKeyPublished { kid: String },
    /// Empty, too long, or not printable ASCII.
    BadKid { kid: String },
    /// Two keys share a `kid`.
    DuplicateKid { kid: String },
}

impl std::fmt::Display for KeyringError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotJson { var } => write!(f, "{var} is not JSON (a JWK or a JWKS)"),
            Self::Key { var, error } => write!(f, "{var}: {error}"),
            Self::MissingPrivateKey { kid } => write!(f, "AUDIT_SIGNING_KEY: key {kid:?} has no 32-byte `d`"),
            Self::PrivateKeyPublished { kid } => {
                write!(f, "AUDIT_PUBLIC_KEYS: key {kid:?} has a `d`; publish only public keys")
            }
            Self::BadKid { kid } => write!(f, "kid {kid:?}: 1 to {MAX_KID_LEN} printable ASCII characters"),
            Self::DuplicateKid { kid } => write!(f, "kid {kid:?} is used twice"),
        }
    }
}

/// The configured signing keys and retired public keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keyring {
    pub signing: Vec<SigningKey>,
    pub retired: Vec<PublicKey>,
}

/// A JWK or a JWKS, as a list of JWK values.
fn jwk_list(text: &str, var: &'static str) -> Result<Vec<Value>, KeyringError> {
    let v: Value = serde_json::from_str(text).map_err(|_| KeyringError::NotJson { var })?;
    Ok(match v.get("keys") {
        Some(Value::Array(keys)) => keys.clone(),
        Some(_) => return Err(KeyringError::Key { var, error: ParseError::Invalid("keys") }),
        None => vec![v],
    })
}

fn private_half(jwk: &Value, public: &PublicKey) -> Result<[u8; 32], KeyringError> {
    jwk.get("d")
        .and_then(Value::as_str)
        .and_then(decode_bytes)
        .ok_or_else(|| KeyringError::MissingPrivateKey { kid: public.kid.clone() })
}

impl Keyring {
    /// Reads `AUDIT_SIGNING_KEY` and `AUDIT_PUBLIC_KEYS` (either may be absent or empty).
    pub fn parse(signing: Option<&str>, retired: Option<&str>) -> Result<Self, KeyringError> {
        let present = |s: Option<&str>| s.map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
        let mut ring = Self::default();
        if let Some(text) = present(signing) {
            for jwk in jwk_list(&text, "AUDIT_SIGNING_KEY")? {
                let var = "AUDIT_SIGNING_KEY";
                let public = PublicKey::from_jwk(&jwk).map_err(|error| KeyringError::Key { var, error })?;
                let d = private_half(&jwk, &public)?;
                ring.signing.push(SigningKey { public, d });
            }
        }
        if let Some(text) = present(retired) {
            let var = "AUDIT_PUBLIC_KEYS";
            let list = jwk_list(&text, var)?;
            if let Some(jwk) = list.iter().find(|k| k.get("d").is_some()) {
                let kid = jwk.get("kid").and_then(Value::as_str).unwrap_or_default().to_owned();
                return Err(KeyringError::PrivateKeyPublished { kid });
            }
            ring.retired =
                keys_from_jwks(&json!({ "keys": list })).map_err(|error| KeyringError::Key { var, error })?;
        }
        ring.check_kids()?;
        Ok(ring)
    }

    fn public_keys(&self) -> impl Iterator<Item = &PublicKey> {
        self.signing.iter().map(|k| &k.public).chain(&self.retired)
    }

    fn check_kids(&self) -> Result<(), KeyringError> {
        let mut seen = std::collections::HashSet::new();
        for key in self.public_keys() {
            let kid = &key.kid;
            if kid.is_empty() || kid.len() > MAX_KID_LEN || !kid.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
                return Err(KeyringError::BadKid { kid: kid.clone() });
            }
            if !seen.insert(kid) {
                return Err(KeyringError::DuplicateKid { kid: kid.clone() });
            }
        }
        Ok(())
    }

    /// The key to sign a checkpoint made at `now_ms` with: of the signing keys valid then, the
    /// one with the latest `notBefore` (the last listed on a tie). `None`: nothing can sign.
    pub fn signer_at(&self, now_ms: i64) -> Option<&SigningKey> {
        self.signing
            .iter()
            .filter(|k| k.public.valid_at(now_ms))
            .max_by_key(|k| k.public.not_before_ms.unwrap_or(i64::MIN))
    }

    /// Every public key, signing keys first, as the published JWKS.
    pub fn jwks(&self) -> Value {
        json!({ "keys": self.public_keys().map(PublicKey::to_jwk).collect::<Vec<_>>() })
    }

    /// Every public key, for verifying a checkpoint.
    pub fn verification_keys(&self) -> Vec<PublicKey> {
        self.public_keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time;

    fn private(kid: &str, seed: u8, window: &str) -> String {
        let x = URL_SAFE_NO_PAD.encode([seed ^ 0x55; 32]);
        let d = URL_SAFE_NO_PAD.encode([seed; 32]);
        format!(r#"{{"kty":"OKP","crv":"Ed25519","kid":"{kid}","x":"{x}","d":"{d}"{window}}}"#)
    }

    fn ms(s: &str) -> i64 {
        time::parse(s).unwrap()
    }

    #[test]
    fn one_private_jwk_signs_and_publishes_only_its_public_half() {
        let ring = Keyring::parse(Some(&private("k1", 1, "")), None).unwrap();
        assert_eq!(ring.signer_at(0).map(|k| k.public.kid.as_str()), Some("k1"));
        let jwks = ring.jwks().to_string();
        assert!(!jwks.contains("\"d\""), "{jwks}");
        assert_eq!(ring.jwks()["keys"][0]["x"], URL_SAFE_NO_PAD.encode([0x54; 32]));
        assert_eq!(ring.signing[0].private_jwk()["d"], URL_SAFE_NO_PAD.encode([1; 32]));
        assert!(!format!("{:?}", ring.signing[0]).contains("[1, 1, 1"), "Debug hides the private key");
    }

    #[test]
    fn rotation_switches_signer_at_the_boundary_and_keeps_both_published() {
        let old = private("old", 1, r#","notAfter":"2026-12-07T15:00:00.000Z""#);
        let new = private("new", 2, r#","notBefore":"2026-12-07T15:00:00.000Z""#);
        let ring = Keyring::parse(Some(&format!(r#"{{"keys":[{old},{new}]}}"#)), None).unwrap();
        let signer = |t: &str| ring.signer_at(ms(t)).map(|k| k.public.kid.clone());
        assert_eq!(signer("2026-12-07T14:59:59.999Z").as_deref(), Some("old"));
        assert_eq!(signer("2026-12-07T15:00:00.000Z").as_deref(), Some("new"));
        assert_eq!(ring.jwks()["keys"].as_array().map(Vec::len), Some(2));
        assert_eq!(ring.jwks()["keys"][0]["notAfter"], "2026-12-07T15:00:00.000Z");
    }

    #[test]
    fn overlapping_windows_prefer_the_latest_not_before() {
        let a = private("a", 1, r#","notBefore":"2026-01-01T00:00:00.000Z""#);
        let b = private("b", 2, r#","notBefore":"2026-06-01T00:00:00.000Z""#);
        let ring = Keyring::parse(Some(&format!(r#"{{"keys":[{b},{a}]}}"#)), None).unwrap();
        assert_eq!(ring.signer_at(ms("2026-07-01T00:00:00.000Z")).unwrap().public.kid, "b");
        assert_eq!(ring.signer_at(ms("2026-02-01T00:00:00.000Z")).unwrap().public.kid, "a");
        assert!(ring.signer_at(ms("2025-12-31T00:00:00.000Z")).is_none(), "no key valid yet");
    }

    #[test]
    fn retired_public_keys_are_published_and_verify_but_never_sign() {
        let retired = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"2025","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","notAfter":"2026-01-01T00:00:00.000Z"}]}"#;
        let ring = Keyring::parse(Some(&private("2026", 3, "")), Some(retired)).unwrap();
        assert_eq!(ring.verification_keys().iter().map(|k| k.kid.as_str()).collect::<Vec<_>>(), ["2026", "2025"]);
        assert_eq!(ring.signer_at(0).unwrap().public.kid, "2026");
        assert_eq!(Keyring::parse(None, Some(retired)).unwrap().signer_at(0), None);
    }

    #[test]
    fn absent_or_blank_config_is_an_empty_ring() {
        assert_eq!(Keyring::parse(None, None), Ok(Keyring::default()));
        assert_eq!(Keyring::parse(Some("  "), Some("")), Ok(Keyring::default()));
    }

    #[test]
    fn refuses_keys_that_cannot_sign_or_would_leak() {
        let err = |s: Option<&str>, p: Option<&str>| Keyring::parse(s, p).unwrap_err();
        assert_eq!(err(Some("nope"), None), KeyringError::NotJson { var: "AUDIT_SIGNING_KEY" });
        let public_only =
            r#"{"kty":"OKP","crv":"Ed25519","kid":"k","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}"#;
        assert_eq!(err(Some(public_only), None), KeyringError::MissingPrivateKey { kid: "k".into() });
        assert_eq!(err(None, Some(&private("k", 1, ""))), KeyringError::PrivateKeyPublished { kid: "k".into() });
        let twice = format!(r#"{{"keys":[{},{}]}}"#, private("k", 1, ""), private("k", 2, ""));
        assert_eq!(err(Some(&twice), None), KeyringError::DuplicateKid { kid: "k".into() });
        assert_eq!(err(Some(&private("has space", 1, "")), None), KeyringError::BadKid { kid: "has space".into() });
        let p256 = r#"{"kty":"EC","crv":"P-256","kid":"k","x":"AA","d":"AA"}"#;
        assert_eq!(
            err(Some(p256), None),
            KeyringError::Key { var: "AUDIT_SIGNING_KEY", error: ParseError::Invalid("kty") }
        );
        assert!(err(Some(r#"{"keys":{}}"#), None).to_string().contains("keys"));
    }
}
