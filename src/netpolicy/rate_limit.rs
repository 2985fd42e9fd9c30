//! Rate limits: the documented numbers and a pure token bucket. A refusal maps to 429 Too Many
//! Requests (RFC 6585 §4) with a `Retry-After` in seconds (RFC 9110 §10.2.3).
//!
//! Two kinds of limit, chosen by what they protect:
//! - [`Limit`]: token buckets for sign-in and second-factor proofs, low-volume and
//!   security-critical. The edge keeps each bucket in its own Durable Object (exact counts,
//!   exact `Retry-After`, a trip can be audited once).
//! - [`WindowLimit`]: fixed windows for the API and SCIM, high-volume. The edge uses the
//!   Workers rate-limiting binding (per-location counters, no extra round trip); the numbers
//!   live in `wrangler.toml` and a test keeps them equal to [`WindowLimit::ALL`].
//!
//! The caller supplies the time and persists the bucket; nothing here reads a clock.

use serde::{Deserialize, Serialize};

/// A token-bucket limit. Capacity is the burst; the bucket refills continuously.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Limit {
    /// Password sign-in attempts from one client address.
    SignInPerIp,
    /// Password sign-in attempts naming one email address, provisioned or not.
    SignInPerAccount,
    /// Second-factor proofs (step-up verify, the sign-in MFA step) from one client address.
    FactorPerIp,
    /// Second-factor proofs by one user.
    FactorPerUser,
}

impl Limit {
    pub const ALL: [Limit; 4] = [Self::SignInPerIp, Self::SignInPerAccount, Self::FactorPerIp, Self::FactorPerUser];

    /// The wire name, in audit rows and the 429 body.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignInPerIp => "SIGN_IN_PER_IP",
            Self::SignInPerAccount => "SIGN_IN_PER_ACCOUNT",
            Self::FactorPerIp => "FACTOR_PER_IP",
            Self::FactorPerUser => "FACTOR_PER_USER",
        }
    }

    /// Burst size.
    pub const fn capacity(self) -> u32 {
        match self {
            Self::SignInPerIp | Self::SignInPerAccount | Self::FactorPerIp => 30,
            Self::FactorPerUser => 10,
        }
    }

    /// Sustained rate: tokens added per minute.
    pub const fn per_minute(self) -> u32 {
        match self {
            Self::SignInPerIp | Self::FactorPerIp => 30,
            Self::SignInPerAccount => 12,
            Self::FactorPerUser => 10,
        }
    }

    /// The Durable Object holding this limit's bucket for `subject` (one object per bucket).
    pub fn object_name(self, subject: &str) -> String {
        format!("{}:{subject}", self.as_str())
    }

    /// When `bucket` will be full again if nothing takes from it: after that it can be forgotten.
    pub fn full_at_ms(self, bucket: &Bucket) -> i64 {
        let missing = (f64::from(self.capacity()) - bucket.tokens.max(0.0)).max(0.0);
        let wait_ms = (missing * 60_000.0 / f64::from(self.per_minute())).ceil();
        bucket.updated_ms.saturating_add(wait_ms as i64)
    }

    /// Takes one token from `bucket` (a fresh one when `None`) at `now_ms`.
    pub fn admit(self, bucket: Option<Bucket>, now_ms: i64) -> (Bucket, Outcome) {
        let capacity = f64::from(self.capacity());
        let mut bucket = bucket.unwrap_or_else(|| Bucket::full(capacity, now_ms));
        let was_refusing = bucket.refusing;
        let outcome = match bucket.take(capacity, f64::from(self.per_minute()) / 60.0, now_ms) {
            Ok(()) => Outcome::Allowed,
            Err(retry_after) => Outcome::Refused { retry_after, first: !was_refusing },
        };
        bucket.refusing = outcome != Outcome::Allowed;
        (bucket, outcome)
    }
}

/// What a bucket said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "outcome")]
pub enum Outcome {
    Allowed,
    /// `first`: the previous attempt was allowed, so this refusal is the trip (audit it once).
    Refused {
        retry_after: RetryAfterSecs,
        first: bool,
    },
}

/// A fixed-window limit enforced by a Workers rate-limiting binding (`[[ratelimits]]` in
/// `wrangler.toml`; the binding allows periods of 10 or 60 seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowLimit {
    pub binding: &'static str,
    /// What the key is, for the 429 body and the README.
    pub name: &'static str,
    pub limit: u32,
    pub period_secs: u32,
}

impl WindowLimit {
    /// Authenticated API calls per credential (session or personal access token).
    pub const API_PER_CREDENTIAL: Self =
        Self { binding: "API_CREDENTIAL_LIMIT", name: "API_PER_CREDENTIAL", limit: 600, period_secs: 60 };
    /// API calls per client address, signed in or not (SCIM routes excepted).
    pub const API_PER_IP: Self = Self { binding: "API_IP_LIMIT", name: "API_PER_IP", limit: 1200, period_secs: 60 };
    /// SCIM calls per SCIM token: an identity provider's initial sync of a large directory
    /// (Entra, Okta push users and groups in bursts) stays well inside it.
    pub const SCIM_PER_TOKEN: Self =
        Self { binding: "SCIM_TOKEN_LIMIT", name: "SCIM_PER_TOKEN", limit: 6000, period_secs: 60 };
    /// SCIM calls per client address.
    pub const SCIM_PER_IP: Self = Self { binding: "SCIM_IP_LIMIT", name: "SCIM_PER_IP", limit: 6000, period_secs: 60 };
    pub const ALL: [Self; 4] = [Self::API_PER_CREDENTIAL, Self::API_PER_IP, Self::SCIM_PER_TOKEN, Self::SCIM_PER_IP];

    /// A caller refused by the window waits at most one period.
    pub const fn retry_after(self) -> RetryAfterSecs {
        RetryAfterSecs(self.period_secs as u64)
    }
}

/// Upper bound on any `Retry-After`, also returned for an unusable configuration.
pub const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// Seconds to wait before a token will be available (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetryAfterSecs(pub u64);

/// Tokens left at `updated_ms` (milliseconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub tokens: f64,
    pub updated_ms: i64,
    /// The last attempt was refused.
    #[serde(default)]
    pub refusing: bool,
}

impl Bucket {
    /// A bucket holding `capacity` tokens at `now_ms`.
    pub fn full(capacity: f64, now_ms: i64) -> Self {
        Self { tokens: capacity, updated_ms: now_ms, refusing: false }
    }

    /// Refills for the time elapsed since the last update, then takes one token.
    ///
    /// A clock that goes backwards adds nothing and never moves `updated_ms` back. A capacity
    /// below 1 or a non-positive or non-finite rate refuses with [`MAX_RETRY_AFTER_SECS`].
    pub fn take(&mut self, capacity: f64, refill_per_sec: f64, now_ms: i64) -> Result<(), RetryAfterSecs> {
        let usable = capacity.is_finite() && capacity >= 1.0 && refill_per_sec.is_finite() && refill_per_sec > 0.0;
        if !usable {
            return Err(RetryAfterSecs(MAX_RETRY_AFTER_SECS));
        }
        self.refill(capacity, refill_per_sec, now_ms);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            return Ok(());
        }
        let wait = ((1.0 - self.tokens) / refill_per_sec).ceil();
        Err(RetryAfterSecs(clamp_secs(wait)))
    }

    fn refill(&mut self, capacity: f64, refill_per_sec: f64, now_ms: i64) {
        let elapsed_ms = now_ms.saturating_sub(self.updated_ms).max(0) as f64;
        let current = if self.tokens.is_finite() { self.tokens.max(0.0) } else { 0.0 };
        self.tokens = (current + elapsed_ms * refill_per_sec / 1000.0).min(capacity);
        self.updated_ms = self.updated_ms.max(now_ms);
    }
}

fn clamp_secs(wait: f64) -> u64 {
    if wait >= MAX_RETRY_AFTER_SECS as f64 {
        MAX_RETRY_AFTER_SECS
    } else {
        (wait as u64).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_refuse_then_refill() {
        let mut b = Bucket::full(3.0, 0);
        for _ in 0..3 {
            assert_eq!(b.take(3.0, 1.0, 0), Ok(()));
        }
        assert_eq!(b.take(3.0, 1.0, 0), Err(RetryAfterSecs(1)));
        assert_eq!(b.take(3.0, 1.0, 999), Err(RetryAfterSecs(1)));
        assert_eq!(b.take(3.0, 1.0, 1000), Ok(()));
        assert_eq!(b.take(3.0, 1.0, 1000), Err(RetryAfterSecs(1)));
    }

    #[test]
    fn retry_after_reflects_slow_refill() {
        let mut b = Bucket::full(1.0, 0);
        assert_eq!(b.take(1.0, 0.1, 0), Ok(()));
        assert_eq!(b.take(1.0, 0.1, 0), Err(RetryAfterSecs(10)));
        assert_eq!(b.take(1.0, 0.1, 5_000), Err(RetryAfterSecs(5)));
        assert_eq!(b.take(1.0, 0.1, 10_000), Ok(()));
    }

    #[test]
    fn refill_is_capped_at_capacity() {
        let mut b = Bucket { tokens: 0.0, updated_ms: 0, refusing: false };
        assert_eq!(b.take(5.0, 100.0, 3_600_000), Ok(()));
        assert_eq!(b.tokens, 4.0);
    }

    #[test]
    fn clock_going_backwards_adds_nothing() {
        let mut b = Bucket { tokens: 0.0, updated_ms: 10_000, refusing: false };
        assert_eq!(b.take(2.0, 1.0, 5_000), Err(RetryAfterSecs(1)));
        assert_eq!(b.updated_ms, 10_000);
        assert_eq!(b.take(2.0, 1.0, 11_000), Ok(()));
        let mut far = Bucket { tokens: 0.0, updated_ms: i64::MAX, refusing: false };
        assert!(far.take(2.0, 1.0, i64::MIN).is_err());
        let mut early = Bucket { tokens: 0.0, updated_ms: i64::MIN, refusing: false };
        assert_eq!(early.take(2.0, 1.0, i64::MAX), Ok(()));
    }

    #[test]
    fn unusable_configuration_and_corrupt_state() {
        let mut b = Bucket::full(10.0, 0);
        for (cap, rate) in [(0.5, 1.0), (10.0, 0.0), (10.0, -1.0), (f64::NAN, 1.0), (10.0, f64::INFINITY)] {
            assert_eq!(b.take(cap, rate, 0), Err(RetryAfterSecs(MAX_RETRY_AFTER_SECS)));
        }
        let mut tiny = Bucket { tokens: 0.0, updated_ms: 0, refusing: false };
        assert_eq!(tiny.take(1.0, 1e-9, 0), Err(RetryAfterSecs(MAX_RETRY_AFTER_SECS)));
        let mut nan = Bucket { tokens: f64::NAN, updated_ms: 0, refusing: false };
        assert_eq!(nan.take(1.0, 1.0, 0), Err(RetryAfterSecs(1)));
        assert_eq!(nan.take(1.0, 1.0, 1000), Ok(()));
    }

    #[test]
    fn json_shape() {
        let b = Bucket { tokens: 1.5, updated_ms: 42, refusing: true };
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"tokens":1.5,"updatedMs":42,"refusing":true}"#);
        let old: Bucket = serde_json::from_str(r#"{"tokens":2,"updatedMs":7}"#).unwrap();
        assert_eq!(old, Bucket { tokens: 2.0, updated_ms: 7, refusing: false });
    }

    #[test]
    fn sign_in_per_ip_allows_its_burst_then_trips_once_then_recovers() {
        let limit = Limit::SignInPerIp;
        let mut bucket = None;
        for _ in 0..limit.capacity() {
            let (b, outcome) = limit.admit(bucket, 0);
            assert_eq!(outcome, Outcome::Allowed);
            bucket = Some(b);
        }
        let (b, trip) = limit.admit(bucket, 0);
        assert_eq!(trip, Outcome::Refused { retry_after: RetryAfterSecs(2), first: true });
        let (b, again) = limit.admit(Some(b), 1_000);
        assert_eq!(again, Outcome::Refused { retry_after: RetryAfterSecs(1), first: false });
        let (b, ok) = limit.admit(Some(b), 2_000);
        assert_eq!(ok, Outcome::Allowed);
        assert!(!b.refusing);
        let (_, trip_again) = limit.admit(Some(b), 2_000);
        assert!(matches!(trip_again, Outcome::Refused { first: true, .. }));
    }

    #[test]
    fn full_at_is_when_the_refill_tops_the_bucket_up() {
        let limit = Limit::SignInPerIp;
        let (bucket, _) = limit.admit(None, 1_000);
        assert_eq!(limit.full_at_ms(&bucket), 3_000);
        let (empty, _) = limit.admit(Some(Bucket { tokens: 1.0, ..bucket }), 1_000);
        assert_eq!(limit.full_at_ms(&empty), 61_000);
        let (again, _) = limit.admit(Some(empty), 61_000);
        assert_eq!(limit.full_at_ms(&again), 63_000);
    }

    #[test]
    fn every_limit_is_usable_and_named_uniquely() {
        let names: std::collections::BTreeSet<_> = Limit::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(names.len(), Limit::ALL.len());
        for limit in Limit::ALL {
            assert!(limit.capacity() >= 1 && limit.per_minute() >= 1, "{limit:?}");
            assert_eq!(serde_json::to_value(limit).unwrap(), limit.as_str());
            assert_eq!(limit.object_name("1.2.3.4"), format!("{}:1.2.3.4", limit.as_str()));
        }
    }

    #[test]
    fn factor_per_user_refill_gives_a_six_second_retry_after() {
        let limit = Limit::FactorPerUser;
        let mut bucket = Bucket { tokens: 0.0, updated_ms: 0, refusing: false };
        assert_eq!(limit.admit(Some(bucket), 0).1, Outcome::Refused { retry_after: RetryAfterSecs(6), first: true });
        bucket.tokens = 0.5;
        assert_eq!(limit.admit(Some(bucket), 0).1, Outcome::Refused { retry_after: RetryAfterSecs(3), first: true });
    }

    /// The binding's numbers live in wrangler.toml, for development and for production; they
    /// must say what docs/api.md (Rate limits) and the 429 body say.
    #[test]
    fn window_limits_match_wrangler_toml() {
        let toml = include_str!("../../wrangler.toml");
        for header in ["[[ratelimits]]", "[[env.production.ratelimits]]"] {
            let blocks: Vec<&str> = toml.split(header).skip(1).collect();
            assert_eq!(blocks.len(), WindowLimit::ALL.len(), "one {header} block per WindowLimit");
            for w in WindowLimit::ALL {
                let block = blocks
                    .iter()
                    .find(|b| b.contains(&format!("name = \"{}\"", w.binding)))
                    .unwrap_or_else(|| panic!("no {header} block for {}", w.binding));
                let simple = format!("simple = {{ limit = {}, period = {} }}", w.limit, w.period_secs);
                assert!(block.contains(&simple), "{}: expected `{simple}` in {block}", w.binding);
                assert!(matches!(w.period_secs, 10 | 60), "the binding allows 10 or 60 s");
                assert_eq!(w.retry_after(), RetryAfterSecs(u64::from(w.period_secs)));
            }
        }
    }
}
