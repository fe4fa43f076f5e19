//! One trace across two processes on loopback, traced by the layers alone:
//! this program starts itself again as an axum server under
//! `tracekit::http::ServerLayer`, calls it with reqwest through
//! `tracekit::reqwest::TraceMiddleware`, and both processes export their
//! spans, which join into one trace. No handler reads a header.
//!
//! ```text
//! cargo run --example distributed --features axum,reqwest      # both print their part
//! TRACING_EXPORTER=otlp OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4317 \
//!     cargo run --example distributed --features axum,reqwest
//! ```

use axum::extract::{Path, State};
use reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use tokio::sync::mpsc;
use tracekit::{trace_async, trace_operation};

// ----- the client process -----

#[trace_async]
async fn checkout(client: &ClientWithMiddleware, port: u16, item: &str) -> Result<u32, reqwest_middleware::Error> {
    // A client span for the request; its context goes out in the headers.
    let price = client.get(format!("http://127.0.0.1:{port}/price/{item}")).send().await?.text().await?;
    Ok(price.trim().parse::<u32>().unwrap_or(0) * 2)
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

    let client = ClientBuilder::new(reqwest::Client::new()).with(tracekit::reqwest::TraceMiddleware::default()).build();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let total = runtime.block_on(checkout(&client, port, "tea")).expect("the server answers");
    println!("total: {total}");
    server.wait().expect("the server exits after one request");
}

// ----- the server process -----

#[trace_operation(include_args, include_result)]
fn lookup(item: &str) -> u32 {
    item.len() as u32 * 7
}

// Runs inside the server span `GET /price/{item}`, which continues the
// client's trace.
async fn price(State(done): State<mpsc::Sender<()>>, Path(item): Path<String>) -> String {
    let answer = lookup(&item).to_string();
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
        let app = axum::Router::new()
            .route("/price/{item}", axum::routing::get(price))
            .with_state(done)
            .layer(tracekit::http::ServerLayer::new());
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
