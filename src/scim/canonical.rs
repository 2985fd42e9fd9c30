//! Input canonicalisation and resource validation for SCIM resources (RFC 7643 §2, §4; RFC 7644
//! §3.3, §3.5.1).
//!
//! [`canonicalize`] turns a POST/PUT body into the stored shape (src/scim/resource.rs):
//! - keys are matched case-insensitively (RFC 7643 §2.1) and rewritten to their canonical
//!   names, recursively (sub-attributes, and the extension object under its canonical URN key);
//!   URN-qualified keys (`urn:…:core:2.0:User:userName`, RFC 7644 §3.10) and dotted keys
//!   (`name.givenName`) are accepted too: every key is read as a PATCH path and written as a
//!   PATCH `add` would (so even `emails[type eq "work"].value` creates a work address);
//! - read-only attributes and sub-attributes (`id`, `meta`, `groups`, `members.display`,
//!   `manager.displayName`, …) are dropped: "any values provided SHALL be ignored" (RFC 7644
//!   §3.3, §3.5.1);
//! - unknown attributes and sub-attributes, and keys that are not valid paths, are dropped, and
//!   so are keys qualified by a schema URN this resource type does not have (`urn:okta:…`, a
//!   custom Entra extension, the enterprise extension on a Group): clients send their own
//!   extensions to every service provider; the input's `schemas` is ignored;
//! - values are type-checked: strings for string, reference and dateTime (an RFC 3339 date-time)
//!   attributes; JSON booleans for boolean ones, where the strings `"true"`/`"false"` in any case
//!   are also accepted (Microsoft Entra sends `"True"`/`"False"`); arrays for multi-valued
//!   attributes — a single element (object or string) is accepted and wrapped in an array;
//!   objects for complex attributes — a bare string for a complex attribute with a `value`
//!   sub-attribute is taken as `{"value": …}` (Entra sends the enterprise `manager` as the
//!   manager's id);
//! - `null`, `""`, `[]` and `{}` mean absent (RFC 7643 §2.5) and are removed;
//! - an element of a multi-valued attribute already present (see `patch`: every sub-attribute
//!   it gives equal in an earlier one; Group `members` by `value`) is dropped; each Group
//!   `members` element must carry a `value`;
//! - `schemas` is rebuilt: the core URN, then the extension URN when the extension object is
//!   non-empty.
//!
//! [`validate`] checks a whole resource in the stored shape; PATCH runs it on its result.

use std::collections::BTreeSet;
use std::io;

use serde_json::{Map, Value};

use crate::scim::error::PatchError;
use crate::scim::schema::{Attribute, Mutability, ResourceType, Schema};
use crate::scim::write::{
    check_identities, check_value, describe, identity, is_empty, is_members, max_elements, too_many, Engine, Mode,
    Write,
};
pub use crate::scim::write::{MAX_ELEMENTS, MAX_MEMBERS, MAX_STRING_BYTES};

/// Largest serialized resource, in bytes, counting client-writable attributes except Group
/// `members` (bounded by [`MAX_MEMBERS`] instead; a full group could never fit in 64 KiB) and
/// leaving out the server-maintained read-only ones (`id`, `meta`, User `groups`).
pub const MAX_RESOURCE_BYTES: usize = 64 * 1024;

/// Canonicalises a POST or PUT body (see the module documentation) and validates the result.
/// The returned resource has no `id` or `meta`: the caller assigns them.
pub fn canonicalize(input: &Value, rt: &'static ResourceType) -> Result<Value, PatchError> {
    if !input.is_object() {
        return Err(PatchError::syntax(format!("expected a resource object, found {}", describe(input))));
    }
    let mut doc = Map::new();
    Engine { rt, mode: Mode::Input }.set_object(&mut doc, None, Write::Add, input)?;
    finish(&mut doc, rt);
    let resource = Value::Object(doc);
    validate(&resource, rt)?;
    Ok(resource)
}

/// Checks a resource in the stored shape: known attributes under their canonical names, value
/// types, required attributes present (User `userName`, Group `displayName`; removing one is
/// `invalidValue`, the RFC 7644 §3.12 code for "a required value was missing"), at most one
/// `primary: true` per multi-valued attribute (RFC 7643 §2.4), string values of at most
/// [`MAX_STRING_BYTES`], at most [`MAX_ELEMENTS`] elements per multi-valued attribute
/// ([`MAX_MEMBERS`] for Group `members`; read-only `groups` is server-maintained and not
/// limited), each Group member with a `value` listed once, `schemas` listing the core URN and
/// each extension present, and at most [`MAX_RESOURCE_BYTES`] serialized. Failures are
/// `InvalidValue`.
pub fn validate(resource: &Value, rt: &'static ResourceType) -> Result<(), PatchError> {
    let doc = resource
        .as_object()
        .ok_or_else(|| PatchError::value(format!("expected a resource object, found {}", describe(resource))))?;
    doc.iter().try_for_each(|(key, value)| check_member(rt, doc, key, value))?;
    check_required(rt, doc)?;
    check_size(rt, doc)
}

/// Removes empty attributes and extension objects, and rebuilds `schemas` from what is present.
pub(crate) fn finish(doc: &mut Map<String, Value>, rt: &ResourceType) {
    doc.retain(|_, v| !is_empty(v));
    for ext in rt.extensions {
        if let Some(Value::Object(obj)) = doc.get_mut(ext.id) {
            obj.retain(|_, v| !is_empty(v));
            if obj.is_empty() {
                doc.remove(ext.id);
            }
        }
    }
    let schemas = rt.schemas().filter(|s| s.id == rt.schema.id || doc.contains_key(s.id)).map(|s| Value::from(s.id));
    doc.insert("schemas".to_string(), Value::Array(schemas.collect()));
}

// ---- validation ----

fn check_member(rt: &ResourceType, doc: &Map<String, Value>, key: &str, value: &Value) -> Result<(), PatchError> {
    if key == "schemas" {
        return check_schemas(rt, doc, value);
    }
    if let Some(ext) = rt.extensions.iter().find(|s| s.id == key) {
        let obj = value
            .as_object()
            .ok_or_else(|| PatchError::value(format!("expected an object for `{key}`, found {}", describe(value))))?;
        return obj.iter().try_for_each(|(name, v)| check_attribute(attribute(rt, ext, name)?, v));
    }
    check_attribute(attribute(rt, rt.schema, key)?, value)
}

/// A top-level attribute of `schema` by its exact canonical name.
fn attribute(rt: &ResourceType, schema: &Schema, name: &str) -> Result<&'static Attribute, PatchError> {
    rt.resolve(Some(schema.id), name, None)
        .map(|r| r.attr)
        .filter(|a| a.name == name)
        .ok_or_else(|| PatchError::value(format!("unknown attribute `{name}` in the {} resource", rt.id)))
}

fn check_schemas(rt: &ResourceType, doc: &Map<String, Value>, value: &Value) -> Result<(), PatchError> {
    let listed: Option<Vec<&str>> = value.as_array().and_then(|items| items.iter().map(Value::as_str).collect());
    let valid = listed.is_some_and(|listed| {
        let mut needed = rt.schemas().filter(|s| s.id == rt.schema.id || doc.contains_key(s.id));
        listed.iter().all(|urn| rt.schema_by_urn(urn).is_some()) && needed.all(|s| listed.contains(&s.id))
    });
    match valid {
        true => Ok(()),
        false => Err(PatchError::value(format!(
            "expected `schemas` to list {} and the URN of each extension present, found {value}",
            rt.schema.id
        ))),
    }
}

fn check_attribute(attr: &'static Attribute, value: &Value) -> Result<(), PatchError> {
    if !attr.multi_valued {
        return check_value(None, attr, value);
    }
    let items = value.as_array().ok_or_else(|| {
        PatchError::value(format!("expected an array for `{}`, found {}", attr.name, describe(value)))
    })?;
    if attr.mutability != Mutability::ReadOnly && items.len() > max_elements(attr) {
        return Err(too_many(attr, items.len()));
    }
    items.iter().try_for_each(|item| check_value(None, attr, item))?;
    let primaries = items.iter().filter(|item| item.get("primary") == Some(&Value::Bool(true))).count();
    if primaries > 1 {
        return Err(PatchError::value(format!(
            "`{}` has {primaries} elements with `primary` true; at most one is allowed (RFC 7643 §2.4)",
            attr.name
        )));
    }
    check_identities(attr, items)?;
    check_unique_identities(attr, items)
}

/// No two elements of an attribute identified by its `value` share one.
fn check_unique_identities(attr: &'static Attribute, items: &[Value]) -> Result<(), PatchError> {
    let Some(id) = identity(attr) else {
        return Ok(());
    };
    let mut seen = BTreeSet::new();
    match items.iter().filter_map(|item| item.get(id.name)?.as_str()).find(|v| !seen.insert(*v)) {
        Some(dup) => Err(PatchError::value(format!("`{}` lists {dup:?} twice", attr.name))),
        None => Ok(()),
    }
}

fn check_required(rt: &ResourceType, doc: &Map<String, Value>) -> Result<(), PatchError> {
    match rt.schema.attributes.iter().find(|a| a.required && doc.get(a.name).is_none_or(is_empty)) {
        Some(a) => Err(PatchError::value(format!("`{}` is required in a {} resource", a.name, rt.id))),
        None => Ok(()),
    }
}

fn check_size(rt: &ResourceType, doc: &Map<String, Value>) -> Result<(), PatchError> {
    let counted = |key: &str| {
        rt.resolve(Some(rt.schema.id), key, None)
            .is_none_or(|r| r.attr.mutability != Mutability::ReadOnly && !is_members(r.attr))
    };
    let size: usize = doc.iter().filter(|(k, _)| counted(k)).map(|(k, v)| k.len() + 4 + serialized_len(v)).sum();
    match size > MAX_RESOURCE_BYTES {
        true => Err(PatchError::value(format!(
            "the resource serializes to about {size} bytes; at most {MAX_RESOURCE_BYTES} are allowed"
        ))),
        false => Ok(()),
    }
}

/// Length of `value` as compact JSON, without building the string.
fn serialized_len(value: &Value) -> usize {
    let mut counter = ByteCounter(0);
    // Serializing a `Value` into a writer that never fails cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

struct ByteCounter(usize);

impl io::Write for ByteCounter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
#[path = "canonical_tests.rs"]
mod tests;
