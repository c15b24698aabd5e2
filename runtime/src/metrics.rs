//! Prometheus metrics of steps: counts by module and outcome, and a latency histogram.
//!
//! Rendered in the Prometheus text format by [`Metrics::render`]; the server exposes it on
//! `--metrics-address` (default `0.0.0.0:8080`) at `/metrics`, the port Crossplane's Deployment
//! names `metrics` and annotates for scraping.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the step latency buckets, in seconds: 250 µs to 10 s.
const BUCKETS_SECONDS: [f64; 14] = [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    /// The module answered without a FATAL result.
    Ok,
    /// The module answered with a FATAL result of its own.
    FatalResult,
    /// The step failed before or while running the module (bad Input, unknown module, trap, deadline...).
    Failed,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::FatalResult => "fatal_result",
            Outcome::Failed => "failed",
        }
    }
}

#[derive(Default)]
struct Counters {
    steps: BTreeMap<(String, Outcome), u64>,
    bucket_counts: [u64; BUCKETS_SECONDS.len()],
    sum_seconds: f64,
    count: u64,
}

/// Step metrics, shared by every call; cheap to record (one short lock).
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
}

impl Metrics {
    /// Records one step of `module` (`unknown` when the Input named none) that took `elapsed`.
    pub fn record_step(&self, module: &str, outcome: Outcome, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let mut counters = self
            .counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *counters
            .steps
            .entry((module.to_owned(), outcome))
            .or_default() += 1;
        for (bound, count) in BUCKETS_SECONDS
            .iter()
            .zip(counters.bucket_counts.iter_mut())
        {
            if seconds <= *bound {
                *count += 1;
            }
        }
        counters.sum_seconds += seconds;
        counters.count += 1;
    }

    /// The metrics in the Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let counters = self
            .counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut text = String::new();
        text.push_str(
            "# HELP function_wasmtime_steps_total Pipeline steps run, by module and outcome.\n",
        );
        text.push_str("# TYPE function_wasmtime_steps_total counter\n");
        for ((module, outcome), count) in &counters.steps {
            let module = module.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(
                text,
                "function_wasmtime_steps_total{{module=\"{module}\",outcome=\"{}\"}} {count}",
                outcome.label()
            );
        }
        text.push_str("# HELP function_wasmtime_step_duration_seconds Time from request decoded to response built.\n");
        text.push_str("# TYPE function_wasmtime_step_duration_seconds histogram\n");
        for (bound, count) in BUCKETS_SECONDS.iter().zip(counters.bucket_counts.iter()) {
            let _ = writeln!(
                text,
                "function_wasmtime_step_duration_seconds_bucket{{le=\"{bound}\"}} {count}"
            );
        }
        let _ = writeln!(
            text,
            "function_wasmtime_step_duration_seconds_bucket{{le=\"+Inf\"}} {}",
            counters.count
        );
        let _ = writeln!(
            text,
            "function_wasmtime_step_duration_seconds_sum {}",
            counters.sum_seconds
        );
        let _ = writeln!(
            text,
            "function_wasmtime_step_duration_seconds_count {}",
            counters.count
        );
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_counted_by_module_and_outcome_with_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.record_step("hello", Outcome::Ok, Duration::from_micros(300));
        metrics.record_step("hello", Outcome::Ok, Duration::from_millis(20));
        metrics.record_step("unknown", Outcome::Failed, Duration::from_secs(20));
        let text = metrics.render();
        assert!(
            text.contains("function_wasmtime_steps_total{module=\"hello\",outcome=\"ok\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "function_wasmtime_steps_total{module=\"unknown\",outcome=\"failed\"} 1\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("function_wasmtime_step_duration_seconds_bucket{le=\"0.00025\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("function_wasmtime_step_duration_seconds_bucket{le=\"0.0005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("function_wasmtime_step_duration_seconds_bucket{le=\"0.025\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("function_wasmtime_step_duration_seconds_bucket{le=\"10\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("function_wasmtime_step_duration_seconds_bucket{le=\"+Inf\"} 3\n"),
            "{text}"
        );
        assert!(
            text.contains("function_wasmtime_step_duration_seconds_count 3\n"),
            "{text}"
        );
    }
}
