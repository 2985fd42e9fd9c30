//! SCIM PATCH paths (RFC 7644 §3.5.2, ABNF in §3.5.2 and the value filter of §3.4.2.2):
//! `PATH = attrPath / valuePath [subAttr]`, i.e. `[urn:…:]attr[.sub]` or
//! `[urn:…:]attr[filter][.sub]`, resolved against a resource type's schemas. Names are
//! case-insensitive; the filter (between `[` and the matching `]`, quoted strings respected) is
//! parsed by `filter::parse_value_filter` and allowed on multi-valued attributes only. A path
//! that is only an extension URN names the extension object as a whole. PATCH (`patch`) and
//! POST/PUT keys (`canonical`, through `write`) are both read as paths.

use crate::scim::error::{PatchError, PatchErrorKind};
use crate::scim::filter::{self, Filter};
use crate::scim::schema::{Resolved, ResourceType, Schema};

/// Longest path, in bytes.
pub const MAX_PATH_LEN: usize = 4096;

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

/// [`parse_path`], or with `within` a key of that extension's object (an attribute name of
/// that schema, no URN).
pub(crate) fn parse_in(
    text: &str,
    rt: &'static ResourceType,
    within: Option<&'static Schema>,
) -> Result<PatchPath, PatchError> {
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
pub(crate) fn is_foreign_urn(text: &str, rt: &ResourceType) -> bool {
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
