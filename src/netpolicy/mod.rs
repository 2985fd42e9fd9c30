//! Per-workspace network policy: address and CIDR parsing (RFC 4291 §2.2 and §2.5.5.2,
//! RFC 4632, RFC 5952, RFC 6874), a longest-prefix-match set, the policy evaluator with its
//! lockout guard, a what-if replay over the audit ledger, and a token bucket for rate limiting.
pub mod cidr;
pub mod diff;
pub mod policy;
pub mod prefix_set;
pub mod rate_limit;
pub mod whatif;
