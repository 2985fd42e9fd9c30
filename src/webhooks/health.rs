//! A subscription's delivery health over the last 24 hours (`GET …/webhooks/{id}/health`):
//! attempts per UTC hour by outcome, and p50/p95 latency per hour and overall.
//!
//! The store hands over one row per (hour, outcome, elapsed ms) with its count, so the
//! percentiles are exact without reading every attempt: a percentile here is the nearest-rank
//! one (the smallest duration at or below which at least p % of the attempts fall).

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::time::format_ms;

/// One bucket's width: an hour.
pub const HOUR_MS: i64 = 3_600_000;
/// How far back the health view looks.
pub const WINDOW_MS: i64 = 24 * HOUR_MS;
/// Attempt outcomes in the order they are shown (`webhook_attempts.outcome`).
pub const OUTCOMES: [&str; 4] = ["delivered", "retrying", "failed", "gone"];

/// Attempts of one hour with one outcome and one duration.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Cell {
    /// Hours since the Unix epoch (`created_at / 3_600_000`).
    pub hour: i64,
    pub outcome: String,
    pub elapsed_ms: i64,
    pub n: i64,
}

/// The first instant the window covers at `now`: the last 24 hours, `now` included.
pub fn window_start(now_ms: i64) -> i64 {
    now_ms - WINDOW_MS + 1
}

/// The nearest-rank `pct` percentile of a distribution given as (value, count) pairs in any
/// order; `None` when it is empty.
pub fn percentile(values: &[(i64, i64)], pct: u32) -> Option<i64> {
    let mut sorted: Vec<(i64, i64)> = values.iter().copied().filter(|(_, n)| *n > 0).collect();
    sorted.sort_unstable();
    let total: i64 = sorted.iter().map(|(_, n)| n).sum();
    if total == 0 {
        return None;
    }
    // ceil(pct / 100 × total), at least the first rank.
    let rank = ((i64::from(pct) * total + 99) / 100).max(1);
    let mut seen = 0;
    sorted
        .into_iter()
        .find(|(_, n)| {
            seen += n;
            seen >= rank
        })
        .map(|(v, _)| v)
}

fn latency(values: &[(i64, i64)]) -> Value {
    json!({
        "p50Ms": percentile(values, 50),
        "p95Ms": percentile(values, 95),
        "samples": values.iter().map(|(_, n)| n).sum::<i64>(),
    })
}

fn bucket(hour: i64, cells: &[&Cell]) -> Value {
    let mut counts = Map::new();
    for outcome in OUTCOMES {
        let n: i64 = cells.iter().filter(|c| c.outcome == outcome).map(|c| c.n).sum();
        if n > 0 {
            counts.insert(outcome.to_string(), json!(n));
        }
    }
    let values: Vec<(i64, i64)> = cells.iter().map(|c| (c.elapsed_ms, c.n)).collect();
    let summary = latency(&values);
    json!({
        "hour": format_ms(hour * HOUR_MS),
        "total": summary["samples"],
        "counts": counts,
        "p50Ms": summary["p50Ms"],
        "p95Ms": summary["p95Ms"],
    })
}

/// The health view of `cells` (the window's attempts) at `now`: only hours with attempts are
/// listed, oldest first.
pub fn summarise(cells: &[Cell], now_ms: i64) -> Value {
    let mut hours: Vec<i64> = cells.iter().map(|c| c.hour).collect();
    hours.sort_unstable();
    hours.dedup();
    let buckets: Vec<Value> =
        hours.iter().map(|h| bucket(*h, &cells.iter().filter(|c| c.hour == *h).collect::<Vec<_>>())).collect();
    let outcomes: Vec<&str> =
        OUTCOMES.into_iter().filter(|o| cells.iter().any(|c| c.outcome == *o && c.n > 0)).collect();
    let all: Vec<(i64, i64)> = cells.iter().map(|c| (c.elapsed_ms, c.n)).collect();
    json!({
        "from": format_ms(window_start(now_ms)),
        "to": format_ms(now_ms),
        "bucketMs": HOUR_MS,
        "outcomes": outcomes,
        "buckets": buckets,
        "latency": latency(&all),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(hour: i64, outcome: &str, elapsed_ms: i64, n: i64) -> Cell {
        Cell { hour, outcome: outcome.into(), elapsed_ms, n }
    }

    /// The nearest-rank percentile of a plain list, the definition the counted form must match.
    fn naive(list: &[i64], pct: u32) -> Option<i64> {
        let mut sorted = list.to_vec();
        sorted.sort_unstable();
        let rank = (f64::from(pct) / 100.0 * sorted.len() as f64).ceil().max(1.0) as usize;
        sorted.get(rank - 1).copied()
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let values: Vec<(i64, i64)> = (1..=20).map(|v| (v * 10, 1)).collect();
        assert_eq!(percentile(&values, 50), Some(100));
        assert_eq!(percentile(&values, 95), Some(190));
        assert_eq!(percentile(&values, 100), Some(200));
        assert_eq!(percentile(&[(7, 1)], 50), Some(7));
        assert_eq!(percentile(&[(7, 1)], 95), Some(7));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[(5, 0)], 50), None);
        // Two values: p50 is the lower one, p95 the higher.
        assert_eq!(percentile(&[(900, 1), (100, 1)], 50), Some(100));
        assert_eq!(percentile(&[(900, 1), (100, 1)], 95), Some(900));
    }

    #[test]
    fn counted_values_give_the_percentile_of_the_expanded_list() {
        let mut seed = 12_345_u64;
        for _ in 0..200 {
            let mut pairs = Vec::new();
            let mut list = Vec::new();
            for _ in 0..(seed % 9 + 1) {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                let (value, n) = (((seed >> 33) % 50) as i64, ((seed >> 20) % 4) as i64);
                pairs.push((value, n));
                list.extend(std::iter::repeat_n(value, n as usize));
            }
            for pct in [1, 50, 90, 95, 99, 100] {
                assert_eq!(percentile(&pairs, pct), naive(&list, pct), "{pairs:?} p{pct}");
            }
        }
    }

    #[test]
    fn summary_counts_outcomes_per_hour_with_latency() {
        let now = 500 * HOUR_MS + 1_234;
        let cells = vec![
            cell(499, "delivered", 20, 3),
            cell(499, "retrying", 1_000, 1),
            cell(500, "delivered", 40, 1),
            cell(500, "gone", 10, 1),
            cell(500, "delivered", 30, 2),
        ];
        let view = summarise(&cells, now);
        assert_eq!(view["from"], format_ms(now - WINDOW_MS + 1));
        assert_eq!(view["to"], format_ms(now));
        assert_eq!(view["outcomes"], json!(["delivered", "retrying", "gone"]));
        assert_eq!(
            view["buckets"],
            json!([
                {"hour": format_ms(499 * HOUR_MS), "total": 4, "counts": {"delivered": 3, "retrying": 1},
                 "p50Ms": 20, "p95Ms": 1_000},
                {"hour": format_ms(500 * HOUR_MS), "total": 4, "counts": {"delivered": 3, "gone": 1},
                 "p50Ms": 30, "p95Ms": 40},
            ])
        );
        // All eight: 10, 20, 20, 20, 30, 30, 40, 1000.
        assert_eq!(view["latency"], json!({"p50Ms": 20, "p95Ms": 1_000, "samples": 8}));
    }

    #[test]
    fn an_empty_window_has_no_buckets_and_no_latency() {
        let view = summarise(&[], 10 * HOUR_MS);
        assert_eq!(view["buckets"], json!([]));
        assert_eq!(view["outcomes"], json!([]));
        assert_eq!(view["latency"], json!({"p50Ms": null, "p95Ms": null, "samples": 0}));
    }
}
