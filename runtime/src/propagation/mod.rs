//! Carrying a trace across processes: W3C Trace Context (`traceparent`,
//! `tracestate`) and W3C Baggage by default, B3 single and multi header with
//! the `b3` feature, chosen by `OTEL_PROPAGATORS` or
//! [`Config::propagators`](crate::Config::propagators).
//!
//! The caller injects the current trace into the headers it sends; the
//! callee extracts it and continues it with `parent = ..` on its attribute or
//! [`NewSpan::parent`](crate::NewSpan::parent). Headers that are
//! missing or malformed extract to an empty context: the callee's span then
//! starts a new trace.
//!
//! Trace Context is read and written by the W3C Recommendation's grammar
//! with a propagator of tracekit's own: one `traceparent` of exact field
//! lengths in lowercase hex, the `sampled` and `random` flags, several
//! `tracestate` headers joined into one list, and a `tracestate` that
//! breaks the grammar dropped whole. A span that is not sampled still has
//! a span of its own to send on (flags `00`), so the services after it
//! join the trace and its decision.
//!
//! ```
//! use std::collections::HashMap;
//!
//! #[tracekit::trace_operation(kind = "client")]
//! fn call() -> HashMap<String, String> {
//!     let mut headers = HashMap::new();
//!     tracekit::propagation::inject(&mut headers);
//!     headers
//! }
//!
//! #[tracekit::trace_operation(kind = "server", parent = tracekit::propagation::extract(headers))]
//! fn serve(headers: &HashMap<String, String>) {}
//!
//! let ((), spans) = tracekit::testing::capture(|| serve(&call()));
//! let (client, server) = (spans.get("call"), spans.get("serve"));
//! assert_eq!(server.trace_id(), client.trace_id());
//! assert_eq!(server.parent_span_id(), Some(client.span_id()));
//! ```

mod trace_context;

pub use opentelemetry::propagation::{Extractor, Injector};
#[cfg(feature = "tower")]
pub(crate) use trace_context::traceparent;

#[cfg(feature = "pipeline")]
use crate::error::ConfigError;
use opentelemetry::propagation::{TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::BaggagePropagator;
#[cfg(any(feature = "pipeline", feature = "tower"))]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;
use trace_context::W3cTraceContext;

/// A propagation format (`OTEL_PROPAGATORS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Propagator {
    /// W3C Trace Context: `traceparent` and `tracestate` (`tracecontext`).
    TraceContext,
    /// W3C Baggage: `baggage` (`baggage`).
    Baggage,
    /// B3 in one `b3` header (`b3`); needs the `b3` feature.
    B3,
    /// B3 in `X-B3-*` headers (`b3multi`); needs the `b3` feature.
    B3Multi,
}

#[cfg(feature = "pipeline")]
impl Propagator {
    /// Refuses, for `setting`, a propagator this build does not have.
    pub(crate) fn check_compiled(self, setting: &'static str, value: &str) -> Result<(), ConfigError> {
        let b3 = matches!(self, Propagator::B3 | Propagator::B3Multi);
        ConfigError::unless_compiled(setting, || value.to_owned(), (b3 && !cfg!(feature = "b3")).then_some("b3"))
    }
}

/// The default of OpenTelemetry: Trace Context and Baggage.
pub(crate) const DEFAULT: [Propagator; 2] = [Propagator::TraceContext, Propagator::Baggage];

static ACTIVE: RwLock<Option<TextMapCompositePropagator>> = RwLock::new(None);

/// Set while tracekit is installed with tracing off: the layers then carry
/// an incoming trace through to the requests sent on, as received.
#[cfg(any(feature = "pipeline", feature = "tower"))]
static PASSES_THROUGH: AtomicBool = AtomicBool::new(false);

/// Uses these propagators from now on (`None`: the default ones).
#[cfg(feature = "pipeline")]
pub(crate) fn set(propagators: Option<&[Propagator]>) {
    let composite = propagators.map(composite);
    *crate::support::locks::recover(ACTIVE.write()) = composite;
}

/// Whether contexts pass through the layers untouched while nothing is
/// recorded: true from an installation with tracing off (and propagators
/// left on) until it is uninstalled. Before any installation a library's
/// layers touch nothing.
#[cfg(feature = "pipeline")]
pub(crate) fn set_passes_through(passes: bool) {
    PASSES_THROUGH.store(passes, Ordering::Relaxed);
}

/// See [`set_passes_through`].
#[cfg(feature = "tower")]
pub(crate) fn passes_through() -> bool {
    PASSES_THROUGH.load(Ordering::Relaxed)
}

fn composite(propagators: &[Propagator]) -> TextMapCompositePropagator {
    TextMapCompositePropagator::new(propagators.iter().filter_map(member).collect())
}

/// `None` for B3 in a build without the `b3` feature, which configuration
/// refuses before this is reached.
fn member(propagator: &Propagator) -> Option<Box<dyn TextMapPropagator + Send + Sync>> {
    match propagator {
        Propagator::TraceContext => Some(Box::new(W3cTraceContext)),
        Propagator::Baggage => Some(Box::new(BaggagePropagator::new())),
        #[cfg(feature = "b3")]
        Propagator::B3 => Some(b3::propagator(false)),
        #[cfg(feature = "b3")]
        Propagator::B3Multi => Some(b3::propagator(true)),
        #[cfg(not(feature = "b3"))]
        Propagator::B3 | Propagator::B3Multi => None,
    }
}

#[cfg(feature = "b3")]
mod b3 {
    use opentelemetry::propagation::TextMapPropagator;

    /// B3 comes from `opentelemetry-zipkin`, the only maintained B3
    /// propagator. Its 0.33 release marks the whole crate deprecated in
    /// favour of OTLP export; the deprecation concerns the Zipkin exporter,
    /// which tracekit does not use.
    #[allow(deprecated)]
    pub(super) fn propagator(multiple_headers: bool) -> Box<dyn TextMapPropagator + Send + Sync> {
        use opentelemetry_zipkin::{B3Encoding, Propagator};
        let encoding = if multiple_headers { B3Encoding::MultipleHeader } else { B3Encoding::SingleHeader };
        Box::new(Propagator::with_encoding(encoding))
    }
}

fn with_active<R>(f: impl FnOnce(&dyn TextMapPropagator) -> R) -> R {
    // Built once: a server extracts on every request.
    static DEFAULT_COMPOSITE: std::sync::OnceLock<TextMapCompositePropagator> = std::sync::OnceLock::new();
    let active = crate::support::locks::recover(ACTIVE.read());
    match &*active {
        Some(propagator) => f(propagator),
        None => f(DEFAULT_COMPOSITE.get_or_init(|| composite(&DEFAULT))),
    }
}

/// Where a trace is read from: a `HashMap<String, String>`, an
/// `http::HeaderMap` (feature `http`), or any OpenTelemetry [`Extractor`]
/// given as `&dyn Extractor`. A reference to one of these is one too.
///
/// ```
/// use tracekit::propagation::{self, Extractor};
///
/// struct Metadata(Vec<(&'static str, &'static str)>);
///
/// impl Extractor for Metadata {
///     fn get(&self, key: &str) -> Option<&str> {
///         self.0.iter().find(|(name, _)| *name == key).map(|(_, value)| *value)
///     }
///     fn keys(&self) -> Vec<&str> {
///         self.0.iter().map(|(name, _)| *name).collect()
///     }
/// }
///
/// let metadata = Metadata(vec![("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]);
/// let context = propagation::extract(&metadata as &dyn Extractor);
/// # let _ = context;
/// ```
pub trait Carrier {
    /// Calls `read` with this carrier seen as an [`Extractor`].
    fn read_with(&self, read: &mut dyn FnMut(&dyn Extractor));
}

/// Where a trace is written to: a `HashMap<String, String>`, an
/// `http::HeaderMap` (feature `http`), or any OpenTelemetry [`Injector`]
/// given as `&mut dyn Injector`.
///
/// ```
/// let mut headers = std::collections::HashMap::new();
/// tracekit::propagation::inject(&mut headers as &mut dyn tracekit::propagation::Injector);
/// ```
pub trait CarrierMut {
    /// Calls `write` with this carrier seen as an [`Injector`].
    fn write_with(&mut self, write: &mut dyn FnMut(&mut dyn Injector));
}

impl<S: std::hash::BuildHasher> Carrier for std::collections::HashMap<String, String, S> {
    fn read_with(&self, read: &mut dyn FnMut(&dyn Extractor)) {
        read(self)
    }
}

impl<S: std::hash::BuildHasher> CarrierMut for std::collections::HashMap<String, String, S> {
    fn write_with(&mut self, write: &mut dyn FnMut(&mut dyn Injector)) {
        write(self)
    }
}

impl Carrier for dyn Extractor + '_ {
    fn read_with(&self, read: &mut dyn FnMut(&dyn Extractor)) {
        read(self)
    }
}

impl CarrierMut for dyn Injector + '_ {
    fn write_with(&mut self, write: &mut dyn FnMut(&mut dyn Injector)) {
        write(self)
    }
}

#[cfg(feature = "http")]
impl Carrier for http::HeaderMap {
    fn read_with(&self, read: &mut dyn FnMut(&dyn Extractor)) {
        read(&HeaderValues(self))
    }
}

/// An `http::HeaderMap` read as OpenTelemetry's `HeaderExtractor` reads it,
/// but for `get_all`: a value that is not visible ASCII makes all the
/// values of its name unreadable, rather than silently fewer.
#[cfg(feature = "http")]
struct HeaderValues<'a>(&'a http::HeaderMap);

#[cfg(feature = "http")]
impl Extractor for HeaderValues<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }

    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        let values = self.0.get_all(key);
        values.iter().next()?;
        values.iter().map(|value| value.to_str().ok()).collect()
    }
}

#[cfg(feature = "http")]
impl CarrierMut for http::HeaderMap {
    fn write_with(&mut self, write: &mut dyn FnMut(&mut dyn Injector)) {
        write(&mut opentelemetry_http::HeaderInjector(self))
    }
}

impl<C: Carrier + ?Sized> Carrier for &C {
    fn read_with(&self, read: &mut dyn FnMut(&dyn Extractor)) {
        (**self).read_with(read)
    }
}

impl<C: CarrierMut + ?Sized> CarrierMut for &mut C {
    fn write_with(&mut self, write: &mut dyn FnMut(&mut dyn Injector)) {
        (**self).write_with(write)
    }
}

/// Writes the current trace (and baggage) into `carrier`, such as the
/// headers of an outgoing request: a `HashMap<String, String>`, an
/// `http::HeaderMap` or any [`Injector`] (see [`CarrierMut`]).
///
/// ```
/// use std::collections::HashMap;
/// let mut headers = HashMap::new();
/// tracekit::span("call").in_scope(|| tracekit::propagation::inject(&mut headers));
/// // `traceparent` is there when tracing records (here it does not).
///
/// let mut request_headers = http::HeaderMap::new();
/// tracekit::propagation::inject(&mut request_headers);
/// ```
pub fn inject<C: CarrierMut + ?Sized>(carrier: &mut C) {
    // tracekit's current span, in OpenTelemetry's current context.
    inject_context(&crate::facade::stack::current_context(), carrier);
}

/// Writes the trace of `context` into `carrier`.
///
/// ```
/// let mut headers = std::collections::HashMap::new();
/// tracekit::propagation::inject_context(&tracekit::context::current(), &mut headers);
/// ```
pub fn inject_context<C: CarrierMut + ?Sized>(context: &Context, carrier: &mut C) {
    with_active(|propagator| carrier.write_with(&mut |injector| propagator.inject_context(context, injector)));
}

/// Reads a remote trace (and baggage) from `carrier`, such as the headers of
/// an incoming request (a `HashMap<String, String>`, an `http::HeaderMap` or
/// any [`Extractor`]: see [`Carrier`]), as a context to continue with
/// `parent = ..`. Missing or malformed headers give a context without a
/// trace, so the span continuing it starts a new trace; nothing panics.
///
/// ```
/// use std::collections::HashMap;
/// let headers = HashMap::from([("traceparent".to_owned(), "garbage".to_owned())]);
/// let context = tracekit::propagation::extract(&headers);
/// use tracekit::opentelemetry::trace::TraceContextExt;
/// assert!(!context.has_active_span());
///
/// let mut request_headers = http::HeaderMap::new();
/// request_headers.insert("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".parse().unwrap());
/// assert!(tracekit::propagation::extract(&request_headers).has_active_span());
/// ```
pub fn extract<C: Carrier + ?Sized>(carrier: &C) -> Context {
    let mut context = None;
    carrier.read_with(&mut |extractor| {
        let bounded = Bounded(extractor);
        context = Some(with_active(|propagator| propagator.extract_with_context(&Context::new(), &bounded)));
    });
    context.unwrap_or_default()
}

/// The longest header value read: W3C Baggage allows 8,192 bytes, and
/// `traceparent` and `tracestate` are far shorter. A longer value from the
/// network is ignored unread, so its size costs nothing to parse.
const MAX_HEADER_LEN: usize = 8192;

struct Bounded<'a>(&'a dyn Extractor);

impl Extractor for Bounded<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).filter(|value| value.len() <= MAX_HEADER_LEN)
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys()
    }

    /// `None` when any value is too long: a header cannot be read in part
    /// (one `traceparent` of two, a `tracestate` list without a member).
    fn get_all(&self, key: &str) -> Option<Vec<&str>> {
        self.0.get_all(key).filter(|values| values.iter().all(|value| value.len() <= MAX_HEADER_LEN))
    }
}
