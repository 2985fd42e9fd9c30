//! IP address and CIDR parsing for the network policy.
//!
//! * IPv4: dotted quad only (four decimal octets, no leading zeros, no shorthand such as
//!   `10.1`, no netmask form) — the strict subset of RFC 4632 §3.1 prefix notation.
//! * IPv6: every textual form of RFC 4291 §2.2 (full, `::` compression, trailing embedded
//!   dotted quad), case-insensitive. Zone ids (RFC 6874, `fe80::1%eth0`) are refused: a zone
//!   is local to one host and meaningless in a policy or in a client address seen at the edge.
//! * IPv4-mapped IPv6 addresses (RFC 4291 §2.5.5.2, `::ffff:a.b.c.d`) are normalised to IPv4,
//!   so they are matched against IPv4 rules. A CIDR inside `::ffff:0:0/96` with a prefix of at
//!   least 96 is normalised to the equivalent IPv4 CIDR; a shorter IPv6 prefix stays IPv6 and
//!   therefore only matches native IPv6 clients.
//! * A CIDR whose host bits are set (`10.0.0.1/8`) is **refused** with
//!   [`CidrError::HostBitsSet`], which carries the normalised form (`10.0.0.0/8`) so the UI
//!   can suggest it. A bare address means `/32` or `/128`.
//! * Output uses the canonical text of RFC 5952 (lower case, longest zero run compressed).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Longest accepted address text: `ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`.
pub const MAX_ADDR_LEN: usize = 45;
/// Longest accepted CIDR text: an address, `/` and three prefix digits.
pub const MAX_CIDR_LEN: usize = MAX_ADDR_LEN + 4;

/// Why an address or CIDR text was refused. Positions are byte offsets into the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CidrError {
    /// The input is empty.
    Empty,
    /// The input is longer than any valid form.
    TooLong { len: usize, max: usize },
    /// A character that cannot appear in an address.
    InvalidChar { pos: usize, ch: char },
    /// An IPv6 zone id (`%eth0`, RFC 6874) was given.
    ZoneId { zone: String },
    /// The IPv4 text does not have exactly four dot-separated octets.
    Ipv4OctetCount { found: usize },
    /// An IPv4 octet is empty (`1..2.3`).
    Ipv4EmptyOctet { pos: usize },
    /// An IPv4 octet has a leading zero (`010`), which some parsers read as octal.
    Ipv4LeadingZero { pos: usize, octet: String },
    /// An IPv4 octet is above 255.
    Ipv4OctetRange { pos: usize, octet: String },
    /// An IPv6 group is empty where `::` is not allowed (`:1::`, `1:::2`).
    Ipv6EmptyGroup { pos: usize },
    /// An IPv6 group has more than four hex digits.
    Ipv6GroupTooLong { pos: usize, group: String },
    /// `::` appears more than once.
    Ipv6MultipleCompression { pos: usize },
    /// Wrong number of 16-bit groups (8 without `::`, at most 7 with it).
    Ipv6GroupCount { found: usize },
    /// An embedded dotted quad that is not the last part of the address.
    Ipv6MisplacedIpv4 { pos: usize },
    /// The prefix length after `/` is empty, not decimal, or has a leading zero.
    InvalidPrefix { text: String },
    /// The prefix length exceeds the family's width.
    PrefixOutOfRange { prefix: u32, max: u8 },
    /// Host bits are set; refused, with the normalised network the caller probably meant.
    HostBitsSet { given: String, normalised: String },
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "empty address"),
            Self::TooLong { len, max } => write!(f, "input is {len} bytes long, at most {max} allowed"),
            Self::InvalidChar { pos, ch } => write!(f, "invalid character {ch:?} at position {pos}"),
            Self::ZoneId { zone } => write!(f, "IPv6 zone ids are not allowed (found %{zone})"),
            Self::Ipv4OctetCount { found } => write!(f, "IPv4 needs exactly 4 octets, found {found}"),
            Self::Ipv4EmptyOctet { pos } => write!(f, "empty IPv4 octet at position {pos}"),
            Self::Ipv4LeadingZero { pos, octet } => {
                write!(f, "IPv4 octet {octet:?} at position {pos} has a leading zero")
            }
            Self::Ipv4OctetRange { pos, octet } => write!(f, "IPv4 octet {octet:?} at position {pos} exceeds 255"),
            Self::Ipv6EmptyGroup { pos } => write!(f, "empty IPv6 group at position {pos}"),
            Self::Ipv6GroupTooLong { pos, group } => {
                write!(f, "IPv6 group {group:?} at position {pos} has more than 4 hex digits")
            }
            Self::Ipv6MultipleCompression { pos } => write!(f, "second '::' at position {pos}"),
            Self::Ipv6GroupCount { found } => {
                write!(f, "IPv6 address has {found} groups; 8 needed, or at most 7 with '::'")
            }
            Self::Ipv6MisplacedIpv4 { pos } => write!(f, "embedded IPv4 at position {pos} must end the address"),
            Self::InvalidPrefix { text } => write!(f, "invalid prefix length {text:?}"),
            Self::PrefixOutOfRange { prefix, max } => write!(f, "prefix length {prefix} exceeds {max}"),
            Self::HostBitsSet { given, normalised } => {
                write!(f, "{given} has host bits set; did you mean {normalised}?")
            }
        }
    }
}

impl std::error::Error for CidrError {}

/// Parses an address and normalises IPv4-mapped IPv6 to IPv4.
pub fn parse_ip(text: &str) -> Result<IpAddr, CidrError> {
    check_len(text, MAX_ADDR_LEN)?;
    parse_raw(text).map(normalise_ip)
}

/// Maps `::ffff:a.b.c.d` to `a.b.c.d`; every other address is returned unchanged.
pub fn normalise_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

fn check_len(text: &str, max: usize) -> Result<(), CidrError> {
    if text.is_empty() {
        return Err(CidrError::Empty);
    }
    if text.len() > max {
        return Err(CidrError::TooLong { len: text.len(), max });
    }
    Ok(())
}

fn parse_raw(text: &str) -> Result<IpAddr, CidrError> {
    if let Some(i) = text.find('%') {
        return Err(CidrError::ZoneId { zone: text.get(i + 1..).unwrap_or_default().to_string() });
    }
    if let Some((pos, ch)) = text.char_indices().find(|&(_, c)| !(c.is_ascii_hexdigit() || c == '.' || c == ':')) {
        return Err(CidrError::InvalidChar { pos, ch });
    }
    if text.contains(':') {
        parse_v6(text).map(IpAddr::V6)
    } else {
        parse_v4(text, 0).map(IpAddr::V4)
    }
}

/// Splits `text` on `sep`, yielding each piece with its offset (shifted by `base`).
fn pieces(text: &str, sep: char, base: usize) -> impl Iterator<Item = (usize, &str)> {
    let mut offset = base;
    text.split(sep).map(move |piece| {
        let start = offset;
        offset += piece.len() + 1;
        (start, piece)
    })
}

fn parse_v4(text: &str, base: usize) -> Result<Ipv4Addr, CidrError> {
    let found = text.split('.').count();
    if found != 4 {
        return Err(CidrError::Ipv4OctetCount { found });
    }
    let mut octets = [0u8; 4];
    for (slot, (pos, octet)) in octets.iter_mut().zip(pieces(text, '.', base)) {
        *slot = parse_octet(octet, pos)?;
    }
    Ok(Ipv4Addr::from(octets))
}

fn parse_octet(octet: &str, pos: usize) -> Result<u8, CidrError> {
    if octet.is_empty() {
        return Err(CidrError::Ipv4EmptyOctet { pos });
    }
    if let Some((i, ch)) = octet.char_indices().find(|&(_, c)| !c.is_ascii_digit()) {
        return Err(CidrError::InvalidChar { pos: pos + i, ch });
    }
    if octet.len() > 1 && octet.starts_with('0') {
        return Err(CidrError::Ipv4LeadingZero { pos, octet: octet.to_string() });
    }
    let range = || CidrError::Ipv4OctetRange { pos, octet: octet.to_string() };
    if octet.len() > 3 {
        return Err(range());
    }
    octet.parse::<u8>().map_err(|_| range())
}

fn parse_v6(text: &str) -> Result<Ipv6Addr, CidrError> {
    let (head, tail) = match text.find("::") {
        None => return assemble_v6(&parse_groups(text, 0, true)?, None),
        Some(i) => {
            let rest = text.get(i + 2..).unwrap_or_default();
            if let Some(j) = rest.find("::") {
                return Err(CidrError::Ipv6MultipleCompression { pos: i + 2 + j });
            }
            let head = parse_groups(text.get(..i).unwrap_or_default(), 0, false)?;
            (head, parse_groups(rest, i + 2, true)?)
        }
    };
    assemble_v6(&head, Some(&tail))
}

fn assemble_v6(head: &[u16], tail: Option<&[u16]>) -> Result<Ipv6Addr, CidrError> {
    let explicit = head.len() + tail.map_or(0, <[u16]>::len);
    let fits = match tail {
        None => explicit == 8,
        Some(_) => explicit <= 7,
    };
    if !fits {
        return Err(CidrError::Ipv6GroupCount { found: explicit });
    }
    let mut groups = [0u16; 8];
    for (slot, g) in groups.iter_mut().zip(head.iter()) {
        *slot = *g;
    }
    let tail = tail.unwrap_or_default();
    for (slot, g) in groups.iter_mut().rev().zip(tail.iter().rev()) {
        *slot = *g;
    }
    Ok(Ipv6Addr::from(groups))
}

/// Parses colon-separated groups; `may_end_v4` allows a trailing dotted quad.
fn parse_groups(text: &str, base: usize, may_end_v4: bool) -> Result<Vec<u16>, CidrError> {
    let mut out = Vec::with_capacity(8);
    if text.is_empty() {
        return Ok(out);
    }
    let count = text.split(':').count();
    for (n, (pos, group)) in pieces(text, ':', base).enumerate() {
        if group.contains('.') {
            if !(may_end_v4 && n + 1 == count) {
                return Err(CidrError::Ipv6MisplacedIpv4 { pos });
            }
            let [a, b, c, d] = parse_v4(group, pos)?.octets();
            out.extend([u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])]);
        } else {
            out.push(parse_hextet(group, pos)?);
        }
    }
    Ok(out)
}

fn parse_hextet(group: &str, pos: usize) -> Result<u16, CidrError> {
    if group.is_empty() {
        return Err(CidrError::Ipv6EmptyGroup { pos });
    }
    if group.len() > 4 {
        return Err(CidrError::Ipv6GroupTooLong { pos, group: group.to_string() });
    }
    u16::from_str_radix(group, 16).map_err(|_| CidrError::Ipv6GroupTooLong { pos, group: group.to_string() })
}

/// A network prefix with its host bits cleared. IPv4-mapped networks are stored as IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Builds a CIDR, refusing an out-of-range prefix or set host bits.
    pub fn new(addr: IpAddr, prefix: u8) -> Result<Self, CidrError> {
        let raw = Self { addr, prefix };
        let max = raw.width();
        if prefix > max {
            return Err(CidrError::PrefixOutOfRange { prefix: u32::from(prefix), max });
        }
        let masked = raw.masked();
        if masked != raw {
            return Err(CidrError::HostBitsSet { given: raw.to_string(), normalised: masked.normalised().to_string() });
        }
        Ok(raw.normalised())
    }

    /// Parses `addr/prefix` or a bare address (a host route).
    pub fn parse(text: &str) -> Result<Self, CidrError> {
        check_len(text, MAX_CIDR_LEN)?;
        let (addr_text, prefix_text) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        check_len(addr_text, MAX_ADDR_LEN)?;
        let addr = parse_raw(addr_text)?;
        let prefix = match prefix_text {
            Some(p) => parse_prefix(p)?,
            None => u32::from(Self { addr, prefix: 0 }.width()),
        };
        let max = Self { addr, prefix: 0 }.width();
        let prefix =
            u8::try_from(prefix).ok().filter(|p| *p <= max).ok_or(CidrError::PrefixOutOfRange { prefix, max })?;
        Self::new(addr, prefix).map_err(|e| match e {
            CidrError::HostBitsSet { normalised, .. } => CidrError::HostBitsSet { given: text.to_string(), normalised },
            other => other,
        })
    }

    /// The network address (host bits zero).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` (normalised first) lies inside this network.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = normalise_ip(ip);
        let same_family = ip.is_ipv4() == self.addr.is_ipv4();
        same_family && key(ip) & mask(self.width(), self.prefix) == key(self.addr)
    }

    /// 32 for IPv4, 128 for IPv6.
    pub fn width(&self) -> u8 {
        width(self.addr)
    }

    /// The address as a right-aligned integer, for prefix tries.
    pub(crate) fn key(&self) -> u128 {
        key(self.addr)
    }

    fn masked(self) -> Self {
        let bits = key(self.addr) & mask(self.width(), self.prefix);
        let addr = match self.addr {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::from(u32::try_from(bits).unwrap_or(0))),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::from(bits)),
        };
        Self { addr, prefix: self.prefix }
    }

    fn normalised(self) -> Self {
        match (self.addr, normalise_ip(self.addr)) {
            (IpAddr::V6(_), IpAddr::V4(v4)) if self.prefix >= 96 => {
                Self { addr: IpAddr::V4(v4), prefix: self.prefix - 96 }
            }
            _ => self,
        }
    }
}

fn parse_prefix(text: &str) -> Result<u32, CidrError> {
    let invalid = || CidrError::InvalidPrefix { text: text.to_string() };
    let digits = !text.is_empty() && text.len() <= 3 && text.bytes().all(|b| b.is_ascii_digit());
    if !digits || (text.len() > 1 && text.starts_with('0')) {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

/// The address as a right-aligned integer.
pub(crate) fn key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(u32::from(v4)),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

/// 32 for IPv4, 128 for IPv6.
pub(crate) fn width(ip: IpAddr) -> u8 {
    if ip.is_ipv4() {
        32
    } else {
        128
    }
}

/// The network mask of `prefix` bits within a `width`-bit address, right-aligned.
fn mask(width: u8, prefix: u8) -> u128 {
    let all = u128::MAX.checked_shr(128 - u32::from(width)).unwrap_or(0);
    let host = u128::MAX.checked_shr(128 - u32::from(width - prefix.min(width))).unwrap_or(0);
    all & !host
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl std::str::FromStr for Cidr {
    type Err = CidrError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        parse_ip(s).unwrap()
    }

    #[test]
    fn ipv4_dotted_quad_only() {
        assert_eq!(ip("10.1.2.3"), IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3)));
        assert_eq!(ip("0.0.0.0").to_string(), "0.0.0.0");
        assert_eq!(parse_ip("10.1"), Err(CidrError::Ipv4OctetCount { found: 2 }));
        assert_eq!(parse_ip("1.2.3.4.5"), Err(CidrError::Ipv4OctetCount { found: 5 }));
        assert_eq!(parse_ip("010.1.1.1"), Err(CidrError::Ipv4LeadingZero { pos: 0, octet: "010".into() }));
        assert_eq!(parse_ip("1.2.3.256"), Err(CidrError::Ipv4OctetRange { pos: 6, octet: "256".into() }));
        assert_eq!(parse_ip("1.2.3.1000"), Err(CidrError::Ipv4OctetRange { pos: 6, octet: "1000".into() }));
        assert_eq!(parse_ip("1..3.4"), Err(CidrError::Ipv4EmptyOctet { pos: 2 }));
        assert_eq!(parse_ip("1.2.3.a"), Err(CidrError::InvalidChar { pos: 6, ch: 'a' }));
        assert_eq!(parse_ip(" 1.2.3.4"), Err(CidrError::InvalidChar { pos: 0, ch: ' ' }));
        assert_eq!(parse_ip("１.2.3.4"), Err(CidrError::InvalidChar { pos: 0, ch: '１' }));
        assert_eq!(parse_ip(""), Err(CidrError::Empty));
    }

    #[test]
    fn ipv6_textual_forms() {
        let full = ip("2001:0db8:0000:0000:0000:ff00:0042:8329");
        assert_eq!(full, ip("2001:db8::ff00:42:8329"));
        assert_eq!(full, ip("2001:DB8::FF00:42:8329"));
        assert_eq!(full.to_string(), "2001:db8::ff00:42:8329");
        assert_eq!(ip("::").to_string(), "::");
        assert_eq!(ip("::1").to_string(), "::1");
        assert_eq!(ip("1::").to_string(), "1::");
        assert_eq!(ip("1:2:3:4:5:6:7::").to_string(), "1:2:3:4:5:6:7:0");
        assert_eq!(ip("::2:3:4:5:6:7:8").to_string(), "0:2:3:4:5:6:7:8");
        assert_eq!(ip("64:ff9b::192.0.2.33").to_string(), "64:ff9b::c000:221");
        assert_eq!(ip("1:2:3:4:5:6:1.2.3.4").to_string(), "1:2:3:4:5:6:102:304");
    }

    #[test]
    fn ipv6_errors() {
        assert_eq!(parse_ip("1::2::3"), Err(CidrError::Ipv6MultipleCompression { pos: 4 }));
        assert_eq!(parse_ip("1:::2"), Err(CidrError::Ipv6EmptyGroup { pos: 3 }));
        assert_eq!(parse_ip(":1::2"), Err(CidrError::Ipv6EmptyGroup { pos: 0 }));
        assert_eq!(parse_ip("1::2:"), Err(CidrError::Ipv6EmptyGroup { pos: 5 }));
        assert_eq!(parse_ip("12345::"), Err(CidrError::Ipv6GroupTooLong { pos: 0, group: "12345".into() }));
        assert_eq!(parse_ip("1:2:3:4:5:6:7"), Err(CidrError::Ipv6GroupCount { found: 7 }));
        assert_eq!(parse_ip("1:2:3:4:5:6:7:8:9"), Err(CidrError::Ipv6GroupCount { found: 9 }));
        assert_eq!(parse_ip("1:2:3:4::5:6:7:8"), Err(CidrError::Ipv6GroupCount { found: 8 }));
        assert_eq!(parse_ip("1.2.3.4::"), Err(CidrError::Ipv6MisplacedIpv4 { pos: 0 }));
        assert_eq!(parse_ip("::1.2.3.4:1"), Err(CidrError::Ipv6MisplacedIpv4 { pos: 2 }));
        assert_eq!(parse_ip("::01.2.3.4"), Err(CidrError::Ipv4LeadingZero { pos: 2, octet: "01".into() }));
        assert_eq!(parse_ip("fe80::1%eth0"), Err(CidrError::ZoneId { zone: "eth0".into() }));
        assert_eq!(parse_ip("fe80::1%25eth0"), Err(CidrError::ZoneId { zone: "25eth0".into() }));
        assert_eq!(parse_ip("g::"), Err(CidrError::InvalidChar { pos: 0, ch: 'g' }));
        let long = "0".repeat(46);
        assert_eq!(parse_ip(&long), Err(CidrError::TooLong { len: 46, max: 45 }));
    }

    #[test]
    fn mapped_is_normalised_to_v4() {
        assert_eq!(ip("::ffff:1.2.3.4"), ip("1.2.3.4"));
        assert_eq!(ip("::FFFF:0102:0304"), ip("1.2.3.4"));
        assert!(ip("::1.2.3.4").is_ipv6(), "IPv4-compatible (deprecated) stays IPv6");
        let c = Cidr::parse("::ffff:10.0.0.0/104").unwrap();
        assert_eq!(c.to_string(), "10.0.0.0/8");
        assert!(c.contains(ip("::ffff:10.9.9.9")));
        assert_eq!(Cidr::parse("::ffff:0:0/96").unwrap().to_string(), "0.0.0.0/0");
        let short = Cidr::parse("::/80").unwrap();
        assert!(!short.contains(ip("::ffff:1.2.3.4")), "a short IPv6 prefix never matches IPv4 clients");
    }

    #[test]
    fn cidr_parse_and_contains() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.255.1.1")));
        assert!(!c.contains(ip("11.0.0.0")));
        assert!(!c.contains(ip("::a00:1")));
        assert_eq!(Cidr::parse("10.1.2.3").unwrap().to_string(), "10.1.2.3/32");
        assert_eq!(Cidr::parse("2001:db8::1").unwrap().to_string(), "2001:db8::1/128");
        assert_eq!(Cidr::parse("0.0.0.0/0").unwrap().prefix(), 0);
        assert!(Cidr::parse("::/0").unwrap().contains(ip("2001:db8::1")));
        assert_eq!(Cidr::parse("2001:DB8::/32").unwrap().to_string(), "2001:db8::/32");
    }

    #[test]
    fn cidr_errors() {
        assert_eq!(
            Cidr::parse("10.0.0.1/8"),
            Err(CidrError::HostBitsSet { given: "10.0.0.1/8".into(), normalised: "10.0.0.0/8".into() })
        );
        assert_eq!(
            Cidr::parse("::ffff:10.0.0.1/104"),
            Err(CidrError::HostBitsSet { given: "::ffff:10.0.0.1/104".into(), normalised: "10.0.0.0/8".into() })
        );
        assert_eq!(Cidr::parse("10.0.0.0/33"), Err(CidrError::PrefixOutOfRange { prefix: 33, max: 32 }));
        assert_eq!(Cidr::parse("::/129"), Err(CidrError::PrefixOutOfRange { prefix: 129, max: 128 }));
        assert_eq!(Cidr::parse("::/999"), Err(CidrError::PrefixOutOfRange { prefix: 999, max: 128 }));
        for bad in ["10.0.0.0/", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/1000", "1.0.0.0/255.0.0.0"] {
            assert!(matches!(Cidr::parse(bad), Err(CidrError::InvalidPrefix { .. })), "{bad}");
        }
        assert_eq!(Cidr::parse("fe80::%eth0/64"), Err(CidrError::ZoneId { zone: "eth0".into() }));
        assert_eq!(Cidr::parse("/8"), Err(CidrError::Empty));
        assert!(matches!(Cidr::parse(&"1".repeat(50)), Err(CidrError::TooLong { .. })));
        assert_eq!(
            Cidr::new(IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)), 40),
            Err(CidrError::PrefixOutOfRange { prefix: 40, max: 32 })
        );
    }

    #[test]
    fn display_messages_name_the_problem() {
        let e = Cidr::parse("10.0.0.1/8").unwrap_err().to_string();
        assert!(e.contains("10.0.0.0/8"), "{e}");
        let e = parse_ip("1.2.3.256").unwrap_err().to_string();
        assert!(e.contains("position 6") && e.contains("256"), "{e}");
    }

    #[test]
    fn serde_round_trip() {
        let c: Cidr = serde_json::from_str("\"192.168.0.0/16\"").unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"192.168.0.0/16\"");
        let e = serde_json::from_str::<Cidr>("\"192.168.0.1/16\"").unwrap_err().to_string();
        assert!(e.contains("192.168.0.0/16"), "{e}");
    }
}
