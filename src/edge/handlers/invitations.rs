//! Inviting people into a workspace, and accepting an invitation.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::crypto::{self, new_id, random};
use crate::edge::forwarding;
use crate::edge::handlers::auth::start_session;
use crate::edge::http::{Ctx, Reply};
use crate::edge::queue;
use crate::edge::store::invitations::{self, InvitationRow, TTL_MS};
use crate::edge::store::ledger::{Actor, Event, Origin};
use crate::edge::store::{directory, users, workspaces};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::session::password;
use crate::session::sha256_hex;
use crate::tenancy::Shard;
use crate::text_field;

/// Every invitation token starts with this.
const TOKEN_PREFIX: &str = "inv_";

fn origin<'a>(cx: &'a Ctx, workspace_id: &'a str) -> Origin<'a> {
    Origin { workspace_id, ip: cx.client_ip.as_deref(), now_ms: cx.now_ms }
}

pub async fn list(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let db = cx.db()?;
    let rows = invitations::pending(&db, who.workspace_id(), cx.now_ms).await?;
    Ok(Reply::json(json!({"invitations": rows.iter().map(InvitationRow::to_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvitation {
    email: String,
    role: String,
}

/// Invites an email (replacing an open invitation for it). The token is returned once.
pub async fn create(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: NewInvitation = cx.json().await?;
    let email = text_field::email("email", &body.email)?;
    if !["admin", "member"].contains(&body.role.as_str()) {
        return Err(ApiError::with_reason(ErrorCode::ValidationError, "role: admin or member"));
    }
    let db = cx.db()?;
    if !users::by_email(&db, &email, &[who.workspace_id()]).await?.is_empty() {
        return Err(ApiError::with_reason(ErrorCode::Conflict, "this email is already a member of the workspace"));
    }
    let token = format!(
        "{TOKEN_PREFIX}{}{}",
        cx.tenant()?.tag(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random::<32>()?)
    );
    let row = InvitationRow {
        id: new_id("inv_")?,
        workspace_id: who.workspace_id().to_string(),
        email,
        role: body.role,
        invited_by: who.user.id.clone(),
        expires_at: cx.now_ms + TTL_MS,
        accepted_at: None,
        created_at: cx.now_ms,
    };
    let event = Event {
        action: Action::UserInvited,
        actor: who.actor(),
        resource_id: Some(row.id.clone()),
        data: json!({"invitationId": row.id, "email": row.email, "role": row.role}),
    };
    let changes = invitations::upsert(&db, &row, &sha256_hex(token.as_bytes()))?;
    queue::record(cx, &origin(cx, who.workspace_id()), &[event], changes).await?;
    let mut view = row.to_json();
    view["token"] = json!(token);
    Ok(Reply::json(view).status(201))
}

pub async fn revoke(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    let db = cx.db()?;
    let row = invitations::get(&db, who.workspace_id(), id)
        .await?
        .filter(|r| r.is_open(cx.now_ms))
        .ok_or(ErrorCode::NotFound)?;
    let event = Event {
        action: Action::InvitationRevoked,
        actor: who.actor(),
        resource_id: Some(row.id.clone()),
        data: json!({"invitationId": row.id, "email": row.email}),
    };
    queue::record(cx, &origin(cx, who.workspace_id()), &[event], vec![invitations::delete(&db, &row)?]).await?;
    Ok(Reply::json(json!({"revoked": row.id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Acceptance {
    token: String,
    password: Option<String>,
    display_name: Option<String>,
}

/// Creates the invited user. Password workspaces need a password and sign the user in at
/// once; SSO-only workspaces create the user without one (they sign in through their IdP).
pub async fn accept(cx: &mut Ctx) -> ApiResult<Reply> {
    crate::edge::auth::same_origin(cx)?;
    let body: Acceptance = cx.json().await?;
    let display_name = body.display_name.as_deref().map(|n| text_field::label("displayName", n, 100)).transpose()?;
    let not_found = || ApiError::with_reason(ErrorCode::NotFound, "no open invitation for this token");
    if body.token.len() > 100 {
        return Err(not_found());
    }
    // The token names its workspace's shard: `inv_` + two hex digits + 32 random bytes.
    let shard = body.token.strip_prefix(TOKEN_PREFIX).and_then(Shard::of_tagged).ok_or_else(not_found)?;
    let db = cx.shard_db(shard).ok_or_else(not_found)?;
    let (shard, invite) = forwarding::invitation(cx, shard, &db, &sha256_hex(body.token.as_bytes())).await?;
    let db = cx.shard_db(shard).ok_or_else(not_found)?;
    cx.enter(shard);
    let invite = invite.filter(|i| i.is_open(cx.now_ms)).ok_or_else(not_found)?;
    let ws = workspaces::get(&db, &invite.workspace_id).await?.ok_or_else(not_found)?;
    if ws.status != "active" {
        return Err(ErrorCode::WorkspaceInactive.into());
    }
    let sso_only = ws.sign_in_policy == "sso_only";
    let hash = match (&body.password, sso_only) {
        (Some(pw), false) => {
            password::check_policy(pw).map_err(|e| ApiError::with_reason(ErrorCode::WeakPassword, e.to_string()))?;
            Some(crypto::hash_password(pw).await?)
        }
        (None, false) => {
            return Err(ApiError::with_reason(ErrorCode::ValidationError, "password: required in this workspace"))
        }
        (Some(_), true) => {
            return Err(ApiError::with_reason(
                ErrorCode::SsoRequired,
                "this workspace signs in through SSO; omit the password",
            ))
        }
        (None, true) => None,
    };
    let user_id = new_id("u_")?;
    let new_user = users::NewUser {
        id: &user_id,
        workspace_id: &invite.workspace_id,
        email: &invite.email,
        display_name,
        role: &invite.role,
        provisioned_by: "invitation",
        password_hash: hash.as_deref(),
        now: cx.now_ms,
    };
    directory::index_emails(&cx.directory()?, &invite.workspace_id, &[&invite.email]).await?;
    let mut changes = users::insert(&db, &new_user)?;
    changes.push(invitations::mark_accepted(&db, &invite, cx.now_ms)?);
    let event = Event {
        action: Action::UserJoined,
        actor: Actor { kind: "user", id: Some(user_id.clone()) },
        resource_id: Some(user_id.clone()),
        data: json!({"invitationId": invite.id, "role": invite.role}),
    };
    queue::record(cx, &origin(cx, &invite.workspace_id), &[event], changes).await?;
    let user = users::get(&db, &invite.workspace_id, &user_id).await?.ok_or_else(not_found)?;
    if sso_only {
        return Ok(Reply::json(json!({"user": user.to_json(), "signIn": "sso"})).status(201));
    }
    start_session(cx, &user, vec![], vec![]).await.map(|r| r.status(201))
}
