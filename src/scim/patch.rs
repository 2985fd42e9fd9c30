//! SCIM PATCH (RFC 7644 §3.5.2): applies a PatchOp message to a User or Group resource in the
//! stored shape (src/scim/resource.rs) and returns the new resource. The input is never modified and
//! the operations apply all or nothing: the first failing one is the error, naming its index.
//! The result is checked with [`canonical::validate`], so it is always a well-formed resource.
//! This module reads the message and the operations; the writing itself is `write::Engine`,
//! shared with POST/PUT canonicalisation, and paths are parsed by `path`.
//!
//! # Message (§3.5.2)
//! `schemas` must list `urn:ietf:params:scim:api:messages:2.0:PatchOp`; `Operations` (any key
//! case, as every member name of the message) holds 1 to [`MAX_OPERATIONS`] operations, each
//! with `op` (`add`, `remove`, `replace`, any case: Entra sends `"Add"`), an optional string
//! `path` and a `value` (required for add and replace).
//!
//! # Paths ([`parse_path`])
//! `PATH = attrPath / valuePath [subAttr]`: `[urn:…:]attr[.sub]` or `[urn:…:]attr[filter][.sub]`,
//! names case-insensitive; the filter (between `[` and the matching `]`, quoted strings
//! respected) is parsed by `filter::parse_value_filter` and allowed on multi-valued attributes
//! only. A path that is only the extension URN names the extension object as a whole.
//!
//! # Semantics (§3.5.2.1 add, §3.5.2.2 remove, §3.5.2.3 replace) and the choices made
//! - add without a path: `value` is an object of attributes, each added as if it were the
//!   path; replace without a path: each replaces. Keys may be dotted (`name.givenName`),
//!   URN-qualified (`urn:…:enterprise:2.0:User:department`), the extension URN holding an
//!   object of its attributes, or even carry a filter (`emails[type eq "work"].value`), as
//!   Microsoft Entra sends them.
//! - add to a multi-valued attribute appends the elements not already present; an element is
//!   present when an existing one has every sub-attribute it gives, equal (case-insensitively
//!   unless caseExact) — "no changes SHOULD be made" (§3.5.2.1). Group `members` elements are
//!   identified by their immutable `value` alone. replace of the whole attribute replaces the
//!   array (same de-duplication).
//! - add or replace on a complex attribute merges the given sub-attributes (§3.5.2.3: "not
//!   specified … left unchanged"); on a single-valued attribute sets it.
//! - `null`, `""`, `[]` mean unassigned (RFC 7643 §2.5): setting an attribute or sub-attribute
//!   to one removes it; an add of nothing changes nothing.
//! - a filter or `attr.sub` on a multi-valued attribute selects elements (`attr.sub` without a
//!   filter selects all). add/replace with a sub-attribute sets it in each selected element;
//!   without one, add merges the value object into each, replace replaces each whole (its
//!   read-only sub-attributes, e.g. `members.display`, and the immutable ones the new value
//!   does not give, e.g. `members.$ref`, are kept).
//! - replace (and add) with a filter that selects nothing: `noTarget` (§3.5.2.3), EXCEPT when the
//!   filter is `type eq "x"`, alone or `and`-ed with other `eq` comparisons: then a new element
//!   `{type: "x", <other eq values>, <sub>: value}` is appended. Entra sends
//!   `{"op":"Replace"/"Add","path":"emails[type eq \"work\"].value","value":"…"}` for a user
//!   without a work address and expects it created (Microsoft's guidance on Q&A). With an
//!   empty value nothing is created. `attr.sub` on an attribute with no elements creates
//!   `{<sub>: value}` the same way.
//! - remove needs a path (`noTarget` otherwise, §3.5.2.2); with a filter it removes the
//!   selected elements (or their sub-attribute) and selecting nothing is not an error (removal
//!   is idempotent). remove of a multi-valued attribute with a `value` array removes just the
//!   given elements (Entra: `{"op":"Remove","path":"members","value":[{"value":"u_1"}]}`),
//!   matched like add's "already present"; a `value` on any other remove is ignored.
//! - `primary`: an operation that sets `primary: true` on elements demotes every other element's
//!   `primary: true` to `false` (RFC 7643 §2.4 "at most once"); if the result still has two,
//!   the operation set both and the patch fails with `invalidValue`.
//! - mutability: a path or key naming `id`, `meta`, User `groups` or any read-only attribute or
//!   sub-attribute is `mutability` — unless the value given is the one the resource already
//!   has: then it is no modification and the operation (or that key) is a no-op (RFC 7644
//!   §3.5.2 refuses modifications; Okta renames a group with `{"op":"replace","value":{"id":
//!   <the same id>,"displayName":…}}`). "Already has" for a single-valued attribute or
//!   sub-attribute: `id` byte for byte; `meta` (whole, or any of its sub-attributes) when each
//!   sub-attribute given is what is served — `created`/`lastModified` as the same instant,
//!   `version` as an entity tag of the same version (`W/"3"` or `"3"`), `resourceType` and
//!   `location` exactly — so a client may echo back the `meta` it read, but one from an older
//!   read (another version) is `mutability`. Multi-valued read-only attributes (User `groups`)
//!   and paths with a filter are always `mutability`; a remove of a read-only attribute too.
//!   `schemas` is rebuilt from the attributes present: a `schemas` path or key given with
//!   add/replace is a no-op when its URNs (any case, any order) are the resource's `schemas`
//!   before the request or after it (add: among them), else `mutability`; remove is
//!   `mutability`.
//!   Read-only sub-attributes inside a value are ignored (Okta sends `members[].display`).
//!   An immutable sub-attribute (`members.value`, `$ref`, `type`) may be set where it has no
//!   value (new elements, new resources) but not changed or removed in place (`mutability`).
//!   `password` (writeOnly) can be set.
//! - removing a required attribute (User `userName`, Group `displayName`) fails with
//!   `invalidValue` ("a required value was missing", §3.12) — checked on the final result, so
//!   a remove followed by an add of the attribute in the same request succeeds.
//! - Entra sends booleans as `"True"`/`"False"`: accepted in any case for boolean attributes;
//!   and the enterprise `manager` as a bare id: accepted as `{"value": id}`.
//! - an unknown attribute, in a path or a no-path value key, is `invalidPath`; but a path or key
//!   qualified by a schema URN this resource type does not have (`urn:okta:…`, an Entra custom
//!   extension) is ignored: the operation, or that key, is a no-op.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::scim::canonical;
pub use crate::scim::error::{PatchError, PatchErrorKind};
use crate::scim::path::is_foreign_urn;
pub use crate::scim::path::{parse_path, PatchPath, MAX_PATH_LEN};
use crate::scim::schema::ResourceType;
use crate::scim::write::{describe, schemas_refused, Engine, Mode, Write};

/// The PatchOp message schema (RFC 7644 §3.5.2).
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Most operations in one PatchOp message.
pub const MAX_OPERATIONS: usize = 1000;

/// Applies the PatchOp message `body` to `resource` (see the module documentation).
pub fn apply(resource: &Value, body: &Value, rt: &'static ResourceType) -> Result<Value, PatchError> {
    let operations = operations(body)?;
    let mut doc = resource.as_object().cloned().ok_or_else(|| {
        PatchError::value(format!("expected the resource to be an object, found {}", describe(resource)))
    })?;
    let engine = Engine { rt, mode: Mode::Patch };
    let before = urns(doc.get("schemas"));
    for (index, op) in operations.iter().enumerate() {
        operation_on(&engine, &mut doc, op).map_err(|e| e.context(&op.label(index)))?;
    }
    canonical::finish(&mut doc, rt);
    let after = urns(doc.get("schemas"));
    for (index, op) in operations.iter().enumerate() {
        schemas_given(op, &before, &after).map_err(|e| e.context(&op.label(index)))?;
    }
    let patched = Value::Object(doc);
    canonical::validate(&patched, rt).map_err(|e| e.context("the patched resource"))?;
    Ok(patched)
}

// ---- the message ----

enum Action<'a> {
    Add(&'a Value),
    Replace(&'a Value),
    Remove(Option<&'a Value>),
}

struct Operation<'a> {
    action: Action<'a>,
    path: Option<&'a str>,
}

impl Operation<'_> {
    /// `Operations[i] (replace "emails[…].value")`, the path cut to 200 characters.
    fn label(&self, index: usize) -> String {
        let op = match self.action {
            Action::Add(_) => "add",
            Action::Replace(_) => "replace",
            Action::Remove(_) => "remove",
        };
        match self.path {
            Some(path) => format!("Operations[{index}] ({op} {:?})", path.chars().take(200).collect::<String>()),
            None => format!("Operations[{index}] ({op} without path)"),
        }
    }
}

fn operations(body: &Value) -> Result<Vec<Operation<'_>>, PatchError> {
    let message = body
        .as_object()
        .ok_or_else(|| PatchError::syntax(format!("expected a PatchOp message object, found {}", describe(body))))?;
    let schemas = member(message, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|urn| urn.as_str().is_some_and(|u| u.eq_ignore_ascii_case(PATCH_OP_URN))))
    {
        return Err(PatchError::syntax(format!("expected `schemas` to list {PATCH_OP_URN}")));
    }
    let list = member(message, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| PatchError::syntax("expected `Operations` to be an array of operations".to_string()))?;
    if list.is_empty() || list.len() > MAX_OPERATIONS {
        return Err(PatchError::syntax(format!("expected 1 to {MAX_OPERATIONS} operations, found {}", list.len())));
    }
    let parse = |(index, op)| operation(op).map_err(|e: PatchError| e.context(&format!("Operations[{index}]")));
    list.iter().enumerate().map(parse).collect()
}

fn operation(op: &Value) -> Result<Operation<'_>, PatchError> {
    let op = op
        .as_object()
        .ok_or_else(|| PatchError::syntax(format!("expected an operation object, found {}", describe(op))))?;
    let path = match member(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) => Some(path.as_str()),
        Some(other) => {
            return Err(PatchError::syntax(format!("expected `path` to be a string, found {}", describe(other))))
        }
    };
    let value = member(op, "value");
    let required =
        |name: &str| value.ok_or_else(|| PatchError::syntax(format!("expected a `value` member: `{name}` needs one")));
    let action = match member(op, "op").and_then(Value::as_str).unwrap_or("") {
        name if name.eq_ignore_ascii_case("add") => Action::Add(required("add")?),
        name if name.eq_ignore_ascii_case("replace") => Action::Replace(required("replace")?),
        name if name.eq_ignore_ascii_case("remove") => Action::Remove(value),
        name => {
            let found: String = name.chars().take(40).collect();
            return Err(PatchError::syntax(format!("expected `op` to be add, remove or replace, found {found:?}")));
        }
    };
    Ok(Operation { action, path })
}

/// A message member by name, any case.
pub(crate) fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)
}

/// Applies one operation to `doc` through the write engine.
fn operation_on(engine: &Engine, doc: &mut Map<String, Value>, op: &Operation<'_>) -> Result<(), PatchError> {
    let path = match op.path {
        None => None,
        Some(text) if text.eq_ignore_ascii_case("schemas") => {
            // Checked against the result by `schemas_given`.
            return if matches!(op.action, Action::Remove(_)) { Err(schemas_refused()) } else { Ok(()) };
        }
        Some(text) if is_foreign_urn(text, engine.rt) => return Ok(()),
        Some(text) => Some(parse_path(text, engine.rt)?),
    };
    match (&op.action, &path) {
        (Action::Remove(_), None) => {
            Err(PatchError::no_target("expected a `path` in a remove operation (RFC 7644 §3.5.2.2)".to_string()))
        }
        (Action::Remove(given), Some(path)) => engine.remove(doc, path, *given),
        (Action::Add(value), None) => engine.set_object(doc, None, Write::Add, value),
        (Action::Replace(value), None) => engine.set_object(doc, None, Write::Replace, value),
        (Action::Add(value), Some(path)) => engine.set(doc, path, Write::Add, value),
        (Action::Replace(value), Some(path)) => engine.set(doc, path, Write::Replace, value),
    }
}

/// A resource's `schemas` as a set of lower-cased URNs; `None` unless an array of strings (or
/// one string).
fn urns(value: Option<&Value>) -> Option<BTreeSet<String>> {
    match value? {
        Value::String(urn) => Some(BTreeSet::from([urn.to_ascii_lowercase()])),
        Value::Array(items) => items.iter().map(|u| u.as_str().map(str::to_ascii_lowercase)).collect(),
        _ => None,
    }
}

/// The `schemas` an add or replace gives (its path, or a key of its no-path value object) must
/// be the resource's before or after the request (add: among them); see the module
/// documentation.
fn schemas_given(
    op: &Operation<'_>,
    before: &Option<BTreeSet<String>>,
    after: &Option<BTreeSet<String>>,
) -> Result<(), PatchError> {
    let (add, value) = match op.action {
        Action::Add(value) => (true, value),
        Action::Replace(value) => (false, value),
        Action::Remove(_) => return Ok(()),
    };
    let given = match op.path {
        Some(path) if path.eq_ignore_ascii_case("schemas") => Some(value),
        Some(_) => None,
        None => value.as_object().and_then(|obj| member(obj, "schemas")),
    };
    let Some(given) = given else { return Ok(()) };
    let held = |have: &Option<BTreeSet<String>>| match (urns(Some(given)), have) {
        (Some(given), Some(have)) if add => given.is_subset(have),
        (Some(given), Some(have)) => &given == have,
        _ => false,
    };
    match held(before) || held(after) {
        true => Ok(()),
        false => Err(PatchError::mutability(format!(
            "`schemas` follows the attributes present; {} is not the resource's",
            given.to_string().chars().take(200).collect::<String>()
        ))),
    }
}

#[cfg(test)]
#[path = "patch_tests.rs"]
pub(crate) mod tests;
