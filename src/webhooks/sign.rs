//! Standard Webhooks signatures (<https://www.standardwebhooks.com/>, spec "Signature scheme").
//!
//! * Secrets are `whsec_` + standard base64 (RFC 4648 §4, padded) of 24 to 64 key bytes.
//! * The signed content is `{msg_id}.{timestamp}.{body}` (timestamp in Unix seconds); the
//!   signature is `v1,` + base64 of its HMAC-SHA256 (RFC 2104, FIPS 180-4) under the key bytes.
//! * The `webhook-signature` header holds space-separated signatures; during a secret rotation
//!   it carries one per secret (new first, then old) and a receiver accepts any that matches.
//! * Per-subscription secrets are never stored: [`derive`] recomputes one from a worker secret
//!   and a stored random nonce, and [`Secret::fingerprint`] identifies it without revealing it.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::Mac;
use sha2::Sha256;

use crate::session::{ct_eq, hmac, sha256_hex};

/// Prefix of the textual form of a secret.
pub const SECRET_PREFIX: &str = "whsec_";
/// Fewest key bytes a secret may have.
pub const MIN_SECRET_BYTES: usize = 24;
/// Most key bytes a secret may have.
pub const MAX_SECRET_BYTES: usize = 64;
/// Timestamp tolerance the Standard Webhooks libraries use by default: five minutes.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;
/// Domain separation for [`derive`]: the label and a NUL, then the nonce.
const DERIVE_LABEL: &[u8] = b"axissynapse/webhook-secret/v1\0";
/// Version tag of the only signature scheme (symmetric HMAC-SHA256).
const V1: &str = "v1,";

/// A webhook signing key. `Debug` never prints the key bytes.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

/// Why [`Secret::parse`] refused a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretError {
    /// The text does not start with `whsec_`.
    MissingPrefix,
    /// The part after the prefix is not padded standard base64.
    BadBase64,
    /// The key has fewer than 24 or more than 64 bytes.
    BadLength { len: usize },
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingPrefix => write!(f, "webhook secret must start with {SECRET_PREFIX:?}"),
            Self::BadBase64 => f.write_str("webhook secret is not valid standard base64 after the prefix"),
            Self::BadLength { len } => write!(
                f,
                "webhook secret decodes to {len} bytes; {MIN_SECRET_BYTES} to {MAX_SECRET_BYTES} bytes are required"
            ),
        }
    }
}

impl std::error::Error for SecretError {}

/// Why [`verify`] refused a signature header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifyError {
    /// The header holds no `v1,` signature.
    NoSignature,
    /// No `v1,` signature in the header matches the content.
    Mismatch,
    /// The signed timestamp is further from now than the tolerance allows (replay protection).
    TimestampOutOfTolerance { timestamp: i64, now: i64 },
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoSignature => f.write_str("the signature header holds no v1 signature"),
            Self::Mismatch => f.write_str("no signature matches the message"),
            Self::TimestampOutOfTolerance { timestamp, now } => {
                write!(f, "message timestamp {timestamp} is too far from the current time {now}")
            }
        }
    }
}

impl std::error::Error for VerifyError {}

impl Secret {
    /// Reads `whsec_<standard base64>` holding 24 to 64 key bytes.
    pub fn parse(text: &str) -> Result<Secret, SecretError> {
        let encoded = text.strip_prefix(SECRET_PREFIX).ok_or(SecretError::MissingPrefix)?;
        // 64 bytes take 88 base64 characters; anything much longer is refused before decoding.
        if encoded.len() > MAX_SECRET_BYTES.div_ceil(3) * 4 {
            return Err(SecretError::BadLength { len: encoded.len() / 4 * 3 });
        }
        let key = STANDARD.decode(encoded).map_err(|_| SecretError::BadBase64)?;
        if !(MIN_SECRET_BYTES..=MAX_SECRET_BYTES).contains(&key.len()) {
            return Err(SecretError::BadLength { len: key.len() });
        }
        Ok(Secret(key))
    }

    /// The textual form: `whsec_` + padded standard base64 of the key bytes.
    pub fn encode(&self) -> String {
        format!("{SECRET_PREFIX}{}", STANDARD.encode(&self.0))
    }

    /// Lowercase hex SHA-256 of the key bytes: names a secret without revealing it.
    pub fn fingerprint(&self) -> String {
        sha256_hex(&self.0)
    }
}

/// The 32-byte secret of a subscription: HMAC-SHA256 keyed with the worker's `master` secret
/// over [`DERIVE_LABEL`] and the subscription's stored random `nonce`.
pub fn derive(master: &[u8], nonce: &[u8]) -> Secret {
    let mut mac = hmac::<Sha256>(master);
    mac.update(DERIVE_LABEL);
    mac.update(nonce);
    Secret(mac.finalize().into_bytes().to_vec())
}

/// The `v1,<base64 MAC>` signature of one message under one secret.
pub fn sign(secret: &Secret, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
    format!("{V1}{}", STANDARD.encode(tag(secret, msg_id, timestamp_secs, body)))
}

/// The `webhook-signature` header value: one signature per secret, space-separated, in the
/// given order (during a rotation: the new secret, then the old one).
pub fn signature_header(secrets: &[&Secret], msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
    let signatures: Vec<String> = secrets.iter().map(|s| sign(s, msg_id, timestamp_secs, body)).collect();
    signatures.join(" ")
}

/// Checks a `webhook-signature` header as a receiver does: the timestamp must lie within
/// `tolerance_secs` of `now_secs`, and any one `v1,` signature must match. MACs are compared
/// in constant time; signatures of other versions are ignored.
pub fn verify(
    secret: &Secret,
    msg_id: &str,
    timestamp_secs: i64,
    body: &[u8],
    header: &str,
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    if timestamp_secs.abs_diff(now_secs) > tolerance_secs.unsigned_abs() {
        return Err(VerifyError::TimestampOutOfTolerance { timestamp: timestamp_secs, now: now_secs });
    }
    let expected = tag(secret, msg_id, timestamp_secs, body);
    let mut candidates = header.split(' ').filter_map(|s| s.strip_prefix(V1)).peekable();
    if candidates.peek().is_none() {
        return Err(VerifyError::NoSignature);
    }
    // Every candidate is decoded and compared, so timing does not reveal which one matched.
    let matched = candidates.fold(false, |found, c| STANDARD.decode(c).is_ok_and(|m| ct_eq(&m, &expected)) | found);
    if matched {
        Ok(())
    } else {
        Err(VerifyError::Mismatch)
    }
}

/// HMAC-SHA256 of `{msg_id}.{timestamp}.{body}` under the secret's key bytes.
fn tag(secret: &Secret, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> Vec<u8> {
    let mut mac = hmac::<Sha256>(&secret.0);
    mac.update(msg_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp_secs.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const VECTOR_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const VECTOR_TS: i64 = 1_614_265_330;
    const VECTOR_BODY: &[u8] = br#"{"test": 2432232314}"#;
    const VECTOR_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    fn vector_secret() -> Secret {
        Secret::parse(VECTOR_SECRET).unwrap()
    }

    #[test]
    fn standard_webhooks_known_answer_vector() {
        assert_eq!(sign(&vector_secret(), VECTOR_ID, VECTOR_TS, VECTOR_BODY), VECTOR_SIGNATURE);
    }

    #[test]
    fn verify_accepts_the_known_answer_vector() {
        let s = vector_secret();
        assert_eq!(verify(&s, VECTOR_ID, VECTOR_TS, VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_TS + 10, 300), Ok(()));
    }

    #[test]
    fn verify_rejects_tampered_body() {
        let s = vector_secret();
        let tampered = br#"{"test": 2432232315}"#;
        let result = verify(&s, VECTOR_ID, VECTOR_TS, tampered, VECTOR_SIGNATURE, VECTOR_TS, 300);
        assert_eq!(result, Err(VerifyError::Mismatch));
    }

    #[test]
    fn verify_rejects_timestamp_outside_tolerance_both_ways() {
        let s = vector_secret();
        for now in [VECTOR_TS + 301, VECTOR_TS - 301] {
            let result = verify(&s, VECTOR_ID, VECTOR_TS, VECTOR_BODY, VECTOR_SIGNATURE, now, 300);
            assert_eq!(result, Err(VerifyError::TimestampOutOfTolerance { timestamp: VECTOR_TS, now }));
        }
        let edge = verify(&s, VECTOR_ID, VECTOR_TS, VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_TS - 300, 300);
        assert_eq!(edge, Ok(()));
    }

    #[test]
    fn verify_without_v1_signature_is_no_signature() {
        let s = vector_secret();
        for header in ["", "v2,abc", "  "] {
            let result = verify(&s, VECTOR_ID, VECTOR_TS, VECTOR_BODY, header, VECTOR_TS, 300);
            assert_eq!(result, Err(VerifyError::NoSignature), "{header:?}");
        }
    }

    #[test]
    fn verify_ignores_garbage_and_other_versions_next_to_a_match() {
        let s = vector_secret();
        let header = format!("v1,!!notbase64 v2,xyz {VECTOR_SIGNATURE}");
        assert_eq!(verify(&s, VECTOR_ID, VECTOR_TS, VECTOR_BODY, &header, VECTOR_TS, 300), Ok(()));
    }

    #[test]
    fn rotation_header_holds_new_then_old_and_each_verifies() {
        let (new, old) = (derive(b"master", b"nonce-2"), derive(b"master", b"nonce-1"));
        let header = signature_header(&[&new, &old], VECTOR_ID, VECTOR_TS, VECTOR_BODY);
        let expected = format!(
            "{} {}",
            sign(&new, VECTOR_ID, VECTOR_TS, VECTOR_BODY),
            sign(&old, VECTOR_ID, VECTOR_TS, VECTOR_BODY)
        );
        assert_eq!(header, expected);
        for secret in [&new, &old] {
            assert_eq!(verify(secret, VECTOR_ID, VECTOR_TS, VECTOR_BODY, &header, VECTOR_TS, 300), Ok(()));
        }
        let stranger = derive(b"master", b"nonce-3");
        let result = verify(&stranger, VECTOR_ID, VECTOR_TS, VECTOR_BODY, &header, VECTOR_TS, 300);
        assert_eq!(result, Err(VerifyError::Mismatch));
    }

    #[test]
    fn derive_is_deterministic_and_differs_per_nonce_and_master() {
        let a = derive(b"master", b"nonce-1");
        assert_eq!(a.encode(), derive(b"master", b"nonce-1").encode());
        assert_ne!(a.encode(), derive(b"master", b"nonce-2").encode());
        assert_ne!(a.encode(), derive(b"other", b"nonce-1").encode());
        assert_eq!(a.0.len(), 32);
    }

    #[test]
    fn derived_secret_round_trips_through_encode_and_parse() {
        let a = derive(b"master", b"nonce-1");
        let text = a.encode();
        assert!(text.starts_with("whsec_"));
        let parsed = Secret::parse(&text).unwrap();
        assert_eq!(parsed.0, a.0);
        assert_eq!(parsed.fingerprint(), a.fingerprint());
    }

    #[test]
    fn fingerprint_is_lowercase_hex_sha256_of_the_key() {
        let fp = vector_secret().fingerprint();
        assert_eq!(fp, sha256_hex(&STANDARD.decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap()));
        assert_eq!(fp.len(), 64);
        assert!(fp.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    }

    #[test]
    fn debug_does_not_print_the_key() {
        assert_eq!(format!("{:?}", vector_secret()), "Secret(..)");
    }

    #[test]
    fn parse_refuses_missing_prefix() {
        assert_eq!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(), SecretError::MissingPrefix);
        assert_eq!(Secret::parse("WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap_err(), SecretError::MissingPrefix);
    }

    #[test]
    fn parse_refuses_bad_base64() {
        assert_eq!(Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2La-aSw").unwrap_err(), SecretError::BadBase64);
        assert_eq!(Secret::parse("whsec_ not base64 at all!").unwrap_err(), SecretError::BadBase64);
    }

    #[test]
    fn parse_refuses_too_short_and_too_long() {
        let short = format!("whsec_{}", STANDARD.encode([7u8; 23]));
        assert_eq!(Secret::parse(&short).unwrap_err(), SecretError::BadLength { len: 23 });
        let long = format!("whsec_{}", STANDARD.encode([7u8; 65]));
        assert_eq!(Secret::parse(&long).unwrap_err(), SecretError::BadLength { len: 65 });
        let longest = format!("whsec_{}", STANDARD.encode([7u8; 64]));
        assert!(Secret::parse(&longest).is_ok());
    }

    #[test]
    fn errors_explain_themselves() {
        assert!(SecretError::BadLength { len: 3 }.to_string().contains("24 to 64"));
        let e = VerifyError::TimestampOutOfTolerance { timestamp: 1, now: 999 };
        assert!(e.to_string().contains("999"));
    }
}
