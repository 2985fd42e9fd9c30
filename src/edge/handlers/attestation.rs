//! The workspace's WebAuthn attestation policy: read (with the AAGUID catalog), replace
//! (admin, step-up protected, audited with a diff), and a pure what-if preview.

use serde::Deserialize;
use serde_json::json;

use crate::attestation_policy::{self, parse_aaguid, Facts, Policy, CATALOG};
use crate::audit::actions::Action;
use crate::edge::auth::Principal;
use crate::edge::handlers::stepup;
use crate::edge::http::{Ctx, Reply};
use crate::edge::queue;
use crate::edge::store::attestation;
use crate::edge::store::ledger::Event;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::stepup::Purpose;

fn catalog_json() -> serde_json::Value {
    json!(CATALOG.iter().map(|e| e.to_json()).collect::<Vec<_>>())
}

pub async fn get(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let db = cx.db()?;
    let policy = attestation::get(&db, who.workspace_id()).await?;
    Ok(Reply::json(json!({"policy": policy, "catalog": catalog_json()})))
}

pub async fn put(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let policy: Policy = cx.json().await?;
    policy.validate().map_err(|e| ApiError::with_reason(ErrorCode::ValidationError, e.to_string()))?;
    stepup::require(cx, who, Purpose::AttestationPolicyChange).await?;
    let db = cx.db()?;
    let before = attestation::get(&db, who.workspace_id()).await?;
    let event = Event {
        action: Action::AttestationPolicyUpdated,
        actor: who.actor(),
        resource_id: Some(who.workspace_id().to_string()),
        data: json!({"before": before, "after": policy}),
    };
    let origin = who.origin(cx);
    queue::record(
        cx,
        &origin,
        &[event],
        vec![attestation::put(&db, who.workspace_id(), &policy, &who.user.id, cx.now_ms)?],
    )
    .await?;
    Ok(Reply::json(json!({"policy": policy})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Preview {
    aaguid: String,
    #[serde(default)]
    is_platform_authenticator: bool,
    #[serde(default)]
    backup_eligible: bool,
    #[serde(default)]
    attestation_verified: bool,
    /// A policy to try instead of the stored one.
    policy: Option<Policy>,
}

/// Runs the same decision enrolment uses, persisting nothing.
pub async fn test(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let body: Preview = cx.json().await?;
    let aaguid = parse_aaguid(&body.aaguid)
        .ok_or_else(|| ApiError::with_reason(ErrorCode::ValidationError, "aaguid: not a UUID"))?;
    let policy = match body.policy {
        Some(p) => {
            p.validate().map_err(|e| ApiError::with_reason(ErrorCode::ValidationError, e.to_string()))?;
            p
        }
        None => attestation::get(&cx.db()?, who.workspace_id()).await?,
    };
    let facts = Facts {
        aaguid,
        is_platform_authenticator: body.is_platform_authenticator,
        backup_eligible: body.backup_eligible,
        attestation_verified: body.attestation_verified,
    };
    Ok(Reply::json(attestation_policy::decide(&policy, CATALOG, &facts).to_json()))
}
