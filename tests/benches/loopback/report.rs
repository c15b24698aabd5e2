//! The markdown report: machine, peers, per-call tables, ratios against the targets,
//! the data path in process, start-up and memory, and the bars.

use std::fmt::Write as _;
use std::time::Duration;

use crate::inprocess::DataPath;
use crate::measure::{CALLERS, Run};
use crate::peers::{Peer, PeerResults, Row};
use crate::process::CLOCK_TICK;
use crate::requests::SIZES;
use crate::startup::{LOAD_CALLERS, LOAD_RESOURCES, Start};

/// A number read from a row, which ratios compare between peers.
type RowValue = fn(&Row) -> f64;

/// Facts about the run that are not measurements.
pub struct Facts {
    /// `key | value` lines of the machine table.
    pub machine: Vec<(String, String)>,
    /// The load average when the bench ended.
    pub load_at_end: String,
    /// How long the bench ran, after compilation.
    pub took: Duration,
}

/// Everything measured.
pub struct Report {
    /// Machine and run facts.
    pub facts: Facts,
    /// The peers over gRPC.
    pub peers: PeerResults,
    /// The host's data path in process.
    pub data_path: Vec<DataPath>,
    /// Starts of the release binary, by configuration.
    pub starts: Vec<(String, Vec<Start>)>,
}

impl Report {
    /// The report as markdown.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        self.machine(&mut out);
        self.servers(&mut out);
        self.per_call(&mut out);
        self.ratios(&mut out);
        self.data_path(&mut out);
        self.starts(&mut out);
        self.bars(&mut out);
        out
    }

    fn row(&self, peer: Peer, resources: usize) -> Option<&Row> {
        self.peers
            .rows
            .iter()
            .find(|row| row.peer == peer && row.resources == resources)
    }

    fn machine(&self, out: &mut String) {
        let facts = &self.facts;
        let _ = writeln!(out, "### Machine and run\n\n| | |\n| --- | --- |");
        for (key, value) in &facts.machine {
            let _ = writeln!(out, "| {key} | {value} |");
        }
        let _ = writeln!(out, "| load average at end | {} |", facts.load_at_end);
        let _ = writeln!(
            out,
            "| bench time after compilation | {:.0} s |",
            facts.took.as_secs_f64()
        );
    }

    fn servers(&self, out: &mut String) {
        let _ = writeln!(out, "\n### Server processes\n");
        let _ = writeln!(
            out,
            "| server | command | accepting after ms | RSS after its scenarios MiB | peak RSS MiB |"
        );
        let _ = writeln!(out, "| --- | --- | ---: | ---: | ---: |");
        for server in &self.peers.servers {
            let _ = writeln!(
                out,
                "| {} | `{}` | {:.0} | {:.1} | {:.1} |",
                server.name,
                server.command,
                millis(server.accepting),
                mib(server.rss_kib),
                mib(server.peak_rss_kib)
            );
        }
        let differences = if self.peers.differences.is_empty() {
            "none".to_owned()
        } else {
            self.peers.differences.join("; ")
        };
        let _ = writeln!(
            out,
            "\nDesired state that differs from the reference's on the same request (Python from the \
             `deployment-status` module's, Go and native P&T from the module's): {differences}."
        );
    }

    fn per_call(&self, out: &mut String) {
        let tick = millis(*CLOCK_TICK);
        for (title, pick) in [
            (
                "One caller".to_owned(),
                (|row: &Row| &row.sequential) as fn(&Row) -> &Run,
            ),
            (
                format!("{CALLERS} callers on one HTTP/2 connection"),
                |row: &Row| &row.concurrent,
            ),
        ] {
            let _ = writeln!(out, "\n### {title}\n");
            let _ = writeln!(
                out,
                "| peer | observed | request bytes | calls | p50 ms | p99 ms | calls/s | server CPU ms/call |"
            );
            let _ = writeln!(
                out,
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
            );
            for row in &self.peers.rows {
                let run = pick(row);
                let error = run.cpu_error();
                let cpu_error = if error > 0.05 {
                    format!(" (±{:.0}%)", error * 100.0)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {:.0} | {}{cpu_error} |",
                    row.peer.label(),
                    row.resources,
                    row.request_bytes,
                    run.samples.len(),
                    ms(run.percentile(50)),
                    ms(run.percentile(99)),
                    run.calls_per_second(),
                    ms(run.cpu_per_call()),
                );
            }
        }
        let _ = writeln!(
            out,
            "\nServer CPU is read in clock ticks of {tick:.0} ms; a value whose tick error is over 5% \
             is marked with it."
        );
    }

    fn ratios(&self, out: &mut String) {
        let _ = writeln!(out, "\n### Ratios\n");
        let _ = write!(out, "| ratio |");
        for resources in SIZES {
            let _ = write!(out, " {resources} |");
        }
        let _ = writeln!(out, " target |");
        let _ = writeln!(out, "| --- |{} --- |", " ---: |".repeat(SIZES.len()));
        let pairs = [
            (Peer::Transform, Peer::Python, "≤ 0.10 at 10 and 100"),
            (Peer::Hello, Peer::Python, ""),
            (
                Peer::PtModule,
                Peer::PtGo,
                "≤ 1 at 10 and 100 (≤ 1.5 first bar)",
            ),
            (Peer::PtModule, Peer::PtNative, ""),
        ];
        let metrics: [(String, RowValue, bool); 3] = [
            (
                "server CPU per call, one caller".to_owned(),
                |row| row.sequential.cpu_per_call().as_secs_f64(),
                true,
            ),
            (
                "p50, one caller".to_owned(),
                |row| row.sequential.percentile(50).as_secs_f64(),
                false,
            ),
            (
                format!("calls/s with {CALLERS} callers (higher is better)"),
                |row| row.concurrent.calls_per_second(),
                false,
            ),
        ];
        for (metric, value, has_target) in metrics {
            for (ours, peer, target) in pairs {
                let _ = write!(out, "| {metric}: {} ÷ {} |", ours.label(), peer.label());
                for resources in SIZES {
                    let cell = self
                        .ratio(ours, peer, resources, value)
                        .map(|r| format!("{r:.2}"))
                        .unwrap_or_default();
                    let _ = write!(out, " {cell} |");
                }
                let _ = writeln!(out, " {} |", if has_target { target } else { "" });
            }
        }
    }

    fn ratio(&self, ours: Peer, peer: Peer, resources: usize, value: RowValue) -> Option<f64> {
        let ours = value(self.row(ours, resources)?);
        let peer = value(self.row(peer, resources)?);
        Some(ours / peer)
    }

    fn data_path(&self, out: &mut String) {
        let _ = writeln!(out, "\n### The host's data path in process (medians)\n");
        let _ = writeln!(
            out,
            "| observed | request bytes | `Transcoder::request_json` ms | response JSON bytes | `Transcoder::response_wire` ms | step with the empty reactor ms |"
        );
        let _ = writeln!(out, "| ---: | ---: | ---: | ---: | ---: | ---: |");
        for row in &self.data_path {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} |",
                row.resources,
                row.request_bytes,
                ms(row.request_json),
                row.response_json_bytes,
                ms(row.response_wire),
                ms(row.empty_step),
            );
        }
        if let Some(per_mb) = self.host_ms_per_mb() {
            let _ = writeln!(
                out,
                "\nHost overhead per MB of request (the empty reactor's step, largest − smallest \
                 request): {per_mb:.2} ms/MB."
            );
        }
    }

    /// The empty reactor's step time per MB of request, from the smallest to the largest size.
    fn host_ms_per_mb(&self) -> Option<f64> {
        let (first, last) = (self.data_path.first()?, self.data_path.last()?);
        let extra_ms = last
            .empty_step
            .saturating_sub(first.empty_step)
            .as_secs_f64()
            * 1e3;
        let extra_mb = (last.request_bytes - first.request_bytes) as f64 / 1e6;
        Some(extra_ms / extra_mb)
    }

    fn starts(&self, out: &mut String) {
        let _ = writeln!(
            out,
            "\n### The release binary: `serve --insecure` (median, then every start)\n"
        );
        let _ = writeln!(
            out,
            "| start | accepting connections ms | first call answered ms | bundled modules ready ms | idle RSS MiB | of which anonymous MiB | RSS under {LOAD_CALLERS} callers MiB | SIGTERM → exit ms |"
        );
        let _ = writeln!(
            out,
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
        for (name, starts) in &self.starts {
            let _ = writeln!(
                out,
                "| {name} | {} | {} | {} | {} | {} | {} | {} |",
                column(starts, |s| millis(s.accepting), 1),
                column(starts, |s| millis(s.answered), 1),
                column(starts, |s| millis(s.warmed), 0),
                column(starts, |s| mib(s.idle_rss_kib), 1),
                column(starts, |s| mib(s.idle_anon_kib), 1),
                column(starts, |s| mib(s.load_rss_kib), 1),
                column(starts, |s| millis(s.stopped), 1),
            );
        }
        let _ = writeln!(
            out,
            "\nThe first call is `hello` with no observed resources; the {LOAD_CALLERS} callers share \
             one connection and each send the P&T request with {LOAD_RESOURCES} observed resources \
             twice, while VmRSS is sampled every 5 ms."
        );
    }

    fn bars(&self, out: &mut String) {
        let _ = writeln!(out, "\n### Against the targets\n");
        let _ = writeln!(out, "| target | measured | met? |\n| --- | --- | --- |");
        let cpu = |peer, resources| {
            self.row(peer, resources)
                .map(|row| row.sequential.cpu_per_call().as_secs_f64())
        };
        let cpu_ratio = |ours, peer| {
            [10, 100].map(|resources| Some(cpu(ours, resources)? / cpu(peer, resources)?))
        };
        let [ten, hundred] = cpu_ratio(Peer::Transform, Peer::Python);
        if let (Some(ten), Some(hundred)) = (ten, hundred) {
            let _ = writeln!(
                out,
                "| server CPU per call ≤ 1/10 of the Python SDK function on the same transform, 10 and 100 observed | {ten:.2}× and {hundred:.2}× | {} |",
                yes_no(ten <= 0.1 && hundred <= 0.1)
            );
        }
        if let Some(hello) = cpu(Peer::Hello, 10) {
            let _ = writeln!(
                out,
                "| `hello` with 10 observed resources ≤ 150 µs server CPU per call | {:.0} µs | {} |",
                hello * 1e6,
                yes_no(hello <= 150e-6)
            );
        }
        if let Some(small) = self.data_path.first() {
            let _ = writeln!(
                out,
                "| host overhead ≤ 50 µs for a small request (the empty reactor's step, {} bytes) | {:.0} µs | {} |",
                small.request_bytes,
                small.empty_step.as_secs_f64() * 1e6,
                yes_no(small.empty_step <= Duration::from_micros(50))
            );
        }
        if let Some(per_mb) = self.host_ms_per_mb() {
            let _ = writeln!(
                out,
                "| host overhead ≤ 2 ms per MB | {per_mb:.2} ms/MB | {} |",
                yes_no(per_mb <= 2.0)
            );
        }
        let [ten, hundred] = cpu_ratio(Peer::PtModule, Peer::PtGo);
        if let (Some(ten), Some(hundred)) = (ten, hundred) {
            let worst = ten.max(hundred);
            let met = if worst <= 1.0 {
                "yes"
            } else if worst <= 1.5 {
                "first bar (≤ 1.5×) only"
            } else {
                "no"
            };
            let _ = writeln!(
                out,
                "| P&T module's server CPU per call ≤ the Go P&T's (≤ 1.5× first bar), 10 and 100 observed | {ten:.2}× and {hundred:.2}× | {met} |"
            );
        }
        for (name, starts) in &self.starts {
            let answered = median(starts, |s| millis(s.answered));
            let idle = median(starts, |s| mib(s.idle_rss_kib));
            let load = median(starts, |s| mib(s.load_rss_kib));
            let _ = writeln!(
                out,
                "| start to first answer < 100 ms; {name} | {answered:.1} ms | {} |",
                yes_no(answered < 100.0)
            );
            let _ = writeln!(
                out,
                "| idle RSS < 40 MiB; {name} | {idle:.1} MiB | {} |",
                yes_no(idle < 40.0)
            );
            let _ = writeln!(
                out,
                "| RSS at {LOAD_CALLERS} concurrent callers < 256 MiB; {name} | {load:.1} MiB | {} |",
                yes_no(load < 256.0)
            );
        }
    }
}

/// A duration in milliseconds with three significant digits or so.
fn ms(duration: Duration) -> String {
    let ms = millis(duration);
    match ms {
        ms if ms < 1.0 => format!("{ms:.3}"),
        ms if ms < 10.0 => format!("{ms:.2}"),
        ms if ms < 100.0 => format!("{ms:.1}"),
        ms => format!("{ms:.0}"),
    }
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn yes_no(met: bool) -> &'static str {
    if met { "yes" } else { "**no**" }
}

/// The median of `value` over `starts`.
fn median(starts: &[Start], value: impl Fn(&Start) -> f64) -> f64 {
    let mut values: Vec<f64> = starts.iter().map(value).collect();
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// "median (every run)" of `value` over `starts`, with `digits` decimals.
fn column(starts: &[Start], value: impl Fn(&Start) -> f64, digits: usize) -> String {
    let runs: Vec<String> = starts
        .iter()
        .map(|start| format!("{:.digits$}", value(start)))
        .collect();
    format!("{:.digits$} ({})", median(starts, value), runs.join(", "))
}
