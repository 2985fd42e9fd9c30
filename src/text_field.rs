//! Text fields that clients send and people read back: names, labels and email addresses.
//!
//! One rule for all of them: surrounding whitespace is trimmed, the value has a bounded length,
//! and it carries no control character (Unicode general category Cc: U+0000–U+001F, U+007F and
//! the C1 range U+0080–U+009F). A NUL or an escape sequence in a name ends up in audit exports,
//! CSV cells, e-mails and terminals, so it is refused rather than stored.
//!
//! Emails follow the shape of RFC 5321 §4.5.3.1.3 (at most 254 octets) with a non-empty local
//! part and a dotted domain, and are lower-cased so one address has one spelling.

use crate::error::{ApiError, ErrorCode};

/// Longest email address accepted, in bytes (RFC 5321 §4.5.3.1.3 path limit less the brackets).
pub const MAX_EMAIL_BYTES: usize = 254;

/// Why a text field was refused; its `Display` names the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub problem: Problem,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    /// Empty after trimming.
    Empty,
    /// Longer than the field allows (characters, or bytes for emails).
    TooLong(usize),
    /// A control character, by code point.
    Control(u32),
    /// Not `local@domain.tld`.
    NotAnEmail,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field = &self.field;
        match self.problem {
            Problem::Empty => write!(f, "{field}: must not be empty"),
            Problem::TooLong(max) => write!(f, "{field}: at most {max} characters"),
            Problem::Control(c) => write!(f, "{field}: control characters are not allowed (found U+{c:04X})"),
            Problem::NotAnEmail => write!(f, "{field}: not a valid email address"),
        }
    }
}

impl From<FieldError> for ApiError {
    /// A `ValidationError` whose body also names the `field`, so a form can show the error
    /// next to it.
    fn from(e: FieldError) -> Self {
        let field = serde_json::Value::String(e.field.clone());
        ApiError::with_reason(ErrorCode::ValidationError, e.to_string()).field("field", field)
    }
}

fn refuse(field: &str, problem: Problem) -> FieldError {
    FieldError { field: field.to_string(), problem }
}

/// The first control character in `value`, if any.
pub fn control_char(value: &str) -> Option<char> {
    value.chars().find(|c| c.is_control())
}

/// Refuses a value that carries a control character, without trimming or a length rule (for
/// fields such as an IdP entity id that have their own bounds).
pub fn no_control(field: &str, value: &str) -> Result<(), FieldError> {
    match control_char(value) {
        Some(c) => Err(refuse(field, Problem::Control(u32::from(c)))),
        None => Ok(()),
    }
}

/// A name or label: trimmed, 1 to `max_chars` characters, no control character.
pub fn label<'a>(field: &str, raw: &'a str, max_chars: usize) -> Result<&'a str, FieldError> {
    let value = raw.trim();
    no_control(field, value)?;
    if value.is_empty() {
        return Err(refuse(field, Problem::Empty));
    }
    if value.chars().count() > max_chars {
        return Err(refuse(field, Problem::TooLong(max_chars)));
    }
    Ok(value)
}

/// An email address: trimmed, lower-cased, no control character, at most
/// [`MAX_EMAIL_BYTES`], `local@domain` with a dot in the domain.
pub fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    let value = raw.trim();
    no_control(field, value)?;
    if value.len() > MAX_EMAIL_BYTES {
        return Err(refuse(field, Problem::TooLong(MAX_EMAIL_BYTES)));
    }
    let value = value.to_lowercase();
    let shaped = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@') && !value.chars().any(char::is_whitespace)
    });
    if shaped {
        Ok(value)
    } else {
        Err(refuse(field, Problem::NotAnEmail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(label("name", "  CI laptop ", 100), Ok("CI laptop"));
        assert_eq!(label("name", "   ", 100).unwrap_err().problem, Problem::Empty);
        assert_eq!(label("name", &"é".repeat(101), 100).unwrap_err().problem, Problem::TooLong(100));
        assert!(label("name", &"é".repeat(100), 100).is_ok());
    }

    /// Every C0 control, DEL and the C1 range are refused wherever they sit; the error names
    /// the field and the code point.
    #[test]
    fn every_control_character_is_refused_in_labels_and_emails() {
        let controls = (0u32..=0x1f).chain([0x7f]).chain(0x80..=0x9f);
        for cp in controls {
            let c = char::from_u32(cp).unwrap();
            for value in [format!("a{c}b"), format!("{c}ab"), format!("ab{c}")] {
                let err = label("nickname", &format!("x{value}x"), 100).unwrap_err();
                assert_eq!(err.problem, Problem::Control(cp), "U+{cp:04X}");
                assert!(err.to_string().starts_with("nickname: control characters"), "{err}");
                let err = email("email", &format!("a{c}b@example.com")).unwrap_err();
                assert_eq!(err.problem, Problem::Control(cp), "U+{cp:04X}");
            }
        }
    }

    #[test]
    fn emails_are_lowercased_and_shaped() {
        assert_eq!(email("email", " Ada@Example.COM ").unwrap(), "ada@example.com");
        for bad in ["", "ada", "@example.com", "ada@localhost", "a b@example.com", "a@b@example.com"] {
            assert_eq!(email("email", bad).unwrap_err().problem, Problem::NotAnEmail, "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert_eq!(email("email", &long).unwrap_err().problem, Problem::TooLong(MAX_EMAIL_BYTES));
    }

    #[test]
    fn errors_become_validation_errors_naming_the_field() {
        let err: ApiError = email("email", "a\u{0}@example.com").unwrap_err().into();
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert_eq!(err.reason.as_deref(), Some("email: control characters are not allowed (found U+0000)"));
    }
}
