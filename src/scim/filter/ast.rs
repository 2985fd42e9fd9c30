//! The filter syntax tree (RFC 7644 §3.4.2.2), already resolved against a resource type's
//! schema, so evaluators and the SQL compiler know each attribute's type and case rule.

use crate::scim::schema::Resolved;

/// An attribute path as resolved, and as written (for error messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    pub resolved: Resolved,
    pub text: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A comparison value, typed by the attribute it is compared with (checked at parse time).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    Str(String),
    Bool(bool),
    Number(serde_json::Number),
    /// A dateTime attribute's value, as milliseconds since the Unix epoch.
    DateTime(i64),
    Null,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    Compare {
        path: Path,
        op: CompareOp,
        value: Literal,
    },
    Present {
        path: Path,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    /// `emails[type eq "work" and value co "@x"]`: the inner filter's paths are resolved as
    /// sub-attributes of `path` (their `resolved.attr` is the multi-valued attribute and
    /// `resolved.sub` the sub-attribute); it matches if one element matches.
    ValuePath {
        path: Path,
        filter: Box<Filter>,
    },
}

/// A filter refused: where (byte offset into the filter text) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterError {
    pub position: usize,
    pub message: String,
}

impl std::fmt::Display for FilterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "at position {}: {}", self.position, self.message)
    }
}

impl std::error::Error for FilterError {}
