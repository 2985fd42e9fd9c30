//! IP and CIDR parsing and matching (`netpolicy::cidr`, `netpolicy::prefix_set`).
//!
//! The input, when UTF-8, is split at the first newline into `<address>\n<cidr>`:
//! * `parse_ip` on both fields and `Cidr::parse` on the second;
//! * an accepted CIDR re-parses from its `Display` form to itself (normalised, host bits zero);
//! * when both parse, `Cidr::contains(ip)` agrees with a one-rule `PrefixSet` lookup.
//! Nothing may panic.
#![no_main]

use axissynapse_edge::netpolicy::cidr::{parse_ip, Cidr};
use axissynapse_edge::netpolicy::prefix_set::PrefixSet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (address, network) = text.split_once('\n').unwrap_or((text, text));
    let ip = parse_ip(address);
    let _ = parse_ip(network);
    let Ok(cidr) = Cidr::parse(network) else {
        return;
    };
    assert_eq!(Cidr::parse(&cidr.to_string()).ok(), Some(cidr), "Display form re-parses to itself");
    if let Ok(ip) = ip {
        let set: PrefixSet<()> = std::iter::once((cidr, ())).collect();
        assert_eq!(cidr.contains(ip), set.longest_match(ip).is_some(), "contains agrees with the trie");
    }
});
