//! Configuration from the environment and from code, and the process-wide
//! installation. Installation is global, so those tests take a lock.

mod common;

use common::Collect;
use std::collections::HashMap;
use std::sync::Mutex;
use tracekit::testing::{self, capture};
use tracekit::{trace_operation, Config, ConfigError, ConsoleFormat, Exporter, InitError};

static INSTALL: Mutex<()> = Mutex::new(());

fn installing() -> std::sync::MutexGuard<'static, ()> {
    INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn from_vars(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|name| vars.get(name).cloned())
}

#[test]
fn tracing_enabled_accepts_every_spelling_in_any_case() {
    let cases = [
        ("true", true),
        ("TRUE", true),
        ("1", true),
        ("yes", true),
        ("Yes", true),
        ("on", true),
        ("ON", true),
        ("false", false),
        ("False", false),
        ("0", false),
        ("no", false),
        ("NO", false),
        ("off", false),
        ("  off ", false),
    ];
    for (value, enabled) in cases {
        let config = from_vars(&[("TRACING_ENABLED", value)]).unwrap_or_else(|e| panic!("{value:?}: {e}"));
        assert_eq!(config.is_recording(), enabled, "TRACING_ENABLED={value:?}");
    }
}

#[test]
fn tracing_exporter_and_console_format_accept_their_values() {
    let exporters = [
        ("console", Exporter::Console),
        ("CONSOLE", Exporter::Console),
        ("in_memory", Exporter::InMemory),
        ("in-memory", Exporter::InMemory),
        ("none", Exporter::None),
    ];
    for (value, exporter) in exporters {
        let chosen: &[Exporter] = if exporter == Exporter::None { &[] } else { &[exporter] };
        assert_eq!(from_vars(&[("TRACING_EXPORTER", value)]).unwrap().chosen_exporters(), chosen, "{value}");
    }
    for value in ["tree", "line", "json", "JSON"] {
        assert!(from_vars(&[("TRACING_CONSOLE_FORMAT", value)]).is_ok(), "{value}");
    }
}

#[test]
fn unset_or_empty_variables_keep_the_defaults() {
    for vars in [&[][..], &[("TRACING_EXPORTER", ""), ("TRACING_ENABLED", "  ")][..]] {
        let config = from_vars(vars).unwrap();
        assert_eq!(config.chosen_exporters(), [Exporter::Console]);
        assert!(config.is_recording());
    }
}

#[test]
fn a_bad_value_names_the_variable_the_value_and_what_is_accepted() {
    let cases = [
        ("TRACING_ENABLED", "maybe", "true, false, 1, 0, yes, no, on or off"),
        (
            "TRACING_EXPORTER",
            "jaegar",
            "none, or a comma-separated list of console, otlp, jaeger, in_memory, each once",
        ),
        ("TRACING_CONSOLE_FORMAT", "xml", "one of tree, line, json"),
    ];
    for (variable, value, expected) in cases {
        let error = from_vars(&[(variable, value)]).unwrap_err();
        assert_eq!(
            error,
            ConfigError::InvalidValue { variable, value: value.to_owned(), expected },
            "{variable}={value}"
        );
        let message = error.to_string();
        assert!(message.contains(variable) && message.contains(value) && message.contains(expected), "{message}");
    }
}

/// Every variable with good values, and what the configuration then holds
/// (as its `Debug` output shows it).
#[test]
fn every_variable_is_read() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("TRACING_EXPORTER", "otlp")], "exporters: [Otlp]"),
        (&[("TRACING_EXPORTER", "otlp,console")], "exporters: [Otlp, Console]"),
        (&[("TRACING_EXPORTER", "jaeger, in_memory")], "exporters: [Otlp, InMemory]"),
        (&[("TRACING_EXPORTER", "jaeger")], "endpoint: Some(Base(\"http://localhost:4317\")), protocol: Grpc"),
        (&[("TRACING_EXPORTER", "jaeger"), ("TRACING_JAEGER_HOST", "jaeger.internal"), ("TRACING_JAEGER_PORT", "4318")],
         "endpoint: Some(Base(\"http://jaeger.internal:4318\")), protocol: HttpProtobuf"),
        (&[("TRACING_OTLP_ENDPOINT", "http://collector:4317")], "endpoint: Some(Base(\"http://collector:4317\"))"),
        (&[("TRACING_SAMPLE_RATE", "0.25")], "sampler: ParentBasedTraceIdRatio(0.25)"),
        (&[("TRACING_SAMPLE_RATE", "0")], "sampler: ParentBasedTraceIdRatio(0.0)"),
        (&[("TRACING_CONSOLE_FORMAT", "json")], "console: ConsoleSettings { format: Json"),
        (&[("TRACING_KEEP", "errors")], "keep: KeepPolicy { errors: true, slow_calls: false, cancellations: false, longer_than: None"),
        (&[("TRACING_KEEP", "slow, ERRORS")], "keep: KeepPolicy { errors: true, slow_calls: true, cancellations: false"),
        (&[("TRACING_KEEP", "cancelled")], "errors: false, slow_calls: false, cancellations: true"),
        (&[("TRACING_KEEP", "none")], "keep: KeepPolicy { errors: false, slow_calls: false, cancellations: false, longer_than: None"),
        (&[("TRACING_KEEP_LONGER_THAN_MS", "1500")], "longer_than: Some(1.5s)"),
        (&[("TRACING_KEEP_MAX_SPANS_PER_TRACE", "200")], "max_spans_per_trace: 200"),
        (&[("TRACING_KEEP_MAX_SPANS", "50000")], "max_held_spans: 50000"),
        (&[("TRACING_KEEP_TIMEOUT_MS", "10000")], "timeout: 10s"),
        (&[("OTEL_SDK_DISABLED", "true")], "enabled: false"),
        (&[("OTEL_SDK_DISABLED", "false")], "enabled: true"),
        (&[("OTEL_TRACES_EXPORTER", "otlp")], "exporters: [Otlp]"),
        (&[("OTEL_TRACES_EXPORTER", "console")], "exporters: [Console]"),
        (&[("OTEL_TRACES_EXPORTER", "otlp,console")], "exporters: [Otlp, Console]"),
        (&[("OTEL_TRACES_EXPORTER", "none")], "exporters: []"),
        (&[("OTEL_METRICS_EXPORTER", "otlp, prometheus,console")], "exporters: [Otlp, Prometheus, Console]"),
        (&[("OTEL_METRICS_EXPORTER", "none")], "metrics: MetricsSettings { exporters: []"),
        (&[("OTEL_METRIC_EXPORT_INTERVAL", "5000")], "interval: 5s"),
        (&[("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "http://m:4318/v1/metrics")],
         "signal: Metrics, endpoint: Some(Signal(\"http://m:4318/v1/metrics\"))"),
        (&[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://g:4318"), ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "http/json")],
         "signal: Metrics, endpoint: Some(Base(\"http://g:4318\")), protocol: HttpJson"),
        (&[("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "2500")], "signal: Metrics, endpoint: None, protocol: Grpc, headers: [], timeout: 2.5s"),
        (&[("OTEL_EXPORTER_PROMETHEUS_HOST", "0.0.0.0")], "prometheus_host: \"0.0.0.0\""),
        (&[("OTEL_EXPORTER_PROMETHEUS_PORT", "9000")], "prometheus_port: 9000"),
        (&[("OTEL_SERVICE_NAME", "checkout")], "service_name: Some(\"checkout\")"),
        (&[("OTEL_RESOURCE_ATTRIBUTES", "service.name=a,service.version=1.0,team=core%20infra")],
         "service_name: Some(\"a\"), service_version: Some(\"1.0\"), resource_attributes: [(\"team\", \"core infra\")]"),
        (&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otlp.example.com")], "endpoint: Some(Base(\"https://otlp.example.com\"))"),
        (&[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318/custom")], "endpoint: Some(Signal(\"http://c:4318/custom\"))"),
        (&[("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json")], "protocol: HttpJson"),
        (&[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")], "protocol: HttpProtobuf"),
        (&[("OTEL_EXPORTER_OTLP_HEADERS", "api-key=secret")], "headers: [(\"api-key\", \"<redacted>\")]"),
        (&[("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "a=1,b=2")], "headers: [(\"a\", \"<redacted>\"), (\"b\", \"<redacted>\")]"),
        (&[("OTEL_EXPORTER_OTLP_TIMEOUT", "2500")], "timeout: 2.5s"),
        (&[("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "100")], "timeout: 100ms"),
        (&[("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")], "compression: Gzip"),
        (&[("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none")], "compression: None"),
        (&[("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem")],
         "ca: Some(PemFile { path: \"/etc/ca.pem\", setting: \"OTEL_EXPORTER_OTLP_CERTIFICATE\" })"),
        (&[("OTEL_EXPORTER_OTLP_CERTIFICATE", "/a.pem"), ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/t.pem")],
         "ca: Some(PemFile { path: \"/t.pem\", setting: \"OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE\" })"),
        (&[("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/c.pem"), ("OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY", "/k.pem")],
         "client_certificate: Some(PemFile { path: \"/c.pem\", setting: \"OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE\" }), \
          client_key: Some(PemFile { path: \"/k.pem\", setting: \"OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY\" })"),
        (&[("OTEL_TRACES_SAMPLER", "always_on")], "sampler: AlwaysOn"),
        (&[("OTEL_TRACES_SAMPLER", "always_off")], "sampler: AlwaysOff"),
        (&[("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.5")], "sampler: TraceIdRatio(0.5)"),
        (&[("OTEL_TRACES_SAMPLER", "traceidratio")], "sampler: TraceIdRatio(1.0)"),
        (&[("OTEL_TRACES_SAMPLER", "parentbased_always_on")], "sampler: ParentBasedAlwaysOn"),
        (&[("OTEL_TRACES_SAMPLER", "parentbased_always_off")], "sampler: ParentBasedAlwaysOff"),
        (&[("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.1")],
         "sampler: ParentBasedTraceIdRatio(0.1)"),
        (&[("OTEL_BSP_SCHEDULE_DELAY", "50")], "schedule_delay: 50ms"),
        (&[("OTEL_BSP_MAX_QUEUE_SIZE", "4096")], "max_queue_size: 4096"),
        (&[("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "64")], "max_export_batch_size: 64"),
        (&[("OTEL_BSP_EXPORT_TIMEOUT", "1000")], "export_timeout: 1s"),
        (&[("TRACING_EXPORT_THREADS", "3")], "export_threads: 3"),
        (&[("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "16")], "attribute_count: 16"),
        (&[("OTEL_SPAN_EVENT_COUNT_LIMIT", "8")], "event_count: 8"),
        (&[("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "256")], "attribute_value_length: Some(256)"),
    ];
    for (vars, expected) in cases {
        let config = from_vars(vars).unwrap_or_else(|error| panic!("{vars:?}: {error}"));
        let shown = format!("{config:?}");
        assert!(shown.contains(expected), "{vars:?}: expected {expected} in {shown}");
    }
}

/// Every variable with bad values: a typed error naming the variable, the
/// value and what is accepted.
#[test]
fn every_variable_rejects_bad_values() {
    let cases: &[(&str, &str, &str)] = &[
        ("TRACING_JAEGER_PORT", "6831", "6831 and 6832 belong to Jaeger's retired UDP agent"),
        ("TRACING_JAEGER_PORT", "6832", "4317 (gRPC) or 4318 (HTTP)"),
        ("TRACING_JAEGER_PORT", "http", "a port number"),
        ("TRACING_JAEGER_PORT", "70000", "a port number"),
        ("TRACING_JAEGER_HOST", "bad host", "a host name or IP address"),
        ("TRACING_OTLP_ENDPOINT", "collector:4317", "an http:// or https:// URL"),
        ("TRACING_SAMPLE_RATE", "1.5", "a number from 0.0 to 1.0"),
        ("TRACING_SAMPLE_RATE", "-0.1", "a number from 0.0 to 1.0"),
        ("TRACING_SAMPLE_RATE", "half", "a number from 0.0 to 1.0"),
        ("OTEL_SDK_DISABLED", "sometimes", "true, false"),
        ("TRACING_KEEP", "failures", "none, or a comma-separated list of errors, slow, cancelled"),
        ("TRACING_KEEP", "errors,errors", "each once"),
        ("TRACING_KEEP_LONGER_THAN_MS", "2s", "a whole number of milliseconds"),
        ("TRACING_KEEP_MAX_SPANS_PER_TRACE", "0", "a whole number, at least 1"),
        ("TRACING_KEEP_MAX_SPANS", "lots", "a whole number, at least 1"),
        ("TRACING_KEEP_TIMEOUT_MS", "0", "more than 0"),
        ("OTEL_TRACES_EXPORTER", "zipkin", "a comma-separated list of otlp, console"),
        ("OTEL_TRACES_EXPORTER", "otlp,otlp", "each once"),
        ("OTEL_TRACES_EXPORTER", "none,console", "none, or a comma-separated list"),
        ("TRACING_EXPORTER", "otlp,jaeger", "each exporter once"),
        ("OTEL_METRICS_EXPORTER", "statsd", "none, or a comma-separated list of otlp, prometheus, console"),
        ("OTEL_METRICS_EXPORTER", "console,console", "each once"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1m", "a whole number of milliseconds"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "0", "more than 0"),
        ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "thrift", "one of grpc, http/protobuf, http/json"),
        ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "collector:4317", "an http:// or https:// URL"),
        ("OTEL_EXPORTER_PROMETHEUS_PORT", "99999", "a port number"),
        ("OTEL_EXPORTER_PROMETHEUS_HOST", "bad host", "a host name or IP address"),
        ("OTEL_RESOURCE_ATTRIBUTES", "novalue", "key=value pairs"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url", "an http:// or https:// URL"),
        ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://c", "an http:// or https:// URL"),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http", "one of grpc, http/protobuf, http/json"),
        ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "thrift", "one of grpc, http/protobuf, http/json"),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "10s", "a whole number of milliseconds"),
        ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "-1", "a whole number of milliseconds"),
        ("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd", "gzip or none"),
        ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "br", "gzip or none"),
        ("OTEL_TRACES_SAMPLER", "sometimes", "one of always_on, always_off, traceidratio"),
        ("OTEL_BSP_SCHEDULE_DELAY", "fast", "a whole number of milliseconds"),
        ("OTEL_BSP_MAX_QUEUE_SIZE", "0", "a whole number greater than zero"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "many", "a whole number greater than zero"),
        ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096", "no larger than OTEL_BSP_MAX_QUEUE_SIZE"),
        ("OTEL_BSP_EXPORT_TIMEOUT", "1.5", "a whole number of milliseconds"),
        ("TRACING_EXPORT_THREADS", "0", "a whole number from 1 to 64"),
        ("TRACING_EXPORT_THREADS", "65", "a whole number from 1 to 64"),
        ("TRACING_EXPORT_THREADS", "all", "a whole number from 1 to 64"),
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "lots", "a whole number"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "-3", "a whole number"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "1e3", "a whole number"),
    ];
    for (variable, value, expected) in cases {
        let mut vars = vec![(*variable, *value)];
        if variable.starts_with("TRACING_JAEGER") {
            vars.push(("TRACING_EXPORTER", "jaeger"));
        }
        let error = from_vars(&vars).expect_err(&format!("{variable}={value} must be refused"));
        let ConfigError::InvalidValue { variable: named, value: shown, expected: accepted } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(named, variable);
        assert_eq!(shown, value);
        assert!(accepted.contains(expected), "{variable}={value}: {accepted}");
        assert!(error.to_string().starts_with(&format!("{variable}=\"{value}\" is not valid: expected ")), "{error}");
    }
    // The sampler's argument is checked when a ratio sampler reads it.
    let error = from_vars(&[("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "2")]).unwrap_err();
    assert!(error.to_string().starts_with("OTEL_TRACES_SAMPLER_ARG=\"2\""), "{error}");
}

#[test]
fn header_values_are_secrets_even_in_errors() {
    let error = from_vars(&[("OTEL_EXPORTER_OTLP_HEADERS", "api-key=hunter2,broken")]).unwrap_err();
    let message = format!("{error} {error:?}");
    assert!(!message.contains("hunter2"), "{message}");
    assert!(message.contains("api-key=<redacted>,broken"), "{message}");

    let config = from_vars(&[("OTEL_EXPORTER_OTLP_HEADERS", "api-key=hunter2")])
        .unwrap()
        .otlp(|otlp| otlp.header("x-token", "swordfish"));
    let shown = format!("{config:?}");
    assert!(!shown.contains("hunter2") && !shown.contains("swordfish"), "{shown}");
}

#[test]
fn tracing_variables_win_over_otel_variables() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("TRACING_EXPORTER", "none"), ("OTEL_TRACES_EXPORTER", "otlp")], "exporter: None"),
        (&[("TRACING_ENABLED", "true"), ("OTEL_SDK_DISABLED", "true")], "enabled: true"),
        (&[("TRACING_ENABLED", "off"), ("OTEL_SDK_DISABLED", "false")], "enabled: false"),
        (
            &[("TRACING_OTLP_ENDPOINT", "http://a:4317"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://b:4317")],
            "Base(\"http://a:4317\")",
        ),
        (
            &[("TRACING_SAMPLE_RATE", "0.5"), ("OTEL_TRACES_SAMPLER", "always_off")],
            "sampler: ParentBasedTraceIdRatio(0.5)",
        ),
        // The traces-specific OTEL variables win over the generic ones.
        (
            &[("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://t:1/x"), ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://g:1")],
            "Signal(\"http://t:1/x\")",
        ),
        (
            &[("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/json"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")],
            "protocol: HttpJson",
        ),
        (&[("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "1"), ("OTEL_EXPORTER_OTLP_TIMEOUT", "2")], "timeout: 1ms"),
        (
            &[("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "k=1"), ("OTEL_EXPORTER_OTLP_HEADERS", "k=2,j=3")],
            "headers: [(\"j\", \"<redacted>\"), (\"k\", \"<redacted>\")]",
        ),
        (
            &[("OTEL_SERVICE_NAME", "named"), ("OTEL_RESOURCE_ATTRIBUTES", "service.name=attr")],
            "service_name: Some(\"named\")",
        ),
    ];
    for (vars, expected) in cases {
        let shown = format!("{:?}", from_vars(vars).unwrap());
        assert!(shown.contains(expected), "{vars:?}: expected {expected} in {shown}");
    }
}

#[test]
fn builder_values_are_checked_when_installed() {
    let _lock = installing();
    let cases = [
        (Config::new().otlp(|otlp| otlp.endpoint("collector:4317")), "Config::otlp"),
        (Config::new().otlp(|otlp| otlp.jaeger("localhost", 6831)), "Config::otlp"),
        (Config::new().metrics(|metrics| metrics.interval(std::time::Duration::ZERO)), "Config::metrics"),
        (Config::new().metrics(|metrics| metrics.prometheus_address("no such host", 9464)), "Config::metrics"),
        (Config::new().sampler(tracekit::Sampler::TraceIdRatio(2.0)), "Config::sampler"),
        (
            Config::new().batch(|batch| {
                batch.schedule_delay(std::time::Duration::from_secs(1)).max_queue_size(8).max_export_batch_size(16)
            }),
            "Config::batch",
        ),
        (Config::new().keep(tracekit::KeepPolicy::new().errors().max_spans_per_trace(0)), "Config::keep"),
        (
            Config::new()
                .keep(tracekit::KeepPolicy::new().errors())
                .tracer_provider(tracekit::opentelemetry_sdk::trace::SdkTracerProvider::builder().build()),
            "Config::keep",
        ),
    ];
    for (config, setting) in cases {
        let error = config.install().expect_err(setting);
        assert!(
            matches!(&error, InitError::Config(ConfigError::InvalidValue { variable, .. }) if *variable == setting),
            "{error}"
        );
    }
}

#[test]
fn the_builder_overrides_what_the_environment_says() {
    let config = from_vars(&[("TRACING_EXPORTER", "none")]).unwrap().exporters(&[Exporter::InMemory]).enabled(true);
    assert_eq!(config.chosen_exporters(), [Exporter::InMemory]);
    assert!(config.is_recording());
    assert!(!Config::new().enabled(false).is_recording());
    let _ = Config::new().console(|console| console.format(ConsoleFormat::Json)).service_name("svc");
}

#[trace_operation(include_args)]
fn step(n: u32) -> u32 {
    n
}

#[test]
fn a_second_installation_is_an_error_until_the_first_guard_is_dropped() {
    let _lock = installing();
    let first = Config::new().exporters(&[Exporter::InMemory]).install().expect("first");
    let second = Config::new().exporters(&[Exporter::Console]).install();
    assert!(matches!(second, Err(InitError::AlreadyInitialized)));
    assert!(second.unwrap_err().to_string().contains("already initialized"));
    // The first installation is untouched by the refused one.
    step(1);
    assert_eq!(testing::take_recorded().names(), ["step"]);
    drop(first);
    let again = Config::new().exporters(&[Exporter::None]).install().expect("after the guard is dropped");
    drop(again);
}

#[test]
fn the_in_memory_exporter_reads_takes_and_clears_the_whole_process() {
    let _lock = installing();
    let _guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
    step(1);
    std::thread::spawn(|| step(2)).join().unwrap();
    let recorded = testing::recorded();
    assert_eq!(recorded.len(), 2, "spans from every thread");
    assert_eq!(recorded.with_attribute("arg.n", 2_i64).len(), 1);
    assert_eq!(testing::recorded().len(), 2, "reading keeps them");

    assert_eq!(testing::take_recorded().len(), 2);
    assert!(testing::recorded().is_empty(), "taking empties");

    step(3);
    testing::clear_recorded();
    assert!(testing::recorded().is_empty());

    // A capture still sees only its own spans, and keeps them from the global exporter.
    let (_, captured) = capture(|| step(4));
    assert_eq!(captured.len(), 1);
    assert!(testing::recorded().is_empty());
}

#[test]
fn disabled_or_none_records_nothing() {
    let _lock = installing();
    for config in [Config::new().enabled(false), Config::new().exporters(&[Exporter::None])] {
        let guard = config.install().unwrap();
        #[trace_operation]
        fn probe() -> bool {
            tracekit::current_span().is_recording()
        }
        assert!(!probe());
        drop(guard);
    }
}

#[test]
fn shutdown_uninstalls_so_that_init_can_run_again() {
    let _lock = installing();
    let guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
    tracekit::shutdown();
    assert!(!tracekit::span("after").in_scope(|| tracekit::current_span().is_recording()));
    let reinstalled = Config::new().exporters(&[Exporter::InMemory]).install().expect("shutdown frees the slot");
    drop(guard); // a stale guard leaves the new installation alone
    step(5);
    assert_eq!(testing::recorded().names(), ["step"]);
    drop(reinstalled);
}

#[test]
fn the_sampler_decides_which_traces_are_recorded() {
    let _lock = installing();
    let sampled = |vars: &[(&str, &str)]| {
        let guard = from_vars(vars).unwrap().exporters(&[Exporter::InMemory]).install().unwrap();
        for n in 0..200 {
            step(n);
        }
        let count = testing::take_recorded().len();
        drop(guard);
        count
    };
    assert_eq!(sampled(&[("OTEL_TRACES_SAMPLER", "always_off")]), 0);
    assert_eq!(sampled(&[("TRACING_SAMPLE_RATE", "0")]), 0);
    assert_eq!(sampled(&[("OTEL_TRACES_SAMPLER", "always_on")]), 200);
    let half = sampled(&[("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.5")]);
    assert!((40..160).contains(&half), "about half of 200 random trace ids: {half}");
}

#[trace_operation(include_args, attributes("a" = 1_i64, "b" = 2_i64, "c" = 3_i64))]
fn wide(text: &str) {
    tracekit::current_span().add_event("one", []);
    tracekit::current_span().add_event("two", []);
}

#[test]
fn span_limits_bound_attributes_events_and_value_length() {
    let _lock = installing();
    let vars = [
        ("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "4"),
        ("OTEL_SPAN_EVENT_COUNT_LIMIT", "1"),
        ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5"),
    ];
    let guard = from_vars(&vars).unwrap().exporters(&[Exporter::InMemory]).install().unwrap();
    wide("a long argument");
    let spans = testing::take_recorded();
    drop(guard);
    let data = spans.get("wide").data();
    assert_eq!(data.attributes.len(), 4);
    assert!(data.dropped_attributes_count > 0);
    assert_eq!(data.events.len(), 1);
    assert!(data.attributes.iter().all(|kv| match &kv.value {
        tracekit::Value::String(s) => s.as_str().chars().count() <= 5,
        _ => true,
    }));
}

#[trace_operation(include_args)]
fn labelled(label: &str, count: u64) {}

/// A call with nothing but its arguments recorded is queued compact, with
/// them beside it, only when they fit the limit with its code location;
/// otherwise it is recorded in full and cut as any span.
#[test]
fn a_call_with_only_its_arguments_is_held_to_the_span_limits() {
    let _lock = installing();
    for (limit, kept, dropped) in [("5", 5, 0), ("4", 4, 1)] {
        let vars = [("OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", limit), ("OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "5")];
        let guard = from_vars(&vars).unwrap().exporters(&[Exporter::InMemory]).install().unwrap();
        labelled("a long label", 12);
        let spans = testing::take_recorded();
        drop(guard);
        let span = spans.get("labelled");
        let data = span.data();
        assert_eq!((data.attributes.len(), data.dropped_attributes_count), (kept, dropped), "limit {limit}");
        assert_eq!(span.str_attribute("arg.label"), Some("a lon"), "limit {limit}: cut to the length limit");
        assert_eq!(span.i64_attribute("arg.count"), (dropped == 0).then_some(12), "limit {limit}");
        assert!(span.str_attribute("code.function.name").is_some(), "limit {limit}");
    }
}

#[test]
fn a_user_built_provider_receives_the_spans_and_stays_usable() {
    use opentelemetry_sdk::trace::SdkTracerProvider;

    let _lock = installing();
    let collected = Collect::default();
    let provider = SdkTracerProvider::builder().with_simple_exporter(collected.clone()).build();
    let guard = Config::new().tracer_provider(provider.clone()).install().unwrap();
    step(9);
    drop(guard);
    assert_eq!(collected.0.lock().unwrap()[0].name, "step");
    // Still the program's own: not shut down by tracekit.
    use opentelemetry::trace::{Tracer, TracerProvider};
    provider.tracer("mine").in_span("after", |_| ());
    assert_eq!(collected.0.lock().unwrap().len(), 2);
    provider.shutdown().unwrap();
}

#[test]
#[should_panic(expected = "set TRACING_EXPORTER=in_memory")]
fn reading_the_in_memory_exporter_when_it_is_not_installed_says_how_to_install_it() {
    let _lock = installing();
    testing::recorded();
}

#[trace_operation]
fn forward() -> (bool, String) {
    let mut headers = HashMap::new();
    tracekit::propagation::inject(&mut headers);
    (tracekit::current_span().is_recording(), headers.remove("traceparent").unwrap_or_default())
}

#[test]
fn a_span_dropped_by_the_sampler_sends_its_own_unsampled_context_on() {
    let _lock = installing();
    // `traceidratio` without a parent-based rule drops this trace id (its
    // low half is above the 0.5 bound) even though the parent was sampled.
    let parent = "00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01";
    let remote = tracekit::propagation::extract(&HashMap::from([("traceparent".to_owned(), parent.to_owned())]));
    let vars = [("OTEL_TRACES_SAMPLER", "traceidratio"), ("OTEL_TRACES_SAMPLER_ARG", "0.5")];
    let guard = from_vars(&vars).unwrap().exporters(&[Exporter::InMemory]).install().unwrap();
    let (recording, sent) = {
        let _attached = remote.attach();
        forward()
    };
    assert!(testing::take_recorded().is_empty());
    drop(guard);
    assert!(!recording);
    let fields: Vec<&str> = sent.split('-').collect();
    assert_eq!(fields[1], "0af7651916cd43dd8448eb211c80319c", "the same trace");
    assert_ne!(fields[2], "00f067aa0ba902b7", "the dropped span's own id, not its parent's");
    assert_eq!(fields[3], "00", "sent on as not sampled");
}

/// A root call's box keeps the lane for roots of the installation it was
/// set under, for the thread's next root: a later installation gets its
/// own roots, with its own sampler's decision, on the same thread.
#[test]
fn root_calls_reach_the_installation_they_are_made_under() {
    let _lock = installing();
    for round in 0..3 {
        let unsampled = from_vars(&[("OTEL_TRACES_SAMPLER", "always_off")]).unwrap();
        let guard = unsampled.exporters(&[Exporter::InMemory]).install().unwrap();
        step(round);
        assert!(testing::take_recorded().is_empty(), "round {round}: not sampled");
        drop(guard);
        let guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
        step(round);
        step(round);
        let recorded = testing::take_recorded();
        assert_eq!(recorded.names(), ["step", "step"], "round {round}");
        assert!(recorded.all("step").iter().all(|call| call.parent_span_id().is_none()), "round {round}: roots");
        drop(guard);
    }
}

/// The box a root left the lane for roots in, taken next by a call under a
/// capture's span, holds the capture's lane after it: the thread's next
/// root still reaches the installation.
#[test]
fn a_root_after_a_call_in_a_capture_reaches_the_installation() {
    let _lock = installing();
    let guard = Config::new().exporters(&[Exporter::InMemory]).install().unwrap();
    for round in 0..3 {
        step(round);
        let (_, captured) = capture(|| tracekit::span("request").in_scope(|| step(round)));
        assert_eq!(captured.names(), ["step", "request"], "round {round}");
        step(round);
        assert_eq!(testing::take_recorded().names(), ["step", "step"], "round {round}");
    }
    drop(guard);
}
