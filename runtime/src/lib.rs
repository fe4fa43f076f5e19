//! OpenTelemetry tracing for Rust with one attribute on a function.
//!
//! ```
//! use tracekit::{trace_operation, trace_performance};
//!
//! #[trace_operation(include_args)]
//! fn load_user(id: u64) -> Result<String, std::io::Error> {
//!     Ok(format!("user-{id}"))
//! }
//!
//! #[trace_performance(threshold_ms = 250)]
//! fn render_page(user: &str) -> usize {
//!     user.len()
//! }
//!
//! // Reads TRACING_ENABLED, TRACING_EXPORTER, ...; prints traces to stderr by default.
//! let _guard = tracekit::init().expect("valid tracing configuration");
//! let user = load_user(42).unwrap();
//! render_page(&user);
//! ```
//!
//! - [`trace_operation`], [`trace_async`] and [`trace_performance`] put a span
//!   around a function, with its arguments, result, errors and panics.
//! - [`init`] or [`Config`] installs tracing: to the console, over OTLP to
//!   any OpenTelemetry collector, Jaeger or Tempo (gRPC, HTTP/protobuf or
//!   HTTP/JSON, configured with the standard `OTEL_*` variables), to memory,
//!   or nowhere.
//! - [`span`] and [`current_span`] make and enrich spans by hand.
//! - [`testing`] captures spans in unit tests and queries them.
//!
//! Until tracing is installed (or a test captures), an annotated call costs
//! one atomic load more than a plain call and records nothing.

// The layers, bottom to top: each imports only from those before it
// (`tests/tests/layers.rs` checks).

// What every layer uses.
mod support;

// The facade: what every build has, a library's with no default features.
mod facade;
pub mod keys;
mod metered;

mod annotated;

#[cfg(feature = "propagation")]
pub mod propagation;

// The SDK-backed pipeline, its exporters, configuration and installation.
#[cfg(feature = "pipeline")]
mod error;

#[cfg(feature = "pipeline")]
mod export;

#[cfg(feature = "pipeline")]
mod pipeline;

#[cfg(feature = "pipeline")]
mod metrics;

#[cfg(feature = "pipeline")]
mod config;

#[cfg(feature = "pipeline")]
mod install;

// The public faces.
pub mod context;
#[cfg(feature = "tower")]
pub mod http;
pub mod logs;
/// The reqwest middleware, also at [`http::reqwest`].
#[cfg(feature = "reqwest")]
pub use http::reqwest;
mod span;
#[cfg(feature = "tracing")]
pub mod subscriber;
#[cfg(feature = "testing")]
pub mod testing;

// The guide pages: reference, no code.
#[cfg(all(feature = "pipeline", feature = "testing"))]
pub mod guide;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;

#[cfg(feature = "pipeline")]
pub use config::{init, Config};
pub use context::CarrySpan;
#[cfg(feature = "pipeline")]
pub use error::{ConfigError, InitError};
#[cfg(feature = "pipeline")]
pub use export::batch::BatchSettings;
#[cfg(feature = "pipeline")]
pub use export::console::{ConsoleFormat, ConsoleSettings};
#[cfg(feature = "pipeline")]
pub use export::otlp::{Compression, OtlpSettings, Protocol};
#[cfg(feature = "pipeline")]
pub use export::stats::{export_stats, ExportStats};
#[cfg(feature = "pipeline")]
pub use export::Exporter;
pub use facade::link::LinkTarget;
#[cfg(feature = "pipeline")]
pub use install::{flush, shutdown, TracingGuard};
#[cfg(feature = "pipeline")]
pub use metrics::{MetricsExporter, MetricsSettings};
#[cfg(feature = "pipeline")]
pub use pipeline::{keep_stats, KeepPolicy, KeepStats, Sampler, SpanLimitSettings};
pub use span::{current_span, span, CurrentSpan, EnteredSpan, NewSpan};
pub use support::diagnostics::LogLevel;

pub use opentelemetry;
pub use opentelemetry::trace::{SpanId, SpanKind, Status, TraceId};
pub use opentelemetry::{KeyValue, Value};
#[cfg(any(feature = "pipeline", feature = "propagation"))]
pub use opentelemetry_sdk;
/// The OpenTelemetry semantic-convention keys, usable as keys in
/// `attributes(..)`, so backends recognise HTTP, database, messaging and
/// LLM spans:
///
/// ```
/// use tracekit::semconv::attribute::{
///     DB_OPERATION_NAME, DB_QUERY_TEXT, DB_SYSTEM_NAME, GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME,
///     GEN_AI_REQUEST_MODEL, HTTP_REQUEST_METHOD, HTTP_ROUTE, MESSAGING_DESTINATION_NAME,
///     MESSAGING_OPERATION_TYPE, MESSAGING_SYSTEM,
/// };
/// use tracekit::trace_operation;
///
/// #[trace_operation("GET /users/{id}", kind = "server",
///                   attributes(HTTP_REQUEST_METHOD = "GET", HTTP_ROUTE = "/users/{id}"))]
/// fn get_user(id: u64) -> String { find_user(id) }
///
/// #[trace_operation("SELECT users", kind = "client", attributes(DB_SYSTEM_NAME = "postgresql",
///                   DB_OPERATION_NAME = "SELECT", DB_QUERY_TEXT = "SELECT name FROM users WHERE id = $1"))]
/// fn find_user(id: u64) -> String { format!("user-{id}") }
///
/// #[trace_operation("orders publish", kind = "producer", attributes(MESSAGING_SYSTEM = "kafka",
///                   MESSAGING_DESTINATION_NAME = "orders", MESSAGING_OPERATION_TYPE = "send"))]
/// fn publish(order: &str) {}
///
/// #[trace_operation("chat gpt-4o", kind = "client", attributes(GEN_AI_OPERATION_NAME = "chat",
///                   GEN_AI_PROVIDER_NAME = "openai", GEN_AI_REQUEST_MODEL = model))]
/// fn ask(model: &str, prompt: &str) -> usize {
///     tracekit::current_span().set_attribute("gen_ai.usage.input_tokens", prompt.len() as i64);
///     42
/// }
///
/// let (_, spans) = tracekit::testing::capture(|| {
///     get_user(7);
///     publish("order-1");
///     ask("gpt-4o", "hello")
/// });
/// assert_eq!(spans.get("GET /users/{id}").str_attribute("http.route"), Some("/users/{id}"));
/// assert_eq!(spans.get("SELECT users").str_attribute("db.system.name"), Some("postgresql"));
/// assert_eq!(spans.get("orders publish").str_attribute("messaging.system"), Some("kafka"));
/// assert_eq!(spans.get("chat gpt-4o").str_attribute("gen_ai.request.model"), Some("gpt-4o"));
/// spans.assert_child_of("SELECT users", "GET /users/{id}");
/// ```
#[cfg(feature = "semconv")]
pub use opentelemetry_semantic_conventions as semconv;

/// Traces a function: a span from call to return, current while the body
/// runs, so spans made inside it are its children.
///
/// Works on `fn` and `async fn` alike (for `async fn` it behaves as
/// [`trace_async`]). The span is named after the function and carries
/// `code.function.name` (`module::path::fn_name`), `code.file.path` and
/// `code.line.number`.
///
/// Options (all optional, in any order):
///
/// | option | effect |
/// |---|---|
/// | `"name"` or `name = "name"` | the span's name (default: the fn's name) |
/// | `include_args` | each named argument as attribute `arg.<name>`: integers, floats, bools and strings keep their type, anything else is recorded through `Debug` |
/// | `skip(a, b)` | leave these arguments out of `include_args` |
/// | `redact(a, b)` | record these arguments as `"[REDACTED]"` |
/// | `include_result` | the returned value as attribute `result` (for a `Result`, the `Ok` value) |
/// | `kind = "server"` | the span kind: `internal` (default), `server`, `client`, `producer`, `consumer` |
/// | `attributes("key" = expr, ..)` | extra attributes; the expressions run only when the span is recorded. A key is a string literal or a `&'static str` constant such as [`semconv`]`::attribute::DB_SYSTEM_NAME` |
/// | `parent = expr` | continue this `Context` instead of the current one, such as [`propagation::extract`]`(&headers)` in a server handler |
/// | `links = expr` | link the span to other spans: an iterable of `Context`s or `SpanContext`s, such as the contexts extracted from a batch's messages; evaluated only when the span is recorded |
/// | `crate = path` | where tracekit is, for crates that re-export it under another path |
///
/// A returned `Result` that is `Err` (recognised by its type, so
/// `io::Result`, `anyhow::Result` and your own aliases count) sets status
/// Error with the error's `Display` (else its `Debug`), an `exception` event
/// and `error.type` (the error's type name). A panic sets status Error
/// with the panic message, then continues unchanged. Success leaves the
/// status Unset.
///
/// ```
/// use tracekit::trace_operation;
///
/// #[derive(Debug)]
/// struct Query { table: &'static str }
///
/// #[trace_operation("db.select", include_args, skip(password), kind = "client",
///                   attributes("db.system" = "postgresql", "db.table" = query.table))]
/// fn select(query: &Query, limit: u32, password: &str) -> Result<Vec<u32>, std::fmt::Error> {
///     Ok((0..limit).collect())
/// }
///
/// let (rows, spans) = tracekit::testing::capture(|| select(&Query { table: "users" }, 2, "hunter2"));
/// assert_eq!(rows.unwrap(), [0, 1]);
/// let span = spans.get("db.select");
/// assert_eq!(span.i64_attribute("arg.limit"), Some(2));
/// assert_eq!(span.str_attribute("arg.query"), Some("Query { table: \"users\" }"));
/// assert_eq!(span.str_attribute("db.table"), Some("users"));
/// assert_eq!(span.attribute("arg.password"), None);
/// ```
///
/// On an `impl` block, the attribute instruments every function in it with
/// the block's options, naming each span `Type::method`. A function keeps
/// its own tracekit attribute to override them, and `#[no_trace]` leaves it
/// untraced. `const fn`s are left as they are.
///
/// ```
/// struct Repo;
///
/// #[tracekit::trace_operation(include_args)]
/// impl Repo {
///     fn load(&self, id: u32) -> u32 { self.check(id) }
///
///     #[no_trace]
///     fn check(&self, id: u32) -> u32 { id }
/// }
///
/// let (_, spans) = tracekit::testing::capture(|| Repo.load(3));
/// assert_eq!(spans.names(), ["Repo::load"]);
/// ```
pub use tracekit_macros::trace_operation;

/// Traces an `async fn`: the span starts when the future is first polled,
/// is current during every poll (on any thread of a multi-threaded
/// executor), and ends when the future completes.
///
/// A future dropped before completing ends its span with
/// `tracekit.cancelled = true`. Takes the options of [`trace_operation`]; on
/// a non-`async` function it is a compile error. On an `impl` block it
/// instruments the block's `async fn`s (see [`trace_operation`]).
///
/// ```
/// use tracekit::trace_async;
///
/// #[trace_async(include_result)]
/// async fn fetch_price(item: &str) -> Result<u32, String> {
///     tokio::task::yield_now().await;
///     if item.is_empty() { Err("no item".into()) } else { Ok(12) }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let (price, spans) = tracekit::testing::capture_async(fetch_price("tea")).await;
/// assert_eq!(price, Ok(12));
/// assert_eq!(spans.get("fetch_price").i64_attribute("result"), Some(12));
///
/// let (_, spans) = tracekit::testing::capture_async(fetch_price("")).await;
/// assert_eq!(spans.get("fetch_price").error_message(), Some("no item"));
/// # });
/// ```
pub use tracekit_macros::trace_async;

/// Traces a function like [`trace_operation`] and measures it with a
/// monotonic clock; a call that takes longer than `threshold_ms` gets
/// `performance.threshold_ms`, `performance.duration_ms`, an event
/// `performance.threshold_exceeded`, and a `tracing::warn!` (target
/// `tracekit::performance`) naming the operation, its duration and the
/// threshold. The warning is emitted whether or not the span is recorded.
///
/// Works on `fn` and `async fn`. `threshold_ms` is required and must be a
/// positive integer; the other options are those of [`trace_operation`].
///
/// ```
/// use tracekit::trace_performance;
///
/// #[trace_performance(threshold_ms = 5)]
/// fn slow() {
///     std::thread::sleep(std::time::Duration::from_millis(20));
/// }
///
/// let ((), spans) = tracekit::testing::capture(slow);
/// let span = spans.get("slow");
/// assert_eq!(span.i64_attribute("performance.threshold_ms"), Some(5));
/// assert!(span.f64_attribute("performance.duration_ms").unwrap() >= 20.0);
/// assert!(span.event("performance.threshold_exceeded").is_some());
/// ```
pub use tracekit_macros::trace_performance;
