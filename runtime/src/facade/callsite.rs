//! The compile-time facts of one annotated function.

#[cfg(feature = "pipeline")]
use super::conventions::{CODE_FILE_PATH, CODE_FUNCTION_NAME, CODE_LINE_NUMBER};
use opentelemetry::trace::SpanKind;
#[cfg(feature = "pipeline")]
use opentelemetry::{Key, KeyValue, StringValue, Value};
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

/// Everything about an annotated function that is known at compile time.
/// One `static` per function, so a call allocates nothing for its name or
/// code location.
#[derive(Debug)]
#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "the pipeline records the code location"))]
pub struct Callsite {
    pub(crate) name: &'static str,
    function: &'static str,
    file: &'static str,
    line: u32,
    pub(crate) kind: SpanKind,
    pub(crate) threshold: Option<Duration>,
    /// Where the threads keep this function's metrics meter (`metered.rs`).
    pub(crate) meter_slot: AtomicUsize,
}

impl Callsite {
    /// Made by the expansion: the span name, `module::path::fn_name`, the
    /// file and line of the signature, the kind and `trace_performance`'s threshold.
    pub const fn new(
        name: &'static str,
        function: &'static str,
        file: &'static str,
        line: u32,
        kind: SpanKind,
        threshold: Option<Duration>,
    ) -> Self {
        Callsite { name, function, file, line, kind, threshold, meter_slot: AtomicUsize::new(0) }
    }

    /// How many attributes the code location takes.
    #[cfg(feature = "pipeline")]
    pub(crate) const CODE_ATTRIBUTES: usize = 3;

    /// The code location (with the stable semantic-convention keys), then
    /// the attributes moved out of `rest`, in one allocation with `room` to
    /// spare. `rest` keeps its memory, for reuse.
    #[cfg(feature = "pipeline")]
    pub(crate) fn code_attributes_then(&self, rest: &mut Vec<KeyValue>, room: usize) -> Vec<KeyValue> {
        let mut attributes = Vec::with_capacity(Self::CODE_ATTRIBUTES + rest.len() + room);
        attributes.extend([
            KeyValue::new(Key::from_static_str(CODE_FUNCTION_NAME), static_str(self.function)),
            KeyValue::new(Key::from_static_str(CODE_FILE_PATH), static_str(self.file)),
            KeyValue::new(Key::from_static_str(CODE_LINE_NUMBER), i64::from(self.line)),
        ]);
        attributes.append(rest);
        attributes
    }
}

#[cfg(feature = "pipeline")]
fn static_str(value: &'static str) -> Value {
    Value::String(StringValue::from(value))
}
