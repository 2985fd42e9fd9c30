//! Randomness and Web Crypto at the edge. PBKDF2 runs through `crypto.subtle` (native code,
//! ~100× faster than PBKDF2 in wasm); `session::password` is the pure reference the host
//! tests and the seed use, and the e2e tests prove the two agree on the same hashes.

use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::edge::http::fault;
use crate::error::ApiResult;

pub fn random<const N: usize>() -> ApiResult<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| fault("getrandom", e))?;
    Ok(buf)
}

/// A new identifier: `prefix` + 20 hex characters (80 random bits).
pub fn new_id(prefix: &str) -> ApiResult<String> {
    let bytes = random::<10>()?;
    Ok(format!("{prefix}{}", hex(&bytes)))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn subtle() -> ApiResult<web_sys::SubtleCrypto> {
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    Ok(global.crypto().map_err(|e| fault("crypto", format!("{e:?}")))?.subtle())
}

fn set(obj: &Object, key: &str, value: &JsValue) -> ApiResult<()> {
    Reflect::set(obj, &JsValue::from_str(key), value).map_err(|e| fault("Reflect.set", format!("{e:?}")))?;
    Ok(())
}

/// PBKDF2-HMAC-SHA256 through Web Crypto, 32 output bytes.
pub async fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> ApiResult<Vec<u8>> {
    let subtle = subtle()?;
    let js_err = |what: &'static str| move |e: JsValue| fault(what, format!("{e:?}"));
    let usages = js_sys::Array::of1(&JsValue::from_str("deriveBits"));
    let key_promise = subtle
        .import_key_with_str("raw", &Uint8Array::from(password), "PBKDF2", false, &usages)
        .map_err(js_err("importKey"))?;
    let key: web_sys::CryptoKey = JsFuture::from(key_promise).await.map_err(js_err("importKey"))?.unchecked_into();
    let params = Object::new();
    set(&params, "name", &JsValue::from_str("PBKDF2"))?;
    set(&params, "hash", &JsValue::from_str("SHA-256"))?;
    set(&params, "salt", &Uint8Array::from(salt))?;
    set(&params, "iterations", &JsValue::from_f64(f64::from(iterations)))?;
    let bits = subtle.derive_bits_with_object(&params, &key, 256).map_err(js_err("deriveBits"))?;
    let buffer = JsFuture::from(bits).await.map_err(js_err("deriveBits"))?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// A new stored password hash, derived through Web Crypto with a fresh salt.
pub async fn hash_password(password: &str) -> ApiResult<String> {
    let salt = random::<16>()?;
    let derived = pbkdf2_sha256(password.as_bytes(), &salt, crate::session::password::ITERATIONS).await?;
    let hash: [u8; 32] = derived.try_into().map_err(|_| fault("deriveBits", "wrong length"))?;
    Ok(crate::session::password::encode(&salt, &hash))
}

fn js_object(value: &serde_json::Value) -> ApiResult<Object> {
    let parsed = js_sys::JSON::parse(&value.to_string()).map_err(|e| fault("JSON.parse", format!("{e:?}")))?;
    Ok(parsed.unchecked_into())
}

/// A public key imported into Web Crypto, with the algorithm object to verify under.
pub struct VerificationKey {
    key: web_sys::CryptoKey,
    algorithm: Object,
}

/// Imports the check's COSE key (as a JWK); `None` if Web Crypto refuses the key.
pub async fn import_verification_key(key: &crate::webauthn::CoseKey) -> ApiResult<Option<VerificationKey>> {
    let subtle = subtle()?;
    let algorithm = js_object(&key.web_crypto_algorithm())?;
    let jwk = js_object(&key.to_jwk())?;
    let usages = js_sys::Array::of1(&JsValue::from_str("verify"));
    let promise = subtle
        .import_key_with_object("jwk", &jwk, &algorithm, false, &usages)
        .map_err(|e| fault("importKey", format!("{e:?}")))?;
    Ok(JsFuture::from(promise).await.ok().map(|k| VerificationKey { key: k.unchecked_into(), algorithm }))
}

/// `crypto.subtle.verify` of one check under an imported key.
pub async fn verify_with(key: &VerificationKey, check: &crate::webauthn::SignatureCheck) -> ApiResult<bool> {
    let js_err = |what: &'static str| move |e: JsValue| fault(what, format!("{e:?}"));
    let signature = Uint8Array::from(check.signature.as_slice());
    let message = Uint8Array::from(check.message.as_slice());
    let result = subtle()?
        .verify_with_object_and_buffer_source_and_buffer_source(&key.algorithm, &key.key, &signature, &message)
        .map_err(js_err("verify"))?;
    Ok(JsFuture::from(result).await.map_err(js_err("verify"))?.as_bool().unwrap_or(false))
}

/// Verifies one signature the WebAuthn core asked for, through Web Crypto (native: tens of
/// µs, against ~800 µs for p256 compiled to wasm). A key Web Crypto refuses cannot verify.
pub async fn verify_signature(check: &crate::webauthn::SignatureCheck) -> ApiResult<bool> {
    match import_verification_key(&check.key).await? {
        Some(key) => verify_with(&key, check).await,
        None => Ok(false),
    }
}

/// Verifies every check; `false` as soon as one fails.
pub async fn verify_all(checks: &[crate::webauthn::SignatureCheck]) -> ApiResult<bool> {
    for check in checks {
        if !verify_signature(check).await? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Signs `message` with an audit signing key through Web Crypto's Ed25519 (RFC 8032), then
/// verifies the signature under the key's published `x` before handing it out: a configured
/// `x` that is not `d`'s public key would otherwise sign checkpoints nobody can verify.
pub async fn sign_ed25519(key: &crate::audit::signing_keys::SigningKey, message: &[u8]) -> ApiResult<[u8; 64]> {
    let subtle = subtle()?;
    let js_err = |what: &'static str| move |e: JsValue| fault(what, format!("{e:?}"));
    let jwk = js_object(&key.private_jwk())?;
    let usages = js_sys::Array::of1(&JsValue::from_str("sign"));
    let promise = subtle.import_key_with_str("jwk", &jwk, "Ed25519", false, &usages).map_err(js_err("importKey"))?;
    let private: web_sys::CryptoKey = JsFuture::from(promise).await.map_err(js_err("importKey"))?.unchecked_into();
    let data = Uint8Array::from(message);
    let promise = subtle.sign_with_str_and_buffer_source("Ed25519", &private, &data).map_err(js_err("sign"))?;
    let signature = Uint8Array::new(&JsFuture::from(promise).await.map_err(js_err("sign"))?).to_vec();
    let signature: [u8; 64] = signature.try_into().map_err(|_| fault("sign", "Ed25519 signature is not 64 bytes"))?;

    let usages = js_sys::Array::of1(&JsValue::from_str("verify"));
    let promise = subtle
        .import_key_with_str("raw", &Uint8Array::from(key.public.x.as_slice()), "Ed25519", false, &usages)
        .map_err(js_err("importKey"))?;
    let public: web_sys::CryptoKey = JsFuture::from(promise).await.map_err(js_err("importKey"))?.unchecked_into();
    let promise = subtle
        .verify_with_str_and_buffer_source_and_buffer_source(
            "Ed25519",
            &public,
            &Uint8Array::from(signature.as_slice()),
            &data,
        )
        .map_err(js_err("verify"))?;
    match JsFuture::from(promise).await.map_err(js_err("verify"))?.as_bool() {
        Some(true) => Ok(signature),
        _ => Err(fault("AUDIT_SIGNING_KEY", format!("key {:?}: `x` is not the public key of `d`", key.public.kid))),
    }
}
