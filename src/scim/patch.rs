//! SCIM PATCH (RFC 7644 §3.5.2): applies a PatchOp message to a User or Group resource in the
//! stored shape (src/scim/resource.rs) and returns the new resource. The input is never modified and
//! the operations apply all or nothing: the first failing one is the error, naming its index.
//! The result is checked with [`canonical::validate`], so it is always a well-formed resource.
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
//!   sub-attribute is `mutability`, and so is `schemas` (rebuilt from the attributes present).
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
use std::fmt;

use serde_json::{Map, Value};

use crate::scim::canonical::{self, Fields, Mode};
use crate::scim::filter::{self, CompareOp, Filter, Literal};
use crate::scim::schema::{AttrType, Attribute, Mutability, Resolved, ResourceType, Schema};

/// The PatchOp message schema (RFC 7644 §3.5.2).
pub const PATCH_OP_URN: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Most operations in one PatchOp message.
pub const MAX_OPERATIONS: usize = 1000;
/// Longest path, in bytes.
pub const MAX_PATH_LEN: usize = 4096;

/// Why a PATCH (or a POST/PUT body) was refused; each kind is an RFC 7644 §3.12 `scimType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchErrorKind {
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    Mutability,
    InvalidFilter,
}

impl PatchErrorKind {
    /// The `scimType` of the 400 error response.
    pub fn scim_type(self) -> &'static str {
        match self {
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::Mutability => "mutability",
            Self::InvalidFilter => "invalidFilter",
        }
    }
}

/// A refusal; `detail` names the operation (`Operations[i]`) and what was expected and found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchError {
    pub kind: PatchErrorKind,
    pub detail: String,
}

impl PatchError {
    fn new(kind: PatchErrorKind, detail: String) -> Self {
        Self { kind, detail }
    }

    pub(crate) fn syntax(detail: String) -> Self {
        Self::new(PatchErrorKind::InvalidSyntax, detail)
    }

    pub(crate) fn path(detail: String) -> Self {
        Self::new(PatchErrorKind::InvalidPath, detail)
    }

    pub(crate) fn value(detail: String) -> Self {
        Self::new(PatchErrorKind::InvalidValue, detail)
    }

    fn no_target(detail: String) -> Self {
        Self::new(PatchErrorKind::NoTarget, detail)
    }

    fn mutability(detail: String) -> Self {
        Self::new(PatchErrorKind::Mutability, detail)
    }

    fn context(self, prefix: &str) -> Self {
        Self { detail: format!("{prefix}: {}", self.detail), ..self }
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.scim_type(), self.detail)
    }
}

impl std::error::Error for PatchError {}

/// A parsed PATCH `path` (RFC 7644 §3.5.2), resolved against the resource type's schemas.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath {
    /// The path is an extension schema's URN alone: the extension object as a whole.
    Extension(&'static Schema),
    /// `attr`, `attr.sub`, `attr[filter]` or `attr[filter].sub`: `target.attr` is the top-level
    /// attribute, `target.sub` the sub-attribute after the name or after the filter, `filter` the
    /// value filter (multi-valued attributes only; its paths are `attr`'s sub-attributes).
    Attribute { target: Resolved, filter: Option<Filter> },
}

/// Parses a PATCH `path` (see the module documentation). Unknown attributes and schema URNs
/// are `InvalidPath`, a bad filter `InvalidFilter`.
pub fn parse_path(text: &str, rt: &'static ResourceType) -> Result<PatchPath, PatchError> {
    parse_in(text, rt, None)
}

/// Applies the PatchOp message `body` to `resource` (see the module documentation).
pub fn apply(resource: &Value, body: &Value, rt: &'static ResourceType) -> Result<Value, PatchError> {
    let operations = operations(body)?;
    let mut doc = resource.as_object().cloned().ok_or_else(|| {
        PatchError::value(format!("expected the resource to be an object, found {}", canonical::describe(resource)))
    })?;
    let engine = Engine { rt, mode: Mode::Patch };
    for (index, op) in operations.iter().enumerate() {
        engine.operation(&mut doc, op).map_err(|e| e.context(&op.label(index)))?;
    }
    canonical::finish(&mut doc, rt);
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
    let message = body.as_object().ok_or_else(|| {
        PatchError::syntax(format!("expected a PatchOp message object, found {}", canonical::describe(body)))
    })?;
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
    let op = op.as_object().ok_or_else(|| {
        PatchError::syntax(format!("expected an operation object, found {}", canonical::describe(op)))
    })?;
    let path = match member(op, "path") {
        None | Some(Value::Null) => None,
        Some(Value::String(path)) => Some(path.as_str()),
        Some(other) => {
            return Err(PatchError::syntax(format!(
                "expected `path` to be a string, found {}",
                canonical::describe(other)
            )))
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
fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value)
}

// ---- paths ----

fn parse_in(text: &str, rt: &'static ResourceType, within: Option<&'static Schema>) -> Result<PatchPath, PatchError> {
    if text.len() > MAX_PATH_LEN {
        return Err(PatchError::path(format!("expected a path of at most {MAX_PATH_LEN} bytes, found {}", text.len())));
    }
    let (urn, rest) = match within {
        Some(schema) if has_urn_prefix(text) => {
            return Err(PatchError::path(format!("expected an attribute name inside `{}`, found `{text}`", schema.id)))
        }
        Some(schema) => (Some(schema.id), text),
        None => rt.split_urn(text).ok_or_else(|| {
            PatchError::path(format!("`{text}` is qualified by a schema URN the {} resource does not have", rt.id))
        })?,
    };
    if rest.is_empty() {
        return whole_schema(text, urn, rt);
    }
    let (name, filter_text, sub) = split_attr_path(rest)?;
    let attr = rt
        .resolve(urn, name, None)
        .ok_or_else(|| PatchError::path(format!("unknown attribute `{name}` in the {} resource", rt.id)))?;
    let target = match sub {
        None => attr,
        Some(sub) => rt
            .resolve(urn, name, Some(sub))
            .ok_or_else(|| PatchError::path(format!("`{}` has no sub-attribute `{sub}`", attr.attr.name)))?,
    };
    let filter = filter_text.map(|inner| value_filter(inner, rt, target)).transpose()?;
    Ok(PatchPath::Attribute { target, filter })
}

fn has_urn_prefix(text: &str) -> bool {
    text.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))
}

/// A path or key qualified by a schema URN this resource type does not have: ignored.
fn is_foreign_urn(text: &str, rt: &ResourceType) -> bool {
    has_urn_prefix(text) && rt.split_urn(text).is_none()
}

fn whole_schema(text: &str, urn: Option<&str>, rt: &ResourceType) -> Result<PatchPath, PatchError> {
    match urn.and_then(|u| rt.schema_by_urn(u)) {
        Some(schema) if schema.id != rt.schema.id => Ok(PatchPath::Extension(schema)),
        _ => Err(PatchError::path(format!("expected an attribute path, found {text:?}"))),
    }
}

/// Splits `name[.sub]` or `name[filter][.sub]` into (name, filter text, sub).
fn split_attr_path(rest: &str) -> Result<(&str, Option<&str>, Option<&str>), PatchError> {
    let (name, tail) = rest.split_at(rest.find(['.', '[']).unwrap_or(rest.len()));
    let (filter, tail) = match tail.strip_prefix('[') {
        Some(after) => {
            let close =
                closing_bracket(after).ok_or_else(|| PatchError::path(format!("`[` without `]` in `{rest}`")))?;
            (after.get(..close), after.get(close + 1..).unwrap_or(""))
        }
        None => (None, tail),
    };
    let sub = match tail {
        "" => None,
        _ => {
            Some(tail.strip_prefix('.').filter(|s| !s.is_empty() && !s.contains(['.', '[', ']'])).ok_or_else(|| {
                PatchError::path(format!("expected `.subAttribute` or the end of the path, found `{tail}` in `{rest}`"))
            })?)
        }
    };
    Ok((name, filter, sub))
}

/// Byte offset of the `]` closing an already-opened `[`, skipping quoted strings.
fn closing_bracket(text: &str) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (1usize, false, false);
    for (i, byte) in text.bytes().enumerate() {
        if in_string {
            in_string = escaped || byte != b'"';
            escaped = !escaped && byte == b'\\';
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' => depth += 1,
            b']' if depth == 1 => return Some(i),
            b']' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn value_filter(inner: &str, rt: &'static ResourceType, target: Resolved) -> Result<Filter, PatchError> {
    if !target.attr.multi_valued {
        return Err(PatchError::path(format!(
            "expected a multi-valued attribute before `[`, found single-valued `{}`",
            target.attr.name
        )));
    }
    filter::parse_value_filter(inner, rt, Resolved { sub: None, ..target })
        .map_err(|e| PatchError::new(PatchErrorKind::InvalidFilter, format!("in `{}[{inner}]`: {e}", target.attr.name)))
}

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
    fn operation(&self, doc: &mut Map<String, Value>, op: &Operation<'_>) -> Result<(), PatchError> {
        let path = match op.path {
            None => None,
            Some(text) if text.eq_ignore_ascii_case("schemas") => return Err(schemas_refused()),
            Some(text) if is_foreign_urn(text, self.rt) => return Ok(()),
            Some(text) => Some(parse_path(text, self.rt)?),
        };
        match (&op.action, &path) {
            (Action::Remove(_), None) => {
                Err(PatchError::no_target("expected a `path` in a remove operation (RFC 7644 §3.5.2.2)".to_string()))
            }
            (Action::Remove(given), Some(path)) => self.remove(doc, path, *given),
            (Action::Add(value), None) => self.set_object(doc, None, Write::Add, value),
            (Action::Replace(value), None) => self.set_object(doc, None, Write::Replace, value),
            (Action::Add(value), Some(path)) => self.set(doc, path, Write::Add, value),
            (Action::Replace(value), Some(path)) => self.set(doc, path, Write::Replace, value),
        }
    }

    /// Writes each attribute of an object of attributes (the resource's, or `within` an
    /// extension's object).
    pub(crate) fn set_object(
        &self,
        doc: &mut Map<String, Value>,
        within: Option<&'static Schema>,
        write: Write,
        value: &Value,
    ) -> Result<(), PatchError> {
        let attributes = value.as_object().ok_or_else(|| {
            PatchError::value(format!("expected an object of attributes, found {}", canonical::describe(value)))
        })?;
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
            // An extension object may carry its own `schemas` (scim2-models writes one): ignored.
            return if within.is_none() { self.refuse(schemas_refused()) } else { Ok(None) };
        }
        if within.is_none() && is_foreign_urn(key, self.rt) {
            return Ok(None);
        }
        match parse_in(key, self.rt, within) {
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

    fn set(
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
        writable(path)?;
        let holder = holder(doc, target)?;
        match target.attr.multi_valued {
            true => self.set_multi(holder, target, filter, write, value),
            false => self.set_single(holder, target, value),
        }
    }

    fn remove(&self, doc: &mut Map<String, Value>, path: &PatchPath, given: Option<&Value>) -> Result<(), PatchError> {
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
                let value = canonical::scalar(Some(attr), sub, value)?;
                put(complex_mut(holder, attr)?, Some(attr), sub, value)
            }
            None if attr.ty == AttrType::Complex => match canonical::fields(attr, value, self.mode)? {
                None => put(holder, None, attr, Value::Null),
                Some(fields) => merge(complex_mut(holder, attr)?, attr, fields),
            },
            None => put(holder, None, attr, canonical::scalar(None, attr, value)?),
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
                let new = canonical::elements(attr, value, self.mode)?;
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
            Some(sub) => vec![(sub, canonical::scalar(Some(attr), sub, value)?)],
            None => canonical::fields(attr, value, self.mode)?.unwrap_or_default(),
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
                let given = canonical::elements(attr, given, self.mode)?;
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

// ---- writing values ----

/// Refuses paths to read-only attributes and sub-attributes (RFC 7643 §2.2: "SHALL NOT be
/// modified"): `id`, `meta`, User `groups`, `members.display`, `manager.displayName`, ….
fn writable(path: &PatchPath) -> Result<(), PatchError> {
    let PatchPath::Attribute { target, .. } = path else {
        return Ok(());
    };
    let read_only = match target.sub {
        _ if target.attr.mutability == Mutability::ReadOnly => Some(target.attr.name.to_string()),
        Some(sub) if sub.mutability == Mutability::ReadOnly => Some(canonical::label(Some(target.attr), sub)),
        _ => None,
    };
    match read_only {
        Some(name) => Err(PatchError::mutability(format!("`{name}` is read-only"))),
        None => Ok(()),
    }
}

fn schemas_refused() -> PatchError {
    PatchError::mutability("`schemas` cannot be patched: it follows the attributes present".to_string())
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
            Err(PatchError::mutability(format!("`{}` is immutable and already {old}", canonical::label(parent, attr))))
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
    let mut new = canonical::object(patch.clone());
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
    let items: Vec<Value> = items.into_iter().filter(|v| !canonical::is_empty(v)).collect();
    if items.len() > canonical::max_elements(attr) {
        return Err(canonical::too_many(attr, items.len()));
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
    let identity = canonical::identity(attr);
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
    match canonical::identity(attr) {
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
        (Some(existing), Some(given)) => given
            .iter()
            .all(|(name, g)| existing.get(name).is_some_and(|e| same(canonical::sub_attribute(attr, name), e, g))),
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
            seed.push((sub, canonical::scalar(Some(attr), sub, &value).ok()?));
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

#[cfg(test)]
#[path = "patch_tests.rs"]
pub(crate) mod tests;
