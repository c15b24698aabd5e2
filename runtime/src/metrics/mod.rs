//! Prometheus metrics: steps by module and outcome, step latency, and the process's own figures.
//!
//! Kept in a [`prometheus_client`] registry and rendered in the OpenMetrics text format by
//! [`Metrics::render`]; the server exposes it on `--metrics-address` (default `0.0.0.0:8080`) at
//! `/metrics`, the port Crossplane's Deployment names `metrics`. docs/operations.md lists every
//! series with an example scrape.

mod process;

use std::fmt::Write as _;
use std::time::Duration;

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// Upper bounds of the step latency buckets, in seconds: 250 µs to 10 s.
const BUCKETS_SECONDS: [f64; 14] = [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The module answered without a FATAL result.
    Ok,
    /// The module answered with a FATAL result of its own.
    FatalResult,
    /// The step failed before or while running the module (bad Input, unknown module, trap,
    /// deadline...).
    Failed,
}

impl Outcome {
    /// The `outcome` label's value.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::FatalResult => "fatal_result",
            Outcome::Failed => "failed",
        }
    }
}

impl EncodeLabelValue for Outcome {
    fn encode(&self, encoder: &mut LabelValueEncoder<'_>) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.label())
    }
}

/// The labels of a step: the resolved module (`unknown` when none was) and how it ended.
#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StepLabels {
    module: String,
    outcome: Outcome,
}

/// The metrics of one server; cheap to record from every call.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    steps: Family<StepLabels, Counter>,
    duration: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A registry with the step series (prefixed `function_wasmtime_`) and the process series
    /// (`process_…`, as every Prometheus client library exports them).
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let steps = Family::<StepLabels, Counter>::default();
        let duration = Histogram::new(BUCKETS_SECONDS);
        let prefixed = registry.sub_registry_with_prefix("function_wasmtime");
        prefixed.register(
            "steps",
            "Pipeline steps run, by module and outcome",
            steps.clone(),
        );
        prefixed.register_with_unit(
            "step_duration",
            "Time from request received to response built",
            Unit::Seconds,
            duration.clone(),
        );
        registry.register_collector(Box::new(process::ProcessCollector));
        Metrics {
            registry,
            steps,
            duration,
        }
    }

    /// Records one step of `module` (`unknown` when no module was resolved) that took `elapsed`.
    pub fn record_step(&self, module: &str, outcome: Outcome, elapsed: Duration) {
        self.steps
            .get_or_create(&StepLabels {
                module: module.to_owned(),
                outcome,
            })
            .inc();
        self.duration.observe(elapsed.as_secs_f64());
    }

    /// The metrics in the OpenMetrics text format; see [`CONTENT_TYPE`].
    pub fn render(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

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
        for line in [
            "# TYPE function_wasmtime_steps counter\n",
            "function_wasmtime_steps_total{module=\"hello\",outcome=\"ok\"} 2\n",
            "function_wasmtime_steps_total{module=\"unknown\",outcome=\"failed\"} 1\n",
            "# TYPE function_wasmtime_step_duration_seconds histogram\n",
            "# UNIT function_wasmtime_step_duration_seconds seconds\n",
            "function_wasmtime_step_duration_seconds_bucket{le=\"0.00025\"} 0\n",
            "function_wasmtime_step_duration_seconds_bucket{le=\"0.0005\"} 1\n",
            "function_wasmtime_step_duration_seconds_bucket{le=\"0.025\"} 2\n",
            "function_wasmtime_step_duration_seconds_bucket{le=\"10.0\"} 2\n",
            "function_wasmtime_step_duration_seconds_bucket{le=\"+Inf\"} 3\n",
            "function_wasmtime_step_duration_seconds_count 3\n",
            "# TYPE process_cpu_seconds counter\n",
            "# TYPE process_resident_memory_bytes gauge\n",
            "# TYPE process_open_fds gauge\n",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
