//! Webhooks end to end: subscriptions over the API, deliveries through the real local Queue to
//! a real local receiver that verifies them with the public `standardwebhooks` library,
//! retries, the circuit breaker with ordered exactly-once draining, rotation and 410 Gone.
//! Each test owns one seeded workspace, so their events never mix.

use crate::common::receiver::{free_port, Receiver};
use crate::common::*;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// The events the tests trigger: a workspace settings change is cheap and audited.
const FILTER: &str = "WORKSPACE_SETTINGS_*";
const EVENT: &str = "WORKSPACE_SETTINGS_UPDATED";

fn bump(s: &Session) {
    req("PATCH", "/api/settings/workspace").session(s).json(&json!({"mfaRequired": false})).send().ok();
}

fn create(s: &Session, body: Value) -> Value {
    req("POST", "/api/settings/webhooks").session(s).json(&body).send().ok()
}

fn get(s: &Session, id: &str) -> Value {
    req("GET", &format!("/api/settings/webhooks/{id}")).session(s).send().ok()
}

fn deliveries(s: &Session, id: &str) -> Vec<Value> {
    let body = req("GET", &format!("/api/settings/webhooks/{id}/deliveries")).session(s).send().ok();
    body["deliveries"].as_array().cloned().unwrap_or_default()
}

fn wait_sub(s: &Session, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let sub = get(s, id);
        if done(&sub) {
            return sub;
        }
        assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}: {sub}");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
}

fn audit(s: &Session, action: &str) -> Vec<Value> {
    let body = req("GET", &format!("/api/settings/audit-log?action={action}")).session(s).send().ok();
    body["items"].as_array().cloned().unwrap_or_default()
}

fn of_type<'a>(rows: &'a [Value], t: &str) -> Vec<&'a Value> {
    rows.iter().filter(|r| r["type"] == t).collect()
}

#[test]
fn subscriptions_validate_their_input_and_show_the_secret_once() {
    let owner = login("owner@hooks.test");
    let refused = |body: Value, status: u16, code: &str| {
        req("POST", "/api/settings/webhooks").session(&owner).json(&body).send().expect_error(status, code);
    };
    let url = "https://hooks.example.com/axis";
    refused(json!({"name": "a", "url": "ftp://hooks.example.com/"}), 400, "WEBHOOK_URL_INSECURE");
    refused(json!({"name": "a", "url": "http://hooks.example.com/"}), 400, "WEBHOOK_URL_INSECURE");
    refused(json!({"name": "a", "url": "https://user:pw@hooks.example.com/"}), 400, "WEBHOOK_URL_CREDENTIALS");
    refused(json!({"name": "a", "url": "not a url"}), 400, "WEBHOOK_URL_INVALID");
    refused(json!({"name": "a", "url": "https://127.1/"}), 400, "WEBHOOK_URL_INVALID");
    refused(json!({"name": "a", "url": url, "eventFilters": ["account_*"]}), 400, "WEBHOOK_FILTER_INVALID");
    refused(json!({"name": "a", "url": url, "eventFilters": ["NO_SUCH_EVENT_*"]}), 400, "WEBHOOK_FILTER_UNMATCHED");
    refused(json!({"name": "a", "url": url, "circuitThreshold": 0}), 400, "ValidationError");
    refused(json!({"name": "", "url": url}), 400, "ValidationError");
    refused(json!({"name": "a", "url": url, "secret": "mine"}), 400, "ValidationError");

    let created = create(&owner, json!({"name": "SIEM", "url": url, "eventFilters": ["ACCOUNT_*", "ACCOUNT_*"]}));
    let secret = created["secret"].as_str().expect("secret shown at creation");
    assert!(secret.starts_with("whsec_") && secret.len() >= 6 + 32, "{secret}");
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.decode(&secret[6..]).expect("base64 secret");
    assert!(key.len() >= 24);
    let fingerprint: String = Sha256::digest(&key).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(created["secretFingerprint"], fingerprint);
    assert_eq!(created["eventFilters"], json!(["ACCOUNT_*"]), "duplicates folded");
    assert_eq!(created["circuit"]["state"], "closed");
    let id = created["id"].as_str().unwrap();
    refused(json!({"name": "SIEM", "url": url}), 409, "WEBHOOK_NAME_TAKEN");

    let list = req("GET", "/api/settings/webhooks").session(&owner).send();
    assert!(!list.body.contains(secret) && !list.body.contains("\"secret\""), "secret never listed: {}", list.body);
    assert!(list.json()["webhooks"].as_array().unwrap().iter().any(|w| w["id"] == id));
    let one = get(&owner, id);
    assert!(!one.to_string().contains(secret));
    assert_eq!(one["backlog"], json!({"pending": 0, "parked": 0, "failed": 0}));

    let patched = req("PATCH", &format!("/api/settings/webhooks/{id}"))
        .session(&owner)
        .json(&json!({"name": "SIEM 2", "eventFilters": ["*"], "circuitThreshold": 7}))
        .send()
        .ok();
    assert_eq!((patched["name"].as_str(), patched["circuit"]["threshold"].as_i64()), (Some("SIEM 2"), Some(7)));
    let updated = audit(&owner, "WEBHOOK_UPDATED");
    assert_eq!(updated[0]["data"]["after"]["name"], "SIEM 2", "{updated:?}");
    assert!(audit(&owner, "WEBHOOK_CREATED").iter().all(|e| !e.to_string().contains(secret)), "secret never audited");

    let member = login("member@hooks.test");
    req("GET", "/api/settings/webhooks").session(&member).send().expect_error(403, "Forbidden");
    let stranger = login(OTHER_ADMIN);
    req("GET", &format!("/api/settings/webhooks/{id}"))
        .session(&stranger)
        .send()
        .expect_error(404, "WEBHOOK_NOT_FOUND");
    req("DELETE", &format!("/api/settings/webhooks/{id}"))
        .session(&stranger)
        .send()
        .expect_error(404, "WEBHOOK_NOT_FOUND");

    req("DELETE", &format!("/api/settings/webhooks/{id}")).session(&owner).send().ok();
    req("GET", &format!("/api/settings/webhooks/{id}")).session(&owner).send().expect_error(404, "WEBHOOK_NOT_FOUND");
    assert_eq!(audit(&owner, "WEBHOOK_DELETED")[0]["resource"]["id"], id);
}

#[test]
fn deliveries_are_signed_logged_rotated_and_stop_on_410() {
    let owner = login("owner@hooks-flow.test");
    let receiver = Receiver::start(free_port(), "flow", json!({}));
    let created = create(&owner, json!({"name": "flow", "url": receiver.url(), "eventFilters": [FILTER]}));
    let (id, first) = (created["id"].as_str().unwrap().to_string(), created["secret"].as_str().unwrap().to_string());
    receiver.control(json!({"secrets": [first]}));

    let test = req("POST", &format!("/api/settings/webhooks/{id}/test")).session(&owner).send().ok();
    assert_eq!((test["status"].as_u64(), test["delivered"].as_bool()), (Some(200), Some(true)), "{test}");
    let rows = receiver.wait_for("the test delivery", 10, |r| !of_type(r, "axissynapse.webhook.test").is_empty());
    assert_eq!(of_type(&rows, "axissynapse.webhook.test")[0]["verified"], json!([true]));
    assert!(deliveries(&owner, &id).is_empty(), "a test send writes no delivery row");

    for _ in 0..3 {
        bump(&owner);
    }
    let rows = receiver.wait_for("three events", 30, |r| of_type(r, EVENT).len() >= 3);
    let events = of_type(&rows, EVENT);
    assert_eq!(events.len(), 3, "each event exactly once");
    let mut ids = std::collections::BTreeSet::new();
    for e in &events {
        assert_eq!(e["verified"], json!([true]), "{e}");
        assert_eq!(e["payloadKeys"], json!(["data", "id", "timestamp", "type", "workspaceId"]));
        assert_eq!(e["workspaceId"], "ws_hooks_flow");
        let event_id = e["eventId"].as_str().unwrap();
        assert_eq!(e["id"].as_str().unwrap(), format!("msg_{}", &event_id[4..]), "webhook-id names the event");
        ids.insert(e["id"].as_str().unwrap().to_string());
    }
    assert_eq!(ids.len(), 3);
    let log = deliveries(&owner, &id);
    assert_eq!(log.len(), 3, "{log:?}");
    assert!(log.iter().all(|d| d["outcome"] == "delivered" && d["responseStatus"] == 200 && d["attempt"] == 1));
    let times: Vec<&str> = log.iter().map(|d| d["createdAt"].as_str().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first: {times:?}");

    // A receiver that cannot verify answers 401: the test send reports SIGNATURE_FAILED.
    receiver.control(json!({"secrets": ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}));
    let failed = req("POST", &format!("/api/settings/webhooks/{id}/test")).session(&owner).send();
    assert_eq!(failed.expect_error(400, "SIGNATURE_FAILED")["status"], 401);

    // Rotation: during the overlap each delivery carries both signatures, new first.
    let rotated = req("POST", &format!("/api/settings/webhooks/{id}/rotate-secret"))
        .session(&owner)
        .json(&json!({"overlapSeconds": 3600}))
        .send()
        .ok();
    let second = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(second, first);
    assert!(rotated["rotation"]["previousSecretValidUntil"].is_string());
    receiver.control(json!({"secrets": [second, first]}));
    bump(&owner);
    let rows = receiver.wait_for("a delivery during the overlap", 30, |r| of_type(r, EVENT).len() >= 4);
    let overlap = of_type(&rows, EVENT)[3];
    assert_eq!((overlap["signatures"].as_u64(), &overlap["verified"]), (Some(2), &json!([true, true])), "{overlap}");

    // No overlap: only the newest secret signs.
    let third = req("POST", &format!("/api/settings/webhooks/{id}/rotate-secret"))
        .session(&owner)
        .json(&json!({"overlapSeconds": 0}))
        .send()
        .ok()["secret"]
        .as_str()
        .unwrap()
        .to_string();
    receiver.control(json!({"secrets": [third, second]}));
    bump(&owner);
    let rows = receiver.wait_for("a delivery after the overlap", 30, |r| of_type(r, EVENT).len() >= 5);
    let after = of_type(&rows, EVENT)[4];
    assert_eq!((after["signatures"].as_u64(), &after["verified"]), (Some(1), &json!([true, false])), "{after}");

    // 410 Gone disables the endpoint.
    receiver.control(json!({"status": 410}));
    bump(&owner);
    let sub = wait_sub(&owner, &id, "the endpoint disabled by 410", |s| s["enabled"] == false);
    assert_eq!(sub["disabledReason"], "gone");
    assert_eq!(deliveries(&owner, &id)[0]["outcome"], "gone");
    assert_eq!(audit(&owner, "WEBHOOK_DISABLED")[0]["data"]["responseStatus"], 410);
}

/// One event to a subscription whose receiver (started with `control`) answers the first
/// delivery 503: returns the owner's session, the receiver, the subscription id and the two
/// deliveries it got (the failure, then the retry that succeeded).
fn failed_once(email: &str, tag: &str, control: Value) -> (Session, Receiver, String, Vec<Value>) {
    let owner = login(email);
    let receiver = Receiver::start(free_port(), tag, control);
    let created = create(&owner, json!({"name": tag, "url": receiver.url(), "eventFilters": [EVENT]}));
    let id = created["id"].as_str().unwrap().to_string();
    receiver.control(json!({"secrets": [created["secret"]]}));
    bump(&owner);
    let rows = receiver.wait_for("a failure then a success", 30, |r| r.len() >= 2);
    assert_eq!((rows[0]["status"].as_u64(), rows[1]["status"].as_u64()), (Some(503), Some(200)));
    (owner, receiver, id, rows)
}

#[test]
fn retry_after_is_honoured_and_redelivery_keeps_the_webhook_id() {
    let control = json!({"failFirst": 1, "failStatus": 503, "retryAfter": 2});
    let (owner, receiver, id, rows) = failed_once("owner@hooks-retry.test", "retry", control);
    assert_eq!(rows[0]["id"], rows[1]["id"], "a retry keeps its webhook-id");
    let waited = rows[1]["at"].as_f64().unwrap() - rows[0]["at"].as_f64().unwrap();
    assert!((1.5..10.0).contains(&waited), "Retry-After: 2 honoured, waited {waited:.2} s");
    let log = wait_sub_log(&owner, &id, 2);
    assert_eq!((log[1]["outcome"].as_str(), log[1]["responseStatus"].as_u64()), (Some("retrying"), Some(503)));
    assert!(log[1]["nextRetryAt"].is_string());
    assert_eq!((log[0]["outcome"].as_str(), log[0]["attempt"].as_u64()), (Some("delivered"), Some(2)));

    let message = rows[0]["id"].as_str().unwrap();
    let queued = req("POST", &format!("/api/settings/webhooks/{id}/redeliver"))
        .session(&owner)
        .json(&json!({"messageId": message}))
        .send();
    assert_eq!((queued.status, queued.json()["queued"].as_u64()), (202, Some(1)));
    let rows = receiver.wait_for("the redelivery", 30, |r| r.len() >= 3);
    assert_eq!((rows[2]["id"].as_str(), rows[2]["verified"].clone()), (Some(message), json!([true])));
    let redeliver =
        |body: Value| req("POST", &format!("/api/settings/webhooks/{id}/redeliver")).session(&owner).json(&body).send();
    redeliver(json!({"messageId": "msg_nope"})).expect_error(404, "WEBHOOK_MESSAGE_NOT_FOUND");
    redeliver(json!({})).expect_error(400, "ValidationError");
    redeliver(json!({"failedSince": "yesterday"})).expect_error(400, "ValidationError");
    assert_eq!(redeliver(json!({"failedSince": "2026-01-01T00:00:00Z"})).json()["queued"], 0);
}

fn wait_sub_log(s: &Session, id: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let log = deliveries(s, id);
        if log.len() >= n {
            return log;
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    panic!("fewer than {n} deliveries logged: {:?}", deliveries(s, id));
}

#[test]
fn the_circuit_opens_parks_deliveries_and_drains_them_in_order_exactly_once() {
    let owner = login("owner@hooks-circuit.test");
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/hook");
    let created =
        create(&owner, json!({"name": "circuit", "url": url, "eventFilters": [FILTER], "circuitThreshold": 3}));
    let (id, secret) = (created["id"].as_str().unwrap().to_string(), created["secret"].clone());
    for _ in 0..3 {
        bump(&owner);
    }
    let open = wait_sub(&owner, &id, "the circuit to open", |s| s["circuit"]["state"] == "open");
    assert_eq!(open["circuit"]["consecutiveFailures"], 3);
    let opened = audit(&owner, "WEBHOOK_CIRCUIT_OPENED");
    assert_eq!((opened.len(), opened[0]["data"]["subscriptionId"].as_str()), (1, Some(id.as_str())));
    req("POST", &format!("/api/settings/webhooks/{id}/test")).session(&owner).send().expect_error(503, "CIRCUIT_OPEN");
    req("POST", &format!("/api/settings/webhooks/{id}/redeliver"))
        .session(&owner)
        .json(&json!({"failedSince": "2026-01-01T00:00:00Z"}))
        .send()
        .expect_error(503, "CIRCUIT_OPEN");

    for _ in 0..3 {
        bump(&owner);
    }
    // The three failed messages park when their retry comes due (5 s); the new ones at once.
    wait_sub(&owner, &id, "six parked deliveries", |s| s["backlog"]["parked"] == 6);
    let listed = req("GET", "/api/settings/webhooks").session(&owner).send().ok();
    let mine = listed["webhooks"].as_array().unwrap().iter().find(|w| w["id"] == id.as_str()).cloned();
    assert_eq!(mine.map(|w| w["backlog"]["parked"].clone()), Some(json!(6)), "the list shows the parked count");

    let receiver = Receiver::start(port, "circuit", json!({"secrets": [secret]}));
    let enabled = req("PATCH", &format!("/api/settings/webhooks/{id}"))
        .session(&owner)
        .json(&json!({"enabled": true}))
        .send()
        .ok();
    assert_eq!(enabled["circuit"]["state"], "closed");
    let rows = receiver.wait_for("six drained deliveries", 60, |r| of_type(r, EVENT).len() >= 6);
    std::thread::sleep(std::time::Duration::from_secs(7)); // any stray retry would land by now
    let rows_after = receiver.received();
    assert_eq!(rows_after.len(), rows.len(), "nothing delivered twice: {rows_after:?}");
    let delivered: Vec<&str> = of_type(&rows, EVENT).iter().map(|r| r["eventId"].as_str().unwrap()).collect();
    let mut in_ledger: Vec<String> =
        audit(&owner, EVENT).iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    in_ledger.reverse();
    assert_eq!(delivered, in_ledger, "parked deliveries drained in event order, each once");
    assert!(rows.iter().all(|r| r["verified"] == json!([true])));
    let closed = audit(&owner, "WEBHOOK_CIRCUIT_CLOSED");
    assert_eq!(closed[0]["data"]["drained"], 6);
    assert_eq!(get(&owner, &id)["backlog"], json!({"pending": 0, "parked": 0, "failed": 0}));
}

/// Failed attempts that run concurrently in one queue batch settle with the same `now`; only
/// the one whose compare-and-set opened the circuit audits and announces it.
#[test]
fn concurrent_failures_in_one_batch_open_the_circuit_exactly_once() {
    let owner = login("owner@hooks-opened.test");
    let receiver = Receiver::start(free_port(), "opened", json!({}));
    let watcher = create(
        &owner,
        json!({"name": "watcher", "url": receiver.url(), "eventFilters": [EVENT, "WEBHOOK_CIRCUIT_OPENED"]}),
    );
    receiver.control(json!({"secrets": [watcher["secret"]], "hold": true}));
    // The local Queue hands over its next batch only when the consumer has finished the current
    // one: while the watcher holds this delivery, everything queued after it piles up.
    bump(&owner);
    receiver.wait_for("the held delivery", 30, |r| of_type(r, EVENT).len() == 1);
    let dead = format!("http://127.0.0.1:{}/hook", free_port());
    let failing =
        create(&owner, json!({"name": "failing", "url": dead, "eventFilters": [EVENT], "circuitThreshold": 1}));
    let id = failing["id"].as_str().unwrap().to_string();
    const EVENTS: usize = 8;
    for _ in 0..EVENTS {
        bump(&owner);
    }
    // One batch now holds these eight deliveries to the dead endpoint, attempted concurrently.
    receiver.control(json!({"hold": false}));

    wait_sub(&owner, &id, "the circuit to open", |s| s["circuit"]["state"] == "open");
    receiver.wait_for("the circuit-opened event", 30, |r| {
        of_type(r, EVENT).len() > EVENTS && !of_type(r, "WEBHOOK_CIRCUIT_OPENED").is_empty()
    });
    let attempts = deliveries(&owner, &id);
    assert!(
        attempts.len() >= 2 && attempts.iter().all(|a| a["attempt"] == 1 && a["outcome"] == "retrying"),
        "several first attempts failed together: {attempts:?}"
    );
    std::thread::sleep(std::time::Duration::from_secs(3)); // a second event would be in the same batch
    let opened_rows = audit(&owner, "WEBHOOK_CIRCUIT_OPENED");
    assert_eq!(opened_rows.len(), 1, "one audit row per opening: {opened_rows:?}");
    assert_eq!(opened_rows[0]["data"]["subscriptionId"], id);
    let rows_after = receiver.received();
    let announced = of_type(&rows_after, "WEBHOOK_CIRCUIT_OPENED");
    assert_eq!(announced.len(), 1, "one event per opening: {announced:?}");
    assert_eq!(announced[0]["eventId"], opened_rows[0]["id"]);
}

/// A retry starts at its jittered due time, to the millisecond: the queue delays the wake-up
/// by whole seconds and the consumer waits out the rest before it claims the message.
#[test]
fn a_retry_starts_at_its_jittered_due_time() {
    let control = json!({"failFirst": 1, "failStatus": 503});
    let (owner, _receiver, id, rows) = failed_once("owner@hooks-jitter.test", "jitter", control);
    let log = wait_sub_log(&owner, &id, 2);
    let failed = &log[1];
    assert_eq!(failed["outcome"], "retrying", "{log:?}");
    let ms = |v: &Value| axissynapse_edge::time::parse(v.as_str().unwrap()).unwrap();
    let due = ms(&failed["nextRetryAt"]);
    let delay = due - ms(&failed["createdAt"]);
    assert!((4_500..=5_500).contains(&delay), "5 s ± 10 %: {delay} ms");
    let retried_at = (rows[1]["at"].as_f64().unwrap() * 1000.0) as i64;
    assert!(
        (due - 20..due + 1_000).contains(&retried_at),
        "the retry came {} ms after its due time (delay {delay} ms)",
        retried_at - due
    );
}

/// The nearest-rank percentile, as the health endpoint defines it.
fn nearest_rank(sorted: &[i64], pct: usize) -> i64 {
    sorted[(pct * sorted.len()).div_ceil(100).max(1) - 1]
}

#[test]
fn health_counts_the_last_day_of_attempts_by_outcome_with_latency_and_the_log_shows_requests() {
    let owner = login("owner@hooks-health.test");
    let receiver = Receiver::start(free_port(), "health", json!({"failFirst": 2, "failStatus": 503}));
    let created = create(
        &owner,
        json!({"name": "<img src=x onerror=alert(1)>", "url": receiver.url(), "eventFilters": [FILTER]}),
    );
    let id = created["id"].as_str().unwrap().to_string();
    receiver.control(json!({"secrets": [created["secret"]]}));
    let empty = req("GET", &format!("/api/settings/webhooks/{id}/health")).session(&owner).send().ok();
    assert_eq!((empty["buckets"].clone(), empty["latency"]["samples"].clone()), (json!([]), json!(0)), "{empty}");
    assert_eq!(empty["latency"]["p50Ms"], Value::Null);

    for _ in 0..3 {
        bump(&owner);
    }
    // The first two deliveries get 503 and are retried after 5 s: five attempts in all.
    let log = wait_sub_log(&owner, &id, 5);
    let outcome = |o: &str| log.iter().filter(|d| d["outcome"] == o).count();
    assert_eq!((outcome("delivered"), outcome("retrying")), (3, 2), "{log:?}");
    let health = req("GET", &format!("/api/settings/webhooks/{id}/health")).session(&owner).send().ok();
    let mut counts = std::collections::BTreeMap::new();
    for bucket in health["buckets"].as_array().unwrap() {
        let n: i64 = bucket["counts"].as_object().unwrap().values().map(|v| v.as_i64().unwrap()).sum();
        assert_eq!(bucket["total"], n, "{bucket}");
        for (k, v) in bucket["counts"].as_object().unwrap() {
            *counts.entry(k.clone()).or_insert(0) += v.as_i64().unwrap();
        }
    }
    assert_eq!(counts, [("delivered".to_string(), 3), ("retrying".to_string(), 2)].into_iter().collect());
    assert_eq!(health["outcomes"], json!(["delivered", "retrying"]));
    let mut elapsed: Vec<i64> = log.iter().map(|d| d["elapsedMs"].as_i64().unwrap()).collect();
    elapsed.sort_unstable();
    assert_eq!(health["latency"]["samples"], 5);
    assert_eq!(health["latency"]["p50Ms"], nearest_rank(&elapsed, 50), "{health} vs {elapsed:?}");
    assert_eq!(health["latency"]["p95Ms"], nearest_rank(&elapsed, 95), "{health} vs {elapsed:?}");
    assert_eq!(health["bucketMs"], 3_600_000);

    // Each logged attempt shows what it sent: the message's body and headers, no signature.
    let received = receiver.received();
    for d in &log {
        let request = &d["request"];
        assert_eq!(request["headers"]["webhook-id"], d["messageId"]);
        assert!(request["headers"].get("webhook-signature").is_none(), "{request}");
        let sent_at = axissynapse_edge::time::parse(d["sentAt"].as_str().expect("sentAt")).unwrap();
        assert_eq!(request["headers"]["webhook-timestamp"], json!((sent_at / 1000).to_string()));
        assert!(sent_at <= axissynapse_edge::time::parse(d["createdAt"].as_str().unwrap()).unwrap());
        let body: Value = serde_json::from_str(request["body"].as_str().expect("body")).expect("JSON body");
        assert_eq!(body["type"], EVENT);
        assert!(received.iter().any(|r| r["id"] == d["messageId"] && r["eventId"] == body["id"]), "{d}");
    }
    assert!(log.iter().any(|d| d["responseStatus"] == 503 && d["outcome"] == "retrying"));

    let stranger = login(OTHER_ADMIN);
    req("GET", &format!("/api/settings/webhooks/{id}/health"))
        .session(&stranger)
        .send()
        .expect_error(404, "WEBHOOK_NOT_FOUND");
}
