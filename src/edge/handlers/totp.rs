//! Authenticator-app (TOTP, RFC 6238) enrolment with one-time backup codes.
//! The TOTP secret is stored sealed (A256CBC-HS512 under a key derived from AUTH_SECRET),
//! never in plaintext; backup codes are stored as SHA-256.

use serde::Deserialize;
use serde_json::json;

use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::config::auth_secret;
use crate::edge::crypto::random;
use crate::edge::http::{fault, Ctx, Reply};
use crate::edge::queue;
use crate::edge::sessions::SessionsClient;
use crate::edge::store::ledger::Event;
use crate::edge::store::mfa;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::session::jwe;
use crate::stepup::{backup_codes, totp};

/// HKDF label for the key that seals TOTP secrets.
const SEAL_LABEL: &str = "axissynapse.totp-secret";

fn seal_key(cx: &Ctx) -> ApiResult<[u8; 64]> {
    Ok(jwe::derive_key(auth_secret(&cx.env)?.as_bytes(), SEAL_LABEL))
}

pub fn unseal(cx: &Ctx, sealed: &str) -> ApiResult<Vec<u8>> {
    jwe::decrypt(sealed, &seal_key(cx)?).map_err(|e| fault("unseal TOTP secret", e))
}

/// Starts enrolment: a fresh 160-bit secret, shown once as base32 and an otpauth:// URI.
pub async fn enrol(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let db = cx.db()?;
    if mfa::totp(&db, who.workspace_id(), &who.user.id).await?.is_some_and(|t| t.confirmed_at.is_some()) {
        return Err(ApiError::with_reason(ErrorCode::Conflict, "an authenticator app is already enrolled"));
    }
    let secret = random::<20>()?;
    let sealed = jwe::encrypt(&secret, &seal_key(cx)?, random::<16>()?);
    mfa::put_pending_totp(&db, who.workspace_id(), &who.user.id, &sealed, cx.now_ms)?
        .run()
        .await
        .map_err(|e| fault("D1 run", e))?;
    let b32 = totp::base32_encode(&secret);
    Ok(Reply::json(json!({"secret": b32, "otpauthUri": totp::otpauth_uri("AxisSynapse", &who.user.email, &b32)}))
        .status(201))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Confirm {
    code: String,
}

/// Confirms enrolment with a current code; returns the ten backup codes, once.
pub async fn confirm(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: Confirm = cx.json().await?;
    let db = cx.db()?;
    let row = mfa::totp(&db, who.workspace_id(), &who.user.id).await?.filter(|t| t.confirmed_at.is_none());
    let row =
        row.ok_or_else(|| ApiError::with_reason(ErrorCode::NotFound, "no pending authenticator-app enrolment"))?;
    let secret = unseal(cx, &row.secret_sealed)?;
    let now_secs = u64::try_from(cx.now_ms / 1000).unwrap_or(0);
    let step =
        totp::verify(&secret, &body.code, now_secs, 1, None).map_err(|_| ApiError::new(ErrorCode::InvalidMfaCode))?;
    // The enrolment code is spent too: it cannot be replayed for a step-up.
    SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?.use_totp_step(step).await?;
    let codes = backup_codes::generate(&random::<{ backup_codes::RANDOM_LEN }>()?);
    let hashes: Vec<String> = codes.iter().filter_map(|c| backup_codes::hash(c)).collect();
    let mut changes = vec![
        mfa::confirm_totp(&db, who.workspace_id(), &who.user.id, cx.now_ms)?,
        mfa::mark_enrolled(&db, who.workspace_id(), &who.user.id, cx.now_ms)?,
    ];
    changes.extend(mfa::replace_backup_codes(&db, who.workspace_id(), &who.user.id, &hashes)?);
    let event = Event {
        action: Action::TotpEnrolled,
        actor: who.actor(),
        resource_id: Some(who.user.id.clone()),
        data: json!({"backupCodes": codes.len()}),
    };
    let origin = who.origin(cx);
    queue::record(cx, &origin, &[event], changes).await?;
    Ok(Reply::json(json!({"enrolled": true, "backupCodes": codes})))
}
