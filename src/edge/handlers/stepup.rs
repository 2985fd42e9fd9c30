//! Step-up authentication: ceremony options, verification (passkey, authenticator app or
//! backup code) into a single-use token bound to (user, session, purpose), token status, and
//! `require`, the guard every protected action calls before doing anything.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::crypto::{random, verify_signature};
use crate::edge::db::Db;
use crate::edge::handlers::passkeys::{b64u_decode, verification_failed, RelyingParty, CHALLENGE_TTL_MS};
use crate::edge::handlers::totp::unseal;
use crate::edge::http::{Ctx, Reply};
use crate::edge::queue;
use crate::edge::sessions::SessionsClient;
use crate::edge::store::credentials::{self, CredentialRow};
use crate::edge::store::ledger::{Actor, Event};
use crate::edge::store::mfa;
use crate::edge::store::users::UserRow;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::stepup::token::{self as stepup_token, StepUpRecord, StepUpRefusal};
use crate::stepup::{backup_codes, totp, Factor, Purpose};
use crate::webauthn::{self, AssertionInput, CoseKey, StoredCredential};

/// The request header that carries a step-up token to a protected action.
pub const HEADER: &str = "x-step-up-token";

fn purpose(code: &str) -> ApiResult<Purpose> {
    Purpose::parse(code).ok_or_else(|| {
        ApiError::with_reason(
            ErrorCode::UnknownPurpose,
            format!("unknown purpose {:?}", code.chars().take(64).collect::<String>()),
        )
    })
}

fn event(who: &Principal, action: Action, data: Value) -> Event {
    Event { action, actor: who.actor(), resource_id: Some(who.user.id.clone()), data }
}

/// What the user has enrolled.
pub struct Inventory {
    passkeys: Vec<CredentialRow>,
    totp: bool,
    backup_codes: Vec<String>,
}

pub async fn inventory(db: &Db, user: &UserRow) -> ApiResult<Inventory> {
    let (ws, user) = (user.workspace_id.as_str(), user.id.as_str());
    Ok(Inventory {
        passkeys: credentials::list(db, ws, user).await?,
        totp: mfa::totp(db, ws, user).await?.is_some_and(|t| t.confirmed_at.is_some()),
        backup_codes: mfa::unused_backup_codes(db, ws, user).await?,
    })
}

impl Inventory {
    /// The user's passkeys as WebAuthn allowCredentials descriptors.
    pub fn allow_list(&self) -> ApiResult<Vec<(Vec<u8>, Vec<String>)>> {
        self.passkeys.iter().map(|c| Ok((b64u_decode("id", &c.id)?, c.transports()))).collect()
    }

    pub fn has(&self, factor: Factor) -> bool {
        match factor {
            Factor::Webauthn => !self.passkeys.is_empty(),
            Factor::Totp => self.totp,
            Factor::BackupCode => !self.backup_codes.is_empty(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OptionsBody {
    purpose: String,
}

pub async fn challenge_options(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: OptionsBody = cx.json().await?;
    let purpose = purpose(&body.purpose)?;
    let db = cx.db()?;
    let inv = inventory(&db, &who.user).await?;
    let usable: Vec<Factor> = purpose.factors().into_iter().filter(|f| inv.has(*f)).collect();
    if usable.is_empty() {
        let accepts: Vec<&str> = purpose.factors().iter().map(|f| f.code()).collect();
        return Err(ApiError::with_reason(
            ErrorCode::NoFactorAvailable,
            format!("{} accepts {}; enrol one at /portal/security", purpose.code(), accepts.join(", ")),
        ));
    }
    let mut webauthn_options = Value::Null;
    if usable.contains(&Factor::Webauthn) {
        let challenge = random::<32>()?;
        let sessions = SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?;
        sessions
            .put_challenge(
                &format!("stepup:{}", purpose.code()),
                &URL_SAFE_NO_PAD.encode(challenge),
                cx.now_ms + CHALLENGE_TTL_MS,
            )
            .await?;
        webauthn_options =
            webauthn::options::request_options(&RelyingParty::of(cx).id, &challenge, &inv.allow_list()?, 300_000);
    }
    let factors: Vec<&str> = usable.iter().map(|f| f.code()).collect();
    let data = json!({"purpose": purpose.code(), "factors": factors});
    queue::record(cx, &who.origin(cx), &[event(who, Action::StepUpChallenged, data)], vec![]).await?;
    Ok(Reply::json(json!({
        "purpose": purpose.code(),
        "requiresPhishingResistant": purpose.requires_phishing_resistant(),
        "ttlSeconds": purpose.ttl_secs(),
        "factors": factors,
        "publicKey": webauthn_options,
    })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AssertionResponseJson {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    authenticator_data: String,
    signature: String,
}

#[derive(Deserialize)]
pub struct AssertionJson {
    id: String,
    response: AssertionResponseJson,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifyBody {
    purpose: String,
    webauthn: Option<AssertionJson>,
    totp: Option<String>,
    backup_code: Option<String>,
}

/// A proof that passed, with the ledger rows and changes it brings.
pub struct Proof {
    pub factor: Factor,
    pub events: Vec<Event>,
    pub changes: Vec<worker::D1PreparedStatement>,
}

pub async fn verify(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: VerifyBody = cx.json().await?;
    let purpose = purpose(&body.purpose)?;
    let factor = sent_factor(&body.webauthn, &body.totp, &body.backup_code)?;
    let proof = match prove(cx, who, purpose, factor, &body).await {
        Ok(proof) => proof,
        Err(err) if err.code == ErrorCode::RateLimited => return Err(err),
        Err(err) => {
            let data = json!({"purpose": purpose.code(), "factor": factor.code(), "code": err.code.as_str()});
            queue::record(cx, &who.origin(cx), &[event(who, Action::StepUpFailed, data)], vec![]).await?;
            return Err(err);
        }
    };
    let (token, hash) = stepup_token::mint(&random::<32>()?);
    let record = StepUpRecord::issue(hash, &who.user.id, who.session_id(), purpose, proof.factor, cx.now_ms);
    let expires_at = crate::time::format_ms(record.expires_at_ms);
    SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?.issue_step_up(record).await?;
    let mut events = proof.events;
    events.push(event(
        who,
        Action::StepUpVerified,
        json!({"purpose": purpose.code(), "factor": proof.factor.code(), "expiresAt": expires_at}),
    ));
    queue::record(cx, &who.origin(cx), &events, proof.changes).await?;
    Ok(Reply::json(
        json!({"token": token, "purpose": purpose.code(), "factor": proof.factor.code(), "expiresAt": expires_at, "header": HEADER}),
    ))
}

/// Which one factor a body carries.
pub fn sent_factor(
    webauthn: &Option<AssertionJson>,
    totp: &Option<String>,
    backup: &Option<String>,
) -> ApiResult<Factor> {
    match (webauthn, totp, backup) {
        (Some(_), None, None) => Ok(Factor::Webauthn),
        (None, Some(_), None) => Ok(Factor::Totp),
        (None, None, Some(_)) => Ok(Factor::BackupCode),
        _ => Err(ApiError::with_reason(ErrorCode::ValidationError, "send exactly one of webauthn, totp, backupCode")),
    }
}

async fn prove(cx: &Ctx, who: &Principal, purpose: Purpose, factor: Factor, body: &VerifyBody) -> ApiResult<Proof> {
    if !purpose.allows(factor) {
        return Err(ApiError::with_reason(
            ErrorCode::PhishingResistantRequired,
            format!("{} needs a passkey or security key", purpose.code()),
        ));
    }
    let key = format!("stepup:{}", purpose.code());
    prove_factor(cx, &who.user, &who.actor(), &key, (&body.webauthn, &body.totp, &body.backup_code)).await
}

/// Checks whichever one factor was sent, within the factor rate limits (a refusal is
/// `RateLimited`, already audited once per trip). `challenge_key` names the WebAuthn challenge.
pub async fn prove_factor(
    cx: &Ctx,
    user: &UserRow,
    actor: &Actor,
    challenge_key: &str,
    sent: (&Option<AssertionJson>, &Option<String>, &Option<String>),
) -> ApiResult<Proof> {
    crate::edge::limits::factor(cx, user).await?;
    match sent {
        (Some(assertion), None, None) => prove_passkey(cx, user, actor, challenge_key, assertion).await,
        (None, Some(code), None) => prove_totp(cx, user, code).await,
        (None, None, Some(code)) => prove_backup_code(cx, user, actor, code).await,
        _ => Err(ApiError::with_reason(ErrorCode::ValidationError, "send exactly one of webauthn, totp, backupCode")),
    }
}

async fn prove_passkey(
    cx: &Ctx,
    user: &UserRow,
    actor: &Actor,
    challenge_key: &str,
    assertion: &AssertionJson,
) -> ApiResult<Proof> {
    let sessions = SessionsClient::new(&cx.env, &user.workspace_id, &user.id)?;
    let challenge = sessions.take_challenge(challenge_key, cx.now_ms).await?.ok_or(ErrorCode::ChallengeExpired)?;
    let db = cx.db()?;
    let stored = credentials::get(&db, &user.workspace_id, &user.id, assertion.id.trim_end_matches('=')).await?;
    let stored = stored.ok_or_else(|| verification_failed("unknown credential for this user"))?;
    let public_key = CoseKey::from_cbor(&b64u_decode("publicKey", &stored.public_key)?).map_err(verification_failed)?;
    let rp = RelyingParty::of(cx);
    let origins = rp.origin_refs();
    let (client_data, auth_data, signature) = (
        b64u_decode("clientDataJSON", &assertion.response.client_data_json)?,
        b64u_decode("authenticatorData", &assertion.response.authenticator_data)?,
        b64u_decode("signature", &assertion.response.signature)?,
    );
    let input = AssertionInput {
        client_data_json: &client_data,
        authenticator_data: &auth_data,
        signature: &signature,
        expected_challenge: &b64u_decode("challenge", &challenge)?,
        allowed_origins: &origins,
        rp_id: &rp.id,
        stored: StoredCredential {
            public_key,
            sign_count: u32::try_from(stored.sign_count).unwrap_or(0),
            backup_eligible: stored.backup_eligible != 0,
            backup_state: stored.backup_state != 0,
        },
    };
    let prepared = webauthn::prepare_assertion(&input).map_err(verification_failed)?;
    if !verify_signature(&prepared.check).await? {
        return Err(verification_failed("assertion signature does not verify"));
    }
    let mut events = Vec::new();
    if prepared.counter_regressed {
        events.push(Event {
            action: Action::PasskeyCounterRegressed,
            actor: actor.clone(),
            resource_id: Some(stored.id.clone()),
            data: json!({"stored": stored.sign_count, "received": read_sign_count(&auth_data)}),
        });
    }
    let change = credentials::record_use(&db, &stored, prepared.new_sign_count, prepared.backup_state, cx.now_ms)?;
    Ok(Proof { factor: Factor::Webauthn, events, changes: vec![change] })
}

/// The signCount field of raw authenticator data (bytes 33..37), for the audit row.
fn read_sign_count(auth_data: &[u8]) -> u32 {
    auth_data.get(33..37).and_then(|b| b.try_into().ok()).map_or(0, u32::from_be_bytes)
}

async fn prove_totp(cx: &Ctx, user: &UserRow, code: &str) -> ApiResult<Proof> {
    let db = cx.db()?;
    let row = mfa::totp(&db, &user.workspace_id, &user.id).await?.filter(|t| t.confirmed_at.is_some());
    let row =
        row.ok_or_else(|| ApiError::with_reason(ErrorCode::NoFactorAvailable, "no authenticator app enrolled"))?;
    let secret = unseal(cx, &row.secret_sealed)?;
    let now_secs = u64::try_from(cx.now_ms / 1000).unwrap_or(0);
    let step = totp::verify(&secret, code, now_secs, 1, None).map_err(|_| ApiError::new(ErrorCode::InvalidMfaCode))?;
    if !SessionsClient::new(&cx.env, &user.workspace_id, &user.id)?.use_totp_step(step).await? {
        return Err(ErrorCode::MfaCodeReused.into());
    }
    Ok(Proof { factor: Factor::Totp, events: vec![], changes: vec![] })
}

async fn prove_backup_code(cx: &Ctx, user: &UserRow, actor: &Actor, code: &str) -> ApiResult<Proof> {
    let db = cx.db()?;
    let unused = mfa::unused_backup_codes(&db, &user.workspace_id, &user.id).await?;
    let index = backup_codes::find(code, &unused).ok_or(ErrorCode::InvalidMfaCode)?;
    let hash = unused.get(index).ok_or(ErrorCode::InvalidMfaCode)?;
    if !mfa::spend_backup_code(&db, &user.workspace_id, &user.id, hash, cx.now_ms).await? {
        return Err(ApiError::with_reason(ErrorCode::InvalidMfaCode, "that backup code was already used"));
    }
    let used = Event {
        action: Action::BackupCodeUsed,
        actor: actor.clone(),
        resource_id: Some(user.id.clone()),
        data: json!({"remaining": unused.len().saturating_sub(1)}),
    };
    Ok(Proof { factor: Factor::BackupCode, events: vec![used], changes: vec![] })
}

pub async fn status(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let code = cx
        .query_param("purpose")
        .ok_or_else(|| ApiError::with_reason(ErrorCode::ValidationError, "purpose: required"))?;
    let purpose = purpose(code)?;
    let sessions = SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?;
    Ok(Reply::json(sessions.step_up_status(purpose, who.session_id(), cx.now_ms).await?))
}

/// The guard: spends the request's step-up token for `purpose`, or refuses the action.
pub async fn require(cx: &Ctx, who: &Principal, purpose: Purpose) -> ApiResult<()> {
    let refusal = match cx.header(HEADER).as_deref().and_then(stepup_token::hash) {
        None => Err(StepUpRefusal::Missing),
        Some(hash) => {
            let sessions = SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?;
            sessions.consume_step_up(&hash, purpose, who.session_id(), cx.now_ms).await?
        }
    };
    let (action, result) = match refusal {
        Ok(()) => (Action::StepUpTokenUsed, Ok(())),
        Err(r) => (Action::StepUpTokenRefused, Err(refusal_error(purpose, r))),
    };
    let code = result.as_ref().err().map(|e: &ApiError| e.code.as_str());
    queue::record(cx, &who.origin(cx), &[event(who, action, json!({"purpose": purpose.code(), "code": code}))], vec![])
        .await?;
    result
}

/// The guard for actions that step up only when the caller can: accounts with a second
/// factor must prove it; accounts without one proceed (the workspace MFA requirement is what
/// forces enrolment). Used for token minting and workspace sign-in settings.
pub async fn require_if_enrolled(cx: &Ctx, who: &Principal, purpose: Purpose) -> ApiResult<()> {
    if who.user.mfa_enrolled != 0 {
        require(cx, who, purpose).await?;
    }
    Ok(())
}

fn refusal_error(purpose: Purpose, refusal: StepUpRefusal) -> ApiError {
    match refusal {
        StepUpRefusal::Reused => ApiError::new(ErrorCode::StepUpReused),
        StepUpRefusal::NotPhishingResistant => ApiError::new(ErrorCode::PhishingResistantRequired),
        other => ApiError::with_reason(ErrorCode::StepUpRequired, other.reason())
            .field("purpose", json!(purpose.code()))
            .field("requiresPhishingResistant", json!(purpose.requires_phishing_resistant())),
    }
}

/// `POST /api/step-up/actions/{purpose}`: a protected no-op for each purpose, so integrators
/// (and tests) can exercise the whole ceremony against the real guard.
pub async fn demo_action(cx: &mut Ctx, who: &Principal, code: &str) -> ApiResult<Reply> {
    let purpose = purpose(code)?;
    require(cx, who, purpose).await?;
    Ok(Reply::json(json!({"performed": purpose.code(), "at": crate::time::format_ms(cx.now_ms)})))
}
