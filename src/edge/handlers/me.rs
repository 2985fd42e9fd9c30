//! The caller's own account: profile, sessions, personal access tokens.

use serde::Deserialize;
use serde_json::{json, Value};

use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::crypto::random;
use crate::edge::handlers::auth::{clear_cookies, end_session, location, session_cookies, verify_password};
use crate::edge::http::{Ctx, Reply};
use crate::edge::queue;
use crate::edge::sessions::{SessionRecord, SessionState, SessionsClient, Sighting};
use crate::edge::store::ledger::Event;
use crate::edge::store::session_index;
use crate::edge::store::tokens::{self, kind_name, NewToken, TokenRow};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::session::{device, tokens as token_format};
use crate::text_field;
use crate::time::format_ms;

/// Most live tokens one user (PATs) or one workspace (SCIM tokens) may hold.
pub const MAX_LIVE_TOKENS: usize = 50;

pub fn me(who: &Principal) -> Reply {
    Reply::json(json!({
        "user": who.user.to_json(),
        "workspaceId": who.workspace_id(),
        "sessionId": who.session_id(),
        // An enrolment-only session (MFA required, no factor yet) reaches only the enrolment routes.
        "enrolmentOnly": who.restricted,
    }))
}

fn session_json(r: &SessionRecord, current: Option<&str>) -> Value {
    json!({
        "id": r.id,
        "current": current == Some(r.id.as_str()),
        "deviceLabel": r.device_label,
        "ipPrefix": r.ip_prefix,
        "location": r.location,
        "createdAt": format_ms(r.created_at),
        "lastSeenAt": format_ms(r.last_seen_at),
        "expiresAt": format_ms(r.expires_at.min(r.absolute_expires_at)),
    })
}

pub async fn sessions_list(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let records = SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?.list(cx.now_ms).await?;
    let sessions: Vec<Value> = records
        .iter()
        .filter(|r| r.state(cx.now_ms) == SessionState::Active)
        .map(|r| session_json(r, who.session_id()))
        .collect();
    Ok(Reply::json(json!({ "sessions": sessions })))
}

pub async fn session_revoke(cx: &mut Ctx, who: &Principal, sid: &str) -> ApiResult<Reply> {
    if !end_session(cx, who, sid, Action::SessionRevoked).await? {
        return Err(ApiError::with_reason(ErrorCode::NotFound, "no active session with that id"));
    }
    let current = who.session_id() == Some(sid);
    let reply = Reply::json(json!({"revoked": sid, "signOut": current}));
    Ok(if current { clear_cookies(cx, reply) } else { reply })
}

pub async fn heartbeat(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let sid = who.session_id().unwrap_or_default();
    let sighting = Sighting {
        device_label: device::label(&cx.user_agent()),
        ip_prefix: cx.client_ip.as_deref().and_then(device::ip_prefix),
        location: location(cx),
    };
    let result =
        SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?.touch(sid, cx.now_ms, sighting).await?;
    if let Some(err) = result.state.error() {
        return Err(err);
    }
    let record = result.record.ok_or_else(|| ApiError::new(ErrorCode::SessionRevoked))?;
    let body = json!({"session": session_json(&record, Some(sid))});
    session_cookies(cx, Reply::json(body), &who.user, &record)
}

pub async fn revoke_others(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let keep = who.session_id().unwrap_or_default();
    let sessions = SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?;
    let revoked = sessions.revoke_except(Some(keep), cx.now_ms).await?;
    let db = cx.db()?;
    let mut changes = Vec::new();
    for sid in &revoked {
        changes.push(session_index::revoke(&db, who.workspace_id(), sid, cx.now_ms)?);
    }
    let event = Event {
        action: Action::SessionsRevokedOthers,
        actor: who.actor(),
        resource_id: Some(keep.to_string()),
        data: json!({"revoked": revoked.len(), "kept": keep}),
    };
    let origin = who.origin(cx);
    queue::record(cx, &origin, &[event], changes).await?;
    Ok(Reply::json(json!({"revoked": revoked})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewTokenBody {
    pub name: String,
    /// Lifetime in days (1–365); absent = no expiry.
    pub expires_in_days: Option<u32>,
}

impl NewTokenBody {
    pub fn validate(&self, now_ms: i64) -> ApiResult<(String, Option<i64>)> {
        let name = text_field::label("name", &self.name, 100)?;
        let expires_at = match self.expires_in_days {
            None => None,
            Some(d @ 1..=365) => Some(now_ms + i64::from(d) * 86_400_000),
            Some(_) => return Err(ApiError::with_reason(ErrorCode::ValidationError, "expiresInDays: 1 to 365")),
        };
        Ok((name.to_string(), expires_at))
    }
}

/// Mints a token of `kind`, stores its hash, audits, and answers with the secret once.
pub async fn mint(cx: &mut Ctx, who: &Principal, kind: token_format::TokenKind, action: Action) -> ApiResult<Reply> {
    let body: NewTokenBody = cx.json().await?;
    let (name, expires_at) = body.validate(cx.now_ms)?;
    crate::edge::handlers::stepup::require_if_enrolled(cx, who, crate::stepup::Purpose::TokenMint).await?;
    let db = cx.db()?;
    let kind_name = kind_name(kind);
    let owner = (kind == token_format::TokenKind::Pat).then_some(who.user.id.as_str());
    let live = tokens::list(&db, who.workspace_id(), kind_name, owner).await?;
    if live.iter().filter(|t| t.revoked_at.is_none()).count() >= MAX_LIVE_TOKENS {
        return Err(ApiError::with_reason(ErrorCode::Conflict, "too many live tokens; revoke one first"));
    }
    let minted = token_format::mint(kind, cx.tenant()?, &random::<38>()?);
    let new =
        NewToken { workspace_id: who.workspace_id(), user_id: &who.user.id, name: &name, expires_at, now: cx.now_ms };
    let insert = tokens::insert(&db, &minted, &new)?;
    let event = Event {
        action,
        actor: who.actor(),
        resource_id: Some(minted.id.clone()),
        data: json!({"tokenId": minted.id, "name": name, "expiresAt": expires_at.map(format_ms)}),
    };
    let origin = who.origin(cx);
    queue::record(cx, &origin, &[event], vec![insert]).await?;
    let row = TokenRow {
        id: minted.id.clone(),
        workspace_id: who.workspace_id().to_string(),
        kind: kind_name.to_string(),
        user_id: Some(who.user.id.clone()),
        name,
        token_hash: String::new(),
        hint: minted.hint.clone(),
        expires_at,
        last_used_at: None,
        revoked_at: None,
        created_at: cx.now_ms,
    };
    let mut view = row.to_json();
    view["token"] = json!(minted.token);
    Ok(Reply::json(view).status(201))
}

/// Revokes a token of the workspace (and, for PATs, of the caller). Revoking twice is a no-op.
pub async fn revoke(
    cx: &mut Ctx,
    who: &Principal,
    kind: token_format::TokenKind,
    id: &str,
    action: Action,
) -> ApiResult<Reply> {
    let db = cx.db()?;
    let row = tokens::by_id(&db, kind_name(kind), id).await?;
    let owned = row.filter(|r| {
        r.workspace_id == who.workspace_id()
            && (kind != token_format::TokenKind::Pat || r.user_id.as_deref() == Some(&who.user.id))
    });
    let mut row = owned.ok_or_else(|| ApiError::new(ErrorCode::NotFound))?;
    if row.revoked_at.is_none() {
        let event =
            Event { action, actor: who.actor(), resource_id: Some(row.id.clone()), data: json!({"tokenId": row.id}) };
        let origin = who.origin(cx);
        queue::record(cx, &origin, &[event], vec![tokens::revoke(&db, &row, cx.now_ms)?]).await?;
        row.revoked_at = Some(cx.now_ms);
    }
    Ok(Reply::json(row.to_json()))
}

pub async fn list(cx: &Ctx, who: &Principal, kind: token_format::TokenKind) -> ApiResult<Reply> {
    let db = cx.db()?;
    let owner = (kind == token_format::TokenKind::Pat).then_some(who.user.id.as_str());
    let rows = tokens::list(&db, who.workspace_id(), kind_name(kind), owner).await?;
    Ok(Reply::json(json!({"tokens": rows.iter().map(TokenRow::to_json).collect::<Vec<_>>()})))
}

pub async fn tokens_list(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    list(cx, who, token_format::TokenKind::Pat).await
}

pub async fn token_create(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    mint(cx, who, token_format::TokenKind::Pat, Action::PatCreated).await
}

pub async fn token_revoke(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    revoke(cx, who, token_format::TokenKind::Pat, id, Action::PatRevoked).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

/// Changes the caller's password and revokes every other session of theirs.
pub async fn change_password(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: PasswordChange = cx.json().await?;
    let stored = who.user.password_hash.as_deref().ok_or_else(|| ApiError::new(ErrorCode::SsoRequired))?;
    if body.current_password.len() > 1024 || !verify_password(&body.current_password, stored).await? {
        return Err(ApiError::with_reason(ErrorCode::InvalidCredentials, "currentPassword is wrong"));
    }
    crate::session::password::check_policy(&body.new_password)
        .map_err(|e| ApiError::with_reason(ErrorCode::WeakPassword, e.to_string()))?;
    let hash = crate::edge::crypto::hash_password(&body.new_password).await?;
    let db = cx.db()?;
    let keep = who.session_id();
    let revoked =
        SessionsClient::new(&cx.env, who.workspace_id(), &who.user.id)?.revoke_except(keep, cx.now_ms).await?;
    let event = Event {
        action: Action::PasswordChanged,
        actor: who.actor(),
        resource_id: Some(who.user.id.clone()),
        data: json!({"revokedSessions": revoked.len()}),
    };
    let origin = who.origin(cx);
    let change = crate::edge::store::users::set_password(&db, &who.user, &hash, cx.now_ms)?;
    queue::record(cx, &origin, &[event], vec![change]).await?;
    Ok(Reply::json(json!({"changed": true, "revokedSessions": revoked})))
}
