//! Webhook delivery over Cloudflare Queues: `record` (an audited change, then the wake-ups for
//! the deliveries its events fanned out to), the producer, the consumer (claim → sign → POST →
//! record → retry or open the circuit), the ordered drain after a re-enable, and the sweeper
//! the cron runs to re-send what a crash or a restart of local Queues dropped.
//!
//! The D1 outbox is the source of truth; a queue message only says "look at this row now".
//! A claim (one conditional UPDATE) makes each attempt happen once even when the same job is
//! queued twice, so the sweeper may re-send freely.

use futures_util::future::{join_all, select, Either};
use serde_json::json;
use wasm_bindgen::JsValue;
use worker::{
    AbortController, D1PreparedStatement, Delay, Env, Fetch, Headers, MessageBatch, MessageBuilder, MessageExt, Method,
    Queue, RawMessage, Request, RequestInit, RequestRedirect,
};

use crate::audit::actions::Action;
use crate::edge::config::auth_secret;
use crate::edge::crypto::{new_id, random};
use crate::edge::db;
use crate::edge::http::{fault, log_json, Ctx};
use crate::edge::store::ledger::{self, Actor, Event, Origin};
use crate::edge::store::webhooks::{self as store, AttemptRecord, Claimed, Job, Subscription};
use crate::error::ApiResult;
use crate::tenancy::Shard;
use crate::webhooks::payload::truncate_response;
use crate::webhooks::retry::{classify, next_delay_ms, parse_retry_after, queue_delay_secs, Outcome, MAX_DELAY_SECS};
use crate::webhooks::sign::{self, Secret};

/// The queue binding (wrangler.toml `[[queues.producers]]`).
const BINDING: &str = "WEBHOOK_DELIVERIES";
/// A receiver gets this long to answer.
pub const TIMEOUT_MS: u64 = 15_000;
/// Messages a drain job sends before it queues its own continuation.
const DRAIN_CHUNK: i64 = 25;
/// How soon a drain looks again when its oldest message is in flight or just failed.
const REDRAIN_SECS: i64 = 5;
/// The sweeper leaves a pending message alone until it is this overdue (its queue message
/// is most likely still on the way).
const SWEEP_GRACE_MS: i64 = 10_000;
/// Most messages the sweeper re-sends per run.
const SWEEP_LIMIT: i64 = 1_000;

/// A queue message: a job and the shard whose outbox it reads.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    pub shard: Shard,
    pub job: Job,
}

fn queue(env: &Env) -> ApiResult<Queue> {
    env.queue(BINDING).map_err(|e| fault("queue binding", e))
}

fn now_ms() -> i64 {
    js_sys::Date::now() as i64
}

/// Sends wake-ups for new deliveries. Best effort by design: a failure is logged and the
/// sweeper sends them later, since the outbox rows are already committed.
pub async fn enqueue(env: &Env, shard: Shard, jobs: Vec<Job>) {
    if jobs.is_empty() {
        return;
    }
    if let Err(e) = send(env, shard, jobs, 0).await {
        log_json(json!({"level": "warn", "msg": "webhook enqueue failed; the sweeper will resend", "error": e.body()}));
    }
}

/// Records `events` (with `changes`, atomically: `store::ledger::record`) on the request's
/// database in one round trip; then, after the response, wakes the deliveries they fanned out
/// to and seals the ledger (`Context::wait_until`: sealing is deterministic and idempotent, and
/// the verify and export endpoints seal first). Every audited change of a request goes here.
pub async fn record(
    cx: &Ctx,
    origin: &Origin<'_>,
    events: &[Event],
    changes: Vec<D1PreparedStatement>,
) -> ApiResult<()> {
    let db = cx.db()?;
    let jobs = ledger::record(&db, origin, events, changes).await?;
    if events.is_empty() {
        return Ok(());
    }
    let (env, shard, workspace_id) = (cx.env.clone(), cx.tenant()?, origin.workspace_id.to_string());
    let db = cx.background_db()?;
    cx.wctx.wait_until(async move {
        enqueue(&env, shard, jobs).await;
        if let Err(e) = ledger::seal(&db, &workspace_id).await {
            log_json(json!({"level": "warn", "msg": "ledger seal deferred to the next writer", "error": e.body()}));
        }
    });
    Ok(())
}

/// [`record`] for work outside a request (queue jobs, the cron): everything before returning.
pub async fn record_now(
    env: &Env,
    shard: Shard,
    origin: &Origin<'_>,
    events: &[Event],
    changes: Vec<D1PreparedStatement>,
) -> ApiResult<()> {
    let db = db::open(env, shard)?;
    let jobs = ledger::record(&db, origin, events, changes).await?;
    enqueue(env, shard, jobs).await;
    ledger::seal(&db, origin.workspace_id).await
}

async fn send(env: &Env, shard: Shard, jobs: Vec<Job>, delay_secs: u32) -> ApiResult<()> {
    let queue = queue(env)?;
    for chunk in jobs.chunks(100) {
        let messages: Vec<_> = chunk
            .iter()
            .map(|j| MessageBuilder::new(Envelope { shard, job: j.clone() }).delay_seconds(delay_secs).build())
            .collect();
        queue.send_batch(messages).await.map_err(|e| fault("queue send", e))?;
    }
    Ok(())
}

/// The consumer. Jobs run concurrently; each is acknowledged once handled, or retried by the
/// queue when storage failed (the claim makes the retry safe).
pub async fn consume(batch: MessageBatch<Envelope>, env: Env) {
    let runs = batch.raw_iter().map(|message| run_message(message, &env));
    join_all(runs).await;
}

async fn run_message(message: RawMessage, env: &Env) {
    let Envelope { shard, job } = match serde_wasm_bindgen::from_value(message.body()) {
        Ok(envelope) => envelope,
        Err(e) => {
            log_json(json!({"level": "error", "msg": "unreadable webhook job dropped", "error": e.to_string()}));
            message.ack();
            return;
        }
    };
    let result = match &job {
        Job::Deliver { subscription, message } => deliver(env, shard, subscription, message, false).await.map(|_| ()),
        Job::Retry { subscription, message, at } => {
            wait_until(*at).await;
            deliver(env, shard, subscription, message, false).await.map(|_| ())
        }
        Job::Drain { subscription } => drain(env, shard, subscription).await,
    };
    match result {
        Ok(()) => message.ack(),
        Err(e) => {
            log_json(json!({"level": "error", "msg": "webhook job failed; queue will retry", "error": e.body()}));
            message.retry();
        }
    }
}

/// Delivers a subscription's waiting messages one at a time in event order. It never skips
/// ahead: when the oldest is not due yet, in flight elsewhere, or fails (it keeps its own retry
/// schedule), the drain queues itself again for when the oldest can go, so nothing is left
/// without a job and order holds. A full chunk queues the next one at once.
async fn drain(env: &Env, shard: Shard, sub: &str) -> ApiResult<()> {
    let db = db::open(env, shard)?;
    let waiting = store::waiting(&db, sub, DRAIN_CHUNK).await?;
    for message in &waiting {
        let now = now_ms();
        if message.state == "pending" && message.next_attempt_at > now + store::EARLY_MS {
            return redrain(env, shard, sub, (message.next_attempt_at - now) / 1000).await;
        }
        if message.state == "pending" {
            wait_until(message.next_attempt_at).await;
        }
        if message.state != "pending" || deliver(env, shard, sub, &message.id, true).await? != Some(Outcome::Delivered)
        {
            return redrain(env, shard, sub, REDRAIN_SECS).await;
        }
    }
    if waiting.len() as i64 == DRAIN_CHUNK {
        return redrain(env, shard, sub, 0).await;
    }
    Ok(())
}

/// Waits for a due time at most [`store::EARLY_MS`] away (a wake-up queued for the whole
/// seconds of a delay), so an attempt starts at its due time to the millisecond.
async fn wait_until(due_ms: i64) {
    let wait = due_ms - now_ms();
    if (1..=store::EARLY_MS).contains(&wait) {
        Delay::from(std::time::Duration::from_millis(wait.unsigned_abs())).await;
    }
}

async fn redrain(env: &Env, shard: Shard, sub: &str, after_secs: i64) -> ApiResult<()> {
    let delay = u32::try_from(after_secs.clamp(0, MAX_DELAY_SECS as i64)).unwrap_or(0);
    send(env, shard, vec![Job::Drain { subscription: sub.to_string() }], delay).await
}

/// One attempt at one message, if it is still due and unclaimed. `None`: nothing was sent.
async fn deliver(env: &Env, shard: Shard, sub_id: &str, msg_id: &str, by_drain: bool) -> ApiResult<Option<Outcome>> {
    let db = db::open(env, shard)?;
    let now = now_ms();
    let Some((claimed, sub)) = store::claim(&db, sub_id, msg_id, now, by_drain).await? else { return Ok(None) };
    let secrets = secrets(env, &sub, now)?;
    let sent = post(&sub.url, &secrets, &claimed.id, claimed.body.as_bytes()).await;
    let outcome = classify(sent.status);
    settle(env, shard, &sub, &claimed, &sent, outcome).await?;
    Ok(Some(outcome))
}

/// Records the attempt, moves the circuit, and schedules the retry, disables the endpoint on
/// 410, or audits a circuit that just opened.
async fn settle(
    env: &Env,
    shard: Shard,
    sub: &Subscription,
    claimed: &Claimed,
    sent: &Sent,
    outcome: Outcome,
) -> ApiResult<()> {
    let db = db::open(env, shard)?;
    let now = now_ms();
    let attempts = u32::try_from(claimed.attempts).unwrap_or(u32::MAX);
    let jitter = u32::from_le_bytes(random::<4>()?);
    let delay_ms = match outcome {
        Outcome::Retry => next_delay_ms(attempts, sent.retry_after_secs, jitter),
        Outcome::Delivered | Outcome::Gone => None,
    };
    let retry_at = delay_ms.map(|ms| now.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX)));
    let record = AttemptRecord {
        message: claimed,
        workspace_id: &sub.workspace_id,
        outcome: match outcome {
            Outcome::Delivered => "delivered",
            Outcome::Retry if retry_at.is_some() => "retrying",
            Outcome::Retry => "failed",
            Outcome::Gone => "gone",
        },
        response_status: sent.status,
        sent_at_ms: sent.sent_at_ms,
        response_body: sent.body.clone(),
        error: sent.error.clone(),
        elapsed_ms: sent.elapsed_ms,
        next_retry_at: retry_at,
        now_ms: now,
    };
    let mut batch = store::record_attempt(&db, &new_id("wha_")?, &record)?;
    let open_at = match outcome {
        Outcome::Delivered => {
            batch.push(store::success(&db, &sub.id)?);
            None
        }
        Outcome::Retry | Outcome::Gone => {
            batch.push(store::failure(&db, &sub.id)?);
            batch.push(store::open_circuit(&db, &sub.id, now)?);
            Some(batch.len() - 1)
        }
    };
    if outcome == Outcome::Gone {
        batch.push(store::disable_gone(&db, &sub.id, now)?);
    }
    let results = db.batch(batch).await.map_err(|e| fault("record attempt", e))?;
    // Only the attempt whose compare-and-set opened the circuit audits it: concurrent failures
    // in one queue batch share `now`, so comparing timestamps cannot tell them apart.
    if open_at.is_some_and(|i| store::opened(results.get(i))) {
        audit(
            env,
            shard,
            sub,
            Action::WebhookCircuitOpened,
            json!({"consecutiveFailures": sub.circuit_threshold}),
            now,
        )
        .await?;
    }
    if outcome == Outcome::Gone {
        audit(env, shard, sub, Action::WebhookDisabled, json!({"reason": "gone", "responseStatus": 410}), now).await?;
    }
    if let (Some(ms), Some(at)) = (delay_ms, retry_at) {
        let job = Job::Retry { subscription: sub.id.clone(), message: claimed.id.clone(), at };
        if let Err(e) = send(env, shard, vec![job], queue_delay_secs(ms)).await {
            log_json(
                json!({"level": "warn", "msg": "webhook retry enqueue failed; the sweeper will resend", "error": e.body()}),
            );
        }
    }
    Ok(())
}

/// A system event about a subscription, written to its workspace's ledger (and so fanned
/// out to the workspace's other subscriptions).
pub async fn audit(
    env: &Env,
    shard: Shard,
    sub: &Subscription,
    action: Action,
    data: serde_json::Value,
    now: i64,
) -> ApiResult<()> {
    let mut data = data;
    if let Some(map) = data.as_object_mut() {
        map.insert("subscriptionId".into(), json!(sub.id));
        map.insert("name".into(), json!(sub.name));
    }
    let event = Event { action, actor: Actor { kind: "system", id: None }, resource_id: Some(sub.id.clone()), data };
    let origin = Origin { workspace_id: &sub.workspace_id, ip: None, now_ms: now };
    record_now(env, shard, &origin, &[event], vec![]).await
}

/// The signing secrets at `now`: current first, then the previous one during a rotation.
pub fn secrets(env: &Env, sub: &Subscription, now: i64) -> ApiResult<Vec<Secret>> {
    let master = auth_secret(env)?;
    Ok(sub.signing_nonces(now).into_iter().map(|n| sign::derive(master.as_bytes(), n.as_bytes())).collect())
}

/// What a receiver did with one POST.
pub struct Sent {
    pub status: Option<u16>,
    pub body: Option<String>,
    pub error: Option<String>,
    pub retry_after_secs: Option<u64>,
    /// When the request went out (Unix ms); its `webhook-timestamp` is this in seconds.
    pub sent_at_ms: i64,
    pub elapsed_ms: i64,
}

/// POSTs a signed body with the Standard Webhooks headers, without following redirects, and
/// gives up after `TIMEOUT_MS`.
pub async fn post(url: &str, secrets: &[Secret], msg_id: &str, body: &[u8]) -> Sent {
    let started = now_ms();
    let mut sent = match try_post(url, secrets, msg_id, started / 1000, body).await {
        Ok(sent) => sent,
        Err(error) => {
            Sent { status: None, body: None, error: Some(error), retry_after_secs: None, sent_at_ms: 0, elapsed_ms: 0 }
        }
    };
    sent.sent_at_ms = started;
    sent.elapsed_ms = now_ms() - started;
    sent
}

async fn try_post(url: &str, secrets: &[Secret], msg_id: &str, timestamp: i64, body: &[u8]) -> Result<Sent, String> {
    let keys: Vec<&Secret> = secrets.iter().collect();
    let headers = Headers::new();
    let signature = sign::signature_header(&keys, msg_id, timestamp, body);
    for (name, value) in [
        ("content-type", "application/json"),
        ("user-agent", "AxisSynapse-Webhooks/1"),
        ("webhook-id", msg_id),
        ("webhook-timestamp", &timestamp.to_string()),
        ("webhook-signature", &signature),
    ] {
        headers.set(name, value).map_err(|e| e.to_string())?;
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(JsValue::from(js_sys::Uint8Array::from(body))));
    let request = Request::new_with_init(url, &init).map_err(|e| e.to_string())?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = Box::pin(async move {
        let mut response = Fetch::Request(request).send_with_signal(&signal).await.map_err(|e| e.to_string())?;
        let retry_after = response.headers().get("retry-after").ok().flatten();
        let bytes = response.bytes().await.unwrap_or_default();
        Ok::<_, String>((response.status_code(), retry_after, bytes))
    });
    let timeout = Box::pin(Delay::from(std::time::Duration::from_millis(TIMEOUT_MS)));
    let (status, retry_after, bytes) = match select(exchange, timeout).await {
        Either::Left((answer, _)) => answer?,
        Either::Right(_) => {
            controller.abort();
            return Err(format!("timed out after {} s", TIMEOUT_MS / 1000));
        }
    };
    Ok(Sent {
        status: Some(status),
        body: Some(truncate_response(&bytes)),
        error: None,
        retry_after_secs: retry_after.and_then(|v| parse_retry_after(&v, now_ms())),
        sent_at_ms: 0,
        elapsed_ms: 0,
    })
}

/// The cron: re-sends the jobs the queue should hold but may have lost, shard by shard.
pub async fn scheduled(env: &Env) {
    for (shard, db) in db::shards(env) {
        let swept = async {
            let jobs = store::overdue(&db, now_ms(), SWEEP_GRACE_MS, SWEEP_LIMIT).await?;
            let n = jobs.len();
            send(env, shard, jobs, 0).await.map(|()| n)
        };
        match swept.await {
            Ok(n) => log_json(json!({"level": "info", "msg": "webhook sweep", "shard": shard.0, "resent": n})),
            Err(e) => {
                log_json(json!({"level": "error", "msg": "webhook sweep failed", "shard": shard.0, "error": e.body()}))
            }
        }
    }
}

/// Queues an ordered drain of a subscription (after a re-enable).
pub async fn drain_later(env: &Env, shard: Shard, sub: &str) -> ApiResult<()> {
    send(env, shard, vec![Job::Drain { subscription: sub.to_string() }], 0).await
}

/// Queues redeliveries now.
pub async fn redeliver_now(env: &Env, shard: Shard, jobs: Vec<Job>) -> ApiResult<()> {
    send(env, shard, jobs, 0).await
}
