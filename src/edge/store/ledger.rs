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
//!
//! Each event also writes its webhook outbox rows in that batch (`store::webhooks::fan_out`),
//! so a delivery exists exactly when its audit row does. `record` returns the deliveries that
//! are due; its caller (`edge::queue::record`) sends their wake-ups and then seals, and the
//! sweeper re-sends whatever a crash left behind. This module knows nothing of the queue.

use serde_json::Value;
use worker::{D1PreparedStatement, D1Result};

use crate::edge::db::Db;

use crate::audit::actions::Action;
use crate::audit::ledger::{AuditEntry, GENESIS_HASH};
use crate::audit::query::AuditFilter;
use crate::edge::crypto::new_id;
use crate::edge::db::{self, int, opt_text, text};
use crate::edge::http::fault;
use crate::edge::store::webhooks::{self, Job};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::netpolicy::whatif::{LedgerGroup, Window, REPLAYED_ACTORS};
use crate::tenancy::WorkspaceRef;
use crate::webhooks::payload;

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

fn insert(db: &Db, origin: &Origin<'_>, event: &Event, id: &str) -> ApiResult<D1PreparedStatement> {
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

/// Runs `changes` and appends `events` to the workspace's ledger atomically, with the webhook
/// outbox rows each event fans out to. Returns the deliveries written that are due now (not
/// parked), for the caller to queue. The new rows are left for [`seal`].
pub async fn record(
    db: &Db,
    origin: &Origin<'_>,
    events: &[Event],
    changes: Vec<D1PreparedStatement>,
) -> ApiResult<Vec<Job>> {
    let mut batch = changes;
    let mut fan_outs = Vec::with_capacity(events.len());
    for event in events {
        let id = new_id("evt_")?;
        batch.push(insert(db, origin, event, &id)?);
        let body = payload::event_body(event.action.code(), &id, origin.now_ms, origin.workspace_id, &event.data);
        fan_outs.push(batch.len());
        batch.push(webhooks::fan_out(db, origin.workspace_id, &id, event.action.code(), &body, origin.now_ms)?);
    }
    let results = match db.batch(batch).await {
        Ok(results) => results,
        Err(e) if e.to_string().contains("UNIQUE constraint failed") => return Err(conflict(&e.to_string())),
        Err(e) => return Err(fault("D1 batch", e)),
    };
    Ok(fan_outs.iter().filter_map(|i| results.get(*i)).flat_map(pending_jobs).collect())
}

/// The deliveries a fan-out statement wrote that are due now (not parked).
fn pending_jobs(result: &D1Result) -> Vec<Job> {
    let written: Vec<webhooks::Written> = result.results().unwrap_or_default();
    written
        .into_iter()
        .filter(|w| w.state == "pending")
        .map(|w| Job::Deliver { subscription: w.subscription_id, message: w.id })
        .collect()
}

fn conflict(text: &str) -> ApiError {
    let columns = text.split("UNIQUE constraint failed: ").nth(1).unwrap_or_default();
    let columns: String = columns.chars().take_while(|c| *c != ':').collect();
    ApiError::with_reason(
        ErrorCode::Conflict,
        format!("a resource with these unique values already exists ({})", columns.trim()),
    )
}

/// Links every unsealed row of the workspace into the chain, oldest first.
pub async fn seal(db: &Db, workspace_id: &str) -> ApiResult<()> {
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

/// One page of the filter's query (descending seq, one row past the page to tell if more follow).
pub fn page_stmt(db: &Db, f: &AuditFilter, workspace: WorkspaceRef<'_>) -> ApiResult<D1PreparedStatement> {
    let (sql, params) = f.page_sql(workspace);
    let args: Vec<_> = params.iter().map(db::value).collect();
    db::stmt(db, &sql, &args)
}

pub async fn page(db: &Db, f: &AuditFilter, workspace_id: &str) -> ApiResult<Vec<AuditEntry>> {
    db::all_of(db, page_stmt(db, f, WorkspaceRef::Id(workspace_id))?).await
}

/// Whether the workspace's newest ledger row still waits for its seal (rows are sealed in
/// `seq` order, so only the tail can).
pub fn pending_stmt(db: &Db, workspace: WorkspaceRef<'_>) -> ApiResult<D1PreparedStatement> {
    let sql = format!(
        "SELECT hash IS NULL AS n FROM audit_log WHERE workspace_id = {} ORDER BY seq DESC LIMIT 1",
        workspace.sql("?1")
    );
    db::stmt(db, &sql, &[text(workspace.value())])
}

/// The rows of a [`page_stmt`] and the answer of a [`pending_stmt`], run in that order.
pub fn decode_page(results: &[D1Result]) -> ApiResult<(Vec<AuditEntry>, bool)> {
    let (Some(page), Some(pending)) = (results.first(), results.get(1)) else {
        return Err(fault("audit page", "missing results"));
    };
    let pending = db::rows::<Count>(pending)?.first().is_some_and(|c| c.n != 0);
    Ok((db::rows(page)?, pending))
}

/// How many rows the filter matches in all.
pub async fn count(db: &Db, f: &AuditFilter, workspace_id: &str) -> ApiResult<i64> {
    let (condition, params) = f.where_clause(WorkspaceRef::Id(workspace_id));
    let args: Vec<_> = params.iter().map(db::value).collect();
    let sql = format!("SELECT COUNT(*) AS n FROM audit_log WHERE {condition}");
    Ok(db::first::<Count>(db, &sql, &args).await?.map_or(0, |c| c.n))
}

#[derive(serde::Deserialize)]
struct Count {
    n: i64,
}

/// The highest `seq` of the workspace's ledger (of its sealed rows only, if `sealed`); 0 if empty.
pub async fn head_seq(db: &Db, workspace_id: &str, sealed: bool) -> ApiResult<i64> {
    let sql = match sealed {
        true => "SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log WHERE workspace_id = ?1 AND hash IS NOT NULL",
        false => "SELECT COALESCE(MAX(seq), 0) AS n FROM audit_log WHERE workspace_id = ?1",
    };
    Ok(db::first::<Count>(db, sql, &[text(workspace_id)]).await?.map_or(0, |c| c.n))
}

/// Rows with `after < seq <= upto`, oldest first, at most `limit`: one page of a chain walk.
pub async fn chain_page(db: &Db, workspace_id: &str, after: i64, limit: i64, upto: i64) -> ApiResult<Vec<AuditEntry>> {
    let sql = format!(
        "SELECT {} FROM audit_log WHERE workspace_id = ?1 AND seq > ?2 AND seq <= ?4 ORDER BY seq ASC LIMIT ?3",
        crate::audit::query::AUDIT_COLUMNS.join(", ")
    );
    db::all(db, &sql, &[text(workspace_id), int(after), int(limit), int(upto)]).await
}

/// One cell of an hourly histogram: the rows of one category in one UTC hour.
#[derive(Debug, serde::Deserialize)]
pub struct HourCount {
    /// Hours since the Unix epoch (`at / 3_600_000`).
    pub hour: i64,
    /// The action's first `_`-separated segment (`ACCOUNT`, `WORKSPACE`, …).
    pub category: String,
    pub n: i64,
}

/// Rows matching the filter, counted per UTC hour and category, oldest hour first. The
/// filter's time range bounds the scan (the `(workspace_id, at)` index); its cursor is ignored.
pub async fn histogram(db: &Db, f: &AuditFilter, workspace_id: &str) -> ApiResult<Vec<HourCount>> {
    let f = AuditFilter { cursor: None, ..f.clone() };
    let (condition, params) = f.where_clause(WorkspaceRef::Id(workspace_id));
    let args: Vec<_> = params.iter().map(db::value).collect();
    let sql = format!(
        "SELECT at / 3600000 AS hour, \
         CASE WHEN instr(action, '_') > 0 THEN substr(action, 1, instr(action, '_') - 1) ELSE action END AS category, \
         COUNT(*) AS n FROM audit_log WHERE {condition} GROUP BY hour, category ORDER BY hour, category"
    );
    db::all(db, &sql, &args).await
}

/// The rows of `[from_ms, to_ms)` that record a client request (an address and a
/// [`REPLAYED_ACTORS`] actor), grouped by address, action and actor, with the actor's email and
/// role when it is a user of the workspace: the input of the network-policy what-if. One scan
/// of the `(workspace_id, at)` index.
pub async fn request_groups(db: &Db, workspace_id: &str, window: Window) -> ApiResult<Vec<LedgerGroup>> {
    let [user, pat, scim] = REPLAYED_ACTORS;
    db::all(
        db,
        "SELECT g.ip, g.action, g.actor_type, g.actor_id, g.surface, g.n, u.email, u.role FROM ( \
           SELECT ip, action, actor_type, actor_id, \
             CASE WHEN action IN (?4, ?5) THEN json_extract(data, '$.surface') END AS surface, COUNT(*) AS n \
           FROM audit_log WHERE workspace_id = ?1 AND at >= ?2 AND at < ?3 AND ip IS NOT NULL \
             AND actor_type IN (?6, ?7, ?8) \
           GROUP BY ip, action, actor_type, actor_id, surface) g \
         LEFT JOIN users u ON u.workspace_id = ?1 AND u.id = g.actor_id",
        &[
            text(workspace_id),
            int(window.from_ms),
            int(window.to_ms),
            text(Action::NetworkPolicyBlocked.code()),
            text(Action::NetworkPolicyWouldBlock.code()),
            text(user),
            text(pat),
            text(scim),
        ],
    )
    .await
}

/// The workspace's newest sealed row, `(seq, hash)`; `(0, GENESIS_HASH)` for an empty ledger.
/// Rows are sealed in `seq` order, so every row up to it is sealed too.
pub async fn sealed_head(db: &Db, workspace_id: &str) -> ApiResult<(i64, String)> {
    let sql = "SELECT seq, hash FROM audit_log WHERE workspace_id = ?1 AND hash IS NOT NULL ORDER BY seq DESC LIMIT 1";
    let head = db::first::<Head>(db, sql, &[text(workspace_id)]).await?;
    Ok(head.map_or((0, GENESIS_HASH.to_owned()), |h| (h.seq, h.hash)))
}
