//! The operator API: `POST /api/operator/workspaces/{workspaceId}/move` with
//! `{"toShard": N}` moves a workspace to another tenant shard (issue 16, point 4). Not part of
//! the public API document: `Authorization: Bearer <OPERATOR_TOKEN>`, and 404 when no operator
//! token is configured (docs/api.md, "Moving a workspace").
//!
//! The steps, and what makes each one safe to fail and to run again:
//! 1. **Copy**, while the workspace keeps working. Every table but the ledger is brought to the
//!    source's state by a diff in key order (first deletes, children first; then upserts,
//!    parents first: D1 enforces foreign keys); only rows that differ are written. The ledger's
//!    sealed rows are copied by `seq` from where the target stops, checked as a hash chain on the
//!    way (the source's side), then read back and checked on the target.
//! 2. **Freeze**: the source's workspace row gets `moving_until` (now + [`FREEZE_MS`]). From that
//!    write on, the trigger of migrations/0004 refuses the workspace's new audit rows, and so
//!    every write of the API (each appends its audit row in the same batch): 503
//!    `WORKSPACE_MOVING` with `Retry-After`. Reads go on.
//! 3. **Catch up**: seal the source's ledger, copy and check its tail on both sides (the same
//!    head `seq` and head hash), diff the other tables again (only what changed since step 1 is
//!    written).
//! 4. **Switch**: the target takes the workspace in (forwarding rows a former move left there go,
//!    its copy's freeze is lifted); the source gets forwarding rows for the workspace and its
//!    tokens (and from then on refuses the workspace's writes for good); the directory points at
//!    the target; forwarding rows on every other shard re-point to it.
//! 5. **Audit** `WORKSPACE_MOVED` in the workspace's ledger, on the target.
//! 6. **Clean up** the source: its rows of the workspace go, children first, a page at a time.
//!
//! A failure before step 4 lifts the freeze (or leaves it to lapse by itself) and leaves the
//! directory alone: the workspace stays where it was, and running the move again is safe (copies
//! are upserts; the ledger resumes where the target stopped). A failure from step 4 on leaves the
//! source refusing the workspace's writes until the move is run again, which completes it.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;
use serde_json::{json, Value};

use crate::audit::actions::Action;
use crate::audit::ledger::{AuditEntry, ChainVerifier, GENESIS_HASH};
use crate::edge::config;
use crate::edge::db::Db;
use crate::edge::http::{fault, log_json, Ctx, Reply};
use crate::edge::queue;
use crate::edge::store::directory;
use crate::edge::store::ledger::{self, Actor, Event, Origin};
use crate::edge::store::relocation::{self, Row, Table, LEDGER, PAGE_ROWS, TABLES};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::session::{ct_eq, sha256_hex};
use crate::tenancy::Shard;

/// How long the source refuses writes at most. The switch itself takes well under a second for
/// a small workspace; if catching up takes longer than this less [`SWITCH_MARGIN_MS`], the move
/// gives up and lifts the freeze, and a retry (which then has less to catch up) completes it.
pub const FREEZE_MS: i64 = 30_000;
/// Time the switch (step 4) must still have before the freeze lapses.
const SWITCH_MARGIN_MS: i64 = 10_000;
/// The shortest operator token accepted (a shorter one is a configuration error: 500).
const MIN_TOKEN_LEN: usize = 32;
/// Ledger rows read back per round trip when checking the target's chain.
const CHAIN_PAGE: i64 = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct MoveRequest {
    to_shard: u8,
    /// Development only: stop once frozen (after step 2), leaving the freeze to lapse after
    /// [`FREEZE_MS`] or a second request to complete the move. Lets tests watch the freeze.
    #[serde(default)]
    stop_when_frozen: bool,
}

/// The operator token: constant-time over SHA-256 digests (equal lengths, whatever was sent).
fn authorize(cx: &Ctx) -> ApiResult<()> {
    let Some(expected) = config::operator_token(&cx.env) else {
        return Err(ApiError::with_reason(ErrorCode::NotFound, "no such route"));
    };
    if expected.len() < MIN_TOKEN_LEN {
        return Err(fault("config", format!("OPERATOR_TOKEN is shorter than {MIN_TOKEN_LEN} characters")));
    }
    let sent = cx.header("authorization").unwrap_or_default();
    let sent = sent.split_once(' ').filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")).map(|(_, t)| t.trim());
    let sent = sha256_hex(sent.unwrap_or_default().as_bytes());
    if !ct_eq(sent.as_bytes(), sha256_hex(expected.as_bytes()).as_bytes()) {
        return Err(ApiError::with_reason(ErrorCode::Unauthorized, "the operator token is required"));
    }
    Ok(())
}

fn now() -> i64 {
    js_sys::Date::now() as i64
}

pub async fn move_workspace(cx: &mut Ctx, workspace_id: &str) -> ApiResult<Reply> {
    authorize(cx)?;
    let body: MoveRequest = cx.json().await?;
    if body.stop_when_frozen && cx.production {
        return Err(ApiError::with_reason(ErrorCode::ValidationError, "stopWhenFrozen: development only"));
    }
    let to = Shard(body.to_shard);
    let placement = directory::workspace(&cx.directory()?, workspace_id)
        .await?
        .ok_or_else(|| ApiError::with_reason(ErrorCode::NotFound, format!("no workspace {workspace_id}")))?;
    let from = placement.shard;
    if from == to {
        return Err(ApiError::with_reason(ErrorCode::Conflict, format!("{workspace_id} already lives on {to}")));
    }
    let dst = cx.shard_db(to).ok_or_else(|| {
        ApiError::with_reason(ErrorCode::ValidationError, format!("toShard: {} is not bound", to.binding()))
    })?;
    let src = cx.shard_db(from).ok_or_else(|| fault("D1 binding", from.binding()))?;
    if !relocation::holds(&src, workspace_id).await? {
        return Err(fault("move", format!("the directory places {workspace_id} on {from}, which does not hold it")));
    }
    let mut mover = Mover::new(src, dst, workspace_id);
    let started = now();
    mover.copy().await?;
    let copied_ms = now() - started;

    let frozen_at = now();
    let until = frozen_at + FREEZE_MS;
    relocation::freeze(&mover.src, workspace_id, until).await?;
    if body.stop_when_frozen {
        return Ok(Reply::json(json!({
            "workspaceId": workspace_id, "fromShard": from.0, "toShard": to.0, "state": "frozen",
            "frozenUntil": crate::time::format_ms(until), "copyMs": copied_ms, "rowsWritten": mover.rows,
        }))
        .status(202));
    }
    if let Err(e) = mover.catch_up(until).await {
        if let Err(lift) = relocation::unfreeze(&mover.src, workspace_id).await {
            log_json(json!({"level": "warn", "msg": "freeze left to lapse", "error": lift.body()}));
        }
        return Err(e);
    }
    mover.switch(cx, from, to).await?;
    let frozen_ms = now() - frozen_at;

    let head = mover.dst_chain.summary().clone();
    let rows: u64 = mover.rows.values().sum();
    cx.enter(to);
    let event = Event {
        action: Action::WorkspaceMoved,
        actor: Actor { kind: "operator", id: None },
        resource_id: Some(workspace_id.to_string()),
        data: json!({
            "fromShard": from.0, "toShard": to.0, "rows": rows,
            "ledgerHeadSeq": head.head_seq, "ledgerHeadHash": head.head_hash,
        }),
    };
    let origin = Origin { workspace_id, ip: cx.client_ip.as_deref(), now_ms: now() };
    queue::record(cx, &origin, &[event], vec![]).await?;

    let left = mover.clean_up().await?;
    Ok(Reply::json(json!({
        "workspaceId": workspace_id,
        "fromShard": from.0,
        "toShard": to.0,
        "state": "moved",
        "rowsWritten": mover.rows,
        "rowsDeleted": mover.deleted,
        "ledger": {"headSeq": head.head_seq, "headHash": head.head_hash, "verifiedRows": head.rows},
        "sourceRowsLeft": left,
        "copyMs": copied_ms,
        "frozenMs": frozen_ms,
        "totalMs": now() - started,
    })))
}

/// What a diff pass does to the target.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Deletes the target's rows the source does not have (reads keys only).
    Deletes,
    /// Writes the source's rows the target lacks or holds differently.
    Upserts,
}

struct Mover<'a> {
    src: Db,
    dst: Db,
    workspace_id: &'a str,
    /// The source's ledger, checked as it is read.
    src_chain: ChainVerifier,
    /// The target's ledger, checked as it is read back.
    dst_chain: ChainVerifier,
    /// Rows written to the target, per table.
    rows: BTreeMap<&'static str, u64>,
    /// Rows deleted from the target (left by an earlier attempt, or gone from the source since).
    deleted: BTreeMap<&'static str, u64>,
}

fn key_string(t: &Table, row: &Row) -> String {
    Value::from(relocation::key_of(t, row)).to_string()
}

fn broken(side: &str, e: impl std::fmt::Debug) -> ApiError {
    ApiError::with_reason(
        ErrorCode::Conflict,
        format!("the {side} ledger does not verify: {e:?}; nothing was switched"),
    )
}

impl<'a> Mover<'a> {
    fn new(src: Db, dst: Db, workspace_id: &'a str) -> Self {
        Self {
            src,
            dst,
            workspace_id,
            src_chain: ChainVerifier::new(GENESIS_HASH, 1),
            dst_chain: ChainVerifier::new(GENESIS_HASH, 1),
            rows: BTreeMap::new(),
            deleted: BTreeMap::new(),
        }
    }

    /// Step 1 (and, again, step 3): the tables diffed, the ledger copied and checked.
    async fn copy(&mut self) -> ApiResult<()> {
        ledger::seal(&self.src, self.workspace_id).await?;
        self.sync_tables().await?;
        self.copy_ledger().await
    }

    async fn sync_tables(&mut self) -> ApiResult<()> {
        let tables = || TABLES.iter().filter(|t| t.name != LEDGER);
        for t in tables().rev() {
            self.sync(t, Pass::Deletes).await?;
        }
        for t in tables() {
            self.sync(t, Pass::Upserts).await?;
        }
        Ok(())
    }

    /// One diff pass over `t`, a page of the source at a time against the same key range of the
    /// target.
    async fn sync(&mut self, t: &'static Table, pass: Pass) -> ApiResult<()> {
        let columns = (pass == Pass::Deletes).then_some(t.key);
        let ws = self.workspace_id;
        let mut after: Option<Vec<Value>> = None;
        loop {
            let source = relocation::page(&self.src, t, ws, columns, after.as_deref(), None).await?;
            let last = source.last().map(|r| relocation::key_of(t, r));
            let more = source.len() as i64 == PAGE_ROWS;
            let target = match (more, &last) {
                (true, Some(upto)) => relocation::page(&self.dst, t, ws, columns, after.as_deref(), Some(upto)).await?,
                _ => self.rest_of_target(t, columns, after.clone()).await?,
            };
            let mut theirs: HashMap<String, Row> = target.into_iter().map(|r| (key_string(t, &r), r)).collect();
            let statements = match pass {
                Pass::Deletes => {
                    for row in &source {
                        theirs.remove(&key_string(t, row));
                    }
                    let gone: Vec<Vec<Value>> = theirs.values().map(|r| relocation::key_of(t, r)).collect();
                    *self.deleted.entry(t.name).or_default() += gone.len() as u64;
                    relocation::deletes(&self.dst, t, ws, &gone)?
                }
                Pass::Upserts => {
                    let changed: Vec<&Row> =
                        source.iter().filter(|r| theirs.get(&key_string(t, r)) != Some(*r)).collect();
                    *self.rows.entry(t.name).or_default() += changed.len() as u64;
                    relocation::upserts(&self.dst, t, &changed)?
                }
            };
            relocation::run(&self.dst, statements, "move: write the target").await?;
            match (more, last) {
                (true, Some(last)) => after = Some(last),
                _ => return Ok(()),
            }
        }
    }

    /// Every row of `t` the target holds after `after` (the source has none there).
    async fn rest_of_target(
        &self,
        t: &Table,
        columns: Option<&[&str]>,
        mut after: Option<Vec<Value>>,
    ) -> ApiResult<Vec<Row>> {
        let mut rows = Vec::new();
        loop {
            let page = relocation::page(&self.dst, t, self.workspace_id, columns, after.as_deref(), None).await?;
            let more = page.len() as i64 == PAGE_ROWS;
            after = page.last().map(|r| relocation::key_of(t, r));
            rows.extend(page);
            if !more {
                return Ok(rows);
            }
        }
    }

    /// Copies the source's sealed ledger rows the target lacks, checking the source's chain as
    /// it goes, then reads the target's back and checks it: both must reach the same head.
    async fn copy_ledger(&mut self) -> ApiResult<()> {
        let ws = self.workspace_id;
        let held = ledger::head_seq(&self.dst, ws, false).await?;
        let table = TABLES.iter().find(|t| t.name == LEDGER).ok_or_else(|| fault("move", "no ledger table"))?;
        loop {
            let rows = relocation::sealed_ledger_page(&self.src, ws, self.src_chain.summary().head_seq).await?;
            for row in &rows {
                let entry: AuditEntry =
                    serde_json::from_value(Value::Object(row.clone())).map_err(|e| fault("ledger row", e))?;
                self.src_chain.push(&entry).map_err(|e| broken("source", e))?;
            }
            let fresh: Vec<&Row> =
                rows.iter().filter(|r| r.get("seq").and_then(Value::as_i64).is_some_and(|s| s > held)).collect();
            *self.rows.entry(LEDGER).or_default() += fresh.len() as u64;
            let statements = relocation::upserts(&self.dst, table, &fresh)?;
            relocation::run(&self.dst, statements, "move: copy the ledger").await?;
            if (rows.len() as i64) < PAGE_ROWS {
                break;
            }
        }
        let upto = self.src_chain.summary().head_seq;
        loop {
            let after = self.dst_chain.summary().head_seq;
            let rows = ledger::chain_page(&self.dst, ws, after, CHAIN_PAGE, upto).await?;
            for entry in &rows {
                self.dst_chain.push(entry).map_err(|e| broken("target", e))?;
            }
            if (rows.len() as i64) < CHAIN_PAGE {
                break;
            }
        }
        let (theirs, ours) = (self.src_chain.summary(), self.dst_chain.summary());
        if (theirs.head_seq, &theirs.head_hash) != (ours.head_seq, &ours.head_hash) {
            return Err(ApiError::with_reason(
                ErrorCode::Conflict,
                format!(
                    "the target's ledger copy stops at seq {} ({}), the source's at {} ({}): remove the target's rows of this workspace and move again",
                    ours.head_seq, ours.head_hash, theirs.head_seq, theirs.head_hash
                ),
            ));
        }
        Ok(())
    }

    /// Step 3, frozen: everything that changed since the copy, then the check that nothing is
    /// left behind and that the switch still fits in the freeze.
    async fn catch_up(&mut self, until: i64) -> ApiResult<()> {
        self.copy().await?;
        let head = self.src_chain.summary().head_seq;
        let written = ledger::head_seq(&self.src, self.workspace_id, false).await?;
        if written != head {
            return Err(fault("move", format!("the source ledger has rows past its sealed head {head} ({written})")));
        }
        if now() > until - SWITCH_MARGIN_MS {
            return Err(ApiError::with_reason(
                ErrorCode::Conflict,
                "catching up took too long for the freeze; writes resumed on the source: run the move again",
            ));
        }
        Ok(())
    }

    /// Step 4.
    async fn switch(&self, cx: &Ctx, from: Shard, to: Shard) -> ApiResult<()> {
        let ws = self.workspace_id;
        relocation::run(&self.dst, relocation::take_in(&self.dst, ws)?, "move: take in").await?;
        relocation::run(&self.src, relocation::forward(&self.src, ws, to, now())?, "move: forward").await?;
        directory::place(&cx.directory()?, ws, to, now()).await?;
        let others = (0..=u8::MAX).map(Shard).map_while(|s| cx.shard_db(s).map(|db| (s, db)));
        for (_, db) in others.filter(|(s, _)| *s != from && *s != to) {
            relocation::run(&db, relocation::repoint(&db, ws, to)?, "move: re-point forwarding").await?;
        }
        Ok(())
    }

    /// Step 6: the source's rows of the workspace, children first; then how many are left
    /// (expected: none).
    async fn clean_up(&self) -> ApiResult<u64> {
        for t in TABLES.iter().rev() {
            while relocation::delete_some(&self.src, t, self.workspace_id).await? >= relocation::DELETE_ROWS as usize {}
        }
        relocation::count(&self.src, self.workspace_id).await
    }
}
