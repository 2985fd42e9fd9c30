//! Appending to and sealing the hash-chained audit ledger.
//!
//! `record` writes the audit rows in the same D1 batch as the change they describe, so
//! either both land or neither does. Each row's `seq` is assigned inside its INSERT
//! (`MAX(seq) + 1` for the workspace): D1 runs a batch as one serialized transaction, so
//! concurrent writers never collide and never retry. The chain is then sealed in `seq` order:
//! each unsealed row gets `prev_hash` = the previous row's hash and its own `hash`, written
//! with `WHERE hash IS NULL`. Sealing is deterministic, so sealers racing over the same rows
//! write identical values; a row left unsealed by a crash is sealed by the next writer or by
//! the verify and export endpoints.

use serde_json::Value;
use worker::{D1Database, D1PreparedStatement};

use crate::audit::actions::Action;
use crate::audit::ledger::{AuditEntry, GENESIS_HASH};
use crate::edge::crypto::new_id;
use crate::edge::db::{self, int, opt_text, text};
use crate::edge::http::fault;
use crate::error::{ApiError, ApiResult, ErrorCode};

/// Rows sealed per D1 round trip.
const SEAL_PAGE: i64 = 200;

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

fn insert(db: &D1Database, origin: &Origin<'_>, event: &Event, id: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "INSERT INTO audit_log (workspace_id, seq, id, at, action, actor_type, actor_id, resource_type, resource_id, ip, data) \
         SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10 FROM audit_log WHERE workspace_id = ?1",
        &[
            text(origin.workspace_id),
            text(id),
            int(origin.now_ms),
            text(event.action.code()),
            text(event.actor.kind),
            opt_text(event.actor.id.as_deref()),
            text(event.action.resource_type()),
            opt_text(event.resource_id.as_deref()),
            opt_text(origin.ip),
            text(&event.data.to_string()),
        ],
    )
}

/// Context shared by the events of one request.
pub struct Origin<'a> {
    pub workspace_id: &'a str,
    pub ip: Option<&'a str>,
    pub now_ms: i64,
}

/// Runs `changes` and appends `events` to the workspace's ledger atomically, then seals.
pub async fn record(
    db: &D1Database,
    origin: &Origin<'_>,
    events: &[Event],
    changes: Vec<D1PreparedStatement>,
) -> ApiResult<()> {
    let mut batch = changes;
    for event in events {
        batch.push(insert(db, origin, event, &new_id("evt_")?)?);
    }
    match db.batch(batch).await {
        Ok(_) => {}
        Err(e) if e.to_string().contains("UNIQUE constraint failed") => {
            let text = e.to_string();
            let columns = text.split("UNIQUE constraint failed: ").nth(1).unwrap_or_default();
            let columns: String = columns.chars().take_while(|c| *c != ':').collect();
            return Err(ApiError::with_reason(
                ErrorCode::Conflict,
                format!("a resource with these unique values already exists ({})", columns.trim()),
            ));
        }
        Err(e) => return Err(fault("D1 batch", e)),
    }
    if events.is_empty() {
        return Ok(());
    }
    seal(db, origin.workspace_id).await
}

/// Links every unsealed row of the workspace into the chain, oldest first.
pub async fn seal(db: &D1Database, workspace_id: &str) -> ApiResult<()> {
    loop {
        let sql =
            "SELECT seq, hash FROM audit_log WHERE workspace_id = ?1 AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1";
        let head: Option<Head> = db::first(db, sql, &[text(workspace_id)]).await?;
        let (head_seq, mut prev_hash) = head.map_or((0, GENESIS_HASH.to_string()), |h| (h.seq, h.hash));
        let sql = format!(
            "SELECT {} FROM audit_log WHERE workspace_id = ?1 AND seq > ?2 ORDER BY seq LIMIT {SEAL_PAGE}",
            crate::audit::query::AUDIT_COLUMNS.join(", ")
        );
        let rows: Vec<AuditEntry> = db::all(db, &sql, &[text(workspace_id), int(head_seq)]).await?;
        let mut updates = Vec::with_capacity(rows.len());
        for row in &rows {
            let sealed = AuditEntry { prev_hash, hash: String::new(), ..row.clone() }.seal();
            updates.push(db::stmt(
                db,
                "UPDATE audit_log SET prev_hash = ?3, hash = ?4 WHERE workspace_id = ?1 AND seq = ?2 AND hash IS NULL",
                &[text(workspace_id), int(sealed.seq), text(&sealed.prev_hash), text(&sealed.hash)],
            )?);
            prev_hash = sealed.hash;
        }
        if !updates.is_empty() {
            db.batch(updates).await.map_err(|e| fault("seal ledger", e))?;
        }
        if (rows.len() as i64) < SEAL_PAGE {
            return Ok(());
        }
    }
}

/// Rows by the filter's page query (descending seq).
pub async fn rows(db: &D1Database, sql: &str, args: &[wasm_bindgen::JsValue]) -> ApiResult<Vec<AuditEntry>> {
    db::all(db, sql, args).await
}
