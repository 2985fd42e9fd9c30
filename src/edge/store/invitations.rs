//! Invitations: an admin invites an email with a role; the invitee accepts with the token
//! (shown once, stored as SHA-256) and becomes a user of the workspace.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1PreparedStatement;

use crate::edge::db::Db;

use crate::edge::db::{self, int, text};
use crate::error::ApiResult;
use crate::time::format_ms;

/// How long an invitation can be accepted.
pub const TTL_MS: i64 = 7 * 24 * 3600 * 1000;

#[derive(Debug, Clone, Deserialize)]
pub struct InvitationRow {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub role: String,
    pub invited_by: String,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
    pub created_at: i64,
}

impl InvitationRow {
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "email": self.email,
            "role": self.role,
            "invitedBy": self.invited_by,
            "createdAt": format_ms(self.created_at),
            "expiresAt": format_ms(self.expires_at),
        })
    }

    pub fn is_open(&self, now_ms: i64) -> bool {
        self.accepted_at.is_none() && self.expires_at > now_ms
    }
}

const COLUMNS: &str = "id, workspace_id, email, role, invited_by, expires_at, accepted_at, created_at";

pub async fn pending(db: &Db, workspace_id: &str, now_ms: i64) -> ApiResult<Vec<InvitationRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM invitations WHERE workspace_id = ?1 AND accepted_at IS NULL AND expires_at > ?2 ORDER BY created_at DESC LIMIT 500"
    );
    db::all(db, &sql, &[text(workspace_id), int(now_ms)]).await
}

pub async fn get(db: &Db, workspace_id: &str, id: &str) -> ApiResult<Option<InvitationRow>> {
    let sql = format!("SELECT {COLUMNS} FROM invitations WHERE workspace_id = ?1 AND id = ?2");
    db::first(db, &sql, &[text(workspace_id), text(id)]).await
}

/// By the token's hash: the token is 256 random bits, so the hash is a safe lookup key.
pub async fn by_token_hash(db: &Db, token_hash: &str) -> ApiResult<Option<InvitationRow>> {
    db::first(db, &format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = ?1"), &[text(token_hash)]).await
}

/// [`by_token_hash`] as a statement, for a batch (`edge::forwarding` adds its probe).
pub fn by_token_hash_statement(db: &Db, token_hash: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(db, &format!("SELECT {COLUMNS} FROM invitations WHERE token_hash = ?1"), &[text(token_hash)])
}

/// Replaces any open invitation for the same email, then inserts this one.
pub fn upsert(db: &Db, row: &InvitationRow, token_hash: &str) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db::stmt(
            db,
            "DELETE FROM invitations WHERE workspace_id = ?1 AND email = ?2 AND accepted_at IS NULL",
            &[text(&row.workspace_id), text(&row.email)],
        )?,
        db::stmt(
            db,
            "INSERT INTO invitations (id, workspace_id, email, role, token_hash, invited_by, expires_at, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[
                text(&row.id),
                text(&row.workspace_id),
                text(&row.email),
                text(&row.role),
                text(token_hash),
                text(&row.invited_by),
                int(row.expires_at),
                int(row.created_at),
            ],
        )?,
    ])
}

pub fn delete(db: &Db, row: &InvitationRow) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "DELETE FROM invitations WHERE workspace_id = ?1 AND id = ?2",
        &[text(&row.workspace_id), text(&row.id)],
    )
}

pub fn mark_accepted(db: &Db, row: &InvitationRow, now_ms: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE invitations SET accepted_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND accepted_at IS NULL",
        &[text(&row.workspace_id), text(&row.id), int(now_ms)],
    )
}
