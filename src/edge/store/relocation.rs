//! Moving a workspace between shards: the SQL. `edge::handlers::operator` runs the steps (copy,
//! freeze, re-copy, verify, switch, clean up) and `edge::forwarding` follows the forwarding rows
//! this module writes.
//!
//! Rows travel as JSON: a page is read with `SELECT *` and written to the other database as
//! one bound JSON array that `json_each` unpacks (`INSERT … SELECT … FROM json_each(?1)`), so a
//! page of hundreds of rows is one statement with one parameter, whatever the table. Writes are
//! upserts (`ON CONFLICT DO UPDATE`, in place): copying a row twice changes nothing, so a move
//! that failed half-way can simply be run again. (Not `INSERT OR REPLACE`: REPLACE deletes the
//! old row first, and D1 enforces foreign keys, so replacing a user would cascade away its
//! emails and group memberships, or fail on its sessions and tokens.)
//!
//! Columns are taken from the rows themselves, so a column added to `schema.sql` moves without
//! a change here; a table added to it must be listed in [`TABLES`] or [`NOT_MOVED`] (a test
//! reads `schema.sql`).

use serde::Deserialize;
use serde_json::{Map, Value};
use wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, D1Result};

use crate::edge::db::{self, int, text, Db};
use crate::edge::http::fault;
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::tenancy::Shard;

/// One row, column → value, as D1 returns it.
pub type Row = Map<String, Value>;

/// A table that holds rows of a workspace.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    /// The column that says which workspace a row belongs to. Every query below names it.
    pub scope: &'static str,
    /// The primary key: the order pages are read in, and what tells two rows apart.
    pub key: &'static [&'static str],
}

const fn table(name: &'static str, scope: &'static str, key: &'static [&'static str]) -> Table {
    Table { name, scope, key }
}

/// The ledger: copied by `seq` (append-only, immutable once sealed), not compared row by row.
pub const LEDGER: &str = "audit_log";

/// Every table of `schema.sql` that holds a workspace's rows, parents before children: copies
/// insert in this order and the clean-up deletes in reverse (D1 enforces foreign keys). Every one
/// of them carries the workspace in a column of its own, including the tables whose rows hang off
/// another row (`user_emails` and `scim_group_members` off users and groups, `webhook_messages`
/// and `webhook_attempts` off a subscription), so no row is reached only through a join.
pub const TABLES: &[Table] = &[
    table("workspaces", "id", &["id"]),
    table("users", "workspace_id", &["id"]),
    table("user_emails", "workspace_id", &["user_id", "position"]),
    table("scim_groups", "workspace_id", &["id"]),
    table("scim_group_members", "workspace_id", &["group_id", "user_id"]),
    table("invitations", "workspace_id", &["id"]),
    table("api_tokens", "workspace_id", &["id"]),
    table("sessions", "workspace_id", &["id"]),
    table("webauthn_credentials", "workspace_id", &["id"]),
    table("totp_factors", "workspace_id", &["user_id"]),
    table("backup_codes", "workspace_id", &["user_id", "code_hash"]),
    table("attestation_policies", "workspace_id", &["workspace_id"]),
    table("network_policies", "workspace_id", &["workspace_id"]),
    table("saml_providers", "workspace_id", &["id"]),
    table("webhook_subscriptions", "workspace_id", &["id"]),
    table("webhook_messages", "workspace_id", &["subscription_id", "id"]),
    table("webhook_attempts", "workspace_id", &["id"]),
    table("audit_checkpoints", "workspace_id", &["id"]),
    table(LEDGER, "workspace_id", &["workspace_id", "seq"]),
];

/// Tables of the shard schema that hold no workspace's rows: the shard's identity, and the
/// forwarding a move leaves behind (written by the move itself), and the counts that triggers
/// keep on each shard as the moved rows arrive and leave.
pub const NOT_MOVED: &[&str] = &["shard_meta", "relocations", "relocated_tokens", "workspace_counts"];

/// Rows read per page.
pub const PAGE_ROWS: i64 = 500;
/// Rows deleted per statement when the source is cleaned up: each is one short write.
pub const DELETE_ROWS: i64 = 1000;
/// Largest JSON array bound to one upsert. D1 caps a string at 2 MB; this keeps each statement
/// (and each batch of [`BATCH_STATEMENTS`]) far below it. A single larger row goes alone.
const CHUNK_BYTES: usize = 256 * 1024;
/// Statements per D1 batch (each batch is one transaction: kept short).
const BATCH_STATEMENTS: usize = 8;

fn identifier(name: &str) -> ApiResult<&str> {
    let ok = !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then_some(name).ok_or_else(|| fault("relocation", format!("unexpected column name {name:?}")))
}

/// A JSON value bound as a D1 argument.
fn bind(v: &Value) -> JsValue {
    match v {
        Value::Null => JsValue::NULL,
        Value::Bool(b) => int(i64::from(*b)),
        Value::Number(n) => n.as_i64().map_or_else(|| JsValue::from_f64(n.as_f64().unwrap_or_default()), int),
        Value::String(s) => text(s),
        other => text(&other.to_string()),
    }
}

/// `(k1, k2)`.
fn key_tuple(t: &Table) -> String {
    format!("({})", t.key.join(", "))
}

/// `(?a, ?b, …)` numbered from `first`.
fn placeholders(first: usize, n: usize) -> String {
    let list: Vec<String> = (first..first + n).map(|i| format!("?{i}")).collect();
    format!("({})", list.join(", "))
}

/// A row's primary key.
pub fn key_of(t: &Table, row: &Row) -> Vec<Value> {
    t.key.iter().map(|k| row.get(*k).cloned().unwrap_or(Value::Null)).collect()
}

/// One page of a workspace's rows of `t` in key order (only the `columns` given, else all):
/// keys above `after` (from the start when `None`) and, when `upto` is given, not above it (then
/// every such row, no limit).
pub async fn page(
    db: &Db,
    t: &Table,
    workspace_id: &str,
    columns: Option<&[&str]>,
    after: Option<&[Value]>,
    upto: Option<&[Value]>,
) -> ApiResult<Vec<Row>> {
    let keys = key_tuple(t);
    let columns = columns.map_or_else(|| "*".to_string(), |c| c.join(", "));
    let mut sql = format!("SELECT {columns} FROM {} WHERE {} = ?1", t.name, t.scope);
    let mut args = vec![text(workspace_id)];
    if let Some(after) = after {
        sql += &format!(" AND {keys} > {}", placeholders(args.len() + 1, after.len()));
        args.extend(after.iter().map(bind));
    }
    if let Some(upto) = upto {
        sql += &format!(" AND {keys} <= {}", placeholders(args.len() + 1, upto.len()));
        args.extend(upto.iter().map(bind));
    }
    sql += &format!(" ORDER BY {}", t.key.join(", "));
    if upto.is_none() {
        sql += &format!(" LIMIT {PAGE_ROWS}");
    }
    db::all(db, &sql, &args).await
}

/// Sealed ledger rows of the workspace with `seq > after`, oldest first, one page.
pub async fn sealed_ledger_page(db: &Db, workspace_id: &str, after: i64) -> ApiResult<Vec<Row>> {
    db::all(
        db,
        &format!(
            "SELECT * FROM {LEDGER} WHERE workspace_id = ?1 AND seq > ?2 AND hash IS NOT NULL ORDER BY seq LIMIT {PAGE_ROWS}"
        ),
        &[text(workspace_id), int(after)],
    )
    .await
}

/// Upserts of `rows` into `t`, a JSON array of rows per statement.
pub fn upserts(db: &Db, t: &Table, rows: &[&Row]) -> ApiResult<Vec<D1PreparedStatement>> {
    let Some(first) = rows.first() else { return Ok(Vec::new()) };
    let columns = first.keys().map(|c| identifier(c)).collect::<ApiResult<Vec<_>>>()?;
    let values: Vec<String> = columns.iter().map(|c| format!("json_extract(value, '$.\"{c}\"')")).collect();
    let updates: Vec<String> = columns.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    // `WHERE true` keeps SQLite from reading ON CONFLICT as part of the SELECT's join.
    let sql = format!(
        "INSERT INTO {} ({}) SELECT {} FROM json_each(?1) WHERE true ON CONFLICT DO UPDATE SET {}",
        t.name,
        columns.join(", "),
        values.join(", "),
        updates.join(", ")
    );
    let mut statements = Vec::new();
    let mut chunk: Vec<String> = Vec::new();
    let mut bytes = 0;
    let mut flush = |chunk: &mut Vec<String>| -> ApiResult<()> {
        if !chunk.is_empty() {
            statements.push(db::stmt(db, &sql, &[text(&format!("[{}]", chunk.join(",")))])?);
            chunk.clear();
        }
        Ok(())
    };
    for row in rows {
        let json = serde_json::to_string(row).map_err(|e| fault("relocation row", e))?;
        if bytes + json.len() > CHUNK_BYTES {
            flush(&mut chunk)?;
            bytes = 0;
        }
        bytes += json.len() + 1;
        chunk.push(json);
    }
    flush(&mut chunk)?;
    Ok(statements)
}

/// Deletes of the workspace's rows of `t` with these keys.
pub fn deletes(db: &Db, t: &Table, workspace_id: &str, keys: &[Vec<Value>]) -> ApiResult<Vec<D1PreparedStatement>> {
    let picks: Vec<String> = (0..t.key.len()).map(|i| format!("json_extract(value, '$[{i}]')")).collect();
    let sql = format!(
        "DELETE FROM {} WHERE {} = ?1 AND {} IN (SELECT {} FROM json_each(?2))",
        t.name,
        t.scope,
        key_tuple(t),
        picks.join(", ")
    );
    keys.chunks(PAGE_ROWS as usize)
        .map(|chunk| {
            let array = serde_json::to_string(chunk).map_err(|e| fault("relocation keys", e))?;
            db::stmt(db, &sql, &[text(workspace_id), text(&array)])
        })
        .collect()
}

/// Runs statements in batches of [`BATCH_STATEMENTS`]; each batch is one transaction.
pub async fn run(db: &Db, statements: Vec<D1PreparedStatement>, what: &str) -> ApiResult<()> {
    let mut statements = statements.into_iter().peekable();
    while statements.peek().is_some() {
        let batch: Vec<_> = statements.by_ref().take(BATCH_STATEMENTS).collect();
        db.batch(batch).await.map_err(|e| fault(what, e))?;
    }
    Ok(())
}

/// Deletes up to [`DELETE_ROWS`] of the workspace's rows of `t`; how many went.
pub async fn delete_some(db: &Db, t: &Table, workspace_id: &str) -> ApiResult<usize> {
    let keys = key_tuple(t);
    let sql = format!(
        "DELETE FROM {name} WHERE {scope} = ?1 AND {keys} IN (SELECT {list} FROM {name} WHERE {scope} = ?1 LIMIT {DELETE_ROWS})",
        name = t.name,
        scope = t.scope,
        list = t.key.join(", ")
    );
    let results = db
        .batch(vec![db::stmt(db, &sql, &[text(workspace_id)])?])
        .await
        .map_err(|e| fault("relocation clean-up", e))?;
    Ok(results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0))
}

#[derive(Deserialize)]
struct Count {
    n: u64,
}

/// How many rows of the workspace this shard still holds, over every table (one batch).
pub async fn count(db: &Db, workspace_id: &str) -> ApiResult<u64> {
    let statements = TABLES
        .iter()
        .map(|t| {
            db::stmt(db, &format!("SELECT COUNT(*) AS n FROM {} WHERE {} = ?1", t.name, t.scope), &[text(workspace_id)])
        })
        .collect::<ApiResult<Vec<_>>>()?;
    let results = db.batch(statements).await.map_err(|e| fault("relocation count", e))?;
    let mut n = 0;
    for result in &results {
        n += db::rows::<Count>(result)?.first().map_or(0, |c| c.n);
    }
    Ok(n)
}

#[derive(Deserialize)]
struct Found {
    #[allow(dead_code)]
    id: String,
}

/// Whether this shard holds the workspace's row.
pub async fn holds(db: &Db, workspace_id: &str) -> ApiResult<bool> {
    Ok(db::first::<Found>(db, "SELECT id FROM workspaces WHERE id = ?1", &[text(workspace_id)]).await?.is_some())
}

/// Freezes the workspace's writes until `until` (Unix ms): the `audit_log` trigger of
/// migrations/0004 refuses its new events, and with them every write of the API.
pub async fn freeze(db: &Db, workspace_id: &str, until: i64) -> ApiResult<()> {
    let found: Option<Found> = db::first(
        db,
        "UPDATE workspaces SET moving_until = ?2 WHERE id = ?1 RETURNING id",
        &[text(workspace_id), int(until)],
    )
    .await?;
    found.map(|_| ()).ok_or_else(|| ApiError::with_reason(ErrorCode::NotFound, "the workspace is not on its shard"))
}

/// Lifts a freeze (a move that gave up before the switch).
pub async fn unfreeze(db: &Db, workspace_id: &str) -> ApiResult<()> {
    db::run(db, "UPDATE workspaces SET moving_until = NULL WHERE id = ?1", &[text(workspace_id)]).await
}

/// The target becomes the workspace's home: forwarding rows a former move left here for it go
/// (credentials naming this shard now find their rows here), and the copy's freeze is lifted.
pub fn take_in(db: &Db, workspace_id: &str) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db::stmt(db, "DELETE FROM relocations WHERE workspace_id = ?1", &[text(workspace_id)])?,
        db::stmt(db, "DELETE FROM relocated_tokens WHERE workspace_id = ?1", &[text(workspace_id)])?,
        db::stmt(db, "UPDATE workspaces SET moving_until = NULL WHERE id = ?1", &[text(workspace_id)])?,
    ])
}

/// On the source, before its rows go: where the workspace went, and where each of its tokens
/// (PAT and SCIM token ids, invitation token hashes) went. From here on the source refuses the
/// workspace's writes for good (the trigger reads `relocations`).
pub fn forward(db: &Db, workspace_id: &str, to: Shard, now: i64) -> ApiResult<Vec<D1PreparedStatement>> {
    let args = [text(workspace_id), int(i64::from(to.0)), int(now)];
    let tokens = |source: &str| {
        format!(
            "INSERT INTO relocated_tokens (token_key, workspace_id, shard, moved_at) {source} \
             ON CONFLICT (token_key) DO UPDATE SET workspace_id = excluded.workspace_id, shard = excluded.shard, \
             moved_at = excluded.moved_at"
        )
    };
    Ok(vec![
        db::stmt(
            db,
            "INSERT INTO relocations (workspace_id, shard, moved_at) VALUES (?1, ?2, ?3) \
             ON CONFLICT (workspace_id) DO UPDATE SET shard = excluded.shard, moved_at = excluded.moved_at",
            &args,
        )?,
        db::stmt(db, &tokens("SELECT id, workspace_id, ?2, ?3 FROM api_tokens WHERE workspace_id = ?1"), &args)?,
        db::stmt(
            db,
            &tokens("SELECT token_hash, workspace_id, ?2, ?3 FROM invitations WHERE workspace_id = ?1"),
            &args,
        )?,
    ])
}

/// On any other shard: forwarding rows for the workspace now point at its new home, so an old
/// credential is always one hop from its rows.
pub fn repoint(db: &Db, workspace_id: &str, to: Shard) -> ApiResult<Vec<D1PreparedStatement>> {
    let args = [text(workspace_id), int(i64::from(to.0))];
    Ok(vec![
        db::stmt(db, "UPDATE relocations SET shard = ?2 WHERE workspace_id = ?1", &args)?,
        db::stmt(db, "UPDATE relocated_tokens SET shard = ?2 WHERE workspace_id = ?1", &args)?,
    ])
}

/// Where a token that left this shard went: the probe rides in the lookup's batch.
pub fn token_probe(db: &Db, token_key: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(db, "SELECT shard FROM relocated_tokens WHERE token_key = ?1", &[text(token_key)])
}

/// Where a workspace that left this shard went.
pub fn workspace_probe(db: &Db, workspace_id: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(db, "SELECT shard FROM relocations WHERE workspace_id = ?1", &[text(workspace_id)])
}

#[derive(Deserialize)]
struct Forwarded {
    shard: Shard,
}

/// The shard a probe found, if any.
pub fn decode_probe(result: &D1Result) -> ApiResult<Option<Shard>> {
    Ok(db::rows::<Forwarded>(result)?.into_iter().next().map(|f| f.shard))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The tenant-shard part of `schema.sql` (the directory's part follows the marker).
    fn shard_schema() -> &'static str {
        let schema = include_str!("../../../schema.sql");
        schema.split("-- The directory database (binding DIRECTORY").next().unwrap()
    }

    /// `CREATE TABLE` name → its body.
    fn tables() -> Vec<(String, String)> {
        shard_schema()
            .split("CREATE TABLE IF NOT EXISTS ")
            .skip(1)
            .map(|chunk| {
                let name = chunk.split_whitespace().next().unwrap().to_string();
                let body = chunk.split("\n);").next().unwrap().to_string();
                (name, body)
            })
            .collect()
    }

    #[test]
    fn every_table_of_the_shard_schema_is_moved_or_said_not_to_be() {
        let schema: BTreeSet<String> = tables().into_iter().map(|(n, _)| n).collect();
        let listed: BTreeSet<String> =
            TABLES.iter().map(|t| t.name.to_string()).chain(NOT_MOVED.iter().map(|n| n.to_string())).collect();
        assert_eq!(schema, listed, "schema.sql tables vs relocation::TABLES + NOT_MOVED");
        assert_eq!(TABLES.len() + NOT_MOVED.len(), listed.len(), "a table is listed twice");
    }

    #[test]
    fn scope_and_key_columns_exist_and_parents_come_first() {
        let tables = tables();
        let body = |name: &str| tables.iter().find(|(n, _)| n == name).map(|(_, b)| b.clone()).unwrap();
        for (i, t) in TABLES.iter().enumerate() {
            let b = body(t.name);
            let has = |column: &str| b.lines().any(|l| l.trim_start().starts_with(&format!("{column} ")));
            assert!(has(t.scope), "{}.{} (scope)", t.name, t.scope);
            for k in t.key {
                assert!(has(k), "{}.{k} (key)", t.name);
            }
            for parent in b.split("REFERENCES ").skip(1).map(|r| r.split('(').next().unwrap().trim()) {
                let at = TABLES.iter().position(|p| p.name == parent).unwrap_or_else(|| panic!("{parent} not moved"));
                assert!(at <= i, "{} references {parent}, which must come first", t.name);
            }
        }
        assert_eq!(TABLES.last().map(|t| t.name), Some(LEDGER));
    }

    #[test]
    fn sql_pieces() {
        let t = &TABLES[2];
        assert_eq!(key_tuple(t), "(user_id, position)");
        assert_eq!(placeholders(2, 2), "(?2, ?3)");
        assert!(identifier("moving_until").is_ok());
        for bad in ["", "a b", "x'--", "A", "\"x\""] {
            assert!(identifier(bad).is_err(), "{bad:?}");
        }
        let row: Row = serde_json::from_str(r#"{"user_id": "u_1", "position": 0, "value": "a@b"}"#).unwrap();
        assert_eq!(key_of(t, &row), vec![Value::from("u_1"), Value::from(0)]);
    }

    /// The move trigger's refusal is the one D1 failure that is not a 500.
    #[test]
    fn the_trigger_refusal_is_workspace_moving() {
        let refused =
            fault("D1 batch", "D1_ERROR: WORKSPACE_MOVING: SQLITE_CONSTRAINT (extended: SQLITE_CONSTRAINT_TRIGGER)");
        assert_eq!((refused.code, refused.status(), refused.retry_after), (ErrorCode::WorkspaceMoving, 503, Some(2)));
        let other = fault("D1 batch", "D1_ERROR: no such table: nope");
        assert_eq!(other.code, ErrorCode::InternalError);
        let trigger = include_str!("../../../migrations/0004_workspace_moves.sql");
        assert!(trigger.contains(&format!("RAISE(ABORT, '{}')", ErrorCode::WorkspaceMoving.as_str())));
    }
}
