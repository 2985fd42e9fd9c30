//! A pure token bucket for rate limiting; a refusal maps to 429 Too Many Requests
//! (RFC 6585 §4) with a `Retry-After` in seconds (RFC 9110 §10.2.3). The caller supplies the
//! time and persists the bucket (e.g. in a Durable Object); nothing here reads a clock.

use serde::{Deserialize, Serialize};

/// Upper bound on any `Retry-After`, also returned for an unusable configuration.
pub const MAX_RETRY_AFTER_SECS: u64 = 86_400;

/// Seconds to wait before a token will be available (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfterSecs(pub u64);

/// Tokens left at `updated_ms` (milliseconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bucket {
    pub tokens: f64,
    pub updated_ms: i64,
}

impl Bucket {
    /// A bucket holding `capacity` tokens at `now_ms`.
    pub fn full(capacity: f64, now_ms: i64) -> Self {
        Self { tokens: capacity, updated_ms: now_ms }
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
        let mut b = Bucket { tokens: 0.0, updated_ms: 0 };
        assert_eq!(b.take(5.0, 100.0, 3_600_000), Ok(()));
        assert_eq!(b.tokens, 4.0);
    }

    #[test]
    fn clock_going_backwards_adds_nothing() {
        let mut b = Bucket { tokens: 0.0, updated_ms: 10_000 };
        assert_eq!(b.take(2.0, 1.0, 5_000), Err(RetryAfterSecs(1)));
        assert_eq!(b.updated_ms, 10_000);
        assert_eq!(b.take(2.0, 1.0, 11_000), Ok(()));
        let mut far = Bucket { tokens: 0.0, updated_ms: i64::MAX };
        assert!(far.take(2.0, 1.0, i64::MIN).is_err());
        let mut early = Bucket { tokens: 0.0, updated_ms: i64::MIN };
        assert_eq!(early.take(2.0, 1.0, i64::MAX), Ok(()));
    }

    #[test]
    fn unusable_configuration_and_corrupt_state() {
        let mut b = Bucket::full(10.0, 0);
        for (cap, rate) in [(0.5, 1.0), (10.0, 0.0), (10.0, -1.0), (f64::NAN, 1.0), (10.0, f64::INFINITY)] {
            assert_eq!(b.take(cap, rate, 0), Err(RetryAfterSecs(MAX_RETRY_AFTER_SECS)));
        }
        let mut tiny = Bucket { tokens: 0.0, updated_ms: 0 };
        assert_eq!(tiny.take(1.0, 1e-9, 0), Err(RetryAfterSecs(MAX_RETRY_AFTER_SECS)));
        let mut nan = Bucket { tokens: f64::NAN, updated_ms: 0 };
        assert_eq!(nan.take(1.0, 1.0, 0), Err(RetryAfterSecs(1)));
        assert_eq!(nan.take(1.0, 1.0, 1000), Ok(()));
    }

    #[test]
    fn json_shape() {
        let b = Bucket { tokens: 1.5, updated_ms: 42 };
        assert_eq!(serde_json::to_string(&b).unwrap(), r#"{"tokens":1.5,"updatedMs":42}"#);
    }
}
