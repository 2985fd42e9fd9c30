//! Runs after `scripts/test.sh` restarts `wrangler dev` on the same state dir: what the first
//! run wrote (D1 rows, Durable Object sessions) must still be there.

mod common;

use common::*;
use serde_json::Value;

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
