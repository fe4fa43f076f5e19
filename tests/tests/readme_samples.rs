//! The output samples in the README and the guide pages are what the code prints: each is
//! compared with a fresh run, numbers, ids and timing bars aside.

mod common;

use common::Buffer;
use std::path::Path;
use std::process::Command;

/// The README, then the guide pages it leads to, in that order.
const README: &str = concat!(
    include_str!("../../README.md"),
    include_str!("../../runtime/docs/attributes.md"),
    include_str!("../../runtime/docs/propagation.md"),
    include_str!("../../runtime/docs/services.md"),
    include_str!("../../runtime/docs/tracing.md"),
    include_str!("../../runtime/docs/testing.md"),
    include_str!("../../runtime/docs/configuration.md"),
    include_str!("../../runtime/docs/keep_policy.md"),
    include_str!("../../runtime/docs/metrics.md"),
    include_str!("../../runtime/docs/conventions.md"),
    include_str!("../../runtime/docs/guarantees.md"),
    include_str!("../../runtime/docs/performance.md"),
    include_str!("../../runtime/docs/status.md"),
);

/// The README's ```text blocks whose first line starts with `first`.
fn samples(first: &str) -> Vec<&'static str> {
    let blocks: Vec<&str> = README.split("```text\n").skip(1).map(|rest| rest.split("```").next().unwrap()).collect();
    let found: Vec<&str> = blocks.into_iter().filter(|block| block.starts_with(first)).collect();
    assert!(!found.is_empty(), "the README has a sample starting with {first:?}");
    found
}

/// A line with what changes from run to run taken out: a duration with its
/// unit (`21 µs`, or `1.02 ms` on a loaded machine) becomes `# ms`, every
/// other word holding a digit (ids, times, ports) `#`, a timing bar `BAR`,
/// and runs of spaces one space.
fn normalized(line: &str) -> String {
    let line = durations_masked(line);
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if word.chars().any(|c| c.is_ascii_digit()) {
            out.push('#');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in line.trim_end().chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
            continue;
        }
        flush(&mut word, &mut out);
        match c {
            '█' | '·' if out.ends_with("BAR") => {}
            '█' | '·' => out.push_str("BAR"),
            ' ' if out.ends_with(' ') => {}
            c => out.push(c),
        }
    }
    flush(&mut word, &mut out);
    out
}

/// `line` with each number followed by a unit of time made `0 ms`.
fn durations_masked(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let mut masked = Vec::with_capacity(words.len());
    let mut rest = words.iter().peekable();
    while let Some(&word) = rest.next() {
        let number = !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || c == '.');
        if number && rest.peek().is_some_and(|unit| matches!(**unit, "ns" | "µs" | "ms" | "s")) {
            rest.next();
            masked.push("0 ms");
        } else {
            masked.push(word);
        }
    }
    masked.join(" ")
}

#[test]
fn a_duration_reads_the_same_in_any_unit() {
    let quick = "captured trace 3f1a · 1 span · 21 µs";
    let slow = "captured trace 9e2b · 1 span · 1.02 ms";
    assert_eq!(normalized(quick), normalized(slow));
    assert_ne!(normalized(quick), normalized("captured trace 3f1a · 2 spans · 21 µs"));
}

fn demo(vars: &[(&str, &str)]) -> String {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    for (variable, _) in std::env::vars() {
        if variable.starts_with("OTEL_") || variable.starts_with("TRACING_") || variable == "NO_COLOR" {
            command.env_remove(variable);
        }
    }
    let output = command.envs(vars.iter().copied()).output().expect("the demo runs");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn normalized_lines(text: &str) -> Vec<String> {
    text.lines().map(normalized).filter(|line| !line.is_empty()).collect()
}

#[test]
fn the_demo_output_in_the_readme_is_what_the_demo_prints() {
    let sample = samples("WARN tracekit::performance: render_receipt")[0];
    assert_eq!(normalized_lines(sample), normalized_lines(&demo(&[])));
}

#[test]
fn the_console_line_format_in_the_readme_is_what_it_prints() {
    let sample = samples("TRACE: ")[0];
    let printed = normalized_lines(&demo(&[("TRACING_CONSOLE_FORMAT", "line")]));
    for line in normalized_lines(sample) {
        assert!(printed.contains(&line), "{line:?} is not among {printed:#?}");
    }
}

#[test]
fn the_configuration_error_in_the_readme_is_the_real_message() {
    let sample = samples("invalid tracing configuration: TRACING_EXPORTER=\"jaegar\"")[0];
    assert_eq!(sample.trim(), demo(&[("TRACING_EXPORTER", "jaegar")]).trim());
}

#[test]
fn the_warnings_in_the_readme_are_what_a_program_without_a_subscriber_prints() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let endpoint = format!("http://{closed}");
    let printed = normalized_lines(&demo(&[
        ("TRACING_EXPORTER", "otlp"),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_EXPORTER_OTLP_TIMEOUT", "500"),
    ]));
    for line in normalized_lines(samples("WARN tracekit::performance: ")[1]) {
        assert!(printed.contains(&line), "{line:?} is not among {printed:#?}");
    }
}

/// Each compile error shown in the README is the compiler's output for one
/// of the `ui-tests` failures: its lines appear there in the same order
/// (the README may leave some out), the file's path aside.
#[test]
fn the_compile_errors_in_the_readme_are_those_of_the_ui_tests() {
    let sample = samples("error")[0];
    let fail = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui-tests/tests/ui/fail");
    let outputs: Vec<String> = std::fs::read_dir(&fail)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "stderr"))
        .map(|path| std::fs::read_to_string(path).unwrap())
        .collect();
    let without_path = |line: &str| match line.split_once(" --> ") {
        Some((indent, place)) => format!("{indent} --> {}", place.rsplit_once(".rs").map_or(place, |(_, at)| at)),
        None => line.to_owned(),
    };
    for error in sample.split("\n\n") {
        let wanted: Vec<String> = error.lines().map(without_path).collect();
        let shown = outputs.iter().any(|output| {
            let mut lines = output.lines().map(without_path);
            wanted.iter().all(|line| lines.any(|real| real == *line))
        });
        assert!(shown, "no ui-tests failure prints this, in this order:\n{error}");
    }
}

#[tracekit::trace_operation(include_args)]
fn work(worker: u32, step: u32) -> u32 {
    worker + step
}

#[test]
fn the_failed_expectation_in_the_readme_is_what_a_capture_prints() {
    let sample = samples("no span named")[0];
    let ((), spans) = tracekit::testing::capture(|| {
        work(1, 2);
    });
    let panic = std::panic::catch_unwind(|| {
        spans.get("missing");
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().expect("a formatted message");
    assert_eq!(normalized_lines(sample), normalized_lines(message));
}

#[test]
fn the_log_lines_in_the_readme_are_what_the_formats_write() {
    let sample = samples("20")[0];
    let mut written = String::new();
    for format in [tracekit::logs::text(), tracekit::logs::json()] {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt().event_format(format).with_writer(move || writer.clone()).finish();
        tracing::subscriber::with_default(subscriber, || {
            let _ = tracekit::testing::capture(|| {
                tracekit::span("accept")
                    .in_scope(|| tracing::info!(target: "shop::orders", items = 3, "order accepted"))
            });
        });
        written.push_str(&buffer.text());
    }
    assert_eq!(normalized_lines(sample), normalized_lines(&written));
}
