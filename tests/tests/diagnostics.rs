//! tracekit's own warnings reach a program that installed no `tracing`
//! subscriber, as one line each on stderr, and `OTEL_LOG_LEVEL` sets how
//! much is said. Run as the README's demo, a child process configured only
//! through the environment, exporting to a collector that is down.

use std::process::{Command, Output};

/// The demo, exporting over OTLP to a closed port with credentials in the
/// endpoint and a header, plus `extra`.
fn demo_with_collector_down(protocol: &str, extra: &[(&str, &str)]) -> (Output, String) {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    for (variable, _) in std::env::vars() {
        if variable.starts_with("OTEL_") || variable.starts_with("TRACING_") || variable == "RUST_LOG" {
            command.env_remove(variable);
        }
    }
    command
        .env("TRACING_EXPORTER", "otlp")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://collector-user:hunter2@{closed}"))
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
        .env("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cr3t-header")
        .env("OTEL_EXPORTER_OTLP_TIMEOUT", "500")
        .envs(extra.iter().copied());
    (command.output().expect("the demo runs"), format!("http://{closed}"))
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn without_a_subscriber_lost_spans_and_slow_calls_are_said_on_stderr() {
    for protocol in ["grpc", "http/protobuf"] {
        let (output, endpoint) = demo_with_collector_down(protocol, &[]);
        let stderr = stderr(&output);
        assert!(output.status.success(), "{protocol}: {stderr}");
        let lost: Vec<&str> = stderr.lines().filter(|line| line.starts_with("WARN tracekit::export: ")).collect();
        assert!(!lost.is_empty(), "{protocol}: the collector-down warning: {stderr}");
        for line in &lost {
            assert!(line.contains(" spans lost on the way to "), "{line}");
            assert!(line.contains(&endpoint), "{protocol}: names the endpoint: {line}");
            assert!(line.contains("failed to export"), "{line}");
        }
        assert!(!stderr.contains("hunter2") && !stderr.contains("s3cr3t-header"), "no secret: {stderr}");
        let slow: Vec<&str> = stderr.lines().filter(|line| line.starts_with("WARN tracekit::performance: ")).collect();
        assert_eq!(slow.len(), 1, "{stderr}");
        let words: Vec<&str> = slow[0].split(' ').collect();
        assert_eq!(words[2..4], ["render_receipt", "took"], "{}", slow[0]);
        assert_eq!(words[6..], ["over", "its", "20", "ms", "threshold"], "{}", slow[0]);
        let tenths = words[4].split_once('.').map(|(_, decimals)| decimals.len());
        assert_eq!(tenths, Some(1), "the duration is rounded to a tenth: {}", slow[0]);
    }
}

#[test]
fn otel_log_level_sets_how_much_is_said() {
    let (silent, _) = demo_with_collector_down("grpc", &[("OTEL_LOG_LEVEL", "none")]);
    assert!(silent.status.success());
    assert!(!stderr(&silent).contains("tracekit::"), "none says nothing: {}", stderr(&silent));

    let (errors_only, _) = demo_with_collector_down("grpc", &[("OTEL_LOG_LEVEL", "error")]);
    assert!(errors_only.status.success());
    assert!(!stderr(&errors_only).contains("WARN "), "warnings are below error: {}", stderr(&errors_only));

    let (debug, _) = demo_with_collector_down("grpc", &[("OTEL_LOG_LEVEL", "DEBUG")]);
    assert!(stderr(&debug).contains("WARN tracekit::export: "), "{}", stderr(&debug));

    let (wrong, _) = demo_with_collector_down("grpc", &[("OTEL_LOG_LEVEL", "loud")]);
    assert_eq!(wrong.status.code(), Some(2));
    assert_eq!(
        stderr(&wrong).trim(),
        "invalid tracing configuration: OTEL_LOG_LEVEL=\"loud\" is not valid: expected one of debug, info, warn, error, none"
    );
}
