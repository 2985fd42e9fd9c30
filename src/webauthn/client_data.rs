//! clientDataJSON (§5.8.1 "Client Data Used in WebAuthn Signatures"), checked as §7.1 and
//! §7.2 require: `type`, `challenge` (constant-time), `origin` (exact match), no cross-origin
//! use; its SHA-256 is the clientDataHash every signature covers.

use super::{sha256, WebauthnError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;

/// Largest clientDataJSON accepted.
pub const MAX_CLIENT_DATA_JSON: usize = 4 * 1024;

/// Which ceremony the client data must belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyType {
    /// `webauthn.create`
    Create,
    /// `webauthn.get`
    Get,
}

impl CeremonyType {
    /// The `type` member this ceremony requires.
    pub fn as_str(self) -> &'static str {
        match self {
            CeremonyType::Create => "webauthn.create",
            CeremonyType::Get => "webauthn.get",
        }
    }
}

/// The members of CollectedClientData this relying party reads; others are ignored.
#[derive(Deserialize)]
struct CollectedClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(rename = "crossOrigin", default)]
    cross_origin: bool,
    #[serde(rename = "topOrigin")]
    top_origin: Option<String>,
}

/// Checks clientDataJSON and returns its SHA-256 (the clientDataHash).
pub fn verify_client_data(
    json: &[u8],
    ceremony: CeremonyType,
    expected_challenge: &[u8],
    allowed_origins: &[&str],
) -> Result<[u8; 32], WebauthnError> {
    if json.len() > MAX_CLIENT_DATA_JSON {
        return Err(WebauthnError::TooLarge {
            what: "clientDataJSON",
            limit: MAX_CLIENT_DATA_JSON,
            actual: json.len(),
        });
    }
    let data: CollectedClientData =
        serde_json::from_slice(json).map_err(|e| WebauthnError::ClientDataJson(e.to_string()))?;
    if data.kind != ceremony.as_str() {
        return Err(WebauthnError::ClientDataType { expected: ceremony.as_str(), actual: data.kind });
    }
    let challenge = URL_SAFE_NO_PAD.decode(&data.challenge).map_err(|_| WebauthnError::ChallengeEncoding)?;
    if !constant_time_eq(&challenge, expected_challenge) {
        return Err(WebauthnError::ChallengeMismatch);
    }
    if !allowed_origins.contains(&data.origin.as_str()) {
        let expected = allowed_origins.iter().map(ToString::to_string).collect();
        return Err(WebauthnError::OriginMismatch { expected, actual: data.origin });
    }
    if data.cross_origin || data.top_origin.is_some() {
        return Err(WebauthnError::CrossOrigin { top_origin: data.top_origin });
    }
    Ok(sha256(json))
}

/// Compares without an early exit on the first differing byte (lengths are not secret).
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webauthn::testutil::Vector;

    const ORIGINS: &[&str] = &["https://example.org"];

    fn client_data(kind: &str, challenge: &str, extra: &str) -> Vec<u8> {
        format!(r#"{{"type":"{kind}","challenge":"{challenge}","origin":"https://example.org"{extra}}}"#).into_bytes()
    }

    #[test]
    fn none_es256_registration_client_data_hashes_the_raw_bytes() {
        let v = Vector::load("none-es256");
        let json = v.reg("clientDataJSON");
        let hash = verify_client_data(&json, CeremonyType::Create, &v.reg("challenge"), ORIGINS).unwrap();
        assert_eq!(hash, sha256(&json));
    }

    #[test]
    fn wrong_type_challenge_and_origin_are_each_named() {
        let v = Vector::load("none-es256");
        let (json, challenge) = (v.reg("clientDataJSON"), v.reg("challenge"));
        assert_eq!(
            verify_client_data(&json, CeremonyType::Get, &challenge, ORIGINS),
            Err(WebauthnError::ClientDataType { expected: "webauthn.get", actual: "webauthn.create".into() })
        );
        let mut tampered = challenge.clone();
        tampered[0] ^= 1;
        assert_eq!(
            verify_client_data(&json, CeremonyType::Create, &tampered, ORIGINS),
            Err(WebauthnError::ChallengeMismatch)
        );
        assert_eq!(
            verify_client_data(&json, CeremonyType::Create, &challenge[1..], ORIGINS),
            Err(WebauthnError::ChallengeMismatch)
        );
        assert_eq!(
            verify_client_data(&json, CeremonyType::Create, &challenge, &["https://example.org:8443"]),
            Err(WebauthnError::OriginMismatch {
                expected: vec!["https://example.org:8443".into()],
                actual: "https://example.org".into()
            })
        );
    }

    #[test]
    fn challenge_must_be_unpadded_base64url() {
        for bad in ["AAE=", "AA+/", "A"] {
            let json = client_data("webauthn.get", bad, "");
            assert_eq!(
                verify_client_data(&json, CeremonyType::Get, &[0, 1], ORIGINS),
                Err(WebauthnError::ChallengeEncoding),
                "{bad}"
            );
        }
    }

    #[test]
    fn cross_origin_and_top_origin_are_refused() {
        let cross = client_data("webauthn.get", "AAE", r#","crossOrigin":true"#);
        assert_eq!(
            verify_client_data(&cross, CeremonyType::Get, &[0, 1], ORIGINS),
            Err(WebauthnError::CrossOrigin { top_origin: None })
        );
        let top = client_data("webauthn.get", "AAE", r#","topOrigin":"https://evil.example""#);
        let expected = Err(WebauthnError::CrossOrigin { top_origin: Some("https://evil.example".into()) });
        assert_eq!(verify_client_data(&top, CeremonyType::Get, &[0, 1], ORIGINS), expected);
        let same = client_data("webauthn.get", "AAE", r#","crossOrigin":false,"other":[1,{"a":2}]"#);
        assert!(verify_client_data(&same, CeremonyType::Get, &[0, 1], ORIGINS).is_ok());
    }

    #[test]
    fn malformed_duplicate_or_oversized_json_is_refused() {
        for bad in [&b"{"[..], b"[]", b"{\"type\":1}", b"\xff"] {
            assert!(matches!(
                verify_client_data(bad, CeremonyType::Get, &[], ORIGINS),
                Err(WebauthnError::ClientDataJson(_))
            ));
        }
        let duplicate = client_data("webauthn.get", "AAE", r#","origin":"https://evil.example""#);
        assert!(matches!(
            verify_client_data(&duplicate, CeremonyType::Get, &[0, 1], ORIGINS),
            Err(WebauthnError::ClientDataJson(_))
        ));
        let big = client_data("webauthn.get", "AAE", &format!(r#","pad":"{}""#, "x".repeat(MAX_CLIENT_DATA_JSON)));
        assert!(matches!(
            verify_client_data(&big, CeremonyType::Get, &[0, 1], ORIGINS),
            Err(WebauthnError::TooLarge { .. })
        ));
    }
}
