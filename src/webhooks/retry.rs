//! Webhook delivery outcome and retry schedule (event-webhooks design, "Delivery and retries").
//!
//! A 2xx answer delivers; 410 Gone disables the endpoint; any other status, a timeout or a
//! network error is retried after the [`SCHEDULE_SECS`] delay for that attempt, ±10 % jitter,
//! unless the receiver sent `Retry-After` (RFC 9110 §10.2.3), which then wins. After
//! [`MAX_ATTEMPTS`] attempts the message is given up. Delays never exceed [`MAX_DELAY_SECS`],
//! the longest delay Cloudflare Queues accepts for a retry.
//!
//! Delays are in milliseconds, so the jitter spreads retries to the millisecond (a 5 s retry
//! falls anywhere in 4.500–5.500 s). Queues delay a message by whole seconds only
//! (`delaySeconds`), so a retry is queued for [`queue_delay_secs`] (the whole seconds, never
//! past the due time) and carries its due time; the consumer waits the rest.

use crate::time;

/// Delay in seconds after failed attempt `n` (1-based) is `SCHEDULE_SECS[n - 1]`:
/// 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const SCHEDULE_SECS: [u64; 7] = [5, 300, 1800, 7200, 18000, 36000, 36000];
/// Attempts per message: the first delivery and one retry per [`SCHEDULE_SECS`] entry.
pub const MAX_ATTEMPTS: u32 = 8;
/// Cloudflare Queues' largest retry delay: 12 hours.
pub const MAX_DELAY_SECS: u64 = 43_200;
/// Length of an IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT`.
const IMF_FIXDATE_LEN: usize = 29;
const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTH_NAMES: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// What one delivery attempt means for the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Try again later (non-2xx other than 410, timeout, network error).
    Retry,
    /// The receiver answered 410 Gone: stop and disable the endpoint.
    Gone,
}

/// Classifies an attempt by its HTTP status; `None` is a timeout or network error.
pub fn classify(status: Option<u16>) -> Outcome {
    match status {
        Some(200..=299) => Outcome::Delivered,
        Some(410) => Outcome::Gone,
        _ => Outcome::Retry,
    }
}

/// Milliseconds to wait after `failed_attempt` (1-based; 0 counts as 1) failed, or `None` once
/// [`MAX_ATTEMPTS`] attempts were made. A `Retry-After` value wins over the schedule (taken
/// as is, to the second); the schedule entry is scaled by a factor in 0.9..=1.1 derived from
/// the caller's random `jitter`, to the millisecond. Always at least 1 s and at most
/// [`MAX_DELAY_SECS`].
pub fn next_delay_ms(failed_attempt: u32, retry_after_secs: Option<u64>, jitter: u32) -> Option<u64> {
    if failed_attempt >= MAX_ATTEMPTS {
        return None;
    }
    let delay = match retry_after_secs {
        Some(secs) => secs.saturating_mul(1000),
        None => jittered(scheduled(failed_attempt) * 1000, jitter),
    };
    Some(delay.clamp(1000, MAX_DELAY_SECS * 1000))
}

/// The queue delay for a retry due in `delay_ms`: its whole seconds (Queues' granularity),
/// rounded down so the wake-up never comes after the due time; the consumer waits the
/// remaining milliseconds. At most [`MAX_DELAY_SECS`].
pub fn queue_delay_secs(delay_ms: u64) -> u32 {
    u32::try_from((delay_ms / 1000).min(MAX_DELAY_SECS)).unwrap_or(0)
}

/// The schedule entry for a failed attempt (1-based).
fn scheduled(failed_attempt: u32) -> u64 {
    let index = usize::try_from(failed_attempt.max(1) - 1).unwrap_or(usize::MAX);
    SCHEDULE_SECS.get(index).or(SCHEDULE_SECS.last()).copied().unwrap_or(MAX_DELAY_SECS)
}

/// `base × (0.9 + 0.2 × jitter / u32::MAX)`, rounded half up, in exact integer arithmetic.
fn jittered(base: u64, jitter: u32) -> u64 {
    let full = u128::from(u32::MAX);
    let numerator = u128::from(base) * (9 * full + 2 * u128::from(jitter));
    let denominator = 10 * full;
    u64::try_from((numerator + denominator / 2) / denominator).unwrap_or(u64::MAX)
}

/// Reads a `Retry-After` value (RFC 9110 §10.2.3) as seconds from `now_ms`: delta-seconds, or
/// an IMF-fixdate (RFC 9110 §5.6.7; a date in the past gives 0). `None` for anything else,
/// including the obsolete RFC 850 and asctime date forms.
pub fn parse_retry_after(value: &str, now_ms: i64) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Delta-seconds too large for u64 still mean "a very long time".
        return Some(value.parse().unwrap_or(u64::MAX));
    }
    let at_ms = parse_imf_fixdate(value)?;
    let wait_ms = u64::try_from(at_ms.saturating_sub(now_ms)).unwrap_or(0);
    Some(wait_ms.div_ceil(1000))
}

/// Parses `Sun, 06 Nov 1994 08:49:37 GMT` into Unix milliseconds. The fixed layout is checked
/// here; the digits, field ranges and calendar are checked by [`time::parse`].
fn parse_imf_fixdate(value: &str) -> Option<i64> {
    if value.len() != IMF_FIXDATE_LEN || !value.is_ascii() {
        return None;
    }
    let field = |range: std::ops::Range<usize>| value.get(range).unwrap_or_default();
    let layout_ok = DAY_NAMES.contains(&field(0..3))
        && field(3..5) == ", "
        && field(7..8) == " "
        && field(11..12) == " "
        && field(16..17) == " "
        && field(25..29) == " GMT";
    let month = MONTH_NAMES.iter().position(|&m| m == field(8..11))? + 1;
    let (day, year, clock) = (field(5..7), field(12..16), field(17..25));
    let digits_ok = [day, year].iter().all(|s| s.bytes().all(|b| b.is_ascii_digit()))
        && clock.bytes().enumerate().all(|(i, b)| if i % 3 == 2 { b == b':' } else { b.is_ascii_digit() });
    if !layout_ok || !digits_ok {
        return None;
    }
    time::parse(&format!("{year}-{month:02}-{day}T{clock}Z")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 1994-11-06T08:49:37Z, the RFC 9110 example date.
    const EXAMPLE_MS: i64 = 784_111_777_000;

    #[test]
    fn classify_2xx_delivers_410_is_gone_rest_retries() {
        assert_eq!(classify(Some(200)), Outcome::Delivered);
        assert_eq!(classify(Some(204)), Outcome::Delivered);
        assert_eq!(classify(Some(299)), Outcome::Delivered);
        assert_eq!(classify(Some(410)), Outcome::Gone);
        for status in [Some(100), Some(301), Some(400), Some(404), Some(429), Some(500), Some(503), None] {
            assert_eq!(classify(status), Outcome::Retry, "{status:?}");
        }
    }

    #[test]
    fn backoff_schedule_matches_readme() {
        // | failed attempt | 1   | 2     | 3      | 4   | 5   | 6    | 7    | 8       |
        // | next try after | 5 s | 5 min | 30 min | 2 h | 5 h | 10 h | 10 h | give up |
        let mid = u32::MAX / 2 + 1;
        let expected = [5, 300, 1800, 7200, 18000, 36000, 36000];
        for (attempt, secs) in (1..).zip(expected) {
            assert_eq!(next_delay_ms(attempt, None, mid), Some(secs * 1000), "attempt {attempt}");
        }
        assert_eq!(next_delay_ms(8, None, mid), None);
        assert_eq!(SCHEDULE_SECS.len() + 1, MAX_ATTEMPTS as usize);
    }

    #[test]
    fn jitter_bounds_at_zero_and_max() {
        for (attempt, base) in (1..).zip(SCHEDULE_SECS) {
            let low = next_delay_ms(attempt, None, 0).unwrap();
            let high = next_delay_ms(attempt, None, u32::MAX).unwrap();
            assert_eq!(low, base * 900, "attempt {attempt}");
            assert_eq!(high, base * 1100, "attempt {attempt}");
            for j in [1, 12_345, u32::MAX / 3, u32::MAX - 1] {
                let d = next_delay_ms(attempt, None, j).unwrap();
                assert!((low..=high).contains(&d), "attempt {attempt} jitter {j}");
            }
        }
        assert_eq!(next_delay_ms(6, None, u32::MAX), Some(39_600_000));
    }

    /// The jitter is applied to the millisecond: 1,001 jitters spread evenly over their range
    /// give 1,001 different delays, for a 5 s retry between 4.500 and 5.500 s and only one of
    /// them a whole second (rounded to the second, all but the very top were 5 s).
    #[test]
    fn jitter_spreads_retries_below_the_second() {
        for (attempt, base_ms) in [(1, 5_000_u64), (2, 300_000), (7, 36_000_000)] {
            let delays: std::collections::BTreeSet<u64> =
                (0..=1000_u32).map(|k| next_delay_ms(attempt, None, k * (u32::MAX / 1000)).unwrap()).collect();
            assert_eq!(delays.len(), 1001, "attempt {attempt}: every jitter step is a distinct delay");
            assert_eq!(delays.first(), Some(&(base_ms * 9 / 10)));
            assert!(*delays.last().unwrap() <= base_ms * 11 / 10);
            let whole_seconds = delays.iter().filter(|d| *d % 1000 == 0).count();
            assert!(whole_seconds * 4 < delays.len(), "attempt {attempt}: {whole_seconds} whole-second delays");
        }
        let five: Vec<u64> = (0..=10_u32).map(|k| next_delay_ms(1, None, k * (u32::MAX / 10)).unwrap()).collect();
        assert_eq!(five, [4500, 4600, 4700, 4800, 4900, 5000, 5100, 5200, 5300, 5400, 5500]);
        assert_eq!(next_delay_ms(1, None, 1 << 20), Some(4500));
        assert_eq!(next_delay_ms(1, None, 12_345_678), Some(4503));
        assert_eq!(next_delay_ms(1, None, u32::MAX / 7), Some(4643));
    }

    #[test]
    fn queue_delay_is_the_whole_seconds_never_after_the_due_time() {
        assert_eq!(queue_delay_secs(0), 0);
        assert_eq!(queue_delay_secs(999), 0);
        assert_eq!(queue_delay_secs(4_503), 4);
        assert_eq!(queue_delay_secs(5_000), 5);
        assert_eq!(queue_delay_secs(5_500), 5);
        assert_eq!(queue_delay_secs(MAX_DELAY_SECS * 1000), MAX_DELAY_SECS as u32);
        assert_eq!(queue_delay_secs(u64::MAX), MAX_DELAY_SECS as u32);
        for j in [0, 1, 99_999, u32::MAX / 2, u32::MAX] {
            for attempt in 1..MAX_ATTEMPTS {
                let ms = next_delay_ms(attempt, None, j).unwrap();
                let queued_ms = u64::from(queue_delay_secs(ms)) * 1000;
                assert!(queued_ms <= ms && ms - queued_ms < 1000, "attempt {attempt} jitter {j}");
            }
        }
    }

    #[test]
    fn gives_up_after_max_attempts() {
        assert!(next_delay_ms(MAX_ATTEMPTS - 1, None, 0).is_some());
        assert_eq!(next_delay_ms(MAX_ATTEMPTS, None, 0), None);
        assert_eq!(next_delay_ms(MAX_ATTEMPTS, Some(10), 0), None);
        assert_eq!(next_delay_ms(u32::MAX, None, 0), None);
    }

    #[test]
    fn attempt_zero_counts_as_the_first() {
        assert_eq!(next_delay_ms(0, None, 0), next_delay_ms(1, None, 0));
    }

    #[test]
    fn retry_after_wins_and_is_clamped() {
        assert_eq!(next_delay_ms(1, Some(120), 0), Some(120_000));
        assert_eq!(next_delay_ms(5, Some(2), u32::MAX), Some(2_000));
        assert_eq!(next_delay_ms(1, Some(0), 0), Some(1_000));
        assert_eq!(next_delay_ms(1, Some(86_400), 0), Some(MAX_DELAY_SECS * 1000));
        assert_eq!(next_delay_ms(1, Some(u64::MAX), 0), Some(MAX_DELAY_SECS * 1000));
    }

    #[test]
    fn retry_after_delta_seconds() {
        assert_eq!(parse_retry_after("120", 0), Some(120));
        assert_eq!(parse_retry_after(" 0 ", 0), Some(0));
        assert_eq!(parse_retry_after("99999999999999999999999", 0), Some(u64::MAX));
    }

    #[test]
    fn retry_after_imf_fixdate_rfc9110_example() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        assert_eq!(parse_retry_after(date, EXAMPLE_MS - 90_000), Some(90));
        assert_eq!(parse_retry_after(date, EXAMPLE_MS - 89_500), Some(90));
        assert_eq!(parse_retry_after(date, EXAMPLE_MS), Some(0));
        assert_eq!(parse_retry_after(date, EXAMPLE_MS + 3_600_000), Some(0));
    }

    #[test]
    fn retry_after_imf_fixdate_leap_day() {
        let at = time::parse("2024-02-29T23:59:59Z").unwrap();
        assert_eq!(parse_retry_after("Thu, 29 Feb 2024 23:59:59 GMT", at - 1000), Some(1));
    }

    #[test]
    fn retry_after_garbage_is_none() {
        for value in [
            "",
            "soon",
            "-5",
            "1.5",
            "+5",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 31 Feb 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:49:37 GMT",
            "Sun, +6 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:3é GMT",
        ] {
            assert_eq!(parse_retry_after(value, 0), None, "{value:?}");
        }
    }
}
