//! Network-policy enforcement at the edge: every request whose workspace is known is checked
//! against that workspace's policy for its surface, before any handler work. The compiled
//! policy (longest-prefix tries) is cached per isolate and reused while the stored version is
//! unchanged; the version arrives with the user row the request already read, so a request
//! with a current cache pays no extra D1 read, only a lookup whose cost does not grow with
//! the rule count. Blocks (and monitor-only near-misses) are audited, at most once per
//! (workspace, address, rule) every ten minutes per isolate, so a blocked scanner cannot
//! flood the ledger (a block and a monitor-only near-miss are told apart).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::json;

use crate::audit::actions::Action;
use crate::edge::db::Db;
use crate::edge::http::Ctx;
use crate::edge::queue;
use crate::edge::store::ledger::{Actor, Event, Origin};
use crate::edge::store::netpolicy;
use crate::edge::store::users::UserRow;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::netpolicy::cidr::parse_ip;
use crate::netpolicy::policy::{evaluate, CompiledPolicy, Decision, Mode, Surface};

/// How long one (workspace, address, rule) audit row stands for repeats.
const AUDIT_DEDUP_MS: i64 = 10 * 60 * 1000;

/// A workspace's policy mode and compiled rules, shared by the requests of one isolate.
type Compiled = Rc<(Mode, CompiledPolicy)>;

thread_local! {
    static COMPILED: RefCell<HashMap<String, (i64, Compiled)>> = RefCell::new(HashMap::new());
    static AUDITED: RefCell<HashMap<String, i64>> = RefCell::new(HashMap::new());
}

/// The workspace's compiled policy, recompiled only when its version moved.
async fn compiled(db: &Db, workspace_id: &str, version: i64) -> ApiResult<Compiled> {
    let cached = COMPILED.with(|c| c.borrow().get(workspace_id).filter(|(v, _)| *v == version).map(|(_, p)| p.clone()));
    if let Some(policy) = cached {
        return Ok(policy);
    }
    let (policy, version) = netpolicy::get(db, workspace_id).await?;
    let compiled = Rc::new((policy.mode, CompiledPolicy::compile(&policy)));
    COMPILED.with(|c| c.borrow_mut().insert(workspace_id.to_string(), (version, compiled.clone())));
    Ok(compiled)
}

/// True the first time in the dedup window for this key.
fn first_sighting(key: String, now_ms: i64) -> bool {
    AUDITED.with(|a| {
        let mut seen = a.borrow_mut();
        seen.retain(|_, at| now_ms - *at < AUDIT_DEDUP_MS);
        let fresh = !seen.contains_key(&key);
        if fresh {
            seen.insert(key, now_ms);
        }
        fresh
    })
}

/// Who is asking, as far as the network policy cares.
pub struct Gate<'a> {
    pub workspace_id: &'a str,
    /// The workspace's policy version as read with the caller's credential (0 = never set).
    pub policy_version: i64,
    pub is_admin: bool,
}

impl<'a> From<&'a UserRow> for Gate<'a> {
    fn from(user: &'a UserRow) -> Self {
        Self {
            workspace_id: &user.workspace_id,
            policy_version: user.network_policy_version,
            is_admin: user.is_admin(),
        }
    }
}

/// Checks the request against the caller's workspace policy for `surface`;
/// `Err(IP_BLOCKED)` when it must be refused.
pub async fn enforce(cx: &Ctx, gate: Gate<'_>, surface: Surface, actor: Actor) -> ApiResult<()> {
    if gate.policy_version == 0 {
        return Ok(()); // the workspace never set a policy
    }
    let workspace_id = gate.workspace_id;
    let db = cx.db()?;
    let policy = compiled(&db, workspace_id, gate.policy_version).await?;
    let is_admin = gate.is_admin;
    let (mode, compiled) = (&policy.0, &policy.1);
    if *mode == Mode::Off {
        return Ok(());
    }
    let decision = match cx.client_ip.as_deref().map(parse_ip) {
        Some(Ok(ip)) => evaluate(compiled, ip, surface, is_admin),
        _ => Decision { allowed: false, enforced: true, matched_rule: None, reason: "no usable client address".into() },
    };
    if decision.allowed {
        return Ok(());
    }
    let ip = cx.client_ip.clone().unwrap_or_default();
    let action = if decision.blocks() { Action::NetworkPolicyBlocked } else { Action::NetworkPolicyWouldBlock };
    let rule = decision.matched_rule.as_deref().unwrap_or("-");
    let key = format!("{workspace_id}|{ip}|{}|{rule}|{}", surface.as_str(), action.code());
    if first_sighting(key, cx.now_ms) {
        let event = Event {
            action,
            actor,
            resource_id: Some(workspace_id.to_string()),
            data: json!({"surface": surface.as_str(), "matchedRule": decision.matched_rule, "reason": decision.reason}),
        };
        let origin = Origin { workspace_id, ip: Some(&ip), now_ms: cx.now_ms };
        queue::record(cx, &origin, &[event], vec![]).await?;
    }
    if decision.blocks() {
        return Err(ApiError::with_reason(ErrorCode::IpBlocked, decision.reason)
            .field("matchedRule", json!(decision.matched_rule))
            .field("surface", json!(surface.as_str())));
    }
    Ok(())
}
