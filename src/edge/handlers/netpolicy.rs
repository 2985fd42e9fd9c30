//! The workspace network policy: read, replace (admin browser session, step-up when the admin
//! has a factor, lockout guard, audited with a diff), a pure preview of one address, and the
//! what-if replay of a draft over the ledger (nothing persisted, no audit row: reads of the
//! settings are not audited).

use serde::Deserialize;
use serde_json::json;

use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::handlers::stepup;
use crate::edge::http::{fault, Ctx, Reply};
use crate::edge::queue;
use crate::edge::store::ledger::Event;
use crate::edge::store::{ledger, netpolicy};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::netpolicy::cidr::parse_ip;
use crate::netpolicy::policy::{evaluate, lockout_guard, CompiledPolicy, Policy, Surface};
use crate::netpolicy::whatif::{replay, Window};
use crate::stepup::Purpose;
use crate::time::{format_ms, parse};

fn invalid(reason: impl std::fmt::Display) -> ApiError {
    ApiError::with_reason(ErrorCode::ValidationError, reason.to_string())
}

/// A 400 about one request field.
fn invalid_field(field: &str, reason: impl std::fmt::Display) -> ApiError {
    invalid(reason).field("field", json!(field))
}

/// [`Policy::check`], a refusal naming the part of the policy it is about in `field`.
fn validate(policy: &Policy) -> ApiResult<()> {
    policy.check().map_err(|invalid| invalid_field(&invalid.field, invalid.error))
}

pub async fn get(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let (policy, version) = netpolicy::get(&cx.db()?, who.workspace_id()).await?;
    Ok(Reply::json(json!({"policy": policy, "version": version})))
}

/// Largest policy body: 10,000 rules per list fit with short labels.
pub const MAX_POLICY_BODY: usize = 1024 * 1024;

/// Replaces the policy. A policy that would block the caller's own address on the dashboard
/// is refused (409 NETWORK_POLICY_LOCKOUT) unless `?acknowledgeLockout=true`.
pub async fn put(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let policy: Policy = cx.json_within(MAX_POLICY_BODY).await?;
    validate(&policy)?;
    let acknowledged = cx.query_param("acknowledgeLockout") == Some("true");
    if let Some(ip) = cx.client_ip.as_deref().and_then(|ip| parse_ip(ip).ok()) {
        if let (Err(risk), false) = (lockout_guard(&policy, ip, Surface::Dashboard, who.user.is_admin()), acknowledged)
        {
            return Err(ApiError::with_reason(ErrorCode::NetworkPolicyLockout, risk.to_string())
                .field("matchedRule", json!(risk.matched_rule)));
        }
    }
    stepup::require_if_enrolled(cx, who, Purpose::NetworkPolicyChange).await?;
    let db = cx.db()?;
    let (before, _) = netpolicy::get(&db, who.workspace_id()).await?;
    let event = Event {
        action: Action::NetworkPolicyUpdated,
        actor: who.actor(),
        resource_id: Some(who.workspace_id().to_string()),
        data: json!({"diff": crate::netpolicy::diff::diff(&before, &policy), "lockoutAcknowledged": acknowledged}),
    };
    let origin = who.origin(cx);
    let change = netpolicy::put(&db, who.workspace_id(), &policy, &who.user.id, cx.now_ms)?;
    queue::record(cx, &origin, &[event], vec![change]).await?;
    let (policy, version) = netpolicy::get(&db, who.workspace_id()).await?;
    Ok(Reply::json(json!({"policy": policy, "version": version})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Preview {
    ip: String,
    surface: Surface,
    #[serde(default)]
    as_admin: bool,
    /// A policy to try instead of the stored one.
    policy: Option<Policy>,
}

/// Runs the enforcement evaluator on a what-if, persisting nothing.
pub async fn test(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: Preview = cx.json_within(MAX_POLICY_BODY).await?;
    let ip = parse_ip(&body.ip).map_err(|e| invalid(format!("ip: {e}")))?;
    let policy = match body.policy {
        Some(p) => {
            validate(&p)?;
            p
        }
        None => netpolicy::get(&cx.db()?, who.workspace_id()).await?.0,
    };
    let decision = evaluate(&CompiledPolicy::compile(&policy), ip, body.surface, body.as_admin);
    Ok(Reply::json(json!({"decision": decision, "blocks": decision.blocks(), "mode": policy.mode})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhatIf {
    policy: Policy,
    from: Option<String>,
    to: Option<String>,
}

fn instant(value: Option<&str>, field: &str) -> ApiResult<Option<i64>> {
    value.map(|v| parse(v).map_err(|e| invalid_field(field, format!("{field}: {e}")))).transpose()
}

/// Replays a draft policy over the workspace's ledger rows of a window (default: the last
/// seven days) and answers what its enforcement would have done; persists nothing.
pub async fn what_if(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: WhatIf = cx.json_within(MAX_POLICY_BODY).await?;
    validate(&body.policy)?;
    let (from, to) = (instant(body.from.as_deref(), "from")?, instant(body.to.as_deref(), "to")?);
    let window = Window::new(from, to, cx.now_ms).map_err(|e| invalid_field(e.field, &e))?;
    let groups = ledger::request_groups(&cx.db()?, who.workspace_id(), window).await?;
    let mut answer = serde_json::to_value(replay(&body.policy, &groups)).map_err(|e| fault("what-if report", e))?;
    answer["window"] = json!({"from": format_ms(window.from_ms), "to": format_ms(window.to_ms)});
    Ok(Reply::json(answer))
}
