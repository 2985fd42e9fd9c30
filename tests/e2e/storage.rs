//! Storage that scales by tenant (issue 16), over HTTP: the hot paths make one D1 round trip
//! (the development header `X-AxisSynapse-D1-Round-Trips` counts them), credentials carry
//! their workspace's shard, and a credential naming a shard that is not bound, or that does
//! not hold it, is refused like any unknown credential.

use crate::common::*;
use crate::scim::{expect_scim_error, scim, scim_token};
use serde_json::json;

const ROUND_TRIPS: &str = "x-axissynapse-d1-round-trips";

fn round_trips(r: &Resp) -> u32 {
    let n = r.header(ROUND_TRIPS).unwrap_or_else(|| panic!("no {ROUND_TRIPS} header: {}", r.body));
    n.parse().unwrap()
}

/// Asserts a 200 made exactly one D1 round trip.
fn one_round_trip(what: &str, r: &Resp) {
    assert_eq!(r.status, 200, "{what}: {}", r.body);
    assert_eq!(round_trips(r), 1, "{what} must make one D1 round trip");
}

/// Asserts a path costs one D1 round trip when no concurrent writer of the same workspace is
/// in its way: other e2e tests run in parallel, and a page that catches a row awaiting its seal,
/// or a cached principal whose workspace just changed, pays extra (docs/api.md, Storage). So
/// `attempt` (a warm-up then the request) may run up to five times until one costs 1.
fn one_round_trip_unraced(what: &str, attempt: impl Fn() -> Resp) {
    let mut seen = Vec::new();
    for _ in 0..5 {
        let r = attempt();
        assert_eq!(r.status, 200, "{what}: {}", r.body);
        if round_trips(&r) == 1 {
            return;
        }
        seen.push(round_trips(&r));
    }
    panic!("{what} never made exactly one D1 round trip: {seen:?}");
}

/// The token with its two-hex-digit shard tag replaced.
fn on_shard(token: &str, prefix: &str, tag: &str) -> String {
    let rest = token.strip_prefix(prefix).unwrap();
    format!("{prefix}{tag}{}", &rest[2..])
}

#[test]
fn me_is_one_round_trip_with_a_pat_and_with_a_cookie() {
    one_round_trip("GET /api/me with a PAT", &req("GET", "/api/me").bearer(&admin_pat()).send());
    let session = login(ADMIN);
    one_round_trip("GET /api/me with a cookie", &req("GET", "/api/me").session(&session).send());
}

#[test]
fn an_audit_page_is_one_round_trip_and_shows_the_write_just_made() {
    let pat = admin_pat();
    one_round_trip_unraced("audit page with a PAT", || {
        req("GET", "/api/settings/audit-log?limit=5").bearer(&pat).send()
    });
    let session = login(ADMIN);
    let page = || req("GET", "/api/settings/audit-log?limit=5").session(&session).send();
    one_round_trip_unraced("audit page with a cookie", page);
    // Writers seal the ledger after their response: a page read at once still lists the write.
    for i in 0..5 {
        let minted =
            req("POST", "/api/me/tokens").session(&session).json(&json!({"name": format!("seal race {i}")})).send();
        assert_eq!(minted.status, 201, "{}", minted.body);
        let id = minted.json()["id"].as_str().unwrap().to_string();
        let path = format!("/api/settings/audit-log?resourceId={id}");
        let items = req("GET", &path).bearer(&pat).send().ok()["items"].as_array().cloned().unwrap();
        assert_eq!(items.len(), 1, "the PAT_CREATED row of {id} is listed at once: {items:?}");
        assert!(items[0]["hash"].as_str().is_some_and(|h| h.len() == 64), "{items:?}");
        req("DELETE", &format!("/api/me/tokens/{id}")).session(&session).send().ok();
    }
    let member = login(MEMBER);
    let refused = req("GET", "/api/settings/audit-log").session(&member).send();
    refused.expect_error(403, "Forbidden");
    assert!(!refused.body.contains("evt_"), "a refused page carries no rows: {}", refused.body);
}

#[test]
fn scim_eq_and_get_by_id_are_one_round_trip() {
    let token = scim_token("round trips");
    let found = scim("GET", "/Users?filter=userName%20eq%20%22owner%40scim.test%22", &token).send();
    one_round_trip("SCIM userName eq", &found);
    let resources = found.json()["Resources"].as_array().cloned().unwrap();
    assert_eq!(resources.len(), 1, "{}", found.body);
    let id = resources[0]["id"].as_str().unwrap();
    let got = scim("GET", &format!("/Users/{id}"), &token).send();
    one_round_trip("SCIM get by id", &got);
    assert_eq!(got.json()["userName"], "owner@scim.test");
    let page = scim("GET", "/Users?count=2", &token).send();
    one_round_trip("SCIM unfiltered page", &page);
    assert!(page.json()["totalResults"].as_u64().unwrap() >= 1, "{}", page.body);
    let missing = scim("GET", "/Users/u_nobody", &token).send();
    assert_eq!(round_trips(&missing), 1, "a miss is one round trip too");
    expect_scim_error(&missing, 404, "USER_NOT_FOUND", None);
}

#[test]
fn a_scim_token_with_a_bad_secret_reads_nothing() {
    let token = scim_token("bad secret");
    let forged = format!("{}A", &token[..token.len() - 1]);
    let forged = if forged == token { format!("{}B", &token[..token.len() - 1]) } else { forged };
    let r = scim("GET", "/Users?filter=userName%20eq%20%22owner%40scim.test%22", &forged).send();
    expect_scim_error(&r, 401, "Unauthorized", None);
    assert!(!r.body.contains("owner@scim.test"), "{}", r.body);
}

#[test]
fn credentials_carry_their_shard_and_a_wrong_one_is_unauthorized() {
    let secrets = secrets();
    let shards = &secrets["shards"];
    assert_eq!(shards["ws_demo"], 0, "the demo workspace is on shard 0: {shards}");
    let distinct: std::collections::BTreeSet<String> =
        shards.as_object().unwrap().values().map(|v| v.to_string()).collect();
    assert!(distinct.len() >= 2, "fixtures are spread over several shards: {shards}");

    let pat = admin_pat();
    assert!(pat.starts_with("pat_00"), "a demo PAT names shard 0: {pat}");
    for tag in ["01", "ff"] {
        let r = req("GET", "/api/me").bearer(&on_shard(&pat, "pat_", tag)).send();
        r.expect_error(401, "Unauthorized");
    }
    let scim_token = secrets["scimToken"].as_str().unwrap();
    for tag in ["03", "9a"] {
        let r = scim("GET", "/Users", &on_shard(scim_token, "scim_", tag)).send();
        expect_scim_error(&r, 401, "Unauthorized", None);
    }
    let invitation = secrets["ssoInvitation"].as_str().unwrap();
    for tag in ["ff", "zz"] {
        let body = json!({"token": on_shard(invitation, "inv_", tag)});
        req("POST", "/api/auth/invitations/accept").json(&body).send().expect_error(404, "NotFound");
    }
}

#[test]
fn users_on_different_shards_sign_in_by_email() {
    let secrets = secrets();
    let shards = &secrets["shards"];
    assert_ne!(shards["ws_demo"], shards["ws_other"], "{shards}");
    let a = login(ADMIN);
    let b = login(OTHER_ADMIN);
    let me_a = req("GET", "/api/me").session(&a).send().ok();
    let me_b = req("GET", "/api/me").session(&b).send().ok();
    assert_eq!(me_a["workspaceId"], "ws_demo");
    assert_eq!(me_b["workspaceId"], "ws_other");
}

const BOOKMARK: &str = "x-axissynapse-d1-bookmark";

#[test]
fn a_write_answers_a_bookmark_that_a_lagging_read_accepts_back() {
    let session = login(ADMIN);
    let minted = req("POST", "/api/me/tokens").session(&session).json(&json!({"name": "bookmark"})).send();
    assert_eq!(minted.status, 201, "{}", minted.body);
    let bookmark = minted.header(BOOKMARK).unwrap_or_else(|| panic!("a write answers {BOOKMARK}")).to_string();
    assert!(bookmark.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'), "{bookmark}");
    // An export reads from a replica no older than the bookmark: it lists the write.
    let id = minted.json()["id"].as_str().unwrap().to_string();
    let export = req("GET", &format!("/api/settings/audit-log/export?format=ndjson&resourceId={id}"))
        .session(&session)
        .header(BOOKMARK, &bookmark)
        .send();
    assert_eq!(export.status, 200, "{}", export.body);
    assert!(export.body.contains(&id), "the export holds the write: {}", export.body);
    assert!(export.header(BOOKMARK).is_some(), "a lagging read answers its bookmark too");
    for bad in ["not a bookmark", "0000'; DROP", &"a".repeat(200)] {
        req("GET", "/api/settings/audit-log/export?format=ndjson")
            .session(&session)
            .header(BOOKMARK, bad)
            .send()
            .expect_error(400, "ValidationError");
    }
    req("DELETE", &format!("/api/me/tokens/{id}")).session(&session).send().ok();
}

const NEIGHBOUR_ADMIN: &str = "admin@neighbour.test";
const NEIGHBOUR_DEPUTY: &str = "deputy@neighbour.test";

/// One test, in order: both halves write the `ws_neighbour` workspace, whose change makes every
/// cached principal of the workspace stale.
#[test]
fn an_admin_write_is_one_round_trip_and_a_stale_cached_principal_writes_nothing() {
    let admin = login(NEIGHBOUR_ADMIN);
    let deputy = login(NEIGHBOUR_DEPUTY);
    let workspace = req("GET", "/api/settings/workspace").session(&admin).send().ok();
    let body = json!({"signInPolicy": workspace["signInPolicy"]});
    one_round_trip_unraced("PATCH /api/settings/workspace (the change, its audit row and outbox rows)", || {
        req("GET", "/api/settings/workspace").session(&admin).send().ok();
        req("PATCH", "/api/settings/workspace").session(&admin).json(&body).send()
    });
    let admin_log = "/api/settings/audit-log?action=WORKSPACE_SETTINGS_UPDATED&userId=u_neighbour_admin&limit=1";
    let log = req("GET", admin_log).session(&admin).send().ok();
    assert_eq!(log["items"][0]["actor"]["id"], "u_neighbour_admin", "{log}");

    // The deputy's principal is cached by a read and a write; then the admin demotes them.
    req("GET", "/api/settings/workspace").session(&deputy).send().ok();
    req("PATCH", "/api/settings/workspace").session(&deputy).json(&body).send().ok();
    let deputy_log = "/api/settings/audit-log?action=WORKSPACE_SETTINGS_UPDATED&userId=u_neighbour_deputy";
    let before = req("GET", deputy_log).session(&admin).send().ok();
    assert!(before["items"].as_array().is_some_and(|i| !i.is_empty()), "{before}");
    let demote = json!({"role": "member"});
    req("PATCH", "/api/settings/users/u_neighbour_deputy").session(&admin).json(&demote).send().ok();
    let refused = req("PATCH", "/api/settings/workspace").session(&deputy).json(&body).send();
    let after = req("GET", deputy_log).session(&admin).send().ok();
    let restore = json!({"role": "admin"});
    req("PATCH", "/api/settings/users/u_neighbour_deputy").session(&admin).json(&restore).send().ok();
    refused.expect_error(403, "Forbidden");
    assert_eq!(before["items"], after["items"], "the refused write left no audit row");
    req("GET", "/api/settings/workspace").session(&deputy).send().ok();
}

/// `ACCESS_LOG = "on"` (the e2e worker runs with it): each request leaves one JSON line in the
/// worker's log naming its `X-Request-Id`, method, path and status. Off, the default, Workers
/// Logs' own invocation record is the only line per request.
#[test]
fn access_log_names_each_request() {
    let r = req("GET", "/api/me").bearer("pat_00not0a0real0token").send();
    r.expect_error(401, "Unauthorized");
    let id = r.header("x-request-id").expect("X-Request-Id").to_string();
    let log = format!("{}/wrangler.log", env("AXIS_STATE"));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let line = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(line) = text.lines().find(|l| l.contains(&id) && l.contains("\"status\"")) {
            break line.to_string();
        }
        assert!(std::time::Instant::now() < deadline, "no access-log line for {id} in {log}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let start = line.find('{').expect("a JSON object");
    let entry: serde_json::Value = serde_json::from_str(&line[start..]).expect(&line);
    assert_eq!(entry["requestId"], id);
    assert_eq!(
        (entry["method"].as_str(), entry["path"].as_str(), entry["status"].as_u64()),
        (Some("GET"), Some("/api/me"), Some(401))
    );
}
