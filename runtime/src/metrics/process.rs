//! The `process_…` series every Prometheus client library exports, read from `/proc/self` at
//! each scrape: CPU seconds, resident and virtual memory, open and maximum file descriptors,
//! threads and start time. On a system without `/proc` they are left out.

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

/// Reads the process's figures on every scrape.
#[derive(Debug)]
pub(super) struct ProcessCollector;

impl Collector for ProcessCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let Some(figures) = Figures::read() else {
            return Ok(());
        };
        let cpu = ConstCounter::new(figures.cpu_seconds);
        cpu.encode(encoder.encode_descriptor(
            "process_cpu_seconds",
            "Total user and system CPU time spent in seconds",
            None,
            cpu.metric_type(),
        )?)?;
        let gauges: [(&str, &str, f64); 6] = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes",
                figures.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes",
                figures.virtual_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors",
                figures.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors",
                figures.max_fds,
            ),
            (
                "process_threads",
                "Number of OS threads in the process",
                figures.threads,
            ),
            (
                "process_start_time_seconds",
                "Start time of the process since the Unix epoch in seconds",
                figures.start_time_seconds,
            ),
        ];
        for (name, help, value) in gauges {
            let gauge = ConstGauge::new(value);
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

/// One reading of `/proc/self`.
struct Figures {
    cpu_seconds: f64,
    resident_bytes: f64,
    virtual_bytes: f64,
    open_fds: f64,
    max_fds: f64,
    threads: f64,
    start_time_seconds: f64,
}

impl Figures {
    fn read() -> Option<Figures> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        // The fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let field = |index: usize| -> Option<f64> { fields.get(index)?.parse().ok() };
        // Field numbers from proc(5), minus 3 for the pid, the name and the state before `fields`.
        let cpu_ticks = field(11)? + field(12)?;
        let threads = field(17)?;
        let start_ticks = field(19)?;
        let virtual_bytes = field(20)?;
        let resident_kib: f64 = std::fs::read_to_string("/proc/self/status")
            .ok()?
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        let boot_time = std::fs::read_to_string("/proc/stat")
            .ok()?
            .lines()
            .find_map(|line| line.strip_prefix("btime "))?
            .trim()
            .parse::<f64>()
            .ok()?;
        let max_fds = std::fs::read_to_string("/proc/self/limits")
            .ok()?
            .lines()
            .find(|line| line.starts_with("Max open files"))?
            .split_whitespace()
            .nth(3)?
            .parse()
            .ok()?;
        // A count of directory entries; far below 2^52, so exact as a double.
        #[allow(
            clippy::cast_precision_loss,
            reason = "a file descriptor count is small"
        )]
        let open_fds = std::fs::read_dir("/proc/self/fd").ok()?.count() as f64;
        Some(Figures {
            cpu_seconds: cpu_ticks / TICKS_PER_SECOND,
            resident_bytes: resident_kib * 1024.0,
            virtual_bytes,
            open_fds,
            max_fds,
            threads,
            start_time_seconds: boot_time + start_ticks / TICKS_PER_SECOND,
        })
    }
}

/// The unit of the times in `/proc/<pid>/stat`: USER_HZ, which Linux fixes at 100 for user space
/// on every architecture Crossplane runs on (proc(5), `sysconf(_SC_CLK_TCK)`).
const TICKS_PER_SECOND: f64 = 100.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_figures_are_read_from_proc() {
        let figures = Figures::read().expect("/proc/self is readable on Linux");
        assert!(
            figures.resident_bytes > 1_000_000.0,
            "{}",
            figures.resident_bytes
        );
        assert!(figures.open_fds >= 3.0);
        assert!(figures.max_fds >= figures.open_fds);
        assert!(figures.threads >= 1.0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(
            figures.start_time_seconds <= now + 1.0 && figures.start_time_seconds > now - 86_400.0
        );
    }
}
