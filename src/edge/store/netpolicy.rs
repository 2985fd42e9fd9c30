//! The per-workspace network policy and its version (bumped on every change; the users query
//! returns it, so each isolate can tell whether its compiled copy is current).

use serde::Deserialize;
use worker::D1PreparedStatement;

use crate::edge::db::Db;

use crate::edge::db::{self, int, text};
use crate::edge::http::fault;
use crate::error::ApiResult;
use crate::netpolicy::policy::Policy;

#[derive(Deserialize)]
struct Row {
    policy: String,
    version: i64,
}

/// The policy and its version (the default, mode off, at version 0).
pub async fn get(db: &Db, workspace_id: &str) -> ApiResult<(Policy, i64)> {
    let row: Option<Row> =
        db::first(db, "SELECT policy, version FROM network_policies WHERE workspace_id = ?1", &[text(workspace_id)])
            .await?;
    match row {
        Some(r) => Ok((serde_json::from_str(&r.policy).map_err(|e| fault("stored network policy", e))?, r.version)),
        None => Ok((Policy::default(), 0)),
    }
}

pub fn put(db: &Db, workspace_id: &str, policy: &Policy, by: &str, now: i64) -> ApiResult<D1PreparedStatement> {
    let json = serde_json::to_string(policy).map_err(|e| fault("encode network policy", e))?;
    db::stmt(
        db,
        "INSERT INTO network_policies (workspace_id, policy, version, updated_at, updated_by) VALUES (?1, ?2, 1, ?3, ?4) \
         ON CONFLICT (workspace_id) DO UPDATE SET policy = excluded.policy, version = network_policies.version + 1, \
         updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        &[text(workspace_id), text(&json), int(now), text(by)],
    )
}
