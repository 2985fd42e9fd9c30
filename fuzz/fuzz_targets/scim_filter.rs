//! SCIM filters (`scim::filter`, RFC 7644 §3.4.2.2); PATCH paths have their own target
//! (`scim_patch_path`).
//!
//! The input, when UTF-8, is used three ways:
//! * `parse` for Users and for Groups; when it accepts, `compile` (placeholders `?2…` numbered
//!   one per parameter, no gap) and `matches` against a fixed resource must run;
//! * `parse_value_filter` inside `emails[…]`; a filter it returns goes through
//!   `element_matches` on each fixed email;
//! * an error's position never lies past the end of the input (or the length limit).
//!
//! Nothing may panic.
#![no_main]

use axissynapse_edge::scim::filter::{
    compile, element_matches, matches, parse, parse_value_filter, FilterError, MAX_FILTER_LEN,
};
use axissynapse_edge::scim::schema::{ResourceType, GROUP_TYPE, USER_TYPE};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn user() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "id": "u_1", "externalId": "00u1", "userName": "Alice@Example.com",
        "name": {"givenName": "Alice", "familyName": "Adams", "formatted": "Alice Adams"},
        "displayName": "Alice Adams", "title": "Engineer", "active": true,
        "emails": [{"value": "alice@example.com", "type": "work", "primary": true},
                   {"value": "a@home.example", "type": "home"}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
        "groups": [{"value": "g_1", "display": "Engineering", "$ref": "https://x/Groups/g_1"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "u_2"}},
        "meta": {"resourceType": "User", "created": "2026-11-23T14:58:41.123Z",
                 "lastModified": "2026-11-23T14:58:41.123Z", "location": "https://x/Users/u_1", "version": "W/\"1\""}
    })
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g_1", "displayName": "Engineering",
        "members": [{"value": "u_1", "display": "Alice Adams", "$ref": "https://x/Users/u_1", "type": "User"}],
        "meta": {"resourceType": "Group", "created": "2026-11-23T14:58:41.123Z",
                 "lastModified": "2026-11-23T14:58:41.123Z"}
    })
}

fn check_position(text: &str, e: &FilterError) {
    assert!(e.position <= text.len().min(MAX_FILTER_LEN), "{e} for {} bytes", text.len());
}

/// Every `?N` with N >= 2 in `sql`, as numbers.
fn placeholders(sql: &str) -> Vec<usize> {
    sql.split('?').skip(1).filter_map(|s| s.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()).collect()
}

fn filter(text: &str, rt: &'static ResourceType, resource: &Value) {
    match parse(text, rt) {
        Ok(f) => {
            let sql = compile(&f, rt, 2);
            let mut used: Vec<usize> = placeholders(&sql.sql).into_iter().filter(|&n| n >= 2).collect();
            used.sort_unstable();
            used.dedup();
            assert_eq!(used, (2..2 + sql.params.len()).collect::<Vec<_>>(), "{}", sql.sql);
            let _ = matches(&f, resource);
        }
        Err(e) => check_position(text, &e),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    filter(text, &USER_TYPE, &user());
    filter(text, &GROUP_TYPE, &group());
    let Some(emails) = USER_TYPE.resolve(None, "emails", None) else { return };
    match parse_value_filter(text, &USER_TYPE, emails) {
        Ok(f) => {
            for email in user()["emails"].as_array().into_iter().flatten() {
                let _ = element_matches(&f, email);
            }
        }
        Err(e) => check_position(text, &e),
    }
});
