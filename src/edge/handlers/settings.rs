//! Workspace settings (admin): sign-in policy, users, SCIM tokens.

use serde::Deserialize;
use serde_json::json;

use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::handlers::me;
use crate::edge::http::{Ctx, Reply};
use crate::edge::queue;
use crate::edge::sessions::SessionsClient;
use crate::edge::store::ledger::Event;
use crate::edge::store::{users, workspaces};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::session::signin::SignInPolicy;
use crate::session::tokens::TokenKind;

fn invalid(reason: &str) -> ApiError {
    ApiError::with_reason(ErrorCode::ValidationError, reason)
}

/// The workspace as read with the caller's principal (no read of its own).
pub async fn workspace_get(_cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    Ok(Reply::json(who.user.workspace().to_json()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct WorkspacePatch {
    sign_in_policy: Option<String>,
    mfa_required: Option<bool>,
}

pub async fn workspace_update(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let patch: WorkspacePatch = cx.json().await?;
    crate::edge::handlers::stepup::require_if_enrolled(cx, who, crate::stepup::Purpose::WorkspaceSettingsChange)
        .await?;
    let db = cx.db()?;
    // The workspace as read with the principal: current, since the principal was checked in
    // this request (or is checked in the write's own batch, for a cached one).
    let before = who.user.workspace();
    let mut after = before.clone();
    if let Some(policy) = &patch.sign_in_policy {
        let policy = SignInPolicy::parse(policy)
            .ok_or_else(|| invalid("signInPolicy: password_only, sso_only or password_and_sso"))?;
        after.sign_in_policy = policy.as_str().to_string();
    }
    if let Some(mfa) = patch.mfa_required {
        after.mfa_required = i64::from(mfa);
    }
    let event = Event {
        action: Action::WorkspaceUpdated,
        actor: who.actor(),
        resource_id: Some(before.id.clone()),
        data: json!({
            "before": {"signInPolicy": before.sign_in_policy, "mfaRequired": before.mfa_required != 0},
            "after": {"signInPolicy": after.sign_in_policy, "mfaRequired": after.mfa_required != 0},
        }),
    };
    queue::record(cx, &who.origin(cx), &[event], vec![workspaces::update_sign_in(&db, &after, cx.now_ms)?]).await?;
    after.updated_at = cx.now_ms;
    Ok(Reply::json(after.to_json()))
}

pub async fn users_list(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let db = cx.db()?;
    let rows = users::list(&db, who.workspace_id()).await?;
    Ok(Reply::json(json!({"users": rows.iter().map(users::UserRow::to_json).collect::<Vec<_>>()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserPatch {
    role: Option<String>,
    status: Option<String>,
}

/// Changes a user's role or status. Nobody edits themselves (no self-lockout); only an
/// owner touches an owner or grants ownership. Disabling revokes every session at once.
pub async fn user_update(cx: &mut Ctx, who: &Principal, user_id: &str) -> ApiResult<Reply> {
    let patch: UserPatch = cx.json().await?;
    let db = cx.db()?;
    let target = users::get(&db, who.workspace_id(), user_id).await?.ok_or(ErrorCode::NotFound)?;
    if target.id == who.user.id {
        return Err(ApiError::with_reason(ErrorCode::Forbidden, "you cannot change your own role or status"));
    }
    let role = patch.role.unwrap_or_else(|| target.role.clone());
    let status = patch.status.unwrap_or_else(|| target.status.clone());
    if !["owner", "admin", "member"].contains(&role.as_str()) {
        return Err(invalid("role: owner, admin or member"));
    }
    if !["active", "disabled"].contains(&status.as_str()) {
        return Err(invalid("status: active or disabled"));
    }
    if (target.role == "owner" || role == "owner") && who.user.role != "owner" {
        return Err(ApiError::with_reason(
            ErrorCode::Forbidden,
            "only an owner can change an owner or grant ownership",
        ));
    }
    let event = Event {
        action: Action::UserUpdated,
        actor: who.actor(),
        resource_id: Some(target.id.clone()),
        data: json!({"before": {"role": target.role, "status": target.status}, "after": {"role": role, "status": status}}),
    };
    let change = users::set_role_status(&db, &target, &role, &status, cx.now_ms)?;
    queue::record(cx, &who.origin(cx), &[event], vec![change]).await?;
    if status == "disabled" {
        SessionsClient::new(&cx.env, who.workspace_id(), &target.id)?.revoke_except(None, cx.now_ms).await?;
    }
    let updated = users::get(&db, who.workspace_id(), user_id).await?.ok_or(ErrorCode::NotFound)?;
    Ok(Reply::json(updated.to_json()))
}

pub async fn scim_tokens_list(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    me::list(cx, who, TokenKind::Scim).await
}

pub async fn scim_token_create(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    me::mint(cx, who, TokenKind::Scim, Action::ScimTokenCreated).await
}

pub async fn scim_token_revoke(cx: &mut Ctx, who: &Principal, id: &str) -> ApiResult<Reply> {
    me::revoke(cx, who, TokenKind::Scim, id, Action::ScimTokenRevoked).await
}
