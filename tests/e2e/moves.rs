//! Moving a workspace between shards (issue 16, point 4) through the operator API
//! (`POST /api/operator/workspaces/{workspaceId}/move`, `Bearer $AXIS_OPERATOR_TOKEN`).
//!
//! `ws_mover` (seeded on shard 1 with a 10,000-row ledger, a PAT and a SCIM token) gets SCIM users
//! and a group, a second PAT, an invitation and a webhook subscription, then moves to shard 2
//! and back to shard 1. Every credential minted before a move keeps working afterwards (PAT,
//! SCIM token, session cookie, invitation), new ones name the new shard, the ledger verifies with
//! the same head it had before (the move's own event links onto it), and the webhook receives
//! that event from the new shard.
//!
//! The freeze is tested deterministically with the development-only `stopWhenFrozen`: the first
//! request copies and freezes, then answers; writes get 503 `WORKSPACE_MOVING` with
//! `Retry-After` while reads go on; a second request completes the move (which also shows that
//! running a move again after it stopped half-way is safe).

use crate::common::receiver::subscribed;
use crate::common::*;
use crate::scim::{expect_scim_error, scim};
use serde_json::{json, Value};

const WS: &str = "ws_mover";
const OWNER: &str = "owner@mover.test";
const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ROUND_TRIPS: &str = "x-axissynapse-d1-round-trips";

fn operator(ws: &str, token: &str, body: Value) -> Resp {
    req("POST", &format!("/api/operator/workspaces/{ws}/move")).bearer(token).json(&body).send()
}

fn operator_token() -> String {
    env("AXIS_OPERATOR_TOKEN")
}

fn move_to(shard: u64) -> Value {
    let r = operator(WS, &operator_token(), json!({"toShard": shard}));
    assert_eq!(r.status, 200, "move to shard {shard}: {}", r.body);
    r.json()
}

fn scim_json(r: Req, v: Value) -> Resp {
    r.raw("application/scim+json", v.to_string().as_bytes()).send()
}

fn round_trips(r: &Resp) -> u32 {
    r.header(ROUND_TRIPS).and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("no {ROUND_TRIPS}: {}", r.body))
}

/// `GET /api/me` with a PAT: the workspace, and how many D1 round trips it took.
fn me_with(pat: &str) -> (Value, u32) {
    let r = req("GET", "/api/me").bearer(pat).send();
    (r.ok(), round_trips(&r))
}

fn verify(pat: &str) -> Value {
    let v = req("GET", "/api/settings/audit-log/verify").bearer(pat).send().ok();
    assert_eq!(v["ok"], true, "{v}");
    v
}

fn newest_events(pat: &str, n: u32) -> Vec<Value> {
    let page = req("GET", &format!("/api/settings/audit-log?limit={n}")).bearer(pat).send().ok();
    page["items"].as_array().cloned().unwrap()
}

fn mint(s: &Session, path: &str, name: &str) -> String {
    let r = req("POST", path).session(s).json(&json!({"name": name})).send();
    assert_eq!(r.status, 201, "{path}: {}", r.body);
    r.json()["token"].as_str().unwrap().to_string()
}

fn invite(s: &Session, email: &str) -> String {
    let r = req("POST", "/api/settings/invitations").session(s).json(&json!({"email": email, "role": "member"})).send();
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["token"].as_str().unwrap().to_string()
}

fn user_names(token: &str) -> Vec<String> {
    let list = scim("GET", "/Users?count=100", token).send().ok();
    list["Resources"].as_array().unwrap().iter().map(|u| u["userName"].as_str().unwrap().to_string()).collect()
}

#[test]
fn the_operator_route_is_closed_and_refuses_bad_moves() {
    let to = |shard: u64| json!({"toShard": shard});
    req("POST", "/api/operator/workspaces/ws_demo/move").json(&to(2)).send().expect_error(401, "Unauthorized");
    operator("ws_demo", "not-the-operator-token", to(2)).expect_error(401, "Unauthorized");
    operator("ws_demo", &admin_pat(), to(2)).expect_error(401, "Unauthorized");
    let token = operator_token();
    operator("ws_nope", &token, to(2)).expect_error(404, "NotFound");
    operator("ws_demo", &token, to(0)).expect_error(409, "Conflict");
    let unbound = operator("ws_demo", &token, to(9)).expect_error(400, "ValidationError");
    assert!(unbound["reason"].as_str().unwrap().contains("DB_SHARD_9"), "{unbound}");
    operator("ws_demo", &token, to(256)).expect_error(400, "ValidationError");
    operator("ws_demo", &token, json!({"toShard": 1, "extra": true})).expect_error(400, "ValidationError");
    let doc = req("GET", "/api/developers/openapi.json").send().ok();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert!(paths.iter().all(|p| !p.starts_with("/api/operator/")), "operator routes are not public: {paths:?}");
    assert_eq!(req("GET", "/api/me").bearer(&admin_pat()).send().ok()["workspaceId"], "ws_demo", "nothing moved");
}

#[test]
fn a_workspace_moves_and_back_and_every_credential_keeps_working() {
    let secrets = secrets();
    assert_eq!(secrets["shards"][WS], 1, "{}", secrets["shards"]);
    let pat = secrets["mover"]["pat"].as_str().unwrap().to_string();
    let scim_token = secrets["mover"]["scimToken"].as_str().unwrap().to_string();
    assert!(pat.starts_with("pat_01") && scim_token.starts_with("scim_01"));

    // A workspace with a bit of everything, on shard 1.
    let session = login(OWNER);
    let minted_pat = mint(&session, "/api/me/tokens", "minted on shard 1");
    assert!(minted_pat.starts_with("pat_01"), "{minted_pat}");
    // Credentials left unused until after a move: no isolate has cached their principal, so
    // their round trips are exactly the forwarding's (`edge::auth` caches principals for 30 s; a
    // cached one from before the move first fails its guard on the old shard, one trip more).
    let quiet_session = login(OWNER);
    let home_pat = mint(&session, "/api/me/tokens", "used only back home");
    let mut user_ids = Vec::new();
    for n in 0..3 {
        let user = json!({"schemas": [USER_URN], "userName": format!("person{n}@mover.test"),
                          "name": {"givenName": "Per", "familyName": format!("Son {n}")},
                          "emails": [{"value": format!("person{n}@mover.test"), "primary": true}]});
        let created = scim_json(scim("POST", "/Users", &scim_token), user);
        assert_eq!(created.status, 201, "{}", created.body);
        user_ids.push(created.json()["id"].as_str().unwrap().to_string());
    }
    let members: Vec<Value> = user_ids.iter().map(|id| json!({"value": id})).collect();
    let group = scim_json(
        scim("POST", "/Groups", &scim_token),
        json!({"schemas": [GROUP_URN], "displayName": "Movers", "members": members}),
    );
    assert_eq!(group.status, 201, "{}", group.body);
    let group_id = group.json()["id"].as_str().unwrap().to_string();
    let invitation = invite(&session, "invitee@mover.test");
    assert!(invitation.starts_with("inv_01"), "{invitation}");
    let (receiver, _) = subscribed(&session, "mover", &["WORKSPACE_MOVED"]);
    let before = verify(&pat);
    assert!(before["rows"].as_u64().unwrap() > 10_000, "{before}");
    let users_before = user_names(&scim_token);
    assert_eq!(me_with(&pat).1, 1, "an unmoved PAT: one round trip");

    // Copy and freeze, then stop: writes pause, reads go on.
    let frozen = operator(WS, &operator_token(), json!({"toShard": 2, "stopWhenFrozen": true}));
    assert_eq!(frozen.status, 202, "{}", frozen.body);
    assert_eq!(frozen.json()["state"], "frozen");
    let refused = req("PATCH", "/api/settings/workspace").session(&session).json(&json!({"mfaRequired": false})).send();
    refused.expect_error(503, "WORKSPACE_MOVING");
    assert_eq!(refused.header("retry-after"), Some("2"));
    let scim_write =
        scim_json(scim("POST", "/Users", &scim_token), json!({"schemas": [USER_URN], "userName": "late@mover.test"}));
    expect_scim_error(&scim_write, 503, "WORKSPACE_MOVING", None);
    assert!(scim_write.header("retry-after").is_some());
    assert_eq!(me_with(&pat).0["workspaceId"], WS, "reads go on while frozen");
    assert_eq!(user_names(&scim_token), users_before);
    req("GET", "/api/settings/audit-log?limit=5").session(&session).send().ok();

    // Run the move again: it completes.
    let moved = move_to(2);
    assert_eq!(
        (moved["state"].clone(), moved["fromShard"].clone(), moved["toShard"].clone()),
        (json!("moved"), json!(1), json!(2))
    );
    assert_eq!(moved["ledger"]["headSeq"], before["headSeq"], "{moved}");
    assert_eq!(moved["ledger"]["headHash"], before["headHash"], "{moved}");
    assert_eq!(moved["sourceRowsLeft"], 0, "{moved}");
    assert!(moved["frozenMs"].as_u64().is_some(), "{moved}");
    eprintln!("move 1 -> 2: {moved}");

    // The same credentials, one extra round trip for the forwarded ones.
    let (me, trips) = me_with(&minted_pat);
    assert_eq!((me["workspaceId"].as_str(), trips), (Some(WS), 2), "a forwarded PAT: {me}");
    let (me, trips) = me_with(&pat);
    assert!(me["workspaceId"] == WS && (2..=3).contains(&trips), "a forwarded PAT cached before the move: {trips}");
    assert_eq!(user_names(&scim_token), users_before, "SCIM list with the old token");
    let got = scim("GET", &format!("/Users/{}", user_ids[0]), &scim_token).send();
    assert_eq!((got.status, round_trips(&got)), (200, 2), "{}", got.body);
    let g = scim("GET", &format!("/Groups/{group_id}"), &scim_token).send().ok();
    assert_eq!(g["members"].as_array().unwrap().len(), 3, "{g}");
    let cookie_me = req("GET", "/api/me").session(&quiet_session).send();
    assert_eq!(cookie_me.ok()["workspaceId"], WS);
    assert_eq!(round_trips(&cookie_me), 2, "a forwarded session cookie");
    assert_eq!(req("GET", "/api/me").session(&session).send().ok()["workspaceId"], WS);

    // The ledger: the same chain, the move's event linked onto the head it had before.
    let after = verify(&pat);
    assert_eq!(after["rows"].as_u64(), before["rows"].as_u64().map(|n| n + 1), "{after}");
    let newest = newest_events(&pat, 1);
    assert_eq!(newest[0]["action"], "WORKSPACE_MOVED", "{newest:?}");
    assert_eq!(newest[0]["prevHash"], before["headHash"]);
    assert_eq!(newest[0]["data"]["fromShard"], 1);
    assert_eq!(newest[0]["data"]["toShard"], 2);
    assert_eq!(newest[0]["actor"]["type"], "operator");
    let rows =
        receiver.wait_for("the WORKSPACE_MOVED delivery", 60, |r| r.iter().any(|d| d["type"] == "WORKSPACE_MOVED"));
    let delivered: Vec<&Value> = rows.iter().filter(|d| d["type"] == "WORKSPACE_MOVED").collect();
    assert_eq!(delivered[0]["eventId"], newest[0]["id"]);

    // Writes with the old credentials land on the new shard; new credentials name it.
    req("PATCH", "/api/settings/workspace").session(&session).json(&json!({"mfaRequired": false})).send().ok();
    let late =
        scim_json(scim("POST", "/Users", &scim_token), json!({"schemas": [USER_URN], "userName": "late@mover.test"}));
    assert_eq!(late.status, 201, "{}", late.body);
    let fresh = login(OWNER);
    let me = req("GET", "/api/me").session(&fresh).send();
    assert_eq!((me.ok()["workspaceId"].as_str(), round_trips(&me)), (Some(WS), 1), "a new session names shard 2");
    let pat_2 = mint(&fresh, "/api/me/tokens", "minted on shard 2");
    assert!(pat_2.starts_with("pat_02"), "{pat_2}");
    assert_eq!(me_with(&pat_2).1, 1);
    let quiet_pat_2 = mint(&fresh, "/api/me/tokens", "minted on shard 2, used only back home");
    let quiet_session_2 = login(OWNER);
    let scim_2 = mint(&fresh, "/api/settings/scim-tokens", "minted on shard 2");
    assert!(scim_2.starts_with("scim_02"), "{scim_2}");
    assert!(user_names(&scim_2).contains(&"late@mover.test".to_string()));
    assert!(invite(&fresh, "second.invitee@mover.test").starts_with("inv_02"));

    // Back to shard 1: credentials minted there are home again, those minted on 2 forward.
    let before_back = verify(&pat);
    let back = move_to(1);
    assert_eq!(
        (back["ledger"]["headSeq"].clone(), back["ledger"]["headHash"].clone()),
        (before_back["headSeq"].clone(), before_back["headHash"].clone())
    );
    assert_eq!(back["sourceRowsLeft"], 0, "{back}");
    eprintln!("move 2 -> 1: {back}");
    let (me, trips) = me_with(&home_pat);
    assert_eq!((me["workspaceId"].as_str(), trips), (Some(WS), 1), "home again: one round trip");
    let (me, trips) = me_with(&quiet_pat_2);
    assert_eq!((me["workspaceId"].as_str(), trips), (Some(WS), 2), "minted on shard 2: forwarded");
    let me = req("GET", "/api/me").session(&quiet_session_2).send();
    assert_eq!((me.ok()["workspaceId"].as_str(), round_trips(&me)), (Some(WS), 2), "a cookie of shard 2: forwarded");
    for pat in [&pat, &minted_pat, &pat_2] {
        assert_eq!(me_with(pat).0["workspaceId"], WS);
    }
    assert_eq!(req("GET", "/api/me").session(&session).send().ok()["workspaceId"], WS);
    assert_eq!(req("GET", "/api/me").session(&fresh).send().ok()["workspaceId"], WS);
    assert!(user_names(&scim_2).contains(&"late@mover.test".to_string()));
    assert_eq!(
        scim("GET", &format!("/Groups/{group_id}"), &scim_token).send().ok()["members"].as_array().unwrap().len(),
        3
    );
    let last = verify(&pat);
    assert_eq!(last["rows"].as_u64(), before_back["rows"].as_u64().map(|n| n + 1), "{last}");
    let newest = newest_events(&pat, 1);
    assert_eq!(
        (newest[0]["action"].as_str(), newest[0]["prevHash"].clone()),
        (Some("WORKSPACE_MOVED"), before_back["headHash"].clone())
    );

    // The invitation minted on shard 1, before both moves, is still accepted.
    let joined = req("POST", "/api/auth/invitations/accept")
        .json(&json!({"token": invitation, "password": "a long enough invitee password"}))
        .send();
    assert_eq!(joined.status, 201, "{}", joined.body);
}
