//! The facade core: what every build has, libraries compiled with no
//! default features included. Callsites, the one cheap check, dispatch to
//! whatever backend is installed, open spans and the values recorded on
//! them. Nothing here names an SDK type; the pipeline implements
//! [`dispatch::Backend`] on top.
//!
//! What a span is called, from its start to its export:
//! - [`open::OpenSpan`]: a started span, as the code that started it holds
//!   it; a small handle on its [`live::SpanState`] (ids, the span being
//!   recorded, a carried `Context`), which moves onto the thread's
//!   [`stack`] while the span is current.
//! - [`live::CallSpan`]: the span of a synchronous call under a recorded
//!   span, started on that span's [`live::Lane`] without the backend
//!   ([`lane`]): held in place on the stack, never an `OpenSpan`.
//! - [`live::LiveSpan`]: the span being recorded: a pipeline's
//!   [`live::Recording`], or an OpenTelemetry span in a `Context`.
//! - `SpanRecord` (the pipeline's): tracekit's own recording, filled in
//!   place; once ended, a `FinishedSpan` handed to a `SpanSink`: the
//!   pipeline's `Processors` (one simple or batch processor per exporter),
//!   or the local trace that holds it for a keep decision.
//! - `SpanData`: the SDK's form, made from the record for the exporters
//!   (for a batch, on the export thread).

pub(crate) mod callsite;
pub(crate) mod code_location;
pub(crate) mod dispatch;
pub(crate) mod failure;
pub(crate) mod lane;
pub(crate) mod link;
pub(crate) mod live;
pub(crate) mod open;
pub(crate) mod recorder;
pub(crate) mod stack;
pub(crate) mod start;
#[cfg(feature = "propagation")]
pub(crate) mod trace_flags;
