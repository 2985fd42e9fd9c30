//! Webhook subscriptions, the delivery outbox and the attempt log in D1.
//!
//! The outbox row for each (event, subscription) pair is written by `fan_out` inside the same
//! batch as the audit row, so an event is never lost between the ledger and the queue. Event
//! filters match in SQL with `GLOB`, which agrees with `webhooks::event_filter::matches` on the
//! pattern alphabet that module accepts. The circuit breaker is the subscription row itself:
//! `failure` counts up atomically, and `open_circuit` opens it as a compare-and-set (closed →
//! open) that exactly one of any number of concurrent failed attempts wins.

use serde::Deserialize;
use serde_json::{json, Value};
use wasm_bindgen::JsValue;
use worker::{D1PreparedStatement, D1Result};

use crate::edge::db::Db;

use crate::edge::db::{self, int, opt_int, opt_text, text};
use crate::edge::http::fault;
use crate::error::ApiResult;
use crate::time::format_ms;
use crate::webhooks::circuit::{Circuit, CircuitState};
use crate::webhooks::health::{window_start, Cell};

/// A claimed message is leased for this long; a crash mid-send frees it for the sweeper.
pub const LEASE_MS: i64 = 60_000;
/// A claim takes a message due within this long: a queue wake-up may come a little early.
pub const EARLY_MS: i64 = 2_000;
/// Most attempts listed by the deliveries endpoint.
pub const DELIVERIES_LISTED: i64 = 100;

#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub url: String,
    pub event_filters: String,
    pub enabled: i64,
    pub disabled_reason: Option<String>,
    pub secret_nonce: String,
    pub secret_fingerprint: String,
    pub previous_nonce: Option<String>,
    pub previous_expires_at: Option<i64>,
    pub circuit_threshold: i64,
    pub consecutive_failures: i64,
    pub circuit_opened_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const SUBSCRIPTION_COLUMNS: &str =
    "id, workspace_id, name, url, event_filters, enabled, disabled_reason, secret_nonce, \
     secret_fingerprint, previous_nonce, previous_expires_at, circuit_threshold, consecutive_failures, \
     circuit_opened_at, created_at, updated_at";

impl Subscription {
    pub fn filters(&self) -> Vec<String> {
        serde_json::from_str(&self.event_filters).unwrap_or_default()
    }

    pub fn circuit(&self) -> Circuit {
        Circuit {
            consecutive_failures: u32::try_from(self.consecutive_failures).unwrap_or(u32::MAX),
            opened_at_ms: self.circuit_opened_at,
            threshold: u32::try_from(self.circuit_threshold).unwrap_or(u32::MAX),
        }
    }

    /// The nonces whose secrets sign a delivery at `now`: the current one, then the previous
    /// one while its rotation overlap lasts.
    pub fn signing_nonces(&self, now_ms: i64) -> Vec<&str> {
        let mut nonces = vec![self.secret_nonce.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_nonce, self.previous_expires_at) {
            if now_ms < until {
                nonces.push(previous);
            }
        }
        nonces
    }

    /// The API view: never the secret, only its fingerprint.
    pub fn to_json(&self, now_ms: i64) -> Value {
        let circuit = self.circuit();
        let rotation = match (&self.previous_nonce, self.previous_expires_at) {
            (Some(_), Some(until)) if now_ms < until => json!({"previousSecretValidUntil": format_ms(until)}),
            _ => Value::Null,
        };
        json!({
            "id": self.id,
            "name": self.name,
            "url": self.url,
            "eventFilters": self.filters(),
            "enabled": self.enabled != 0,
            "disabledReason": self.disabled_reason,
            "secretFingerprint": self.secret_fingerprint,
            "rotation": rotation,
            "circuit": {
                "state": circuit.state(),
                "consecutiveFailures": circuit.consecutive_failures,
                "threshold": circuit.threshold,
                "openedAt": self.circuit_opened_at.map(format_ms),
            },
            "createdAt": format_ms(self.created_at),
            "updatedAt": format_ms(self.updated_at),
        })
    }

    pub fn circuit_open(&self) -> bool {
        self.circuit().state() == CircuitState::Open
    }
}

pub async fn list(db: &Db, ws: &str) -> ApiResult<Vec<Subscription>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE workspace_id = ?1 ORDER BY created_at, id"
    );
    db::all(db, &sql, &[text(ws)]).await
}

pub async fn get(db: &Db, ws: &str, id: &str) -> ApiResult<Option<Subscription>> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE workspace_id = ?1 AND id = ?2");
    db::first(db, &sql, &[text(ws), text(id)]).await
}

pub fn insert(db: &Db, s: &Subscription) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "INSERT INTO webhook_subscriptions (id, workspace_id, name, url, event_filters, enabled, secret_nonce, \
         secret_fingerprint, circuit_threshold, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        &[
            text(&s.id),
            text(&s.workspace_id),
            text(&s.name),
            text(&s.url),
            text(&s.event_filters),
            int(s.enabled),
            text(&s.secret_nonce),
            text(&s.secret_fingerprint),
            int(s.circuit_threshold),
            int(s.created_at),
        ],
    )
}

/// Writes the editable fields, the secret and the circuit as they are in `s`.
pub fn update(db: &Db, s: &Subscription) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE webhook_subscriptions SET name = ?3, url = ?4, event_filters = ?5, enabled = ?6, disabled_reason = ?7, \
         secret_nonce = ?8, secret_fingerprint = ?9, previous_nonce = ?10, previous_expires_at = ?11, \
         circuit_threshold = ?12, consecutive_failures = ?13, circuit_opened_at = ?14, updated_at = ?15 \
         WHERE workspace_id = ?1 AND id = ?2",
        &[
            text(&s.workspace_id),
            text(&s.id),
            text(&s.name),
            text(&s.url),
            text(&s.event_filters),
            int(s.enabled),
            opt_text(s.disabled_reason.as_deref()),
            text(&s.secret_nonce),
            text(&s.secret_fingerprint),
            opt_text(s.previous_nonce.as_deref()),
            opt_int(s.previous_expires_at),
            int(s.circuit_threshold),
            int(s.consecutive_failures),
            opt_int(s.circuit_opened_at),
            int(s.updated_at),
        ],
    )
}

pub fn delete(db: &Db, ws: &str, id: &str) -> ApiResult<Vec<D1PreparedStatement>> {
    Ok(vec![
        db::stmt(db, "DELETE FROM webhook_attempts WHERE subscription_id = ?1", &[text(id)])?,
        db::stmt(db, "DELETE FROM webhook_messages WHERE subscription_id = ?1", &[text(id)])?,
        db::stmt(db, "DELETE FROM webhook_subscriptions WHERE workspace_id = ?1 AND id = ?2", &[text(ws), text(id)])?,
    ])
}

/// One queued unit of work for the consumer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Job {
    /// Attempt one message now.
    Deliver { subscription: String, message: String },
    /// Attempt one message at `at` (Unix ms, the jittered due time of a retry): Queues delay
    /// by whole seconds, so the consumer waits the milliseconds left when the wake-up comes.
    Retry { subscription: String, message: String, at: i64 },
    /// Deliver a subscription's due messages one by one in event order (after a re-enable).
    Drain { subscription: String },
}

/// A freshly written outbox row (from `RETURNING`).
#[derive(Deserialize)]
pub struct Written {
    pub subscription_id: String,
    pub id: String,
    pub state: String,
}

/// ?1 workspace, ?2 message id, ?3 event id, ?4 event type, ?5 body, ?6 now.
const FAN_OUT_SQL: &str = "INSERT INTO webhook_messages (subscription_id, id, workspace_id, seq, event_type, body, \
     state, attempts, next_attempt_at, created_at, updated_at) \
     SELECT s.id, ?2, ?1, (SELECT seq FROM audit_log WHERE id = ?3), ?4, ?5, \
     CASE WHEN s.circuit_opened_at IS NULL THEN 'pending' ELSE 'parked' END, 0, ?6, ?6, ?6 \
     FROM webhook_subscriptions s WHERE s.workspace_id = ?1 AND s.enabled = 1 \
     AND EXISTS (SELECT 1 FROM json_each(s.event_filters) f WHERE ?4 GLOB f.value) \
     RETURNING subscription_id, id, state";

/// Outbox rows for one audit event, for every enabled subscription whose filters match:
/// `pending` when the circuit is closed, `parked` when it is open.
pub fn fan_out(
    db: &Db,
    ws: &str,
    event_id: &str,
    event_type: &str,
    body: &str,
    now_ms: i64,
) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        FAN_OUT_SQL,
        &[
            text(ws),
            text(&crate::webhooks::payload::message_id(event_id)),
            text(event_id),
            text(event_type),
            text(body),
            int(now_ms),
        ],
    )
}

/// A message claimed for one attempt.
#[derive(Debug, Clone, Deserialize)]
pub struct Claimed {
    pub id: String,
    pub subscription_id: String,
    pub event_type: String,
    pub body: String,
    pub attempts: i64,
}

/// Parks the message if its endpoint is disabled or its circuit open; otherwise claims it
/// (state `sending`, leased, attempt counted) when it is due and nobody else holds it (and,
/// for a message handed to the ordered drain, only when the drain asks), and
/// reads its subscription: one round trip. `None` when there is nothing to send (already
/// delivered, parked, leased by another consumer, or not yet due).
pub async fn claim(
    db: &Db,
    sub: &str,
    msg: &str,
    now_ms: i64,
    by_drain: bool,
) -> ApiResult<Option<(Claimed, Subscription)>> {
    let park = db::stmt(
        db,
        "UPDATE webhook_messages SET state = 'parked', updated_at = ?3 WHERE subscription_id = ?1 AND id = ?2 \
         AND (state = 'pending' OR (state = 'sending' AND lease_until < ?3)) AND EXISTS (SELECT 1 FROM \
         webhook_subscriptions s WHERE s.id = ?1 AND (s.enabled = 0 OR s.circuit_opened_at IS NOT NULL))",
        &[text(sub), text(msg), int(now_ms)],
    )?;
    let take = db::stmt(
        db,
        "UPDATE webhook_messages SET state = 'sending', lease_until = ?4, attempts = attempts + 1, updated_at = ?3 \
         WHERE subscription_id = ?1 AND id = ?2 AND next_attempt_at <= ?3 + ?6 \
         AND (state = 'pending' OR (state = 'sending' AND lease_until < ?3)) AND (?5 = 1 OR ordered = 0) \
         RETURNING id, subscription_id, event_type, body, attempts",
        &[text(sub), text(msg), int(now_ms), int(now_ms + LEASE_MS), int(i64::from(by_drain)), int(EARLY_MS)],
    )?;
    let read =
        db::stmt(db, &format!("SELECT {SUBSCRIPTION_COLUMNS} FROM webhook_subscriptions WHERE id = ?1"), &[text(sub)])?;
    let results = db.batch(vec![park, take, read]).await.map_err(|e| fault("claim", e))?;
    let claimed: Option<Claimed> = first_row(results.get(1))?;
    let subscription: Option<Subscription> = first_row(results.get(2))?;
    Ok(claimed.zip(subscription))
}

fn first_row<T: serde::de::DeserializeOwned>(result: Option<&D1Result>) -> ApiResult<Option<T>> {
    let rows: Vec<T> = match result {
        Some(r) => r.results().map_err(|e| fault("batch rows", e))?,
        None => Vec::new(),
    };
    Ok(rows.into_iter().next())
}

/// A message waiting in a subscription's queue.
#[derive(Debug, Deserialize)]
pub struct Waiting {
    pub id: String,
    /// `pending` or `sending` (claimed, in flight).
    pub state: String,
    pub next_attempt_at: i64,
}

/// The messages still to deliver for one subscription, oldest event first.
pub async fn waiting(db: &Db, sub: &str, limit: i64) -> ApiResult<Vec<Waiting>> {
    db::all(
        db,
        "SELECT id, state, next_attempt_at FROM webhook_messages WHERE subscription_id = ?1 \
         AND state IN ('pending', 'sending') ORDER BY seq, id LIMIT ?2",
        &[text(sub), int(limit)],
    )
    .await
}

/// Messages the queue should hold but may have lost (a crash between the batch and the send,
/// a restart of local Queues, a lease that ran out): pending and overdue by `grace_ms`, or
/// leased past their lease. Messages that belong to an ordered drain get the drain again.
pub async fn overdue(db: &Db, now_ms: i64, grace_ms: i64, limit: i64) -> ApiResult<Vec<Job>> {
    #[derive(Deserialize)]
    struct Row {
        subscription_id: String,
        id: String,
        ordered: i64,
    }
    let rows: Vec<Row> = db::all(
        db,
        "SELECT subscription_id, id, ordered FROM webhook_messages WHERE (state = 'pending' AND next_attempt_at <= ?1) \
         OR (state = 'sending' AND lease_until < ?2) ORDER BY seq LIMIT ?3",
        &[int(now_ms - grace_ms), int(now_ms), int(limit)],
    )
    .await?;
    let mut jobs: Vec<Job> = Vec::new();
    for r in rows {
        let job = match r.ordered {
            0 => Job::Deliver { subscription: r.subscription_id, message: r.id },
            _ => Job::Drain { subscription: r.subscription_id },
        };
        if !jobs.contains(&job) {
            jobs.push(job);
        }
    }
    Ok(jobs)
}

/// What one attempt produced, for the log and the message row.
pub struct AttemptRecord<'a> {
    pub message: &'a Claimed,
    pub workspace_id: &'a str,
    pub outcome: &'a str,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    pub error: Option<String>,
    pub elapsed_ms: i64,
    /// When the request went out (its `webhook-timestamp` is this in whole seconds).
    pub sent_at_ms: i64,
    /// `Some` when the message will be tried again at this time.
    pub next_retry_at: Option<i64>,
    pub now_ms: i64,
}

/// The attempt row, and the message's new state: delivered, pending again, or failed.
pub fn record_attempt(db: &Db, id: &str, a: &AttemptRecord<'_>) -> ApiResult<Vec<D1PreparedStatement>> {
    let state = match (a.outcome, a.next_retry_at) {
        ("delivered", _) => "delivered",
        (_, Some(_)) => "pending",
        _ => "failed",
    };
    let log = db::stmt(
        db,
        "INSERT INTO webhook_attempts (id, subscription_id, message_id, workspace_id, event_type, attempt, outcome, \
         response_status, response_body, error, elapsed_ms, next_retry_at, created_at, sent_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        &[
            text(id),
            text(&a.message.subscription_id),
            text(&a.message.id),
            text(a.workspace_id),
            text(&a.message.event_type),
            int(a.message.attempts),
            text(a.outcome),
            opt_int(a.response_status.map(i64::from)),
            opt_text(a.response_body.as_deref()),
            opt_text(a.error.as_deref()),
            int(a.elapsed_ms),
            opt_int(a.next_retry_at),
            int(a.now_ms),
            int(a.sent_at_ms),
        ],
    )?;
    let message = db::stmt(
        db,
        "UPDATE webhook_messages SET state = ?3, next_attempt_at = COALESCE(?4, next_attempt_at), lease_until = NULL, \
         updated_at = ?5 WHERE subscription_id = ?1 AND id = ?2",
        &[text(&a.message.subscription_id), text(&a.message.id), text(state), opt_int(a.next_retry_at), int(a.now_ms)],
    )?;
    Ok(vec![log, message])
}

/// Success closes nothing (only an admin's enable does) but zeroes the failure count.
pub fn success(db: &Db, sub: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE webhook_subscriptions SET consecutive_failures = 0 WHERE id = ?1 AND consecutive_failures <> 0",
        &[text(sub)],
    )
}

/// ?1 subscription.
const FAILURE_SQL: &str =
    "UPDATE webhook_subscriptions SET consecutive_failures = consecutive_failures + 1 WHERE id = ?1";

/// ?1 subscription, ?2 now. Changes (and returns) the row only while the circuit is closed.
const OPEN_SQL: &str = "UPDATE webhook_subscriptions SET circuit_opened_at = ?2 WHERE id = ?1 \
     AND circuit_opened_at IS NULL AND consecutive_failures >= circuit_threshold RETURNING id";

/// Counts a failure. Put [`open_circuit`] after it in the same batch.
pub fn failure(db: &Db, sub: &str) -> ApiResult<D1PreparedStatement> {
    db::stmt(db, FAILURE_SQL, &[text(sub)])
}

/// Opens the circuit when the failure count has reached the threshold (the rule of
/// `webhooks::circuit::Circuit::on_failure`), as a compare-and-set on the closed state: of
/// concurrent failed attempts, only the batch whose statement returns a row ([`opened`]) made
/// the transition, and only it audits and announces it. D1 runs each batch as one serialized
/// transaction, so exactly one wins.
pub fn open_circuit(db: &Db, sub: &str, now_ms: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(db, OPEN_SQL, &[text(sub), int(now_ms)])
}

/// Whether this [`open_circuit`] result is the one that opened the circuit (it changed a row).
pub fn opened(result: Option<&D1Result>) -> bool {
    let rows: Vec<Value> = result.and_then(|r| r.results().ok()).unwrap_or_default();
    !rows.is_empty()
}

/// 410 Gone: the receiver asked us to stop.
pub fn disable_gone(db: &Db, sub: &str, now_ms: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE webhook_subscriptions SET enabled = 0, disabled_reason = 'gone', updated_at = ?2 WHERE id = ?1",
        &[text(sub), int(now_ms)],
    )
}

/// Parked messages become due again (re-enable) and belong to the ordered drain: a stray
/// job for one of them (a retry queued before the circuit opened) can no longer send it out
/// of order.
pub fn unpark(db: &Db, sub: &str, now_ms: i64) -> ApiResult<D1PreparedStatement> {
    db::stmt(
        db,
        "UPDATE webhook_messages SET state = 'pending', next_attempt_at = ?2, ordered = 1, updated_at = ?2 \
         WHERE subscription_id = ?1 AND state = 'parked'",
        &[text(sub), int(now_ms)],
    )
}

#[derive(Deserialize)]
struct BacklogRow {
    subscription_id: String,
    state: String,
    n: i64,
}

/// Messages waiting per subscription and state in a workspace (one subscription, or all).
async fn backlog_rows(db: &Db, ws: &str, sub: Option<&str>) -> ApiResult<Vec<BacklogRow>> {
    db::all(
        db,
        "SELECT subscription_id, state, COUNT(*) AS n FROM webhook_messages WHERE workspace_id = ?1 \
         AND (?2 IS NULL OR subscription_id = ?2) AND state IN ('pending', 'sending', 'parked', 'failed') \
         GROUP BY subscription_id, state",
        &[text(ws), opt_text(sub)],
    )
    .await
}

fn backlog_view(rows: &[BacklogRow], sub: &str) -> Value {
    let count = |s: &str| rows.iter().filter(|r| r.subscription_id == sub && r.state == s).map(|r| r.n).sum::<i64>();
    json!({"pending": count("pending") + count("sending"), "parked": count("parked"), "failed": count("failed")})
}

/// Messages waiting per state, for the subscription view.
pub async fn backlog(db: &Db, ws: &str, sub: &str) -> ApiResult<Value> {
    Ok(backlog_view(&backlog_rows(db, ws, Some(sub)).await?, sub))
}

/// [`backlog`] of each of `subs`, in one query.
pub async fn backlogs(db: &Db, ws: &str, subs: &[Subscription]) -> ApiResult<Vec<Value>> {
    let rows = backlog_rows(db, ws, None).await?;
    Ok(subs.iter().map(|s| backlog_view(&rows, &s.id)).collect())
}

/// One query: the last 24 hours of a subscription's attempts, counted per hour, outcome and
/// duration (`webhooks::health` turns them into the health view).
pub async fn health(db: &Db, ws: &str, sub: &str, now_ms: i64) -> ApiResult<Vec<Cell>> {
    db::all(
        db,
        "SELECT created_at / 3600000 AS hour, outcome, elapsed_ms, COUNT(*) AS n FROM webhook_attempts \
         WHERE workspace_id = ?1 AND subscription_id = ?2 AND created_at >= ?3 AND created_at <= ?4 \
         GROUP BY hour, outcome, elapsed_ms ORDER BY hour",
        &[text(ws), text(sub), int(window_start(now_ms)), int(now_ms)],
    )
    .await
}

#[derive(Deserialize)]
struct AttemptRow {
    id: String,
    message_id: String,
    event_type: String,
    attempt: i64,
    outcome: String,
    response_status: Option<i64>,
    response_body: Option<String>,
    error: Option<String>,
    elapsed_ms: i64,
    next_retry_at: Option<i64>,
    created_at: i64,
    sent_at: Option<i64>,
    request_body: Option<String>,
}

/// What was sent: the headers (never the signature, which is derived from the secret) and
/// the body. `webhook-timestamp` is known for attempts logged since it was recorded.
fn request(r: &AttemptRow) -> Value {
    json!({
        "headers": {
            "content-type": "application/json",
            "webhook-id": r.message_id,
            "webhook-timestamp": r.sent_at.map(|ms| (ms.div_euclid(1000)).to_string()),
        },
        "body": r.request_body,
    })
}

/// The most recent attempts, newest first, each with the request it sent.
pub async fn attempts(db: &Db, ws: &str, sub: &str) -> ApiResult<Vec<Value>> {
    let rows: Vec<AttemptRow> = db::all(
        db,
        "SELECT a.id, a.message_id, a.event_type, a.attempt, a.outcome, a.response_status, a.response_body, a.error, \
         a.elapsed_ms, a.next_retry_at, a.created_at, a.sent_at, m.body AS request_body FROM webhook_attempts a \
         LEFT JOIN webhook_messages m ON m.workspace_id = a.workspace_id AND m.subscription_id = a.subscription_id \
         AND m.id = a.message_id WHERE a.workspace_id = ?1 AND a.subscription_id = ?2 \
         ORDER BY a.created_at DESC, a.rowid DESC LIMIT ?3",
        &[text(ws), text(sub), int(DELIVERIES_LISTED)],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "messageId": r.message_id,
                "eventType": r.event_type,
                "attempt": r.attempt,
                "outcome": r.outcome,
                "responseStatus": r.response_status,
                "responseBody": r.response_body,
                "error": r.error,
                "elapsedMs": r.elapsed_ms,
                "nextRetryAt": r.next_retry_at.map(format_ms),
                "createdAt": format_ms(r.created_at),
                "sentAt": r.sent_at.map(format_ms),
                "request": request(&r),
            })
        })
        .collect())
}

/// Makes messages due again for redelivery with a fresh retry budget: one message (any state
/// but in flight), or every failed one since `since_ms`. Returns the jobs to enqueue.
pub async fn redeliver(
    db: &Db,
    sub: &str,
    message: Option<&str>,
    since_ms: Option<i64>,
    now_ms: i64,
) -> ApiResult<Vec<Job>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
    }
    let (filter, arg): (&str, JsValue) = match (message, since_ms) {
        (Some(id), _) => ("id = ?3 AND state <> 'sending'", text(id)),
        (None, since) => ("state = 'failed' AND created_at >= ?3", int(since.unwrap_or(0))),
    };
    let sql = format!(
        "UPDATE webhook_messages SET state = 'pending', attempts = 0, next_attempt_at = ?2, lease_until = NULL, \
         ordered = 0, updated_at = ?2 WHERE subscription_id = ?1 AND {filter} RETURNING id"
    );
    let rows: Vec<Row> = db::all(db, &sql, &[text(sub), int(now_ms), arg]).await?;
    Ok(rows.into_iter().map(|r| Job::Deliver { subscription: sub.to_string(), message: r.id }).collect())
}

#[cfg(test)]
mod tests {
    //! The exact statements above, run on SQLite (what D1 is) through Python's `sqlite3`,
    //! against the core rules they mirror: GLOB fan-out = `event_filter::matches`, the
    //! atomic failure count and the compare-and-set open = `Circuit::on_failure`.
    use super::{FAILURE_SQL, FAN_OUT_SQL, OPEN_SQL};
    use crate::audit::actions::Action;
    use crate::webhooks::circuit::{Circuit, Transition};
    use crate::webhooks::event_filter::matches;
    use serde_json::{json, Value};

    const READ_CIRCUIT: &str =
        "SELECT consecutive_failures, circuit_opened_at FROM webhook_subscriptions WHERE id = ?1";

    fn run(steps: Vec<Value>) -> Vec<Value> {
        let path = std::env::temp_dir().join(format!(
            "webhook_sql_{}_{:?}.json",
            std::process::id(),
            std::thread::current().id()
        ));
        let job = json!({"schema": concat!(env!("CARGO_MANIFEST_DIR"), "/schema.sql"), "steps": steps});
        std::fs::write(&path, job.to_string()).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sqlite/run_steps.py");
        let out = std::process::Command::new("python3").arg(script).arg(&path).output().expect("python3 runs");
        std::fs::remove_file(&path).unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
    }

    fn setup(filters: &[&[&str]], open: &[bool]) -> Vec<Value> {
        let mut steps = vec![
            json!({"sql": "INSERT INTO workspaces (id, name, slug, status, sign_in_policy, created_at, updated_at) \
            VALUES ('ws', 'W', 'w', 'active', 'password_only', 0, 0)"}),
        ];
        for (i, f) in filters.iter().enumerate() {
            steps.push(json!({"sql": "INSERT INTO webhook_subscriptions (id, workspace_id, name, url, event_filters, \
                secret_nonce, secret_fingerprint, circuit_opened_at, created_at, updated_at) \
                VALUES (?1, 'ws', ?1, 'https://x.test/', ?2, 'n', 'f', ?3, 0, 0)",
                "params": [format!("wh_{i}"), json!(f).to_string(), if open.get(i) == Some(&true) { json!(1) } else { Value::Null }]}));
        }
        steps
    }

    #[test]
    fn fan_out_glob_selects_exactly_the_subscriptions_the_core_matcher_selects() {
        let filters: &[&[&str]] = &[
            &["*"],
            &["ACCOUNT_*"],
            &["*_DELETED", "WORKSPACE_SETTINGS_UPDATED"],
            &["SCIM_*_UPDATED"],
            &["ACCOUNT_STEPUP_*"],
            &["NOPE*"],
            &["*SESSION*"],
            &["S*M*"],
        ];
        let mut steps = setup(filters, &[false, false, false, true]);
        for (n, action) in Action::ALL.iter().enumerate() {
            let event = format!("evt_{n}");
            steps.push(json!({"sql": "INSERT INTO audit_log (workspace_id, seq, id, at, action, actor_type, data) \
                VALUES ('ws', ?1, ?2, 0, ?3, 'system', '{}')", "params": [n + 1, event, action.code()]}));
            steps
                .push(json!({"sql": FAN_OUT_SQL, "params": ["ws", format!("msg_{n}"), event, action.code(), "{}", 5]}));
        }
        let out = run(steps);
        let fanned: Vec<&Value> = out.iter().skip(1 + filters.len()).skip(1).step_by(2).collect();
        for (action, rows) in Action::ALL.iter().zip(fanned) {
            let mut got: Vec<(String, String)> = rows
                .as_array()
                .unwrap()
                .iter()
                .map(|r| (r["subscription_id"].as_str().unwrap().to_string(), r["state"].as_str().unwrap().to_string()))
                .collect();
            got.sort();
            let want: Vec<(String, String)> = filters
                .iter()
                .enumerate()
                .filter(|(_, f)| f.iter().any(|p| matches(p, action.code())))
                .map(|(i, _)| (format!("wh_{i}"), if i == 3 { "parked" } else { "pending" }.to_string()))
                .collect();
            assert_eq!(got, want, "{}", action.code());
        }
    }

    #[test]
    fn atomic_failure_count_opens_the_circuit_like_the_state_machine() {
        for threshold in [1_u32, 3, 5] {
            let mut steps = setup(&[&["*"]], &[]);
            steps
                .push(json!({"sql": "UPDATE webhook_subscriptions SET circuit_threshold = ?1", "params": [threshold]}));
            for now in 1..=7 {
                steps.push(json!({"sql": FAILURE_SQL, "params": ["wh_0"]}));
                steps.push(json!({"sql": OPEN_SQL, "params": ["wh_0", now * 1000]}));
                steps.push(json!({"sql": READ_CIRCUIT, "params": ["wh_0"]}));
            }
            let out = run(steps);
            let mut circuit = Circuit { consecutive_failures: 0, opened_at_ms: None, threshold };
            for (now, step) in (1..=7).zip(out[3..].chunks(3)) {
                let transition;
                (circuit, transition) = circuit.on_failure(now * 1000);
                let won = !step[1].as_array().unwrap().is_empty();
                assert_eq!(won, transition == Transition::Opened, "threshold {threshold} at {now}");
                let row = &step[2][0];
                assert_eq!(row["consecutive_failures"], json!(circuit.consecutive_failures), "threshold {threshold}");
                assert_eq!(row["circuit_opened_at"], json!(circuit.opened_at_ms), "threshold {threshold} at {now}");
            }
        }
    }

    /// Failed attempts of one queue batch settle with the same `now`: each batch counts its
    /// failure and tries to open, and exactly one batch (the first to run) opens the circuit.
    #[test]
    fn concurrent_failures_at_the_same_instant_open_the_circuit_once() {
        for threshold in [1_u32, 2] {
            let mut steps = setup(&[&["*"]], &[]);
            steps
                .push(json!({"sql": "UPDATE webhook_subscriptions SET circuit_threshold = ?1", "params": [threshold]}));
            for _ in 0..6 {
                steps.push(json!({"sql": FAILURE_SQL, "params": ["wh_0"]}));
                steps.push(json!({"sql": OPEN_SQL, "params": ["wh_0", 5_000]}));
            }
            steps.push(json!({"sql": READ_CIRCUIT, "params": ["wh_0"]}));
            let out = run(steps);
            let wins: Vec<bool> = out[3..15].chunks(2).map(|s| !s[1].as_array().unwrap().is_empty()).collect();
            let mut want = vec![false; 6];
            want[threshold as usize - 1] = true;
            assert_eq!(wins, want, "threshold {threshold}");
            assert_eq!(out[15][0], json!({"consecutive_failures": 6, "circuit_opened_at": 5_000}));
        }
    }
}
