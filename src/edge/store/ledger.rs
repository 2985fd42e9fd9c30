//! Appending to and reading the hash-chained audit ledger.
//!
//! `record` writes the audit rows in the same D1 batch as the change they describe, so
//! either both land or neither does. The chain head is read first; two writers racing for the
//! same `seq` collide on the primary key, the loser's whole batch rolls back, and it retries
//! on the new head.

use serde_json::Value;
use worker::{D1Database, D1PreparedStatement};

use crate::audit::actions::Action;
use crate::audit::ledger::{AuditEntry, GENESIS_HASH};
use crate::edge::crypto::new_id;
use crate::edge::db::{self, int, opt_text, text};
use crate::edge::http::fault;
use crate::error::{ApiError, ApiResult, ErrorCode};

const MAX_ATTEMPTS: usize = 8;

/// Who did it.
#[derive(Debug, Clone)]
pub struct Actor {
    pub kind: &'static str,
    pub id: Option<String>,
}

impl Actor {
    pub fn anonymous() -> Self {
        Self { kind: "anonymous", id: None }
    }
}

/// One event to append.
#[derive(Debug, Clone)]
pub struct Event {
    pub action: Action,
    pub actor: Actor,
    pub resource_id: Option<String>,
    pub data: Value,
}

#[derive(serde::Deserialize)]
struct Head {
    seq: i64,
    hash: String,
}

async fn head(db: &D1Database, workspace_id: &str) -> ApiResult<(i64, String)> {
    let sql = "SELECT seq, hash FROM audit_log WHERE workspace_id = ?1 ORDER BY seq DESC LIMIT 1";
    let head: Option<Head> = db::first(db, sql, &[text(workspace_id)]).await?;
    Ok(head.map_or((0, GENESIS_HASH.to_string()), |h| (h.seq, h.hash)))
}

fn insert(db: &D1Database, e: &AuditEntry) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "INSERT INTO audit_log (workspace_id, seq, id, at, action, actor_type, actor_id, resource_type, \
         resource_id, ip, data, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        &[
            text(&e.workspace_id),
            int(e.seq),
            text(&e.id),
            int(e.at_ms),
            text(&e.action),
            text(&e.actor_type),
            opt_text(e.actor_id.as_deref()),
            opt_text(e.resource_type.as_deref()),
            opt_text(e.resource_id.as_deref()),
            opt_text(e.ip.as_deref()),
            text(&e.data),
            text(&e.prev_hash),
            text(&e.hash),
        ],
    )
}

/// Context shared by the events of one request.
pub struct Origin<'a> {
    pub workspace_id: &'a str,
    pub ip: Option<&'a str>,
    pub now_ms: i64,
}

/// Runs `changes` and appends `events` to the workspace's chain, atomically.
pub async fn record(db: &D1Database, origin: &Origin<'_>, events: &[Event], changes: Vec<D1PreparedStatement>) -> ApiResult<()> {
    let ids = events.iter().map(|_| new_id("evt_")).collect::<ApiResult<Vec<_>>>()?;
    let mut last_error = String::new();
    for _ in 0..MAX_ATTEMPTS {
        let (mut seq, mut prev_hash) = head(db, origin.workspace_id).await?;
        let mut batch = changes.clone();
        for (event, id) in events.iter().zip(&ids) {
            seq += 1;
            let entry = AuditEntry {
                workspace_id: origin.workspace_id.to_string(),
                seq,
                id: id.clone(),
                at_ms: origin.now_ms,
                action: event.action.code().to_string(),
                actor_type: event.actor.kind.to_string(),
                actor_id: event.actor.id.clone(),
                resource_type: Some(event.action.resource_type().to_string()),
                resource_id: event.resource_id.clone(),
                ip: origin.ip.map(str::to_string),
                data: event.data.to_string(),
                prev_hash,
                hash: String::new(),
            }
            .seal();
            prev_hash = entry.hash.clone();
            batch.push(insert(db, &entry)?);
        }
        match db.batch(batch).await {
            Ok(_) => return Ok(()),
            Err(e) if e.to_string().contains("audit_log") => last_error = e.to_string(),
            Err(e) if e.to_string().contains("UNIQUE constraint failed") => {
                return Err(ApiError::with_reason(ErrorCode::Conflict, "a resource with these unique values already exists"))
            }
            Err(e) => return Err(fault("D1 batch", e)),
        }
    }
    Err(fault("audit chain contention", last_error))
}

/// Rows by the filter's page query (descending seq).
pub async fn rows(db: &D1Database, sql: &str, args: &[wasm_bindgen::JsValue]) -> ApiResult<Vec<AuditEntry>> {
    db::all(db, sql, args).await
}
