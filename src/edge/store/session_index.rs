//! The `sessions` index: one row per session, for listings and audits. The session itself
//! (expiry, revocation, last seen) lives in the user's Durable Object (`edge::sessions`); these
//! rows are written in the same batch as the audit row of the change.

use worker::D1PreparedStatement;

use crate::edge::db::{self, int, opt_text, text, Db};
use crate::edge::sessions::SessionRecord;
use crate::error::ApiResult;

pub fn insert(db: &Db, record: &SessionRecord) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "INSERT INTO sessions (id, workspace_id, user_id, created_at, expires_at, device_label, ip_prefix) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        &[
            text(&record.id),
            text(&record.workspace_id),
            text(&record.user_id),
            int(record.created_at),
            int(record.absolute_expires_at),
            text(&record.device_label),
            opt_text(record.ip_prefix.as_deref()),
        ],
    )
}

pub fn revoke(db: &Db, workspace_id: &str, sid: &str, now: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE sessions SET revoked_at = ?3 WHERE workspace_id = ?1 AND id = ?2",
        &[text(workspace_id), text(sid), int(now)],
    )
}
