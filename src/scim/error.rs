//! Why a SCIM write was refused (RFC 7644 §3.12): the error every step of POST/PUT
//! canonicalisation (`canonical`), PATCH (`patch`), path parsing (`path`) and the shared write
//! engine (`write`) returns. Each kind is a `scimType` of the 400 error response; the edge maps
//! it to an error code.

use std::fmt;

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
    pub(crate) fn new(kind: PatchErrorKind, detail: String) -> Self {
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

    pub(crate) fn no_target(detail: String) -> Self {
        Self::new(PatchErrorKind::NoTarget, detail)
    }

    pub(crate) fn mutability(detail: String) -> Self {
        Self::new(PatchErrorKind::Mutability, detail)
    }

    pub(crate) fn context(self, prefix: &str) -> Self {
        Self { detail: format!("{prefix}: {}", self.detail), ..self }
    }
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.scim_type(), self.detail)
    }
}

impl std::error::Error for PatchError {}
