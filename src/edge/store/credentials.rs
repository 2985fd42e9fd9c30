//! WebAuthn credentials (passkeys and security keys) of a user.

use serde::Deserialize;
use serde_json::{json, Value};
use worker::D1PreparedStatement;

use crate::edge::db::Db;

use crate::edge::db::{self, int, text};
use crate::error::ApiResult;
use crate::time::format_ms;

#[derive(Debug, Clone, Deserialize)]
pub struct CredentialRow {
    pub id: String,
    pub workspace_id: String,
    pub user_id: String,
    pub public_key: String,
    pub alg: i64,
    pub aaguid: String,
    pub transports: String,
    pub backup_eligible: i64,
    pub backup_state: i64,
    pub sign_count: i64,
    pub attestation_fmt: String,
    pub attestation_verified: i64,
    pub nickname: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

impl CredentialRow {
    pub fn transports(&self) -> Vec<String> {
        serde_json::from_str(&self.transports).unwrap_or_default()
    }

    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "nickname": self.nickname,
            "aaguid": self.aaguid,
            "authenticator": catalog_entry(&self.aaguid).map(|e| e.name.to_string()),
            "authenticatorCategory": catalog_entry(&self.aaguid).map(|e| e.category.code()),
            "transports": self.transports(),
            "backupEligible": self.backup_eligible != 0,
            "backedUp": self.backup_state != 0,
            "attestation": {"format": self.attestation_fmt, "verified": self.attestation_verified != 0},
            "signCount": self.sign_count,
            "createdAt": format_ms(self.created_at),
            "lastUsedAt": self.last_used_at.map(format_ms),
        })
    }
}

/// The catalog's entry (name, category) for an AAGUID, if it is a known authenticator.
fn catalog_entry(aaguid: &str) -> Option<&'static crate::attestation_policy::CatalogEntry> {
    use crate::attestation_policy::{lookup, parse_aaguid, CATALOG};
    parse_aaguid(aaguid).and_then(|a| lookup(CATALOG, &a))
}

pub async fn list(db: &Db, workspace_id: &str, user_id: &str) -> ApiResult<Vec<CredentialRow>> {
    db::all(
        db,
        "SELECT * FROM webauthn_credentials WHERE workspace_id = ?1 AND user_id = ?2 ORDER BY created_at LIMIT 100",
        &[text(workspace_id), text(user_id)],
    )
    .await
}

pub async fn get(db: &Db, workspace_id: &str, user_id: &str, id: &str) -> ApiResult<Option<CredentialRow>> {
    db::first(
        db,
        "SELECT * FROM webauthn_credentials WHERE workspace_id = ?1 AND user_id = ?2 AND id = ?3",
        &[text(workspace_id), text(user_id), text(id)],
    )
    .await
}

pub fn insert(db: &Db, c: &CredentialRow) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "INSERT INTO webauthn_credentials (id, workspace_id, user_id, public_key, alg, aaguid, transports, backup_eligible, \
         backup_state, sign_count, attestation_fmt, attestation_verified, nickname, created_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        &[text(&c.id), text(&c.workspace_id), text(&c.user_id), text(&c.public_key), int(c.alg), text(&c.aaguid),
          text(&c.transports), int(c.backup_eligible), int(c.backup_state), int(c.sign_count), text(&c.attestation_fmt),
          int(c.attestation_verified), text(&c.nickname), int(c.created_at)],
    )
}

/// After a verified assertion: counter, backup state, last use.
pub fn record_use(
    db: &Db,
    c: &CredentialRow,
    sign_count: u32,
    backup_state: bool,
    now: i64,
) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE webauthn_credentials SET sign_count = ?4, backup_state = ?5, last_used_at = ?6 \
         WHERE workspace_id = ?1 AND user_id = ?2 AND id = ?3",
        &[
            text(&c.workspace_id),
            text(&c.user_id),
            text(&c.id),
            int(i64::from(sign_count)),
            int(i64::from(backup_state)),
            int(now),
        ],
    )
}

pub fn rename(db: &Db, c: &CredentialRow, nickname: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE webauthn_credentials SET nickname = ?4 WHERE workspace_id = ?1 AND user_id = ?2 AND id = ?3",
        &[text(&c.workspace_id), text(&c.user_id), text(&c.id), text(nickname)],
    )
}

pub fn delete(db: &Db, c: &CredentialRow) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "DELETE FROM webauthn_credentials WHERE workspace_id = ?1 AND user_id = ?2 AND id = ?3",
        &[text(&c.workspace_id), text(&c.user_id), text(&c.id)],
    )
}
