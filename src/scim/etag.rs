//! Entity tags and conditional requests on SCIM resources (RFC 7644 §3.14, which borrows
//! `ETag`, `If-Match` and `If-None-Match` from RFC 7232).
//!
//! A resource's version `n` (the row's `version`, which every change bumps) is served as the
//! weak tag `W/"n"` in `ETag` and `meta.version`. The header values are `"*"` or a list of
//! entity tags (RFC 7232 §3.1: `If-Match = "*" / 1#entity-tag`, `entity-tag = [ W/ ] DQUOTE
//! *etagc DQUOTE`; empty list elements are allowed, RFC 7230 §7). A tag names version `n` when
//! its opaque part is exactly `n`, weak or not: the weak comparison of RFC 7232 §2.3.2. RFC
//! 7232 asks for the strong comparison in `If-Match`, under which a weak tag never matches, but
//! RFC 7644 §3.14 serves weak tags and sends them back in `If-Match` (its own example), so SCIM
//! compares weakly on both headers.
//!
//! [`if_match`] decides a write (PUT, PATCH, DELETE, or a bulk operation's `version`, which
//! means the same, §3.7): no value, `*`, or a tag naming the current version lets it go ahead
//! and says what the write's batch must re-check ([`Expect`]); anything else, a malformed value
//! included (it names no version), is a failed precondition (412). [`not_modified`] decides a
//! read with `If-None-Match`: a tag naming the current version, or `*`, is 304; a malformed
//! value is ignored (the full answer is always safe).

/// The entity tag of a resource version: `W/"n"`.
pub fn of(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// One entity tag: whether it is weak, and its opaque part (between the quotes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityTag<'a> {
    pub weak: bool,
    pub opaque: &'a str,
}

/// What an `If-Match` or `If-None-Match` value lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition<'a> {
    /// `*`: any current representation.
    Any,
    /// At least one entity tag.
    Tags(Vec<EntityTag<'a>>),
}

impl Condition<'_> {
    /// Whether the condition names the current representation, whose opaque tag is `current`
    /// (weak comparison).
    pub fn names(&self, current: &str) -> bool {
        match self {
            Condition::Any => true,
            Condition::Tags(tags) => tags.iter().any(|t| t.opaque == current),
        }
    }
}

/// A header value that is neither `*` nor a list of entity tags; the text says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed(pub String);

/// Parses an `If-Match` / `If-None-Match` value (see the module documentation).
pub fn parse(value: &str) -> Result<Condition<'_>, Malformed> {
    let trimmed = value.trim_matches([' ', '\t']);
    if trimmed == "*" {
        return Ok(Condition::Any);
    }
    let mut tags = Vec::new();
    let mut rest = trimmed;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            break;
        }
        let (tag, after) = entity_tag(rest)?;
        tags.push(tag);
        rest = after.trim_start_matches([' ', '\t']);
        if !rest.is_empty() && !rest.starts_with(',') {
            return Err(Malformed(format!("expected `,` or the end after an entity tag, found `{}`", clip(rest))));
        }
    }
    match tags.is_empty() {
        true => Err(Malformed("expected `*` or at least one entity tag".to_string())),
        false => Ok(Condition::Tags(tags)),
    }
}

/// One `[W/]"opaque"` at the start of `text`, and what follows it.
fn entity_tag(text: &str) -> Result<(EntityTag<'_>, &str), Malformed> {
    let (weak, quoted) = match text.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let inner = quoted
        .strip_prefix('"')
        .ok_or_else(|| Malformed(format!("expected an entity tag such as W/\"3\", found `{}`", clip(text))))?;
    let end = inner.find(|c: char| !is_etagc(c)).unwrap_or(inner.len());
    match inner[end..].strip_prefix('"') {
        Some(after) => Ok((EntityTag { weak, opaque: &inner[..end] }, after)),
        None => Err(Malformed(format!("expected a closing `\"` in the entity tag `{}`", clip(text)))),
    }
}

/// `etagc = %x21 / %x23-7E / obs-text` (RFC 7232 §2.3).
fn is_etagc(c: char) -> bool {
    c == '!' || ('#'..='~').contains(&c) || !c.is_ascii()
}

/// At most 40 characters of `text`, for messages.
fn clip(text: &str) -> String {
    text.chars().take(40).collect()
}

/// What a conditional write's batch re-checks on the stored row when it writes, so that a
/// concurrent writer between the read and the write cannot slip through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// `*`: the resource still exists.
    Exists,
    /// The resource is still at this version.
    Version(i64),
}

/// Why a conditional write was refused (412).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreconditionFailed(pub String);

/// The decision on a write whose expected version (an `If-Match` value, or a bulk operation's
/// `version`) is `expected`, over a resource at version `current`: `Ok(None)` without a
/// precondition, `Ok(Some(expect))` when it holds (the write's batch re-checks `expect`), else
/// the refusal.
pub fn if_match(expected: Option<&str>, current: i64) -> Result<Option<Expect>, PreconditionFailed> {
    let Some(value) = expected else { return Ok(None) };
    match parse(value) {
        Ok(Condition::Any) => Ok(Some(Expect::Exists)),
        Ok(condition) if condition.names(&current.to_string()) => Ok(Some(Expect::Version(current))),
        Ok(_) => Err(PreconditionFailed(format!(
            "the resource is at version {}; If-Match names {}",
            of(current),
            clip(value)
        ))),
        Err(Malformed(why)) => Err(PreconditionFailed(format!("If-Match names no version: {why}"))),
    }
}

/// The decision on a read with `If-None-Match: header` of a representation whose opaque tag is
/// `current`: true when the client's copy is current (answer 304 Not Modified).
pub fn not_modified(header: Option<&str>, current: &str) -> bool {
    header.and_then(|value| parse(value).ok()).is_some_and(|condition| condition.names(current))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(value: &str) -> Vec<(bool, &str)> {
        match parse(value).unwrap() {
            Condition::Tags(tags) => tags.into_iter().map(|t| (t.weak, t.opaque)).collect(),
            Condition::Any => panic!("{value} parsed as *"),
        }
    }

    #[test]
    fn the_tag_of_a_version_is_weak() {
        assert_eq!(of(7), "W/\"7\"");
        assert_eq!(tags(&of(7)), [(true, "7")]);
    }

    #[test]
    fn rfc7232_3_1_lists_star_and_spacing() {
        assert_eq!(parse("*"), Ok(Condition::Any));
        assert_eq!(parse(" * "), Ok(Condition::Any));
        assert_eq!(tags("\"xyzzy\""), [(false, "xyzzy")]);
        assert_eq!(
            tags("\"xyzzy\", \"r2d2xxxx\", \"c3piozzzz\""),
            [(false, "xyzzy"), (false, "r2d2xxxx"), (false, "c3piozzzz")]
        );
        assert_eq!(tags("W/\"1\",\t\"2\" ,W/\"3\""), [(true, "1"), (false, "2"), (true, "3")]);
        // Empty list elements (RFC 7230 §7) and an empty opaque tag.
        assert_eq!(tags(", W/\"1\",, \"\" ,"), [(true, "1"), (false, "")]);
        // A comma inside the quotes belongs to the tag.
        assert_eq!(tags("\"a,b\", \"c\""), [(false, "a,b"), (false, "c")]);
    }

    #[test]
    fn malformed_values_are_refused() {
        for value in [
            "",
            " , ",
            "3",
            "W/3",
            "w/\"3\"",
            "\"3",
            "\"3\" \"4\"",
            "\"3\"x",
            "*, \"3\"",
            "\"a\"b\"",
            "W/ \"3\"",
            "\"tab\tinside\"",
        ] {
            assert!(parse(value).is_err(), "{value:?}");
        }
        assert!(parse("\"é\"").is_ok(), "obs-text is allowed");
    }

    #[test]
    fn weak_comparison_names_the_version() {
        let current = "5";
        for value in ["W/\"5\"", "\"5\"", "\"4\", W/\"5\"", "*"] {
            assert!(parse(value).unwrap().names(current), "{value}");
        }
        for value in ["W/\"6\"", "\"05\"", "\"5a\"", "W/\"W/5\""] {
            assert!(!parse(value).unwrap().names(current), "{value}");
        }
    }

    #[test]
    fn if_match_decides_writes() {
        assert_eq!(if_match(None, 3), Ok(None));
        assert_eq!(if_match(Some("*"), 3), Ok(Some(Expect::Exists)));
        assert_eq!(if_match(Some("W/\"3\""), 3), Ok(Some(Expect::Version(3))));
        assert_eq!(if_match(Some("\"3\""), 3), Ok(Some(Expect::Version(3))));
        assert_eq!(if_match(Some("W/\"1\", W/\"3\""), 3), Ok(Some(Expect::Version(3))));
        let stale = if_match(Some("W/\"2\""), 3).unwrap_err();
        assert!(stale.0.contains("version W/\"3\"; If-Match names W/\"2\""), "{stale:?}");
        assert!(if_match(Some("3"), 3).is_err(), "an unquoted tag names no version");
        assert!(if_match(Some(""), 3).is_err());
    }

    #[test]
    fn not_modified_decides_reads() {
        assert!(not_modified(Some("W/\"3\""), "3"));
        assert!(not_modified(Some("\"3\""), "3"));
        assert!(not_modified(Some("*"), "3"));
        assert!(not_modified(Some("\"1\", W/\"3\""), "3"));
        assert!(!not_modified(Some("W/\"2\""), "3"));
        assert!(!not_modified(None, "3"));
        assert!(!not_modified(Some("garbage"), "3"), "a malformed value is ignored");
    }
}
