//! SCIM 2.0 against the real worker: the Okta and Entra provisioning lifecycles (create, find
//! by `userName eq`, patch, deactivate, reactivate, group push with member add/remove,
//! delete), discovery, RFC 7644 §3.12 errors with our codes, and the SCIM network-policy
//! surface. Each test mints its own SCIM token in the `scim.test` workspace.

use crate::common::*;
use serde_json::{json, Value};

pub const OWNER: &str = "owner@scim.test";
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// The `scim.test` owner's session, signed in once for the whole run: every SCIM test mints
/// its token with it, and signing in once per test would trip the per-account sign-in limit.
pub fn owner() -> &'static Session {
    static OWNER_SESSION: std::sync::OnceLock<Session> = std::sync::OnceLock::new();
    OWNER_SESSION.get_or_init(|| login(OWNER))
}

pub fn scim_token(name: &str) -> String {
    let owner = owner();
    let minted = req("POST", "/api/settings/scim-tokens").session(owner).json(&json!({"name": name})).send();
    assert_eq!(minted.status, 201, "{}", minted.body);
    minted.json()["token"].as_str().unwrap().to_string()
}

pub fn scim(method: &str, path: &str, token: &str) -> Req {
    req(method, &format!("/api/scim/v2{path}")).bearer(token).header("accept", "application/scim+json")
}

fn body(v: Value) -> (String, Vec<u8>) {
    ("application/scim+json".into(), v.to_string().into_bytes())
}

pub fn send_json(r: Req, v: Value) -> Resp {
    let (ct, bytes) = body(v);
    r.raw(&ct, &bytes).send()
}

pub fn patch(token: &str, path: &str, ops: Value) -> Resp {
    send_json(scim("PATCH", path, token), json!({"schemas": [PATCH_OP], "Operations": ops}))
}

/// Asserts an RFC 7644 §3.12 error carrying our code.
pub fn expect_scim_error(resp: &Resp, status: u16, code: &str, scim_type: Option<&str>) -> Value {
    assert_eq!(resp.status, status, "expected {status} {code}: {}", resp.body);
    assert!(resp.header("content-type").is_some_and(|c| c.starts_with("application/scim+json")), "{:?}", resp.headers);
    let b = resp.json();
    let members: Vec<&str> = b.as_object().unwrap().keys().map(String::as_str).collect();
    assert!(members.iter().all(|k| ["schemas", "status", "scimType", "detail"].contains(k)), "only RFC members: {b}");
    assert_eq!(b["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]), "{b}");
    assert_eq!(b["status"], status.to_string());
    assert_eq!(resp.header("x-axissynapse-error-code"), Some(code), "{b}");
    assert!(b["detail"].as_str().is_some_and(|d| d.starts_with(&format!("{code}: "))), "{b}");
    assert_eq!(b["scimType"].as_str(), scim_type, "{b}");
    b
}

pub fn find_by_user_name(token: &str, user_name: &str) -> Value {
    let filter = format!("userName eq \"{user_name}\"");
    let q: String = url_escape(&filter);
    scim("GET", &format!("/Users?filter={q}&startIndex=1&count=100"), token).send().ok()
}

pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[test]
fn discovery_is_public_truthful_and_read_only() {
    let spc = req("GET", "/api/scim/v2/ServiceProviderConfig").send();
    assert!(spc.header("content-type").unwrap().starts_with("application/scim+json"));
    let spc = spc.ok();
    assert_eq!((spc["patch"]["supported"].clone(), spc["bulk"]["supported"].clone()), (json!(true), json!(true)));
    assert_eq!(spc["etag"]["supported"], true);
    assert_eq!(spc["filter"]["maxResults"], 200);
    let schemas = req("GET", "/api/scim/v2/Schemas").send().ok();
    assert_eq!(schemas["totalResults"], 3);
    let user = req("GET", &format!("/api/scim/v2/Schemas/{USER_URN}")).send().ok();
    assert!(user["attributes"].as_array().unwrap().iter().any(|a| a["name"] == "userName"));
    let types = req("GET", "/api/scim/v2/ResourceTypes").send().ok();
    assert_eq!(types["Resources"][0]["schemaExtensions"][0]["schema"], ENTERPRISE);
    req("GET", "/api/scim/v2/ResourceTypes/Group").send().ok();
    let refused = req("POST", "/api/scim/v2/ServiceProviderConfig").json(&json!({})).send();
    expect_scim_error(&refused, 405, "MethodNotAllowed", None);
    expect_scim_error(&req("GET", "/api/scim/v2/Schemas/urn:nope").send(), 404, "NotFound", None);
}

#[test]
fn okta_lifecycle() {
    let token = scim_token("Okta");
    let user_name = "okta.user@scim.test";
    assert_eq!(find_by_user_name(&token, user_name)["totalResults"], 0);
    let new_user = json!({
        "schemas": [USER_URN], "userName": user_name, "externalId": "00u1okta",
        "name": {"givenName": "Olive", "familyName": "Okta"}, "displayName": "Olive Okta", "locale": "en-US",
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "password": "a long enough okta password", "active": true, "groups": []
    });
    let created = send_json(scim("POST", "/Users", &token), new_user.clone());
    assert_eq!(created.status, 201, "{}", created.body);
    let user = created.json();
    let id = user["id"].as_str().unwrap().to_string();
    assert_eq!(created.header("location").unwrap(), user["meta"]["location"].as_str().unwrap());
    assert!(created.header("etag").unwrap().starts_with("W/\""));
    assert!(user.get("password").is_none(), "password is write-only");
    // Idempotent on userName (any case): the existing user, 200.
    let mut again = new_user.clone();
    again["userName"] = json!("OKTA.USER@scim.test");
    let second = send_json(scim("POST", "/Users", &token), again);
    assert_eq!((second.status, second.json()["id"].clone()), (200, json!(id)));
    let found = find_by_user_name(&token, user_name);
    assert_eq!((found["totalResults"].clone(), found["Resources"][0]["id"].clone()), (json!(1), json!(id)));

    // The provisioned password signs in; deactivation ends that session and the user's PATs.
    let session = login_with(user_name, "a long enough okta password");
    let pat = req("POST", "/api/me/tokens").session(&session).json(&json!({"name": "cli"})).send().json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    req("GET", "/api/me").bearer(&pat).send().ok();
    let off = patch(&token, &format!("/Users/{id}"), json!([{"op": "replace", "value": {"active": false}}])).ok();
    assert_eq!(off["active"], false);
    assert_ne!(req("GET", "/api/me").session(&session).send().status, 200);
    req("GET", "/api/me").bearer(&pat).send().expect_error(401, "TOKEN_REVOKED");
    try_login(user_name, "a long enough okta password").expect_error(401, "ACCOUNT_DISABLED");

    // Okta updates profiles with PUT.
    let mut replaced = new_user.clone();
    replaced["name"]["givenName"] = json!("Olivia");
    replaced["active"] = json!(false);
    replaced.as_object_mut().unwrap().remove("password");
    let put = send_json(scim("PUT", &format!("/Users/{id}"), &token), replaced).ok();
    assert_eq!((put["name"]["givenName"].clone(), put["active"].clone()), (json!("Olivia"), json!(false)));
    let on = patch(&token, &format!("/Users/{id}"), json!([{"op": "replace", "value": {"active": true}}])).ok();
    assert_eq!(on["active"], true);

    // Group push: create, add the member, see it on the user, remove it, delete.
    let group = send_json(
        scim("POST", "/Groups", &token),
        json!({"schemas": [GROUP_URN], "displayName": "Okta Engineering", "members": []}),
    );
    assert_eq!(group.status, 201, "{}", group.body);
    let gid = group.json()["id"].as_str().unwrap().to_string();
    let added = patch(
        &token,
        &format!("/Groups/{gid}"),
        json!([{"op": "add", "path": "members", "value": [{"value": id, "display": user_name}]}]),
    )
    .ok();
    assert_eq!(added["members"][0]["value"], id.as_str());
    let with_group = scim("GET", &format!("/Users/{id}"), &token).send().ok();
    assert_eq!(with_group["groups"][0]["value"], gid.as_str());
    let filter = url_escape(&format!("members.value eq \"{id}\""));
    assert_eq!(scim("GET", &format!("/Groups?filter={filter}"), &token).send().ok()["totalResults"], 1);
    let path = format!("members[value eq \"{id}\"]");
    let removed = patch(&token, &format!("/Groups/{gid}"), json!([{"op": "remove", "path": path}])).ok();
    assert!(removed.get("members").is_none_or(|m| m.as_array().unwrap().is_empty()), "{removed}");
    assert_eq!(scim("DELETE", &format!("/Groups/{gid}"), &token).send().status, 204);
    expect_scim_error(&scim("GET", &format!("/Groups/{gid}"), &token).send(), 404, "GROUP_NOT_FOUND", None);

    assert_eq!(scim("DELETE", &format!("/Users/{id}"), &token).send().status, 204);
    expect_scim_error(&scim("GET", &format!("/Users/{id}"), &token).send(), 404, "USER_NOT_FOUND", None);
    assert_eq!(find_by_user_name(&token, user_name)["totalResults"], 0);
}

/// How many audit rows of `action` the `scim.test` workspace has about `resource`.
pub fn audit_rows(resource: &str, action: &str) -> usize {
    let owner = owner();
    let log = req("GET", &format!("/api/settings/audit-log?resourceId={resource}&action={action}"))
        .session(owner)
        .send()
        .ok();
    log["items"].as_array().unwrap().len()
}

fn login_with(email: &str, password: &str) -> Session {
    session_of(&try_login(email, password))
}

#[test]
fn entra_lifecycle() {
    let token = scim_token("Entra");
    let user_name = "entra.user@scim.test";
    // Entra probes with a random userName first.
    assert_eq!(find_by_user_name(&token, "8c4e2f3a-not-there@scim.test")["totalResults"], 0);
    let created = send_json(
        scim("POST", "/Users", &token),
        json!({
            "schemas": [USER_URN, ENTERPRISE], "externalId": "a1b2c3", "userName": user_name, "active": true,
            "displayName": "Enzo Entra", "name": {"formatted": "Enzo Entra", "familyName": "Entra", "givenName": "Enzo"},
            "emails": [{"primary": true, "type": "work", "value": user_name}],
            ENTERPRISE: {"department": "R&D", "employeeNumber": "42"}
        }),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.json()["id"].as_str().unwrap().to_string();
    let patched = patch(
        &token,
        &format!("/Users/{id}"),
        json!([
            {"op": "Replace", "path": "displayName", "value": "Enzo E."},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "enzo@scim.test"},
            {"op": "Add", "path": format!("{ENTERPRISE}:department"), "value": "Sales"},
            {"op": "Add", "value": {"name.givenName": "Enzo-Maria", "title": "Lead"}}
        ]),
    )
    .ok();
    assert_eq!(patched["displayName"], "Enzo E.");
    assert_eq!(patched["emails"][0]["value"], "enzo@scim.test");
    assert_eq!(patched[ENTERPRISE]["department"], "Sales");
    assert_eq!((patched["name"]["givenName"].clone(), patched["title"].clone()), (json!("Enzo-Maria"), json!("Lead")));
    assert_eq!(patched["meta"]["version"], "W/\"2\"");
    // The new work email is what emails.value filters see.
    let filter = url_escape("emails[type eq \"work\" and value co \"enzo@\"]");
    let hit = scim("GET", &format!("/Users?filter={filter}"), &token).send().ok();
    assert_eq!(hit["totalResults"], 1, "{hit}");
    // Entra deactivates with a string boolean.
    let off =
        patch(&token, &format!("/Users/{id}"), json!([{"op": "Replace", "path": "active", "value": "False"}])).ok();
    assert_eq!(off["active"], false);
    let on = patch(&token, &format!("/Users/{id}"), json!([{"op": "Add", "path": "active", "value": "True"}])).ok();
    assert_eq!(on["active"], true);

    let group = send_json(
        scim("POST", "/Groups", &token),
        json!({"schemas": [GROUP_URN], "displayName": "Entra Sales", "externalId": "g-ext"}),
    );
    let gid = group.json()["id"].as_str().unwrap().to_string();
    patch(&token, &format!("/Groups/{gid}"), json!([{"op": "Add", "path": "members", "value": [{"value": id}]}])).ok();
    let dn = url_escape("displayName eq \"entra sales\"");
    assert_eq!(
        scim("GET", &format!("/Groups?filter={dn}&excludedAttributes=members"), &token).send().ok()["Resources"][0]
            ["id"],
        gid.as_str()
    );
    let removed = patch(
        &token,
        &format!("/Groups/{gid}"),
        json!([{"op": "Remove", "path": "members", "value": [{"value": id}]}]),
    )
    .ok();
    assert!(removed.get("members").is_none_or(|m| m.as_array().unwrap().is_empty()), "{removed}");
    assert_eq!(scim("DELETE", &format!("/Users/{id}"), &token).send().status, 204);
}

#[test]
fn errors_are_rfc7644_bodies_with_our_codes() {
    let token = scim_token("errors");
    let bad = scim("GET", &format!("/Users?filter={}", url_escape("userName equals \"x\"")), &token).send();
    let b = expect_scim_error(&bad, 400, "INVALID_FILTER", Some("invalidFilter"));
    assert!(b["detail"].as_str().unwrap().contains("position"), "{b}");
    let created =
        send_json(scim("POST", "/Users", &token), json!({"schemas": [USER_URN], "userName": "errs@scim.test"}));
    let id = created.json()["id"].as_str().unwrap().to_string();
    let ro = patch(&token, &format!("/Users/{id}"), json!([{"op": "replace", "path": "id", "value": "u_other"}]));
    expect_scim_error(&ro, 400, "MUTABILITY_VIOLATION", Some("mutability"));
    let path = patch(&token, &format!("/Users/{id}"), json!([{"op": "replace", "path": "shoeSize", "value": "44"}]));
    expect_scim_error(&path, 400, "SCIM_INVALID_PATH", Some("invalidPath"));
    let none = patch(&token, &format!("/Users/{id}"), json!([{"op": "remove"}]));
    expect_scim_error(&none, 400, "SCIM_NO_TARGET", Some("noTarget"));
    let syntax = send_json(scim("PATCH", &format!("/Users/{id}"), &token), json!({"Operations": "nope"}));
    expect_scim_error(&syntax, 400, "SCIM_INVALID_SYNTAX", Some("invalidSyntax"));
    let no_name = send_json(scim("POST", "/Users", &token), json!({"schemas": [USER_URN], "displayName": "x"}));
    expect_scim_error(&no_name, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
    let other =
        send_json(scim("POST", "/Users", &token), json!({"schemas": [USER_URN], "userName": "errs2@scim.test"}));
    let other_id = other.json()["id"].as_str().unwrap().to_string();
    let taken = patch(
        &token,
        &format!("/Users/{other_id}"),
        json!([{"op": "replace", "path": "userName", "value": "ERRS@scim.test"}]),
    );
    expect_scim_error(&taken, 409, "SCIM_UNIQUENESS", Some("uniqueness"));
    // Unauthenticated, a PAT, a revoked SCIM token.
    let anon = req("GET", "/api/scim/v2/Users").send();
    expect_scim_error(&anon, 401, "Unauthorized", None);
    assert!(anon.header("www-authenticate").is_some());
    expect_scim_error(&scim("GET", "/Users", &admin_pat()).send(), 401, "Unauthorized", None);
    let owner = owner();
    let list = req("GET", "/api/settings/scim-tokens").session(owner).send().ok();
    let tid = list["tokens"].as_array().unwrap().iter().find(|t| t["name"] == "errors").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    req("DELETE", &format!("/api/settings/scim-tokens/{tid}")).session(owner).send().ok();
    expect_scim_error(&scim("GET", "/Users", &token).send(), 401, "TOKEN_REVOKED", None);
}

#[test]
fn list_pages_projects_and_searches() {
    let token = scim_token("paging");
    for i in 0..5 {
        let u = json!({"schemas": [USER_URN], "userName": format!("page{i}@paging.scim.test"), "title": "Pager"});
        assert_eq!(send_json(scim("POST", "/Users", &token), u).status, 201);
    }
    let filter = url_escape("userName sw \"page\" and userName ew \"@paging.scim.test\"");
    let page =
        scim("GET", &format!("/Users?filter={filter}&startIndex=2&count=2&attributes=userName"), &token).send().ok();
    assert_eq!(
        (page["totalResults"].clone(), page["startIndex"].clone(), page["itemsPerPage"].clone()),
        (json!(5), json!(2), json!(2))
    );
    let first = &page["Resources"][0];
    assert_eq!(first["userName"], "page1@paging.scim.test");
    assert!(first.get("id").is_some() && first.get("title").is_none() && first.get("meta").is_none(), "{first}");
    // title is not indexed: evaluated in memory over the SQL-narrowed candidates, totals exact.
    let mixed = url_escape("title eq \"pager\" and userName ew \"@paging.scim.test\"");
    assert_eq!(scim("GET", &format!("/Users?filter={mixed}"), &token).send().ok()["totalResults"], 5);
    let search = send_json(
        scim("POST", "/Users/.search", &token),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName sw \"page3@paging\"", "attributes": ["userName"]}),
    )
    .ok();
    assert_eq!(search["totalResults"], 1);
}

#[test]
fn scim_surface_of_the_network_policy_blocks_an_outside_provisioner() {
    let owner = login("owner@scim-netpol.test");
    let minted = req("POST", "/api/settings/scim-tokens").session(&owner).json(&json!({"name": "IdP"})).send().json();
    let token = minted["token"].as_str().unwrap().to_string();
    let policy = json!({
        "mode": "allowlist",
        "rules": [{"id": "idp", "cidr": "203.0.113.0/24", "label": "IdP egress"}],
        "surfaces": {"signIn": false, "dashboard": false, "api": false, "scim": true}
    });
    req("PUT", "/api/settings/network-policy").session(&owner).client_ip("198.51.100.1").json(&policy).send().ok();
    scim("GET", "/Users", &token).client_ip("203.0.113.8").send().ok();
    let blocked = scim("GET", "/Users", &token).client_ip("192.0.2.99").send();
    let b = expect_scim_error(&blocked, 403, "IP_BLOCKED", None);
    assert!(b["detail"].as_str().unwrap().contains("allowlist"), "{b}");
    // The dashboard surface is not enforced here.
    req("GET", "/api/me").session(&owner).client_ip("192.0.2.99").send().ok();
}

/// Issue 15: a `startIndex` of 2^63 − 511 or more was bound as a rounded double and answered
/// 500. Every integer now pages (RFC 7644 §3.4.2.4): past the result set the page is empty,
/// with the exact `totalResults` and the `startIndex` used (at most 2^53 − 1); a huge `count`
/// is the largest page; below 1 is 1. On Users and Groups, by query and by `.search`, through
/// SQL paging and through the in-memory filter path (where a 32-bit offset must not wrap).
#[test]
fn huge_start_index_and_count_page_safely() {
    const MAX_START: u64 = (1 << 53) - 1;
    let token = scim_token("huge paging");
    for i in 0..3 {
        let u = json!({"schemas": [USER_URN], "userName": format!("huge{i}@huge.scim.test"), "title": "Huge Pager"});
        assert_eq!(send_json(scim("POST", "/Users", &token), u).status, 201);
        let g = json!({"schemas": [GROUP_URN], "displayName": format!("Huge Paging {i}")});
        assert_eq!(send_json(scim("POST", "/Groups", &token), g).status, 201);
    }
    let users_sql = url_escape("userName ew \"@huge.scim.test\"");
    let users_memory = url_escape("title eq \"huge pager\" and userName ew \"@huge.scim.test\"");
    let groups_sql = url_escape("displayName sw \"Huge Paging \"");
    let lists = [
        format!("/Users?filter={users_sql}"),
        format!("/Users?filter={users_memory}"),
        format!("/Groups?filter={groups_sql}"),
    ];
    let empty_page = |page: &Value, start: u64, what: &str| {
        assert_eq!(page["totalResults"], 3, "{what}: {page}");
        assert_eq!(page["startIndex"], start, "{what}: {page}");
        assert_eq!((page["itemsPerPage"].clone(), page["Resources"].clone()), (json!(0), json!([])), "{what}: {page}");
    };
    // 2^63 − 1 and 2^63 − 512 answered 500 before the fix; 2^63 − 513 is the last that did not.
    let huge = [
        "9223372036854775807",
        "9223372036854775296",
        "9223372036854775295",
        "18446744073709551616",
        "99999999999999999999999999",
    ];
    for list in &lists {
        for start in huge {
            let page = scim("GET", &format!("{list}&startIndex={start}&count=2"), &token).send();
            assert_eq!(page.status, 200, "{list} startIndex={start}: {}", page.body);
            empty_page(&page.json(), MAX_START, &format!("{list} startIndex={start}"));
        }
        // Past the end but within 32 bits' reach of wrapping: still empty.
        let page = scim("GET", &format!("{list}&startIndex=4294967297"), &token).send().ok();
        empty_page(&page, 4294967297, list);
        // Huge count: the largest page; huge negative startIndex: the first.
        let page = scim("GET", &format!("{list}&startIndex=-99999999999999999999&count=99999999999999999999"), &token)
            .send()
            .ok();
        assert_eq!((page["startIndex"].clone(), page["itemsPerPage"].clone()), (json!(1), json!(3)), "{list}: {page}");
    }
    let search = |path: &str, filter: &str, start: Value, count: Value| {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": filter,
                          "startIndex": start, "count": count});
        send_json(scim("POST", path, &token), body)
    };
    for (path, filter) in
        [("/Users/.search", "userName ew \"@huge.scim.test\""), ("/Groups/.search", "displayName sw \"Huge Paging \"")]
    {
        for start in [json!(9223372036854775807u64), json!(u64::MAX), json!(1e30)] {
            let page = search(path, filter, start.clone(), json!(1e30));
            assert_eq!(page.status, 200, "{path} startIndex={start}: {}", page.body);
            empty_page(&page.json(), MAX_START, &format!("{path} {start}"));
        }
        let first = search(path, filter, json!(i64::MIN), json!(u64::MAX)).ok();
        assert_eq!((first["startIndex"].clone(), first["itemsPerPage"].clone()), (json!(1), json!(3)), "{first}");
        let fraction = search(path, filter, json!(2.5), json!(1));
        expect_scim_error(&fraction, 400, "SCIM_INVALID_VALUE", Some("invalidValue"));
    }
    // Without a filter too (the workspace's whole list, counted apart).
    for list in ["/Users", "/Groups"] {
        let page = scim("GET", &format!("{list}?startIndex=9223372036854775807"), &token).send();
        assert_eq!(page.status, 200, "{list}: {}", page.body);
        assert_eq!(page.json()["Resources"], json!([]), "{list}");
    }
}

/// Issue 15: a PATCH that changed nothing (an add of an existing member, operations that are
/// ignored) still bumped `meta.version`, wrote an audit row and sent webhooks. A write whose
/// result equals the stored resource now writes nothing and answers the resource as it is:
/// same version and ETag, same `lastModified`, no audit row. Also for PUT of what is served.
#[test]
fn writes_that_change_nothing_write_nothing() {
    let token = scim_token("no-op writes");
    let created = send_json(
        scim("POST", "/Users", &token),
        json!({"schemas": [USER_URN], "userName": "noop@scim.test", "displayName": "Nora Noop", "active": true,
               "emails": [{"value": "noop@scim.test", "type": "work", "primary": true}]}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let user = created.json();
    let id = user["id"].as_str().unwrap().to_string();
    let same_as_created = |resp: &Resp, what: &str| {
        assert_eq!(resp.status, 200, "{what}: {}", resp.body);
        let body = resp.json();
        assert_eq!(resp.header("etag"), Some("W/\"1\""), "{what}: {body}");
        assert_eq!(body["meta"], user["meta"], "{what}: version and lastModified unchanged");
        assert_eq!(body, user, "{what}");
    };
    for ops in [
        json!([{"op": "add", "path": "emails", "value": [{"value": "NOOP@scim.test", "type": "work"}]}]),
        json!([{"op": "Add", "path": "urn:okta:custom:1.0:User:costCenter", "value": "42"}]),
        json!([{"op": "replace", "value": {"displayName": "Nora Noop", "urn:example:ext:1.0:User:x": "y"}}]),
        json!([{"op": "Replace", "path": "active", "value": "True"}]),
        json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
    ] {
        same_as_created(&patch(&token, &format!("/Users/{id}"), ops.clone()), &ops.to_string());
    }
    let served = scim("GET", &format!("/Users/{id}"), &token).send();
    same_as_created(&served, "GET after no-op patches");
    same_as_created(&send_json(scim("PUT", &format!("/Users/{id}"), &token), user.clone()), "PUT of the served user");
    // A real change still writes.
    let changed = patch(&token, &format!("/Users/{id}"), json!([{"op": "replace", "path": "title", "value": "Lead"}]));
    assert_eq!((changed.status, changed.header("etag")), (200, Some("W/\"2\"")), "{}", changed.body);

    let group = send_json(
        scim("POST", "/Groups", &token),
        json!({"schemas": [GROUP_URN], "displayName": "No-op Group", "members": [{"value": id}]}),
    );
    assert_eq!(group.status, 201, "{}", group.body);
    let group = group.json();
    let gid = group["id"].as_str().unwrap().to_string();
    for ops in [
        json!([{"op": "add", "path": "members", "value": [{"value": id}]}]),
        json!([{"op": "Add", "path": "members", "value": [{"value": "u_not_a_user_here"}]}]),
        json!([{"op": "replace", "path": "displayName", "value": "No-op Group"}]),
        json!([{"op": "remove", "path": "members[value eq \"u_not_a_member\"]"}]),
    ] {
        let resp = patch(&token, &format!("/Groups/{gid}"), ops.clone());
        assert_eq!((resp.status, resp.header("etag")), (200, Some("W/\"1\"")), "{ops}: {}", resp.body);
        assert_eq!(resp.json(), group, "{ops}");
    }
    let put = send_json(scim("PUT", &format!("/Groups/{gid}"), &token), group.clone());
    assert_eq!((put.status, put.header("etag")), (200, Some("W/\"1\"")), "PUT of the served group: {}", put.body);

    // The ledger (and so the webhook fan-out written with it) has one update: the real one.
    assert_eq!(audit_rows(&id, "SCIM_USER_UPDATED"), 1);
    assert_eq!(audit_rows(&gid, "SCIM_GROUP_UPDATED"), 0);
}
