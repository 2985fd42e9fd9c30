//! The Auth.js v5 session cookie (`authjs.session-token`, `__Secure-authjs.session-token` on
//! https), read and written the way `@auth/core` 0.41 (`jwt.ts`, over `jose` 6) does:
//!
//! * a compact JWE (RFC 7516 §7.1) with protected header, in this member order,
//!   `{"alg":"dir","enc":"A256CBC-HS512","kid":<thumbprint>}` and an empty encrypted key;
//! * key = HKDF-SHA256 (RFC 5869 §2) of the `AUTH_SECRET` string's bytes, salt = cookie name,
//!   info = `Auth.js Generated Encryption Key (<cookie name>)`, 64 bytes;
//! * `kid` = RFC 7638 JWK thumbprint of `{"k":<key b64url>,"kty":"oct"}` with SHA-512;
//! * content encryption AES_256_CBC_HMAC_SHA_512 (RFC 7518 §5.2.2, §5.2.5);
//! * claims: the session fields plus `iat`, `exp` (iat + 30 days) and `jti` (a UUID),
//!   `exp` accepted until `exp <= now - 15` (jose `clockTolerance: 15`).
//!
//! Deliberate narrowing: `decode` in Auth.js also accepts `enc: "A256GCM"`, which its own
//! `encode` never emits; this module refuses it. A header without `kid` is accepted, as in
//! Auth.js; a `kid` that is not this key's thumbprint is refused before any MAC work.
//! Tokens over 4096 bytes are refused. Auth.js splits a value longer than 3936 characters
//! (4096 minus 160 for the cookie attributes) into cookies `<name>.0`, `<name>.1`…, which the
//! caller must join before calling [`decrypt`]; the claims kept here stay far below that.

use std::fmt;

use aes::Aes256;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use cbc::cipher::{block_padding::Pkcs7, BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use hmac::Mac;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use crate::tenancy::Shard;

/// Session cookie name on http.
pub const COOKIE_NAME: &str = "authjs.session-token";
/// Session cookie name on https.
pub const SECURE_COOKIE_NAME: &str = "__Secure-authjs.session-token";
/// Longest token accepted (one cookie's worth; Auth.js chunks beyond this).
pub const MAX_TOKEN_LEN: usize = 4096;
/// Seconds past `exp` during which a token is still accepted (Auth.js `clockTolerance`).
pub const CLOCK_TOLERANCE_SECS: i64 = 15;

const ALG: &str = "dir";
const ENC: &str = "A256CBC-HS512";

/// The claims AxisSynapse keeps in the session cookie. Unknown members (Auth.js adds e.g.
/// `picture`) are ignored on decode.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct SessionClaims {
    /// User id.
    pub sub: String,
    pub email: String,
    pub name: Option<String>,
    /// Workspace id.
    pub wid: String,
    /// The workspace's shard (`crate::tenancy`): where the user row lives. Cookies sealed by
    /// the dashboard may leave it out; the edge then asks the directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shd: Option<Shard>,
    /// Session id.
    pub sid: String,
    pub role: String,
    /// Issued at, seconds since the epoch.
    pub iat: i64,
    /// Expiry, seconds since the epoch.
    pub exp: i64,
    /// Token id (Auth.js uses `crypto.randomUUID()`).
    pub jti: String,
}

/// Which check a token failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JweError {
    TooLong { len: usize },
    PartCount { found: usize },
    Base64 { part: &'static str },
    Header(String),
    UnsupportedHeader { alg: String, enc: String },
    EncryptedKeyPresent,
    KidMismatch,
    IvLength(usize),
    TagLength(usize),
    CiphertextLength(usize),
    BadTag,
    BadPadding,
    Claims(String),
    Expired { exp: i64, now: i64 },
}

impl fmt::Display for JweError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { len } => write!(f, "token is {len} bytes, over {MAX_TOKEN_LEN}"),
            Self::PartCount { found } => write!(f, "token has {found} parts, expected 5"),
            Self::Base64 { part } => write!(f, "{part} is not unpadded base64url"),
            Self::Header(why) => write!(f, "protected header is invalid: {why}"),
            Self::UnsupportedHeader { alg, enc } => {
                write!(f, "unsupported alg `{alg}` / enc `{enc}`")
            }
            Self::EncryptedKeyPresent => f.write_str("encrypted key must be empty for alg dir"),
            Self::KidMismatch => f.write_str("kid does not match the derived key"),
            Self::IvLength(n) => write!(f, "IV is {n} bytes, expected 16"),
            Self::TagLength(n) => write!(f, "tag is {n} bytes, expected 32"),
            Self::CiphertextLength(n) => {
                write!(f, "ciphertext is {n} bytes, not a positive multiple of 16")
            }
            Self::BadTag => f.write_str("authentication tag does not match"),
            Self::BadPadding => f.write_str("PKCS#7 padding is invalid"),
            Self::Claims(why) => write!(f, "claims are invalid: {why}"),
            Self::Expired { exp, now } => write!(f, "token expired at {exp}, now {now}"),
        }
    }
}

impl std::error::Error for JweError {}

/// Protected header as Auth.js writes it; any other member is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    #[serde(default)]
    alg: String,
    #[serde(default)]
    enc: String,
    kid: Option<String>,
}

/// The 64-byte A256CBC-HS512 key Auth.js derives for `cookie_name` (the JWT `salt`).
pub fn derive_key(secret: &[u8], cookie_name: &str) -> [u8; 64] {
    let info = format!("Auth.js Generated Encryption Key ({cookie_name})");
    let mut key = [0u8; 64];
    hkdf_expand(&hkdf_extract(cookie_name.as_bytes(), secret), info.as_bytes(), &mut key);
    key
}

/// RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM).
fn hkdf_extract(salt: &[u8], ikm: &[u8]) -> [u8; 32] {
    let mut mac = super::hmac::<Sha256>(salt);
    mac.update(ikm);
    mac.finalize().into_bytes().into()
}

/// RFC 5869 §2.3: T(i) = HMAC-Hash(PRK, T(i-1) | info | i). Fills at most 255 blocks.
fn hkdf_expand(prk: &[u8; 32], info: &[u8], okm: &mut [u8]) {
    let prf = super::hmac::<Sha256>(prk);
    let mut previous: Vec<u8> = Vec::new();
    for (chunk, counter) in okm.chunks_mut(32).zip(1u8..=255) {
        let mut mac = prf.clone();
        mac.update(&previous);
        mac.update(info);
        mac.update(&[counter]);
        previous = mac.finalize().into_bytes().to_vec();
        chunk.iter_mut().zip(&previous).for_each(|(dst, src)| *dst = *src);
    }
}

/// RFC 7638 thumbprint of the key as an `oct` JWK, SHA-512 (jose `calculateJwkThumbprint`).
fn thumbprint(key: &[u8; 64]) -> String {
    let jwk = format!(r#"{{"k":"{}","kty":"oct"}}"#, URL_SAFE_NO_PAD.encode(key));
    URL_SAFE_NO_PAD.encode(Sha512::digest(jwk.as_bytes()))
}

fn protected_header(key: &[u8; 64]) -> String {
    let json = format!(r#"{{"alg":"{ALG}","enc":"{ENC}","kid":"{}"}}"#, thumbprint(key));
    URL_SAFE_NO_PAD.encode(json)
}

/// RFC 7518 §5.2.2.1: MAC_KEY = first 32 bytes, ENC_KEY = last 32 bytes.
fn split_key(key: &[u8; 64]) -> ([u8; 32], [u8; 32]) {
    let (mut mac_key, mut enc_key) = ([0u8; 32], [0u8; 32]);
    mac_key.iter_mut().chain(enc_key.iter_mut()).zip(key).for_each(|(dst, src)| *dst = *src);
    (mac_key, enc_key)
}

/// RFC 7518 §5.2.2.1 steps 5–6: first 32 bytes of HMAC-SHA-512(MAC_KEY, A || IV || E || AL).
fn cbc_hs512_tag(mac_key: &[u8; 32], aad: &[u8], iv: &[u8; 16], ciphertext: &[u8]) -> [u8; 32] {
    let mut mac = super::hmac::<Sha512>(mac_key);
    mac.update(aad);
    mac.update(iv);
    mac.update(ciphertext);
    mac.update(&(aad.len() as u64).saturating_mul(8).to_be_bytes());
    let mut tag = [0u8; 32];
    tag.iter_mut().zip(mac.finalize().into_bytes()).for_each(|(dst, src)| *dst = src);
    tag
}

/// RFC 7518 §5.2.2.1: AES-256-CBC with PKCS#7 padding, then the tag.
fn cbc_hs512_seal(key: &[u8; 64], iv: &[u8; 16], aad: &[u8], plaintext: &[u8]) -> (Vec<u8>, [u8; 32]) {
    let (mac_key, enc_key) = split_key(key);
    let ciphertext =
        cbc::Encryptor::<Aes256>::new(&enc_key.into(), &(*iv).into()).encrypt_padded_vec::<Pkcs7>(plaintext);
    let tag = cbc_hs512_tag(&mac_key, aad, iv, &ciphertext);
    (ciphertext, tag)
}

/// RFC 7518 §5.2.2.2: tag compared in constant time first, only then decrypt and unpad.
fn cbc_hs512_open(
    key: &[u8; 64],
    iv: &[u8; 16],
    aad: &[u8],
    ciphertext: &[u8],
    tag: &[u8; 32],
) -> Result<Vec<u8>, JweError> {
    if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(16) {
        return Err(JweError::CiphertextLength(ciphertext.len()));
    }
    let (mac_key, enc_key) = split_key(key);
    if !super::ct_eq(&cbc_hs512_tag(&mac_key, aad, iv, ciphertext), tag) {
        return Err(JweError::BadTag);
    }
    cbc::Decryptor::<Aes256>::new(&enc_key.into(), &(*iv).into())
        .decrypt_padded_vec::<Pkcs7>(ciphertext)
        .map_err(|_| JweError::BadPadding)
}

/// Compact JWE of `plaintext` under `key`, header exactly as Auth.js writes it.
/// `iv` must be 16 fresh random bytes.
pub fn encrypt(plaintext: &[u8], key: &[u8; 64], iv: [u8; 16]) -> String {
    let protected = protected_header(key);
    let (ciphertext, tag) = cbc_hs512_seal(key, &iv, protected.as_bytes(), plaintext);
    format!(
        "{protected}..{}.{}.{}",
        URL_SAFE_NO_PAD.encode(iv),
        URL_SAFE_NO_PAD.encode(ciphertext),
        URL_SAFE_NO_PAD.encode(tag)
    )
}

/// Checks and decrypts a compact JWE made with [`encrypt`] (or by Auth.js) under `key`.
pub fn decrypt(token: &str, key: &[u8; 64]) -> Result<Vec<u8>, JweError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(JweError::TooLong { len: token.len() });
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [protected, encrypted_key, iv, ciphertext, tag] = parts.as_slice() else {
        return Err(JweError::PartCount { found: parts.len() });
    };
    check_header(protected, key)?;
    if !encrypted_key.is_empty() {
        return Err(JweError::EncryptedKeyPresent);
    }
    let iv = decode_part(iv, "iv")?;
    let iv: [u8; 16] = iv.as_slice().try_into().map_err(|_| JweError::IvLength(iv.len()))?;
    let tag = decode_part(tag, "tag")?;
    let tag: [u8; 32] = tag.as_slice().try_into().map_err(|_| JweError::TagLength(tag.len()))?;
    let ciphertext = decode_part(ciphertext, "ciphertext")?;
    cbc_hs512_open(key, &iv, protected.as_bytes(), &ciphertext, &tag)
}

fn decode_part(part: &str, name: &'static str) -> Result<Vec<u8>, JweError> {
    URL_SAFE_NO_PAD.decode(part).map_err(|_| JweError::Base64 { part: name })
}

/// alg must be `dir`, enc `A256CBC-HS512`, and a `kid`, if present, this key's thumbprint.
fn check_header(protected: &str, key: &[u8; 64]) -> Result<(), JweError> {
    let json = decode_part(protected, "header")?;
    let header: Header = serde_json::from_slice(&json).map_err(|e| JweError::Header(e.to_string()))?;
    if header.alg != ALG || header.enc != ENC {
        return Err(JweError::UnsupportedHeader { alg: header.alg, enc: header.enc });
    }
    match header.kid {
        Some(kid) if kid != thumbprint(key) => Err(JweError::KidMismatch),
        _ => Ok(()),
    }
}

/// Seals `claims` into a session cookie value for `cookie_name`. `iv`: 16 random bytes.
/// Errors only if the claims cannot be serialized, which these field types never cause.
pub fn seal_session(
    claims: &SessionClaims,
    secret: &[u8],
    cookie_name: &str,
    iv: [u8; 16],
) -> Result<String, JweError> {
    let json = serde_json::to_vec(claims).map_err(|e| JweError::Claims(e.to_string()))?;
    Ok(encrypt(&json, &derive_key(secret, cookie_name), iv))
}

/// Opens a session cookie value and checks `exp` against `now_secs` with Auth.js's
/// 15-second tolerance (expired when `exp <= now - 15`).
pub fn open_session(token: &str, secret: &[u8], cookie_name: &str, now_secs: i64) -> Result<SessionClaims, JweError> {
    let plaintext = decrypt(token, &derive_key(secret, cookie_name))?;
    let claims: SessionClaims = serde_json::from_slice(&plaintext).map_err(|e| JweError::Claims(e.to_string()))?;
    if claims.exp <= now_secs.saturating_sub(CLOCK_TOLERANCE_SECS) {
        return Err(JweError::Expired { exp: claims.exp, now: now_secs });
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    const FIXTURE: &str = include_str!("../../tests/fixtures/authjs/vectors.json");

    fn fixture() -> Value {
        serde_json::from_str(FIXTURE).unwrap()
    }

    fn secret() -> Vec<u8> {
        fixture()["secret"].as_str().unwrap().as_bytes().to_vec()
    }

    /// The fixture vector named `name`: (salt, token, expectedClaims).
    fn vector(name: &str) -> (String, String, Value) {
        let fixture = fixture();
        let v = fixture["vectors"].as_array().unwrap().iter().find(|v| v["name"] == name).unwrap();
        (v["salt"].as_str().unwrap().into(), v["token"].as_str().unwrap().into(), v["expectedClaims"].clone())
    }

    fn unhex(hex: &str) -> Vec<u8> {
        let digits: Vec<u8> = hex.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap()).collect()
    }

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// Replaces part `index` of a compact token.
    fn with_part(token: &str, index: usize, part: &str) -> String {
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[index] = part;
        parts.join(".")
    }

    /// A token under `key` with an arbitrary protected header, tagged correctly.
    fn token_with_header(header_json: &str, key: &[u8; 64], plaintext: &[u8]) -> String {
        let protected = b64(header_json.as_bytes());
        let iv = [7u8; 16];
        let (ct, tag) = cbc_hs512_seal(key, &iv, protected.as_bytes(), plaintext);
        format!("{protected}..{}.{}.{}", b64(&iv), b64(&ct), b64(&tag))
    }

    #[test]
    fn rfc5869_test_case_1() {
        let ikm = [0x0b; 22];
        let salt = unhex("000102030405060708090a0b0c");
        let info = unhex("f0f1f2f3f4f5f6f7f8f9");
        let prk = hkdf_extract(&salt, &ikm);
        assert_eq!(prk.to_vec(), unhex("077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5"));
        let mut okm = [0u8; 42];
        hkdf_expand(&prk, &info, &mut okm);
        assert_eq!(
            okm.to_vec(),
            unhex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        );
    }

    const B3_E: &str = "4a ff aa ad b7 8c 31 c5 da 4b 1b 59 0d 10 ff bd 3d d8 d5 d3 02 42 35 26 91 2d a0 37 ec bc c7 bd
        82 2c 30 1d d6 7c 37 3b cc b5 84 ad 3e 92 79 c2 e6 d1 2a 13 74 b7 7f 07 75 53 df 82 94 10 44 6b
        36 eb d9 70 66 29 6a e6 42 7e a7 5c 2e 08 46 a1 1a 09 cc f5 37 0d c8 0b fe cb ad 28 c7 3f 09 b3
        a3 b7 5e 66 2a 25 94 41 0a e4 96 b2 e2 e6 60 9e 31 e6 e0 2c c8 37 f0 53 d2 1f 37 ff 4f 51 95 0b
        be 26 38 d0 9d d7 a4 93 09 30 80 6d 07 03 b1 f6";
    const B3_T: &str =
        "4d d3 b4 c0 88 a7 f4 5c 21 68 39 64 5b 20 12 bf 2e 62 69 a8 c5 6a 81 6d bc 1b 26 77 61 95 5b c5";
    const B3_P: &[u8] = b"A cipher system must not be required to be secret, and it must be able to fall into the hands of the enemy without inconvenience";
    const B3_A: &[u8] = b"The second principle of Auguste Kerckhoffs";

    fn b3_key_iv() -> ([u8; 64], [u8; 16]) {
        let iv: [u8; 16] = unhex("1af38c2dc2b96ffdd86694092341bc04").try_into().unwrap();
        (std::array::from_fn(|i| i as u8), iv)
    }

    #[test]
    fn rfc7518_b3_aes_256_cbc_hmac_sha_512_seal() {
        let (key, iv) = b3_key_iv();
        let (ct, tag) = cbc_hs512_seal(&key, &iv, B3_A, B3_P);
        assert_eq!(ct, unhex(B3_E));
        assert_eq!(tag.to_vec(), unhex(B3_T));
    }

    #[test]
    fn rfc7518_b3_aes_256_cbc_hmac_sha_512_open_and_tamper() {
        let (key, iv) = b3_key_iv();
        let tag: [u8; 32] = unhex(B3_T).try_into().unwrap();
        assert_eq!(cbc_hs512_open(&key, &iv, B3_A, &unhex(B3_E), &tag).unwrap(), B3_P);
        let mut bad_tag = tag;
        bad_tag[31] ^= 1;
        assert_eq!(cbc_hs512_open(&key, &iv, B3_A, &unhex(B3_E), &bad_tag), Err(JweError::BadTag));
        assert_eq!(cbc_hs512_open(&key, &iv, b"The second principle", &unhex(B3_E), &tag), Err(JweError::BadTag));
    }

    #[test]
    fn authjs_vectors_decrypt_to_exact_claims() {
        for name in ["authjs_http", "authjs_https_secure_prefix", "authjs_http_name_null"] {
            let (salt, token, expected) = vector(name);
            let now = expected["iat"].as_i64().unwrap();
            let claims = open_session(&token, &secret(), &salt, now).unwrap();
            assert_eq!(claims, serde_json::from_value::<SessionClaims>(expected.clone()).unwrap(), "{name}");
            assert_eq!(claims.name.as_deref(), expected["name"].as_str(), "{name}");
            assert!(expected.get("picture").is_some(), "{name}: extra Auth.js claim was tolerated");
            assert_eq!(claims.exp - claims.iat, 30 * 24 * 60 * 60, "{name}: Auth.js default maxAge");
        }
    }

    #[test]
    fn authjs_vectors_header_and_kid_equal_rust_header() {
        for name in ["authjs_http", "authjs_https_secure_prefix"] {
            let (salt, token, _) = vector(name);
            let key = derive_key(&secret(), &salt);
            let ours = encrypt(b"{}", &key, [0; 16]);
            assert_eq!(ours.split('.').next(), token.split('.').next(), "{name}");
        }
    }

    #[test]
    fn authjs_http_vector_tampered_parts_rejected() {
        let (salt, token, _) = vector("authjs_http");
        let key = derive_key(&secret(), &salt);
        let parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        let flip = |part: &str| {
            let mut bytes = URL_SAFE_NO_PAD.decode(part).unwrap();
            bytes[0] ^= 1;
            b64(&bytes)
        };
        assert_eq!(decrypt(&with_part(&token, 4, &flip(&parts[4])), &key), Err(JweError::BadTag));
        assert_eq!(decrypt(&with_part(&token, 3, &flip(&parts[3])), &key), Err(JweError::BadTag));
        assert_eq!(decrypt(&with_part(&token, 2, &flip(&parts[2])), &key), Err(JweError::BadTag));
        let header = r#"{"alg":"dir","enc":"A256CBC-HS512"}"#;
        assert_eq!(decrypt(&with_part(&token, 0, &b64(header.as_bytes())), &key), Err(JweError::BadTag));
    }

    #[test]
    fn authjs_http_vector_alg_none_and_other_algorithms_rejected() {
        let (salt, token, _) = vector("authjs_http");
        let key = derive_key(&secret(), &salt);
        let cases = [
            (r#"{"alg":"none","enc":"A256CBC-HS512"}"#, "none", "A256CBC-HS512"),
            (r#"{"alg":"none"}"#, "none", ""),
            (r#"{"alg":"A256KW","enc":"A256CBC-HS512"}"#, "A256KW", "A256CBC-HS512"),
            (r#"{"alg":"dir","enc":"A128CBC-HS256"}"#, "dir", "A128CBC-HS256"),
        ];
        for (header, alg, enc) in cases {
            let forged = with_part(&token, 0, &b64(header.as_bytes()));
            let expected = JweError::UnsupportedHeader { alg: alg.into(), enc: enc.into() };
            assert_eq!(decrypt(&forged, &key), Err(expected), "{header}");
        }
        let unknown_member = r#"{"alg":"dir","enc":"A256CBC-HS512","zip":"DEF"}"#;
        let forged = with_part(&token, 0, &b64(unknown_member.as_bytes()));
        assert!(matches!(decrypt(&forged, &key), Err(JweError::Header(_))));
    }

    #[test]
    fn a256gcm_vector_accepted_by_authjs_rejected_here() {
        let fixture = fixture();
        let v = &fixture["a256gcm"];
        assert_eq!(v["decodedByAuthjs"]["sub"], "usr_01HZX3Q9M2");
        let result = open_session(v["token"].as_str().unwrap(), &secret(), v["salt"].as_str().unwrap(), 0);
        assert_eq!(result, Err(JweError::UnsupportedHeader { alg: "dir".into(), enc: "A256GCM".into() }));
    }

    #[test]
    fn authjs_http_vector_expired_after_15s_tolerance() {
        let (salt, token, expected) = vector("authjs_http");
        let exp = expected["exp"].as_i64().unwrap();
        assert!(open_session(&token, &secret(), &salt, exp + 14).is_ok());
        assert_eq!(open_session(&token, &secret(), &salt, exp + 15), Err(JweError::Expired { exp, now: exp + 15 }));
    }

    #[test]
    fn authjs_http_vector_wrong_salt_rejected() {
        let (_, token, expected) = vector("authjs_http");
        let now = expected["iat"].as_i64().unwrap();
        assert_eq!(open_session(&token, &secret(), SECURE_COOKIE_NAME, now), Err(JweError::KidMismatch));
        assert_eq!(open_session(&token, b"another secret", COOKIE_NAME, now), Err(JweError::KidMismatch));
        let wrong = derive_key(&secret(), SECURE_COOKIE_NAME);
        let kidless =
            token_with_header(r#"{"alg":"dir","enc":"A256CBC-HS512"}"#, &derive_key(&secret(), COOKIE_NAME), b"{}");
        assert_eq!(decrypt(&kidless, &wrong), Err(JweError::BadTag));
    }

    #[test]
    fn kidless_header_accepted_like_authjs() {
        let key = derive_key(b"s", COOKIE_NAME);
        let token = token_with_header(r#"{"alg":"dir","enc":"A256CBC-HS512"}"#, &key, b"hello");
        assert_eq!(decrypt(&token, &key).unwrap(), b"hello");
    }

    #[test]
    fn authjs_http_vector_structural_checks() {
        let (salt, token, _) = vector("authjs_http");
        let key = derive_key(&secret(), &salt);
        let long = format!("{token}{}", "A".repeat(MAX_TOKEN_LEN));
        assert_eq!(decrypt(&long, &key), Err(JweError::TooLong { len: long.len() }));
        assert_eq!(decrypt(&format!("{token}."), &key), Err(JweError::PartCount { found: 6 }));
        assert_eq!(decrypt(&with_part(&token, 1, "AAAA"), &key), Err(JweError::EncryptedKeyPresent));
        assert_eq!(decrypt(&with_part(&token, 2, "AAAA"), &key), Err(JweError::IvLength(3)));
        assert_eq!(decrypt(&with_part(&token, 4, "AAAA"), &key), Err(JweError::TagLength(3)));
        assert_eq!(decrypt(&with_part(&token, 3, "AAAA"), &key), Err(JweError::CiphertextLength(3)));
        assert_eq!(decrypt(&with_part(&token, 3, "A+A"), &key), Err(JweError::Base64 { part: "ciphertext" }));
        assert_eq!(decrypt(&with_part(&token, 0, "e30="), &key), Err(JweError::Base64 { part: "header" }));
        assert!(matches!(decrypt(&with_part(&token, 0, &b64(b"[1]")), &key), Err(JweError::Header(_))));
        let duplicate = br#"{"alg":"dir","alg":"dir","enc":"A256CBC-HS512"}"#;
        assert!(matches!(decrypt(&with_part(&token, 0, &b64(duplicate)), &key), Err(JweError::Header(_))));
    }

    #[test]
    fn zero_block_with_valid_tag_has_bad_padding() {
        use cbc::cipher::block_padding::NoPadding;
        let key = derive_key(b"s", COOKIE_NAME);
        let (mac_key, enc_key) = split_key(&key);
        let protected = protected_header(&key);
        let iv = [9u8; 16];
        let ct = cbc::Encryptor::<Aes256>::new(&enc_key.into(), &iv.into()).encrypt_padded_vec::<NoPadding>(&[0u8; 16]);
        let tag = cbc_hs512_tag(&mac_key, protected.as_bytes(), &iv, &ct);
        let token = format!("{protected}..{}.{}.{}", b64(&iv), b64(&ct), b64(&tag));
        assert_eq!(decrypt(&token, &key), Err(JweError::BadPadding));
    }

    #[test]
    fn non_object_plaintext_is_a_claims_error() {
        let token = encrypt(b"[1,2,3]", &derive_key(b"s", COOKIE_NAME), [1; 16]);
        assert!(matches!(open_session(&token, b"s", COOKIE_NAME, 0), Err(JweError::Claims(_))));
    }

    fn sample_claims() -> SessionClaims {
        SessionClaims {
            sub: "usr_1".into(),
            email: "a@example.com".into(),
            name: None,
            wid: "wks_1".into(),
            shd: Some(Shard(2)),
            sid: "ses_1".into(),
            role: "member".into(),
            iat: 1_000,
            exp: 2_000,
            jti: "00000000-0000-4000-8000-000000000000".into(),
        }
    }

    #[test]
    fn round_trip_both_cookie_names() {
        for name in [COOKIE_NAME, SECURE_COOKIE_NAME] {
            let token = seal_session(&sample_claims(), b"round trip secret", name, [3; 16]).unwrap();
            assert_eq!(open_session(&token, b"round trip secret", name, 1_500), Ok(sample_claims()));
        }
    }

    /// Token sealed by this module, then decoded by @auth/core `decode` (see the README).
    #[test]
    fn rust_sealed_vector_reproduced_and_decoded_by_authjs() {
        let fixture = fixture();
        let v = &fixture["rustSealed"];
        let claims: SessionClaims = serde_json::from_value(v["claims"].clone()).unwrap();
        let iv: [u8; 16] = unhex(v["ivHex"].as_str().unwrap()).try_into().unwrap();
        let salt = v["salt"].as_str().unwrap();
        let token = seal_session(&claims, &secret(), salt, iv).unwrap();
        assert_eq!(token, v["token"].as_str().unwrap());
        assert_eq!(v["decodedByAuthjs"], v["claims"]);
        assert_eq!(open_session(&token, &secret(), salt, claims.iat), Ok(claims));
    }
}
