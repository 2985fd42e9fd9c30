//! Second factors other than passkeys: the TOTP secret (sealed) and one-time backup codes,
//! plus the user's `mfa_enrolled` flag that sign-in's MFA requirement reads.

use serde::Deserialize;
use worker::D1PreparedStatement;

use crate::edge::db::Db;

use crate::edge::db::{self, int, text};
use crate::error::ApiResult;

#[derive(Debug, Clone, Deserialize)]
pub struct TotpRow {
    pub secret_sealed: String,
    pub confirmed_at: Option<i64>,
}

pub async fn totp(db: &Db, workspace_id: &str, user_id: &str) -> ApiResult<Option<TotpRow>> {
    db::first(
        db,
        "SELECT secret_sealed, confirmed_at FROM totp_factors WHERE workspace_id = ?1 AND user_id = ?2",
        &[text(workspace_id), text(user_id)],
    )
    .await
}

/// Starts (or restarts) an unconfirmed enrolment.
pub fn put_pending_totp(
    db: &Db,
    workspace_id: &str,
    user_id: &str,
    sealed: &str,
    now: i64,
) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "INSERT INTO totp_factors (user_id, workspace_id, secret_sealed, created_at) VALUES (?2, ?1, ?3, ?4) \
         ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at \
         WHERE totp_factors.confirmed_at IS NULL",
        &[text(workspace_id), text(user_id), text(sealed), int(now)],
    )
}

pub fn confirm_totp(db: &Db, workspace_id: &str, user_id: &str, now: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE totp_factors SET confirmed_at = ?3 WHERE workspace_id = ?1 AND user_id = ?2 AND confirmed_at IS NULL",
        &[text(workspace_id), text(user_id), int(now)],
    )
}

pub fn mark_enrolled(db: &Db, workspace_id: &str, user_id: &str, now: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE users SET mfa_enrolled = 1, updated_at = ?3 WHERE workspace_id = ?1 AND id = ?2",
        &[text(workspace_id), text(user_id), int(now)],
    )
}

/// Replaces the user's backup codes with these hashes.
pub fn replace_backup_codes(
    db: &Db,
    workspace_id: &str,
    user_id: &str,
    hashes: &[String],
) -> ApiResult<Vec<D1PreparedStatement>> {
    let mut statements = vec![db::stmt(
        db,
        "DELETE FROM backup_codes WHERE workspace_id = ?1 AND user_id = ?2",
        &[text(workspace_id), text(user_id)],
    )?];
    for hash in hashes {
        statements.push(db::stmt(
            db,
            "INSERT INTO backup_codes (workspace_id, user_id, code_hash) VALUES (?1, ?2, ?3)",
            &[text(workspace_id), text(user_id), text(hash)],
        )?);
    }
    Ok(statements)
}

#[derive(Deserialize)]
struct Hash {
    code_hash: String,
}

pub async fn unused_backup_codes(db: &Db, workspace_id: &str, user_id: &str) -> ApiResult<Vec<String>> {
    let rows: Vec<Hash> = db::all(
        db,
        "SELECT code_hash FROM backup_codes WHERE workspace_id = ?1 AND user_id = ?2 AND used_at IS NULL",
        &[text(workspace_id), text(user_id)],
    )
    .await?;
    Ok(rows.into_iter().map(|r| r.code_hash).collect())
}

/// Spends a backup code; `false` if it was already spent (two racing uses: one wins).
pub async fn spend_backup_code(db: &Db, workspace_id: &str, user_id: &str, hash: &str, now: i64) -> ApiResult<bool> {
    let spent: Option<Hash> = db::first(
        db,
        "UPDATE backup_codes SET used_at = ?4 WHERE workspace_id = ?1 AND user_id = ?2 AND code_hash = ?3 AND used_at IS NULL \
         RETURNING code_hash",
        &[text(workspace_id), text(user_id), text(hash), int(now)],
    )
    .await?;
    Ok(spent.is_some())
}
