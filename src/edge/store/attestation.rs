//! The per-workspace attestation policy (absent = allow any authenticator).

use serde::Deserialize;
use worker::D1PreparedStatement;

use crate::edge::db::Db;

use crate::attestation_policy::Policy;
use crate::edge::db::{self, int, text};
use crate::edge::http::fault;
use crate::error::ApiResult;

#[derive(Deserialize)]
struct Row {
    policy: String,
}

pub async fn get(db: &Db, workspace_id: &str) -> ApiResult<Policy> {
    let row: Option<Row> =
        db::first(db, "SELECT policy FROM attestation_policies WHERE workspace_id = ?1", &[text(workspace_id)]).await?;
    match row {
        Some(r) => serde_json::from_str(&r.policy).map_err(|e| fault("stored attestation policy", e)),
        None => Ok(Policy::default()),
    }
}

pub fn put(db: &Db, workspace_id: &str, policy: &Policy, by: &str, now: i64) -> ApiResult<D1PreparedStatement> {
    let json = serde_json::to_string(policy).map_err(|e| fault("encode policy", e))?;
    db::stmt(
        db,
        "INSERT INTO attestation_policies (workspace_id, policy, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4) \
         ON CONFLICT (workspace_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        &[text(workspace_id), text(&json), int(now), text(by)],
    )
}
