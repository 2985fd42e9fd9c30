//! PATCH tests: RFC 7644 §3.5.2 examples (adapted to this server's schema), real clients'
//! requests (named after the client), mutability, atomicity, limits, and a no-panic sweep.

use super::*;
use crate::scim::filter::Filter;
use crate::scim::schema::{ENTERPRISE_URN, GROUP_TYPE, USER_TYPE, USER_URN};
use crate::test_rng::Rng;
use serde_json::json;

const U1: &str = "2819c223-7f76-453a-919d-413861904646";
const U2: &str = "08e1d05d-121c-4561-8b96-473d93df9210";

/// The stored User every PATCH and canonicalisation test starts from.
pub(crate) fn user() -> Value {
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "id": "u_1", "externalId": "00u1", "userName": "alice@example.com",
        "name": {"givenName": "Alice", "familyName": "Adams", "formatted": "Alice Adams"},
        "displayName": "Alice Adams", "title": "Engineer", "active": true,
        "emails": [{"value": "alice@example.com", "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
        "groups": [{"value": "g_1", "display": "Engineering", "$ref": "https://x/Groups/g_1"}],
        ENTERPRISE_URN: {"department": "R&D", "manager": {"value": "u_2"}},
        "meta": {"resourceType": "User", "created": "2026-11-23T14:58:41.123Z",
                 "lastModified": "2026-11-23T14:58:41.123Z", "location": "https://x/Users/u_1", "version": "W/\"1\""}
    })
}

fn group() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": "g_1", "externalId": "x",
        "displayName": "Engineering",
        "members": [{"value": U1, "display": "Babs Jensen", "$ref": format!("https://x/Users/{U1}"), "type": "User"}],
        "meta": {"resourceType": "Group", "created": "2026-11-23T14:58:41.123Z",
                 "lastModified": "2026-11-23T14:58:41.123Z", "location": "https://x/Groups/g_1", "version": "W/\"1\""}
    })
}

fn body(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP_URN], "Operations": operations})
}

fn patch_user(operations: Value) -> Result<Value, PatchError> {
    apply(&user(), &body(operations), &USER_TYPE)
}

fn patch_group(operations: Value) -> Result<Value, PatchError> {
    apply(&group(), &body(operations), &GROUP_TYPE)
}

/// The kind of the error `result` must be.
pub(crate) fn kind(result: Result<Value, PatchError>) -> PatchErrorKind {
    match result {
        Ok(v) => panic!("expected an error, got {v}"),
        Err(e) => e.kind,
    }
}

// ---- RFC 7644 §3.5.2.1 add ----

#[test]
fn rfc7644_3_5_2_1_add_members() {
    let new = json!({"display": "James Smith", "$ref": format!("https://x/Users/{U2}"), "value": U2});
    let g = patch_group(json!([{"op": "add", "path": "members", "value": [new]}])).unwrap();
    let members = g["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    // `display` is read-only: ignored on input; the server fills it in.
    assert_eq!(members[1], json!({"value": U2, "$ref": format!("https://x/Users/{U2}")}));
    assert_eq!(members[0], group()["members"][0]);
}

#[test]
fn rfc7644_3_5_2_1_add_emails_and_nickname_without_path() {
    let value = json!({"emails": [{"value": "babs@jensen.org", "type": "home"}], "nickname": "Babs"});
    let u = patch_user(json!([{"op": "add", "value": value}])).unwrap();
    assert_eq!(u["nickName"], "Babs");
    assert!(u.get("nickname").is_none());
    assert_eq!(u["emails"][1], json!({"value": "babs@jensen.org", "type": "home"}));
    assert_eq!(u["emails"][0], user()["emails"][0]);
}

#[test]
fn rfc7644_3_5_2_1_add_emails_with_path() {
    let u = patch_user(json!([{"op": "add", "path": "emails", "value": [{"value": "b@x.org", "type": "home"}]}]));
    assert_eq!(u.unwrap()["emails"].as_array().unwrap().len(), 2);
}

#[test]
fn rfc7644_3_5_2_1_add_value_already_present_changes_nothing() {
    let again = json!([{"op": "add", "path": "emails", "value": [{"value": "ALICE@example.com", "type": "work"}]}]);
    assert_eq!(patch_user(again).unwrap(), user());
    let member = json!([{"op": "add", "path": "members", "value": [{"value": U1}]}]);
    assert_eq!(patch_group(member).unwrap(), group());
}

/// Operations that are ignored or select nothing give back the resource exactly, `meta`
/// included, so the edge sees the write as a no-op (`resource::unchanged`, issue 15).
#[test]
fn ignored_and_empty_operations_return_the_resource_as_it_was() {
    for ops in [
        json!([{"op": "add", "path": "urn:okta:custom:1.0:User:costCenter", "value": "42"}]),
        json!([{"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:custom:2.0:User:x": "y"}}]),
        json!([{"op": "add", "value": {}}]),
        json!([{"op": "add", "path": "nickName", "value": null}]),
        json!([{"op": "remove", "path": "nickName"}]),
        json!([{"op": "remove", "path": "emails[type eq \"home\"]"}]),
        json!([{"op": "replace", "path": "displayName", "value": "Alice Adams"}]),
        json!([{"op": "remove", "path": "title"}, {"op": "add", "path": "title", "value": "Engineer"}]),
    ] {
        assert_eq!(patch_user(ops.clone()).unwrap(), user(), "{ops}");
    }
    let member = json!([{"op": "Add", "path": "members", "value": [{"value": U1, "display": "Someone Else"}]}]);
    assert_eq!(patch_group(member).unwrap(), group());
}

#[test]
fn rfc7644_3_5_2_1_add_complex_merges_sub_attributes() {
    let u = patch_user(json!([{"op": "add", "path": "name", "value": {"middleName": "B"}}])).unwrap();
    assert_eq!(
        u["name"],
        json!({"givenName": "Alice", "familyName": "Adams", "formatted": "Alice Adams", "middleName": "B"})
    );
}

#[test]
fn rfc7644_3_5_2_1_add_single_valued_replaces() {
    let u = patch_user(json!([{"op": "add", "path": "title", "value": "Staff Engineer"}])).unwrap();
    assert_eq!(u["title"], "Staff Engineer");
}

#[test]
fn rfc7644_3_5_2_1_add_without_path_needs_an_object() {
    assert_eq!(kind(patch_user(json!([{"op": "add", "value": "x"}]))), PatchErrorKind::InvalidValue);
}

// ---- RFC 7644 §3.5.2.2 remove ----

#[test]
fn rfc7644_3_5_2_2_remove_member_by_filter() {
    let path = format!("members[value eq \"{U1}\"]");
    let g = patch_group(json!([{"op": "remove", "path": path}])).unwrap();
    assert!(g.get("members").is_none(), "no members left: the attribute is unassigned");
}

#[test]
fn rfc7644_3_5_2_2_remove_all_members() {
    let g = patch_group(json!([{"op": "remove", "path": "members"}])).unwrap();
    assert!(g.get("members").is_none());
    assert_eq!(g["displayName"], "Engineering");
}

#[test]
fn rfc7644_3_5_2_2_remove_then_add_member_replaces_it() {
    let ops = json!([
        {"op": "remove", "path": format!("members[value eq \"{U1}\"]")},
        {"op": "add", "path": "members", "value": [{"display": "James Smith", "value": U2}]}
    ]);
    assert_eq!(patch_group(ops).unwrap()["members"], json!([{"value": U2}]));
}

#[test]
fn rfc7644_3_5_2_2_remove_without_path_is_no_target() {
    assert_eq!(kind(patch_user(json!([{"op": "remove"}]))), PatchErrorKind::NoTarget);
}

#[test]
fn rfc7644_3_5_2_2_remove_single_valued_and_sub_attribute() {
    let u = patch_user(json!([
        {"op": "remove", "path": "title"},
        {"op": "remove", "path": "name.givenName"},
        {"op": "remove", "path": "emails[type eq \"work\"].primary"}
    ]))
    .unwrap();
    assert!(u.get("title").is_none());
    assert_eq!(u["name"], json!({"familyName": "Adams", "formatted": "Alice Adams"}));
    assert_eq!(u["emails"], json!([{"value": "alice@example.com", "type": "work"}]));
}

#[test]
fn rfc7644_3_5_2_2_remove_with_filter_matching_nothing_is_a_no_op() {
    let u = patch_user(json!([{"op": "remove", "path": "emails[type eq \"home\"]"}])).unwrap();
    assert_eq!(u, user());
}

#[test]
fn rfc7644_3_5_2_2_removing_last_extension_attributes_drops_its_urn() {
    let u = patch_user(json!([{"op": "remove", "path": format!("{ENTERPRISE_URN}:department")},
                              {"op": "remove", "path": "manager"}]))
    .unwrap();
    assert!(u.get(ENTERPRISE_URN).is_none());
    assert_eq!(u["schemas"], json!([USER_URN]));
    let u = patch_user(json!([{"op": "remove", "path": ENTERPRISE_URN}])).unwrap();
    assert!(u.get(ENTERPRISE_URN).is_none());
    let u = patch_user(json!([{"op": "replace", "value": {ENTERPRISE_URN: null}}])).unwrap();
    assert_eq!(u["schemas"], json!([USER_URN]));
}

// ---- RFC 7644 §3.5.2.3 replace ----

#[test]
fn rfc7644_3_5_2_3_replace_display_name() {
    let g = patch_group(json!([{"op": "replace", "path": "displayName", "value": "Platform"}])).unwrap();
    assert_eq!(g["displayName"], "Platform");
    assert_eq!(g["members"], group()["members"]);
}

#[test]
fn rfc7644_3_5_2_3_replace_members() {
    let value = json!([{"display": "Babs Jensen", "value": U1}, {"display": "James Smith", "value": U2}]);
    let g = patch_group(json!([{"op": "replace", "path": "members", "value": value}])).unwrap();
    assert_eq!(g["members"], json!([{"value": U1}, {"value": U2}]));
}

#[test]
fn rfc7644_3_5_2_3_replace_without_path() {
    let value = json!({
        "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                   {"value": "babs@jensen.org", "type": "home"}],
        "nickname": "Babs"
    });
    let u = patch_user(json!([{"op": "replace", "value": value}])).unwrap();
    assert_eq!(u["emails"], value["emails"]);
    assert_eq!(u["nickName"], "Babs");
    assert_eq!(u["userName"], "alice@example.com");
}

#[test]
fn rfc7644_3_5_2_3_replace_complex_leaves_other_sub_attributes() {
    let u = patch_user(json!([{"op": "replace", "path": "name", "value": {"givenName": "Al"}}])).unwrap();
    assert_eq!(u["name"], json!({"givenName": "Al", "familyName": "Adams", "formatted": "Alice Adams"}));
}

#[test]
fn rfc7644_3_5_2_3_replace_matching_elements_sub_attribute() {
    let ops = json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "a@new.example"}]);
    let u = patch_user(ops).unwrap();
    assert_eq!(u["emails"], json!([{"value": "a@new.example", "type": "work", "primary": true}]));
}

#[test]
fn rfc7644_3_5_2_3_replace_whole_matching_elements() {
    let ops = json!([{"op": "replace", "path": "phoneNumbers[type eq \"mobile\"]",
                      "value": {"value": "+1 555 0199", "type": "mobile", "primary": true}}]);
    let u = patch_user(ops).unwrap();
    assert_eq!(u["phoneNumbers"], json!([{"value": "+1 555 0199", "type": "mobile", "primary": true}]));
}

#[test]
fn rfc7644_3_5_2_3_replace_with_filter_matching_nothing_is_no_target() {
    let ops = json!([{"op": "replace", "path": "emails[value eq \"nobody@x\"].display", "value": "x"}]);
    assert_eq!(kind(patch_user(ops)), PatchErrorKind::NoTarget);
    let ops = json!([{"op": "replace", "path": "emails[type ne \"work\"]", "value": {"value": "h@x"}}]);
    assert_eq!(kind(patch_user(ops)), PatchErrorKind::NoTarget);
}

#[test]
fn rfc7644_3_5_2_3_replace_with_null_unassigns() {
    let u = patch_user(json!([{"op": "replace", "path": "title", "value": null},
                              {"op": "replace", "path": "phoneNumbers", "value": []}]))
    .unwrap();
    assert!(u.get("title").is_none());
    assert!(u.get("phoneNumbers").is_none());
}

// ---- RFC 7644 §3.5.2 paths ----

#[test]
fn rfc7644_3_5_2_value_path_filter_with_and() {
    let mut u = user();
    u["emails"] = json!([
        {"value": "alice@example.com", "type": "work", "primary": true},
        {"value": "alice@other.org", "type": "work"},
        {"value": "alice@home.example.com", "type": "home"}
    ]);
    let path = "emails[type eq \"work\" and value ew \"example.com\"]";
    let out = apply(&u, &body(json!([{"op": "remove", "path": path}])), &USER_TYPE).unwrap();
    assert_eq!(
        out["emails"],
        json!([{"value": "alice@other.org", "type": "work"},
                                     {"value": "alice@home.example.com", "type": "home"}])
    );
    let PatchPath::Attribute { target, filter: Some(Filter::And(..)) } = parse_path(path, &USER_TYPE).unwrap() else {
        panic!("expected an attribute path with an `and` filter");
    };
    assert_eq!((target.attr.name, target.sub), ("emails", None));
}

#[test]
fn rfc7644_3_5_2_parse_path_forms() {
    let PatchPath::Attribute { target, filter: Some(_) } =
        parse_path("EMAILS[TYPE eq \"work\"].VALUE", &USER_TYPE).unwrap()
    else {
        panic!("expected a filtered path");
    };
    assert_eq!((target.attr.name, target.sub.map(|s| s.name)), ("emails", Some("value")));
    let PatchPath::Attribute { target, filter: None } = parse_path("name.givenName", &USER_TYPE).unwrap() else {
        panic!("expected a plain path");
    };
    assert_eq!(target.sub.map(|s| s.name), Some("givenName"));
    assert_eq!(parse_path(ENTERPRISE_URN, &USER_TYPE), Ok(PatchPath::Extension(&crate::scim::schema::ENTERPRISE_USER)));
    let qualified = parse_path(&format!("{ENTERPRISE_URN}:manager.value"), &USER_TYPE).unwrap();
    assert!(matches!(qualified, PatchPath::Attribute { target, .. } if target.in_extension()));
    let quoted = parse_path("emails[value eq \"a]b\\\"]\"]", &USER_TYPE).unwrap();
    assert!(matches!(quoted, PatchPath::Attribute { filter: Some(_), .. }));
}

#[test]
fn rfc7644_3_5_2_bad_paths_are_invalid_path() {
    for path in [
        "",
        "nope",
        "name.nope",
        "name[givenName eq \"x\"]",
        "emails[type eq \"work\"",
        "emails[type eq \"work\"]x",
        "emails[type eq \"work\"].value.x",
        "emails.",
        "name.givenName.x",
        USER_URN,
        "urn:ietf:params:scim:schemas:core:2.0:User:nope",
    ] {
        assert_eq!(parse_path(path, &USER_TYPE).map_err(|e| e.kind), Err(PatchErrorKind::InvalidPath), "{path:?}");
    }
    assert_eq!(
        parse_path(&"a".repeat(MAX_PATH_LEN + 1), &USER_TYPE).map_err(|e| e.kind),
        Err(PatchErrorKind::InvalidPath)
    );
    assert_eq!(parse_path("userName", &GROUP_TYPE).map_err(|e| e.kind), Err(PatchErrorKind::InvalidPath));
}

#[test]
fn rfc7644_3_5_2_bad_filter_is_invalid_filter() {
    for path in ["emails[]", "emails[nope eq \"x\"]", "emails[type xx \"work\"]", "emails[primary eq \"x\"]"] {
        assert_eq!(parse_path(path, &USER_TYPE).map_err(|e| e.kind), Err(PatchErrorKind::InvalidFilter), "{path:?}");
    }
}

#[test]
fn rfc7644_3_10_urn_qualified_path() {
    let u = patch_user(json!([
        {"op": "replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "A. Adams"},
        {"op": "replace", "path": format!("{ENTERPRISE_URN}:department"), "value": "Platform"}
    ]))
    .unwrap();
    assert_eq!(u["displayName"], "A. Adams");
    assert_eq!(u[ENTERPRISE_URN]["department"], "Platform");
}

// ---- the message ----

#[test]
fn rfc7644_3_5_2_message_structure_is_invalid_syntax() {
    let op = json!({"op": "replace", "path": "title", "value": "x"});
    for bad in [
        json!([op]),
        json!({"Operations": [op]}),
        json!({"schemas": ["urn:x"], "Operations": [op]}),
        json!({"schemas": [PATCH_OP_URN]}),
        json!({"schemas": [PATCH_OP_URN], "Operations": []}),
        json!({"schemas": [PATCH_OP_URN], "Operations": op}),
        body(json!([{"op": "move", "path": "title", "value": "x"}])),
        body(json!([{"path": "title", "value": "x"}])),
        body(json!([{"op": "add", "path": "title"}])),
        body(json!([{"op": "add", "path": 3, "value": "x"}])),
        body(json!(["add"])),
    ] {
        assert_eq!(apply(&user(), &bad, &USER_TYPE).map_err(|e| e.kind), Err(PatchErrorKind::InvalidSyntax), "{bad}");
    }
    let too_many = body(Value::Array(vec![op; MAX_OPERATIONS + 1]));
    assert_eq!(apply(&user(), &too_many, &USER_TYPE).map_err(|e| e.kind), Err(PatchErrorKind::InvalidSyntax));
}

#[test]
fn message_member_names_any_case() {
    let message = json!({"SCHEMAS": [PATCH_OP_URN.to_uppercase()],
                         "operations": [{"OP": "replace", "PATH": "title", "VALUE": "x"}]});
    assert_eq!(apply(&user(), &message, &USER_TYPE).unwrap()["title"], "x");
}

#[test]
fn error_detail_names_the_operation_and_expectation() {
    let e = patch_user(json!([{"op": "replace", "path": "title", "value": "x"},
                              {"op": "replace", "path": "active", "value": 3}]))
    .unwrap_err();
    assert_eq!(e.kind, PatchErrorKind::InvalidValue);
    assert!(e.detail.starts_with("Operations[1] (replace \"active\")"), "{}", e.detail);
    assert!(e.detail.contains("expected a boolean for `active`, found a number"), "{}", e.detail);
    assert_eq!(e.to_string(), format!("invalidValue: {}", e.detail));
}

// ---- Microsoft Entra ID ----

#[test]
fn entra_capitalised_ops() {
    let u = patch_user(json!([
        {"op": "Replace", "path": "title", "value": "Lead"},
        {"op": "Add", "path": "nickName", "value": "Al"},
        {"op": "Remove", "path": "displayName"},
        {"op": "REPLACE", "path": "locale", "value": "en-GB"}
    ]))
    .unwrap();
    assert_eq!((&u["title"], &u["nickName"], &u["locale"]), (&json!("Lead"), &json!("Al"), &json!("en-GB")));
    assert!(u.get("displayName").is_none());
}

#[test]
fn entra_boolean_strings_are_coerced() {
    let u = patch_user(json!([{"op": "Replace", "path": "active", "value": "False"}])).unwrap();
    assert_eq!(u["active"], false);
    let u = patch_user(json!([{"op": "Replace", "path": "active", "value": "TRUE"}])).unwrap();
    assert_eq!(u["active"], true);
    let ops = json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].primary", "value": "true"}]);
    assert_eq!(patch_user(ops).unwrap()["phoneNumbers"][0]["primary"], true);
    let ops = json!([{"op": "Replace", "path": "active", "value": "yes"}]);
    assert_eq!(kind(patch_user(ops)), PatchErrorKind::InvalidValue);
}

#[test]
fn entra_deactivation_via_add_active_false() {
    let u = patch_user(json!([{"op": "Add", "path": "active", "value": "False"}])).unwrap();
    assert_eq!(u["active"], false);
}

#[test]
fn entra_no_path_dotted_and_urn_qualified_keys() {
    let value = json!({
        "name.givenName": "Bo",
        format!("{ENTERPRISE_URN}:department"): "R&D 2",
        "urn:ietf:params:scim:schemas:core:2.0:User:title": "Lead"
    });
    let u = patch_user(json!([{"op": "Replace", "value": value}])).unwrap();
    assert_eq!(u["name"]["givenName"], "Bo");
    assert_eq!(u["name"]["familyName"], "Adams");
    assert_eq!(u[ENTERPRISE_URN]["department"], "R&D 2");
    assert_eq!(u["title"], "Lead");
}

#[test]
fn entra_no_path_extension_object() {
    let value = json!({ENTERPRISE_URN: {"manager": {"value": "u_3"}, "costCenter": "42"}});
    let u = patch_user(json!([{"op": "Replace", "value": value}])).unwrap();
    assert_eq!(u[ENTERPRISE_URN], json!({"department": "R&D", "manager": {"value": "u_3"}, "costCenter": "42"}));
    let mut bare = user();
    bare.as_object_mut().unwrap().remove(ENTERPRISE_URN);
    bare["schemas"] = json!([USER_URN]);
    let u = apply(&bare, &body(json!([{"op": "Add", "value": value}])), &USER_TYPE).unwrap();
    assert_eq!(u["schemas"], json!([USER_URN, ENTERPRISE_URN]));
    assert_eq!(u[ENTERPRISE_URN]["manager"]["value"], "u_3");
}

#[test]
fn entra_manager_as_bare_id() {
    let path = format!("{ENTERPRISE_URN}:manager");
    let u = patch_user(json!([{"op": "Add", "path": path, "value": "u_9"}])).unwrap();
    assert_eq!(u[ENTERPRISE_URN]["manager"], json!({"value": "u_9"}));
}

/// The Entra provisioning tutorial's sample update sends the single-valued `manager` as a
/// one-element array, under its bare name.
#[test]
fn entra_manager_as_a_one_element_array() {
    let value = json!([{"$ref": "http://x/scim/Users/u_3", "value": "u_3"}]);
    let u = patch_user(json!([{"op": "Add", "path": "manager", "value": value}])).unwrap();
    assert_eq!(u[ENTERPRISE_URN]["manager"], json!({"value": "u_3", "$ref": "http://x/scim/Users/u_3"}));
    let two = json!([{"value": "u_3"}, {"value": "u_4"}]);
    assert_eq!(kind(patch_user(json!([{"op": "Add", "path": "manager", "value": two}]))), PatchErrorKind::InvalidValue);
}

#[test]
fn entra_replace_filtered_email_creates_missing_element() {
    let ops = json!([{"op": "Replace", "path": "emails[type eq \"home\"].value", "value": "alice@home.example"}]);
    let u = patch_user(ops).unwrap();
    assert_eq!(u["emails"][1], json!({"type": "home", "value": "alice@home.example"}));
    let ops =
        json!([{"op": "Add", "path": "phoneNumbers[type eq \"work\" and primary eq true].value", "value": "+1 2"}]);
    let u = patch_user(ops).unwrap();
    assert_eq!(u["phoneNumbers"][1], json!({"type": "work", "primary": true, "value": "+1 2"}));
    let ops = json!([{"op": "Add", "path": "emails[type eq \"home\"].value", "value": ""}]);
    assert_eq!(patch_user(ops).unwrap(), user(), "an empty value creates nothing");
}

#[test]
fn entra_replace_work_email_on_user_without_emails() {
    let mut u = user();
    u.as_object_mut().unwrap().remove("emails");
    let ops = json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@x"}]);
    let out = apply(&u, &body(ops), &USER_TYPE).unwrap();
    assert_eq!(out["emails"], json!([{"type": "work", "value": "new@x"}]));
}

#[test]
fn entra_add_filtered_email_updates_existing_element() {
    let ops = json!([{"op": "Add", "path": "emails[type eq \"work\"].value", "value": "alice@new.example"}]);
    let u = patch_user(ops).unwrap();
    assert_eq!(u["emails"], json!([{"value": "alice@new.example", "type": "work", "primary": true}]));
}

#[test]
fn entra_filter_key_in_no_path_value() {
    let value = json!({"emails[type eq \"work\"].value": "a@b.example", "name.familyName": "Baker"});
    let u = patch_user(json!([{"op": "replace", "value": value}])).unwrap();
    assert_eq!(u["emails"][0]["value"], "a@b.example");
    assert_eq!(u["name"]["familyName"], "Baker");
}

#[test]
fn entra_remove_members_by_value_array() {
    let mut g = group();
    g["members"] = json!([{"value": "u_1"}, {"value": "u_2"}, {"value": "u_3"}]);
    let ops =
        json!([{"op": "Remove", "path": "members", "value": [{"value": "u_1"}, {"value": "u_3"}, {"value": "u_x"}]}]);
    let out = apply(&g, &body(ops), &GROUP_TYPE).unwrap();
    assert_eq!(out["members"], json!([{"value": "u_2"}]));
    let empty = json!([{"op": "Remove", "path": "members", "value": []}]);
    assert_eq!(apply(&g, &body(empty), &GROUP_TYPE).map_err(|e| e.kind), Err(PatchErrorKind::InvalidValue));
}

#[test]
fn entra_remove_member_by_filter() {
    let g = patch_group(json!([{"op": "Remove", "path": format!("members[value eq \"{U1}\"]")}])).unwrap();
    assert!(g.get("members").is_none());
}

#[test]
fn entra_custom_extension_is_ignored() {
    let custom = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User";
    let u = patch_user(json!([
        {"op": "Add", "path": format!("{custom}:worksiteId"), "value": "180"},
        {"op": "Replace", "value": {custom: {"worksiteId": "180"}, format!("{custom}:x"): "y", "title": "Lead"}}
    ]))
    .unwrap();
    assert_eq!(u["title"], "Lead");
    assert!(u.get(custom).is_none());
}

// ---- Okta ----

#[test]
fn okta_deactivation_replace_without_path() {
    let u = patch_user(json!([{"op": "replace", "value": {"active": false}}])).unwrap();
    assert_eq!(u["active"], false);
}

#[test]
fn okta_add_member_with_display() {
    let ops = json!([{"op": "add", "path": "members", "value": [{"value": "u_1", "display": "x"}]}]);
    let g = patch_group(ops).unwrap();
    assert_eq!(g["members"][1], json!({"value": "u_1"}));
}

#[test]
fn okta_remove_member_by_filter() {
    let mut g = group();
    g["members"] = json!([{"value": "u_1", "display": "x"}, {"value": "u_2"}]);
    let ops = json!([{"op": "remove", "path": "members[value eq \"u_1\"]"}]);
    assert_eq!(apply(&g, &body(ops), &GROUP_TYPE).unwrap()["members"], json!([{"value": "u_2"}]));
}

#[test]
fn okta_unknown_extension_key_is_ignored() {
    let value = json!({"urn:okta:onprem_app:1.0:user:custom": {"x": 1}, "displayName": "A"});
    assert_eq!(patch_user(json!([{"op": "replace", "value": value}])).unwrap()["displayName"], "A");
}

// ---- mutability ----

#[test]
fn mutability_id_meta_groups() {
    for (op, path) in [
        ("replace", "id"),
        ("remove", "id"),
        ("replace", "meta"),
        ("add", "meta.lastModified"),
        ("remove", "meta.version"),
        ("add", "groups"),
        ("remove", "groups"),
        ("remove", "groups[value eq \"g_1\"]"),
        ("replace", "groups[value eq \"g_1\"].display"),
        ("replace", "urn:ietf:params:scim:schemas:core:2.0:User:id"),
    ] {
        let ops = json!([{"op": op, "path": path, "value": "x"}]);
        assert_eq!(kind(patch_user(ops)), PatchErrorKind::Mutability, "{op} {path}");
    }
    for value in [json!({"id": "u_9"}), json!({"meta": {"version": "x"}}), json!({"groups": [{"value": "g_2"}]})] {
        let ops = json!([{"op": "replace", "value": value}]);
        assert_eq!(kind(patch_user(ops)), PatchErrorKind::Mutability, "{value}");
    }
}

/// Issue 17: Okta renames a group with a no-path replace that echoes the group's `id`.
#[test]
fn okta_group_rename_echoing_the_id_is_no_modification() {
    let ops = json!([{"op": "replace", "value": {"id": "g_1", "displayName": "Test SCIMv20"}}]);
    let g = patch_group(ops).unwrap();
    assert_eq!((g["id"].clone(), g["displayName"].clone()), (json!("g_1"), json!("Test SCIMv20")));
    let other = json!([{"op": "replace", "value": {"id": "g_2", "displayName": "Test SCIMv20"}}]);
    assert_eq!(kind(patch_group(other)), PatchErrorKind::Mutability);
}

/// RFC 7644 §3.5.2: a read-only attribute given the value it has is no modification.
#[test]
fn read_only_values_given_as_they_are_are_no_ops() {
    let meta = user()["meta"].clone();
    for ops in [
        json!([{"op": "replace", "path": "id", "value": "u_1"}]),
        json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:id", "value": "u_1"}]),
        json!([{"op": "replace", "value": {"id": "u_1", "ID": "u_1"}}]),
        json!([{"op": "replace", "path": "meta", "value": meta}]),
        json!([{"op": "replace", "value": {"meta": meta, "schemas": [USER_URN, ENTERPRISE_URN]}}]),
        json!([{"op": "replace", "value": {"meta": {"version": "\"1\""}}}]),
        json!([{"op": "add", "path": "meta.lastModified", "value": "2026-11-23T15:58:41.123+01:00"}]),
        json!([{"op": "replace", "path": "meta.created", "value": "2026-11-23T14:58:41.1230Z"}]),
        json!([{"op": "replace", "path": "meta", "value": {"resourceType": "User", "location": "https://x/Users/u_1"}}]),
        json!([{"op": "replace", "path": "meta.version", "value": "W/\"1\""}]),
        json!([{"op": "replace", "path": "manager.displayName", "value": null}]),
    ] {
        assert_eq!(patch_user(ops.clone()), Ok(user()), "{ops}");
    }
    let mut bare = user();
    bare.as_object_mut().unwrap().remove("groups");
    let no_groups = json!([{"op": "add", "value": {"groups": []}}]);
    assert_eq!(apply(&bare, &body(no_groups), &USER_TYPE), Ok(bare.clone()), "no groups given to a user in none");
}

#[test]
fn read_only_values_that_differ_stay_mutability() {
    for ops in [
        json!([{"op": "replace", "path": "id", "value": "U_1"}]),
        json!([{"op": "replace", "value": {"id": "u_9", "displayName": "x"}}]),
        json!([{"op": "replace", "path": "id", "value": null}]),
        json!([{"op": "remove", "path": "id"}]),
        json!([{"op": "remove", "path": "meta.version"}]),
        json!([{"op": "replace", "path": "meta.version", "value": "W/\"2\""}]),
        json!([{"op": "replace", "path": "meta.version", "value": "W/\"1\", W/\"2\""}]),
        json!([{"op": "replace", "path": "meta.lastModified", "value": "2026-11-23T14:58:41.124Z"}]),
        json!([{"op": "replace", "path": "meta.resourceType", "value": "user"}]),
        json!([{"op": "replace", "path": "meta", "value": {"version": "W/\"1\"", "created": "2020-01-01T00:00:00Z"}}]),
        json!([{"op": "replace", "path": "meta", "value": {"version": "W/\"1\"", "etag": "x"}}]),
        json!([{"op": "replace", "path": "meta", "value": [user()["meta"].clone()]}]),
        json!([{"op": "replace", "path": "meta", "value": {}}]),
        json!([{"op": "replace", "path": "manager.displayName", "value": "Bob"}]),
        json!([{"op": "add", "path": "groups", "value": user()["groups"].clone()}]),
        json!([{"op": "replace", "path": "groups[value eq \"g_1\"].display", "value": "Engineering"}]),
    ] {
        assert_eq!(kind(patch_user(ops.clone())), PatchErrorKind::Mutability, "{ops}");
    }
}

#[test]
fn schemas_given_as_the_resource_has_them_are_no_ops() {
    for ops in [
        json!([{"op": "replace", "path": "schemas", "value": [ENTERPRISE_URN.to_uppercase(), USER_URN]}]),
        json!([{"op": "add", "path": "schemas", "value": [USER_URN]}]),
        json!([{"op": "replace", "value": {"schemas": [USER_URN, ENTERPRISE_URN], "title": "Engineer"}}]),
    ] {
        assert_eq!(patch_user(ops.clone()), Ok(user()), "{ops}");
    }
    // The schemas of the result count too: the extension arrives in the same operation.
    let mut bare = user();
    bare.as_object_mut().unwrap().remove(ENTERPRISE_URN);
    bare["schemas"] = json!([USER_URN]);
    let value = json!({"schemas": [USER_URN, ENTERPRISE_URN], ENTERPRISE_URN: {"department": "Ops"}});
    let u = apply(&bare, &body(json!([{"op": "replace", "value": value}])), &USER_TYPE).unwrap();
    assert_eq!(u["schemas"], json!([USER_URN, ENTERPRISE_URN]));
    for ops in [
        json!([{"op": "remove", "path": "schemas"}]),
        json!([{"op": "replace", "path": "schemas", "value": [USER_URN, ENTERPRISE_URN, PATCH_OP_URN]}]),
        json!([{"op": "add", "path": "schemas", "value": ["urn:example:other"]}]),
        json!([{"op": "replace", "path": "schemas", "value": [1]}]),
        json!([{"op": "replace", "path": "schemas", "value": {"urn": USER_URN}}]),
    ] {
        let e = patch_user(ops.clone()).unwrap_err();
        assert_eq!(e.kind, PatchErrorKind::Mutability, "{ops}");
        assert!(e.detail.starts_with("Operations[0]"), "{}", e.detail);
    }
}

#[test]
fn mutability_schemas_cannot_be_patched() {
    assert_eq!(
        kind(patch_user(json!([{"op": "replace", "path": "schemas", "value": [USER_URN]}]))),
        PatchErrorKind::Mutability
    );
    let ops = json!([{"op": "replace", "value": {"schemas": [USER_URN], "title": "x"}}]);
    assert_eq!(kind(patch_user(ops)), PatchErrorKind::Mutability);
}

#[test]
fn mutability_read_only_sub_attributes() {
    let ops = json!([{"op": "replace", "path": format!("members[value eq \"{U1}\"].display"), "value": "x"}]);
    assert_eq!(kind(patch_group(ops)), PatchErrorKind::Mutability);
    let ops = json!([{"op": "replace", "path": "manager.displayName", "value": "x"}]);
    assert_eq!(kind(patch_user(ops)), PatchErrorKind::Mutability);
}

#[test]
fn mutability_immutable_member_value_set_once() {
    let value_path = format!("members[value eq \"{U1}\"].value");
    for ops in [
        json!([{"op": "replace", "path": value_path, "value": U2}]),
        json!([{"op": "remove", "path": value_path}]),
        json!([{"op": "remove", "path": "members.type"}]),
        json!([{"op": "replace", "path": format!("members[value eq \"{U1}\"]"), "value": {"value": U2}}]),
    ] {
        assert_eq!(kind(patch_group(ops.clone())), PatchErrorKind::Mutability, "{ops}");
    }
    // The same values, or a whole new array, are fine.
    let same = json!([{"op": "replace", "path": format!("members[value eq \"{U1}\"]"), "value": {"value": U1, "type": "User"}}]);
    let g = patch_group(same).unwrap();
    assert_eq!(g["members"][0]["display"], "Babs Jensen", "read-only sub-attributes are kept");
    let mut bare = group();
    bare["members"] = json!([{"value": U1}]);
    let add_type = json!([{"op": "add", "path": format!("members[value eq \"{U1}\"].type"), "value": "User"}]);
    assert_eq!(apply(&bare, &body(add_type), &GROUP_TYPE).unwrap()["members"][0]["type"], "User");
}

#[test]
fn mutability_write_only_password_can_be_set() {
    let u = patch_user(json!([{"op": "replace", "path": "password", "value": "correct horse"}])).unwrap();
    assert_eq!(u["password"], "correct horse");
}

#[test]
fn required_attribute_removal_is_invalid_value() {
    assert_eq!(kind(patch_user(json!([{"op": "remove", "path": "userName"}]))), PatchErrorKind::InvalidValue);
    assert_eq!(
        kind(patch_user(json!([{"op": "replace", "path": "userName", "value": ""}]))),
        PatchErrorKind::InvalidValue
    );
    assert_eq!(kind(patch_group(json!([{"op": "remove", "path": "displayName"}]))), PatchErrorKind::InvalidValue);
    let ops = json!([{"op": "remove", "path": "userName"}, {"op": "add", "path": "userName", "value": "b@x"}]);
    assert_eq!(patch_user(ops).unwrap()["userName"], "b@x");
}

// ---- primary ----

#[test]
fn primary_set_on_one_element_demotes_the_others() {
    let u = patch_user(
        json!([{"op": "add", "path": "emails", "value": [{"value": "h@x", "type": "home", "primary": true}]}]),
    )
    .unwrap();
    assert_eq!(
        u["emails"],
        json!([{"value": "alice@example.com", "type": "work", "primary": false},
                                   {"value": "h@x", "type": "home", "primary": true}])
    );
    let ops = json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]);
    let u2 = apply(&u, &body(ops), &USER_TYPE).unwrap();
    assert_eq!((&u2["emails"][0]["primary"], &u2["emails"][1]["primary"]), (&json!(false), &json!(true)));
}

#[test]
fn primary_twice_in_one_operation_is_invalid_value() {
    let two = json!([{"value": "a@x", "primary": true}, {"value": "b@x", "primary": true}]);
    assert_eq!(
        kind(patch_user(json!([{"op": "replace", "path": "emails", "value": two}]))),
        PatchErrorKind::InvalidValue
    );
}

// ---- unknown attributes ----

#[test]
fn unknown_attributes_are_invalid_path() {
    for ops in [
        json!([{"op": "replace", "path": "favouriteColour", "value": "x"}]),
        json!([{"op": "replace", "value": {"favouriteColour": "x"}}]),
        json!([{"op": "replace", "value": {"name": {"nickname": "x"}}}]),
        json!([{"op": "add", "path": "emails", "value": [{"value": "a@x", "label": "x"}]}]),
        json!([{"op": "replace", "value": {ENTERPRISE_URN: {"shoeSize": "x"}}}]),
        json!([{"op": "replace", "value": {ENTERPRISE_URN: {format!("{ENTERPRISE_URN}:department"): "x"}}}]),
    ] {
        assert_eq!(kind(patch_user(ops.clone())), PatchErrorKind::InvalidPath, "{ops}");
    }
}

// ---- atomicity and limits ----

#[test]
fn atomic_failing_third_operation_changes_nothing() {
    let input = user();
    let ops = json!([
        {"op": "replace", "path": "displayName", "value": "Changed"},
        {"op": "add", "path": "emails", "value": [{"value": "new@x"}]},
        {"op": "replace", "path": "id", "value": "u_9"}
    ]);
    let e = apply(&input, &body(ops), &USER_TYPE).unwrap_err();
    assert_eq!(e.kind, PatchErrorKind::Mutability);
    assert!(e.detail.starts_with("Operations[2]"), "{}", e.detail);
    assert_eq!(input, user());
}

#[test]
fn limits_are_invalid_value() {
    let long = "x".repeat(canonical::MAX_STRING_BYTES + 1);
    assert_eq!(
        kind(patch_user(json!([{"op": "replace", "path": "title", "value": long}]))),
        PatchErrorKind::InvalidValue
    );
    let emails: Vec<Value> = (0..=canonical::MAX_ELEMENTS).map(|i| json!({"value": format!("{i}@x")})).collect();
    assert_eq!(
        kind(patch_user(json!([{"op": "add", "path": "emails", "value": emails}]))),
        PatchErrorKind::InvalidValue
    );
    let big: Vec<Value> = (0..70).map(|i| json!({"value": "y".repeat(1000), "display": format!("{i}")})).collect();
    assert_eq!(
        kind(patch_user(json!([{"op": "add", "path": "phoneNumbers", "value": big}]))),
        PatchErrorKind::InvalidValue
    );
}

#[test]
fn group_members_hold_ten_thousand() {
    let members: Vec<Value> = (1..canonical::MAX_MEMBERS).map(|i| json!({"value": format!("u_{i:05}")})).collect();
    let g = patch_group(json!([{"op": "add", "path": "members", "value": members}])).unwrap();
    assert_eq!(g["members"].as_array().unwrap().len(), canonical::MAX_MEMBERS);
}

#[test]
fn group_members_over_ten_thousand_refused() {
    let members: Vec<Value> = (0..canonical::MAX_MEMBERS).map(|i| json!({"value": format!("u_{i:05}")})).collect();
    let mut g = group();
    g["members"] = Value::Array(members.clone());
    let ops = json!([{"op": "add", "path": "members", "value": [{"value": "one-more"}]}]);
    assert_eq!(apply(&g, &body(ops), &GROUP_TYPE).map_err(|e| e.kind), Err(PatchErrorKind::InvalidValue));
    let remove_all = json!([{"op": "remove", "path": "members", "value": members}]);
    assert!(apply(&g, &body(remove_all), &GROUP_TYPE).unwrap().get("members").is_none());
}

// ---- no panics ----

const PIECES: &[&str] = &[
    "emails",
    "EMAILS",
    "members",
    "name",
    "userName",
    "active",
    "groups",
    "meta",
    "id",
    "phoneNumbers",
    "manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:okta:x",
    ":",
    ".",
    "..",
    "[",
    "]",
    "[]",
    "\"",
    "\\",
    " ",
    "type",
    "value",
    "primary",
    "display",
    " eq ",
    " and ",
    " ew ",
    "\"work\"",
    "true",
    "False",
    "givenName",
    "$ref",
    "é",
    "\u{0}",
    "[type eq \"work\"]",
    "x",
];

fn random_path(rng: &mut Rng) -> String {
    (0..rng.below(6) + 1).map(|_| rng.pick(PIECES)).collect()
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth > 3 { 6 } else { 9 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 0),
        2 => json!(rng.next_u64() as i64),
        3 => json!(rng.pick(&["", "True", "false", "work", "u_1", "alice@example.com", "2026-01-01T00:00:00Z"])),
        4 => json!(random_path(rng)),
        5 => json!(1.5),
        6 => Value::Array((0..rng.below(4)).map(|_| random_value(rng, depth + 1)).collect()),
        _ => {
            let fields = (0..rng.below(4)).map(|_| (random_path(rng), random_value(rng, depth + 1)));
            Value::Object(fields.collect())
        }
    }
}

/// Well-formed paths, so that a fair share of the random operations get past parsing.
const USER_PATHS: &[&str] = &[
    "title",
    "active",
    "name",
    "name.givenName",
    "emails",
    "emails[type eq \"work\"]",
    "emails[type eq \"home\"].value",
    "emails[primary eq true].primary",
    "phoneNumbers.type",
    "displayName",
    "externalId",
    "manager.value",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "userName",
    "password",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
];
const GROUP_PATHS: &[&str] =
    &["displayName", "members", "members[value eq \"u_1\"]", "members[type eq \"User\"].value", "externalId"];

fn random_operation(rng: &mut Rng, paths: &[&str]) -> Value {
    let mut op = Map::new();
    match rng.below(20) {
        0 => None,
        1 => op.insert("op".into(), json!("move")),
        _ => op.insert("op".into(), json!(rng.pick(&["add", "Replace", "REMOVE", "Add", "replace", "remove"]))),
    };
    match rng.below(3) {
        0 => None,
        1 => op.insert("path".into(), json!(random_path(rng))),
        _ => op.insert("path".into(), json!(rng.pick(paths))),
    };
    if rng.below(10) > 0 {
        let value = match rng.below(4) {
            0 => json!(rng.pick(&["x", "True", "u_1", "work"])),
            1 => json!({rng.pick(paths): rng.pick(&["x", "True", "u_1"]), "displayName": "d"}),
            2 => {
                json!({"value": rng.pick(&["a@x", "u_1", "u_2"]), "type": rng.pick(&["work", "home"]), "primary": true})
            }
            _ => random_value(rng, 0),
        };
        op.insert("value".into(), value);
    }
    Value::Object(op)
}

#[test]
fn no_panic_on_random_bodies_and_paths() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut accepted, mut refused) = (0, 0);
    for round in 0..2000 {
        let (resource, rt, paths) =
            if round % 2 == 0 { (user(), &USER_TYPE, USER_PATHS) } else { (group(), &GROUP_TYPE, GROUP_PATHS) };
        let body = match round % 10 {
            0 => random_value(&mut rng, 0),
            1 => json!({"schemas": [PATCH_OP_URN], "Operations": random_value(&mut rng, 0)}),
            _ => body(Value::Array((0..rng.below(3) + 1).map(|_| random_operation(&mut rng, paths)).collect())),
        };
        let _ = parse_path(&random_path(&mut rng), rt);
        let _ = canonical::canonicalize(&random_value(&mut rng, 0), rt);
        match apply(&resource, &body, rt) {
            Ok(patched) => {
                accepted += 1;
                assert_eq!(canonical::validate(&patched, rt), Ok(()), "{body}");
                let stored = canonical::canonicalize(&patched, rt).unwrap();
                assert_eq!(canonical::canonicalize(&stored, rt), Ok(stored.clone()), "a fixed point: {body}");
            }
            Err(e) => {
                refused += 1;
                assert!(!e.detail.is_empty());
            }
        }
    }
    assert!(accepted > 100 && refused > 1000, "accepted {accepted}, refused {refused}");
}
