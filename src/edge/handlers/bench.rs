//! Development-only benchmark: verifies the attestation signature of a W3C WebAuthn L3 §16
//! test vector `n` times through Web Crypto, so `bench/run` can measure the per-verify cost
//! inside the worker (total time for n = N+1 minus n = 1). `import=each` imports the key for
//! every verification (what one request pays); the default imports it once (the verify alone). It also proves that the edge's
//! verifier accepts the same vectors the host tests verify with pure-Rust crypto, and refuses
//! them once tampered. `bench/binding` times round trips to D1 and the rate-limiting binding
//! the same way; `bench/checkpoint` times signing an audit checkpoint. Answers 404 unless ENVIRONMENT is "development".

use serde_json::json;
use sha2::Digest;

use crate::edge::config;
use crate::edge::crypto::{import_verification_key, verify_signature, verify_with};
use crate::edge::http::{fault, Ctx, Reply};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::webauthn::{AttestationObject, SignatureCheck};

/// Most rounds one bench request may ask for, per route: enough for `bench/run`, small enough
/// that one request cannot hold the local runtime for long (20,000 D1 round trips exhausted
/// workerd's file descriptors under contract fuzzing).
const MAX_SIGNATURE_ROUNDS: u32 = 5_000;
const MAX_BINDING_ROUNDS: u32 = 1_000;
const MAX_SAML_ROUNDS: u32 = 500;
const MAX_CHECKPOINT_ROUNDS: u32 = 2_000;

fn vector(alg: &str) -> ApiResult<&'static str> {
    match alg {
        "ES256" => Ok(include_str!("../../../tests/fixtures/webauthn/packed-es256.json")),
        "RS256" => Ok(include_str!("../../../tests/fixtures/webauthn/packed-rs256.json")),
        "EdDSA" => Ok(include_str!("../../../tests/fixtures/webauthn/packed-eddsa.json")),
        _ => Err(ApiError::with_reason(ErrorCode::ValidationError, "alg: ES256, RS256 or EdDSA")),
    }
}

fn hex(field: &str, text: &str) -> ApiResult<Vec<u8>> {
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(|| fault("bench vector", format!("{field} is not hex")))
}

/// The attestation signature check of the vector's registration.
fn check(alg: &str) -> ApiResult<SignatureCheck> {
    let doc: serde_json::Value = serde_json::from_str(vector(alg)?).map_err(|e| fault("bench vector", e))?;
    let reg = &doc["registration"];
    let client_data = hex("clientDataJSON", reg["clientDataJSON"].as_str().unwrap_or_default())?;
    let attestation = hex("attestationObject", reg["attestationObject"].as_str().unwrap_or_default())?;
    let hash: [u8; 32] = sha2::Sha256::digest(&client_data).into();
    let verified = AttestationObject::from_cbor(&attestation)
        .and_then(|a| a.verify(&hash))
        .map_err(|e| fault("bench vector", e))?;
    verified.checks.into_iter().next().ok_or_else(|| fault("bench vector", "no signature to check"))
}

/// `n` of a development-only bench request (404 outside development).
fn rounds(cx: &Ctx, max: u32) -> ApiResult<u32> {
    if config::environment(&cx.env).as_deref() != Some("development") {
        return Err(ApiError::with_reason(ErrorCode::NotFound, "no such route"));
    }
    let rounds: u32 = cx
        .query_param("n")
        .unwrap_or("1")
        .parse()
        .map_err(|_| ApiError::with_reason(ErrorCode::ValidationError, "n: a whole number"))?;
    if !(1..=max).contains(&rounds) {
        return Err(ApiError::with_reason(ErrorCode::ValidationError, format!("n: 1 to {max}")));
    }
    Ok(rounds)
}

/// `n` sequential round trips to a binding, so `bench/run` can attribute request time:
/// `kind=d1` runs `SELECT 1` on D1, `kind=ratelimit` asks the API address window (with a
/// key no request uses).
pub async fn binding(cx: &mut Ctx) -> ApiResult<Reply> {
    let rounds = rounds(cx, MAX_BINDING_ROUNDS)?;
    let kind = cx.query_param("kind").unwrap_or("d1").to_string();
    match kind.as_str() {
        "d1" => {
            let shard = crate::tenancy::Shard(0);
            let db = cx.shard_db(shard).ok_or_else(|| fault("D1 binding", shard.binding()))?;
            for _ in 0..rounds {
                crate::edge::store::probe::round_trip(&db).await?;
            }
        }
        "ratelimit" => {
            let limiter = cx.env.rate_limiter("API_IP_LIMIT").map_err(|e| fault("rate limiter", e))?;
            for i in 0..rounds {
                limiter.limit(format!("bench-{i}")).await.map_err(|e| fault("rate limiter", e))?;
            }
        }
        _ => return Err(ApiError::with_reason(ErrorCode::ValidationError, "kind: d1 or ratelimit")),
    }
    Ok(Reply::json(json!({"kind": kind, "rounds": rounds})))
}

pub async fn signature(cx: &mut Ctx) -> ApiResult<Reply> {
    let rounds = rounds(cx, MAX_SIGNATURE_ROUNDS)?;
    let alg = cx.query_param("alg").unwrap_or("ES256").to_string();
    let check = check(&alg)?;
    let import_each = cx.query_param("import") == Some("each");
    let mut valid = true;
    if import_each {
        for _ in 0..rounds {
            valid &= verify_signature(&check).await?;
        }
    } else {
        let key = import_verification_key(&check.key).await?.ok_or_else(|| fault("bench vector", "key refused"))?;
        for _ in 0..rounds {
            valid &= verify_with(&key, &check).await?;
        }
    }
    let mut tampered = check.clone();
    if let Some(byte) = tampered.message.first_mut() {
        *byte ^= 1;
    }
    let tampered_valid = verify_signature(&tampered).await?;
    Ok(Reply::json(
        json!({"alg": alg, "rounds": rounds, "importEach": import_each, "valid": valid, "tamperedValid": tampered_valid}),
    ))
}

/// The ~10 KB Response the SAML bench verifies (tests/fixtures/saml/bench/make.py) and the
/// certificate of the RSA-2048 key that signed it.
const SAML_RESPONSE: &str = include_str!("../../../tests/fixtures/saml/bench/response-10k.xml");
const SAML_CERT_PEM: &str = include_str!("../../../tests/fixtures/saml/keys/idp-rsa.crt.pem");

/// `n` ACS verifications of that Response as one ACS request does them: bounded DTD-free
/// parse, the structural checks, exclusive c14n and the SHA-256 digest of the signed
/// Assertion, and the RSA-SHA256 check of SignedInfo through Web Crypto (key imported each
/// time). Also answers whether the same Response, tampered, is refused.
pub async fn saml(cx: &mut Ctx) -> ApiResult<Reply> {
    use crate::edge::handlers::saml::{certificate, certificate_key};
    let rounds = rounds(cx, MAX_SAML_ROUNDS)?;
    let key = certificate_key(&certificate(SAML_CERT_PEM)?).ok_or_else(|| fault("bench cert", "no key"))?;
    let mut valid = true;
    for _ in 0..rounds {
        valid &= saml_verifies(SAML_RESPONSE, &key).await?;
    }
    let tampered = saml_verifies(&SAML_RESPONSE.replace("engineering-team-007", "engineering-team-700"), &key).await?;
    Ok(Reply::json(json!({"rounds": rounds, "bytes": SAML_RESPONSE.len(), "valid": valid, "tamperedValid": tampered})))
}

async fn saml_verifies(xml: &str, key: &crate::webauthn::CoseKey) -> ApiResult<bool> {
    let Ok(parsed) = crate::saml::response::parse(xml) else { return Ok(false) };
    for (_, check) in &parsed.checks {
        let Some(signature) = check.for_key(key) else { return Ok(false) };
        if !verify_signature(&signature).await? {
            return Ok(false);
        }
    }
    Ok(!parsed.checks.is_empty())
}

/// `n` audit checkpoints signed as the worker signs one (`crypto::sign_ed25519`: import the
/// private JWK, sign, import the public key, verify), with the configured signing key, over a
/// fixed head; nothing is stored. Each signature is verified under the published `x` before
/// it counts (a failure answers 500), as for a real checkpoint.
pub async fn checkpoint(cx: &mut Ctx) -> ApiResult<Reply> {
    use crate::audit::checkpoint::Checkpoint;
    let rounds = rounds(cx, MAX_CHECKPOINT_ROUNDS)?;
    let ring = config::audit_keyring(&cx.env)?;
    let key = ring.signer_at(cx.now_ms).ok_or_else(|| ApiError::new(ErrorCode::AuditSigningNotConfigured))?;
    let checkpoint = Checkpoint {
        workspace_id: "ws_bench".into(),
        seq: 50_000,
        hash: "ab".repeat(32),
        time_ms: cx.now_ms,
        key_id: key.public.kid.clone(),
    };
    for _ in 0..rounds {
        crate::edge::crypto::sign_ed25519(key, &checkpoint.signing_bytes()).await?;
    }
    Ok(Reply::json(json!({"rounds": rounds, "kid": key.public.kid})))
}
