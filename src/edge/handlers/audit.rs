//! The audit ledger API: keyset-paginated query, streamed CSV/NDJSON export, chain check.

use futures_util::stream;
use serde_json::json;
use worker::{D1PreparedStatement, Response};

use crate::audit::actions::Action;
use crate::audit::export;
use crate::audit::ledger::{self, ChainVerifier, GENESIS_HASH};
use crate::audit::query::{AuditFilter, Cursor, QueryError};
use crate::edge::auth::Principal;
use crate::edge::db::Db;
use crate::edge::handlers::{Prefetch, Prefetched};
use crate::edge::http::{fault, Body, Ctx, Reply};
use crate::edge::queue::record;
use crate::edge::store::ledger::{self as store, Event};
use crate::error::{ApiError, ApiResult, ErrorCode};
use crate::tenancy::WorkspaceRef;

/// Most rows one export carries.
pub const EXPORT_CAP: i64 = 50_000;
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

/// Streams the filtered ledger as it stood when the export began, newest first, at most
/// `EXPORT_CAP` rows. The response headers say how many rows follow and whether the cap cut
/// the export short; the export itself is audited before the first byte.
pub async fn export(cx: &mut Ctx, who: &Principal) -> ApiResult<Reply> {
    let format = match cx.query_param("format").unwrap_or("csv") {
        "csv" => Format::Csv,
        "ndjson" => Format::Ndjson,
        _ => return Err(ApiError::with_reason(ErrorCode::ValidationError, "format: csv or ndjson")),
    };
    let mut f = filter(cx)?;
    let db = cx.db()?;
    store::seal(&db, who.workspace_id()).await?; // rows whose writer has not sealed them yet
    let snapshot = store::head_seq(&db, who.workspace_id(), false).await? + 1;
    f.cursor = Some(Cursor { before_seq: f.cursor.map_or(snapshot, |c| c.before_seq.min(snapshot)) });
    f.limit = PAGE_ROWS;
    let total = store::count(&db, &f, who.workspace_id()).await?;
    let rows = total.min(EXPORT_CAP);
    let event = Event {
        action: Action::AuditLogExported,
        actor: who.actor(),
        resource_id: None,
        data: json!({"format": if format == Format::Csv { "csv" } else { "ndjson" }, "rows": rows, "truncated": total > EXPORT_CAP,
                     "filters": cx.query.iter().filter(|(k, _)| k != "format").map(|(k, v)| (k.clone(), json!(v))).collect::<serde_json::Map<_, _>>()}),
    };
    let origin = who.origin(cx);
    record(cx, &origin, &[event], vec![]).await?;
    // The rows stream from a replica no older than the head just read on the primary.
    let body = Response::from_stream(rows_stream(cx.lagging_db()?, f, who.workspace_id().to_string(), format, rows))
        .map_err(|e| fault("stream", e))?;
    let (content_type, ext) = match format {
        Format::Csv => ("text/csv; charset=utf-8", "csv"),
        Format::Ndjson => ("application/x-ndjson", "ndjson"),
    };
    let day = crate::time::format_ms(cx.now_ms).get(..10).unwrap_or("export").to_string();
    Ok(Reply { status: 200, headers: Vec::new(), body: Body::Stream(body) }
        .header("content-type", content_type)
        .header("content-disposition", format!("attachment; filename=\"audit-log-{day}.{ext}\""))
        .header("x-axissynapse-export-rows", rows.to_string())
        .header("x-axissynapse-export-cap", EXPORT_CAP.to_string())
        .header("x-axissynapse-export-truncated", (total > EXPORT_CAP).to_string()))
}

struct ExportState {
    db: Db,
    filter: AuditFilter,
    workspace_id: String,
    format: Format,
    remaining: i64,
    header_sent: bool,
}

/// Pulls one page per chunk, so memory stays at one page whatever the export size.
fn rows_stream(
    db: Db,
    filter: AuditFilter,
    workspace_id: String,
    format: Format,
    rows: i64,
) -> impl futures_util::Stream<Item = worker::Result<Vec<u8>>> {
    let state =
        ExportState { db, filter, workspace_id, format, remaining: rows, header_sent: format == Format::Ndjson };
    stream::unfold(state, |mut s| async move {
        if !s.header_sent {
            s.header_sent = true;
            return Some((Ok(export::csv_header().into_bytes()), s));
        }
        if s.remaining <= 0 {
            return None;
        }
        let rows = match store::page(&s.db, &s.filter, &s.workspace_id).await {
            Ok(rows) => rows,
            Err(e) => {
                return Some((
                    Err(worker::Error::RustError(format!("{:?}", e.reason))),
                    ExportState { remaining: 0, ..s },
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
