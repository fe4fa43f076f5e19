use opentelemetry::trace::SpanKind;
use opentelemetry::{Key, KeyValue, StringValue, Value};
use opentelemetry_semantic_conventions::attribute::{CODE_FILE_PATH, CODE_FUNCTION_NAME, CODE_LINE_NUMBER};
use std::time::Duration;

/// Everything about an annotated function that is known at compile time.
/// One `static` per function, so a call allocates nothing for its name or
/// code location.
#[derive(Debug)]
pub struct Callsite {
    pub(crate) name: &'static str,
    function: &'static str,
    file: &'static str,
    line: u32,
    pub(crate) kind: SpanKind,
    pub(crate) threshold: Option<Duration>,
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
        Callsite { name, function, file, line, kind, threshold }
    }

    /// How many attributes [`push_code_attributes`](Self::push_code_attributes) adds.
    pub(crate) const CODE_ATTRIBUTES: usize = 3;

    /// The code location, with the stable semantic-convention keys.
    pub(crate) fn push_code_attributes(&self, attributes: &mut Vec<KeyValue>) {
        attributes.extend([
            KeyValue::new(Key::from_static_str(CODE_FUNCTION_NAME), static_str(self.function)),
            KeyValue::new(Key::from_static_str(CODE_FILE_PATH), static_str(self.file)),
            KeyValue::new(Key::from_static_str(CODE_LINE_NUMBER), i64::from(self.line)),
        ]);
    }
}

fn static_str(value: &'static str) -> Value {
    Value::String(StringValue::from(value))
}
