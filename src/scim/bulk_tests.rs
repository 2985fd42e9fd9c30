//! Tests of `scim::bulk`: the RFC 7644 §3.7 examples, the refusals, the limits, reference
//! resolution and ordering, cycles, failOnErrors, and a property test over random op graphs.

use super::*;
use crate::test_rng::Rng;

const BASE: &str = "https://x/api/scim/v2";
const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

fn request(ops: Value) -> Value {
    json!({"schemas": [REQUEST_URN], "Operations": ops})
}

fn refused(body: Value) -> ApiError {
    parse(&body).expect_err("refused")
}

/// Runs a job with `call` standing in for the single-resource calls; returns the operations
/// as they were handed out, and the BulkResponse.
fn run(body: Value, mut call: impl FnMut(&Ready) -> Outcome) -> (Vec<Ready>, Value) {
    let mut job = Job::new(parse(&body).expect("parses"), BASE, "req_1");
    let mut ran = Vec::new();
    while let Some(ready) = job.next_operation() {
        job.record(call(&ready));
        ran.push(ready);
    }
    (ran, job.finish())
}

/// Every call succeeds; a POST creates `id-<data.n>`.
fn succeed(ready: &Ready) -> Outcome {
    let (status, id) = match &ready.id {
        None => (201, format!("id-{}", ready.data["n"].as_str().unwrap_or("?"))),
        Some(id) => (if ready.method == Method::Delete { 204 } else { 200 }, id.clone()),
    };
    let version = (ready.method != Method::Delete).then(|| "W/\"1\"".to_string());
    Outcome::Done { status, id, version }
}

fn ops(response: &Value) -> &[Value] {
    response["Operations"].as_array().map_or(&[], Vec::as_slice)
}

/// The entry of the operation with `bulk_id`.
fn entry_of(response: &Value, bulk_id: &str) -> Value {
    ops(response).iter().find(|e| e["bulkId"] == bulk_id).cloned().unwrap_or_else(|| panic!("no {bulk_id}: {response}"))
}

fn code_of(entry: &Value) -> String {
    entry["response"]["detail"].as_str().unwrap_or_default().split(':').next().unwrap_or_default().to_string()
}

/// RFC 7644 §3.7.3: add, update and remove users with failOnErrors 1.
#[test]
fn rfc7644_3_7_3_request_parses() {
    let body = json!({
        "schemas": [REQUEST_URN], "failOnErrors": 1,
        "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "qwerty",
             "data": {"schemas": [USER_URN], "userName": "Alice"}},
            {"method": "PUT", "path": "/Users/b7c14771-226c-4d05-8860-134711653041",
             "version": "W/\"3694e05e9dff591\"",
             "data": {"schemas": [USER_URN], "id": "b7c14771-226c-4d05-8860-134711653041", "userName": "Bob"}},
            {"method": "PATCH", "path": "/Users/5d8d29d3-342c-4b5f-8683-a3cb6763ffcc",
             "version": "W/\"edac3253e2c0ef2\"",
             "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                      "Operations": [{"op": "remove", "path": "nickName"}]}},
            {"method": "DELETE", "path": "/Users/e9025315-6bea-44e1-899c-1e07454e468b",
             "version": "W/\"0ee8add0a938e1a\""}
        ]
    });
    let parsed = parse(&body).unwrap();
    assert_eq!(parsed.fail_on_errors, Some(1));
    let methods: Vec<Method> = parsed.operations.iter().map(|o| o.method).collect();
    assert_eq!(methods, [Method::Post, Method::Put, Method::Patch, Method::Delete]);
    assert_eq!(parsed.operations[0].bulk_id.as_deref(), Some("qwerty"));
    assert_eq!(parsed.operations[1].version.as_deref(), Some("W/\"3694e05e9dff591\""));
    assert_eq!(parsed.operations[3].data, Value::Null);
    let (ran, response) = run(body, succeed);
    assert_eq!(ran.len(), 4);
    assert_eq!(ran[1].id.as_deref(), Some("b7c14771-226c-4d05-8860-134711653041"));
    let entries = ops(&response);
    assert_eq!(response["schemas"], json!([RESPONSE_URN]));
    assert_eq!(
        entries[0],
        json!({"method": "POST", "bulkId": "qwerty", "version": "W/\"1\"",
               "location": format!("{BASE}/Users/id-?"), "status": "201"})
    );
    assert_eq!(
        entries[3],
        json!({"method": "DELETE", "location": format!("{BASE}/Users/e9025315-6bea-44e1-899c-1e07454e468b"),
               "status": "204"})
    );
}

#[test]
fn member_names_and_methods_take_any_case() {
    let parsed = parse(&json!({"SCHEMAS": [REQUEST_URN.to_uppercase()], "operations": [
        {"Method": "post", "PATH": "/Groups", "BulkId": "g", "DATA": {"displayName": "x"}}
    ]}))
    .unwrap();
    assert_eq!((parsed.operations[0].method, parsed.operations[0].bulk_id.as_deref()), (Method::Post, Some("g")));
}

#[test]
fn a_malformed_message_is_refused_whole() {
    let post = |extra: Value| {
        let mut op = json!({"method": "POST", "path": "/Users", "bulkId": "a", "data": {}});
        op.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        op
    };
    let syntax = [
        json!([]),
        json!({"Operations": []}),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": []}),
        json!({"schemas": [REQUEST_URN]}),
        request(json!({"method": "POST"})),
        request(json!(["nope"])),
        request(json!([{"path": "/Users", "bulkId": "a", "data": {}}])),
        request(json!([{"method": "POST", "bulkId": "a", "data": {}}])),
        request(json!([post(json!({"path": 3}))])),
        request(json!([post(json!({"bulkId": null}))])),
        request(json!([post(json!({"bulkId": 7}))])),
        request(json!([post(json!({"data": []}))])),
        request(json!([post(json!({"data": null}))])),
        request(json!([post(json!({"version": 3}))])),
        request(json!([{"method": "PUT", "path": "/Users/u1"}])),
        request(json!([{"method": "PATCH", "path": "/Users/u1", "data": "x"}])),
    ];
    for body in syntax {
        assert_eq!(refused(body.clone()).code, ErrorCode::ScimInvalidSyntax, "{body}");
    }
    let value = [
        request(json!([post(json!({"method": "GET"}))])),
        request(json!([post(json!({"bulkId": ""}))])),
        request(json!([post(json!({})), post(json!({"path": "/Groups"}))])),
        json!({"schemas": [REQUEST_URN], "Operations": [], "failOnErrors": 0}),
        json!({"schemas": [REQUEST_URN], "Operations": [], "failOnErrors": -1}),
        json!({"schemas": [REQUEST_URN], "Operations": [], "failOnErrors": 1.5}),
        json!({"schemas": [REQUEST_URN], "Operations": [], "failOnErrors": "1"}),
    ];
    for body in value {
        assert_eq!(refused(body.clone()).code, ErrorCode::ScimInvalidValue, "{body}");
    }
    let duplicate = refused(request(json!([post(json!({})), post(json!({"path": "/Groups"}))])));
    assert_eq!(
        duplicate.reason.as_deref(),
        Some("Operations[1]: bulkId \"a\" is also the bulkId of Operations[0]; bulkIds are unique")
    );
    let second = refused(request(json!([post(json!({})), {"method": "PATCH", "path": "/Users/u", "data": 1}])));
    assert!(second.reason.unwrap().starts_with("Operations[1]: expected `data` to be an object"));
    // A DELETE needs no data, and a bulkId on any method is echoed back.
    let parsed = parse(&request(json!([{"method": "delete", "path": "/Users/u", "bulkId": "d", "data": 5}]))).unwrap();
    assert_eq!((parsed.operations[0].data.clone(), parsed.operations[0].bulk_id.as_deref()), (Value::Null, Some("d")));
}

/// RFC 7644 §3.7.4: maxOperations and maxPayloadSize, 413.
#[test]
fn rfc7644_3_7_4_limits() {
    let op = json!({"method": "DELETE", "path": "/Users/u"});
    let at_limit = request(Value::Array(vec![op.clone(); MAX_OPERATIONS]));
    assert_eq!(parse(&at_limit).unwrap().operations.len(), MAX_OPERATIONS);
    let over = refused(request(Value::Array(vec![op; MAX_OPERATIONS + 1])));
    assert_eq!((over.code, over.status()), (ErrorCode::ScimBulkTooLarge, 413));
    assert_eq!(over.reason.as_deref(), Some("1001 operations; maxOperations is 1000"));
    let body = payload_too_large().scim_body("r");
    assert_eq!(body["status"], "413");
    assert!(body["detail"].as_str().unwrap().contains("maxPayloadSize (1048576 bytes)"), "{body}");
    assert_eq!(MAX_PAYLOAD_SIZE, 1024 * 1024);
}

/// RFC 7644 §3.7.2: the group comes first and names the user by bulkId; the user is created
/// first and the group gets its id. References in a path and in an extension resolve too.
#[test]
fn rfc7644_3_7_2_references_resolve_whatever_the_order() {
    let body = request(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
         "data": {"schemas": [GROUP_URN], "displayName": "Tour Guides", "n": "tour",
                  "members": [{"type": "User", "value": "bulkId:qwerty"}]}},
        {"method": "PATCH", "path": "/Users/bulkId:qwerty", "bulkId": "p",
         "data": {"Operations": [{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                                  "value": {"value": "bulkId:boss"}}]}},
        {"method": "POST", "path": "/Users", "bulkId": "qwerty", "data": {"userName": "Alice", "n": "alice"}},
        {"method": "POST", "path": "/Users", "bulkId": "boss", "data": {"userName": "Bea", "n": "bea"}},
        {"method": "DELETE", "path": "/Groups/g_other"}
    ]));
    let (ran, response) = run(body, succeed);
    let order: Vec<String> =
        ran.iter().map(|r| r.data["n"].as_str().map_or_else(|| format!("{:?}", r.id), str::to_string)).collect();
    assert_eq!(order, ["alice", "tour", "bea", "Some(\"id-alice\")", "Some(\"g_other\")"]);
    assert_eq!(ran[1].data["members"][0]["value"], "id-alice");
    assert_eq!((ran[3].method, ran[3].kind), (Method::Patch, Kind::User));
    assert_eq!(ran[3].data["Operations"][0]["value"]["value"], "id-bea", "the PATCH waited for both POSTs it names");
    let methods: Vec<&str> = ops(&response).iter().map(|e| e["method"].as_str().unwrap()).collect();
    assert_eq!(methods, ["POST", "POST", "POST", "PATCH", "DELETE"], "listed in the order run");
    assert_eq!(entry_of(&response, "ytrewq")["location"], format!("{BASE}/Groups/id-tour"));
    assert_eq!(entry_of(&response, "p")["location"], format!("{BASE}/Users/id-alice"));
}

#[test]
fn text_that_merely_contains_the_prefix_is_not_a_reference() {
    let path = "members[value eq \"bulkId:nope\"]";
    let body = request(json!([{"method": "PATCH", "path": "/Groups/g1",
                                "data": {"Operations": [{"op": "remove", "path": path}], "note": "see bulkId:x"}}]));
    let (ran, _) = run(body, succeed);
    assert_eq!(ran[0].data["Operations"][0]["path"], path);
}

#[test]
fn a_reference_to_no_post_fails_that_operation_only() {
    let body = request(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"members": [{"value": "bulkId:ghost"}]}},
        {"method": "PUT", "path": "/Users/u1", "bulkId": "put", "data": {"userName": "u"}},
        {"method": "PATCH", "path": "/Users/bulkId:put", "bulkId": "p", "data": {}},
        {"method": "POST", "path": "/Users", "bulkId": "ok", "data": {"n": "ok"}}
    ]));
    let (ran, response) = run(body, succeed);
    assert_eq!(ran.len(), 2, "only the PUT and the good POST ran");
    let g = entry_of(&response, "g");
    assert_eq!((g["status"].as_str(), code_of(&g).as_str()), (Some("400"), "SCIM_INVALID_VALUE"));
    assert!(g.get("location").is_none(), "a failed POST has no location: {g}");
    assert!(g["response"]["detail"].as_str().unwrap().contains("bulkId:ghost names no POST operation"), "{g}");
    assert_eq!(g["response"]["scimType"], "invalidValue");
    assert_eq!(g["response"]["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    assert_eq!(code_of(&entry_of(&response, "p")), "SCIM_INVALID_VALUE", "only a POST's bulkId is a resource");
    assert_eq!(entry_of(&response, "ok")["status"], "201");
}

#[test]
fn a_failed_post_fails_what_references_it_and_nothing_else() {
    let body = request(json!([
        {"method": "POST", "path": "/Users", "bulkId": "alice", "data": {"n": "alice"}},
        {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"n": "g", "members": [{"value": "bulkId:alice"}]}},
        {"method": "DELETE", "path": "/Users/bulkId:alice", "bulkId": "del"},
        {"method": "POST", "path": "/Users", "bulkId": "bob", "data": {"n": "bob"}}
    ]));
    let (ran, response) = run(body, |r| match r.data["n"].as_str() {
        Some("alice") => Outcome::Failed(ApiError::with_reason(ErrorCode::ScimUniqueness, "taken")),
        _ => succeed(r),
    });
    assert_eq!(ran.len(), 2, "alice (failed) and bob");
    for bulk_id in ["g", "del"] {
        let e = entry_of(&response, bulk_id);
        assert_eq!((e["status"].as_str(), code_of(&e).as_str()), (Some("409"), "SCIM_BULK_DEPENDENCY_FAILED"), "{e}");
        assert!(e["response"].get("scimType").is_none(), "{e}");
        assert!(e.get("location").is_none(), "the DELETE's resource was never known: {e}");
    }
    let alice = entry_of(&response, "alice");
    assert_eq!((alice["status"].as_str(), alice["response"]["scimType"].as_str()), (Some("409"), Some("uniqueness")));
    assert_eq!(entry_of(&response, "bob")["status"], "201");
}

/// RFC 7644 §3.7.1: two groups that are members of each other. Both fail with 409, what
/// depends on them fails, the rest runs.
#[test]
fn rfc7644_3_7_1_circular_references_fail_with_409() {
    let body = request(json!([
        {"method": "POST", "path": "/Groups", "bulkId": "qwerty",
         "data": {"schemas": [GROUP_URN], "displayName": "Group A", "members": [{"type": "Group", "value": "bulkId:ytrewq"}]}},
        {"method": "POST", "path": "/Groups", "bulkId": "ytrewq",
         "data": {"schemas": [GROUP_URN], "displayName": "Group B", "members": [{"type": "Group", "value": "bulkId:qwerty"}]}},
        {"method": "PATCH", "path": "/Groups/bulkId:qwerty", "bulkId": "after", "data": {}},
        {"method": "POST", "path": "/Users", "bulkId": "self", "data": {"manager": {"value": "bulkId:self"}}},
        {"method": "POST", "path": "/Users", "bulkId": "free", "data": {"n": "free"}}
    ]));
    let (ran, response) = run(body, succeed);
    assert_eq!(ran.len(), 1, "only the independent POST ran");
    for bulk_id in ["qwerty", "ytrewq", "self"] {
        let e = entry_of(&response, bulk_id);
        assert_eq!((e["status"].as_str(), code_of(&e).as_str()), (Some("409"), "SCIM_BULK_CIRCULAR_REFERENCE"), "{e}");
        assert_eq!(e["response"]["status"], "409");
    }
    let detail = entry_of(&response, "qwerty")["response"]["detail"].as_str().unwrap().to_string();
    assert!(detail.contains("\"qwerty\", \"ytrewq\" form a cycle"), "{detail}");
    assert_eq!(code_of(&entry_of(&response, "after")), "SCIM_BULK_DEPENDENCY_FAILED");
    assert_eq!(entry_of(&response, "free")["status"], "201");
}

#[test]
fn paths_that_name_no_endpoint_fail_that_operation() {
    let bad = [
        ("POST", "/Users/u1"),
        ("POST", "Users"),
        ("POST", "/Foo"),
        ("PUT", "/Users"),
        ("PUT", "/Users/"),
        ("PATCH", "/Foo/u1"),
        ("DELETE", "/Users/u1/x"),
        ("DELETE", "/users/u1"),
    ];
    let mut list: Vec<Value> = bad
        .iter()
        .enumerate()
        .map(|(i, (m, p))| json!({"method": m, "path": p, "bulkId": format!("b{i}"), "data": {}}))
        .collect();
    list.push(json!({"method": "DELETE", "path": format!("/Users/{}", "x".repeat(129)), "bulkId": "long"}));
    let (ran, response) = run(request(Value::Array(list)), succeed);
    assert!(ran.is_empty());
    for e in ops(&response) {
        assert_eq!((e["status"].as_str(), code_of(e).as_str()), (Some("400"), "SCIM_INVALID_PATH"), "{e}");
        assert_eq!(e["response"]["scimType"], "invalidPath");
        assert!(e.get("location").is_none(), "{e}");
    }
    assert_eq!(ops(&response).len(), bad.len() + 1);
}

#[test]
fn a_failed_put_names_its_resource() {
    let body = request(json!([{"method": "PUT", "path": "/Groups/g9", "data": {"displayName": "x"}}]));
    let (_, response) = run(body, |_| Outcome::Failed(ApiError::with_reason(ErrorCode::GroupNotFound, "no group")));
    assert_eq!(
        ops(&response)[0],
        json!({"method": "PUT", "location": format!("{BASE}/Groups/g9"), "status": "404",
               "response": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404",
                            "detail": "GROUP_NOT_FOUND: no group"}})
    );
}

/// failOnErrors: the job stops once that many operations failed, whether they failed before
/// running or in the call; what did not run is not listed.
#[test]
fn fail_on_errors_stops_after_that_many_failures() {
    let list = |fail_on_errors: Value| {
        json!({"schemas": [REQUEST_URN], "failOnErrors": fail_on_errors, "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "f1", "data": {"n": "fail"}},
            {"method": "POST", "path": "/Users", "bulkId": "ok1", "data": {"n": "ok1"}},
            {"method": "POST", "path": "/Nowhere", "bulkId": "f2", "data": {}},
            {"method": "POST", "path": "/Users", "bulkId": "ok2", "data": {"n": "ok2"}},
            {"method": "POST", "path": "/Users", "bulkId": "f3", "data": {"n": "fail"}},
            {"method": "POST", "path": "/Users", "bulkId": "ok3", "data": {"n": "ok3"}}
        ]})
    };
    let call = |r: &Ready| match r.data["n"].as_str() {
        Some("fail") => Outcome::Failed(ApiError::with_reason(ErrorCode::ScimInvalidValue, "no userName")),
        _ => succeed(r),
    };
    let listed = |fail_on_errors: Value| {
        let (_, response) = run(list(fail_on_errors), call);
        ops(&response).iter().map(|e| e["bulkId"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    assert_eq!(listed(json!(1)), ["f1"]);
    assert_eq!(listed(json!(2)), ["f1", "ok1", "f2"]);
    assert_eq!(listed(json!(3)), ["f1", "ok1", "f2", "ok2", "f3"]);
    assert_eq!(listed(json!(4)), ["f1", "ok1", "f2", "ok2", "f3", "ok3"]);
    assert_eq!(listed(Value::Null), listed(json!(u64::MAX)));
}

// ---- property test: random operation graphs ----

/// Whether `from` reaches `to` along `edges`.
fn reaches(edges: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut todo: Vec<usize> = edges[from].clone();
    while let Some(v) = todo.pop() {
        if v == to {
            return true;
        }
        if !std::mem::replace(&mut seen[v], true) {
            todo.extend(&edges[v]);
        }
    }
    false
}

struct Case {
    body: Value,
    posts: Vec<bool>,
    refs: Vec<Vec<usize>>,
    fails: Vec<bool>,
}

fn random_case(rng: &mut Rng) -> Case {
    let n = 1 + rng.below(24);
    let posts: Vec<bool> = (0..n).map(|_| rng.chance(70)).collect();
    let fails: Vec<bool> = (0..n).map(|_| rng.chance(15)).collect();
    let mut refs = Vec::new();
    let mut list = Vec::new();
    for (i, post) in posts.iter().enumerate() {
        let mut mine: Vec<usize> = (0..rng.below(4)).map(|_| rng.below(n)).collect();
        let in_path = !post && rng.chance(50);
        let path = match (post, in_path) {
            (true, _) => "/Users".to_string(),
            (false, true) => format!("/Users/bulkId:b{}", mine.first().copied().unwrap_or(i)),
            (false, false) => format!("/Users/u{i}"),
        };
        if in_path && mine.is_empty() {
            mine.push(i);
        }
        let members: Vec<Value> = mine.iter().map(|j| json!({"value": format!("bulkId:b{j}")})).collect();
        let method = if *post { "POST" } else { "PATCH" };
        list.push(json!({"method": method, "path": path, "bulkId": format!("b{i}"),
                         "data": {"n": i.to_string(), "members": members}}));
        mine.sort_unstable();
        mine.dedup();
        refs.push(mine);
    }
    Case { body: request(Value::Array(list)), posts, refs, fails }
}

/// What each operation should end as, worked out directly: its status code and error code.
fn expected(case: &Case) -> Vec<(u16, &'static str)> {
    let n = case.posts.len();
    let unknown: Vec<bool> = case.refs.iter().map(|r| r.iter().any(|&j| !case.posts[j])).collect();
    let edges: Vec<Vec<usize>> = (0..n).map(|i| if unknown[i] { vec![] } else { case.refs[i].clone() }).collect();
    let cyclic: Vec<bool> = (0..n).map(|i| reaches(&edges, i, i)).collect();
    let mut memo: Vec<Option<(u16, &'static str)>> = vec![None; n];
    fn outcome(
        i: usize,
        case: &Case,
        unknown: &[bool],
        cyclic: &[bool],
        memo: &mut Vec<Option<(u16, &'static str)>>,
    ) -> (u16, &'static str) {
        if let Some(known) = memo[i] {
            return known;
        }
        let result = if unknown[i] {
            (400, "SCIM_INVALID_VALUE")
        } else if cyclic[i] {
            (409, "SCIM_BULK_CIRCULAR_REFERENCE")
        } else if case.refs[i].iter().any(|&j| outcome(j, case, unknown, cyclic, memo).0 >= 400) {
            (409, "SCIM_BULK_DEPENDENCY_FAILED")
        } else if case.fails[i] {
            (409, "SCIM_UNIQUENESS")
        } else {
            (if case.posts[i] { 201 } else { 200 }, "")
        };
        memo[i] = Some(result);
        result
    }
    (0..n).map(|i| outcome(i, case, &unknown, &cyclic, &mut memo)).collect()
}

#[test]
fn random_operation_graphs_resolve_order_and_fail_as_the_rfc_says() {
    let mut rng = Rng(17);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for round in 0..400 {
        let case = random_case(&mut rng);
        let want = expected(&case);
        want.iter().for_each(|(_, code)| *seen.entry(code).or_default() += 1);
        let call = |r: &Ready| {
            let i: usize = r.data["n"].as_str().unwrap().parse().unwrap();
            if case.fails[i] {
                Outcome::Failed(ApiError::with_reason(ErrorCode::ScimUniqueness, "taken"))
            } else {
                succeed(r)
            }
        };
        let (ran, full) = run(case.body.clone(), call);
        let entries = ops(&full);
        assert_eq!(entries.len(), case.posts.len(), "round {round}: every operation is listed once");
        let mut created = BTreeSet::new();
        for r in &ran {
            // What ran had its references resolved to POSTs that had already succeeded.
            let text = r.data.to_string();
            assert!(!text.contains("bulkId:"), "round {round}: unresolved {text}");
            let i: usize = r.data["n"].as_str().unwrap().parse().unwrap();
            for &j in &case.refs[i] {
                assert!(created.contains(&j), "round {round}: op {i} ran before b{j} was created");
            }
            if case.posts[i] && !case.fails[i] {
                created.insert(i);
            }
        }
        for (i, (status, code)) in want.iter().enumerate() {
            let e = entry_of(&full, &format!("b{i}"));
            assert_eq!(e["status"], status.to_string(), "round {round} op {i}: {e}\n{}", case.body);
            assert_eq!(code_of(&e), *code, "round {round} op {i}: {e}");
        }
        // failOnErrors k lists the full run's entries up to and including the k-th failure.
        let limit = 1 + rng.below(3);
        let mut limited_body = case.body.clone();
        limited_body["failOnErrors"] = json!(limit);
        let (_, limited) = run(limited_body, call);
        let failures = entries.iter().scan(0, |seen, e| {
            *seen += usize::from(e.get("response").is_some());
            Some(*seen)
        });
        let cut_at = failures.take_while(|&f| f < limit).count() + 1;
        assert_eq!(ops(&limited), &entries[..cut_at.min(entries.len())], "round {round}: failOnErrors {limit}");
    }
    // The sweep met every outcome many times.
    for code in
        ["", "SCIM_INVALID_VALUE", "SCIM_BULK_CIRCULAR_REFERENCE", "SCIM_BULK_DEPENDENCY_FAILED", "SCIM_UNIQUENESS"]
    {
        assert!(seen.get(code).is_some_and(|n| *n >= 50), "{code:?} seen {seen:?}");
    }
}
