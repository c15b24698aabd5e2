//! Module log lines the host emits, captured in this process so tests can assert on them.

use std::sync::{Mutex, Once};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt as _};

/// One event the host logged for a module: its level, the `module` field and the message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    /// The event's level.
    pub level: Level,
    /// The event's `module` field: the module's name.
    pub module: String,
    /// The event's message.
    pub message: String,
}

static LINES: Mutex<Vec<LogLine>> = Mutex::new(Vec::new());

/// Starts capturing every event that carries a `module` field, process-wide. Call it before the
/// calls whose logs the test reads; calling it again does nothing.
///
/// # Panics
/// When another global subscriber is already installed in this process.
pub fn capture() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Capture))
            .expect("no other global subscriber is installed in this test process");
    });
}

/// The lines captured so far for modules named `module`, in the order they were logged.
pub fn lines(module: &str) -> Vec<LogLine> {
    LINES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .filter(|line| line.module == module)
        .cloned()
        .collect()
}

/// The layer behind [`capture`].
struct Capture;

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let Some(module) = fields.module {
            LINES
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(LogLine {
                    level: *event.metadata().level(),
                    module,
                    message: fields.message,
                });
        }
    }
}

/// The fields of one event that [`LogLine`] keeps.
#[derive(Default)]
struct Fields {
    module: Option<String>,
    message: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        // Messages and `%display` values print themselves, unquoted, through Debug.
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        match field.name() {
            "module" => self.module = Some(value),
            "message" => self.message = value,
            _ => {}
        }
    }
}
