//! Rate limits (docs/api.md, Rate limits): token buckets on sign-in and second-factor proofs, fixed
//! windows on the API; 429 `RateLimited` with `Retry-After` and the limit's name; a sign-in
//! or factor trip audited once, not once per refused attempt. Each test owns its addresses
//! (TEST-NET ranges, set with the development client-IP header) and its accounts.

use crate::common::*;
use serde_json::{json, Value};

const OWNER: &str = "owner@limits.test";
const THROTTLED: &str = "throttled@limits.test";
const FACTOR: &str = "factor@limits.test";

/// Sends `attempt(i)` until one is refused as `RateLimited` (an `ACCOUNT_LOCKED` 429 is not);
/// returns (attempts let through before it, the refusal).
fn until_refused(max: usize, attempt: impl Fn(usize) -> Resp) -> (usize, Resp) {
    for i in 0..max {
        let resp = attempt(i);
        if resp.status == 429 && resp.json()["code"] == "RateLimited" {
            return (i, resp);
        }
    }
    panic!("no 429 within {max} attempts");
}

/// Asserts the 429 envelope; returns its Retry-After in seconds.
fn expect_limited(resp: &Resp, limit: &str) -> u64 {
    let body = resp.expect_error(429, "RateLimited");
    assert_eq!(body["limit"], limit, "{body}");
    let retry: u64 = resp.header("retry-after").expect("Retry-After").parse().expect("delta-seconds");
    assert!(retry >= 1, "Retry-After {retry}");
    retry
}

fn trips(user_id: &str) -> Vec<Value> {
    let owner = login(OWNER);
    let path = format!("/api/settings/audit-log?action=ACCOUNT_RATE_LIMIT_TRIPPED&resourceId={user_id}");
    req("GET", &path).session(&owner).send().ok()["items"].as_array().expect("items").clone()
}

#[test]
fn sign_in_per_address_allows_the_burst_then_refuses_with_retry_after() {
    let (allowed, refused) = until_refused(45, |i| {
        req("POST", "/api/auth/login")
            .client_ip("192.0.2.50")
            .json(&json!({"email": format!("nobody{i}@limits.test"), "password": "whatever-it-is"}))
            .send()
    });
    // 30 burst, plus at most a few refilled (0.5/s) while the attempts ran.
    assert!((30..=36).contains(&allowed), "allowed {allowed}");
    let retry = expect_limited(&refused, "SIGN_IN_PER_IP");
    assert!(retry <= 2, "refill is one per 2 s, Retry-After {retry}");
    // Another address is not affected.
    let other = req("POST", "/api/auth/login")
        .client_ip("192.0.2.51")
        .json(&json!({"email": "nobody@limits.test", "password": "whatever-it-is"}))
        .send();
    other.expect_error(401, "NOT_PROVISIONED");
}

#[test]
fn sign_in_per_account_trips_across_addresses_and_is_audited_once() {
    let (allowed, refused) = until_refused(45, |_| try_login(THROTTLED, "not-the-password"));
    // Locked out after 5 wrong passwords; the attempts still count against the account.
    assert!((30..=38).contains(&allowed), "allowed {allowed}");
    expect_limited(&refused, "SIGN_IN_PER_ACCOUNT");
    // Further attempts stay refused (a slow machine may see a token refill in between: the
    // next refusal is then a new trip, so count the trips the client saw).
    let (mut trips_seen, mut refusing) = (1, true);
    for _ in 0..3 {
        let resp = try_login(THROTTLED, "not-the-password");
        let limited = resp.status == 429 && resp.json()["code"] == "RateLimited";
        if limited {
            expect_limited(&resp, "SIGN_IN_PER_ACCOUNT");
        } else {
            resp.expect_error(429, "ACCOUNT_LOCKED");
        }
        trips_seen += usize::from(limited && !refusing);
        refusing = limited;
    }
    let rows = trips("u_limits_throttled");
    assert_eq!(rows.len(), trips_seen, "one row per trip, not per refusal: {rows:?}");
    assert_eq!(rows[0]["data"]["limit"], "SIGN_IN_PER_ACCOUNT");
    assert_eq!(rows[0]["data"]["capacity"], 30);
}

#[test]
fn second_factor_proofs_are_limited_per_user_and_refusals_are_not_each_audited() {
    let s = login(FACTOR);
    crate::stepup::enrol_totp(&s);
    let wrong = || {
        req("POST", "/api/auth/step-up/verify")
            .session(&s)
            .json(&json!({"purpose": "SETTINGS_WORKSPACE", "totp": "000000"}))
            .send()
    };
    let (failures, refused) = until_refused(20, |_| wrong());
    assert!((10..=12).contains(&failures), "burst of 10, refill one per 6 s: {failures}");
    let retry = expect_limited(&refused, "FACTOR_PER_USER");
    assert!((1..=6).contains(&retry), "one proof per 6 s, Retry-After {retry}");
    let rows = trips("u_limits_factor");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0]["data"]["limit"], "FACTOR_PER_USER");
    let owner = login(OWNER);
    let failed = req("GET", "/api/settings/audit-log?action=ACCOUNT_STEPUP_FAILED&userId=u_limits_factor")
        .session(&owner)
        .send()
        .ok();
    let failed = failed["items"].as_array().expect("items");
    assert_eq!(failed.len(), failures, "refusals are not failures: {failed:?}");
    assert!(failed.iter().all(|f| f["data"]["code"] == "INVALID_MFA_CODE"), "{failed:?}");
}

/// Fires `n` requests from 8 threads; returns how many were allowed and the first 429.
fn burst(n: usize, send: impl Fn() -> Resp + Sync) -> (usize, Option<Resp>) {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new((0usize, None));
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                    let resp = send();
                    let mut r = results.lock().unwrap();
                    match resp.status {
                        200 => r.0 += 1,
                        429 => {
                            r.1.get_or_insert(resp);
                        }
                        other => panic!("unexpected {other}: {}", resp.body),
                    }
                }
            });
        }
    });
    results.into_inner().unwrap()
}

#[test]
fn api_calls_are_limited_per_credential_not_per_user() {
    let limited = login(OWNER);
    let (allowed, refused) = burst(1_300, || req("GET", "/api/me").session(&limited).send());
    let refused = refused.expect("a 429 within two windows");
    // 600 per 60 s window; the burst may straddle a window boundary.
    assert!((600..=1_200).contains(&allowed), "allowed {allowed}");
    assert_eq!(expect_limited(&refused, "API_PER_CREDENTIAL"), 60);
    // The same user's other session is a different credential.
    req("GET", "/api/me").session(&login(OWNER)).send().ok();
}

#[test]
fn api_calls_are_limited_per_address() {
    let (allowed, refused) =
        burst(2_500, || req("GET", "/api/developers/step-up-purposes.json").client_ip("2001:db8:7a7e::1").send());
    let refused = refused.expect("a 429 within two windows");
    assert!((1_200..=2_400).contains(&allowed), "allowed {allowed}");
    assert_eq!(expect_limited(&refused, "API_PER_IP"), 60);
    req("GET", "/api/developers/step-up-purposes.json").client_ip("2001:db8:7a7e::2").send().ok();
}
