//! Longest-prefix match over labelled CIDRs (RFC 4632 §5.1), IPv4 and IPv6 (RFC 4291 §2.5).
//!
//! Prefixes are compiled into two binary tries (32-bit and 128-bit keys), so a lookup walks at
//! most 32 or 128 nodes whatever the number of rules. IPv4-mapped IPv6 addresses
//! (RFC 4291 §2.5.5.2) are looked up in the IPv4 trie.

use std::net::IpAddr;

use super::cidr::{self, Cidr};

/// Index meaning "no child"; the root (index 0) is never anyone's child.
const ABSENT: usize = 0;

#[derive(Debug, Clone, Default)]
struct Node {
    zero: usize,
    one: usize,
    item: Option<usize>,
}

impl Node {
    fn child(&self, bit: bool) -> usize {
        if bit {
            self.one
        } else {
            self.zero
        }
    }
}

#[derive(Debug, Clone)]
struct Trie {
    width: u8,
    nodes: Vec<Node>,
}

impl Trie {
    fn new(width: u8) -> Self {
        Self { width, nodes: vec![Node::default()] }
    }

    /// Bit `depth` of `key`, counted from the most significant of `width` bits.
    fn bit(&self, key: u128, depth: u8) -> bool {
        (key >> (self.width - 1 - depth)) & 1 == 1
    }

    /// Index of the child of `at` along `bit`, creating it if needed.
    fn descend_or_grow(&mut self, at: usize, bit: bool) -> usize {
        let existing = self.nodes.get(at).map_or(ABSENT, |n| n.child(bit));
        if existing != ABSENT {
            return existing;
        }
        let fresh = self.nodes.len();
        self.nodes.push(Node::default());
        if let Some(node) = self.nodes.get_mut(at) {
            if bit {
                node.one = fresh;
            } else {
                node.zero = fresh;
            }
        }
        fresh
    }

    /// Stores `item` at the prefix; returns false (keeping the first) if one is already there.
    fn insert(&mut self, key: u128, prefix: u8, item: usize) -> bool {
        let mut at = 0;
        for depth in 0..prefix.min(self.width) {
            at = self.descend_or_grow(at, self.bit(key, depth));
        }
        match self.nodes.get_mut(at) {
            Some(node) if node.item.is_none() => {
                node.item = Some(item);
                true
            }
            _ => false,
        }
    }

    /// The item of the longest stored prefix that covers `key`.
    fn lookup(&self, key: u128) -> Option<usize> {
        let mut best = None;
        let mut at = 0;
        for depth in 0..=self.width {
            let Some(node) = self.nodes.get(at) else { break };
            best = node.item.or(best);
            if depth == self.width {
                break;
            }
            at = node.child(self.bit(key, depth));
            if at == ABSENT {
                break;
            }
        }
        best
    }
}

/// A compiled set of CIDRs, each labelled with an item (typically a rule).
#[derive(Debug, Clone)]
pub struct PrefixSet<T> {
    v4: Trie,
    v6: Trie,
    items: Vec<T>,
}

impl<T> Default for PrefixSet<T> {
    fn default() -> Self {
        Self { v4: Trie::new(32), v6: Trie::new(128), items: Vec::new() }
    }
}

impl<T> PrefixSet<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a labelled prefix. If the same prefix is already present the first label is kept
    /// and `false` is returned.
    pub fn insert(&mut self, cidr: Cidr, item: T) -> bool {
        let index = self.items.len();
        let trie = if cidr.width() == 32 { &mut self.v4 } else { &mut self.v6 };
        let added = trie.insert(cidr.key(), cidr.prefix(), index);
        if added {
            self.items.push(item);
        }
        added
    }

    /// The item of the most specific prefix containing `ip` (IPv4-mapped IPv6 counts as IPv4).
    pub fn longest_match(&self, ip: IpAddr) -> Option<&T> {
        let ip = cidr::normalise_ip(ip);
        let trie = if ip.is_ipv4() { &self.v4 } else { &self.v6 };
        trie.lookup(cidr::key(ip)).and_then(|i| self.items.get(i))
    }

    /// Number of distinct prefixes stored.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether no prefix is stored.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

impl<T> FromIterator<(Cidr, T)> for PrefixSet<T> {
    fn from_iter<I: IntoIterator<Item = (Cidr, T)>>(iter: I) -> Self {
        let mut set = Self::new();
        for (cidr, item) in iter {
            set.insert(cidr, item);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Rng;
    use std::net::{Ipv4Addr, Ipv6Addr};

    /// Reference: scan every rule; the longest containing prefix wins, the first on ties.
    fn naive(rules: &[(Cidr, usize)], ip: IpAddr) -> Option<usize> {
        let mut best: Option<(u8, usize)> = None;
        for (c, id) in rules {
            if c.contains(ip) && best.is_none_or(|(p, _)| c.prefix() > p) {
                best = Some((c.prefix(), *id));
            }
        }
        best.map(|(_, id)| id)
    }

    fn v4(bits: u32, prefix: u8) -> Cidr {
        let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
        Cidr::new(IpAddr::V4(Ipv4Addr::from(bits & mask)), prefix).unwrap()
    }

    fn v6(bits: u128, prefix: u8) -> Cidr {
        let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
        Cidr::new(IpAddr::V6(Ipv6Addr::from(bits & mask)), prefix).unwrap()
    }

    /// Compares the trie with the naive matcher; returns how many probes matched something.
    fn check(rules: &[(Cidr, usize)], ips: impl IntoIterator<Item = IpAddr>) -> usize {
        let set: PrefixSet<usize> = rules.iter().copied().collect();
        let mut hits = 0;
        for ip in ips {
            let found = set.longest_match(ip).copied();
            assert_eq!(found, naive(rules, ip), "{ip}");
            hits += usize::from(found.is_some());
        }
        hits
    }

    /// All prefixes of length 0..=8 over the first octet.
    fn small_v4_prefixes() -> Vec<Cidr> {
        (0..=8u8)
            .flat_map(|p| (0..1u32 << p).map(move |n| v4(n.checked_shl(32 - u32::from(p)).unwrap_or(0), p)))
            .collect()
    }

    #[test]
    fn exhaustive_small_v4_prefixes() {
        let all = small_v4_prefixes();
        assert_eq!(all.len(), 511);
        let probes =
            || (0..=255u32).flat_map(|b| [b << 24, (b << 24) | 0x00FF_FFFF]).map(|a| IpAddr::V4(Ipv4Addr::from(a)));
        let mut rng = Rng(7);
        for round in 0..64 {
            let keep = 1 + rng.below(8);
            let rules: Vec<(Cidr, usize)> =
                all.iter().enumerate().filter(|_| round == 0 || rng.below(keep) == 0).map(|(i, c)| (*c, i)).collect();
            assert!(check(&rules, probes()) > 0);
        }
    }

    #[test]
    fn exhaustive_small_v6_prefixes_and_mapped() {
        let mut rules = Vec::new();
        for p in 0..=8u8 {
            for n in 0..1u128 << p {
                rules.push((v6(n.checked_shl(128 - u32::from(p)).unwrap_or(0), p), rules.len()));
            }
        }
        rules.push((v4(0x0A00_0000, 8), rules.len()));
        let probes = (0..=255u128).map(|b| IpAddr::V6(Ipv6Addr::from((b << 120) | 1)));
        assert_eq!(check(&rules, probes), 256);
        let mapped = IpAddr::V6(Ipv4Addr::new(10, 1, 2, 3).to_ipv6_mapped());
        let set: PrefixSet<usize> = rules.iter().copied().collect();
        assert_eq!(set.longest_match(mapped).copied(), Some(rules.len() - 1));
    }

    fn random_rules(rng: &mut Rng, count: usize) -> Vec<(Cidr, usize)> {
        let bases: Vec<u128> = (0..8).map(|_| rng.u128()).collect();
        (0..count)
            .map(|i| {
                let base = bases.get(rng.below(8)).copied().unwrap_or(0) ^ (rng.u128() >> rng.below(128));
                let cidr = if rng.below(2) == 0 {
                    v4(base as u32, rng.below(33) as u8)
                } else {
                    v6(base, rng.below(129) as u8)
                };
                (cidr, i)
            })
            .collect()
    }

    fn random_probe(rng: &mut Rng, rules: &[(Cidr, usize)]) -> IpAddr {
        let noise = rng.u128() >> rng.below(129).min(127);
        let Some((c, _)) = rules.get(rng.below(rules.len())) else { return IpAddr::V4(0.into()) };
        match c.addr() {
            IpAddr::V4(a) if rng.below(4) == 0 => {
                IpAddr::V6((Ipv4Addr::from(u32::from(a) ^ noise as u32)).to_ipv6_mapped())
            }
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) ^ noise as u32)),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) ^ noise)),
        }
    }

    #[test]
    fn randomized_against_naive_10000_cases() {
        let mut rng = Rng(0xA515_5E11);
        let mut hits = 0;
        for _ in 0..20 {
            let count = 1 + rng.below(300);
            let rules = random_rules(&mut rng, count);
            let probes: Vec<IpAddr> = (0..500).map(|_| random_probe(&mut rng, &rules)).collect();
            hits += check(&rules, probes);
        }
        assert!((3_000..10_000).contains(&hits), "matches and misses both exercised: {hits}");
    }

    #[test]
    fn duplicates_keep_first_and_empty_set_matches_nothing() {
        let mut set = PrefixSet::new();
        assert!(set.is_empty());
        assert_eq!(set.longest_match("1.2.3.4".parse().unwrap()), None::<&&str>);
        assert!(set.insert(v4(0x0A00_0000, 8), "first"));
        assert!(!set.insert(v4(0x0A00_0000, 8), "second"));
        assert!(set.insert(v4(0, 0), "default"));
        assert_eq!(set.len(), 2);
        assert_eq!(set.longest_match("10.0.0.1".parse().unwrap()), Some(&"first"));
        assert_eq!(set.longest_match("11.0.0.1".parse().unwrap()), Some(&"default"));
        assert_eq!(set.longest_match("::1".parse().unwrap()), None);
    }

    #[test]
    fn host_routes_match_exactly() {
        let set: PrefixSet<u8> =
            [(v4(u32::MAX, 32), 1), (v6(u128::MAX, 128), 2), (v6(0, 128), 3)].into_iter().collect();
        assert_eq!(set.longest_match("255.255.255.255".parse().unwrap()), Some(&1));
        assert_eq!(set.longest_match("255.255.255.254".parse().unwrap()), None);
        assert_eq!(set.longest_match("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff".parse().unwrap()), Some(&2));
        assert_eq!(set.longest_match("::".parse().unwrap()), Some(&3));
    }
}
