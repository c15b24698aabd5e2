//! The Kubernetes events Crossplane records on the XR while it reconciles it. `crossplane render
//! -r` prints every one of them as a `Result`: the steps' non-fatal results (prefixed with
//! `Pipeline step "NAME": `) and the reconciler's own events (a selected composition, a composed
//! resource that is not ready yet, ...).

use serde_json::{Value, json};

/// `apiVersion` of the Result and Context pseudo-objects render prints.
pub(crate) const RENDER_API_VERSION: &str = "render.crossplane.io/v1beta1";

/// One event: `Normal` or `Warning` (or empty, for a result of a severity Crossplane does not
/// know), a reason and a message.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Event {
    kind: &'static str,
    reason: String,
    message: String,
}

impl Event {
    /// A `Normal` event.
    pub fn normal(reason: &str, message: impl Into<String>) -> Event {
        Event {
            kind: "Normal",
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    /// A `Warning` event.
    pub fn warning(reason: &str, message: impl Into<String>) -> Event {
        Event {
            kind: "Warning",
            reason: reason.to_owned(),
            message: message.into(),
        }
    }

    /// The `kind: Result` document `crossplane render -r` prints for it.
    pub fn to_result(&self) -> Value {
        json!({
            "apiVersion": RENDER_API_VERSION,
            "kind": "Result",
            "severity": self.kind,
            "reason": self.reason,
            "message": self.message,
        })
    }
}
