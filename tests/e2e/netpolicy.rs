//! Network policy enforced at the edge: allowlist per surface, admin bypass, monitor-only,
//! IPv6, the lockout guard, and the what-if preview. The client address is set with the
//! development-only `X-AxisSynapse-Client-IP` header (production trusts CF-Connecting-IP only).

use crate::common::*;
use serde_json::{json, Value};

const OWNER: &str = "owner@netpol.test";
const MEMBER: &str = "member@netpol.test";
const OFFICE: &str = "198.51.100.7";
const CAFE: &str = "203.0.113.9";

fn put(s: &Session, from: &str, policy: &Value, acknowledge: bool) -> Resp {
    let path = if acknowledge {
        "/api/settings/network-policy?acknowledgeLockout=true"
    } else {
        "/api/settings/network-policy"
    };
    req("PUT", path).session(s).header("x-axissynapse-client-ip", from).json(policy).send()
}

fn me_from(s: &Session, ip: &str) -> Resp {
    req("GET", "/api/me").session(s).header("x-axissynapse-client-ip", ip).send()
}

fn allowlist(bypass: &str) -> Value {
    json!({
        "mode": "allowlist",
        "rules": [
            {"id": "office", "cidr": "198.51.100.0/24", "label": "Office"},
            {"id": "office6", "cidr": "2001:db8:1::/48", "label": "Office v6"}
        ],
        "surfaces": {"signIn": false, "dashboard": true, "api": true, "scim": true},
        "adminBypass": {"type": bypass}
    })
}

#[test]
fn network_policy_is_enforced_per_surface_with_bypass_monitor_ipv6_and_lockout_guard() {
    let owner = login(OWNER);
    let member = login(MEMBER);
    assert_eq!(req("GET", "/api/settings/network-policy").session(&owner).send().ok()["policy"]["mode"], "off");

    // Lockout guard: without admin bypass, the owner's own café address would be cut off.
    let refused = put(&owner, CAFE, &allowlist("none"), false);
    refused.expect_error(409, "NETWORK_POLICY_LOCKOUT");
    let saved = put(&owner, OFFICE, &allowlist("adminsExempt"), false).ok();
    assert_eq!(saved["version"], 1);

    // Allowlist on the dashboard surface: the member is blocked outside the office, not inside.
    let blocked = me_from(&member, CAFE);
    let body = blocked.expect_error(403, "IP_BLOCKED");
    assert_eq!(body["surface"], "DASHBOARD");
    assert_eq!(me_from(&member, OFFICE).ok()["user"]["email"], MEMBER);
    assert_eq!(me_from(&member, "2001:db8:1::5").ok()["user"]["email"], MEMBER);
    me_from(&member, "2001:db8:2::5").expect_error(403, "IP_BLOCKED");
    me_from(&member, "::ffff:198.51.100.20").ok();
    // Sign-in is not an enforced surface here: the member can still sign in from the café.
    req("POST", "/api/auth/login")
        .header("x-axissynapse-client-ip", CAFE)
        .json(&json!({"email": MEMBER, "password": password(MEMBER)}))
        .send()
        .ok();
    // Admins are exempt.
    me_from(&owner, CAFE).ok();

    // What-if preview: same evaluator, nothing persisted.
    let preview = req("POST", "/api/settings/network-policy/test")
        .session(&owner)
        .header("x-axissynapse-client-ip", OFFICE)
        .json(&json!({"ip": "198.51.100.99", "surface": "API"}))
        .send()
        .ok();
    assert_eq!(
        (preview["blocks"].clone(), preview["decision"]["matchedRule"].clone()),
        (json!(false), json!("office"))
    );
    let preview = req("POST", "/api/settings/network-policy/test")
        .session(&owner)
        .header("x-axissynapse-client-ip", OFFICE)
        .json(&json!({"ip": "fe80::1%eth0", "surface": "API"}))
        .send();
    preview.expect_error(400, "ValidationError");

    // Monitor-only: the café request goes through and is recorded.
    let mut monitor = allowlist("none");
    monitor["mode"] = json!("monitorOnly");
    put(&owner, OFFICE, &monitor, false).ok();
    me_from(&member, CAFE).ok();
    let log = req("GET", "/api/settings/audit-log?action=WORKSPACE_NETWORK_POLICY_*")
        .session(&owner)
        .header("x-axissynapse-client-ip", OFFICE)
        .send()
        .ok();
    let items = log["items"].as_array().unwrap();
    let actions: Vec<&str> = items.iter().map(|i| i["action"].as_str().unwrap()).collect();
    let update = items.iter().find(|i| i["action"] == "WORKSPACE_NETWORK_POLICY_UPDATED").unwrap();
    assert_eq!(update["data"]["diff"]["changed"]["mode"], json!({"before": "allowlist", "after": "monitorOnly"}));
    for expected in
        ["WORKSPACE_NETWORK_POLICY_UPDATED", "WORKSPACE_NETWORK_POLICY_BLOCKED", "WORKSPACE_NETWORK_POLICY_WOULD_BLOCK"]
    {
        assert!(actions.contains(&expected), "{expected} missing: {actions:?}");
    }

    // Members cannot read or change the policy; invalid policies are refused.
    req("GET", "/api/settings/network-policy")
        .session(&member)
        .header("x-axissynapse-client-ip", OFFICE)
        .send()
        .expect_error(403, "Forbidden");
    let bad = json!({"mode": "allowlist", "rules": [{"id": "x", "cidr": "10.0.0.1/8"}]});
    put(&owner, OFFICE, &bad, false).expect_error(400, "ValidationError");
    put(&owner, OFFICE, &json!({"mode": "off"}), false).ok();
    me_from(&member, CAFE).ok();
}

/// The documented maximum: 10,000 rules in one PUT (about 600 KB of JSON), enforced through
/// the compiled prefix sets; the audit row carries a bounded diff, not the rules.
#[test]
fn ten_thousand_rules_are_accepted_enforced_and_audited_as_a_bounded_diff() {
    let owner = login("owner@netpol-large.test");
    let member = login("member@netpol-large.test");
    let mut rules: Vec<Value> = (0..9_999u32)
        .map(|i| json!({"id": format!("r{i}"), "cidr": format!("10.{}.{}.0/24", i >> 8, i & 0xff), "label": "branch"}))
        .collect();
    rules.push(json!({"id": "office", "cidr": "198.51.100.0/24", "label": "Office"}));
    let policy = json!({"mode": "allowlist", "rules": rules, "adminBypass": {"type": "adminsExempt"}});
    let saved = put(&owner, OFFICE, &policy, false).ok();
    assert_eq!(saved["policy"]["rules"].as_array().unwrap().len(), 10_000);
    assert_eq!(me_from(&member, "10.38.15.77").ok()["user"]["email"], "member@netpol-large.test");
    me_from(&member, OFFICE).ok();
    let blocked = me_from(&member, "10.39.16.1").expect_error(403, "IP_BLOCKED");
    assert_eq!(blocked["matchedRule"], Value::Null);
    let log = req("GET", "/api/settings/audit-log?action=WORKSPACE_NETWORK_POLICY_UPDATED")
        .session(&owner)
        .header("x-axissynapse-client-ip", OFFICE)
        .send()
        .ok();
    let diff = &log["items"][0]["data"]["diff"];
    assert_eq!(diff["rules"]["count"]["added"], 10_000, "{diff}");
    assert_eq!(diff["rules"]["truncated"], true);
    assert!(log["items"][0].to_string().len() < 16_000);
    put(&owner, OFFICE, &json!({"mode": "off"}), false).ok();
}
