//! The write engine shared by POST/PUT canonicalisation (`canonical`) and PATCH (`patch`):
//! writes attribute values into a resource object in the stored shape by path (RFC 7644
//! §3.5.2.1 add and §3.5.2.3 replace, and §3.5.2.2 remove for PATCH), and normalises
//! the values written (RFC 7643 §2: type checks and coercions, `null`/empty as absent, §2.4
//! multi-valued attributes and `primary`). [`Mode`] tells PATCH strictness (unknown keys and
//! sub-attributes refused) from POST/PUT leniency (dropped); see `patch` and `canonical` for
//! the semantics each gives its clients.
//!
//! Dependencies run one way: `error` ← `path` ← `write` ← `canonical` ← `patch` (and `write`
//! reads `meta.version` with `etag`).

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::scim::error::PatchError;
use crate::scim::etag;
use crate::scim::filter::{self, CompareOp, Filter, Literal};
use crate::scim::path::{self, PatchPath};
use crate::scim::schema::{AttrType, Attribute, Mutability, Resolved, ResourceType, Schema};

/// Longest string value, in bytes (UTF-8).
pub const MAX_STRING_BYTES: usize = 1024;
/// Most elements of a multi-valued attribute, except Group `members`.
pub const MAX_ELEMENTS: usize = 100;
/// Most elements of Group `members`.
pub const MAX_MEMBERS: usize = 10_000;

/// How lenient the value walker is: POST/PUT input drops what it does not know, PATCH refuses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Input,
    Patch,
}

/// A complex value as (sub-attribute, value) pairs; `Value::Null` marks a sub-attribute to clear.
pub(crate) type Fields = Vec<(&'static Attribute, Value)>;

// ---- the engine ----

/// Whether an add or a replace: they differ on whole multi-valued attributes and elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    Add,
    Replace,
}

/// Writes values into a resource object; `mode` tells PATCH strictness from POST/PUT leniency.
pub(crate) struct Engine {
    pub(crate) rt: &'static ResourceType,
    pub(crate) mode: Mode,
}

impl Engine {
    /// Writes each attribute of an object of attributes (the resource's, or `within` an
    /// extension's object).
    pub(crate) fn set_object(
        &self,
        doc: &mut Map<String, Value>,
        within: Option<&'static Schema>,
        write: Write,
        value: &Value,
    ) -> Result<(), PatchError> {
        let attributes = value
            .as_object()
            .ok_or_else(|| PatchError::value(format!("expected an object of attributes, found {}", describe(value))))?;
        for (key, v) in attributes {
            if let Some(path) = self.key_path(key, within)? {
                self.set(doc, &path, write, v)?;
            }
        }
        Ok(())
    }

    /// The path a key of an object of attributes names; `None` for keys that are ignored.
    fn key_path(&self, key: &str, within: Option<&'static Schema>) -> Result<Option<PatchPath>, PatchError> {
        if key.eq_ignore_ascii_case("schemas") {
            // POST/PUT input ignores it; PATCH checks it against the result (`patch`); an
            // extension object may carry its own (scim2-models writes one): ignored.
            return Ok(None);
        }
        if within.is_none() && path::is_foreign_urn(key, self.rt) {
            return Ok(None);
        }
        match path::parse_in(key, self.rt, within) {
            Ok(path) if self.mode == Mode::Input && writable(&path).is_err() => Ok(None),
            Ok(path) => Ok(Some(path)),
            Err(e) => self.refuse(e),
        }
    }

    /// PATCH refuses; POST/PUT ignores.
    fn refuse<T>(&self, error: PatchError) -> Result<Option<T>, PatchError> {
        match self.mode {
            Mode::Patch => Err(error),
            Mode::Input => Ok(None),
        }
    }

    pub(crate) fn set(
        &self,
        doc: &mut Map<String, Value>,
        path: &PatchPath,
        write: Write,
        value: &Value,
    ) -> Result<(), PatchError> {
        let (target, filter) = match path {
            PatchPath::Extension(schema) if value.is_null() => {
                doc.remove(schema.id);
                return Ok(());
            }
            PatchPath::Extension(schema) => return self.set_object(doc, Some(schema), write, value),
            PatchPath::Attribute { target, filter } => (target, filter.as_ref()),
        };
        if let Err(refused) = writable(path) {
            // A read-only value given as it already is changes nothing: no modification.
            return match filter.is_none() && holds(doc, target, value) {
                true => Ok(()),
                false => Err(refused),
            };
        }
        let holder = holder(doc, target)?;
        match target.attr.multi_valued {
            true => self.set_multi(holder, target, filter, write, value),
            false => self.set_single(holder, target, value),
        }
    }

    pub(crate) fn remove(
        &self,
        doc: &mut Map<String, Value>,
        path: &PatchPath,
        given: Option<&Value>,
    ) -> Result<(), PatchError> {
        let (target, filter) = match path {
            PatchPath::Extension(schema) => {
                doc.remove(schema.id);
                return Ok(());
            }
            PatchPath::Attribute { target, filter } => (target, filter.as_ref()),
        };
        writable(path)?;
        let holder = holder(doc, target)?;
        match target.attr.multi_valued {
            true => self.remove_multi(holder, target, filter, given),
            false => remove_single(holder, target),
        }
    }

    fn set_single(&self, holder: &mut Map<String, Value>, target: &Resolved, value: &Value) -> Result<(), PatchError> {
        let attr = target.attr;
        match target.sub {
            Some(sub) => {
                let value = scalar(Some(attr), sub, value)?;
                put(complex_mut(holder, attr)?, Some(attr), sub, value)
            }
            None if attr.ty == AttrType::Complex => match fields(attr, sole(value), self.mode)? {
                None => put(holder, None, attr, Value::Null),
                Some(fields) => merge(complex_mut(holder, attr)?, attr, fields),
            },
            None => put(holder, None, attr, scalar(None, attr, value)?),
        }
    }

    fn set_multi(
        &self,
        holder: &mut Map<String, Value>,
        target: &Resolved,
        filter: Option<&Filter>,
        write: Write,
        value: &Value,
    ) -> Result<(), PatchError> {
        let attr = target.attr;
        let mut items = take_elements(holder, attr)?;
        let touched = match (filter, target.sub) {
            (None, None) => {
                let new = elements(attr, value, self.mode)?;
                if write == Write::Replace {
                    items.clear();
                }
                append(attr, &mut items, new)
            }
            (filter, sub) => self.set_selected(attr, &mut items, filter, sub, write, value)?,
        };
        demote_primaries(&mut items, &touched);
        put_elements(holder, attr, items)
    }

    /// add/replace on the elements a filter (or `attr.sub` alone: all) selects; returns the
    /// indexes written.
    fn set_selected(
        &self,
        attr: &'static Attribute,
        items: &mut Vec<Value>,
        filter: Option<&Filter>,
        sub: Option<&'static Attribute>,
        write: Write,
        value: &Value,
    ) -> Result<Vec<usize>, PatchError> {
        let patch = match sub {
            Some(sub) => vec![(sub, scalar(Some(attr), sub, value)?)],
            None => fields(attr, value, self.mode)?.unwrap_or_default(),
        };
        let selected = select(items, filter);
        if selected.is_empty() {
            return create(attr, items, filter, patch);
        }
        for &i in &selected {
            if let Some(Value::Object(element)) = items.get_mut(i) {
                match (sub, write) {
                    (None, Write::Replace) => replace_element(attr, element, &patch)?,
                    _ => merge(element, attr, patch.clone())?,
                }
            }
        }
        Ok(selected)
    }

    fn remove_multi(
        &self,
        holder: &mut Map<String, Value>,
        target: &Resolved,
        filter: Option<&Filter>,
        given: Option<&Value>,
    ) -> Result<(), PatchError> {
        let attr = target.attr;
        match (filter, target.sub, given) {
            (None, None, Some(given)) if !given.is_null() => {
                let given = elements(attr, given, self.mode)?;
                if given.is_empty() {
                    return Err(PatchError::value(format!(
                        "expected the elements of `{}` to remove in `value`, found none",
                        attr.name
                    )));
                }
                let items = take_elements(holder, attr)?;
                put_elements(holder, attr, without(attr, items, &given))
            }
            (None, None, _) => {
                holder.remove(attr.name);
                Ok(())
            }
            (filter, sub, _) => {
                let mut items = take_elements(holder, attr)?;
                for i in select(&items, filter) {
                    match (sub, items.get_mut(i)) {
                        (Some(sub), Some(Value::Object(element))) => put(element, Some(attr), sub, Value::Null)?,
                        (None, Some(element)) => *element = Value::Null,
                        _ => {}
                    }
                }
                put_elements(holder, attr, items)
            }
        }
    }
}

// ---- normalising input values ----

/// One value of a complex attribute as fields; `None` for `null`.
pub(crate) fn fields(attr: &'static Attribute, value: &Value, mode: Mode) -> Result<Option<Fields>, PatchError> {
    match value {
        Value::Null => Ok(None),
        Value::Object(map) => {
            let fields = map.iter().filter_map(|(key, v)| sub_field(attr, key, v, mode).transpose());
            fields.collect::<Result<Fields, _>>().map(Some)
        }
        Value::String(_) => match sub_attribute(attr, "value") {
            Some(sub) => Ok(Some(vec![(sub, scalar(Some(attr), sub, value)?)])),
            None => Err(expected(None, attr, value)),
        },
        _ => Err(expected(None, attr, value)),
    }
}

/// A sub-attribute's field: `None` for read-only sub-attributes (ignored on input) and, on
/// POST/PUT, unknown ones; an unknown one is `invalidPath` in PATCH.
fn sub_field(
    attr: &'static Attribute,
    key: &str,
    value: &Value,
    mode: Mode,
) -> Result<Option<(&'static Attribute, Value)>, PatchError> {
    match sub_attribute(attr, key) {
        Some(sub) if sub.mutability == Mutability::ReadOnly => Ok(None),
        Some(sub) => Ok(Some((sub, scalar(Some(attr), sub, value)?))),
        None if mode == Mode::Input => Ok(None),
        None => Err(PatchError::path(format!("`{}` has no sub-attribute `{key}`", attr.name))),
    }
}

/// A multi-valued attribute's elements; a single element is wrapped, empty ones are dropped.
pub(crate) fn elements(attr: &'static Attribute, value: &Value, mode: Mode) -> Result<Vec<Value>, PatchError> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items.iter().collect(),
        single => vec![single],
    };
    if items.len() > max_elements(attr) {
        return Err(too_many(attr, items.len()));
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let element = element(attr, item, mode)?;
        // An element of an identity-keyed attribute (Group `members`) is kept even when nothing
        // of it is left, so one without a `value` is refused rather than silently dropped.
        if !is_empty(&element) || (identity(attr).is_some() && !item.is_null()) {
            out.push(element);
        }
    }
    check_identities(attr, &out)?;
    Ok(out)
}

/// One element of a multi-valued attribute: an object (no null fields) or a scalar.
fn element(attr: &'static Attribute, value: &Value, mode: Mode) -> Result<Value, PatchError> {
    match attr.ty {
        AttrType::Complex => Ok(fields(attr, value, mode)?.map_or(Value::Null, |f| Value::Object(object(f)))),
        _ => scalar(None, attr, value),
    }
}

/// Fields as a JSON object, cleared (null) fields left out.
pub(crate) fn object(fields: Fields) -> Map<String, Value> {
    fields.into_iter().filter(|(_, v)| !v.is_null()).map(|(a, v)| (a.name.to_string(), v)).collect()
}

/// A non-complex value, type-checked and coerced; `Value::Null` for absent (`null`, `""`).
pub(crate) fn scalar(parent: Option<&Attribute>, attr: &Attribute, value: &Value) -> Result<Value, PatchError> {
    match (attr.ty, value) {
        (_, Value::Null) => Ok(Value::Null),
        (_, Value::String(s)) if s.is_empty() => Ok(Value::Null),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
        (AttrType::Boolean, Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
        _ => check_value(parent, attr, value).map(|()| value.clone()),
    }
}

/// A single-valued complex attribute given as a one-element array is that element (the
/// Microsoft Entra provisioning sample sends `manager` as `[{"$ref": …, "value": …}]`).
fn sole(value: &Value) -> &Value {
    match value.as_array().map(Vec::as_slice) {
        Some([only]) => only,
        _ => value,
    }
}

/// A sub-attribute by name, case-insensitively (RFC 7643 §2.1).
pub(crate) fn sub_attribute(attr: &'static Attribute, name: &str) -> Option<&'static Attribute> {
    attr.sub_attributes.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// The sub-attribute that identifies an element, for multi-valued attributes whose `value` is
/// immutable (Group `members`): such elements are the same element when their `value`s are equal.
pub(crate) fn identity(attr: &'static Attribute) -> Option<&'static Attribute> {
    attr.sub_attributes.iter().find(|s| s.name == "value" && s.mutability == Mutability::Immutable)
}

/// Most elements `attr` may hold.
pub fn max_elements(attr: &Attribute) -> usize {
    if is_members(attr) {
        MAX_MEMBERS
    } else {
        MAX_ELEMENTS
    }
}

pub(crate) fn is_members(attr: &Attribute) -> bool {
    attr.name == "members"
}

/// Whether a value counts as absent (RFC 7643 §2.5): null, or an empty string, array or object.
pub(crate) fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// `attr`, or `parent.attr`, for messages.
pub(crate) fn label(parent: Option<&Attribute>, attr: &Attribute) -> String {
    match parent {
        Some(p) => format!("{}.{}", p.name, attr.name),
        None => attr.name.to_string(),
    }
}

/// What a JSON value is, for "expected …, found …" messages.
pub(crate) fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn too_many(attr: &Attribute, count: usize) -> PatchError {
    PatchError::value(format!("`{}` has {count} elements; at most {} are allowed", attr.name, max_elements(attr)))
}

fn expected(parent: Option<&Attribute>, attr: &Attribute, found: &Value) -> PatchError {
    let wanted = match attr.ty {
        AttrType::String => "a string",
        AttrType::Boolean => "a boolean",
        AttrType::Decimal => "a number",
        AttrType::Integer => "an integer",
        AttrType::DateTime => "an RFC 3339 date-time string",
        AttrType::Reference => "a URI string",
        AttrType::Complex => "an object",
    };
    PatchError::value(format!("expected {wanted} for `{}`, found {}", label(parent, attr), describe(found)))
}

/// Each element of an attribute identified by its `value` (Group `members`) has one.
pub(crate) fn check_identities(attr: &'static Attribute, items: &[Value]) -> Result<(), PatchError> {
    match identity(attr) {
        Some(id) if items.iter().any(|item| item.get(id.name).is_none()) => {
            Err(PatchError::value(format!("each element of `{}` needs a `{}`", attr.name, id.name)))
        }
        _ => Ok(()),
    }
}

/// One single value (or one element) of `attr`, strictly typed.
pub(crate) fn check_value(parent: Option<&Attribute>, attr: &Attribute, value: &Value) -> Result<(), PatchError> {
    match (attr.ty, value) {
        (AttrType::Complex, Value::Object(obj)) => obj.iter().try_for_each(|(name, v)| {
            let sub =
                attr.sub_attributes.iter().find(|s| s.name == name).ok_or_else(|| {
                    PatchError::value(format!("`{}` has no sub-attribute `{name}`", label(parent, attr)))
                })?;
            check_value(Some(attr), sub, v)
        }),
        (AttrType::String | AttrType::Reference, Value::String(s)) => check_length(parent, attr, s),
        (AttrType::DateTime, Value::String(s)) => match crate::time::parse(s) {
            Ok(_) => Ok(()),
            Err(e) => Err(PatchError::value(format!("`{}`: {e}, found {s:?}", label(parent, attr)))),
        },
        (AttrType::Boolean, Value::Bool(_)) | (AttrType::Decimal, Value::Number(_)) => Ok(()),
        (AttrType::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(()),
        _ => Err(expected(parent, attr, value)),
    }
}

/// A string value: at most [`MAX_STRING_BYTES`], and no control character (the rule of
/// `text_field` for every name, label and email: every string attribute of these schemas is
/// one; none is multi-line, such as an `addresses.formatted` would be).
fn check_length(parent: Option<&Attribute>, attr: &Attribute, s: &str) -> Result<(), PatchError> {
    if s.len() > MAX_STRING_BYTES {
        return Err(PatchError::value(format!(
            "`{}` is {} bytes long; at most {MAX_STRING_BYTES} are allowed",
            label(parent, attr),
            s.len()
        )));
    }
    match crate::text_field::no_control(&label(parent, attr), s) {
        Ok(()) => Ok(()),
        Err(e) => Err(PatchError::value(e.to_string())),
    }
}

// ---- writing values ----

/// Refuses paths to read-only attributes and sub-attributes (RFC 7643 §2.2: "SHALL NOT be
/// modified"): `id`, `meta`, User `groups`, `members.display`, `manager.displayName`, ….
fn writable(path: &PatchPath) -> Result<(), PatchError> {
    let PatchPath::Attribute { target, .. } = path else {
        return Ok(());
    };
    let read_only = match target.sub {
        _ if target.attr.mutability == Mutability::ReadOnly => Some(target.attr.name.to_string()),
        Some(sub) if sub.mutability == Mutability::ReadOnly => Some(label(Some(target.attr), sub)),
        _ => None,
    };
    match read_only {
        Some(name) => Err(PatchError::mutability(format!("`{name}` is read-only"))),
        None => Ok(()),
    }
}

/// Whether the read-only attribute (or sub-attribute) `target` already holds `value`, so that
/// writing it is no modification (RFC 7644 §3.5.2 refuses modifications of read-only
/// attributes; a client echoing what it read, e.g. Okta's group rename `{"id": <the same id>,
/// "displayName": …}`, modifies nothing). Single-valued attributes only; see [`same_read_only`].
fn holds(doc: &Map<String, Value>, target: &Resolved, value: &Value) -> bool {
    let holder = match target.in_extension() {
        true => doc.get(target.schema.id).and_then(Value::as_object),
        false => Some(doc),
    };
    let current = holder.and_then(|h| h.get(target.attr.name));
    match target.sub {
        None => same_read_only(None, target.attr, current, value),
        Some(_) if target.attr.multi_valued => false,
        Some(sub) => same_read_only(Some(target.attr), sub, current.and_then(|c| c.get(sub.name)), value),
    }
}

/// Whether `given` is the value `current` of a single-valued read-only attribute: both absent
/// (null or empty, RFC 7643 §2.5); a complex value giving only sub-attributes it has, each the
/// same (`meta` echoed whole or in part); date-times naming the same instant (`meta.created`,
/// `meta.lastModified`, however written); `meta.version` entity tags naming the same version
/// (`W/"3"` and `"3"`); strings equal, case-insensitively unless caseExact (`id` is); any
/// other value equal as JSON. A multi-valued one (User `groups`) never is.
fn same_read_only(
    parent: Option<&Attribute>,
    attr: &'static Attribute,
    current: Option<&Value>,
    given: &Value,
) -> bool {
    let Some(current) = current.filter(|c| !is_empty(c)) else { return is_empty(given) };
    match (attr.ty, current, given) {
        _ if attr.multi_valued || is_empty(given) => false,
        (AttrType::Complex, Value::Object(current), Value::Object(given)) => given.iter().all(|(key, v)| {
            sub_attribute(attr, key).is_some_and(|sub| same_read_only(Some(attr), sub, current.get(sub.name), v))
        }),
        (AttrType::DateTime, Value::String(a), Value::String(b)) => {
            matches!((crate::time::parse(a), crate::time::parse(b)), (Ok(a), Ok(b)) if a == b)
        }
        (_, Value::String(a), Value::String(b))
            if parent.is_some_and(|p| p.name == "meta") && attr.name == "version" =>
        {
            same_version(a, b)
        }
        _ => same(Some(attr), current, given),
    }
}

/// Two `meta.version` values that are single entity tags with the same opaque part.
fn same_version(a: &str, b: &str) -> bool {
    fn opaque(v: &str) -> Option<&str> {
        match etag::parse(v).ok()? {
            etag::Condition::Tags(tags) => match tags.as_slice() {
                [only] => Some(only.opaque),
                _ => None,
            },
            etag::Condition::Any => None,
        }
    }
    opaque(a).is_some_and(|a| opaque(b) == Some(a))
}

pub(crate) fn schemas_refused() -> PatchError {
    PatchError::mutability("`schemas` cannot be removed: it follows the attributes present".to_string())
}

/// The object holding `target`'s top-level attribute: the resource, or its extension's object.
fn holder<'a>(doc: &'a mut Map<String, Value>, target: &Resolved) -> Result<&'a mut Map<String, Value>, PatchError> {
    if !target.in_extension() {
        return Ok(doc);
    }
    let id = target.schema.id;
    doc.entry(id)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| PatchError::value(format!("expected the resource's `{id}` to be an object")))
}

/// A single-valued complex attribute's object, created when absent.
fn complex_mut<'a>(
    holder: &'a mut Map<String, Value>,
    attr: &'static Attribute,
) -> Result<&'a mut Map<String, Value>, PatchError> {
    holder
        .entry(attr.name)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| PatchError::value(format!("expected the resource's `{}` to be an object", attr.name)))
}

/// Sets (or, for `Value::Null`, removes) one attribute; an immutable one with a value keeps it.
fn put(
    obj: &mut Map<String, Value>,
    parent: Option<&'static Attribute>,
    attr: &'static Attribute,
    value: Value,
) -> Result<(), PatchError> {
    let new = (!value.is_null()).then_some(&value);
    check_immutable(parent, attr, obj.get(attr.name), new)?;
    match value {
        Value::Null => obj.remove(attr.name),
        value => obj.insert(attr.name.to_string(), value),
    };
    Ok(())
}

fn merge(obj: &mut Map<String, Value>, attr: &'static Attribute, fields: Fields) -> Result<(), PatchError> {
    fields.into_iter().try_for_each(|(sub, value)| put(obj, Some(attr), sub, value))
}

/// RFC 7643 §2.2 immutable: settable where unassigned, never changed or removed afterwards.
fn check_immutable(
    parent: Option<&Attribute>,
    attr: &Attribute,
    old: Option<&Value>,
    new: Option<&Value>,
) -> Result<(), PatchError> {
    match old {
        Some(old) if attr.mutability == Mutability::Immutable && Some(old) != new => {
            Err(PatchError::mutability(format!("`{}` is immutable and already {old}", label(parent, attr))))
        }
        _ => Ok(()),
    }
}

/// Replaces a whole element. Its read-only (server-maintained) sub-attributes, and immutable
/// ones the new value does not give, are kept; an immutable one given differently is refused.
fn replace_element(
    attr: &'static Attribute,
    element: &mut Map<String, Value>,
    patch: &Fields,
) -> Result<(), PatchError> {
    let mut new = object(patch.clone());
    for sub in attr.sub_attributes {
        let Some(old) = element.get(sub.name) else { continue };
        match (sub.mutability, new.get(sub.name)) {
            (Mutability::Immutable, Some(given)) => check_immutable(Some(attr), sub, Some(old), Some(given))?,
            (Mutability::Immutable | Mutability::ReadOnly, _) => {
                new.insert(sub.name.to_string(), old.clone());
            }
            _ => {}
        }
    }
    *element = new;
    Ok(())
}

fn remove_single(holder: &mut Map<String, Value>, target: &Resolved) -> Result<(), PatchError> {
    match (target.sub, holder.get_mut(target.attr.name)) {
        (None, _) => put(holder, None, target.attr, Value::Null),
        (Some(sub), Some(Value::Object(obj))) => put(obj, Some(target.attr), sub, Value::Null),
        (Some(_), _) => Ok(()),
    }
}

// ---- multi-valued attributes ----

fn take_elements(holder: &mut Map<String, Value>, attr: &Attribute) -> Result<Vec<Value>, PatchError> {
    match holder.remove(attr.name) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => Ok(items),
        Some(_) => Err(PatchError::value(format!("expected the resource's `{}` to be an array", attr.name))),
    }
}

/// Stores the elements back, empty ones dropped and the attribute removed when none remain.
fn put_elements(holder: &mut Map<String, Value>, attr: &Attribute, items: Vec<Value>) -> Result<(), PatchError> {
    let items: Vec<Value> = items.into_iter().filter(|v| !is_empty(v)).collect();
    if items.len() > max_elements(attr) {
        return Err(too_many(attr, items.len()));
    }
    if items.is_empty() {
        holder.remove(attr.name);
    } else {
        holder.insert(attr.name.to_string(), Value::Array(items));
    }
    Ok(())
}

/// Indexes of the elements the filter matches (all without one).
fn select(items: &[Value], filter: Option<&Filter>) -> Vec<usize> {
    let matches = |item: &Value| filter.is_none_or(|f| filter::element_matches(f, item));
    items.iter().enumerate().filter(|(_, item)| matches(item)).map(|(i, _)| i).collect()
}

/// Appends the elements not already present; returns the indexes appended.
fn append(attr: &'static Attribute, items: &mut Vec<Value>, new: Vec<Value>) -> Vec<usize> {
    let identity = identity(attr);
    let id_of = |item: &Value| identity.and_then(|id| item.get(id.name)?.as_str().map(str::to_owned));
    let mut ids: BTreeSet<String> = items.iter().filter_map(id_of).collect();
    let mut touched = Vec::new();
    for item in new {
        let present = match id_of(&item) {
            Some(id) => !ids.insert(id),
            None => items.iter().any(|existing| covers(attr, existing, &item)),
        };
        if !present {
            touched.push(items.len());
            items.push(item);
        }
    }
    touched
}

/// The elements not matching any of `given` (remove with a `value`).
fn without(attr: &'static Attribute, items: Vec<Value>, given: &[Value]) -> Vec<Value> {
    match identity(attr) {
        Some(id) => {
            let ids: BTreeSet<&str> = given.iter().filter_map(|g| g.get(id.name)?.as_str()).collect();
            let listed = |item: &Value| item.get(id.name).and_then(Value::as_str).is_some_and(|v| ids.contains(v));
            items.into_iter().filter(|item| !listed(item)).collect()
        }
        None => items.into_iter().filter(|item| !given.iter().any(|g| covers(attr, item, g))).collect(),
    }
}

/// Whether `existing` already holds `given`: every sub-attribute `given` has, equal in
/// `existing` (case-insensitively unless caseExact).
fn covers(attr: &'static Attribute, existing: &Value, given: &Value) -> bool {
    match (existing.as_object(), given.as_object()) {
        (Some(existing), Some(given)) => {
            given.iter().all(|(name, g)| existing.get(name).is_some_and(|e| same(sub_attribute(attr, name), e, g)))
        }
        _ => same(Some(attr), existing, given),
    }
}

fn same(attr: Option<&Attribute>, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::String(a), Value::String(b)) if attr.is_some_and(|a| !a.case_exact) => {
            a.to_lowercase() == b.to_lowercase()
        }
        _ => a == b,
    }
}

/// A new element for an add/replace whose filter selected nothing, when the filter pins down
/// the element's `type` (see the module documentation); `noTarget` otherwise.
fn create(
    attr: &'static Attribute,
    items: &mut Vec<Value>,
    filter: Option<&Filter>,
    patch: Fields,
) -> Result<Vec<usize>, PatchError> {
    let seed = match filter {
        None => Vec::new(),
        Some(filter) => creation_seed(attr, filter).ok_or_else(|| {
            PatchError::no_target(format!("no element of `{}` matches the filter (RFC 7644 §3.5.2.3)", attr.name))
        })?,
    };
    if patch.iter().all(|(_, value)| value.is_null()) {
        return Ok(Vec::new());
    }
    let mut element = Map::new();
    for (sub, value) in seed.into_iter().chain(patch) {
        match value {
            Value::Null => element.remove(sub.name),
            value => element.insert(sub.name.to_string(), value),
        };
    }
    items.push(Value::Object(element));
    Ok(vec![items.len() - 1])
}

/// The sub-attribute values of a filter that is `type eq "x"`, alone or `and`-ed with other
/// `eq` comparisons of strings or booleans.
fn creation_seed(attr: &'static Attribute, filter: &Filter) -> Option<Fields> {
    let mut seed = Vec::new();
    collect_equalities(attr, filter, &mut seed)?;
    seed.iter().any(|(sub, _)| sub.name == "type").then_some(seed)
}

fn collect_equalities(attr: &'static Attribute, filter: &Filter, seed: &mut Fields) -> Option<()> {
    match filter {
        Filter::And(a, b) => {
            collect_equalities(attr, a, seed)?;
            collect_equalities(attr, b, seed)
        }
        Filter::Compare { path, op: CompareOp::Eq, value } => {
            let sub = path.resolved.sub?;
            let value = match value {
                Literal::Str(s) => Value::String(s.clone()),
                Literal::Bool(b) => Value::Bool(*b),
                _ => return None,
            };
            seed.push((sub, scalar(Some(attr), sub, &value).ok()?));
            Some(())
        }
        _ => None,
    }
}

/// After an operation set `primary: true` on elements, every other element's `primary: true`
/// becomes `false` (RFC 7643 §2.4: the primary value appears at most once).
fn demote_primaries(items: &mut [Value], touched: &[usize]) {
    let is_primary = |item: &Value| item.get("primary") == Some(&Value::Bool(true));
    if !touched.iter().any(|&i| items.get(i).is_some_and(is_primary)) {
        return;
    }
    for (i, item) in items.iter_mut().enumerate() {
        if is_primary(item) && !touched.contains(&i) {
            if let Some(obj) = item.as_object_mut() {
                obj.insert("primary".to_string(), Value::Bool(false));
            }
        }
    }
}
