//! Ceremony options in the JSON shape of §5.1.8/§5.1.9 (`PublicKeyCredentialCreationOptionsJSON`,
//! `PublicKeyCredentialRequestOptionsJSON`), as accepted by
//! `PublicKeyCredential.parseCreationOptionsFromJSON` / `parseRequestOptionsFromJSON`:
//! binary members are unpadded base64url strings.

use super::cose::{ALG_EDDSA, ALG_ES256, ALG_RS256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

/// Algorithms offered, most preferred first.
const ALGORITHMS: [i64; 3] = [ALG_ES256, ALG_EDDSA, ALG_RS256];

/// Options for `navigator.credentials.create()`: ES256, EdDSA, RS256; a discoverable
/// credential preferred; user verification required; `direct` attestation so policy can
/// see the AAGUID. `exclude` lists (credential ID, transports) already registered.
#[allow(clippy::too_many_arguments)] // one argument per member of the JSON it builds
pub fn creation_options(
    rp_id: &str,
    rp_name: &str,
    user_id: &[u8],
    user_name: &str,
    display_name: &str,
    challenge: &[u8],
    exclude: &[(Vec<u8>, Vec<String>)],
    timeout_ms: u32,
) -> Value {
    json!({
        "rp": {"id": rp_id, "name": rp_name},
        "user": {"id": b64u(user_id), "name": user_name, "displayName": display_name},
        "challenge": b64u(challenge),
        "pubKeyCredParams": ALGORITHMS.iter().map(|alg| json!({"type": "public-key", "alg": alg})).collect::<Vec<_>>(),
        "timeout": timeout_ms,
        "excludeCredentials": descriptors(exclude),
        "authenticatorSelection": {"residentKey": "preferred", "requireResidentKey": false, "userVerification": "required"},
        "attestation": "direct",
    })
}

/// Options for `navigator.credentials.get()`; an empty `allow` asks for a discoverable credential.
pub fn request_options(rp_id: &str, challenge: &[u8], allow: &[(Vec<u8>, Vec<String>)], timeout_ms: u32) -> Value {
    json!({
        "challenge": b64u(challenge),
        "timeout": timeout_ms,
        "rpId": rp_id,
        "allowCredentials": descriptors(allow),
        "userVerification": "required",
    })
}

/// `PublicKeyCredentialDescriptorJSON` list; `transports` only when known.
fn descriptors(credentials: &[(Vec<u8>, Vec<String>)]) -> Vec<Value> {
    credentials
        .iter()
        .map(|(id, transports)| {
            if transports.is_empty() {
                json!({"type": "public-key", "id": b64u(id)})
            } else {
                json!({"type": "public-key", "id": b64u(id), "transports": transports})
            }
        })
        .collect()
}

fn b64u(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creation_options_match_the_json_shape() {
        let exclude = vec![(vec![0xfb, 0xff], vec!["usb".to_string(), "nfc".to_string()]), (vec![1], vec![])];
        let options =
            creation_options("example.org", "Example", b"user-1", "ada", "Ada L.", &[0xff; 4], &exclude, 60_000);
        let expected = json!({
            "rp": {"id": "example.org", "name": "Example"},
            "user": {"id": "dXNlci0x", "name": "ada", "displayName": "Ada L."},
            "challenge": "_____w",
            "pubKeyCredParams": [
                {"type": "public-key", "alg": -7},
                {"type": "public-key", "alg": -8},
                {"type": "public-key", "alg": -257}
            ],
            "timeout": 60000,
            "excludeCredentials": [
                {"type": "public-key", "id": "-_8", "transports": ["usb", "nfc"]},
                {"type": "public-key", "id": "AQ"}
            ],
            "authenticatorSelection": {"residentKey": "preferred", "requireResidentKey": false, "userVerification": "required"},
            "attestation": "direct"
        });
        assert_eq!(options, expected);
    }

    #[test]
    fn request_options_match_the_json_shape() {
        let allow = vec![(vec![0xfb, 0xff], vec!["internal".to_string()])];
        let expected = json!({
            "challenge": "AAE",
            "timeout": 30000,
            "rpId": "example.org",
            "allowCredentials": [{"type": "public-key", "id": "-_8", "transports": ["internal"]}],
            "userVerification": "required"
        });
        assert_eq!(request_options("example.org", &[0, 1], &allow, 30_000), expected);
        assert_eq!(request_options("example.org", &[0, 1], &[], 30_000)["allowCredentials"], json!([]));
    }
}
