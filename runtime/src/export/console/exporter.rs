//! The console exporter: spans printed for a person to read.

use super::ConsoleFormat;
use crate::export::render;
use crate::support::terminal::Style;
use opentelemetry::trace::{SpanId, TraceId};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SpanData, SpanExporter};
use opentelemetry_sdk::Resource;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Prints spans for a person to read. In the tree format, the spans of a
/// trace wait until its root ends, then the whole trace is printed at once;
/// traces whose root never ended are printed at shutdown.
pub(crate) struct ConsoleExporter {
    format: ConsoleFormat,
    style: Style,
    service: String,
    state: Mutex<State>,
}

struct State {
    pending: HashMap<TraceId, Vec<SpanData>>,
    out: Box<dyn Write + Send>,
}

impl std::fmt::Debug for ConsoleExporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleExporter").field("format", &self.format).finish_non_exhaustive()
    }
}

impl ConsoleExporter {
    pub(crate) fn new(format: ConsoleFormat, style: Style, out: Box<dyn Write + Send>) -> Self {
        ConsoleExporter {
            format,
            style,
            service: String::new(),
            state: Mutex::new(State { pending: HashMap::new(), out }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        crate::support::locks::recover(self.state.lock())
    }

    fn print_tree(&self, out: &mut dyn Write, spans: &[SpanData], incomplete: bool) {
        let title = if incomplete { format!("{} (root span never ended)", self.service) } else { self.service.clone() };
        // A console that cannot be written to has no one to tell.
        let _ = writeln!(out, "{}", render::tree(spans, &title, self.style));
    }
}

/// The local root of a trace: no parent, or a parent in another process.
fn is_local_root(span: &SpanData) -> bool {
    span.parent_span_id == SpanId::INVALID || span.parent_span_is_remote
}

impl SpanExporter for ConsoleExporter {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let mut state = self.state();
        let State { pending, out } = &mut *state;
        for span in batch {
            match self.format {
                ConsoleFormat::Line => {
                    let _ = writeln!(out, "{}", render::line(&span));
                }
                ConsoleFormat::Json => {
                    let _ = writeln!(out, "{}", render::json(&span));
                }
                ConsoleFormat::Tree => {
                    let trace_id = span.span_context.trace_id();
                    let root_ended = is_local_root(&span);
                    pending.entry(trace_id).or_default().push(span);
                    if root_ended {
                        let spans = pending.remove(&trace_id).unwrap_or_default();
                        self.print_tree(out, &spans, false);
                    }
                }
            }
        }
        let _ = out.flush();
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        let mut state = self.state();
        let State { pending, out } = &mut *state;
        let mut traces: Vec<Vec<SpanData>> = pending.drain().map(|(_, spans)| spans).collect();
        traces.sort_by_key(|spans| spans.iter().map(|s| s.start_time).min());
        for spans in traces {
            self.print_tree(out, &spans, true);
        }
        let _ = out.flush();
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        if let Some(name) = resource.get(&opentelemetry::Key::from_static_str("service.name")) {
            self.service = name.to_string();
        }
    }
}
