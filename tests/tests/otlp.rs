//! OTLP export, checked against a real receiver on loopback over each
//! transport, from code and from the environment alone.

mod common;

use common::receiver::{spans, Export, Receiver, Transport};
use opentelemetry_proto::tonic::common::v1::any_value::Value as ProtoValue;
use opentelemetry_proto::tonic::common::v1::KeyValue as ProtoKeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind as ProtoKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::Span as ProtoSpan;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracekit::{trace_operation, Compression, Config, Protocol};

static INSTALL: Mutex<()> = Mutex::new(());
const WAIT: Duration = Duration::from_secs(10);

fn value<'a>(attributes: &'a [ProtoKeyValue], key: &str) -> Option<&'a ProtoValue> {
    attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?.value.as_ref()
}

fn string<'a>(attributes: &'a [ProtoKeyValue], key: &str) -> Option<&'a str> {
    match value(attributes, key)? {
        ProtoValue::StringValue(s) => Some(s),
        _ => None,
    }
}

fn span<'a>(spans: &'a [ProtoSpan], name: &str) -> &'a ProtoSpan {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("no span {name:?} in {spans:#?}"))
}

#[trace_operation(kind = "server", include_args)]
fn handle(count: i64, ratio: f64, admin: bool, path: &str) -> Result<(), String> {
    tracekit::current_span().add_event("cache.miss", [tracekit::KeyValue::new("cache.key", "user:1")]);
    let _ = route(path, count);
    fetch(count)
}

/// Nothing recorded on it but its arguments and result: a compact record
/// with its attributes beside it, written to OTLP as any span.
#[trace_operation(include_args, include_result)]
fn route(path: &str, count: i64) -> i64 {
    count * 2 + i64::from(path.len() > 1)
}

#[trace_operation(kind = "client")]
fn fetch(count: i64) -> Result<(), String> {
    Err(format!("upstream refused {count}"))
}

/// Installs OTLP to the receiver with `protocol` and `compression`, makes a
/// small trace, shuts down (which flushes), and returns what arrived.
fn send_trace(receiver: &Receiver, protocol: Protocol, compression: Compression) -> Vec<Export> {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let endpoint = match protocol {
        Protocol::Grpc => &receiver.grpc_endpoint,
        _ => &receiver.http_endpoint,
    };
    let guard = Config::new()
        .service_name("otlp-test")
        .service_version("1.2.3")
        .resource_attribute("deployment.environment.name", "test")
        .otlp(|otlp| {
            otlp.endpoint(endpoint.clone())
                .protocol(protocol)
                .compression(compression)
                .header("x-api-key", "secret value")
        })
        .install()
        .unwrap();
    let _ = handle(3, 0.5, true, "/users");
    drop(guard);
    receiver.wait_for_spans(3, WAIT)
}

fn assert_trace_arrived(exports: &[Export], transport: Transport, gzip: bool) {
    assert!(!exports.is_empty(), "nothing arrived over {transport:?}");
    for export in exports {
        assert_eq!(export.transport, transport);
        assert_eq!(export.gzip, gzip, "compression over {transport:?}");
        assert_eq!(export.headers.get("x-api-key").map(|v| v.to_str().unwrap()), Some("secret value"));
        let user_agent = export.headers.get("user-agent").map(|v| v.to_str().unwrap()).unwrap_or_default();
        let ours = concat!("tracekit/", env!("CARGO_PKG_VERSION"), " (OTel-OTLP-Exporter-Rust)");
        assert!(user_agent.starts_with(ours), "the exporter names itself over {transport:?}: {user_agent:?}");
    }

    let resource_spans = &exports[0].request.resource_spans[0];
    let resource = &resource_spans.resource.as_ref().unwrap().attributes;
    assert_eq!(string(resource, "service.name"), Some("otlp-test"));
    assert_eq!(string(resource, "service.version"), Some("1.2.3"));
    assert_eq!(string(resource, "deployment.environment.name"), Some("test"));
    assert_eq!(string(resource, "telemetry.sdk.language"), Some("rust"));
    assert_eq!(string(resource, "telemetry.sdk.name"), Some("opentelemetry"));
    assert!(
        matches!(value(resource, "process.pid"), Some(ProtoValue::IntValue(pid)) if *pid == i64::from(std::process::id()))
    );
    assert!(string(resource, "host.arch").is_some());

    let scope = resource_spans.scope_spans[0].scope.as_ref().unwrap();
    assert_eq!(scope.name, "tracekit");
    assert_eq!(scope.version, env!("CARGO_PKG_VERSION"));

    let spans = spans(exports);
    assert_eq!(spans.len(), 3, "{spans:#?}");
    let (handle, fetch) = (span(&spans, "handle"), span(&spans, "fetch"));
    assert_eq!(handle.trace_id.len(), 16);
    assert_eq!(handle.span_id.len(), 8);
    assert!(handle.trace_id.iter().any(|b| *b != 0));
    assert_eq!(fetch.trace_id, handle.trace_id);
    assert_eq!(fetch.parent_span_id, handle.span_id);
    assert!(handle.parent_span_id.is_empty());
    assert_eq!(handle.kind, ProtoKind::Server as i32);
    assert_eq!(fetch.kind, ProtoKind::Client as i32);

    assert_eq!(value(&handle.attributes, "arg.count"), Some(&ProtoValue::IntValue(3)));
    assert_eq!(value(&handle.attributes, "arg.ratio"), Some(&ProtoValue::DoubleValue(0.5)));
    assert_eq!(value(&handle.attributes, "arg.admin"), Some(&ProtoValue::BoolValue(true)));
    assert_eq!(string(&handle.attributes, "arg.path"), Some("/users"));
    assert_eq!(string(&handle.attributes, "code.function.name"), Some("otlp::handle"));

    let route = span(&spans, "route");
    let keys: Vec<&str> = route.attributes.iter().map(|attribute| attribute.key.as_str()).collect();
    let expected = ["code.function.name", "code.file.path", "code.line.number", "arg.path", "arg.count", "result"];
    assert_eq!(keys, expected, "the code location, then the arguments, then the result");
    assert_eq!(string(&route.attributes, "code.function.name"), Some("otlp::route"));
    assert_eq!(string(&route.attributes, "arg.path"), Some("/users"));
    assert_eq!(value(&route.attributes, "arg.count"), Some(&ProtoValue::IntValue(3)));
    assert_eq!(value(&route.attributes, "result"), Some(&ProtoValue::IntValue(7)));
    assert_eq!(
        (route.trace_id.as_slice(), route.parent_span_id.as_slice()),
        (&handle.trace_id[..], &handle.span_id[..])
    );
    assert_eq!(route.dropped_attributes_count, 0);
    assert!(route.status.as_ref().is_none_or(|status| status.code == StatusCode::Unset as i32));

    let miss = handle.events.iter().find(|e| e.name == "cache.miss").expect("cache.miss event");
    assert_eq!(string(&miss.attributes, "cache.key"), Some("user:1"));
    let status = fetch.status.as_ref().unwrap();
    assert_eq!(status.code, StatusCode::Error as i32);
    assert_eq!(status.message, "upstream refused 3");
    let exception = fetch.events.iter().find(|e| e.name == "exception").expect("exception event");
    assert_eq!(string(&exception.attributes, "exception.message"), Some("upstream refused 3"));
    assert!(fetch.end_time_unix_nano >= fetch.start_time_unix_nano);
}

/// Sends a trace with `protocol` and `compression` to a fresh receiver and
/// checks everything that arrived.
fn round_trip(protocol: Protocol, compression: Compression, transport: Transport) {
    let receiver = Receiver::start();
    let exports = send_trace(&receiver, protocol, compression);
    assert_trace_arrived(&exports, transport, compression == Compression::Gzip);
}

#[test]
fn grpc_delivers_the_whole_trace() {
    round_trip(Protocol::Grpc, Compression::None, Transport::Grpc);
}

#[test]
fn grpc_with_gzip() {
    round_trip(Protocol::Grpc, Compression::Gzip, Transport::Grpc);
}

#[test]
fn http_protobuf_delivers_the_whole_trace() {
    round_trip(Protocol::HttpProtobuf, Compression::None, Transport::HttpProtobuf);
}

#[test]
fn http_protobuf_with_gzip() {
    round_trip(Protocol::HttpProtobuf, Compression::Gzip, Transport::HttpProtobuf);
}

#[test]
fn http_json_delivers_the_whole_trace() {
    round_trip(Protocol::HttpJson, Compression::None, Transport::HttpJson);
}

#[test]
fn http_json_with_gzip() {
    round_trip(Protocol::HttpJson, Compression::Gzip, Transport::HttpJson);
}

#[test]
fn the_batch_processor_exports_on_its_schedule_without_waiting_for_shutdown() {
    let receiver = Receiver::start();
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let guard = Config::new()
        .otlp(|otlp| otlp.endpoint(receiver.grpc_endpoint.clone()))
        .batch(|batch| batch.schedule_delay(Duration::from_millis(50)).max_queue_size(64).max_export_batch_size(8))
        .install()
        .unwrap();
    for _ in 0..20 {
        let _ = fetch(1);
    }
    let arrived = spans(&receiver.wait_for_spans(20, WAIT)).len();
    assert_eq!(arrived, 20, "exported while the guard is still alive");
    assert!(receiver.exports().len() >= 3, "batches of at most 8 spans");
    drop(guard);
}

#[test]
fn flush_exports_what_is_queued_without_waiting_for_the_schedule() {
    let receiver = Receiver::start();
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let guard = Config::new()
        .otlp(|otlp| otlp.endpoint(receiver.grpc_endpoint.clone()))
        .batch(|batch| batch.schedule_delay(Duration::from_secs(3600)).max_queue_size(2048).max_export_batch_size(512))
        .install()
        .unwrap();
    for _ in 0..5 {
        let _ = fetch(1);
    }
    assert!(receiver.exports().is_empty(), "an hour's schedule: nothing sent yet");
    assert!(tracekit::flush());
    assert_eq!(spans(&receiver.exports()).len(), 5, "sent when flush returns");
    drop(guard);
}

#[test]
fn a_collector_that_is_down_neither_blocks_nor_crashes_the_program() {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let guard = Config::new()
        .otlp(|otlp| otlp.endpoint(format!("http://{closed}")).timeout(Duration::from_millis(500)))
        .install()
        .unwrap();
    for _ in 0..100 {
        let _ = fetch(1);
    }
    let started = Instant::now();
    drop(guard);
    // Shutdown is bounded by the export timeout, not by the collector.
    assert!(started.elapsed() < Duration::from_secs(10), "shutdown took {:?}", started.elapsed());
}

#[test]
fn a_failed_export_is_reported_in_one_warning_with_the_endpoint_and_the_count() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let output = run(
        OTLP_EXAMPLE,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &format!("http://{closed}")), ("OTEL_EXPORTER_OTLP_TIMEOUT", "500")],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    let warnings: Vec<&str> = stderr.lines().filter(|line| line.contains("spans lost on the way to")).collect();
    assert_eq!(warnings.len(), 1, "one batch, one warning: {stderr}");
    assert!(warnings[0].contains(&format!("http://{closed}")), "{stderr}");
    assert!(warnings[0].contains("6 spans lost"), "{stderr}");
}

/// Runs an example binary with only these variables for tracing.
fn run(binary: &str, vars: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(binary);
    for (key, _) in std::env::vars() {
        if key.starts_with("OTEL_") || key.starts_with("TRACING_") {
            command.env_remove(key);
        }
    }
    let output = command.envs(vars.iter().copied()).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    output
}

const OTLP_EXAMPLE: &str = env!("CARGO_BIN_EXE_otlp");

#[test]
fn the_example_sends_over_grpc_configured_only_by_the_environment() {
    let receiver = Receiver::start();
    run(OTLP_EXAMPLE, &[("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint)]);
    let exports = receiver.exports(); // the process has exited: everything was flushed
    let spans = spans(&exports);
    assert_eq!(spans.len(), 6, "{spans:#?}");
    let root = span(&spans, "otlp-example");
    assert!(spans.iter().all(|s| s.trace_id == root.trace_id));
    let resource = &exports[0].request.resource_spans[0].resource.as_ref().unwrap().attributes;
    assert_eq!(string(resource, "service.name"), Some("otlp"), "named after the executable");
}

#[test]
fn the_example_sends_over_http_with_headers_and_resource_from_the_environment() {
    let receiver = Receiver::start();
    run(
        OTLP_EXAMPLE,
        &[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.http_endpoint),
            ("OTEL_EXPORTER_OTLP_HEADERS", "x-api-key=a%20b%3Dc,x-team=core"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip"),
            ("OTEL_SERVICE_NAME", "checkout"),
            ("OTEL_RESOURCE_ATTRIBUTES", "service.version=2.0,deployment.environment.name=prod"),
        ],
    );
    let exports = receiver.exports();
    assert_eq!(spans(&exports).len(), 6);
    let export = &exports[0];
    assert_eq!(export.transport, Transport::HttpProtobuf);
    assert!(export.gzip);
    assert_eq!(export.headers.get("x-api-key").unwrap(), "a b=c", "percent-decoded");
    assert_eq!(export.headers.get("x-team").unwrap(), "core");
    let resource = &export.request.resource_spans[0].resource.as_ref().unwrap().attributes;
    assert_eq!(string(resource, "service.name"), Some("checkout"));
    assert_eq!(string(resource, "service.version"), Some("2.0"));
    assert_eq!(string(resource, "deployment.environment.name"), Some("prod"));
}

#[test]
fn a_traces_endpoint_is_used_as_given_over_http_json() {
    let receiver = Receiver::start();
    let url = format!("{}/v1/traces", receiver.http_endpoint);
    run(
        OTLP_EXAMPLE,
        &[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"), ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", &url)],
    );
    let exports = receiver.exports();
    assert_eq!(spans(&exports).len(), 6);
    assert!(exports.iter().all(|e| e.transport == Transport::HttpJson));
}

#[test]
fn tracing_exporter_jaeger_sends_otlp_to_the_jaeger_host() {
    let receiver = Receiver::start();
    let port = receiver.grpc_endpoint.rsplit(':').next().unwrap().to_owned();
    run(
        env!("CARGO_BIN_EXE_quickstart"), // under #[tokio::main]
        &[("TRACING_EXPORTER", "jaeger"), ("TRACING_JAEGER_HOST", "127.0.0.1"), ("TRACING_JAEGER_PORT", &port)],
    );
    assert_eq!(spans(&receiver.exports()).len(), 10);
}

#[test]
fn a_sampler_from_the_environment_drops_traces_before_export() {
    let receiver = Receiver::start();
    run(
        OTLP_EXAMPLE,
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint), ("OTEL_TRACES_SAMPLER", "always_off")],
    );
    assert!(spans(&receiver.exports()).is_empty());
}

#[test]
fn otel_sdk_disabled_sends_nothing() {
    let receiver = Receiver::start();
    let output = Command::new(OTLP_EXAMPLE)
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint)
        .env("OTEL_SDK_DISABLED", "true")
        .output()
        .unwrap();
    assert!(output.status.success());
    std::thread::sleep(Duration::from_millis(200));
    assert!(receiver.exports().is_empty());
}

#[test]
fn an_https_endpoint_uses_tls_and_a_plain_text_server_is_refused_without_harm() {
    let receiver = Receiver::start();
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for (protocol, endpoint) in
        [(Protocol::Grpc, &receiver.grpc_endpoint), (Protocol::HttpProtobuf, &receiver.http_endpoint)]
    {
        // The receiver speaks plain text: a TLS handshake with it fails.
        let https = endpoint.replace("http://", "https://");
        let guard = Config::new()
            .otlp(|otlp| otlp.endpoint(https).protocol(protocol).timeout(Duration::from_secs(1)))
            .install()
            .expect("TLS is available without OpenSSL");
        let _ = fetch(1);
        drop(guard);
    }
    assert!(spans(&receiver.exports()).is_empty(), "nothing goes out unencrypted to an https:// endpoint");
}

#[test]
fn two_processes_export_into_one_trace() {
    let receiver = Receiver::start();
    run(
        env!("CARGO_BIN_EXE_distributed"),
        &[("TRACING_EXPORTER", "otlp"), ("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint)],
    );
    let exports = receiver.wait_for_spans(4, WAIT);
    let spans = spans(&exports);
    assert_eq!(spans.len(), 4, "{spans:#?}");
    assert!(spans.iter().all(|s| s.trace_id == spans[0].trace_id), "one trace");
    // Made by the layers: the reqwest middleware's client span and the
    // server layer's span, which continues it in the other process.
    let (client, server) = (span(&spans, "GET"), span(&spans, "GET /price/{item}"));
    assert_eq!(client.parent_span_id, span(&spans, "checkout").span_id);
    assert_eq!(server.parent_span_id, client.span_id, "the server continues the client's span");
    assert_eq!(span(&spans, "lookup").parent_span_id, server.span_id);
    let pids: std::collections::BTreeSet<i64> = exports
        .iter()
        .flat_map(|e| &e.request.resource_spans)
        .filter_map(|r| match value(&r.resource.as_ref()?.attributes, "process.pid")? {
            ProtoValue::IntValue(pid) => Some(*pid),
            _ => None,
        })
        .collect();
    assert_eq!(pids.len(), 2, "spans from two processes: {pids:?}");
}

#[test]
fn a_tracing_span_through_the_layer_arrives_with_its_file_and_line_before_its_fields() {
    use tracing_subscriber::layer::SubscriberExt as _;
    let receiver = Receiver::start();
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut line = 0;
    for protocol in [Protocol::Grpc, Protocol::HttpJson] {
        let guard = Config::new().otlp(|otlp| otlp.endpoint(receiver.endpoint(protocol)).protocol(protocol)).install();
        let subscriber = tracing_subscriber::registry().with(tracekit::subscriber::layer());
        line = line!() + 2;
        tracing::subscriber::with_default(subscriber, || {
            tracing::info_span!("lookup", table = "users", rows = 3_i64).in_scope(|| ());
        });
        drop(guard.unwrap());
    }
    let spans = spans(&receiver.wait_for_spans(2, WAIT));
    assert_eq!(spans.len(), 2, "one span over each protocol: {spans:#?}");
    for lookup in &spans {
        assert_eq!(lookup.name, "lookup");
        let keys: Vec<&str> = lookup.attributes.iter().map(|attribute| attribute.key.as_str()).collect();
        assert_eq!(keys, ["code.file.path", "code.line.number", "table", "rows"]);
        assert!(string(&lookup.attributes, "code.file.path").is_some_and(|path| path.ends_with("otlp.rs")));
        assert_eq!(value(&lookup.attributes, "code.line.number"), Some(&ProtoValue::IntValue(i64::from(line))));
        assert_eq!(string(&lookup.attributes, "table"), Some("users"));
    }
}
