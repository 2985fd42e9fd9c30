//! Passkey enrolment and management under `/api/me/passkeys` (W3C WebAuthn L3 §7.1), with the
//! workspace attestation policy applied before a credential is stored.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::attestation_policy::{self, Facts, CATALOG};
use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::config;
use crate::edge::crypto::{random, verify_all};
use crate::edge::http::{Ctx, Reply};
use crate::edge::queue;
use crate::edge::sessions::SessionsClient;
use crate::edge::store::credentials::{self, CredentialRow};
use crate::edge::store::ledger::Event;
use crate::edge::store::{attestation, mfa};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::text_field;
use crate::webauthn::{self, AttestationKind, RegistrationInput};

/// How long a ceremony challenge stays valid.
pub const CHALLENGE_TTL_MS: i64 = 5 * 60 * 1000;
const TIMEOUT_MS: u32 = 300_000;

/// The relying party: RP ID (`RP_ID`, default: this origin's host) and accepted origins.
pub struct RelyingParty {
    pub id: String,
    pub origins: Vec<String>,
}

impl RelyingParty {
    pub fn of(cx: &Ctx) -> Self {
        let host = cx.origin.split("://").nth(1).unwrap_or_default();
        let host = host.rsplit_once(':').map_or(host, |(h, _)| h).to_string();
        let mut origins = vec![cx.origin.clone()];
        origins.extend(config::app_origin(&cx.env));
        Self { id: config::rp_id(&cx.env).unwrap_or(host), origins }
    }

    pub fn origin_refs(&self) -> Vec<&str> {
        self.origins.iter().map(String::as_str).collect()
    }
}

pub fn b64u_decode(field: &str, value: &str) -> ApiResult<Vec<u8>> {
    URL_SAFE_NO_PAD
        .decode(value.trim_end_matches('='))
        .map_err(|_| ApiError::with_reason(ErrorCode::ValidationError, format!("{field}: not base64url")))
}

pub fn verification_failed(reason: impl std::fmt::Display) -> ApiError {
    ApiError::with_reason(ErrorCode::WebauthnVerificationFailed, reason.to_string())
}

fn descriptors(rows: &[CredentialRow]) -> ApiResult<Vec<(Vec<u8>, Vec<String>)>> {
    rows.iter().map(|c| Ok((b64u_decode("id", &c.id)?, c.transports()))).collect()
}

pub async fn registration_options(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let rp = RelyingParty::of(cx);
    let db = cx.db()?;
    let existing = credentials::list(&db, who.workspace_id(), &who.user.id).await?;
    let challenge = random::<32>()?;
    let sessions = SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?;
    sessions.put_challenge("register", &URL_SAFE_NO_PAD.encode(challenge), cx.now_ms + CHALLENGE_TTL_MS).await?;
    let name = who.user.display_name.clone().unwrap_or_else(|| who.user.email.clone());
    let options = webauthn::options::creation_options(
        &rp.id,
        "AxisSynapse",
        who.user.id.as_bytes(),
        &who.user.email,
        &name,
        &challenge,
        &descriptors(&existing)?,
        TIMEOUT_MS,
    );
    Ok(Reply::json(json!({ "publicKey": options })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AttestationResponseJson {
    #[serde(rename = "clientDataJSON")]
    client_data_json: String,
    attestation_object: String,
    #[serde(default)]
    transports: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegistrationJson {
    response: AttestationResponseJson,
    authenticator_attachment: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterBody {
    credential: RegistrationJson,
    nickname: Option<String>,
}

fn nickname(raw: Option<&str>, fallback: &str) -> ApiResult<String> {
    Ok(text_field::label("nickname", raw.unwrap_or(fallback), 64)?.to_string())
}

/// Verifies a registration, applies the attestation policy, stores the credential.
pub async fn register(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: RegisterBody = cx.json().await?;
    let rp = RelyingParty::of(cx);
    let sessions = SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?;
    let challenge = sessions.take_challenge("register", cx.now_ms).await?.ok_or(ErrorCode::ChallengeExpired)?;
    let client_data = b64u_decode("clientDataJSON", &body.credential.response.client_data_json)?;
    let attestation_object = b64u_decode("attestationObject", &body.credential.response.attestation_object)?;
    let origins = rp.origin_refs();
    let input = RegistrationInput {
        client_data_json: &client_data,
        attestation_object: &attestation_object,
        expected_challenge: &b64u_decode("challenge", &challenge)?,
        allowed_origins: &origins,
        rp_id: &rp.id,
        require_user_verification: true,
    };
    let prepared = webauthn::prepare_registration(&input).map_err(verification_failed)?;
    if !verify_all(&prepared.checks).await? {
        return Err(verification_failed("attestation signature does not verify"));
    }
    let credential = &prepared.credential;
    let aaguid = credential.aaguid.to_string();
    let db = cx.db()?;
    let policy = attestation::get(&db, who.workspace_id()).await?;
    let facts = Facts {
        aaguid: credential.aaguid.0,
        is_platform_authenticator: body.credential.authenticator_attachment.as_deref() == Some("platform"),
        backup_eligible: credential.backup_eligible,
        attestation_verified: matches!(prepared.attestation.kind, AttestationKind::Basic { .. }),
    };
    let decision = attestation_policy::decide(&policy, CATALOG, &facts);
    if !decision.allowed {
        let event = Event {
            action: Action::PasskeyBlocked,
            actor: who.actor(),
            resource_id: None,
            data: json!({"aaguid": aaguid, "rule": decision.rule, "reason": decision.reason}),
        };
        queue::record(cx, &who.origin(cx), &[event], vec![]).await?;
        return Err(ApiError::with_reason(ErrorCode::AttestationBlocked, decision.reason.clone())
            .field("rule", json!(decision.rule)));
    }
    let row = CredentialRow {
        id: URL_SAFE_NO_PAD.encode(&credential.id),
        workspace_id: who.workspace_id().to_string(),
        user_id: who.user.id.clone(),
        public_key: URL_SAFE_NO_PAD.encode(&credential.public_key_cbor),
        alg: credential.public_key.alg(),
        aaguid: aaguid.clone(),
        transports: serde_json::to_string(&body.credential.response.transports).unwrap_or_else(|_| "[]".into()),
        backup_eligible: i64::from(credential.backup_eligible),
        backup_state: i64::from(credential.backup_state),
        sign_count: i64::from(credential.sign_count),
        attestation_fmt: prepared.attestation.fmt.clone(),
        attestation_verified: i64::from(facts.attestation_verified),
        nickname: nickname(body.nickname.as_deref(), "Passkey")?,
        created_at: cx.now_ms,
        last_used_at: None,
    };
    let event = Event {
        action: Action::PasskeyRegistered,
        actor: who.actor(),
        resource_id: Some(row.id.clone()),
        data: json!({"aaguid": aaguid, "attestation": row.attestation_fmt, "backupEligible": credential.backup_eligible, "rule": decision.rule}),
    };
    let changes =
        vec![credentials::insert(&db, &row)?, mfa::mark_enrolled(&db, who.workspace_id(), &who.user.id, cx.now_ms)?];
    queue::record(cx, &who.origin(cx), &[event], changes).await?;
    Ok(Reply::json(row.to_json()).status(201))
}

pub async fn list(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let db = cx.db()?;
    let rows = credentials::list(&db, who.workspace_id(), &who.user.id).await?;
    Ok(Reply::json(json!({"passkeys": rows.iter().map(CredentialRow::to_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Rename {
    nickname: String,
}

pub async fn rename(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let body: Rename = cx.json().await?;
    let name = nickname(Some(&body.nickname), "")?;
    let db = cx.db()?;
    let mut row = credentials::get(&db, who.workspace_id(), &who.user.id, id).await?.ok_or(ErrorCode::NotFound)?;
    let event = Event {
        action: Action::PasskeyRenamed,
        actor: who.actor(),
        resource_id: Some(row.id.clone()),
        data: json!({"nickname": name}),
    };
    queue::record(cx, &who.origin(cx), &[event], vec![credentials::rename(&db, &row, &name)?]).await?;
    row.nickname = name;
    Ok(Reply::json(row.to_json()))
}

pub async fn delete(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let db = cx.db()?;
    let row = credentials::get(&db, who.workspace_id(), &who.user.id, id).await?.ok_or(ErrorCode::NotFound)?;
    let event = Event {
        action: Action::PasskeyDeleted,
        actor: who.actor(),
        resource_id: Some(row.id.clone()),
        data: json!({"aaguid": row.aaguid}),
    };
    queue::record(cx, &who.origin(cx), &[event], vec![credentials::delete(&db, &row)?]).await?;
    Ok(Reply::json(json!({"deleted": row.id})))
}
