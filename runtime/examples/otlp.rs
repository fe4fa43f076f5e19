//! Sends a trace over OTLP to any OpenTelemetry collector, Jaeger or Tempo.
//!
//! ```text
//! OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 cargo run --example otlp
//! OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 cargo run --example otlp
//! ```
//!
//! A plain `fn main`, without an async runtime: tracekit drives the OTLP
//! client on a thread of its own and flushes when the guard is dropped.

use tracekit::{trace_operation, Config, Exporter};

#[trace_operation("GET /users/{id}", kind = "server", include_args, attributes("http.request.method" = "GET"))]
fn handle_request(id: u64) -> Result<usize, String> {
    let user = load_user(id)?;
    Ok(render(&user))
}

#[trace_operation(kind = "client", attributes("db.system.name" = "postgresql"))]
fn load_user(id: u64) -> Result<String, String> {
    if id == 0 {
        return Err("no user 0".to_owned());
    }
    Ok(format!("user-{id}"))
}

#[trace_operation(include_result)]
fn render(user: &str) -> usize {
    user.len()
}

fn main() {
    // tracekit reports a failed export as a `tracing` warning: show it.
    tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false).init();
    // The environment configures the endpoint, protocol, headers...; this
    // example sends OTLP unless TRACING_ENABLED or OTEL_SDK_DISABLED say no.
    let guard = Config::from_env()
        .map(|config| config.exporters(&[Exporter::Otlp]))
        .map_err(Into::into)
        .and_then(Config::install);
    let _guard = guard.unwrap_or_else(|error| {
        eprintln!("{error}");
        std::process::exit(2);
    });
    let trace_id = tracekit::span("otlp-example").in_scope(|| {
        let _ = handle_request(7);
        let _ = handle_request(0);
        tracekit::current_span().trace_id()
    });
    if let Some(trace_id) = trace_id {
        println!("sent trace {trace_id}");
    }
}
