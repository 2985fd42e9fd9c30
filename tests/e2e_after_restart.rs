//! Runs after `scripts/test.sh` restarts `wrangler dev` on the same state dir: what the first
//! run wrote (D1 rows, Durable Object sessions) must still be there.

mod common;

use common::*;
use serde_json::{json, Value};

fn handoff() -> Value {
    let text = std::fs::read_to_string(format!("{}/handoff.json", env("AXIS_STATE")))
        .expect("handoff written by the e2e suite");
    serde_json::from_str(&text).unwrap()
}

#[test]
fn session_cookie_and_pat_survive_a_restart() {
    let h = handoff();
    let me = req("GET", "/api/me").cookie(h["cookie"].as_str().unwrap()).send().ok();
    assert_eq!(me["sessionId"], h["sid"]);
    req("GET", "/api/me").bearer(h["pat"].as_str().unwrap()).send().ok();
}

#[test]
fn ledger_survives_a_restart_with_its_chain_intact() {
    let h = handoff();
    let q = format!("/api/settings/audit-log?action=ACCOUNT_PAT_CREATED&resourceId={}", h["patId"].as_str().unwrap());
    let log = req("GET", &q).bearer(&admin_pat()).send().ok();
    assert_eq!(log["items"].as_array().unwrap().len(), 1);
    let verify = req("GET", "/api/settings/audit-log/verify").bearer(&admin_pat()).send().ok();
    assert_eq!(verify["ok"], true, "{verify}");
    assert!(verify["rows"].as_u64().unwrap() > 10);
}

fn webhook_handoff_path() -> String {
    format!("{}/webhook-handoff.json", env("AXIS_STATE"))
}

fn bump(cookie: &str) {
    req("PATCH", "/api/settings/workspace")
        .cookie(cookie)
        .header("x-axissynapse-request", "1")
        .json(&json!({"mfaRequired": false}))
        .send()
        .ok();
}

/// Run by `scripts/test.sh` just before it restarts `wrangler dev`: a delivery whose first
/// attempt got 503 with `Retry-After: 30` waits for its retry when the worker goes down
/// (local Queues keep nothing across a restart).
#[test]
#[ignore = "run by scripts/test.sh right before the restart"]
fn arm_a_webhook_retry_across_the_restart() {
    let owner = login("owner@hooks-restart.test");
    let port = receiver::free_port();
    let mut down = receiver::Receiver::start(
        port,
        "restart-before",
        json!({"failFirst": 100, "failStatus": 503, "retryAfter": 30}),
    );
    let created = req("POST", "/api/settings/webhooks")
        .session(&owner)
        .json(&json!({"name": "restart", "url": down.url(), "eventFilters": ["WORKSPACE_SETTINGS_UPDATED"]}))
        .send()
        .ok();
    bump(&owner.cookie);
    let rows = down.wait_for("the first attempt", 30, |r| !r.is_empty());
    down.stop();
    let handoff = json!({"port": port, "cookie": owner.cookie, "subscription": created["id"], "secret": created["secret"],
                         "message": rows[0]["id"]});
    std::fs::write(webhook_handoff_path(), handoff.to_string()).expect("handoff written");
}

#[test]
fn a_webhook_retry_in_flight_survives_the_restart() {
    let h: Value =
        serde_json::from_str(&std::fs::read_to_string(webhook_handoff_path()).expect("armed before the restart"))
            .expect("handoff json");
    let port = u16::try_from(h["port"].as_u64().unwrap()).unwrap();
    let up = receiver::Receiver::start(port, "restart-after", json!({"secrets": [h["secret"]]}));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    // Locally cron never fires by itself: tick it as Cloudflare would every minute.
    while up.received().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the parked retry was never delivered");
        req("GET", "/cdn-cgi/handler/scheduled").send();
        std::thread::sleep(std::time::Duration::from_secs(2));
    }
    std::thread::sleep(std::time::Duration::from_secs(3));
    let rows = up.received();
    assert_eq!(rows.len(), 1, "delivered exactly once: {rows:?}");
    assert_eq!((&rows[0]["id"], &rows[0]["verified"]), (&h["message"], &json!([true])));
    let path = format!("/api/settings/webhooks/{}/deliveries", h["subscription"].as_str().unwrap());
    let log = req("GET", &path).cookie(h["cookie"].as_str().unwrap()).send().ok()["deliveries"].clone();
    assert_eq!(log[0]["outcome"], "delivered", "{log}");
    assert_eq!((log[1]["outcome"].as_str(), log[1]["responseStatus"].as_u64()), (Some("retrying"), Some(503)));
}

/// The cron (as Cloudflare fires it: `/cdn-cgi/handler/scheduled` under wrangler dev) signs the
/// head of each workspace whose chain moved since its last checkpoint, at most hourly. No test
/// writes to or exports `ws_witness`, so only the cron checkpoints it: this test's ticks, or
/// wrangler's own if it fired the schedule during the run.
#[test]
fn the_cron_checkpoints_an_active_workspace_at_most_hourly() {
    use axissynapse_edge::audit::checkpoint::{self, keys_from_jwks, SignedCheckpoint};
    use axissynapse_edge::audit::query::Cursor;
    let s = login("owner@witness.test");
    let list = || req("GET", "/api/settings/audit-log/checkpoints").session(&s).send().ok()["items"].clone();
    let tick = || {
        let resp = ureq::get(&format!("{}/cdn-cgi/handler/scheduled", base())).call().expect("cron tick");
        assert_eq!(resp.status().as_u16(), 200);
    };
    // Each tick signs up to 200 due workspaces per shard, longest-waiting first: a few ticks at
    // most reach this one among the fixtures.
    for _ in 0..5 {
        if list() != json!([]) {
            break;
        }
        tick();
    }
    let items = list();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{items}");
    let cp = &items[0];
    assert_eq!(cp["source"], "cron");
    let seq = cp["seq"].as_i64().unwrap();
    assert!(seq >= 25, "at least the 25 seeded rows: {cp}");
    let cursor = Cursor { before_seq: seq + 1 }.encode();
    let row = req("GET", &format!("/api/settings/audit-log?limit=1&cursor={cursor}")).session(&s).send().ok();
    assert_eq!((&row["items"][0]["seq"], &row["items"][0]["hash"]), (&cp["seq"], &cp["hash"]), "{row}");
    let keys = keys_from_jwks(&req("GET", "/api/developers/audit-keys.json").send().ok()).unwrap();
    let signed = SignedCheckpoint::from_json(cp).unwrap();
    checkpoint::verify(&signed, &keys, checkpoint::verify_ed25519).unwrap_or_else(|e| panic!("{e:?}: {cp}"));
    let rows = req("GET", "/api/settings/audit-log?action=AUDIT_CHECKPOINT_SIGNED").session(&s).send().ok();
    assert_eq!(rows["items"][0]["actor"], json!({"type": "system", "id": null}), "{rows}");
    assert_eq!(&rows["items"][0]["data"], cp);

    // Within the hour, with new activity, the cron does not sign this workspace again.
    login("owner@witness.test");
    tick();
    assert_eq!(list().as_array().map(Vec::len), Some(1), "at most one cron checkpoint an hour");
}
