//! Where a span's code is, when the compiler knows it: an annotated
//! function's callsite, or a `tracing` span's metadata (feature
//! `tracing`). A span carries the reference alone; the `code.*` attributes
//! are made when it is exported, off the calling thread.

use super::callsite::Callsite;
#[cfg(feature = "pipeline")]
use crate::support::conventions::{CODE_FILE_PATH, CODE_FUNCTION_NAME, CODE_LINE_NUMBER};
#[cfg(feature = "pipeline")]
use opentelemetry::{Key, KeyValue, StringValue, Value};

/// The static facts a span's `code.*` attributes are made from.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "the pipeline records the code location"))]
pub(crate) enum CodeLocation {
    /// An annotated function: its path, file and line.
    Function(&'static Callsite),
    /// A `tracing` span: the file and line its metadata gives.
    #[cfg(feature = "tracing")]
    Tracing(&'static tracing::Metadata<'static>),
}

/// At most this many `code.*` attributes: function, file and line.
#[cfg(feature = "pipeline")]
pub(crate) const MOST_CODE_ATTRIBUTES: usize = 3;

/// A location's attributes, in order, with `None` where it has no value.
#[cfg(feature = "otlp")]
pub(crate) type CodeAttributes = [Option<KeyValue>; MOST_CODE_ATTRIBUTES];

impl CodeLocation {
    /// Where the spans of `callsite` are: its function's, or the `tracing`
    /// span's it stands for.
    #[cfg_attr(not(feature = "pipeline"), allow(dead_code, reason = "the pipeline records the code location"))]
    pub(crate) fn of(callsite: &'static Callsite) -> Self {
        #[cfg(feature = "tracing")]
        if let Some(metadata) = callsite.metadata {
            return CodeLocation::Tracing(metadata);
        }
        CodeLocation::Function(callsite)
    }
}

#[cfg(feature = "pipeline")]
impl CodeLocation {
    /// How many attributes the location takes.
    pub(crate) fn len(self) -> usize {
        match self {
            CodeLocation::Function(_) => MOST_CODE_ATTRIBUTES,
            #[cfg(feature = "tracing")]
            CodeLocation::Tracing(metadata) => {
                usize::from(metadata.file().is_some()) + usize::from(metadata.line().is_some())
            }
        }
    }

    /// The function, file and line, those known.
    fn values(self) -> (Option<&'static str>, Option<&'static str>, Option<u32>) {
        match self {
            CodeLocation::Function(callsite) => (Some(callsite.function()), Some(callsite.file), Some(callsite.line)),
            #[cfg(feature = "tracing")]
            CodeLocation::Tracing(metadata) => (None, metadata.file(), metadata.line()),
        }
    }

    /// The attributes, with the stable semantic-convention keys, for OTLP
    /// to write where they lie.
    #[cfg(feature = "otlp")]
    pub(crate) fn attributes(self) -> CodeAttributes {
        let (function, file, line) = self.values();
        [function.map(function_attribute), file.map(file_attribute), line.map(line_attribute)]
    }

    /// Pushes the attributes onto `attributes`, each built where the vector
    /// keeps it rather than in an array first.
    pub(crate) fn push_attributes(self, attributes: &mut Vec<KeyValue>) {
        let (function, file, line) = self.values();
        attributes.extend(function.map(function_attribute));
        attributes.extend(file.map(file_attribute));
        attributes.extend(line.map(line_attribute));
    }

    /// The attributes alone, in a vector of their length. `vec!` builds an
    /// annotated function's three where the vector keeps them: built on the
    /// stack first and copied, they cost the export thread a stall each.
    pub(crate) fn into_attributes(self) -> Vec<KeyValue> {
        match self {
            CodeLocation::Function(callsite) => vec![
                function_attribute(callsite.function()),
                file_attribute(callsite.file),
                line_attribute(callsite.line),
            ],
            #[cfg(feature = "tracing")]
            CodeLocation::Tracing(_) => {
                let mut attributes = Vec::with_capacity(self.len());
                self.push_attributes(&mut attributes);
                attributes
            }
        }
    }

    /// The attributes, then those moved out of `rest`, in one allocation
    /// with `room` to spare. `rest` keeps its memory, for reuse.
    pub(crate) fn attributes_then(self, rest: &mut Vec<KeyValue>, room: usize) -> Vec<KeyValue> {
        let mut attributes = Vec::with_capacity(self.len() + rest.len() + room);
        self.push_attributes(&mut attributes);
        attributes.append(rest);
        attributes
    }
}

#[cfg(feature = "pipeline")]
fn function_attribute(function: &'static str) -> KeyValue {
    KeyValue::new(Key::from_static_str(CODE_FUNCTION_NAME), static_str(function))
}

#[cfg(feature = "pipeline")]
fn file_attribute(file: &'static str) -> KeyValue {
    KeyValue::new(Key::from_static_str(CODE_FILE_PATH), static_str(file))
}

#[cfg(feature = "pipeline")]
fn line_attribute(line: u32) -> KeyValue {
    KeyValue::new(Key::from_static_str(CODE_LINE_NUMBER), i64::from(line))
}

#[cfg(feature = "pipeline")]
fn static_str(value: &'static str) -> Value {
    Value::String(StringValue::from(value))
}
