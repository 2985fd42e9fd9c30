//! Webhook receiver URL checks (event-webhooks design, "Receiver URLs"), without the `url`
//! crate.
//!
//! Accepted: `https://host[:port][/path][?query]` (RFC 3986 §3), ASCII only, at most
//! [`MAX_URL_LEN`] bytes, no userinfo, no fragment. The host is a DNS name (LDH labels,
//! punycode for IDNs, RFC 1035 §2.3.4 lengths), a dotted-quad IPv4 address or a bracketed IPv6
//! literal; scheme and host are stored lower case, a trailing dot of the host is dropped.
//!
//! * Hosts that the WHATWG URL parser would read as IPv4 in a non-dotted-quad form
//!   (`2130706433`, `0x7f.1`, `127.1`, `010.0.0.1`) are always refused: receivers and
//!   resolvers disagree on what they mean.
//! * `http` is allowed only for loopback receivers (`localhost`, `127.0.0.0/8`, `[::1]`) when
//!   the policy allows it (local development).
//! * In production, loopback, private, link-local, shared, benchmarking, multicast and reserved
//!   targets, and the special-use names `localhost`, `local`, `internal` and `home.arpa`
//!   (RFC 6761, RFC 6762, RFC 8375), are refused. IPv4-mapped (`::ffff:a.b.c.d`) and NAT64
//!   (`64:ff9b::/96`, RFC 6052) addresses are judged as the IPv4 address they carry.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::netpolicy::cidr::parse_ip;

/// Longest receiver URL, in bytes.
pub const MAX_URL_LEN: usize = 2048;
/// Longest host name, in bytes, without a trailing dot (RFC 1035 §2.3.4).
const MAX_HOST_LEN: usize = 253;
/// Longest label of a host name (RFC 1035 §2.3.4).
const MAX_LABEL_LEN: usize = 63;
/// Special-use domains refused in production, with all their subdomains.
const PRIVATE_DOMAINS: [&str; 4] = ["localhost", "local", "internal", "home.arpa"];
/// IPv4 blocks refused in production: this network, private (RFC 1918), shared (RFC 6598),
/// loopback, link-local, IETF protocol assignments, benchmarking (RFC 2544), and 224.0.0.0/3
/// (multicast, reserved and broadcast).
const PRIVATE_V4: [(Ipv4Addr, u32); 10] = [
    (Ipv4Addr::new(0, 0, 0, 0), 8),
    (Ipv4Addr::new(10, 0, 0, 0), 8),
    (Ipv4Addr::new(100, 64, 0, 0), 10),
    (Ipv4Addr::new(127, 0, 0, 0), 8),
    (Ipv4Addr::new(169, 254, 0, 0), 16),
    (Ipv4Addr::new(172, 16, 0, 0), 12),
    (Ipv4Addr::new(192, 0, 0, 0), 24),
    (Ipv4Addr::new(192, 168, 0, 0), 16),
    (Ipv4Addr::new(198, 18, 0, 0), 15),
    (Ipv4Addr::new(224, 0, 0, 0), 3),
];

/// Where the URL is checked: production refuses private targets; development may allow
/// plain `http` to loopback receivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UrlPolicy {
    pub production: bool,
    pub allow_http_localhost: bool,
}

/// Why [`validate`] refused a receiver URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlRefusal {
    /// Longer than [`MAX_URL_LEN`] bytes.
    TooLong { max: usize },
    /// Not an absolute URL of the accepted shape; `reason` says which part is wrong.
    Malformed { reason: &'static str },
    /// The scheme is not `https` (or `http` to a loopback receiver where allowed).
    NotHttps,
    /// The URL carries userinfo (`user:pass@`), even an empty one.
    Credentials,
    /// The URL carries a fragment (`#…`), which is never sent to the receiver.
    Fragment,
    /// The host is loopback, private, link-local or otherwise not a public target.
    PrivateTarget { host: String },
    /// The host is a number that URL parsers may read as an IPv4 address.
    AmbiguousHost { host: String },
}

impl fmt::Display for UrlRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong { max } => write!(f, "the URL is longer than {max} bytes"),
            Self::Malformed { reason } => write!(f, "the URL is malformed: {reason}"),
            Self::NotHttps => f.write_str("the URL must use https"),
            Self::Credentials => f.write_str("the URL must not contain a user name or password"),
            Self::Fragment => f.write_str("the URL must not contain a fragment (#…)"),
            Self::PrivateTarget { host } => {
                write!(f, "host {host:?} is a private, loopback or reserved address, not reachable from the edge")
            }
            Self::AmbiguousHost { host } => write!(
                f,
                "host {host:?} looks like an IPv4 address in a non-standard form; write it as four decimal numbers"
            ),
        }
    }
}

impl std::error::Error for UrlRefusal {}

/// A parsed host: its stored text and, for address literals, the address.
struct Host {
    text: String,
    ip: Option<IpAddr>,
}

/// Checks a receiver URL against the policy and returns the form to store.
pub fn validate(raw: &str, policy: UrlPolicy) -> Result<String, UrlRefusal> {
    let url = raw.trim();
    if url.len() > MAX_URL_LEN {
        return Err(UrlRefusal::TooLong { max: MAX_URL_LEN });
    }
    check_chars(url)?;
    let (scheme, rest) = url.split_once("://").ok_or(malformed("not an absolute URL (https://host/path)"))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(UrlRefusal::NotHttps);
    }
    if rest.contains('#') {
        return Err(UrlRefusal::Fragment);
    }
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    if authority.contains('@') {
        return Err(UrlRefusal::Credentials);
    }
    let (host_text, port) = split_port(authority)?;
    let host = parse_host(host_text)?;
    if scheme == "http" && !(policy.allow_http_localhost && is_loopback(&host)) {
        return Err(UrlRefusal::NotHttps);
    }
    if policy.production && is_private(&host) {
        return Err(UrlRefusal::PrivateTarget { host: host.text });
    }
    let port = port.map(|p| format!(":{p}")).unwrap_or_default();
    let slash = if tail.starts_with('/') { "" } else { "/" };
    Ok(format!("{scheme}://{}{port}{slash}{tail}", host.text))
}

fn malformed(reason: &'static str) -> UrlRefusal {
    UrlRefusal::Malformed { reason }
}

/// Printable ASCII only, no spaces, no backslash (which WHATWG parsers read as `/`).
fn check_chars(url: &str) -> Result<(), UrlRefusal> {
    if url.is_empty() {
        return Err(malformed("the URL is empty"));
    }
    if !url.is_ascii() {
        return Err(malformed("non-ASCII characters; use punycode (xn--) host names and percent-encoding"));
    }
    if url.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
        return Err(malformed("whitespace or control characters"));
    }
    if url.contains('\\') {
        return Err(malformed("a backslash"));
    }
    Ok(())
}

/// Splits `host[:port]` or `[v6][:port]`; the port must be 1..=65535 in decimal.
fn split_port(authority: &str) -> Result<(&str, Option<u16>), UrlRefusal> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(inner) => {
            let end = inner.find(']').ok_or(malformed("an unclosed IPv6 bracket"))?;
            let (literal, after) = authority.split_at(end + 2);
            match after {
                "" => (literal, None),
                _ => (literal, Some(after.strip_prefix(':').ok_or(malformed("text after the IPv6 literal"))?)),
            }
        }
        None => match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        },
    };
    if host.is_empty() {
        return Err(malformed("an empty host"));
    }
    Ok((host, port.map(parse_port).transpose()?))
}

fn parse_port(text: &str) -> Result<u16, UrlRefusal> {
    let bad = malformed("an invalid port (1 to 65535)");
    if text.is_empty() || text.len() > 5 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad);
    }
    text.parse::<u16>().ok().filter(|&p| p != 0).ok_or(bad)
}

fn parse_host(text: &str) -> Result<Host, UrlRefusal> {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        return parse_v6_literal(inner);
    }
    let lower = text.to_ascii_lowercase();
    let name = lower.strip_suffix('.').unwrap_or(&lower);
    if name.is_empty() {
        return Err(malformed("an empty host"));
    }
    if ends_in_number(name) {
        return match parse_ip(name) {
            Ok(ip) => Ok(Host { text: name.to_string(), ip: Some(ip) }),
            Err(_) => Err(UrlRefusal::AmbiguousHost { host: name.to_string() }),
        };
    }
    check_host_name(name)?;
    Ok(Host { text: name.to_string(), ip: None })
}

/// A bracketed IPv6 literal (RFC 3986 §3.2.2); zone ids are refused.
fn parse_v6_literal(inner: &str) -> Result<Host, UrlRefusal> {
    let bad = malformed("an invalid IPv6 address in brackets");
    if !inner.contains(':') {
        return Err(bad);
    }
    let ip = parse_ip(inner).map_err(|_| bad)?;
    Ok(Host { text: format!("[{}]", inner.to_ascii_lowercase()), ip: Some(ip) })
}

/// WHATWG URL "ends in a number": the last label is decimal digits or `0x` + hex digits, so a
/// browser would parse the whole host as IPv4.
fn ends_in_number(name: &str) -> bool {
    let last = name.rsplit('.').find(|label| !label.is_empty()).unwrap_or_default();
    let hex = last.strip_prefix("0x").is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
    hex || (!last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()))
}

/// Lower-case letters, digits and `-` in dot-separated labels of 1 to 63 bytes, 253 in all.
fn check_host_name(name: &str) -> Result<(), UrlRefusal> {
    let label_ok = |label: &str| {
        (1..=MAX_LABEL_LEN).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    };
    if name.len() <= MAX_HOST_LEN && name.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(malformed("an invalid host name (letters, digits, '-' and '.', labels of 1 to 63 characters)"))
    }
}

/// `localhost`, `127.0.0.0/8` or `::1`: where plain `http` may be allowed.
fn is_loopback(host: &Host) -> bool {
    match host.ip {
        Some(ip) => ip.is_loopback(),
        None => host.text == "localhost",
    }
}

fn is_private(host: &Host) -> bool {
    match host.ip {
        Some(IpAddr::V4(v4)) => is_private_v4(v4),
        Some(IpAddr::V6(v6)) => is_private_v6(v6),
        None => PRIVATE_DOMAINS.iter().any(|d| host.text == *d || host.text.ends_with(&format!(".{d}"))),
    }
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    PRIVATE_V4.iter().any(|&(net, prefix)| {
        let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
        u32::from(ip) & mask == u32::from(net)
    })
}

/// `::`, `::1`, unique local `fc00::/7`, link-local `fe80::/10`, multicast `ff00::/8`; NAT64
/// addresses are judged by the IPv4 address they embed. (IPv4-mapped addresses arrive here
/// already converted to IPv4 by [`parse_ip`].)
fn is_private_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [.., a, b, c, d] = ip.octets();
        return is_private_v4(Ipv4Addr::new(a, b, c, d));
    }
    let first = segments[0];
    ip.is_unspecified() || ip.is_loopback() || first & 0xfe00 == 0xfc00 || first & 0xffc0 == 0xfe80 || first >= 0xff00
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROD: UrlPolicy = UrlPolicy { production: true, allow_http_localhost: false };
    const PROD_HTTP_LOCAL: UrlPolicy = UrlPolicy { production: true, allow_http_localhost: true };
    const DEV: UrlPolicy = UrlPolicy { production: false, allow_http_localhost: true };
    const DEV_HTTPS_ONLY: UrlPolicy = UrlPolicy { production: false, allow_http_localhost: false };

    fn private(host: &str) -> Result<String, UrlRefusal> {
        Err(UrlRefusal::PrivateTarget { host: host.into() })
    }

    fn ambiguous(host: &str) -> Result<String, UrlRefusal> {
        Err(UrlRefusal::AmbiguousHost { host: host.into() })
    }

    fn is_malformed(result: Result<String, UrlRefusal>) -> bool {
        matches!(result, Err(UrlRefusal::Malformed { .. }))
    }

    #[test]
    fn accepts_public_https_with_path_and_query() {
        let url = "https://hooks.example.com/path?x=1";
        assert_eq!(validate(url, PROD).as_deref(), Ok(url));
    }

    #[test]
    fn accepts_explicit_port() {
        assert_eq!(validate("https://example.com:8443/a", PROD).as_deref(), Ok("https://example.com:8443/a"));
    }

    #[test]
    fn stores_trimmed_lowercase_scheme_and_host_without_trailing_dot() {
        let got = validate("  HTTPS://Hooks.Example.COM./In/Box?Q=A \n", PROD);
        assert_eq!(got.as_deref(), Ok("https://hooks.example.com/In/Box?Q=A"));
    }

    #[test]
    fn adds_the_root_path_when_missing() {
        assert_eq!(validate("https://example.com", PROD).as_deref(), Ok("https://example.com/"));
        assert_eq!(validate("https://example.com?a=1", PROD).as_deref(), Ok("https://example.com/?a=1"));
    }

    #[test]
    fn accepts_public_ip_literals_and_punycode() {
        assert_eq!(validate("https://8.8.8.8/h", PROD).as_deref(), Ok("https://8.8.8.8/h"));
        assert_eq!(validate("https://[2606:4700::1111]:8443/", PROD).as_deref(), Ok("https://[2606:4700::1111]:8443/"));
        assert!(validate("https://[64:ff9b::808:808]/", PROD).is_ok());
        assert!(validate("https://xn--bcher-kva.example/", PROD).is_ok());
        assert!(validate("https://local.example.com/", PROD).is_ok());
        assert!(validate("https://0x7f.example.com/", PROD).is_ok());
    }

    #[test]
    fn http_loopback_allowed_in_dev_with_allow_http_localhost() {
        for url in ["http://127.0.0.1:9999/hook", "http://localhost:3000/", "http://[::1]:8080/h", "http://127.8.9.1/"]
        {
            assert_eq!(validate(url, DEV).as_deref(), Ok(url));
        }
    }

    #[test]
    fn http_loopback_refused_in_production() {
        assert_eq!(validate("http://127.0.0.1:9999/hook", PROD), Err(UrlRefusal::NotHttps));
        assert_eq!(validate("http://127.0.0.1:9999/hook", PROD_HTTP_LOCAL), private("127.0.0.1"));
    }

    #[test]
    fn http_refused_without_the_flag_or_to_a_non_loopback_host() {
        assert_eq!(validate("http://127.0.0.1:9999/hook", DEV_HTTPS_ONLY), Err(UrlRefusal::NotHttps));
        assert_eq!(validate("http://example.com/", DEV), Err(UrlRefusal::NotHttps));
        assert_eq!(validate("http://10.0.0.1/", DEV), Err(UrlRefusal::NotHttps));
        assert_eq!(validate("http://foo.localhost/", DEV), Err(UrlRefusal::NotHttps));
    }

    #[test]
    fn other_schemes_are_not_https() {
        for url in ["ftp://example.com/", "wss://example.com/", "javascript://x.com/", "://x.com/"] {
            assert_eq!(validate(url, DEV), Err(UrlRefusal::NotHttps), "{url}");
        }
    }

    #[test]
    fn refuses_credentials_even_empty() {
        for url in ["https://user:pw@x.com", "https://user@x.com/", "https://@x.com/", "https://:@x.com/"] {
            assert_eq!(validate(url, PROD), Err(UrlRefusal::Credentials), "{url}");
        }
        assert!(validate("https://x.com/a@b", PROD).is_ok());
    }

    #[test]
    fn refuses_fragment() {
        assert_eq!(validate("https://x.com/#frag", PROD), Err(UrlRefusal::Fragment));
        assert_eq!(validate("https://x.com/#", PROD), Err(UrlRefusal::Fragment));
    }

    #[test]
    fn refuses_private_ipv4_in_production_only() {
        assert_eq!(validate("https://10.0.0.1/", PROD), private("10.0.0.1"));
        assert_eq!(validate("https://10.0.0.1/", DEV_HTTPS_ONLY).as_deref(), Ok("https://10.0.0.1/"));
        for host in [
            "0.0.0.0",
            "127.0.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "192.0.0.8",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert_eq!(validate(&format!("https://{host}/"), PROD), private(host), "{host}");
        }
        for host in ["100.128.0.1", "172.32.0.1", "198.20.0.1", "223.255.255.255", "1.1.1.1"] {
            assert!(validate(&format!("https://{host}/"), PROD).is_ok(), "{host}");
        }
    }

    #[test]
    fn refuses_ipv4_mapped_private_address() {
        assert_eq!(validate("https://[::ffff:10.0.0.1]/", PROD), private("[::ffff:10.0.0.1]"));
        assert_eq!(validate("https://[::FFFF:7F00:1]/", PROD), private("[::ffff:7f00:1]"));
    }

    #[test]
    fn refuses_nat64_of_private_address() {
        assert_eq!(validate("https://[64:ff9b::10.0.0.1]/", PROD), private("[64:ff9b::10.0.0.1]"));
        assert_eq!(validate("https://[64:ff9b::a9fe:a9fe]/", PROD), private("[64:ff9b::a9fe:a9fe]"));
    }

    #[test]
    fn refuses_private_ipv6_in_production() {
        for host in ["[::]", "[::1]", "[fc00::1]", "[fdff::1]", "[fe80::1]", "[febf::1]", "[ff02::1]"] {
            assert_eq!(validate(&format!("https://{host}/"), PROD), private(host), "{host}");
        }
    }

    #[test]
    fn refuses_special_use_names_in_production() {
        for host in ["localhost", "foo.localhost", "printer.local", "local", "db.internal", "nas.home.arpa"] {
            assert_eq!(validate(&format!("https://{host}/"), PROD), private(host), "{host}");
        }
        assert_eq!(validate("https://foo.localhost/", DEV).as_deref(), Ok("https://foo.localhost/"));
    }

    #[test]
    fn refuses_all_digit_host_as_ambiguous() {
        assert_eq!(validate("https://2130706433/", PROD), ambiguous("2130706433"));
        assert_eq!(validate("https://2130706433/", DEV), ambiguous("2130706433"));
    }

    #[test]
    fn refuses_hex_ipv4_as_ambiguous() {
        assert_eq!(validate("https://0x7f.1/", PROD), ambiguous("0x7f.1"));
        assert_eq!(validate("https://0x7F000001/", DEV), ambiguous("0x7f000001"));
        assert_eq!(validate("https://example.0x1/", DEV), ambiguous("example.0x1"));
    }

    #[test]
    fn refuses_short_and_octal_ipv4_as_ambiguous() {
        assert_eq!(validate("https://127.1/", PROD), ambiguous("127.1"));
        assert_eq!(validate("https://010.0.0.1/", DEV), ambiguous("010.0.0.1"));
        assert_eq!(validate("https://1.2.3.4.5/", DEV), ambiguous("1.2.3.4.5"));
        assert_eq!(validate("https://1.2.3.256/", DEV), ambiguous("1.2.3.256"));
        assert_eq!(validate("https://example.123/", DEV), ambiguous("example.123"));
    }

    #[test]
    fn refuses_too_long() {
        let url = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN));
        assert_eq!(validate(&url, PROD), Err(UrlRefusal::TooLong { max: 2048 }));
        let fits = format!("https://example.com/{}", "a".repeat(MAX_URL_LEN - 20));
        assert!(validate(&fits, PROD).is_ok());
    }

    #[test]
    fn refuses_malformed_urls() {
        for url in [
            "",
            "example.com/hook",
            "https:/example.com/",
            "https://",
            "https:///path",
            "https://:443/",
            "https://exa mple.com/",
            "https://example.com/a b",
            "https://example.com/a\tb",
            "https://exämple.com/",
            "https://example.com\\@evil.com/",
            "https://example.com:/",
            "https://example.com:0/",
            "https://example.com:65536/",
            "https://example.com:80a/",
            "https://example.com:1:2/",
            "https://exa_mple.com/",
            "https://%65xample.com/",
            "https://a..b/",
            "https://[::1/",
            "https://[::1]x/",
            "https://[1.2.3.4]/",
            "https://[fe80::1%25eth0]/",
            "https://[gg::1]/",
        ] {
            assert!(is_malformed(validate(url, DEV)), "{url:?}: {:?}", validate(url, DEV));
        }
    }

    #[test]
    fn host_name_length_limits() {
        let label = "a".repeat(63);
        assert!(validate(&format!("https://{label}.com/"), PROD).is_ok());
        assert!(is_malformed(validate(&format!("https://{label}a.com/"), PROD)));
        let name = [label.as_str(); 4].join(".");
        assert_eq!(name.len(), 255);
        assert!(is_malformed(validate(&format!("https://{}/", &name[1..]), PROD)));
        assert!(validate(&format!("https://{}/", &name[2..]), PROD).is_ok());
    }

    #[test]
    fn refusals_explain_themselves() {
        assert!(UrlRefusal::NotHttps.to_string().contains("https"));
        assert!(private("10.0.0.1").unwrap_err().to_string().contains("10.0.0.1"));
        assert!(malformed("an empty host").to_string().contains("an empty host"));
    }
}
