//! In-memory evaluation of parsed SCIM filters (RFC 7644 §3.4.2.2) on resources shaped as
//! served (RFC 7643 §4: canonical attribute names, the enterprise extension under its URN
//! key, `meta.created` / `meta.lastModified` as RFC 3339 strings).
//!
//! Semantics (the SQL compiler in `sql` follows them identically):
//! * Lookup: an attribute is found under its canonical name (extension attributes inside the
//!   extension's URN object); wherever a multi-valued attribute (a JSON array) is crossed,
//!   every element is taken, so a comparison on a multi-valued attribute matches if ANY
//!   element matches. A comparison on a multi-valued complex attribute named without a
//!   sub-attribute (`emails co "@x"`) applies to its `value` sub-attribute.
//! * Strings: attributes with `caseExact` false compare after folding ASCII `A`-`Z` to
//!   lower case and nothing else (SQLite's NOCASE collation, so `É` ≠ `é`); `caseExact`
//!   attributes compare bytes. `co`, `sw`, `ew` are substring, prefix and suffix tests and
//!   `gt ge lt le` compare bytewise (UTF-8 order = code point order), all after that folding.
//! * dateTime: both sides as Unix milliseconds (`crate::time::parse`); an unparsable stored
//!   value matches nothing. Booleans: `eq` (and so `ne`). Numbers: numerically.
//! * A value of another JSON type than the attribute's matches no comparison.
//! * `pr`: some value at the path (as written; `emails pr` looks at the elements) is not
//!   null, not `""`, not `[]` and not `{}`. So `""` counts as absent for `pr` and `null`,
//!   while it still `eq ""`.
//! * `eq null` ≡ `not (… pr)` and `ne null` ≡ `pr`, both on the compared attribute (the
//!   `value` sub-attribute for `emails eq null`).
//! * `ne X` ≡ `not (eq X)`: an absent attribute matches `ne "x"`, and `emails.type ne "work"`
//!   matches when no element has type work.
//! * `not` is plain negation: two-valued logic, never "unknown".
//! * `attr[filter]` matches if one element of `attr` matches the whole inner filter.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::ast::{CompareOp, Filter, Literal};
use crate::scim::schema::{Attribute, Resolved};
use crate::time;

/// Whether `resource` (a User or Group as served) matches `filter`.
pub fn matches(filter: &Filter, resource: &Value) -> bool {
    eval(filter, Scope::Resource(resource))
}

/// Whether one element of a multi-valued attribute matches a value filter (the inside of
/// `emails[…]`, as parsed by `parse_value_filter`).
pub fn element_matches(filter: &Filter, element: &Value) -> bool {
    eval(filter, Scope::Element(element))
}

/// What paths are looked up in: the resource, or one element inside `attr[…]`, where
/// paths name sub-attributes.
#[derive(Clone, Copy)]
enum Scope<'v> {
    Resource(&'v Value),
    Element(&'v Value),
}

fn eval(filter: &Filter, scope: Scope) -> bool {
    match filter {
        Filter::Compare { path, op, value } => compare(scope, &path.resolved, *op, value),
        Filter::Present { path } => present(scope, &path.resolved, path.resolved.sub),
        Filter::And(a, b) => eval(a, scope) && eval(b, scope),
        Filter::Or(a, b) => eval(a, scope) || eval(b, scope),
        Filter::Not(a) => !eval(a, scope),
        Filter::ValuePath { path, filter } => {
            values(scope, &path.resolved, None).into_iter().any(|e| eval(filter, Scope::Element(e)))
        }
    }
}

fn compare(scope: Scope, r: &Resolved, op: CompareOp, value: &Literal) -> bool {
    let sub = target_sub(r);
    match (op, value) {
        (CompareOp::Eq, Literal::Null) => !present(scope, r, sub),
        (CompareOp::Ne, Literal::Null) => present(scope, r, sub),
        (_, Literal::Null) => false,
        (CompareOp::Ne, _) => !compare(scope, r, CompareOp::Eq, value),
        _ => {
            let case_exact = r.target().case_exact;
            values(scope, r, sub).into_iter().any(|v| compare_one(v, op, value, case_exact))
        }
    }
}

/// The sub-attribute a comparison on `r` looks at (see `Resolved::target`), if any.
pub(super) fn target_sub(r: &Resolved) -> Option<&'static Attribute> {
    let target = r.target();
    (!std::ptr::eq(target, r.attr)).then_some(target)
}

fn present(scope: Scope, r: &Resolved, sub: Option<&'static Attribute>) -> bool {
    values(scope, r, sub).into_iter().any(non_empty)
}

fn non_empty(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// Every value at `r`'s attribute (then `sub`, if given), arrays flattened.
fn values<'v>(scope: Scope<'v>, r: &Resolved, sub: Option<&'static Attribute>) -> Vec<&'v Value> {
    let (root, keys): (&Value, Vec<&str>) = match scope {
        Scope::Resource(resource) => {
            let extension = r.in_extension().then_some(r.schema.id);
            (resource, extension.into_iter().chain([r.attr.name]).chain(sub.map(|s| s.name)).collect())
        }
        Scope::Element(element) => (element, sub.map(|s| s.name).into_iter().collect()),
    };
    let mut current = vec![root];
    for key in keys {
        current = current.into_iter().flat_map(items).filter_map(|v| v.get(key)).collect();
    }
    current.into_iter().flat_map(items).collect()
}

/// The elements of an array, or the value itself.
fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) => a,
        other => std::slice::from_ref(other),
    }
}

fn compare_one(v: &Value, op: CompareOp, value: &Literal, case_exact: bool) -> bool {
    match (v, value) {
        (Value::String(s), Literal::Str(l)) => compare_str(&fold(s, case_exact), &fold(l, case_exact), op),
        (Value::String(s), Literal::DateTime(ms)) => time::parse(s).is_ok_and(|t| ordered(op, t.cmp(ms))),
        (Value::Bool(b), Literal::Bool(l)) => op == CompareOp::Eq && b == l,
        (Value::Number(n), Literal::Number(l)) => number_cmp(n, l).is_some_and(|o| ordered(op, o)),
        _ => false,
    }
}

/// SQLite NOCASE folding: ASCII upper case to lower case, nothing else.
pub(super) fn fold(s: &str, case_exact: bool) -> Cow<'_, str> {
    if case_exact {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.to_ascii_lowercase())
    }
}

fn compare_str(s: &str, l: &str, op: CompareOp) -> bool {
    match op {
        CompareOp::Co => s.contains(l),
        CompareOp::Sw => s.starts_with(l),
        CompareOp::Ew => s.ends_with(l),
        _ => ordered(op, s.cmp(l)),
    }
}

/// Whether `ord` (stored value against the literal) satisfies an ordering operator.
fn ordered(op: CompareOp, ord: Ordering) -> bool {
    match op {
        CompareOp::Eq => ord.is_eq(),
        CompareOp::Ne => ord.is_ne(),
        CompareOp::Gt => ord.is_gt(),
        CompareOp::Ge => ord.is_ge(),
        CompareOp::Lt => ord.is_lt(),
        CompareOp::Le => ord.is_le(),
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn number_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    match (a.as_i64(), b.as_i64()) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::scim::filter::{parse, parse_value_filter};
    use crate::scim::schema::{AttrType, ENTERPRISE_URN, GROUP_TYPE, USER, USER_TYPE, USER_URN};

    /// A User in the stored shape (src/scim/resource.rs), with two emails and a few more attributes.
    fn alice() -> Value {
        json!({
            "schemas": [USER_URN, ENTERPRISE_URN],
            "id": "u_1", "externalId": "00u1", "userName": "Alice@Example.com",
            "name": {"givenName": "Alice", "familyName": "Adams", "formatted": "Alice Adams"},
            "displayName": "Alice Adams", "title": "Engineer", "nickName": "", "active": true,
            "emails": [
                {"value": "alice@example.com", "type": "work", "primary": true},
                {"value": "alice@home.example", "type": "home"}
            ],
            "phoneNumbers": [{"value": "+1 555 0100", "type": "mobile"}],
            "groups": [{"value": "g_1", "display": "Engineering", "$ref": "https://x/Groups/g_1"}],
            ENTERPRISE_URN: {"department": "R&D", "manager": {"value": "u_2"}},
            "meta": {"resourceType": "User", "created": "2026-11-23T14:58:41.123Z",
                     "lastModified": "2026-11-23T15:00:00.000Z", "location": "https://x/Users/u_1",
                     "version": "W/\"1\""}
        })
    }

    fn check(resource: &Value, cases: &[(&str, bool)]) {
        for (text, expected) in cases {
            let filter = parse(text, &USER_TYPE).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(matches(&filter, resource), *expected, "{text}");
        }
    }

    /// RFC 7644 §3.4.2.2 Table 3, each operator on strings, on the example resource.
    #[test]
    fn rfc7644_3_4_2_2_string_operators() {
        check(
            &alice(),
            &[
                ("userName eq \"alice@example.com\"", true),
                ("userName eq \"alice@example\"", false),
                ("userName ne \"ALICE@EXAMPLE.COM\"", false),
                ("userName co \"E@EX\"", true),
                ("userName sw \"ALI\"", true),
                ("userName sw \"lice\"", false),
                ("userName ew \".COM\"", true),
                ("userName gt \"alice@example.co\"", true),
                ("userName ge \"ALICE@EXAMPLE.COM\"", true),
                ("userName lt \"alicf\"", true),
                ("userName le \"alice\"", false),
                ("title co \"\"", true),
                ("title sw \"\"", true),
                ("name.familyName co \"dam\"", true),
                ("name.formatted ew \"ADAMS\"", true),
                ("urn:ietf:params:scim:schemas:core:2.0:User:displayName eq \"alice adams\"", true),
            ],
        );
    }

    /// caseExact attributes (id, externalId, groups.value, manager.value) compare bytes;
    /// the others fold ASCII only, as SQLite's NOCASE does.
    #[test]
    fn rfc7643_2_1_case_exact_and_ascii_only_folding() {
        let mut r = alice();
        check(
            &r,
            &[
                ("externalId eq \"00u1\"", true),
                ("externalId eq \"00U1\"", false),
                ("id eq \"U_1\"", false),
                ("groups eq \"G_1\"", false),
                ("groups.value eq \"g_1\"", true),
                ("manager.value eq \"U_2\"", false),
                ("department eq \"r&d\"", true),
                ("externalId co \"U\"", false),
                ("externalId sw \"00u\"", true),
            ],
        );
        r["displayName"] = json!("Émile Zoë");
        check(
            &r,
            &[
                ("displayName eq \"Émile ZOË\"", false),
                ("displayName eq \"Émile zoë\"", true),
                ("displayName eq \"émile zoë\"", false),
                ("displayName co \"MILE\"", true),
                ("displayName sw \"é\"", false),
            ],
        );
        // Folding is to lower case: "_" (0x5F) sorts below "a"/"A" (0x61 once folded).
        r["title"] = json!("_x");
        check(&r, &[("title lt \"A\"", true), ("title gt \"A\"", false), ("title lt \"[\"", false)]);
    }

    /// `pr`, `eq null`, `ne null`, `ne` and `not` on present, empty and absent attributes.
    #[test]
    fn rfc7644_3_4_2_2_presence_null_and_negation() {
        check(
            &alice(),
            &[
                ("title pr", true),
                ("nickName pr", false),
                ("nickName eq null", true),
                ("nickName ne null", false),
                ("nickName eq \"\"", true),
                ("locale pr", false),
                ("locale eq null", true),
                ("locale ne null", false),
                ("locale ne \"en\"", true),
                ("locale eq \"en\"", false),
                ("not (locale eq \"en\")", true),
                ("not (locale ne \"en\")", false),
                ("name pr", true),
                ("name eq null", false),
                ("emails pr", true),
                ("emails eq null", false),
                ("emails.display pr", false),
                ("emails.type pr", true),
                ("manager pr", true),
                ("manager.displayName pr", false),
                ("active pr", true),
                ("meta pr", true),
                ("title ne \"Engineer\"", false),
            ],
        );
        let mut r = alice();
        r["name"] = json!({});
        r["emails"] = json!([]);
        r.as_object_mut().unwrap().remove(ENTERPRISE_URN);
        check(
            &r,
            &[
                ("name pr", false),
                ("name eq null", true),
                ("emails pr", false),
                ("emails eq null", true),
                ("emails.type ne \"work\"", true),
                ("department ne \"x\"", true),
                ("manager.value eq null", true),
            ],
        );
        r["name"] = json!({"givenName": ""});
        check(&r, &[("name pr", true), ("name.givenName pr", false)]);
    }

    /// A multi-valued attribute matches if any element does; a value filter needs one element
    /// to match all of it.
    #[test]
    fn rfc7644_3_4_2_2_multi_valued_any_element_and_value_paths() {
        check(
            &alice(),
            &[
                ("emails.type eq \"home\"", true),
                ("emails co \"home.example\"", true),
                ("emails.value co \"home.example\"", true),
                ("emails.type ne \"home\"", false),
                ("emails[type eq \"work\" and value co \"home\"]", false),
                ("emails.type eq \"work\" and emails.value co \"home\"", true),
                ("emails[type eq \"home\" and not (primary eq true)]", true),
                ("emails[type eq \"work\" and primary eq true]", true),
                ("emails[primary eq false]", false),
                ("emails[primary ne true]", true),
                ("emails[not (type eq \"work\")]", true),
                ("emails[display pr]", false),
                ("phoneNumbers[type eq \"mobile\" and value sw \"+1\"]", true),
                ("groups[value eq \"g_1\" and display eq \"engineering\"]", true),
                ("emails.primary eq true", true),
                ("emails.primary eq false", false),
            ],
        );
    }

    /// dateTime comparisons are on instants (RFC 3339 §5.8 offsets honoured).
    #[test]
    fn rfc7644_3_4_2_2_datetime_comparisons() {
        let mut r = alice();
        check(
            &r,
            &[
                ("meta.created eq \"2026-11-23T14:58:41.123Z\"", true),
                ("meta.created eq \"2026-11-23T16:58:41.123+02:00\"", true),
                ("meta.created eq \"2026-11-23T14:58:41Z\"", false),
                ("meta.created gt \"2026-11-23T14:58:41Z\"", true),
                ("meta.created ge \"2026-11-23\"", true),
                ("meta.created lt \"2026-11-24\"", true),
                ("meta.created le \"2026-11-23T14:58:41.122Z\"", false),
                ("meta.lastModified gt \"2026-11-23T14:58:41.123Z\"", true),
                ("meta.lastModified ne \"2026-11-23T15:00:00Z\"", false),
            ],
        );
        r["meta"]["created"] = json!("not a date");
        check(&r, &[("meta.created lt \"2030-01-01\"", false), ("meta.created ne \"2030-01-01\"", true)]);
    }

    #[test]
    fn booleans_and_mismatched_json_types() {
        let mut r = alice();
        check(&r, &[("active eq true", true), ("active ne true", false), ("active eq false", false)]);
        r["active"] = json!("true");
        r["title"] = json!(42);
        check(&r, &[("active eq true", false), ("title eq \"42\"", false), ("title pr", true)]);
    }

    #[test]
    fn groups_and_precedence() {
        let group = json!({"id": "g_1", "displayName": "Engineering",
                           "members": [{"value": "u_1", "display": "Alice", "type": "User"}],
                           "meta": {"created": "2026-01-01T00:00:00.000Z"}});
        for (text, expected) in [
            ("members[value eq \"u_1\"]", true),
            ("members.value eq \"U_1\"", false),
            ("displayName sw \"eng\" or id eq \"x\" and displayName eq \"y\"", true),
            ("(displayName sw \"eng\" or id eq \"x\") and displayName eq \"y\"", false),
            ("externalId pr", false),
        ] {
            assert_eq!(matches(&parse(text, &GROUP_TYPE).unwrap(), &group), expected, "{text}");
        }
    }

    /// RFC 7644 §3.5.2: a PATCH path's value filter applies to one element.
    #[test]
    fn rfc7644_3_5_2_element_matches() {
        let emails_attr = USER_TYPE.resolve(None, "emails", None).unwrap();
        let filter = parse_value_filter("type eq \"WORK\" and primary eq true", &USER_TYPE, emails_attr).unwrap();
        let emails = alice()["emails"].clone();
        assert!(element_matches(&filter, &emails[0]));
        assert!(!element_matches(&filter, &emails[1]));
        let members = GROUP_TYPE.resolve(None, "members", None).unwrap();
        let filter = parse_value_filter("value eq \"2819c223\"", &GROUP_TYPE, members).unwrap();
        assert!(element_matches(&filter, &json!({"value": "2819c223", "display": "Babs"})));
        assert!(!element_matches(&filter, &json!({"value": "2819C223"})));
        assert!(!element_matches(&filter, &json!("2819c223")));
    }

    #[test]
    fn numbers_compare_numerically() {
        static SUBS: [Attribute; 1] = [crate::scim::schema::attr("n", AttrType::Decimal, "")];
        static PARENT: Attribute =
            Attribute { name: "stats", ty: AttrType::Complex, multi_valued: true, sub_attributes: &SUBS, ..SUBS[0] };
        let parent = Resolved { schema: &USER, attr: &PARENT, sub: None };
        let element = json!({"n": 2});
        for (text, expected) in [
            ("n eq 2", true),
            ("n eq 2.0", true),
            ("n gt 1.5", true),
            ("n lt -3", false),
            ("n ge 2e0", true),
            ("n ne 2", false),
        ] {
            let filter = parse_value_filter(text, &USER_TYPE, parent).unwrap();
            assert_eq!(element_matches(&filter, &element), expected, "{text}");
        }
        let resource = json!({"stats": [{"n": 1}, {"n": 3}]});
        let filter = parse_value_filter("n gt 2", &USER_TYPE, parent).unwrap();
        let vp = Filter::ValuePath {
            path: crate::scim::filter::Path { resolved: parent, text: "stats".into() },
            filter: Box::new(filter),
        };
        assert!(matches(&vp, &resource));
    }
}
