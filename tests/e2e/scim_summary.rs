//! The SCIM setup page's API: `GET /api/settings/scim/summary` (the base URL and the user and
//! group counts, which follow SCIM creates and deletes) and the refused SCIM writes the
//! ledger records as `SCIM_REQUEST_REFUSED` (reads are not recorded), read through the audit
//! log by the workspace's admins only. Counts are exact in `ws_scim_counts`, which no other
//! test writes to.

use crate::common::*;
use crate::scim::{expect_scim_error, scim, send_json, GROUP_URN, PATCH_OP, USER_URN};
use serde_json::{json, Value};

const OWNER: &str = "owner@scim-counts.test";

fn summary(s: &Session) -> Value {
    req("GET", "/api/settings/scim/summary").session(s).send().ok()
}

/// A SCIM token of `ws_scim_counts`: (token, its id).
fn token(owner: &Session, name: &str) -> (String, String) {
    let minted = req("POST", "/api/settings/scim-tokens").session(owner).json(&json!({"name": name})).send();
    assert_eq!(minted.status, 201, "{}", minted.body);
    let body = minted.json();
    (body["token"].as_str().unwrap().to_string(), body["id"].as_str().unwrap().to_string())
}

fn suffix() -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{}x{nanos}", std::process::id())
}

fn created_id(resp: &Resp) -> String {
    assert_eq!(resp.status, 201, "{}", resp.body);
    resp.json()["id"].as_str().unwrap().to_string()
}

#[test]
fn summary_counts_follow_scim_creates_and_deletes() {
    let owner = login(OWNER);
    let (token, _) = token(&owner, "counts");
    let before = summary(&owner);
    assert!(before["baseUrl"].as_str().unwrap().ends_with("/api/scim/v2"), "{before}");
    let (users, groups) = (before["users"].as_u64().unwrap(), before["groups"].as_u64().unwrap());
    assert!(users >= 1, "the owner is a user: {before}");
    let run = suffix();
    let new_user = |n: u8| {
        let name = format!("count{n}.{run}@scim-counts.test");
        created_id(&send_json(scim("POST", "/Users", &token), json!({"schemas": [USER_URN], "userName": name})))
    };
    let (first, second) = (new_user(1), new_user(2));
    let group = created_id(&send_json(
        scim("POST", "/Groups", &token),
        json!({"schemas": [GROUP_URN], "displayName": format!("Counted {run}"), "members": [{"value": first}]}),
    ));
    let grown = summary(&owner);
    assert_eq!((grown["users"].as_u64(), grown["groups"].as_u64()), (Some(users + 2), Some(groups + 1)), "{grown}");
    assert_eq!(scim("DELETE", &format!("/Users/{second}"), &token).send().status, 204);
    assert_eq!(scim("DELETE", &format!("/Groups/{group}"), &token).send().status, 204);
    let shrunk = summary(&owner);
    assert_eq!((shrunk["users"].as_u64(), shrunk["groups"].as_u64()), (Some(users + 1), Some(groups)), "{shrunk}");
    assert_eq!(scim("DELETE", &format!("/Users/{first}"), &token).send().status, 204);
    assert_eq!(summary(&owner)["users"].as_u64(), Some(users));
}

/// The `SCIM_REQUEST_REFUSED` rows of the caller's ledger whose path is `path`.
fn refusals(s: &Session, path: &str) -> Vec<Value> {
    let log = req("GET", "/api/settings/audit-log?action=SCIM_REQUEST_REFUSED&limit=200").session(s).send().ok();
    log["items"].as_array().unwrap().iter().filter(|row| row["data"]["path"] == path).cloned().collect()
}

#[test]
fn refused_scim_writes_are_in_the_ledger_with_status_and_code_and_reads_are_not() {
    let owner = login(OWNER);
    let (token, token_id) = token(&owner, "refusals");
    let run = suffix();
    let missing = format!("/Users/u_missing{run}");
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    expect_scim_error(&send_json(scim("PATCH", &missing, &token), patch), 404, "USER_NOT_FOUND", None);
    expect_scim_error(&scim("GET", &missing, &token).send(), 404, "USER_NOT_FOUND", None);
    let group_path = format!("/Groups/g_missing{run}");
    expect_scim_error(&scim("DELETE", &group_path, &token).send(), 404, "GROUP_NOT_FOUND", None);
    // A create the schema refuses: no userName.
    let bad = send_json(scim("POST", "/Users", &token), json!({"schemas": [USER_URN], "displayName": run}));
    assert_eq!(bad.status, 400, "{}", bad.body);
    let bad_code = bad.header("x-axissynapse-error-code").unwrap().to_string();

    let rows = refusals(&owner, &missing);
    assert_eq!(rows.len(), 1, "the PATCH, not the GET: {rows:?}");
    let row = &rows[0];
    assert_eq!(row["action"], "SCIM_REQUEST_REFUSED");
    assert_eq!(row["actor"]["type"], "scim_token", "{row}");
    assert_eq!(row["actor"]["id"], token_id.as_str(), "{row}");
    assert_eq!(row["data"]["method"], "PATCH");
    assert_eq!(row["data"]["status"], 404);
    assert_eq!(row["data"]["code"], "USER_NOT_FOUND");
    assert!(row["data"]["reason"].as_str().is_some_and(|r| r.contains("u_missing")), "{row}");
    let deleted = refusals(&owner, &group_path);
    assert_eq!(deleted.len(), 1, "{deleted:?}");
    let what = |row: &Value, key: &str| row["data"][key].clone();
    assert_eq!((what(&deleted[0], "method"), what(&deleted[0], "code")), (json!("DELETE"), json!("GROUP_NOT_FOUND")));
    let posts: Vec<Value> =
        refusals(&owner, "/Users").into_iter().filter(|r| r["actor"]["id"] == token_id.as_str()).collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!((what(&posts[0], "status"), what(&posts[0], "code")), (json!(400), json!(bad_code)));

    // Another workspace's admin never sees these rows; a member is refused the summary.
    let other = login(OTHER_ADMIN);
    assert!(refusals(&other, &missing).is_empty(), "another workspace's ledger");
    req("GET", "/api/settings/scim/summary").session(&login(MEMBER)).send().expect_error(403, "Forbidden");
}
