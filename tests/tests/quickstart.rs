//! The README's demo, run as a user would: a child process configured only
//! through the environment.

use std::process::{Command, Output};

fn run(vars: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    for variable in ["TRACING_ENABLED", "TRACING_EXPORTER", "TRACING_CONSOLE_FORMAT", "OTEL_SERVICE_NAME", "NO_COLOR"] {
        command.env_remove(variable);
    }
    command.envs(vars.iter().copied()).output().expect("the demo runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_demo_prints_each_trace_as_a_tree() {
    let output = run(&[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let stderr = stderr(&output);
    assert_eq!(stderr.matches("quickstart trace ").count(), 2, "{stderr}");
    assert!(stderr.contains("process_order"), "{stderr}");
    assert!(stderr.contains("├─ validate"), "{stderr}");
    assert!(stderr.contains("├─ reserve_stock"), "{stderr}");
    assert!(stderr.contains("└─ render_receipt"), "{stderr}");
    assert!(stderr.contains("ERROR: payment declined: order 8: card limit exceeded"), "{stderr}");
    assert!(stderr.contains("⚠ slow: "), "{stderr}");
    assert!(stderr.contains("WARN tracekit::performance: render_receipt took "), "the warning: {stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("receipt for order 7"), "{stdout}");
}

#[test]
fn the_console_format_is_chosen_by_the_environment() {
    let lines = run(&[("TRACING_CONSOLE_FORMAT", "line")]);
    assert!(stderr(&lines).lines().any(|l| l.starts_with("TRACE: process_order (")), "{}", stderr(&lines));

    let json = run(&[("TRACING_CONSOLE_FORMAT", "json")]);
    let objects: Vec<serde_json::Value> = stderr(&json)
        .lines()
        .filter(|line| line.starts_with('{'))
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(objects.len(), 10, "{}", stderr(&json));
    assert_eq!(objects.iter().filter(|span| span["name"] == "process_order").count(), 2);
}

#[test]
fn disabled_tracing_prints_no_trace_but_keeps_the_threshold_warning() {
    for vars in [[("TRACING_ENABLED", "off")], [("TRACING_EXPORTER", "none")]] {
        let output = run(&vars);
        assert!(output.status.success());
        let stderr = stderr(&output);
        assert!(!stderr.contains("trace "), "{stderr}");
        assert!(stderr.contains("render_receipt took "), "{stderr}");
    }
}

#[test]
fn a_bad_environment_value_is_reported_and_nothing_panics() {
    let output = run(&[("TRACING_EXPORTER", "jaegar")]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output).trim(),
        "invalid tracing configuration: TRACING_EXPORTER=\"jaegar\" is not valid: expected none, or a comma-separated list of console, otlp, jaeger, in_memory, each once"
    );
}

#[test]
fn the_service_name_defaults_to_the_executable_and_follows_otel_service_name() {
    let named = run(&[("OTEL_SERVICE_NAME", "checkout")]);
    assert!(stderr(&named).contains("checkout trace "), "{}", stderr(&named));
}
