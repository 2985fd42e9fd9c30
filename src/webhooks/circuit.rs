//! Per-subscription circuit breaker (event-webhooks design, "Circuit breaker"; error code
//! `CIRCUIT_OPEN`).
//!
//! Closed: deliveries flow and failed deliveries are counted in a row. When the count
//! reaches the subscription's threshold the circuit opens: the endpoint is disabled and
//! deliveries stop. An open circuit closes only through [`Circuit::reset`], when an
//! administrator enables the endpoint again after fixing the receiver. Outcomes that arrive
//! while open (deliveries already in flight) neither close it nor move its opening time; a
//! success still zeroes the count.

use std::fmt;

/// Consecutive failures that open the circuit unless the subscription sets its own.
pub const DEFAULT_THRESHOLD: u32 = 5;
/// Lowest threshold a subscription may set.
pub const MIN_THRESHOLD: u32 = 1;
/// Highest threshold a subscription may set.
pub const MAX_THRESHOLD: u32 = 100;

/// Whether deliveries flow (`closed`) or the endpoint is disabled (`open`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CircuitState {
    Closed,
    Open,
}

/// What an event did to the circuit, for audit and notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The state did not change.
    None,
    /// The circuit just opened: the endpoint is now disabled.
    Opened,
    /// The circuit just closed: the endpoint is enabled again.
    Closed,
}

/// The stored breaker of one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Circuit {
    /// Failures in a row since the last success or reset.
    pub consecutive_failures: u32,
    /// When the circuit opened; `None` while closed.
    pub opened_at_ms: Option<i64>,
    /// Failures in a row that open the circuit.
    pub threshold: u32,
}

/// Why [`validate_threshold`] refused a threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThresholdError {
    /// The threshold is outside [`MIN_THRESHOLD`]..=[`MAX_THRESHOLD`].
    OutOfRange { value: u32 },
}

impl fmt::Display for ThresholdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfRange { value } => write!(
                f,
                "failure threshold {value} is out of range; it must be between {MIN_THRESHOLD} and {MAX_THRESHOLD}"
            ),
        }
    }
}

impl std::error::Error for ThresholdError {}

/// Accepts a threshold in [`MIN_THRESHOLD`]..=[`MAX_THRESHOLD`].
pub fn validate_threshold(n: u32) -> Result<u32, ThresholdError> {
    if (MIN_THRESHOLD..=MAX_THRESHOLD).contains(&n) {
        Ok(n)
    } else {
        Err(ThresholdError::OutOfRange { value: n })
    }
}

impl Circuit {
    /// Open once it has opened and until it is reset.
    pub fn state(&self) -> CircuitState {
        match self.opened_at_ms {
            Some(_) => CircuitState::Open,
            None => CircuitState::Closed,
        }
    }

    /// A message was delivered: the failure count restarts. An open circuit stays open (only
    /// [`Circuit::reset`] closes it), so this never reports a transition.
    pub fn on_success(self) -> (Circuit, Transition) {
        (Circuit { consecutive_failures: 0, ..self }, Transition::None)
    }

    /// A message failed at `now_ms`: counted, and the circuit opens when the count reaches the
    /// threshold. Failures while open are counted but keep the original opening time.
    pub fn on_failure(self, now_ms: i64) -> (Circuit, Transition) {
        let failed = Circuit { consecutive_failures: self.consecutive_failures.saturating_add(1), ..self };
        if self.state() == CircuitState::Closed && failed.consecutive_failures >= self.threshold {
            (Circuit { opened_at_ms: Some(now_ms), ..failed }, Transition::Opened)
        } else {
            (failed, Transition::None)
        }
    }

    /// The endpoint is enabled again: closed, no failures counted. Reports
    /// [`Transition::Closed`] only if the circuit was open.
    pub fn reset(self) -> (Circuit, Transition) {
        let transition = match self.state() {
            CircuitState::Open => Transition::Closed,
            CircuitState::Closed => Transition::None,
        };
        (Circuit { consecutive_failures: 0, opened_at_ms: None, ..self }, transition)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(threshold: u32) -> Circuit {
        Circuit { consecutive_failures: 0, opened_at_ms: None, threshold }
    }

    fn fail_times(mut c: Circuit, n: u32) -> Circuit {
        for i in 0..n {
            c = c.on_failure(1_000 + i64::from(i)).0;
        }
        c
    }

    #[test]
    fn opens_exactly_at_threshold_not_before() {
        let c = fail_times(closed(DEFAULT_THRESHOLD), DEFAULT_THRESHOLD - 1);
        assert_eq!(c.state(), CircuitState::Closed);
        assert_eq!(c.consecutive_failures, 4);
        let (c, t) = c.on_failure(9_000);
        assert_eq!(t, Transition::Opened);
        assert_eq!(c.state(), CircuitState::Open);
        assert_eq!(c.opened_at_ms, Some(9_000));
        assert_eq!(c.consecutive_failures, 5);
    }

    #[test]
    fn threshold_one_opens_on_first_failure() {
        let (c, t) = closed(1).on_failure(7);
        assert_eq!((c.state(), t), (CircuitState::Open, Transition::Opened));
    }

    #[test]
    fn success_resets_the_count() {
        let (c, t) = fail_times(closed(5), 4).on_success();
        assert_eq!(t, Transition::None);
        assert_eq!(c, closed(5));
        let c = fail_times(c, 4);
        assert_eq!(c.state(), CircuitState::Closed);
    }

    #[test]
    fn success_while_open_keeps_it_open_and_zeroes_the_count() {
        let open = fail_times(closed(2), 2);
        let (c, t) = open.on_success();
        assert_eq!(t, Transition::None);
        assert_eq!(c.state(), CircuitState::Open);
        assert_eq!(c.opened_at_ms, open.opened_at_ms);
        assert_eq!(c.consecutive_failures, 0);
    }

    #[test]
    fn failures_while_open_keep_opened_at() {
        let open = fail_times(closed(2), 2);
        let opened_at = open.opened_at_ms;
        let (c, t) = open.on_failure(999_999);
        assert_eq!(t, Transition::None);
        assert_eq!(c.opened_at_ms, opened_at);
        assert_eq!(c.consecutive_failures, 3);
    }

    #[test]
    fn reset_closes_and_reports_closed_only_if_it_was_open() {
        let (c, t) = fail_times(closed(2), 2).reset();
        assert_eq!((c, t), (closed(2), Transition::Closed));
        let (c, t) = fail_times(closed(5), 3).reset();
        assert_eq!((c, t), (closed(5), Transition::None));
    }

    #[test]
    fn failure_count_saturates() {
        let c = Circuit { consecutive_failures: u32::MAX, opened_at_ms: Some(1), threshold: 5 };
        assert_eq!(c.on_failure(2).0.consecutive_failures, u32::MAX);
    }

    #[test]
    fn threshold_bounds() {
        assert_eq!(validate_threshold(1), Ok(1));
        assert_eq!(validate_threshold(100), Ok(100));
        assert_eq!(validate_threshold(0), Err(ThresholdError::OutOfRange { value: 0 }));
        assert_eq!(validate_threshold(101), Err(ThresholdError::OutOfRange { value: 101 }));
        assert!(ThresholdError::OutOfRange { value: 0 }.to_string().contains("between 1 and 100"));
    }

    #[test]
    fn state_serialises_camel_case() {
        assert_eq!(serde_json::to_string(&CircuitState::Open).unwrap(), "\"open\"");
        assert_eq!(serde_json::to_string(&CircuitState::Closed).unwrap(), "\"closed\"");
    }
}
