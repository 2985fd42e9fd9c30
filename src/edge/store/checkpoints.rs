//! Stored audit checkpoints (schema.sql `audit_checkpoints`): every signed head of a
//! workspace's chain, with what made it (an export, an API call, the cron) and, for an
//! export's, the filters the export declared.

use serde_json::Value;
use worker::D1PreparedStatement;

use crate::audit::actions::Action;
use crate::audit::checkpoint::{decode_bytes, encode_signature, Checkpoint, SignedCheckpoint};
use crate::edge::db::{self, int, opt_text, text, Db};
use crate::error::ApiResult;

const COLUMNS: &str = "id, workspace_id, seq, hash, at, kid, sig, source, export_filters";

/// One stored checkpoint, as read back.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct StoredCheckpoint {
    pub id: String,
    pub workspace_id: String,
    pub seq: i64,
    pub hash: String,
    pub at: i64,
    pub kid: String,
    pub sig: String,
    pub source: String,
    pub export_filters: Option<String>,
}

impl StoredCheckpoint {
    /// The signed checkpoint; `None` if the stored signature is not 64 base64url bytes.
    pub fn signed(&self) -> Option<SignedCheckpoint> {
        let signature = decode_bytes(&self.sig)?;
        let checkpoint = Checkpoint {
            workspace_id: self.workspace_id.clone(),
            seq: self.seq,
            hash: self.hash.clone(),
            time_ms: self.at,
            key_id: self.kid.clone(),
        };
        Some(SignedCheckpoint { checkpoint, signature })
    }

    /// The filters an export declared (`{}` for a complete export; `None`: not an export's).
    pub fn filters(&self) -> Option<Value> {
        self.export_filters.as_deref().and_then(|f| serde_json::from_str(f).ok())
    }
}

/// The statement that stores a new checkpoint (in the batch that records its event).
pub fn insert_stmt(
    db: &Db,
    id: &str,
    signed: &SignedCheckpoint,
    source: &str,
    export_filters: Option<&Value>,
) -> ApiResult<D1PreparedStatement> {
    let c = &signed.checkpoint;
    let filters = export_filters.map(Value::to_string);
    db::stmt(
        db,
        &format!("INSERT INTO audit_checkpoints ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        &[
            text(id),
            text(&c.workspace_id),
            int(c.seq),
            text(&c.hash),
            int(c.time_ms),
            text(&c.key_id),
            text(&encode_signature(&signed.signature)),
            text(source),
            opt_text(filters.as_deref()),
        ],
    )
}

/// The workspace's checkpoints, newest first, after the one with id `after` (a page cursor).
pub async fn list(db: &Db, workspace_id: &str, after: Option<&str>, limit: i64) -> ApiResult<Vec<StoredCheckpoint>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_checkpoints WHERE workspace_id = ?1 \
         AND (?2 IS NULL OR (at, id) < (SELECT at, id FROM audit_checkpoints WHERE workspace_id = ?1 AND id = ?2)) \
         ORDER BY at DESC, id DESC LIMIT ?3"
    );
    db::all(db, &sql, &[text(workspace_id), opt_text(after), int(limit)]).await
}

/// The newest checkpoint at `seq`, or, without one, the newest an export made.
pub async fn newest(db: &Db, workspace_id: &str, seq: Option<i64>) -> ApiResult<Option<StoredCheckpoint>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_checkpoints WHERE workspace_id = ?1 \
         AND (CASE WHEN ?2 IS NULL THEN source = 'export' ELSE seq = ?2 END) ORDER BY at DESC, id DESC LIMIT 1"
    );
    db::first(db, &sql, &[text(workspace_id), db::opt_int(seq)]).await
}

#[derive(serde::Deserialize)]
struct WorkspaceId {
    id: String,
}

/// Workspaces the cron should checkpoint: their ledger moved past their newest checkpoint (a
/// checkpoint's own AUDIT_CHECKPOINT_SIGNED row does not count) and that checkpoint, if any, is
/// at least `min_age_ms` old. At most `limit`, those waiting longest first.
pub async fn due(db: &Db, now_ms: i64, min_age_ms: i64, limit: i64) -> ApiResult<Vec<String>> {
    let sql = "SELECT w.id FROM workspaces w \
         LEFT JOIN (SELECT workspace_id, MAX(seq) AS seq, MAX(at) AS at FROM audit_checkpoints GROUP BY workspace_id) c \
           ON c.workspace_id = w.id \
         WHERE COALESCE(c.at, 0) <= ?1 \
           AND EXISTS (SELECT 1 FROM audit_log a WHERE a.workspace_id = w.id AND a.seq > COALESCE(c.seq, 0) \
                       AND a.action <> ?2) \
         ORDER BY COALESCE(c.at, 0), w.id LIMIT ?3";
    let rows: Vec<WorkspaceId> =
        db::all(db, sql, &[int(now_ms - min_age_ms), text(Action::AuditCheckpointSigned.code()), int(limit)]).await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
