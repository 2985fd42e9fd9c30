//! Signed checkpoints of a workspace's audit chain head, and their verification.
//!
//! A [`Checkpoint`] states "the chain of `workspace_id` had head `seq` with `hash` at
//! `time_ms`", signed with Ed25519 (RFC 8032, pure EdDSA) by the key `key_id`. The signed
//! message, [`Checkpoint::signing_bytes`], uses the ledger's encoding rules (a text is its UTF-8
//! length as a `u64` big-endian then its bytes; an integer is 8 bytes, `i64` big-endian):
//!
//! ```text
//! text(CHECKPOINT_DOMAIN) ‖ text(workspace_id) ‖ int(seq) ‖ text(hash) ‖ int(time_ms) ‖ text(key_id)
//! ```
//!
//! [`CHECKPOINT_DOMAIN`] differs from the row hash's domain, so a checkpoint signature can
//! never be replayed as anything else; the key id is signed so a signature cannot be relabelled.
//!
//! The JSON form ([`SignedCheckpoint::to_json`] / [`SignedCheckpoint::from_json`]) is
//! `{"type":"axissynapse.audit.checkpoint.v1","workspaceId","seq","hash","time","kid","sig"}`:
//! `time` is `YYYY-MM-DDTHH:MM:SS.mmmZ` exactly as `crate::time::format_ms` writes it (any
//! other spelling is refused, so the JSON maps to one message), `sig` is the 64-byte signature
//! in base64url without padding (RFC 4648 §5).
//!
//! Public keys are a JWKS (RFC 7517) of `{"kty":"OKP","crv":"Ed25519","kid","x"}` (RFC 8037),
//! each with optional `notBefore` / `notAfter` (RFC 3339) members: its validity window, so a
//! rotated-out key stays published but cannot vouch for a later checkpoint.
//!
//! The signature check itself is the caller's: [`signature_check`] resolves the key and builds
//! the message, and the worker runs it through Web Crypto (async), the host through a pure-Rust
//! Ed25519 ([`verify_ed25519`], not built for wasm32). [`verify`] does both for sync callers.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Map, Value};

use crate::time;

/// Leads every checkpoint's signed message.
pub const CHECKPOINT_DOMAIN: &str = "axissynapse-edge/audit-checkpoint/v1";

/// The `type` member of a checkpoint's JSON (and of the NDJSON export's checkpoint line).
pub const CHECKPOINT_TYPE: &str = "axissynapse.audit.checkpoint.v1";

/// A statement about a chain head, before or after signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub workspace_id: String,
    /// `seq` of the head row (0 for an empty ledger).
    pub seq: i64,
    /// `hash` of the head row (`GENESIS_HASH` for an empty ledger).
    pub hash: String,
    /// When the checkpoint was made, Unix milliseconds.
    pub time_ms: i64,
    /// The signing key's `kid`.
    pub key_id: String,
}

impl Checkpoint {
    /// The exact bytes signed (see the module docs).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.workspace_id.len() + self.hash.len() + self.key_id.len() + 40);
        put_text(&mut out, CHECKPOINT_DOMAIN);
        put_text(&mut out, &self.workspace_id);
        out.extend_from_slice(&self.seq.to_be_bytes());
        put_text(&mut out, &self.hash);
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        put_text(&mut out, &self.key_id);
        out
    }
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// A checkpoint with its Ed25519 signature over [`Checkpoint::signing_bytes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub signature: [u8; 64],
}

/// Why a checkpoint's or a key set's JSON was refused; names the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Not a JSON object (or not JSON at all).
    NotAnObject,
    /// A required member is missing or has the wrong JSON type.
    Missing(&'static str),
    /// A member is present but its value is not allowed.
    Invalid(&'static str),
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::NotAnObject => f.write_str("not a JSON object"),
            Self::Missing(m) => write!(f, "member `{m}` missing or of the wrong type"),
            Self::Invalid(m) => write!(f, "member `{m}` invalid"),
        }
    }
}

impl std::error::Error for ParseError {}

fn str_member<'a>(o: &'a Map<String, Value>, name: &'static str) -> Result<&'a str, ParseError> {
    o.get(name).and_then(Value::as_str).ok_or(ParseError::Missing(name))
}

/// A timestamp member in the exact `format_ms` spelling.
fn time_member(o: &Map<String, Value>, name: &'static str) -> Result<i64, ParseError> {
    let s = str_member(o, name)?;
    match time::parse(s) {
        Ok(ms) if time::format_ms(ms) == s => Ok(ms),
        _ => Err(ParseError::Invalid(name)),
    }
}

/// `N` bytes in base64url without padding (a signature's `sig`, a key's `x`); `None` for any
/// other length or spelling.
pub fn decode_bytes<const N: usize>(text: &str) -> Option<[u8; N]> {
    URL_SAFE_NO_PAD.decode(text).ok().and_then(|b| <[u8; N]>::try_from(b).ok())
}

/// A signature as the JSON's `sig` (and the store's `sig` column) spells it.
pub fn encode_signature(signature: &[u8; 64]) -> String {
    URL_SAFE_NO_PAD.encode(signature)
}

fn is_lower_hex_64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl SignedCheckpoint {
    /// The JSON form (see the module docs).
    pub fn to_json(&self) -> Value {
        let c = &self.checkpoint;
        json!({
            "type": CHECKPOINT_TYPE,
            "workspaceId": c.workspace_id,
            "seq": c.seq,
            "hash": c.hash,
            "time": time::format_ms(c.time_ms),
            "kid": c.key_id,
            "sig": encode_signature(&self.signature),
        })
    }

    /// Reads the JSON form. Unknown members are ignored; `type` must be [`CHECKPOINT_TYPE`],
    /// `seq` a non-negative integer, `hash` 64 lowercase hex digits, `sig` 64 bytes.
    pub fn from_json(v: &Value) -> Result<Self, ParseError> {
        let o = v.as_object().ok_or(ParseError::NotAnObject)?;
        if str_member(o, "type")? != CHECKPOINT_TYPE {
            return Err(ParseError::Invalid("type"));
        }
        let seq = o.get("seq").and_then(Value::as_i64).ok_or(ParseError::Missing("seq"))?;
        if seq < 0 {
            return Err(ParseError::Invalid("seq"));
        }
        let hash = str_member(o, "hash")?;
        if !is_lower_hex_64(hash) {
            return Err(ParseError::Invalid("hash"));
        }
        let signature = decode_bytes(str_member(o, "sig")?).ok_or(ParseError::Invalid("sig"))?;
        Ok(Self {
            checkpoint: Checkpoint {
                workspace_id: str_member(o, "workspaceId")?.to_owned(),
                seq,
                hash: hash.to_owned(),
                time_ms: time_member(o, "time")?,
                key_id: str_member(o, "kid")?.to_owned(),
            },
            signature,
        })
    }
}

/// One published Ed25519 public key and the window in which its checkpoints count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub kid: String,
    /// The raw 32-byte public key (the JWK's `x`).
    pub x: [u8; 32],
    /// Earliest checkpoint time it vouches for, Unix ms (inclusive); `None`: no lower bound.
    pub not_before_ms: Option<i64>,
    /// Checkpoint times from here on are not its (exclusive); `None`: still current.
    pub not_after_ms: Option<i64>,
}

impl PublicKey {
    /// Whether a checkpoint made at `time_ms` falls in the key's window.
    pub fn valid_at(&self, time_ms: i64) -> bool {
        self.not_before_ms.is_none_or(|nb| time_ms >= nb) && self.not_after_ms.is_none_or(|na| time_ms < na)
    }

    /// The JWK form: `{"kty":"OKP","crv":"Ed25519","use":"sig","alg":"EdDSA","kid","x"}` plus
    /// `notBefore` / `notAfter` when bounded.
    pub fn to_jwk(&self) -> Value {
        let mut jwk = json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "use": "sig",
            "alg": "EdDSA",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(self.x),
        });
        if let Some(ms) = self.not_before_ms {
            jwk["notBefore"] = json!(time::format_ms(ms));
        }
        if let Some(ms) = self.not_after_ms {
            jwk["notAfter"] = json!(time::format_ms(ms));
        }
        jwk
    }

    /// Reads one JWK; it must be `kty: OKP`, `crv: Ed25519` with a 32-byte `x`.
    pub fn from_jwk(v: &Value) -> Result<Self, ParseError> {
        let o = v.as_object().ok_or(ParseError::NotAnObject)?;
        if str_member(o, "kty")? != "OKP" {
            return Err(ParseError::Invalid("kty"));
        }
        if str_member(o, "crv")? != "Ed25519" {
            return Err(ParseError::Invalid("crv"));
        }
        let x = decode_bytes(str_member(o, "x")?).ok_or(ParseError::Invalid("x"))?;
        let opt_time = |name: &'static str| match o.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => time_member(o, name).map(Some),
        };
        Ok(Self {
            kid: str_member(o, "kid")?.to_owned(),
            x,
            not_before_ms: opt_time("notBefore")?,
            not_after_ms: opt_time("notAfter")?,
        })
    }
}

/// Reads a JWKS `{"keys": [...]}`; every key must parse (a key set is published, not guessed).
pub fn keys_from_jwks(v: &Value) -> Result<Vec<PublicKey>, ParseError> {
    let keys = v.get("keys").and_then(Value::as_array).ok_or(ParseError::Missing("keys"))?;
    keys.iter().map(PublicKey::from_jwk).collect()
}

/// Why a signed checkpoint does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckpointError {
    /// No published key has the checkpoint's `kid`.
    UnknownKey { kid: String },
    /// The key exists but its validity window does not cover the checkpoint's `time`.
    KeyNotValidAt { kid: String, time_ms: i64 },
    /// The Ed25519 signature does not verify under the key.
    BadSignature { kid: String },
}

/// One Ed25519 verification to run: `signature` over `message` under `public_key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ed25519Check {
    pub public_key: [u8; 32],
    pub message: Vec<u8>,
    pub signature: [u8; 64],
}

/// Resolves the checkpoint's key in `keys` and builds the check to run; the caller runs it and
/// maps `false` to [`CheckpointError::BadSignature`].
pub fn signature_check(signed: &SignedCheckpoint, keys: &[PublicKey]) -> Result<Ed25519Check, CheckpointError> {
    let c = &signed.checkpoint;
    let key =
        keys.iter().find(|k| k.kid == c.key_id).ok_or_else(|| CheckpointError::UnknownKey { kid: c.key_id.clone() })?;
    if !key.valid_at(c.time_ms) {
        return Err(CheckpointError::KeyNotValidAt { kid: c.key_id.clone(), time_ms: c.time_ms });
    }
    Ok(Ed25519Check { public_key: key.x, message: c.signing_bytes(), signature: signed.signature })
}

/// Verifies a signed checkpoint against `keys`, running the signature check with `ed25519`.
pub fn verify(
    signed: &SignedCheckpoint,
    keys: &[PublicKey],
    ed25519: impl FnOnce(&Ed25519Check) -> bool,
) -> Result<(), CheckpointError> {
    let check = signature_check(signed, keys)?;
    if ed25519(&check) {
        Ok(())
    } else {
        Err(CheckpointError::BadSignature { kid: signed.checkpoint.key_id.clone() })
    }
}

/// Runs an [`Ed25519Check`] with ed25519-dalek's `verify_strict` (RFC 8032 §5.1.7, rejecting
/// small-order keys and non-canonical signatures), for host verifiers and tests.
#[cfg(not(target_arch = "wasm32"))]
pub fn verify_ed25519(check: &Ed25519Check) -> bool {
    let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&check.public_key) else {
        return false;
    };
    let signature = ed25519_dalek::Signature::from_bytes(&check.signature);
    key.verify_strict(&check.message, &signature).is_ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    pub(crate) fn signing_key(n: u8) -> SigningKey {
        SigningKey::from_bytes(&[n; 32])
    }

    pub(crate) fn public_key(n: u8, kid: &str) -> PublicKey {
        PublicKey {
            kid: kid.into(),
            x: signing_key(n).verifying_key().to_bytes(),
            not_before_ms: None,
            not_after_ms: None,
        }
    }

    pub(crate) fn sign(c: Checkpoint, key: &SigningKey) -> SignedCheckpoint {
        let signature = key.sign(&c.signing_bytes()).to_bytes();
        SignedCheckpoint { checkpoint: c, signature }
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint {
            workspace_id: "ws_1".into(),
            seq: 42,
            hash: "ab".repeat(32),
            time_ms: 1_780_991_622_626,
            key_id: "k1".into(),
        }
    }

    #[test]
    fn signing_bytes_follow_the_documented_encoding() {
        let c = Checkpoint { workspace_id: "w".into(), seq: 1, hash: "h".into(), time_ms: 2, key_id: "k".into() };
        let mut expected = Vec::new();
        expected.extend_from_slice(&(CHECKPOINT_DOMAIN.len() as u64).to_be_bytes());
        expected.extend_from_slice(CHECKPOINT_DOMAIN.as_bytes());
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, b'w']);
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, b'h']);
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 2]);
        expected.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1, b'k']);
        assert_eq!(c.signing_bytes(), expected);
    }

    #[test]
    fn signature_matches_independent_computation_of_documented_encoding() {
        // Computed outside Rust (Python hashlib and cryptography's Ed25519, key bytes [1; 32])
        // from the encoding in the module docs; Ed25519 signatures are deterministic.
        use sha2::{Digest, Sha256};
        let c = checkpoint();
        let digest: String = Sha256::digest(c.signing_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, "86728d16bb44593f07aba89f38d9b6368767c8334ad2e0797bcbf44e9142f929");
        let sig: String = sign(c, &signing_key(1)).signature.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            sig,
            "de814b98ee727524ff46598eece0c56391a5c5af5b534ddd3ef1fb0d8617c132\
             ffb0cba5c6f6e018b3a66f08dbe986cf42d4fe3eda33ddc16678c01c02d69f03"
        );
    }

    #[test]
    fn signing_bytes_cover_every_field_unambiguously() {
        let base = checkpoint();
        let variants = [
            Checkpoint { workspace_id: "ws_2".into(), ..base.clone() },
            Checkpoint { seq: 43, ..base.clone() },
            Checkpoint { hash: "cd".repeat(32), ..base.clone() },
            Checkpoint { time_ms: base.time_ms + 1, ..base.clone() },
            Checkpoint { key_id: "k2".into(), ..base.clone() },
            // Moving a byte across the workspace/hash boundary changes the encoding.
            Checkpoint { workspace_id: "ws_1a".into(), hash: "b".to_owned() + &"ab".repeat(31), ..base.clone() },
        ];
        for v in variants {
            assert_ne!(v.signing_bytes(), base.signing_bytes(), "{v:?}");
        }
    }

    #[test]
    fn signed_checkpoint_verifies_under_its_key() {
        let signed = sign(checkpoint(), &signing_key(1));
        assert_eq!(verify(&signed, &[public_key(1, "k1")], verify_ed25519), Ok(()));
    }

    #[test]
    fn json_round_trips_with_base64url_signature() {
        let signed = sign(checkpoint(), &signing_key(1));
        let v = signed.to_json();
        assert_eq!(v["type"], CHECKPOINT_TYPE);
        assert_eq!(v["time"], "2026-06-09T07:53:42.626Z");
        let sig = v["sig"].as_str().unwrap();
        assert_eq!(sig.len(), 86);
        assert!(!sig.contains(['+', '/', '=']));
        assert_eq!(SignedCheckpoint::from_json(&v), Ok(signed));
    }

    #[test]
    fn json_refuses_non_canonical_time_bad_hash_bad_sig_and_wrong_type() {
        let v = sign(checkpoint(), &signing_key(1)).to_json();
        let with = |k: &str, val: Value| {
            let mut v = v.clone();
            v[k] = val;
            SignedCheckpoint::from_json(&v)
        };
        assert_eq!(with("time", json!("2026-06-09T07:53:42.626+00:00")), Err(ParseError::Invalid("time")));
        assert_eq!(with("hash", json!("AB".repeat(32))), Err(ParseError::Invalid("hash")));
        assert_eq!(with("sig", json!("AAAA")), Err(ParseError::Invalid("sig")));
        assert_eq!(with("type", json!("other")), Err(ParseError::Invalid("type")));
        assert_eq!(with("seq", json!(-1)), Err(ParseError::Invalid("seq")));
        assert_eq!(with("seq", json!("1")), Err(ParseError::Missing("seq")));
        assert_eq!(SignedCheckpoint::from_json(&json!([])), Err(ParseError::NotAnObject));
    }

    #[test]
    fn checkpoint_signed_by_unpublished_kid_is_unknown_key() {
        let signed = sign(Checkpoint { key_id: "k9".into(), ..checkpoint() }, &signing_key(1));
        assert_eq!(
            verify(&signed, &[public_key(1, "k1")], verify_ed25519),
            Err(CheckpointError::UnknownKey { kid: "k9".into() })
        );
    }

    #[test]
    fn forged_checkpoint_signed_with_wrong_key_is_bad_signature() {
        let forged = sign(checkpoint(), &signing_key(2));
        assert_eq!(
            verify(&forged, &[public_key(1, "k1")], verify_ed25519),
            Err(CheckpointError::BadSignature { kid: "k1".into() })
        );
    }

    #[test]
    fn altered_field_after_signing_is_bad_signature() {
        let mut signed = sign(checkpoint(), &signing_key(1));
        signed.checkpoint.seq += 1;
        assert!(matches!(
            verify(&signed, &[public_key(1, "k1")], verify_ed25519),
            Err(CheckpointError::BadSignature { .. })
        ));
    }

    #[test]
    fn rotated_out_key_does_not_vouch_outside_its_window() {
        let signed = sign(checkpoint(), &signing_key(1));
        let t = signed.checkpoint.time_ms;
        let retired = PublicKey { not_after_ms: Some(t), ..public_key(1, "k1") };
        let future = PublicKey { not_before_ms: Some(t + 1), ..public_key(1, "k1") };
        let current = PublicKey { not_before_ms: Some(t), not_after_ms: Some(t + 1), ..public_key(1, "k1") };
        assert_eq!(
            verify(&signed, &[retired], verify_ed25519),
            Err(CheckpointError::KeyNotValidAt { kid: "k1".into(), time_ms: t })
        );
        assert!(matches!(verify(&signed, &[future], verify_ed25519), Err(CheckpointError::KeyNotValidAt { .. })));
        assert_eq!(verify(&signed, &[current], verify_ed25519), Ok(()));
    }

    #[test]
    fn jwks_round_trips_and_refuses_other_key_types() {
        let key = PublicKey { not_before_ms: Some(0), not_after_ms: Some(1_000), ..public_key(1, "k1") };
        let jwks = json!({ "keys": [key.to_jwk(), public_key(2, "k2").to_jwk()] });
        assert_eq!(jwks["keys"][0]["notAfter"], "1970-01-01T00:00:01.000Z");
        assert!(jwks["keys"][1].get("notBefore").is_none());
        assert_eq!(keys_from_jwks(&jwks), Ok(vec![key.clone(), public_key(2, "k2")]));
        let mut ec = key.to_jwk();
        ec["kty"] = json!("EC");
        assert_eq!(PublicKey::from_jwk(&ec), Err(ParseError::Invalid("kty")));
        let mut x448 = key.to_jwk();
        x448["crv"] = json!("Ed448");
        assert_eq!(PublicKey::from_jwk(&x448), Err(ParseError::Invalid("crv")));
        let mut short = key.to_jwk();
        short["x"] = json!("AAAA");
        assert_eq!(PublicKey::from_jwk(&short), Err(ParseError::Invalid("x")));
        assert_eq!(keys_from_jwks(&json!({})), Err(ParseError::Missing("keys")));
    }

    #[test]
    fn signature_check_exposes_what_web_crypto_must_verify() {
        let signed = sign(checkpoint(), &signing_key(1));
        let check = signature_check(&signed, &[public_key(1, "k1")]).unwrap();
        assert_eq!(check.message, checkpoint().signing_bytes());
        assert_eq!(check.public_key, public_key(1, "k1").x);
        assert!(verify_ed25519(&check));
    }
}
