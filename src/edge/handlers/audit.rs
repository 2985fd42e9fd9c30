//! The audit ledger API: keyset-paginated query, streamed CSV/NDJSON export with its signed
//! checkpoint, chain check, histogram, and the checkpoints themselves (sign now, list).

use futures_util::stream;
use serde_json::json;
use worker::{D1PreparedStatement, Response};

use crate::audit::actions::Action;
use crate::audit::export;
use crate::audit::ledger::{self, ChainVerifier, GENESIS_HASH};
use crate::audit::query::{AuditFilter, Cursor, QueryError, FILTER_PARAMS};
use crate::edge::auth::Principal;
use crate::edge::checkpoints::{self, Made, Source};
use crate::edge::db::Db;
use crate::edge::handlers::{Prefetch, Prefetched};
use crate::edge::http::{fault, Body, Ctx, Reply};
use crate::edge::queue::record;
use crate::edge::store::checkpoints as checkpoint_store;
use crate::edge::store::ledger::{self as store, Event};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::tenancy::WorkspaceRef;

/// Most rows one export carries (the verifiers expect exactly this many in a capped export).
pub const EXPORT_CAP: i64 = crate::audit::verify_export::EXPORT_ROW_CAP as i64;
/// Rows fetched from D1 per round trip while exporting or verifying.
const PAGE_ROWS: u32 = 1000;

pub fn filter(cx: &Ctx) -> ApiResult<AuditFilter> {
    AuditFilter::from_query(&cx.query).map_err(|e: QueryError| {
        ApiError::with_reason(ErrorCode::ValidationError, format!("{}: {}", e.param, e.reason))
    })
}

/// The statements of a page read: the page, and whether the ledger's newest row still waits
/// for its seal (see [`query`]).
pub fn page_statements(db: &Db, f: &AuditFilter, workspace: WorkspaceRef<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![store::page_stmt(db, f, workspace)?, store::pending_stmt(db, workspace)?])
}

/// One page of the ledger, newest first. Only sealed rows are listed; a writer seals after its
/// response, so when the newest row is still unsealed the page seals it and reads again (a
/// second round trip only while racing a writer).
pub async fn query(cx: &mut Ctx, who: &Principal, prefetched: Option<Prefetched>) -> ApiResult<Reply> {
    let f = filter(cx)?;
    let db = cx.db()?;
    let read = match prefetched {
        Some((Prefetch::AuditPage(_), read)) => read,
        _ => {
            let statements = page_statements(&db, &f, WorkspaceRef::Id(who.workspace_id()))?;
            db.batch(statements).await.map_err(|e| fault("audit page", e))?
        }
    };
    let (mut rows, pending) = store::decode_page(&read)?;
    if pending {
        store::seal(&db, who.workspace_id()).await?;
        rows = store::page(&db, &f, who.workspace_id()).await?;
    }
    let (rows, next) = f.paginate(rows);
    Ok(Reply::json(json!({
        "items": rows.iter().map(ledger::to_json).collect::<Vec<_>>(),
        "nextCursor": next.map(|c| c.encode()),
    })))
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Ndjson,
}

/// The filter parameters an export was given (`{}`: a complete export), as declared in its
/// checkpoint and audited with it.
fn declared_filters(cx: &Ctx) -> serde_json::Map<String, serde_json::Value> {
    cx.query.iter().filter(|(k, _)| FILTER_PARAMS.contains(&k.as_str())).map(|(k, v)| (k.clone(), json!(v))).collect()
}

/// Streams the filtered ledger as it stood when the export began, newest first, at most
/// `EXPORT_CAP` rows, with its proof: a checkpoint signing the head at that moment, in the
/// `X-AxisSynapse-Audit-Checkpoint` header and, for NDJSON, as the last line. The response
/// headers also say how many rows follow and whether the cap cut the export short; the export
/// and its checkpoint are audited before the first byte. Without a signing key the export
/// still streams, unproven (the header is absent). `format=checkpoint` is the CSV sidecar.
pub async fn export(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let seq = sidecar_seq(cx)?;
    let format = match cx.query_param("format").unwrap_or("csv") {
        "csv" => Format::Csv,
        "ndjson" => Format::Ndjson,
        "checkpoint" => return export_checkpoint(cx, who, seq).await,
        _ => return Err(ApiError::with_reason(ErrorCode::ValidationError, "format: csv, ndjson or checkpoint")),
    };
    if seq.is_some() {
        return Err(ApiError::with_reason(ErrorCode::ValidationError, "seq: only with format=checkpoint"));
    }
    let mut f = filter(cx)?;
    let db = cx.db()?;
    let filters = declared_filters(cx);
    let made = match checkpoints::make(
        &cx.env,
        &db,
        who.workspace_id(),
        cx.now_ms,
        Source::Export,
        Some(json!(filters)),
    )
    .await
    {
        Ok(made) => Some(made),
        Err(e) if e.code == ErrorCode::AuditSigningNotConfigured => None,
        Err(e) => return Err(e),
    };
    // The head: signed (sealed by the checkpoint), or sealed here; rows after it are not exported.
    let head = match &made {
        Some(m) => m.signed.checkpoint.seq,
        None => {
            store::seal(&db, who.workspace_id()).await?;
            store::head_seq(&db, who.workspace_id(), true).await?
        }
    };
    let snapshot = head + 1;
    f.cursor = Some(Cursor { before_seq: f.cursor.map_or(snapshot, |c| c.before_seq.min(snapshot)) });
    f.limit = PAGE_ROWS;
    let total = store::count(&db, &f, who.workspace_id()).await?;
    let rows = total.min(EXPORT_CAP);
    let format_name = if format == Format::Csv { "csv" } else { "ndjson" };
    let mut events = vec![Event {
        action: Action::AuditLogExported,
        actor: who.actor(),
        resource_id: None,
        data: json!({"format": format_name, "rows": rows, "truncated": total > EXPORT_CAP, "filters": filters,
                     "headSeq": head, "checkpointId": made.as_ref().map(|m| m.id.clone())}),
    }];
    let mut changes = Vec::new();
    if let Some(made) = &made {
        let (event, insert) = made.recording(&db, who.actor())?;
        events.push(event);
        changes.push(insert);
    }
    let origin = who.origin(cx);
    record(cx, &origin, &events, changes).await?;
    let checkpoint = made.as_ref().map(Made::to_json);
    let trailer = match (&checkpoint, format) {
        (Some(c), Format::Ndjson) => c.to_string() + "\n",
        _ => String::new(),
    };
    // The rows stream from a replica no older than the head just read on the primary.
    let state = ExportState {
        db: cx.lagging_db()?,
        filter: f,
        workspace_id: who.workspace_id().to_string(),
        format,
        remaining: rows,
        header_sent: format == Format::Ndjson,
        trailer,
    };
    let body = Response::from_stream(rows_stream(state)).map_err(|e| fault("stream", e))?;
    let (content_type, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let mut reply = Reply { status: 200, headers: Vec::new(), body: Body::Stream(body) }
        .header("content-type", content_type)
        .header("content-disposition", format!("attachment; filename=\"{}.{ext}\"", export_name(cx)))
        .header("x-axissynapse-export-rows", rows.to_string())
        .header("x-axissynapse-export-cap", EXPORT_CAP.to_string())
        .header("x-axissynapse-export-truncated", (total > EXPORT_CAP).to_string());
    if let (Some(c), Some(m)) = (&checkpoint, &made) {
        reply = reply
            .header("x-axissynapse-audit-checkpoint", export::ascii_json(c))
            .header("x-axissynapse-audit-checkpoint-id", m.id.clone());
    }
    Ok(reply)
}

/// `audit-log-YYYY-MM-DD`, the download's file name without its extension.
fn export_name(cx: &Ctx) -> String {
    format!("audit-log-{}", crate::time::format_ms(cx.now_ms).get(..10).unwrap_or("export"))
}

/// The CSV export's sidecar (`format=checkpoint`): a stored checkpoint as a JSON download, the
/// newest at `seq` (the head a CSV export names in its checkpoint header), or without `seq`
/// the newest an export made. Nothing is signed or audited here.
async fn export_checkpoint(cx: &mut Ctx, who: &Principal, seq: Option<i64>) -> ApiResult<Reply> {
    let stored = checkpoint_store::newest(&cx.db()?, who.workspace_id(), seq).await?;
    let json = stored.as_ref().and_then(checkpoints::stored_json).ok_or_else(|| {
        ApiError::with_reason(
            ErrorCode::NotFound,
            "no checkpoint: export the log first, or sign one with POST …/checkpoints",
        )
    })?;
    let name = format!("{}.checkpoint.json", export_name(cx));
    Ok(Reply::json(json).header("content-disposition", format!("attachment; filename=\"{name}\"")))
}

/// The sidecar's `seq` parameter, if given: a non-negative integer.
fn sidecar_seq(cx: &Ctx) -> ApiResult<Option<i64>> {
    cx.query_param("seq")
        .map(|s| {
            s.parse::<i64>()
                .ok()
                .filter(|n| *n >= 0 && s.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| ApiError::with_reason(ErrorCode::ValidationError, "seq: a non-negative integer"))
        })
        .transpose()
}

/// Signs the workspace's chain head now (`POST …/audit-log/checkpoints`).
pub async fn create_checkpoint(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let db = cx.db()?;
    let made = checkpoints::make(&cx.env, &db, who.workspace_id(), cx.now_ms, Source::Api, None).await?;
    let (event, insert) = made.recording(&db, who.actor())?;
    let origin = who.origin(cx);
    record(cx, &origin, &[event], vec![insert]).await?;
    Ok(Reply::json(made.to_json()).status(201))
}

/// Checkpoints listed per page at most, and by default.
const CHECKPOINTS_MAX: i64 = 100;
const CHECKPOINTS_DEFAULT: i64 = 20;

/// The workspace's checkpoints, newest first (`GET …/audit-log/checkpoints?limit&cursor`).
pub async fn list_checkpoints(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let limit = match cx.query_param("limit") {
        None => CHECKPOINTS_DEFAULT,
        Some(s) => s.parse::<i64>().ok().filter(|n| (1..=CHECKPOINTS_MAX).contains(n)).ok_or_else(|| {
            ApiError::with_reason(ErrorCode::ValidationError, format!("limit: an integer from 1 to {CHECKPOINTS_MAX}"))
        })?,
    };
    let cursor = cx.query_param("cursor").map(str::to_owned);
    let rows = checkpoint_store::list(&cx.db()?, who.workspace_id(), cursor.as_deref(), limit).await?;
    let next = (rows.len() as i64 == limit).then(|| rows.last().map(|r| r.id.clone())).flatten();
    Ok(Reply::json(json!({
        "items": rows.iter().filter_map(checkpoints::stored_json).collect::<Vec<_>>(),
        "nextCursor": next,
    })))
}

struct ExportState {
    db: Db,
    filter: AuditFilter,
    workspace_id: String,
    format: Format,
    remaining: i64,
    header_sent: bool,
    /// Sent after the last row (the NDJSON checkpoint line), then nothing.
    trailer: String,
}

/// Pulls one page per chunk, so memory stays at one page whatever the export size.
fn rows_stream(state: ExportState) -> impl futures_util::Stream<Item = worker::Result<Vec<u8>>> {
    stream::unfold(state, |mut s| async move {
        if !s.header_sent {
            s.header_sent = true;
            return Some((Ok(export::csv_header().into_bytes()), s));
        }
        if s.remaining <= 0 {
            return (!s.trailer.is_empty()).then(|| (Ok(std::mem::take(&mut s.trailer).into_bytes()), s));
        }
        let rows = match store::page(&s.db, &s.filter, &s.workspace_id).await {
            Ok(rows) => rows,
            Err(e) => {
                return Some((
                    Err(worker::Error::RustError(format!("{:?}", e.reason))),
                    ExportState { remaining: 0, trailer: String::new(), ..s },
                ))
            }
        };
        let (rows, next) = s.filter.paginate(rows);
        let take = usize::try_from(s.remaining).unwrap_or(0).min(rows.len());
        let mut chunk = String::with_capacity(take * 256);
        for entry in rows.iter().take(take) {
            chunk.push_str(&match s.format {
                Format::Csv => export::csv_row(entry),
                Format::Ndjson => export::ndjson_row(entry),
            });
        }
        s.remaining = if next.is_some() { s.remaining - take as i64 } else { 0 };
        s.filter.cursor = next;
        Some((Ok(chunk.into_bytes()), s))
    })
}

/// Re-computes the workspace's whole hash chain, oldest first.
pub async fn verify(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let db = cx.db()?;
    store::seal(&db, who.workspace_id()).await?;
    // Rows a concurrent writer inserted but has not sealed yet are pending, not broken.
    let sealed_head = store::head_seq(&db, who.workspace_id(), true).await?;
    let mut verifier = ChainVerifier::new(GENESIS_HASH, 1);
    let mut after = 0;
    loop {
        let rows = store::chain_page(&db, who.workspace_id(), after, i64::from(PAGE_ROWS), sealed_head).await?;
        for entry in &rows {
            if let Err(broken) = verifier.push(entry) {
                return Ok(Reply::json(
                    json!({"ok": false, "break": format!("{broken:?}"), "brokenAtSeq": broken.seq()}),
                ));
            }
        }
        match rows.last() {
            Some(last) if rows.len() == PAGE_ROWS as usize => after = last.seq,
            _ => break,
        }
    }
    let s = verifier.summary();
    Ok(Reply::json(json!({"ok": true, "rows": s.rows, "headSeq": s.head_seq, "headHash": s.head_hash})))
}

/// One histogram bucket's width: an hour.
pub const HOUR_MS: i64 = 3_600_000;
/// The widest histogram range: 31 days of hourly buckets.
pub const HISTOGRAM_MAX_HOURS: i64 = 31 * 24;

/// Events per UTC hour and category (the action's first segment) over `from`..=`to` (default:
/// the 24 hours up to now), with the query's other filters. Only hours with events are listed.
pub async fn histogram(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let mut f = filter(cx)?;
    let to = f.to_ms.unwrap_or(cx.now_ms);
    let from = f.from_ms.unwrap_or(to - 24 * HOUR_MS + 1);
    if from > to {
        return Err(ApiError::with_reason(ErrorCode::ValidationError, "from: must not be later than `to`"));
    }
    if to / HOUR_MS - from / HOUR_MS >= HISTOGRAM_MAX_HOURS {
        return Err(ApiError::with_reason(
            ErrorCode::ValidationError,
            format!("from: the range spans at most {HISTOGRAM_MAX_HOURS} hours (31 days)"),
        ));
    }
    (f.from_ms, f.to_ms) = (Some(from), Some(to));
    let db = cx.db()?;
    store::seal(&db, who.workspace_id()).await?;
    let cells = store::histogram(&db, &f, who.workspace_id()).await?;
    let mut categories: Vec<&str> = cells.iter().map(|c| c.category.as_str()).collect();
    categories.sort_unstable();
    categories.dedup();
    let mut buckets: Vec<serde_json::Value> = Vec::new();
    let mut current: Option<(i64, serde_json::Map<String, serde_json::Value>)> = None;
    for cell in &cells {
        if current.as_ref().is_some_and(|(hour, _)| *hour != cell.hour) {
            buckets.extend(current.take().map(bucket));
        }
        current
            .get_or_insert_with(|| (cell.hour, serde_json::Map::new()))
            .1
            .insert(cell.category.clone(), json!(cell.n));
    }
    buckets.extend(current.map(bucket));
    Ok(Reply::json(json!({
        "from": crate::time::format_ms(from),
        "to": crate::time::format_ms(to),
        "bucketMs": HOUR_MS,
        "categories": categories,
        "buckets": buckets,
    })))
}

fn bucket((hour, counts): (i64, serde_json::Map<String, serde_json::Value>)) -> serde_json::Value {
    let total: i64 = counts.values().filter_map(serde_json::Value::as_i64).sum();
    json!({"hour": crate::time::format_ms(hour * HOUR_MS), "total": total, "counts": counts})
}
