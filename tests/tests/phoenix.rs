//! End to end against a real OpenTelemetry backend written by others:
//! Arize Phoenix, which takes OTLP over gRPC and HTTP/protobuf, stores spans
//! in SQLite and serves them back over its REST API. The README's demo runs
//! against it configured only by environment variables, and the traces are
//! read back: names, parents, status, the exception and threshold events and
//! typed attributes.
//!
//! Phoenix comes from PyPI, pinned in `tests/phoenix/install.sh`, which
//! `.ci/run` runs; when it is not installed this test installs it first
//! (Python 3 with `venv` is needed), unless `TRACEKIT_SKIP_PHOENIX=1` says to
//! skip it. `TRACEKIT_PHOENIX` may name another `phoenix` executable.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_owned()
}

/// The `phoenix` executable, installed if need be; `None` when asked to skip.
fn phoenix_executable() -> Option<PathBuf> {
    if std::env::var_os("TRACEKIT_SKIP_PHOENIX").is_some_and(|value| value == "1") {
        eprintln!("TRACEKIT_SKIP_PHOENIX=1: the Phoenix end-to-end test is skipped");
        return None;
    }
    if let Some(given) = std::env::var_os("TRACEKIT_PHOENIX") {
        return Some(PathBuf::from(given));
    }
    let venv = workspace().join("target/phoenix-venv");
    let script = workspace().join("tests/phoenix/install.sh");
    let status = Command::new("bash").arg(&script).arg(&venv).status().expect("bash runs");
    assert!(status.success(), "{} could not install Arize Phoenix (Python 3 with venv is needed)", script.display());
    Some(venv.join("bin/phoenix"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A Phoenix server on loopback with a working directory of its own; killed when dropped.
struct Phoenix {
    child: Child,
    http_port: u16,
    grpc_port: u16,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Phoenix {
    fn start(executable: &Path) -> Phoenix {
        let dir = std::env::temp_dir().join(format!("tracekit-phoenix-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (http_port, grpc_port) = (free_port(), free_port());
        let log = std::fs::File::create(dir.join("phoenix.log")).unwrap();
        let child = Command::new(executable)
            .arg("serve")
            .current_dir(&dir)
            .env("PHOENIX_WORKING_DIR", &dir)
            .env("PHOENIX_HOST", "127.0.0.1")
            .env("PHOENIX_PORT", http_port.to_string())
            .env("PHOENIX_GRPC_PORT", grpc_port.to_string())
            .env("PHOENIX_TELEMETRY_ENABLED", "false")
            .env("DO_NOT_TRACK", "1")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|error| panic!("{} does not start: {error}", executable.display()));
        let phoenix = Phoenix { child, http_port, grpc_port, _dir: TempDir(dir) };
        phoenix.wait_until_healthy();
        phoenix
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.0.join("phoenix.log")).unwrap_or_default()
    }

    /// First starts run database migrations: a minute or more on a slow machine.
    fn wait_until_healthy(&self) {
        let deadline = Instant::now() + Duration::from_secs(300);
        while get(&self.url("/healthz")).map(|(status, _)| status) != Some(200) {
            assert!(Instant::now() < deadline, "Phoenix did not come up:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// The spans of `project`, once `count` have arrived (Phoenix stores
    /// what it receives asynchronously).
    fn spans(&self, project: &str, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let url = self.url(&format!("/v1/projects/{project}/spans?limit=1000"));
            if let Some((200, body)) = get(&url) {
                let spans = serde_json::from_str::<Value>(&body).unwrap()["data"].as_array().unwrap().clone();
                if spans.len() >= count {
                    return spans;
                }
            }
            assert!(Instant::now() < deadline, "{count} spans never reached project {project}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Phoenix {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status and body of a GET, or `None` when nothing answers.
fn get(url: &str) -> Option<(u16, String)> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let response = reqwest::Client::new().get(url).timeout(Duration::from_secs(10)).send().await.ok()?;
        let status = response.status().as_u16();
        Some((status, response.text().await.ok()?))
    })
}

/// The README's demo, exporting over OTLP into `project` with only environment variables.
fn demo(endpoint: &str, protocol: &str, project: &str) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quickstart"));
    for (variable, _) in std::env::vars() {
        if variable.starts_with("OTEL_") || variable.starts_with("TRACING_") {
            command.env_remove(variable);
        }
    }
    command
        .env("TRACING_EXPORTER", "otlp")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
        .env("OTEL_EXPORTER_OTLP_PROTOCOL", protocol)
        .env("OTEL_RESOURCE_ATTRIBUTES", format!("openinference.project.name={project}"))
        .output()
        .expect("the demo runs")
}

fn named<'a>(spans: &'a [Value], name: &str) -> Vec<&'a Value> {
    spans.iter().filter(|span| span["name"] == name).collect()
}

/// What the demo's two orders look like once stored by the backend.
fn assert_demo_traces(spans: &[Value], transport: &str) {
    let mut names: Vec<&str> = spans.iter().map(|span| span["name"].as_str().unwrap()).collect();
    names.sort_unstable();
    let expected = [
        "charge",
        "charge",
        "process_order",
        "process_order",
        "render_receipt",
        "reserve_stock",
        "reserve_stock",
        "reserve_stock",
        "validate",
        "validate",
    ];
    assert_eq!(names, expected, "{transport}");

    for root in named(spans, "process_order") {
        assert!(root["parent_id"].is_null(), "{transport}: {root}");
        let trace_id = &root["context"]["trace_id"];
        let children: Vec<&Value> =
            spans.iter().filter(|span| span["context"]["trace_id"] == *trace_id && span != &root).collect();
        assert!(!children.is_empty(), "{transport}");
        for child in children {
            assert_eq!(child["parent_id"], root["context"]["span_id"], "{transport}: {child}");
        }
    }

    let order = |id: i64| named(spans, "process_order").into_iter().find(|span| span["attributes"]["order.id"] == id);
    let failed = order(8).unwrap_or_else(|| panic!("{transport}: order 8, its id an integer"));
    assert_eq!(failed["status_code"], "ERROR", "{transport}");
    assert_eq!(failed["status_message"], "payment declined: order 8: card limit exceeded");
    assert_eq!(failed["attributes"]["error.type"], "quickstart::PaymentError");
    let exception = failed["events"].as_array().unwrap().iter().find(|event| event["name"] == "exception");
    let exception = exception.unwrap_or_else(|| panic!("{transport}: the exception event: {failed}"));
    assert_eq!(exception["attributes"]["exception.message"], "payment declined: order 8: card limit exceeded");
    assert_eq!(order(7).unwrap()["status_code"], "UNSET", "{transport}");

    let slow = named(spans, "render_receipt")[0];
    assert!(slow["events"].as_array().unwrap().iter().any(|event| event["name"] == "performance.threshold_exceeded"));
    let attributes = &slow["attributes"];
    assert_eq!(attributes["performance.threshold_ms"].as_i64(), Some(20), "{transport}: an integer: {slow}");
    assert!(attributes["performance.duration_ms"].as_f64().is_some_and(|ms| ms >= 20.0), "{transport}: {slow}");
    assert!(attributes["code.line.number"].is_i64(), "{transport}: {slow}");
    assert_eq!(attributes["code.function.name"], "quickstart::render_receipt");

    let validate = named(spans, "validate")[0];
    assert_eq!(validate["attributes"]["result"], true, "{transport}: a bool: {validate}");
    let items: Vec<&str> =
        named(spans, "reserve_stock").iter().map(|span| span["attributes"]["arg.item"].as_str().unwrap()).collect();
    assert!(items.contains(&"tea") && items.contains(&"teapot"), "{transport}: {items:?}");
}

#[test]
fn the_demo_exports_its_traces_to_phoenix_over_grpc_and_http() {
    let Some(executable) = phoenix_executable() else { return };
    let phoenix = Phoenix::start(&executable);

    let grpc = demo(&format!("http://127.0.0.1:{}", phoenix.grpc_port), "grpc", "tracekit-grpc");
    assert!(grpc.status.success(), "{}", String::from_utf8_lossy(&grpc.stderr));
    assert_demo_traces(&phoenix.spans("tracekit-grpc", 10), "grpc");

    let http = demo(&phoenix.url(""), "http/protobuf", "tracekit-http");
    assert!(http.status.success(), "{}", String::from_utf8_lossy(&http.stderr));
    assert_demo_traces(&phoenix.spans("tracekit-http", 10), "http/protobuf");

    // Phoenix refuses OTLP/JSON with 415: the program is told, on stderr
    // (it installs no `tracing` subscriber), and nothing is stored.
    let json = demo(&phoenix.url(""), "http/json", "tracekit-json");
    assert!(json.status.success());
    let stderr = String::from_utf8_lossy(&json.stderr);
    let refused = stderr.lines().find(|line| line.starts_with("WARN tracekit::export: "));
    let refused = refused.unwrap_or_else(|| panic!("the refusal is reported: {stderr}"));
    assert!(refused.contains("415") && refused.contains(&phoenix.url("/v1/traces")), "{refused}");
    assert_eq!(get(&phoenix.url("/v1/projects/tracekit-json/spans")).map(|(status, _)| status), Some(404));
}
