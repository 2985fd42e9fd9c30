//! The directory database (`DIRECTORY`): what must resolve before a request knows its tenant.
//! workspace → shard, email → workspaces (sign-in), SAML provider id → workspace (the public
//! SAML routes). Credentials carry their shard, so the authenticated hot path never reads it.
//!
//! The indexes live in another database than the rows they point at, so they cannot be written
//! in the same transaction. The rule that keeps them safe: an entry is added before the shard
//! row it points at and removed after it, and every reader checks the shard row. A stale entry
//! costs a wasted lookup; a missing one never happens.

use serde::Deserialize;

use crate::edge::db::{self, int, text, Db};
use crate::error::ApiResult;
use crate::tenancy::Shard;

/// A workspace and the shard that holds it.
#[derive(Debug, Clone, Deserialize)]
pub struct Placement {
    pub workspace_id: String,
    pub shard: Shard,
}

/// The workspaces an email may sign in to, with their shards.
pub async fn memberships(db: &Db, email: &str) -> ApiResult<Vec<Placement>> {
    db::all(
        db,
        "SELECT e.workspace_id, w.shard FROM email_index e JOIN workspace_shards w ON w.workspace_id = e.workspace_id \
         WHERE e.email = ?1 ORDER BY e.workspace_id LIMIT 20",
        &[text(email)],
    )
    .await
}

/// The workspace of a public SAML provider id, with its shard.
pub async fn saml_provider(db: &Db, provider_id: &str) -> ApiResult<Option<Placement>> {
    db::first(
        db,
        "SELECT p.workspace_id, w.shard FROM saml_provider_index p \
         JOIN workspace_shards w ON w.workspace_id = p.workspace_id WHERE p.provider_id = ?1",
        &[text(provider_id)],
    )
    .await
}

/// Where a workspace lives.
pub async fn workspace(db: &Db, workspace_id: &str) -> ApiResult<Option<Placement>> {
    db::first(db, "SELECT workspace_id, shard FROM workspace_shards WHERE workspace_id = ?1", &[text(workspace_id)])
        .await
}

/// Adds sign-in entries (before the user rows are written).
pub async fn index_emails(db: &Db, workspace_id: &str, emails: &[&str]) -> ApiResult<()> {
    let statements = emails
        .iter()
        .map(|e| {
            db::stmt(
                db,
                "INSERT OR IGNORE INTO email_index (email, workspace_id) VALUES (?1, ?2)",
                &[text(e), text(workspace_id)],
            )
        })
        .collect::<ApiResult<Vec<_>>>()?;
    run_batch(db, statements).await
}

/// Drops a sign-in entry (after the user row is gone or changed its email).
pub async fn unindex_email(db: &Db, workspace_id: &str, email: &str) -> ApiResult<()> {
    db::run(db, "DELETE FROM email_index WHERE email = ?1 AND workspace_id = ?2", &[text(email), text(workspace_id)])
        .await
}

pub async fn index_saml_provider(db: &Db, provider_id: &str, workspace_id: &str) -> ApiResult<()> {
    db::run(
        db,
        "INSERT OR IGNORE INTO saml_provider_index (provider_id, workspace_id) VALUES (?1, ?2)",
        &[text(provider_id), text(workspace_id)],
    )
    .await
}

pub async fn unindex_saml_provider(db: &Db, provider_id: &str) -> ApiResult<()> {
    db::run(db, "DELETE FROM saml_provider_index WHERE provider_id = ?1", &[text(provider_id)]).await
}

/// Points a workspace at a shard (workspace creation; the end of a move).
pub async fn place(db: &Db, workspace_id: &str, shard: Shard, now: i64) -> ApiResult<()> {
    db::run(
        db,
        "INSERT INTO workspace_shards (workspace_id, shard, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (workspace_id) DO UPDATE SET shard = excluded.shard, updated_at = excluded.updated_at",
        &[text(workspace_id), int(i64::from(shard.0)), int(now)],
    )
    .await
}

async fn run_batch(db: &Db, statements: Vec<worker::D1PreparedStatement>) -> ApiResult<()> {
    if statements.is_empty() {
        return Ok(());
    }
    db.batch(statements).await.map_err(|e| crate::edge::http::fault("directory batch", e))?;
    Ok(())
}
