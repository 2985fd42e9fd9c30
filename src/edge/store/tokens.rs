//! Personal access tokens and SCIM tokens (`api_tokens`): only hashes are stored.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::{D1PreparedStatement, D1Result};

use crate::edge::db::Db;

use crate::edge::db::{self, int, opt_int, opt_text, text};
use crate::edge::store::users::{self, UserRow};
use crate::error::ApiResult;
use crate::session::tokens::{MintedToken, TokenKind};

/// The `kind` column value for a token kind.
pub fn kind_name(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Pat => "pat",
        TokenKind::Scim => "scim",
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct TokenRow {
    pub id: String,
    pub workspace_id: String,
    pub kind: String,
    pub user_id: Option<String>,
    pub name: String,
    pub token_hash: String,
    pub hint: String,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub created_at: i64,
}

impl TokenRow {
    /// The listing view: never the secret or its hash.
    pub fn to_json(&self) -> Value {
        let ts = |t: Option<i64>| t.map(crate::time::format_ms);
        json!({
            "id": self.id,
            "name": self.name,
            "hint": format!("…{}", self.hint),
            "createdAt": crate::time::format_ms(self.created_at),
            "expiresAt": ts(self.expires_at),
            "lastUsedAt": ts(self.last_used_at),
            "revokedAt": ts(self.revoked_at),
        })
    }
}

/// Looks a token up by the id embedded in it (globally unique).
pub async fn by_id(db: &Db, kind: &str, id: &str) -> ApiResult<Option<TokenRow>> {
    db::first(db, "SELECT * FROM api_tokens WHERE id = ?1 AND kind = ?2", &[text(id), text(kind)]).await
}

/// A personal access token with its owner and the owner's workspace standing.
#[derive(Debug, Clone, Deserialize)]
pub struct PatRow {
    #[serde(flatten)]
    pub user: UserRow,
    pub token_id: String,
    pub token_hash: String,
    pub token_expires_at: Option<i64>,
    pub token_last_used_at: Option<i64>,
    pub token_revoked_at: Option<i64>,
}

/// PAT authentication in one statement: the token by the id embedded in it (globally unique)
/// ⋈ its owner ⋈ the workspace's status and network-policy version. The caller checks the hash.
pub fn pat_with_owner(db: &Db, id: &str) -> ApiResult<D1PreparedStatement> {
    let sql = format!(
        "SELECT {}, t.id AS token_id, t.token_hash, t.expires_at AS token_expires_at, \
         t.last_used_at AS token_last_used_at, t.revoked_at AS token_revoked_at \
         FROM api_tokens t JOIN {} \
         WHERE t.id = ?1 AND t.kind = 'pat' AND u.workspace_id = t.workspace_id AND u.id = t.user_id",
        users::COLUMNS,
        users::JOINED
    );
    db::stmt(db, &sql, &[text(id)])
}

pub fn decode_pat(result: &D1Result) -> ApiResult<Option<PatRow>> {
    Ok(db::rows(result)?.into_iter().next())
}

/// A SCIM token with its workspace's status and network-policy version.
#[derive(Debug, Clone, Deserialize)]
pub struct ScimTokenRow {
    #[serde(flatten)]
    pub token: TokenRow,
    pub ws_status: String,
    pub network_policy_version: i64,
}

/// A SCIM token by the id embedded in it, with its workspace's standing (see [`decode_scim`]).
pub fn scim_by_id(db: &Db, id: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "SELECT t.*, w.status AS ws_status, COALESCE(n.version, 0) AS network_policy_version FROM api_tokens t \
         JOIN workspaces w ON w.id = t.workspace_id LEFT JOIN network_policies n ON n.workspace_id = t.workspace_id \
         WHERE t.id = ?1 AND t.kind = 'scim'",
        &[text(id)],
    )
}

pub fn decode_scim(result: &D1Result) -> ApiResult<Option<ScimTokenRow>> {
    Ok(db::rows(result)?.into_iter().next())
}

/// Tokens of a workspace; for PATs only the given owner's.
pub async fn list(db: &Db, workspace_id: &str, kind: &str, owner: Option<&str>) -> ApiResult<Vec<TokenRow>> {
    db::all(
        db,
        "SELECT * FROM api_tokens WHERE workspace_id = ?1 AND kind = ?2 AND (?3 IS NULL OR user_id = ?3) \
         ORDER BY created_at DESC LIMIT 200",
        &[text(workspace_id), text(kind), opt_text(owner)],
    )
    .await
}

pub struct NewToken<'a> {
    pub workspace_id: &'a str,
    pub user_id: &'a str,
    pub name: &'a str,
    pub expires_at: Option<i64>,
    pub now: i64,
}

pub fn insert(db: &Db, minted: &MintedToken, t: &NewToken<'_>) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "INSERT INTO api_tokens (id, workspace_id, kind, user_id, name, token_hash, hint, expires_at, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        &[
            text(&minted.id),
            text(t.workspace_id),
            text(kind_name(minted.kind)),
            text(t.user_id),
            text(t.name),
            text(&minted.hash),
            text(&minted.hint),
            opt_int(t.expires_at),
            int(t.now),
        ],
    )
}

pub fn revoke(db: &Db, row: &TokenRow, now: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE api_tokens SET revoked_at = ?3 WHERE workspace_id = ?1 AND id = ?2 AND revoked_at IS NULL",
        &[text(&row.workspace_id), text(&row.id), int(now)],
    )
}

/// How often `last_used_at` is refreshed: a busy token does not write on every request.
pub const TOUCH_EVERY_MS: i64 = 60_000;

/// Records use; callers skip it when the row they hold is fresher than [`TOUCH_EVERY_MS`].
pub async fn touch(db: &Db, id: &str, now: i64) -> ApiResult<()> {
    db::run(
        db,
        "UPDATE api_tokens SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
        &[text(id), int(now), int(now - TOUCH_EVERY_MS)],
    )
    .await
}
