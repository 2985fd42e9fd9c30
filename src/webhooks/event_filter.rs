//! Webhook subscription event filters: glob patterns over audit action codes
//! (`ACCOUNT_STEPUP_*`, `SCIM_USER_DELETED`, `*`), part of the event-webhooks design.
//!
//! Grammar: 1 to [`MAX_PATTERN_LEN`] characters from `[A-Z0-9_*]`; `*` matches any run of
//! characters, including none; every other character matches itself.
//!
//! **Invariant:** the edge selects subscriptions in SQL with `action GLOB pattern`. SQLite's
//! `GLOB` is case-sensitive and gives `?`, `[` and `]` special meanings; the charset above
//! excludes them, so for every pattern [`validate`] accepts, [`matches`] and SQLite's `GLOB`
//! agree exactly. Widening the charset breaks that agreement.

use std::fmt;

/// Most patterns one subscription may hold.
pub const MAX_FILTERS: usize = 50;
/// Longest pattern, in characters.
pub const MAX_PATTERN_LEN: usize = 100;

/// What is wrong with one pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternFault {
    /// The pattern is empty.
    Empty,
    /// The pattern is longer than [`MAX_PATTERN_LEN`] characters.
    TooLong,
    /// A character outside `[A-Z0-9_*]`.
    Char(char),
}

impl fmt::Display for PatternFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the pattern is empty"),
            Self::TooLong => write!(f, "the pattern is longer than {MAX_PATTERN_LEN} characters"),
            Self::Char(ch) => write!(f, "character {ch:?} is not allowed; use A-Z, 0-9, '_' and '*' only"),
        }
    }
}

/// Why [`validate`] refused a filter list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// No pattern was given.
    Empty,
    /// More than [`MAX_FILTERS`] patterns were given.
    TooMany { max: usize },
    /// A pattern breaks the grammar (an over-long pattern is shown cut to its first characters).
    Invalid { pattern: String, reason: PatternFault },
    /// A pattern matches no event type of the catalog.
    MatchesNothing { pattern: String },
}

impl fmt::Display for FilterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("at least one event filter is required"),
            Self::TooMany { max } => write!(f, "at most {max} event filters are allowed"),
            Self::Invalid { pattern, reason } => write!(f, "event filter {pattern:?} is invalid: {reason}"),
            Self::MatchesNothing { pattern } => write!(f, "event filter {pattern:?} matches no known event type"),
        }
    }
}

impl std::error::Error for FilterError {}

/// Whether `event_type` matches the glob `pattern`. Iterative two-pointer matching with
/// backtracking to the last `*` only: O(pattern × text) in the worst case, never exponential.
pub fn matches(pattern: &str, event_type: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), event_type.as_bytes());
    let (mut pi, mut ti) = (0, 0);
    // Position of the last `*` seen and the text position it is currently matched up to.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(b'*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` swallow one more character and retry after it.
                Some((sp, st)) => {
                    star = Some((sp, st + 1));
                    pi = sp + 1;
                    ti = st + 1;
                }
                None => return false,
            },
        }
    }
    p.get(pi..).is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

/// Checks a subscription's patterns against the grammar and the event `catalog`; returns them
/// with duplicates removed, first occurrences kept in order.
pub fn validate(patterns: &[String], catalog: &[&str]) -> Result<Vec<String>, FilterError> {
    if patterns.is_empty() {
        return Err(FilterError::Empty);
    }
    if patterns.len() > MAX_FILTERS {
        return Err(FilterError::TooMany { max: MAX_FILTERS });
    }
    let mut kept: Vec<String> = Vec::with_capacity(patterns.len());
    for pattern in patterns {
        check_pattern(pattern)?;
        if !catalog.iter().any(|event| matches(pattern, event)) {
            return Err(FilterError::MatchesNothing { pattern: pattern.clone() });
        }
        if !kept.contains(pattern) {
            kept.push(pattern.clone());
        }
    }
    Ok(kept)
}

/// Grammar check of one pattern.
fn check_pattern(pattern: &str) -> Result<(), FilterError> {
    let invalid = |reason| FilterError::Invalid { pattern: pattern.chars().take(MAX_PATTERN_LEN).collect(), reason };
    if pattern.is_empty() {
        return Err(invalid(PatternFault::Empty));
    }
    if pattern.chars().count() > MAX_PATTERN_LEN {
        return Err(invalid(PatternFault::TooLong));
    }
    match pattern.chars().find(|&c| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' || c == '*')) {
        Some(ch) => Err(invalid(PatternFault::Char(ch))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CATALOG: &[&str] =
        &["ACCOUNT_STEPUP_VERIFIED", "ACCOUNT_STEPUP_FAILED", "SCIM_USER_DELETED", "SCIM_USER_CREATED"];

    fn strings(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn star_matches_everything_including_empty() {
        for event in CATALOG.iter().chain(&[""]) {
            assert!(matches("*", event));
        }
        assert!(matches("**", "X"));
    }

    #[test]
    fn prefix_glob() {
        assert!(matches("ACCOUNT_STEPUP_*", "ACCOUNT_STEPUP_VERIFIED"));
        assert!(matches("ACCOUNT_STEPUP_*", "ACCOUNT_STEPUP_"));
        assert!(!matches("ACCOUNT_STEPUP_*", "ACCOUNT_STEPU"));
        assert!(!matches("ACCOUNT_STEPUP_*", "SCIM_USER_DELETED"));
    }

    #[test]
    fn exact_pattern_matches_only_itself() {
        assert!(matches("SCIM_USER_DELETED", "SCIM_USER_DELETED"));
        assert!(!matches("SCIM_USER_DELETED", "SCIM_USER_DELETED_X"));
        assert!(!matches("SCIM_USER_DELETED", "SCIM_USER_DELETE"));
        assert!(!matches("SCIM_USER_DELETED", "scim_user_deleted"));
    }

    #[test]
    fn infix_star() {
        assert!(matches("A*B", "AB"));
        assert!(matches("A*B", "AXYZB"));
        assert!(matches("A*B", "ABBB"));
        assert!(!matches("A*B", "ABC"));
        assert!(!matches("A*B", "XAB"));
        assert!(matches("SCIM_*_DELETED", "SCIM_USER_DELETED"));
        assert!(matches("*USER*", "SCIM_USER_CREATED"));
    }

    #[test]
    fn pathological_pattern_runs_in_polynomial_time() {
        let text = "A".repeat(100_000);
        let started = std::time::Instant::now();
        assert!(!matches("*A*A*A*A*A*B", &text));
        assert!(matches("*A*A*A*A*A*", &text));
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn validate_returns_patterns_deduplicated_in_first_occurrence_order() {
        let got = validate(&strings(&["SCIM_*", "*", "SCIM_*", "ACCOUNT_STEPUP_*", "*"]), CATALOG).unwrap();
        assert_eq!(got, strings(&["SCIM_*", "*", "ACCOUNT_STEPUP_*"]));
    }

    #[test]
    fn validate_refuses_empty_list() {
        assert_eq!(validate(&[], CATALOG), Err(FilterError::Empty));
    }

    #[test]
    fn validate_refuses_more_than_max_filters() {
        let many = vec!["*".to_string(); MAX_FILTERS + 1];
        assert_eq!(validate(&many, CATALOG), Err(FilterError::TooMany { max: 50 }));
        assert!(validate(&many[..MAX_FILTERS], CATALOG).is_ok());
    }

    #[test]
    fn charset_refuses_question_mark_bracket_and_lowercase() {
        for (pattern, ch) in [("SCIM_USER_?", '?'), ("SCIM_[A]*", '['), ("scim_*", 's'), ("SCIM USER", ' ')] {
            let got = validate(&strings(&[pattern]), CATALOG);
            assert_eq!(got, Err(FilterError::Invalid { pattern: pattern.into(), reason: PatternFault::Char(ch) }));
        }
    }

    #[test]
    fn validate_refuses_empty_and_overlong_patterns() {
        let got = validate(&strings(&[""]), CATALOG);
        assert_eq!(got, Err(FilterError::Invalid { pattern: String::new(), reason: PatternFault::Empty }));
        let long = format!("{}*", "A".repeat(MAX_PATTERN_LEN));
        let got = validate(&[long], CATALOG);
        let shown = "A".repeat(MAX_PATTERN_LEN);
        assert_eq!(got, Err(FilterError::Invalid { pattern: shown, reason: PatternFault::TooLong }));
    }

    #[test]
    fn matches_nothing_carries_the_pattern() {
        let got = validate(&strings(&["*", "BILLING_*"]), CATALOG);
        assert_eq!(got, Err(FilterError::MatchesNothing { pattern: "BILLING_*".into() }));
        assert!(got.unwrap_err().to_string().contains("BILLING_*"));
    }
}
