//! Signing the audit chain head (issue 20): at every export, on demand, and from the cron.
//!
//! A checkpoint seals the ledger, reads the newest sealed row, signs `(workspace, seq, hash,
//! time, kid)` through Web Crypto (`crypto::sign_ed25519`) and is then recorded in one batch
//! with its own ledger row, `AUDIT_CHECKPOINT_SIGNED`, whose `data` is the signed checkpoint:
//! every webhook subscriber to that event holds an independent witness of the chain. The
//! checkpoint's row lands after the head it signs, so the next checkpoint covers it.

use serde_json::{json, Value};
use worker::{D1PreparedStatement, Env};

use crate::audit::actions::Action;
use crate::audit::checkpoint::{Checkpoint, SignedCheckpoint};
use crate::edge::config::audit_keyring;
use crate::edge::crypto::{new_id, sign_ed25519};
use crate::edge::db::Db;
use crate::edge::http::log_json;
use crate::edge::store::checkpoints::{self as store, StoredCheckpoint};
use crate::edge::store::ledger::{self, Actor, Event, Origin};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::tenancy::Shard;

/// What made a checkpoint (`audit_checkpoints.source`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Export,
    Api,
    Cron,
}

impl Source {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Api => "api",
            Self::Cron => "cron",
        }
    }
}

/// The cron checkpoints a workspace at most this often.
pub const CRON_INTERVAL_MS: i64 = 3_600_000;
/// Workspaces the cron checkpoints per shard and run (it runs every minute): up to 12,000 a
/// shard an hour, each a few milliseconds of D1 and 0.16 ms of signing.
const CRON_BATCH: i64 = 200;

/// A signed checkpoint about to be recorded.
pub struct Made {
    pub id: String,
    pub signed: SignedCheckpoint,
    pub source: Source,
    /// An export's declared filters (`{}`: complete); `None` for other sources.
    pub filters: Option<Value>,
}

impl Made {
    /// The checkpoint's JSON (`SignedCheckpoint::to_json`) with the unsigned members `id`,
    /// `source` and, for an export's, `export: {filters, order}`: what the API lists, the
    /// export's last line, and the event's `data`. Verifiers ignore the unsigned members.
    pub fn to_json(&self) -> Value {
        describe(&self.id, &self.signed, self.source.as_str(), self.filters.as_ref())
    }

    /// The ledger event and the statement storing the checkpoint, for one batch.
    pub fn recording(&self, db: &Db, actor: Actor) -> ApiResult<(Event, D1PreparedStatement)> {
        let insert = store::insert_stmt(db, &self.id, &self.signed, self.source.as_str(), self.filters.as_ref())?;
        let event = Event {
            action: Action::AuditCheckpointSigned,
            actor,
            resource_id: Some(self.id.clone()),
            data: self.to_json(),
        };
        Ok((event, insert))
    }
}

fn describe(id: &str, signed: &SignedCheckpoint, source: &str, filters: Option<&Value>) -> Value {
    let mut v = signed.to_json();
    v["id"] = json!(id);
    v["source"] = json!(source);
    if let Some(filters) = filters {
        v["export"] = json!({"filters": filters, "order": "newest-first"});
    }
    v
}

/// The JSON of a stored checkpoint (as [`Made::to_json`]); `None` if its row is damaged.
pub fn stored_json(c: &StoredCheckpoint) -> Option<Value> {
    Some(describe(&c.id, &c.signed()?, &c.source, c.filters().as_ref()))
}

/// Seals the workspace's ledger and signs its head at `now_ms`; nothing is stored yet.
/// `AUDIT_SIGNING_NOT_CONFIGURED` when no key is valid now.
pub async fn sign_head(env: &Env, db: &Db, workspace_id: &str, now_ms: i64) -> ApiResult<SignedCheckpoint> {
    let ring = audit_keyring(env)?;
    let key = ring.signer_at(now_ms).ok_or_else(|| ApiError::new(ErrorCode::AuditSigningNotConfigured))?;
    ledger::seal(db, workspace_id).await?;
    let (seq, hash) = ledger::sealed_head(db, workspace_id).await?;
    let checkpoint = Checkpoint {
        workspace_id: workspace_id.to_owned(),
        seq,
        hash,
        time_ms: now_ms,
        key_id: key.public.kid.clone(),
    };
    let signature = sign_ed25519(key, &checkpoint.signing_bytes()).await?;
    Ok(SignedCheckpoint { checkpoint, signature })
}

/// [`sign_head`] with a new id, ready to record.
pub async fn make(
    env: &Env,
    db: &Db,
    workspace_id: &str,
    now_ms: i64,
    source: Source,
    filters: Option<Value>,
) -> ApiResult<Made> {
    let signed = sign_head(env, db, workspace_id, now_ms).await?;
    Ok(Made { id: new_id("ckp_")?, signed, source, filters })
}

/// The cron: checkpoints each workspace whose chain moved since its newest checkpoint, at
/// most hourly, shard by shard. Nothing is due without a signing key.
pub async fn scheduled(env: &Env) {
    let now_ms = js_sys::Date::now() as i64;
    if !audit_keyring(env).is_ok_and(|ring| ring.signer_at(now_ms).is_some()) {
        return;
    }
    for (shard, db) in crate::edge::db::shards(env) {
        let due = match store::due(&db, now_ms, CRON_INTERVAL_MS, CRON_BATCH).await {
            Ok(due) => due,
            Err(e) => {
                log_json(
                    json!({"level": "error", "msg": "audit checkpoints: due", "shard": shard.0, "error": e.body()}),
                );
                continue;
            }
        };
        for workspace_id in &due {
            if let Err(e) = checkpoint_now(env, shard, &db, workspace_id, now_ms).await {
                let msg = "audit checkpoint failed; the next run retries";
                log_json(json!({"level": "warn", "msg": msg, "workspace": workspace_id, "error": e.body()}));
            }
        }
    }
}

/// One cron checkpoint, recorded with its event before returning.
async fn checkpoint_now(env: &Env, shard: Shard, db: &Db, workspace_id: &str, now_ms: i64) -> ApiResult<()> {
    let made = make(env, db, workspace_id, now_ms, Source::Cron, None).await?;
    let (event, insert) = made.recording(db, Actor { kind: "system", id: None })?;
    let origin = Origin { workspace_id, ip: None, now_ms };
    crate::edge::queue::record_now(env, shard, &origin, &[event], vec![insert]).await
}
