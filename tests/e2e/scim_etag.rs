//! Issue 17: ETags on SCIM Users and Groups (RFC 7644 §3.14). `If-Match` on PUT, PATCH and
//! DELETE: a stale version is 412 `SCIM_PRECONDITION_FAILED` and writes nothing (no change, no
//! audit row), also when the version moves between the request's read and its write (the
//! check is in the write's batch); the current version, in either form, a list naming it, or
//! `*` let the write through. `If-None-Match` with the current version (or `*`) on a GET is
//! 304 with the ETag and no body.

use crate::common::*;
use crate::scim::{audit_rows, expect_scim_error, patch, scim, scim_token, send_json};
use serde_json::{json, Value};

const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn create(token: &str, path: &str, body: Value) -> String {
    let created = send_json(scim("POST", path, token), body);
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.header("etag"), Some("W/\"1\""));
    created.json()["id"].as_str().unwrap().to_string()
}

fn user(token: &str, user_name: &str) -> String {
    create(token, "/Users", json!({"schemas": [USER_URN], "userName": user_name, "title": "First"}))
}

fn group(token: &str, name: &str) -> String {
    create(token, "/Groups", json!({"schemas": [GROUP_URN], "displayName": name}))
}

fn patch_if(token: &str, path: &str, if_match: &str, ops: Value) -> Resp {
    send_json(
        scim("PATCH", path, token).header("if-match", if_match),
        json!({"schemas": [PATCH_OP], "Operations": ops}),
    )
}

fn put_if(token: &str, path: &str, if_match: &str, body: Value) -> Resp {
    send_json(scim("PUT", path, token).header("if-match", if_match), body)
}

fn delete_if(token: &str, path: &str, if_match: &str) -> Resp {
    scim("DELETE", path, token).header("if-match", if_match).send()
}

/// The resource as served, asserting its ETag and `meta.version`.
fn read_at(token: &str, path: &str, version: &str) -> Value {
    let read = scim("GET", path, token).send();
    assert_eq!(read.header("etag"), Some(version), "{path}: {}", read.body);
    let body = read.ok();
    assert_eq!(body["meta"]["version"], version, "{body}");
    body
}

fn title(value: &str) -> Value {
    json!([{"op": "replace", "path": "title", "value": value}])
}

#[test]
fn a_stale_if_match_is_412_and_writes_nothing() {
    let token = scim_token("etag stale");
    let id = user(&token, "etag.stale@scim.test");
    let path = format!("/Users/{id}");
    let moved = patch(&token, &path, title("Second"));
    assert_eq!((moved.status, moved.header("etag")), (200, Some("W/\"2\"")), "{}", moved.body);
    let put_body = json!({"schemas": [USER_URN], "userName": "etag.stale@scim.test", "title": "Stale"});
    for (what, refused) in [
        ("PATCH", patch_if(&token, &path, "W/\"1\"", title("Stale"))),
        ("PATCH, strong form", patch_if(&token, &path, "\"1\"", title("Stale"))),
        ("PATCH, a list without the current version", patch_if(&token, &path, "W/\"1\", W/\"3\"", title("Stale"))),
        ("PATCH, no entity tag", patch_if(&token, &path, "2", title("Stale"))),
        ("PUT", put_if(&token, &path, "W/\"1\"", put_body)),
        ("DELETE", delete_if(&token, &path, "W/\"1\"")),
    ] {
        let body = expect_scim_error(&refused, 412, "SCIM_PRECONDITION_FAILED", None);
        assert!(body["detail"].as_str().unwrap().contains("If-Match"), "{what}: {body}");
    }
    let after = read_at(&token, &path, "W/\"2\"");
    assert_eq!(after["title"], "Second");
    assert_eq!(audit_rows(&id, "SCIM_USER_UPDATED"), 1, "only the unconditional change");
    assert_eq!(audit_rows(&id, "SCIM_USER_DELETED"), 0);

    let gid = group(&token, "ETag Stale Group");
    let gpath = format!("/Groups/{gid}");
    let renamed = patch(&token, &gpath, json!([{"op": "replace", "path": "displayName", "value": "ETag Stale Two"}]));
    assert_eq!(renamed.header("etag"), Some("W/\"2\""), "{}", renamed.body);
    let rename = json!([{"op": "replace", "path": "displayName", "value": "ETag Stale Three"}]);
    for refused in [
        patch_if(&token, &gpath, "W/\"1\"", rename),
        put_if(&token, &gpath, "W/\"1\"", json!({"schemas": [GROUP_URN], "displayName": "ETag Stale Three"})),
        delete_if(&token, &gpath, "W/\"1\""),
    ] {
        expect_scim_error(&refused, 412, "SCIM_PRECONDITION_FAILED", None);
    }
    assert_eq!(read_at(&token, &gpath, "W/\"2\"")["displayName"], "ETag Stale Two");
    assert_eq!(audit_rows(&gid, "SCIM_GROUP_UPDATED"), 1);
    assert_eq!(audit_rows(&gid, "SCIM_GROUP_DELETED"), 0);
}

#[test]
fn the_current_etag_or_star_lets_the_write_through() {
    let token = scim_token("etag current");
    let id = user(&token, "etag.current@scim.test");
    let path = format!("/Users/{id}");
    let served = scim("GET", &path, &token).send();
    let etag = served.header("etag").unwrap().to_string();
    for (if_match, value, version) in [
        (etag.as_str(), "Second", "W/\"2\""),
        ("\"2\"", "Third", "W/\"3\""),
        ("W/\"1\", W/\"3\"", "Fourth", "W/\"4\""),
        ("*", "Fifth", "W/\"5\""),
        // A change of nothing under the current version writes nothing.
        ("W/\"5\"", "Fifth", "W/\"5\""),
    ] {
        let resp = patch_if(&token, &path, if_match, title(value));
        assert_eq!((resp.status, resp.header("etag")), (200, Some(version)), "If-Match {if_match}: {}", resp.body);
        assert_eq!(resp.json()["title"], value);
    }
    let put = put_if(&token, &path, "W/\"5\"", json!({"schemas": [USER_URN], "userName": "etag.current@scim.test"}));
    assert_eq!((put.status, put.header("etag")), (200, Some("W/\"6\"")), "{}", put.body);
    assert!(put.json().get("title").is_none());
    assert_eq!(delete_if(&token, &path, "W/\"6\"").status, 204);
    expect_scim_error(&scim("GET", &path, &token).send(), 404, "USER_NOT_FOUND", None);
    expect_scim_error(&delete_if(&token, &path, "*"), 404, "USER_NOT_FOUND", None);

    let gid = group(&token, "ETag Current Group");
    let gpath = format!("/Groups/{gid}");
    let rename = json!([{"op": "replace", "path": "displayName", "value": "ETag Current Two"}]);
    let renamed = patch_if(&token, &gpath, "W/\"1\"", rename);
    assert_eq!((renamed.status, renamed.header("etag")), (200, Some("W/\"2\"")), "{}", renamed.body);
    let put = put_if(&token, &gpath, "*", json!({"schemas": [GROUP_URN], "displayName": "ETag Current Three"}));
    assert_eq!((put.status, put.header("etag")), (200, Some("W/\"3\"")), "{}", put.body);
    assert_eq!(delete_if(&token, &gpath, "*").status, 204);
    expect_scim_error(&scim("GET", &gpath, &token).send(), 404, "GROUP_NOT_FOUND", None);
}

#[test]
fn if_none_match_with_the_current_version_is_304() {
    let token = scim_token("etag none match");
    let id = user(&token, "etag.nonematch@scim.test");
    let gid = group(&token, "ETag None Match Group");
    for path in [format!("/Users/{id}"), format!("/Groups/{gid}")] {
        for current in ["W/\"1\"", "\"1\"", "*", "W/\"0\", W/\"1\""] {
            let cached = scim("GET", &path, &token).header("if-none-match", current).send();
            assert_eq!(cached.status, 304, "{path} If-None-Match {current}: {}", cached.body);
            assert_eq!(cached.header("etag"), Some("W/\"1\""));
            assert!(cached.body.is_empty(), "{}", cached.body);
        }
        let stale = scim("GET", &path, &token).header("if-none-match", "W/\"0\"").send();
        assert_eq!((stale.status, stale.header("etag")), (200, Some("W/\"1\"")));
        assert_eq!(stale.json()["id"], path.rsplit('/').next().unwrap());
    }
    patch(&token, &format!("/Users/{id}"), title("Second")).ok();
    let moved = scim("GET", &format!("/Users/{id}"), &token).header("if-none-match", "W/\"1\"").send();
    assert_eq!((moved.status, moved.header("etag")), (200, Some("W/\"2\"")), "{}", moved.body);
    assert_eq!(moved.json()["title"], "Second");
}

/// The precondition is checked again inside the write's D1 batch: of concurrent writers that
/// all read version 1 and send `If-Match: W/"1"`, exactly one writes.
#[test]
fn concurrent_conditional_writes_let_exactly_one_through() {
    const WRITERS: usize = 8;
    let token = scim_token("etag race");
    let id = user(&token, "etag.race@scim.test");
    let path = format!("/Users/{id}");
    let answers: Vec<(u16, String)> = std::thread::scope(|s| {
        let writers: Vec<_> = (0..WRITERS)
            .map(|i| {
                let (token, path) = (&token, &path);
                s.spawn(move || {
                    let resp = patch_if(token, path, "W/\"1\"", title(&format!("Writer {i}")));
                    (resp.status, resp.body)
                })
            })
            .collect();
        writers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let won: Vec<&(u16, String)> = answers.iter().filter(|(status, _)| *status == 200).collect();
    assert_eq!(won.len(), 1, "exactly one writer: {answers:?}");
    assert!(answers.iter().all(|(status, _)| [200, 412].contains(status)), "{answers:?}");
    let winner: Value = serde_json::from_str(&won[0].1).unwrap();
    let after = read_at(&token, &path, "W/\"2\"");
    assert_eq!(after["title"], winner["title"]);
    assert_eq!(audit_rows(&id, "SCIM_USER_UPDATED"), 1);
}
