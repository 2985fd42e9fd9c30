//! SCIM Bulk (RFC 7644 §3.7) against the real worker: users and a group that references them
//! by bulkId, PUT/PATCH/DELETE with `version`, failOnErrors, a circular reference, the two
//! limits, and that each operation is audited and emitted as a webhook like the single call,
//! and writes nothing when it fails. In the `scim.test` workspace, with a token per test.

use crate::common::receiver::subscribed;
use crate::common::*;
use crate::scim::{
    expect_scim_error, find_by_user_name, owner, scim, scim_token, send_json, GROUP_URN, PATCH_OP, USER_URN,
};
use serde_json::{json, Value};

const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";

fn bulk(token: &str, body: Value) -> Resp {
    send_json(scim("POST", "/Bulk", token), body)
}

/// A bulk request that must answer 200: its BulkResponse operations.
fn run(token: &str, operations: Value, fail_on_errors: Option<u64>) -> Vec<Value> {
    let mut body = json!({"schemas": [BULK_REQUEST], "Operations": operations});
    if let Some(n) = fail_on_errors {
        body["failOnErrors"] = json!(n);
    }
    let resp = bulk(token, body);
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert!(resp.header("content-type").is_some_and(|c| c.starts_with("application/scim+json")), "{:?}", resp.headers);
    let answer = resp.json();
    assert_eq!(answer["schemas"], json!([BULK_RESPONSE]), "{answer}");
    answer["Operations"].as_array().cloned().unwrap_or_default()
}

fn entry<'a>(ops: &'a [Value], bulk_id: &str) -> &'a Value {
    ops.iter().find(|e| e["bulkId"] == bulk_id).unwrap_or_else(|| panic!("no {bulk_id} in {ops:?}"))
}

/// The stable code leading an entry's error `detail`.
fn code(e: &Value) -> &str {
    e["response"]["detail"].as_str().and_then(|d| d.split(':').next()).unwrap_or_default()
}

/// The id at the end of an entry's `location`.
fn id_of(e: &Value) -> String {
    e["location"].as_str().and_then(|l| l.rsplit('/').next()).unwrap_or_else(|| panic!("no location: {e}")).to_string()
}

fn user(user_name: &str) -> Value {
    json!({"schemas": [USER_URN], "userName": user_name, "emails": [{"value": user_name, "primary": true}]})
}

/// The audit rows of `resource` with `action`, as the owner reads them.
fn audit_rows(owner: &Session, resource: &str, action: &str) -> Vec<Value> {
    let log = req("GET", &format!("/api/settings/audit-log?resourceId={resource}&action={action}"))
        .session(owner)
        .send()
        .ok();
    log["items"].as_array().cloned().unwrap_or_default()
}

/// RFC 7644 §3.7.2: the group comes first and lists two users created later in the same
/// request by bulkId; they are created first and the group gets their ids.
#[test]
fn users_and_a_group_that_references_them_by_bulk_id() {
    let token = scim_token("bulk refs");
    let spc = req("GET", "/api/scim/v2/ServiceProviderConfig").send().ok();
    assert_eq!(spc["bulk"], json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576}));
    let ops = run(
        &token,
        json!([
            {"method": "POST", "path": "/Groups", "bulkId": "guides",
             "data": {"schemas": [GROUP_URN], "displayName": "Bulk Tour Guides",
                      "members": [{"type": "User", "value": "bulkId:alice"}, {"type": "User", "value": "bulkId:bob"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "alice", "data": user("bulk.alice@scim.test")},
            {"method": "POST", "path": "/Users", "bulkId": "bob", "data": user("bulk.bob@scim.test")}
        ]),
        None,
    );
    let order: Vec<&str> = ops.iter().map(|e| e["bulkId"].as_str().unwrap()).collect();
    assert_eq!(order, ["alice", "bob", "guides"], "listed in the order run: {ops:?}");
    for e in &ops {
        assert_eq!((e["method"].as_str(), e["status"].as_str()), (Some("POST"), Some("201")), "{e}");
        assert_eq!(e["version"], "W/\"1\"", "{e}");
        assert!(e.get("response").is_none(), "{e}");
    }
    let (alice, bob, group) = (id_of(&ops[0]), id_of(&ops[1]), id_of(&ops[2]));
    let served = scim("GET", &format!("/Groups/{group}"), &token).send().ok();
    assert_eq!(entry(&ops, "guides")["location"], served["meta"]["location"]);
    let mut members: Vec<&str> =
        served["members"].as_array().unwrap().iter().map(|m| m["value"].as_str().unwrap()).collect();
    members.sort_unstable();
    let mut want = [alice.as_str(), bob.as_str()];
    want.sort_unstable();
    assert_eq!(members, want, "{served}");
    let alice_served = scim("GET", &format!("/Users/{alice}"), &token).send().ok();
    assert_eq!(alice_served["groups"][0]["value"], group.as_str());

    // Audited like the single calls: one row each, the group's naming its two members.
    let owner = owner();
    assert_eq!(audit_rows(owner, &alice, "SCIM_USER_PROVISIONED").len(), 1);
    assert_eq!(audit_rows(owner, &bob, "SCIM_USER_PROVISIONED").len(), 1);
    let created = audit_rows(owner, &group, "SCIM_GROUP_CREATED");
    assert_eq!((created.len(), created[0]["data"]["members"].as_u64()), (1, Some(2)), "{created:?}");

    // POST /Users stays idempotent on userName inside a bulk: the same user, 200.
    let again = run(
        &token,
        json!([{"method": "POST", "path": "/Users", "bulkId": "a2", "data": user("BULK.ALICE@scim.test")}]),
        None,
    );
    assert_eq!((again[0]["status"].as_str(), id_of(&again[0])), (Some("200"), alice.clone()));
    assert_eq!(audit_rows(owner, &alice, "SCIM_USER_PROVISIONED").len(), 1);
}

/// RFC 7644 §3.7.3: PUT, PATCH and DELETE, with `version` preconditions, a path that names a
/// POST of the same request, and a DELETE of a resource that is not there.
#[test]
fn put_patch_and_delete_with_versions() {
    let token = scim_token("bulk writes");
    let mut ids = Vec::new();
    for name in ["bulk.put", "bulk.patch", "bulk.stale", "bulk.delete"] {
        let created = send_json(scim("POST", "/Users", &token), user(&format!("{name}@scim.test")));
        assert_eq!(created.status, 201, "{}", created.body);
        ids.push(created.json()["id"].as_str().unwrap().to_string());
    }
    let (put, patched, stale, deleted) = (&ids[0], &ids[1], &ids[2], &ids[3]);
    let mut replaced = user("bulk.put@scim.test");
    replaced["displayName"] = json!("Put By Bulk");
    let title =
        |t: &str| json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": t}]});
    let ops = run(
        &token,
        json!([
            {"method": "PUT", "path": format!("/Users/{put}"), "bulkId": "put", "version": "W/\"1\"", "data": replaced},
            {"method": "PATCH", "path": format!("/Users/{patched}"), "bulkId": "patch", "data": title("Lead")},
            {"method": "PATCH", "path": format!("/Users/{stale}"), "bulkId": "stale", "version": "W/\"7\"", "data": title("Never")},
            {"method": "PATCH", "path": "/Users/bulkId:fresh", "bulkId": "later", "data": title("Fresh")},
            {"method": "POST", "path": "/Users", "bulkId": "fresh", "data": user("bulk.fresh@scim.test")},
            {"method": "DELETE", "path": format!("/Users/{deleted}"), "bulkId": "delete", "version": "\"1\""},
            {"method": "DELETE", "path": "/Groups/g_not_here", "bulkId": "gone"}
        ]),
        None,
    );
    assert_eq!(ops.len(), 7, "{ops:?}");
    let base = format!("{}/api/scim/v2", base());
    let put_entry = entry(&ops, "put");
    assert_eq!(
        *put_entry,
        json!({"method": "PUT", "bulkId": "put", "version": "W/\"2\"", "location": format!("{base}/Users/{put}"), "status": "200"})
    );
    assert_eq!(entry(&ops, "patch")["status"], "200");
    let refused = entry(&ops, "stale");
    assert_eq!((refused["status"].as_str(), code(refused)), (Some("412"), "SCIM_PRECONDITION_FAILED"), "{refused}");
    assert_eq!(refused["location"], format!("{base}/Users/{stale}"));
    assert_eq!(refused["response"]["status"], "412");
    let later = entry(&ops, "later");
    assert_eq!(later["status"], "200", "{later}");
    let fresh = id_of(entry(&ops, "fresh"));
    assert_eq!(id_of(later), fresh, "the path's bulkId became the new user's id");
    let order: Vec<&str> = ops.iter().map(|e| e["bulkId"].as_str().unwrap()).collect();
    assert_eq!(order, ["put", "patch", "stale", "fresh", "later", "delete", "gone"]);
    let delete = entry(&ops, "delete");
    assert_eq!((delete["status"].as_str(), delete.get("version")), (Some("204"), None), "{delete}");
    let gone = entry(&ops, "gone");
    assert_eq!((gone["status"].as_str(), code(gone)), (Some("404"), "GROUP_NOT_FOUND"), "{gone}");
    assert_eq!(gone["location"], format!("{base}/Groups/g_not_here"));

    let get = |id: &str| scim("GET", &format!("/Users/{id}"), &token).send();
    assert_eq!(get(put).ok()["displayName"], "Put By Bulk");
    assert_eq!(get(patched).ok()["title"], "Lead");
    let untouched = get(stale);
    assert_eq!((untouched.header("etag"), untouched.json().get("title")), (Some("W/\"1\""), None));
    assert_eq!(get(&fresh).ok()["title"], "Fresh");
    expect_scim_error(&get(deleted), 404, "USER_NOT_FOUND", None);

    let owner = owner();
    assert_eq!(audit_rows(owner, put, "SCIM_USER_UPDATED").len(), 1);
    assert_eq!(audit_rows(owner, patched, "SCIM_USER_UPDATED").len(), 1);
    assert_eq!(audit_rows(owner, stale, "SCIM_USER_UPDATED").len(), 0, "a failed precondition writes nothing");
    assert_eq!(audit_rows(owner, &fresh, "SCIM_USER_UPDATED").len(), 1);
    assert_eq!(audit_rows(owner, deleted, "SCIM_USER_DELETED").len(), 1);
}

/// failOnErrors: the job stops after that many failures; what did not run is not listed and
/// not written.
#[test]
fn fail_on_errors_stops_after_that_many_failures() {
    let token = scim_token("bulk failOnErrors");
    let ops = run(
        &token,
        json!([
            {"method": "POST", "path": "/Users", "bulkId": "no-name", "data": {"schemas": [USER_URN], "displayName": "x"}},
            {"method": "POST", "path": "/Users", "bulkId": "first", "data": user("bulk.foe1@scim.test")},
            {"method": "PATCH", "path": "/Users/u_not_here", "bulkId": "missing", "data": {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "title"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "never", "data": user("bulk.foe2@scim.test")}
        ]),
        Some(2),
    );
    let listed: Vec<(&str, &str)> =
        ops.iter().map(|e| (e["bulkId"].as_str().unwrap(), e["status"].as_str().unwrap())).collect();
    assert_eq!(listed, [("no-name", "400"), ("first", "201"), ("missing", "404")]);
    let no_name = entry(&ops, "no-name");
    assert_eq!((code(no_name), no_name["response"]["scimType"].as_str()), ("SCIM_INVALID_VALUE", Some("invalidValue")));
    assert!(no_name.get("location").is_none(), "a failed POST has no location: {no_name}");
    assert_eq!(find_by_user_name(&token, "bulk.foe1@scim.test")["totalResults"], 1);
    assert_eq!(find_by_user_name(&token, "bulk.foe2@scim.test")["totalResults"], 0, "not run, not written");
    // Without failOnErrors every operation runs.
    let all = run(
        &token,
        json!([
            {"method": "PATCH", "path": "/Users/u_not_here", "bulkId": "m1", "data": {"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "title"}]}},
            {"method": "DELETE", "path": "/Users/u_not_here", "bulkId": "m2"},
            {"method": "POST", "path": "/Users", "bulkId": "third", "data": user("bulk.foe3@scim.test")}
        ]),
        None,
    );
    let statuses: Vec<&str> = all.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["404", "404", "201"]);
}

/// RFC 7644 §3.7.1: two new groups that are members of each other. Both fail with 409, the
/// operation that references one of them fails too, the rest runs.
#[test]
fn circular_references_fail_with_409_and_the_rest_runs() {
    let token = scim_token("bulk cycle");
    let group = |name: &str, other: &str| json!({"schemas": [GROUP_URN], "displayName": name, "members": [{"type": "Group", "value": format!("bulkId:{other}")}]});
    let ops = run(
        &token,
        json!([
            {"method": "POST", "path": "/Groups", "bulkId": "qwerty", "data": group("Bulk Cycle A", "ytrewq")},
            {"method": "POST", "path": "/Groups", "bulkId": "ytrewq", "data": group("Bulk Cycle B", "qwerty")},
            {"method": "PATCH", "path": "/Groups/bulkId:qwerty", "bulkId": "rename",
             "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "outside", "data": user("bulk.cycle@scim.test")},
            {"method": "POST", "path": "/Groups", "bulkId": "ghost", "data": group("Bulk Ghost", "nobody")}
        ]),
        None,
    );
    assert_eq!(ops.len(), 5, "{ops:?}");
    for bulk_id in ["qwerty", "ytrewq"] {
        let e = entry(&ops, bulk_id);
        assert_eq!((e["status"].as_str(), code(e)), (Some("409"), "SCIM_BULK_CIRCULAR_REFERENCE"), "{e}");
        assert_eq!(e["response"]["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
        assert!(e["response"].get("scimType").is_none() && e.get("location").is_none(), "{e}");
        assert!(e["response"]["detail"].as_str().unwrap().contains("\"qwerty\", \"ytrewq\""), "{e}");
    }
    let rename = entry(&ops, "rename");
    assert_eq!((rename["status"].as_str(), code(rename)), (Some("409"), "SCIM_BULK_DEPENDENCY_FAILED"), "{rename}");
    let ghost = entry(&ops, "ghost");
    assert_eq!((ghost["status"].as_str(), code(ghost)), (Some("400"), "SCIM_INVALID_VALUE"), "{ghost}");
    assert_eq!(entry(&ops, "outside")["status"], "201");
    for name in ["Bulk Cycle A", "Bulk Cycle B", "Bulk Ghost"] {
        let filter = crate::scim::url_escape(&format!("displayName eq \"{name}\""));
        assert_eq!(scim("GET", &format!("/Groups?filter={filter}"), &token).send().ok()["totalResults"], 0, "{name}");
    }
}

/// RFC 7644 §3.7.4: over maxOperations or maxPayloadSize is 413 with the SCIM error body and
/// runs nothing; a malformed request is refused whole.
#[test]
fn limits_and_malformed_requests_are_refused_whole() {
    let token = scim_token("bulk limits");
    let create = json!({"method": "POST", "path": "/Users", "bulkId": "x", "data": user("bulk.limit@scim.test")});
    let deletes = |n: usize| -> Vec<Value> {
        (0..n).map(|i| json!({"method": "DELETE", "path": format!("/Users/u_missing_{i}")})).collect()
    };
    let mut too_many = deletes(1000);
    too_many.push(create.clone());
    let refused = bulk(&token, json!({"schemas": [BULK_REQUEST], "Operations": too_many}));
    let body = expect_scim_error(&refused, 413, "SCIM_BULK_TOO_LARGE", None);
    assert!(body["detail"].as_str().unwrap().contains("1001 operations; maxOperations is 1000"), "{body}");
    // Exactly 1,000 is accepted (failOnErrors 1 stops at the first missing user).
    assert_eq!(run(&token, Value::Array(deletes(1000)), Some(1)).len(), 1);

    let mut big = create.clone();
    big["data"]["title"] = json!("x".repeat(1024 * 1024));
    let refused = bulk(&token, json!({"schemas": [BULK_REQUEST], "Operations": [big]}));
    let body = expect_scim_error(&refused, 413, "SCIM_BULK_TOO_LARGE", None);
    assert!(body["detail"].as_str().unwrap().contains("maxPayloadSize (1048576 bytes)"), "{body}");
    assert_eq!(find_by_user_name(&token, "bulk.limit@scim.test")["totalResults"], 0, "nothing ran");

    let no_schemas = bulk(&token, json!({"Operations": [create.clone()]}));
    expect_scim_error(&no_schemas, 400, "SCIM_INVALID_SYNTAX", Some("invalidSyntax"));
    let no_bulk_id = bulk(
        &token,
        json!({"schemas": [BULK_REQUEST], "Operations": [{"method": "POST", "path": "/Users", "data": {}}]}),
    );
    let body = expect_scim_error(&no_bulk_id, 400, "SCIM_INVALID_SYNTAX", Some("invalidSyntax"));
    assert!(body["detail"].as_str().unwrap().contains("Operations[0]: expected a `bulkId`"), "{body}");
    let twice = bulk(&token, json!({"schemas": [BULK_REQUEST], "Operations": [create.clone(), create.clone()]}));
    expect_scim_error(&twice, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
    let zero = bulk(&token, json!({"schemas": [BULK_REQUEST], "Operations": [create], "failOnErrors": 0}));
    expect_scim_error(&zero, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
    assert_eq!(find_by_user_name(&token, "bulk.limit@scim.test")["totalResults"], 0, "nothing ran");
    expect_scim_error(&send_json(scim("POST", "/Bulk", "scim_nope"), json!({})), 401, "Unauthorized", None);
}

/// An operation that fails writes nothing: no row, no audit, no version bump; the operations
/// beside it are written.
#[test]
fn a_failing_operation_writes_nothing() {
    let token = scim_token("bulk atomic");
    let created = send_json(scim("POST", "/Users", &token), user("bulk.atomic@scim.test")).ok();
    let id = created["id"].as_str().unwrap().to_string();
    let taken = send_json(scim("POST", "/Users", &token), user("bulk.taken@scim.test")).ok();
    let mut invalid = user("bulk.invalid@scim.test");
    invalid["emails"] = json!([{"value": "a@scim.test", "primary": true}, {"value": "b@scim.test", "primary": true}]);
    let ops = run(
        &token,
        json!([
            {"method": "POST", "path": "/Users", "bulkId": "invalid", "data": invalid},
            {"method": "PATCH", "path": format!("/Users/{id}"), "bulkId": "ro",
             "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "id", "value": "u_other"}]}},
            {"method": "PUT", "path": format!("/Users/{id}"), "bulkId": "taken", "data": user("BULK.TAKEN@scim.test")},
            {"method": "PATCH", "path": format!("/Users/{id}"), "bulkId": "ok",
             "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Kept"}]}}
        ]),
        None,
    );
    let outcome: Vec<(&str, &str)> = ops.iter().map(|e| (e["bulkId"].as_str().unwrap(), code(e))).collect();
    assert_eq!(
        outcome,
        [("invalid", "SCIM_INVALID_VALUE"), ("ro", "MUTABILITY_VIOLATION"), ("taken", "SCIM_UNIQUENESS"), ("ok", "")]
    );
    assert_eq!(entry(&ops, "taken")["status"], "409");
    assert_eq!(find_by_user_name(&token, "bulk.invalid@scim.test")["totalResults"], 0);
    let after = scim("GET", &format!("/Users/{id}"), &token).send();
    assert_eq!(after.header("etag"), Some("W/\"2\""), "only the good PATCH wrote: {}", after.body);
    assert_eq!(
        (after.json()["userName"].clone(), after.json()["title"].clone()),
        (json!("bulk.atomic@scim.test"), json!("Kept"))
    );
    let owner = owner();
    assert_eq!(audit_rows(owner, &id, "SCIM_USER_UPDATED").len(), 1);
    assert_eq!(
        scim("GET", &format!("/Users/{}", taken["id"].as_str().unwrap()), &token).send().ok()["userName"],
        "bulk.taken@scim.test"
    );
}

/// Each operation's audit event is delivered as a webhook, signed, like the single calls'.
#[test]
fn each_operation_is_emitted_as_a_webhook() {
    let token = scim_token("bulk hooks");
    let owner = owner();
    let (receiver, sub) = subscribed(owner, "scim-bulk", &["SCIM_*"]);
    let ops = run(
        &token,
        json!([
            {"method": "POST", "path": "/Users", "bulkId": "hook", "data": user("bulk.hook@scim.test")},
            {"method": "PATCH", "path": "/Users/bulkId:hook", "bulkId": "title",
             "data": {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Hooked"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "team",
             "data": {"schemas": [GROUP_URN], "displayName": "Bulk Hook Team", "members": [{"value": "bulkId:hook"}]}},
            {"method": "DELETE", "path": "/Users/bulkId:hook", "bulkId": "bye"}
        ]),
        None,
    );
    let statuses: Vec<&str> = ops.iter().map(|e| e["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["201", "200", "201", "204"], "{ops:?}");
    let (user_id, group_id) = (id_of(&ops[0]), id_of(&ops[2]));
    let mut events = Vec::new();
    for (resource, action) in [
        (&user_id, "SCIM_USER_PROVISIONED"),
        (&user_id, "SCIM_USER_UPDATED"),
        (&group_id, "SCIM_GROUP_CREATED"),
        (&user_id, "SCIM_USER_DELETED"),
    ] {
        let rows = audit_rows(owner, resource, action);
        assert_eq!(rows.len(), 1, "{action}: {rows:?}");
        events.push(rows[0]["id"].as_str().unwrap().to_string());
    }
    let rows = receiver.wait_for("the four bulk events", 60, |rows| {
        events.iter().all(|e| rows.iter().any(|r| r["eventId"] == e.as_str()))
    });
    for e in &events {
        let delivered: Vec<&Value> = rows.iter().filter(|r| r["eventId"] == e.as_str()).collect();
        assert_eq!(delivered.len(), 1, "{e} once: {delivered:?}");
        assert_eq!(delivered[0]["verified"], json!([true]), "{:?}", delivered[0]);
    }
    let id = sub["id"].as_str().unwrap();
    req("DELETE", &format!("/api/settings/webhooks/{id}")).session(owner).send().ok();
}
