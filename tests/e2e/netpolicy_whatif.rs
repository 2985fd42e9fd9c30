//! The network-policy what-if (`POST /api/settings/network-policy/what-if`) against a ledger
//! this test writes through real requests in its own workspace (`ws_whatif`, seed.rs): sign-ins
//! from set addresses, a dashboard write, an API write with a PAT and a real block, then exact
//! counts, addresses and users for several drafts; bad input; members refused; rows of another
//! workspace from the same address never counted.

use crate::common::*;
use serde_json::{json, Value};

const OWNER: &str = "owner@whatif.test";
const MEMBER: &str = "member@whatif.test";
const OFFICE: &str = "198.51.100.7";
const CAFE: &str = "203.0.113.9";
const HOTEL: &str = "2001:db8:5::1";
const BANNED: &str = "192.0.2.66";
const PATH: &str = "/api/settings/network-policy/what-if";

fn login_from(email: &str, ip: &str) -> Session {
    let resp =
        req("POST", "/api/auth/login").client_ip(ip).json(&json!({"email": email, "password": password(email)})).send();
    session_of(&resp)
}

fn what_if(owner: &Session, body: &Value) -> Resp {
    req("POST", PATH).session(owner).client_ip(OFFICE).json(body).send()
}

fn put_policy(owner: &Session, policy: &Value) {
    req("PUT", "/api/settings/network-policy").session(owner).client_ip(OFFICE).json(policy).send().ok();
}

/// Writes the ledger the assertions count (rows by surface):
/// SIGN_IN member CAFE ×3 (2 succeeded, 1 failed), owner OFFICE ×1 and HOTEL ×1, member BANNED
/// ×1 refused by a real policy; DASHBOARD member CAFE ×1 (PAT minted), owner OFFICE ×2 (policy
/// set and reset); API member HOTEL ×1 (the PAT revoking itself).
fn write_ledger() -> Session {
    let member = login_from(MEMBER, CAFE);
    login_from(MEMBER, CAFE);
    let wrong = json!({"email": MEMBER, "password": "not-the-password"});
    req("POST", "/api/auth/login").client_ip(CAFE).json(&wrong).send().expect_error(401, "INVALID_CREDENTIALS");
    login_from(OWNER, HOTEL);
    let owner = login_from(OWNER, OFFICE);
    let minted = req("POST", "/api/me/tokens")
        .session(&member)
        .client_ip(CAFE)
        .json(&json!({"name": "laptop", "expiresInDays": 30}))
        .send()
        .ok();
    let (id, secret) = (minted["id"].as_str().unwrap(), minted["token"].as_str().unwrap());
    req("DELETE", &format!("/api/me/tokens/{id}")).bearer(secret).client_ip(HOTEL).send().ok();
    let deny = json!({"mode": "denylist", "rules": [{"id": "banned", "cidr": "192.0.2.0/24"}],
        "surfaces": {"signIn": true, "dashboard": false, "api": false, "scim": false}});
    put_policy(&owner, &deny);
    let blocked = req("POST", "/api/auth/login")
        .client_ip(BANNED)
        .json(&json!({"email": MEMBER, "password": password(MEMBER)}))
        .send();
    assert_eq!(blocked.expect_error(403, "IP_BLOCKED")["surface"], "SIGN_IN");
    put_policy(&owner, &json!({"mode": "off"}));
    // The same addresses in another workspace: never counted here.
    login_from(ADMIN, CAFE);
    login_from(ADMIN, HOTEL);
    owner
}

fn office_allowlist(mode: &str, bypass: &str) -> Value {
    json!({"mode": mode, "rules": [{"id": "office", "cidr": "198.51.100.0/24", "label": "Office"}],
        "adminBypass": {"type": bypass}})
}

/// `[rows, allow, block, monitor, actuallyBlocked, newlyBlocked, newlyAllowed]` per surface.
fn counts(report: &Value) -> Vec<(String, [u64; 7])> {
    let keys = ["rows", "allow", "block", "monitor", "actuallyBlocked", "newlyBlocked", "newlyAllowed"];
    let surfaces = report["surfaces"].as_array().expect("surfaces");
    surfaces
        .iter()
        .map(|s| (s["surface"].as_str().unwrap().to_string(), keys.map(|k| s[k].as_u64().unwrap())))
        .collect()
}

fn listed(list: &Value, key: &str) -> Vec<(String, u64)> {
    let items = list["items"].as_array().expect("items");
    items.iter().map(|i| (i[key].as_str().unwrap().to_string(), i["count"].as_u64().unwrap())).collect()
}

fn expect(rows: [(&str, [u64; 7]); 4]) -> Vec<(String, [u64; 7])> {
    rows.iter().map(|(s, c)| (s.to_string(), *c)).collect()
}

#[test]
fn what_if_replays_a_draft_over_the_workspace_ledger_with_exact_answers() {
    let owner = write_ledger();

    let strict = what_if(&owner, &json!({"policy": office_allowlist("allowlist", "none")})).ok();
    assert_eq!(
        (strict["rows"].as_u64(), strict["skipped"].as_u64(), &strict["mode"]),
        (Some(10), Some(0), &json!("allowlist"))
    );
    assert_eq!(
        counts(&strict),
        expect([
            ("SIGN_IN", [6, 1, 5, 0, 1, 4, 0]),
            ("DASHBOARD", [3, 2, 1, 0, 0, 1, 0]),
            ("API", [1, 0, 1, 0, 0, 1, 0]),
            ("SCIM", [0; 7]),
        ])
    );
    let addresses = listed(&strict["blockedAddresses"], "ip");
    assert_eq!(addresses, [(CAFE.into(), 4), (HOTEL.into(), 2), (BANNED.into(), 1)]);
    assert_eq!(listed(&strict["affectedUsers"], "email"), [(MEMBER.into(), 6), (OWNER.into(), 1)]);
    assert_eq!(strict["affectedUsers"]["items"][0]["id"], "u_whatif_member");
    assert_eq!(
        (strict["blockedAddresses"]["total"].as_u64(), &strict["blockedAddresses"]["truncated"]),
        (Some(3), &json!(false))
    );

    // Admins exempt: the owner's hotel sign-in goes through; only the member is affected.
    let exempt = what_if(&owner, &json!({"policy": office_allowlist("allowlist", "adminsExempt")})).ok();
    assert_eq!(counts(&exempt)[0], ("SIGN_IN".into(), [6, 2, 4, 0, 1, 3, 0]));
    assert_eq!(listed(&exempt["affectedUsers"], "email"), [(MEMBER.into(), 6)]);
    assert_eq!(listed(&exempt["blockedAddresses"], "ip"), [(CAFE.into(), 4), (BANNED.into(), 1), (HOTEL.into(), 1)]);

    // Monitor-only blocks nothing (the real block would have gone through) but lists who it flags.
    let monitor = what_if(&owner, &json!({"policy": office_allowlist("monitorOnly", "none")})).ok();
    assert_eq!(counts(&monitor)[0], ("SIGN_IN".into(), [6, 1, 0, 5, 1, 0, 1]));
    assert_eq!(monitor["blockedAddresses"]["total"], 3);

    // Off: nothing enforced anywhere.
    let off = what_if(&owner, &json!({"policy": {"mode": "off"}})).ok();
    assert!(off["surfaces"].as_array().unwrap().iter().all(|s| s["enforced"] == false && s["block"] == 0));
    assert_eq!(off["blockedAddresses"]["items"], json!([]));

    // A window before any of it: nothing; explicit bounds are echoed.
    let window = json!({"policy": office_allowlist("allowlist", "none"), "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"});
    let empty = what_if(&owner, &window).ok();
    assert_eq!((empty["rows"].as_u64(), &empty["window"]["from"]), (Some(0), &json!("2026-01-01T00:00:00.000Z")));
}

#[test]
fn what_if_refuses_bad_input_like_put_and_members() {
    // The demo workspace's admin: signing in to ws_whatif would add rows the test above counts.
    let owner = login_from(ADMIN, OFFICE);
    let duplicate =
        json!({"mode": "denylist", "rules": [{"id": "a", "cidr": "10.0.0.0/8"}, {"id": "b", "cidr": "10.0.0.0/8"}]});
    let refused = what_if(&owner, &json!({"policy": duplicate})).expect_error(400, "ValidationError");
    assert_eq!(refused["field"], "rules[1].cidr");
    let put = req("PUT", "/api/settings/network-policy").session(&owner).client_ip(OFFICE).json(&duplicate).send();
    assert_eq!(put.expect_error(400, "ValidationError"), refused, "the same validation as PUT");

    let host_bits = json!({"mode": "allowlist", "rules": [{"id": "x", "cidr": "10.0.0.1/8"}]});
    let refused = what_if(&owner, &json!({"policy": host_bits})).expect_error(400, "ValidationError");
    assert!(refused["reason"].as_str().unwrap().contains("10.0.0.0/8"), "{refused}");

    let policy = json!({"mode": "off"});
    let cases = [
        (json!({"policy": policy, "from": "2026-01-01T00:00:00Z", "to": "2026-04-02T00:00:00Z"}), "from"),
        (json!({"policy": policy, "from": "2026-01-02T00:00:00Z", "to": "2026-01-02T00:00:00Z"}), "to"),
        (json!({"policy": policy, "from": "2026-01-03T00:00:00Z", "to": "2026-01-02T00:00:00Z"}), "to"),
        (json!({"policy": policy, "from": "yesterday"}), "from"),
        (json!({"policy": policy, "to": "2026-13-01T00:00:00Z"}), "to"),
    ];
    for (body, field) in cases {
        let refused = what_if(&owner, &body).expect_error(400, "ValidationError");
        assert_eq!(refused["field"], field, "{body}: {refused}");
    }
    let ninety_days = json!({"policy": policy, "from": "2026-01-01T00:00:00Z", "to": "2026-04-01T00:00:00Z"});
    what_if(&owner, &ninety_days).ok();
    what_if(&owner, &json!({"policy": policy, "extra": 1})).expect_error(400, "ValidationError");
    what_if(&owner, &json!({"from": "2026-01-01T00:00:00Z"})).expect_error(400, "ValidationError");

    let member = login_from(crate::common::MEMBER, OFFICE);
    req("POST", PATH)
        .session(&member)
        .client_ip(OFFICE)
        .json(&json!({"policy": policy}))
        .send()
        .expect_error(403, "Forbidden");
}
