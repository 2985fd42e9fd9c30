//! Request-URL handling without the `url` crate (its IDNA tables cost ~69 KB gzip in wasm).
//!
//! Splits an absolute URL into origin, path and query (RFC 3986 §3) and decodes an
//! `application/x-www-form-urlencoded` query string (WHATWG URL §5.1) with size limits.

/// Longest query string accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 4096;
/// Most parameters accepted in one query string.
pub const MAX_QUERY_PARAMS: usize = 50;

#[derive(Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    pub scheme: &'a str,
    pub authority: &'a str,
    pub path: &'a str,
    pub query: &'a str,
}

/// Splits `scheme://authority/path?query#fragment`; `None` if it is not an absolute URL.
pub fn split(url: &str) -> Option<UrlParts<'_>> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.split('#').next().unwrap_or_default();
    let path_start = rest.find('/').unwrap_or(rest.len());
    let (authority, path_and_query) = rest.split_at(path_start);
    let (path, query) = path_and_query.split_once('?').unwrap_or((path_and_query, ""));
    Some(UrlParts { scheme, authority, path: if path.is_empty() { "/" } else { path }, query })
}

#[derive(Debug, PartialEq, Eq)]
pub enum QueryError {
    TooLong,
    TooManyParams,
    BadEncoding(String),
    /// A parameter name appears more than once (its name, decoded).
    Repeated(String),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooLong => write!(f, "query string longer than {MAX_QUERY_BYTES} bytes"),
            Self::TooManyParams => write!(f, "more than {MAX_QUERY_PARAMS} query parameters"),
            Self::BadEncoding(p) => write!(f, "query parameter {p:?} is not valid percent-encoded UTF-8"),
            Self::Repeated(p) => write!(f, "{p}: given more than once; send it once"),
        }
    }
}

/// Decodes `a=1&b=x%20y` into pairs, in order. Empty segments are skipped.
pub fn parse_query(query: &str) -> Result<Vec<(String, String)>, QueryError> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLong);
    }
    let pairs: Vec<&str> = query.split('&').filter(|s| !s.is_empty()).collect();
    if pairs.len() > MAX_QUERY_PARAMS {
        return Err(QueryError::TooManyParams);
    }
    pairs
        .into_iter()
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let bad = || QueryError::BadEncoding(k.chars().take(40).collect());
            Ok((decode(k).ok_or_else(bad)?, decode(v).ok_or_else(bad)?))
        })
        .collect()
}

/// Refuses a query in which a parameter name appears twice: every parameter of the API takes
/// one value, and taking the first (or last) of two would let a proxy and the worker read
/// different requests. `case_insensitive` for SCIM, whose parameter names are matched
/// without regard to case (RFC 7644 §3.4.2).
pub fn refuse_repeated(pairs: &[(String, String)], case_insensitive: bool) -> Result<(), QueryError> {
    let same = |a: &str, b: &str| if case_insensitive { a.eq_ignore_ascii_case(b) } else { a == b };
    for (i, (name, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(earlier, _)| same(earlier, name)) {
            return Err(QueryError::Repeated(name.chars().take(40).collect()));
        }
    }
    Ok(())
}

/// Percent-decodes with `+` as space; `None` on a bad escape or invalid UTF-8.
pub fn decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = s.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_origin_path_and_query() {
        let p = split("https://app.example.com:8443/api/x?y=1#frag").unwrap();
        assert_eq!(p, UrlParts { scheme: "https", authority: "app.example.com:8443", path: "/api/x", query: "y=1" });
        assert_eq!(split("http://h").unwrap().path, "/");
        assert!(split("/relative").is_none());
    }

    #[test]
    fn decodes_form_encoding() {
        let q = parse_query("action=ACCOUNT_%2A&q=a+b&empty=&flag").unwrap();
        assert_eq!(
            q,
            vec![
                ("action".into(), "ACCOUNT_*".into()),
                ("q".into(), "a b".into()),
                ("empty".into(), "".into()),
                ("flag".into(), "".into())
            ]
        );
    }

    #[test]
    fn rejects_bad_escapes_and_invalid_utf8() {
        assert!(matches!(parse_query("a=%zz"), Err(QueryError::BadEncoding(_))));
        assert!(matches!(parse_query("a=%e2%82"), Err(QueryError::BadEncoding(_))));
        assert!(matches!(parse_query("a=%4"), Err(QueryError::BadEncoding(_))));
        assert_eq!(decode("%E2%82%AC").as_deref(), Some("€"));
    }

    #[test]
    fn repeated_names_are_refused() {
        let q = parse_query("format=csv&format=ndjson").unwrap();
        assert_eq!(refuse_repeated(&q, false), Err(QueryError::Repeated("format".into())));
        let q = parse_query("count=1&COUNT=2&a=1").unwrap();
        assert_eq!(refuse_repeated(&q, false), Ok(()));
        assert_eq!(refuse_repeated(&q, true), Err(QueryError::Repeated("COUNT".into())));
        let q = parse_query("a%3D=1&a%3d=2").unwrap();
        assert_eq!(refuse_repeated(&q, false), Err(QueryError::Repeated("a=".into())), "compared decoded");
        assert_eq!(QueryError::Repeated("count".into()).to_string(), "count: given more than once; send it once");
    }

    #[test]
    fn enforces_limits() {
        assert_eq!(parse_query(&"a".repeat(MAX_QUERY_BYTES + 1)), Err(QueryError::TooLong));
        assert_eq!(parse_query(&"a=1&".repeat(MAX_QUERY_PARAMS + 1)), Err(QueryError::TooManyParams));
    }
}
