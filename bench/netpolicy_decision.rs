//! Network-policy decision time at the documented maximum (10,000 rules), natively: compile
//! once, then evaluate addresses that hit and miss, IPv4 and IPv6. Prints ns per decision
//! (median of 11 batches) against the 10 µs target, and the same figure at 10 rules
//! to show that lookup cost does not grow with the rule count. Run: `cargo bench --bench
//! netpolicy_decision` (bench/run does).

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use axissynapse_edge::netpolicy::policy::{evaluate, AdminBypass, CompiledPolicy, Mode, Policy, Rule, Surface};

/// The tests' deterministic generator, so every run measures the same rules and addresses.
#[allow(dead_code)]
#[path = "../src/test_rng.rs"]
mod test_rng;
use test_rng::Rng;

fn rules(n: usize, rng: &mut Rng) -> Vec<Rule> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let r = rng.next_u64();
        let cidr = if r.is_multiple_of(4) {
            let prefix = 32 + (r >> 8) % 33;
            let addr =
                Ipv6Addr::from(((0x2001_0db8u128 << 96) | (u128::from(rng.next_u64()) << 32)) & mask6(prefix as u32));
            format!("{addr}/{prefix}")
        } else {
            let prefix = 16 + (r >> 8) % 17;
            let addr = Ipv4Addr::from((rng.next_u64() as u32) & mask4(prefix as u32));
            format!("{addr}/{prefix}")
        };
        if seen.insert(cidr.clone()) {
            let cidr = cidr.parse().expect("generated CIDR parses");
            out.push(Rule { id: format!("r{}", out.len()), cidr, label: "bench".into() });
        }
    }
    out
}

fn mask4(prefix: u32) -> u32 {
    u32::MAX.checked_shl(32 - prefix).unwrap_or(0)
}

fn mask6(prefix: u32) -> u128 {
    u128::MAX.checked_shl(128 - prefix).unwrap_or(0)
}

/// Addresses to look up: half inside a rule (its network address), half random.
fn probes(rules: &[Rule], rng: &mut Rng) -> Vec<IpAddr> {
    (0..4096)
        .map(|i| {
            if i % 2 == 0 {
                let text = rules[(rng.next_u64() as usize) % rules.len()].cidr.to_string();
                text.split('/').next().and_then(|a| a.parse().ok()).expect("network address")
            } else if i % 4 == 1 {
                IpAddr::V4(Ipv4Addr::from(rng.next_u64() as u32))
            } else {
                IpAddr::V6(Ipv6Addr::from((0x2001_0db8u128 << 96) | u128::from(rng.next_u64())))
            }
        })
        .collect()
}

/// Median ns per decision over 11 batches of 200,000.
fn ns_per_decision(policy: &CompiledPolicy, probes: &[IpAddr]) -> f64 {
    let mut batches: Vec<f64> = (0..11)
        .map(|_| {
            let start = Instant::now();
            for i in 0..200_000 {
                black_box(evaluate(policy, black_box(probes[i % probes.len()]), Surface::Api, false));
            }
            start.elapsed().as_nanos() as f64 / 200_000.0
        })
        .collect();
    batches.sort_by(f64::total_cmp);
    batches[5]
}

fn measure(n: usize) -> (f64, f64) {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let rules = rules(n, &mut rng);
    let probes = probes(&rules, &mut rng);
    let policy = Policy { mode: Mode::Allowlist, rules, admin_bypass: AdminBypass::None, ..Policy::default() };
    policy.validate().expect("bench policy is valid");
    let start = Instant::now();
    let compiled = CompiledPolicy::compile(&policy);
    let compile_ms = start.elapsed().as_secs_f64() * 1000.0;
    (ns_per_decision(&compiled, &probes), compile_ms)
}

/// Prints table rows, tab-separated: figure, measured, baseline, ratio (the format bench/run
/// collects into its one table).
fn main() {
    let (small, _) = measure(10);
    let (large, compile_ms) = measure(10_000);
    println!("network-policy decision, 10,000 rules (native)\t{large:.0} ns\ttarget 10 µs\t{:.3}×", large / 10_000.0);
    println!("same, 10,000 rules against 10 rules\t{large:.0} ns\t10 rules {small:.0} ns\t{:.2}×", large / small);
    println!("compile 10,000 rules (native, once per policy version per isolate)\t{compile_ms:.1} ms\t–\t–");
}
