//! One trace across two processes on loopback: this program starts itself
//! again as a server, calls it over HTTP with the trace in the headers, and
//! both processes export their spans, which join into one trace.
//!
//! ```text
//! cargo run --example distributed                  # both print their part
//! TRACING_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 cargo run --example distributed
//! ```

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use tokio::sync::mpsc;
use tracekit::propagation;
use tracekit::{trace_async, trace_operation};

// ----- the client process -----

#[trace_async(name = "checkout", kind = "internal")]
async fn checkout(port: u16, item: &str) -> Result<u32, reqwest::Error> {
    let price = fetch_price(port, item).await?;
    Ok(price * 2)
}

#[trace_async(kind = "client", include_args, attributes("server.port" = i64::from(port)))]
async fn fetch_price(port: u16, item: &str) -> Result<u32, reqwest::Error> {
    // The current trace goes out in the request's headers (`traceparent`).
    let mut headers = HeaderMap::new();
    propagation::inject(&mut headers);
    let url = format!("http://127.0.0.1:{port}/price/{item}");
    let body = reqwest::Client::new().get(url).headers(headers).send().await?.text().await?;
    Ok(body.trim().parse().unwrap_or(0))
}

fn run_client() {
    let _guard = tracekit::init().expect("valid tracing configuration");
    // The server is this same program, started with `serve` and the same
    // environment; it prints the port it listens on.
    let mut server = Command::new(std::env::current_exe().expect("own path"))
        .arg("serve")
        .stdout(Stdio::piped())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    BufReader::new(server.stdout.take().expect("piped")).read_line(&mut line).expect("the server's port");
    let port: u16 = line.trim().parse().expect("a port number");

    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let total = runtime.block_on(checkout(port, "tea")).expect("the server answers");
    println!("total: {total}");
    server.wait().expect("the server exits after one request");
}

// ----- the server process -----

// The span continues the caller's trace, read from the request's headers.
#[trace_async(kind = "server", parent = propagation::extract(&headers), attributes("http.request.method" = "GET"))]
async fn price(headers: HeaderMap, item: String) -> String {
    lookup(&item).to_string()
}

#[trace_operation(include_args, include_result)]
fn lookup(item: &str) -> u32 {
    item.len() as u32 * 7
}

async fn handle(State(done): State<mpsc::Sender<()>>, headers: HeaderMap, Path(item): Path<String>) -> String {
    let answer = price(headers, item).await;
    let _ = done.send(()).await;
    answer
}

fn run_server() {
    let _guard = tracekit::init().expect("valid tracing configuration");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        println!("{}", listener.local_addr().expect("bound").port());
        let (done, mut finished) = mpsc::channel(1);
        let app = axum::Router::new().route("/price/{item}", axum::routing::get(handle)).with_state(done);
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                finished.recv().await;
            })
            .await
            .expect("the server runs");
    });
}

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("serve") => run_server(),
        _ => run_client(),
    }
}
