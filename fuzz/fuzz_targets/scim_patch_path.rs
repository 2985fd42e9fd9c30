//! SCIM PATCH (`scim::patch`) and canonicalisation (`scim::canonical`).
//!
//! The input is used two ways:
//! * as a PatchOp message, when it parses as JSON: `apply` to a fixed User and a fixed Group;
//! * as a path, when UTF-8: `parse_path` for both resource types, then `apply` to the User of
//!   one `add`, `replace` and `remove` operation with that path and each of a few values (a
//!   string, an Entra boolean string, an object and an array).
//! Whenever `apply` accepts, the result must pass `canonical::validate`, `canonicalize` must
//! accept it, and the canonical form must be a fixed point of `canonicalize`.
//! Nothing may panic.
#![no_main]

use axissynapse_edge::scim::canonical::{canonicalize, validate};
use axissynapse_edge::scim::patch::{apply, parse_path, PATCH_OP_URN};
use axissynapse_edge::scim::schema::{ResourceType, ENTERPRISE_URN, GROUP_TYPE, GROUP_URN, USER_TYPE, USER_URN};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

fn user() -> Value {
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "id": "u_1", "externalId": "00u1", "userName": "alice@example.com",
        "name": {"givenName": "Alice", "familyName": "Adams", "formatted": "Alice Adams"},
        "displayName": "Alice Adams", "title": "Engineer", "active": true,
        "emails": [{"value": "alice@example.com", "type": "work", "primary": true},
                   {"value": "alice@home.example", "type": "home"}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
        "groups": [{"value": "g_1", "display": "Engineering", "$ref": "https://x/Groups/g_1"}],
        ENTERPRISE_URN: {"department": "R&D", "manager": {"value": "u_2"}},
        "meta": {"resourceType": "User", "created": "2026-11-23T14:58:41.123Z",
                 "lastModified": "2026-11-23T14:58:41.123Z", "location": "https://x/Users/u_1", "version": "W/\"1\""}
    })
}

fn group() -> Value {
    json!({
        "schemas": [GROUP_URN], "id": "g_1", "externalId": "x", "displayName": "Engineering",
        "members": [{"value": "u_1", "display": "Alice Adams", "$ref": "https://x/Users/u_1", "type": "User"},
                    {"value": "u_2"}],
        "meta": {"resourceType": "Group", "created": "2026-11-23T14:58:41.123Z",
                 "lastModified": "2026-11-23T14:58:41.123Z", "location": "https://x/Groups/g_1", "version": "W/\"1\""}
    })
}

fn check(resource: &Value, body: &Value, rt: &'static ResourceType) {
    let Ok(patched) = apply(resource, body, rt) else {
        return;
    };
    assert_eq!(validate(&patched, rt), Ok(()), "an accepted patch yields a valid resource");
    let stored = canonicalize(&patched, rt);
    assert!(stored.is_ok(), "a valid resource canonicalizes: {stored:?}");
    if let Ok(stored) = stored {
        assert_eq!(canonicalize(&stored, rt).as_ref(), Ok(&stored), "the canonical form is a fixed point");
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(body) = serde_json::from_slice::<Value>(data) {
        check(&user(), &body, &USER_TYPE);
        check(&group(), &body, &GROUP_TYPE);
    }
    let Ok(path) = std::str::from_utf8(data) else {
        return;
    };
    let _ = parse_path(path, &USER_TYPE);
    let _ = parse_path(path, &GROUP_TYPE);
    let values = [json!("x@example.com"), json!("False"), json!({"value": "u_3", "type": "work"}), json!([{"value": "u_3"}])];
    for value in values {
        for op in ["add", "replace", "remove"] {
            let body = json!({"schemas": [PATCH_OP_URN], "Operations": [{"op": op, "path": path, "value": value}]});
            check(&user(), &body, &USER_TYPE);
        }
    }
});
