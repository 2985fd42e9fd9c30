//! Credentials that outlive a move. A PAT, SCIM token, session cookie, `mfaToken` or invitation
//! names the shard it was minted on; when its workspace has since moved, that shard keeps
//! forwarding rows (`store::relocation::forward`). Each lookup here sends its usual statements
//! and the forwarding probe in ONE batch to the named shard, so an unmoved credential still costs
//! one D1 round trip; a moved one costs one more, on the shard its workspace lives on now.
//! Forwarding is one hop: a later move re-points the rows every shard keeps.
//!
//! The probe can only send a lookup to where the same token id (or the same signed workspace and
//! user) lives now; the caller still checks the token's hash, its expiry and its revocation.

use worker::{D1PreparedStatement, D1Result};

use crate::edge::db::{self, Db};
use crate::edge::http::{fault, Ctx};
use crate::edge::store::invitations::{self, InvitationRow};
use crate::edge::store::relocation;
use crate::edge::store::users::{self, UserRow};
use crate::error::ApiResult;
use crate::tenancy::{Shard, WorkspaceRef};

/// The credential's own read (token row, user row), on whichever shard it runs.
pub type Lookup<'l> = &'l dyn Fn(&Db) -> ApiResult<D1PreparedStatement>;
/// Reads planned with it, scoped to the workspace the credential names (`edge::auth::Plan`).
pub type Reads<'p> = &'p dyn Fn(&Db, WorkspaceRef<'_>) -> ApiResult<Vec<D1PreparedStatement>>;

/// What a shard's forwarding rows know the credential by.
#[derive(Debug, Clone, Copy)]
pub enum Probe<'a> {
    /// A PAT or SCIM token id, or an invitation token's hash.
    Token(&'a str),
    /// The workspace a signed credential (session cookie, `mfaToken`) names.
    Workspace(&'a str),
}

impl Probe<'_> {
    fn statement(self, db: &Db) -> ApiResult<D1PreparedStatement> {
        match self {
            Self::Token(key) => relocation::token_probe(db, key),
            Self::Workspace(id) => relocation::workspace_probe(db, id),
        }
    }
}

/// Runs `lookup`, then `plan`'s reads, then the probe, as one batch on the named shard; when the
/// probe names another bound shard, runs `lookup` and `plan` there instead. Returns the shard that
/// answered, the lookup's result and the plan's results.
#[allow(clippy::too_many_arguments)]
pub async fn with_plan(
    cx: &Ctx,
    shard: Shard,
    db: &Db,
    lookup: Lookup<'_>,
    probe: Probe<'_>,
    plan: Reads<'_>,
    scope: WorkspaceRef<'_>,
) -> ApiResult<(Shard, D1Result, Vec<D1Result>)> {
    let reads = |db: &Db| -> ApiResult<Vec<D1PreparedStatement>> {
        let mut batch = vec![lookup(db)?];
        batch.extend(plan(db, scope)?);
        Ok(batch)
    };
    let mut batch = reads(db)?;
    batch.push(probe.statement(db)?);
    let mut results = db.batch(batch).await.map_err(|e| fault("authentication", e))?;
    let moved = match results.pop() {
        Some(probe) => relocation::decode_probe(&probe)?,
        None => None,
    };
    let (shard, results) = match moved.filter(|to| *to != shard).and_then(|to| cx.shard_db(to).map(|db| (to, db))) {
        Some((to, there)) => (to, there.batch(reads(&there)?).await.map_err(|e| fault("forwarded authentication", e))?),
        None => (shard, results),
    };
    let mut results = results.into_iter();
    let first = results.next().ok_or_else(|| fault("authentication", "no credential result"))?;
    Ok((shard, first, results.collect()))
}

fn no_reads(_: &Db, _: WorkspaceRef<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(Vec::new())
}

/// A user of a workspace named by a signed credential (`mfaToken`), wherever the workspace is now.
pub async fn user(
    cx: &Ctx,
    shard: Shard,
    db: &Db,
    workspace_id: &str,
    user_id: &str,
) -> ApiResult<(Shard, Option<UserRow>)> {
    let lookup = |db: &Db| users::get_stmt(db, workspace_id, user_id);
    let probe = Probe::Workspace(workspace_id);
    let (shard, first, _) = with_plan(cx, shard, db, &lookup, probe, &no_reads, WorkspaceRef::Id(workspace_id)).await?;
    Ok((shard, users::decode(&first)?))
}

/// An invitation by its token's hash, wherever its workspace is now.
pub async fn invitation(
    cx: &Ctx,
    shard: Shard,
    db: &Db,
    token_hash: &str,
) -> ApiResult<(Shard, Option<InvitationRow>)> {
    let lookup = |db: &Db| invitations::by_token_hash_statement(db, token_hash);
    let probe = Probe::Token(token_hash);
    let (shard, first, _) = with_plan(cx, shard, db, &lookup, probe, &no_reads, WorkspaceRef::Id("")).await?;
    Ok((shard, db::rows::<InvitationRow>(&first)?.into_iter().next()))
}
