//! Event webhooks, pure core: Standard Webhooks signing, event-filter globs, delivery
//! outcome and retry schedule, the per-endpoint circuit breaker, receiver URL checks and the
//! delivery payload. No `worker` types, no clocks: callers pass `now` and random bytes in.
//!
//! * `sign`: `whsec_` secrets, their derivation from a worker secret, `v1,` signatures and
//!   the rotation header (Standard Webhooks, "Signature scheme").
//! * `event_filter`: subscription glob patterns over audit action codes, SQLite-`GLOB`-exact.
//! * `retry`: delivery outcome by status, the backoff schedule with jitter, `Retry-After`.
//! * `circuit`: the per-subscription circuit breaker state machine.
//! * `receiver_url`: receiver URL checks (https only, no credentials, no private targets).
//! * `payload`: the JSON envelope, message ids, the test delivery, response truncation.
//! * `health`: attempts per hour by outcome and latency percentiles over the last 24 hours.

pub mod circuit;
pub mod event_filter;
pub mod health;
pub mod payload;
pub mod receiver_url;
pub mod retry;
pub mod sign;
