//! An OTLP receiver on loopback, built on the protocol's official types, for
//! checking what tracekit really sends over each transport.
#![allow(missing_docs)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::io::Read;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tonic::codec::CompressionEncoding;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Grpc,
    HttpProtobuf,
    HttpJson,
}

/// One export request as it arrived.
#[derive(Clone, Debug)]
pub struct Export {
    pub transport: Transport,
    pub headers: HeaderMap,
    pub gzip: bool,
    pub request: ExportTraceServiceRequest,
}

/// What arrived: every request, or (for benchmarks) only the count of spans.
#[derive(Default)]
struct Received {
    keep: bool,
    spans: u64,
    exports: Vec<Export>,
}

type Exports = Arc<Mutex<Received>>;

fn record(exports: &Exports, export: Export) {
    let mut received = exports.lock().unwrap();
    received.spans += spans(std::slice::from_ref(&export)).len() as u64;
    if received.keep {
        received.exports.push(export);
    }
}

pub struct Receiver {
    pub grpc_endpoint: String,
    pub http_endpoint: String,
    exports: Exports,
    _runtime: tokio::runtime::Runtime,
}

impl Receiver {
    /// A receiver that keeps every request.
    pub fn start() -> Receiver {
        Receiver::start_with(true)
    }

    /// A receiver that only counts spans, so that its memory stays flat.
    pub fn start_counting() -> Receiver {
        Receiver::start_with(false)
    }

    fn start_with(keep: bool) -> Receiver {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap();
        let exports = Exports::new(Mutex::new(Received { keep, ..Received::default() }));
        let (grpc, http) = runtime.block_on(async {
            let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            (grpc, http)
        });
        let grpc_endpoint = format!("http://{}", grpc.local_addr().unwrap());
        let http_endpoint = format!("http://{}", http.local_addr().unwrap());

        let service =
            TraceServiceServer::new(GrpcCollector(exports.clone())).accept_compressed(CompressionEncoding::Gzip);
        runtime.spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(grpc)),
        );
        let router =
            axum::Router::new().route("/v1/traces", axum::routing::post(http_export)).with_state(exports.clone());
        runtime.spawn(async move { axum::serve(http, router).await });
        Receiver { grpc_endpoint, http_endpoint, exports, _runtime: runtime }
    }

    pub fn exports(&self) -> Vec<Export> {
        self.exports.lock().unwrap().exports.clone()
    }

    /// How many spans have arrived.
    pub fn span_count(&self) -> u64 {
        self.exports.lock().unwrap().spans
    }

    /// Waits until `count` spans have arrived (or `timeout` passes), then
    /// returns every export request received.
    pub fn wait_for_spans(&self, count: usize, timeout: Duration) -> Vec<Export> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline && self.span_count() < count as u64 {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.exports()
    }
}

/// Every span of every request, in the order they arrived.
pub fn spans(exports: &[Export]) -> Vec<Span> {
    exports
        .iter()
        .flat_map(|export| &export.request.resource_spans)
        .flat_map(|resource| &resource.scope_spans)
        .flat_map(|scope| scope.spans.clone())
        .collect()
}

struct GrpcCollector(Exports);

#[tonic::async_trait]
impl TraceService for GrpcCollector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let headers = request.metadata().clone().into_headers();
        let gzip = headers.get("grpc-encoding").is_some_and(|value| value == "gzip");
        let export = Export { transport: Transport::Grpc, headers, gzip, request: request.into_inner() };
        record(&self.0, export);
        Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None }))
    }
}

async fn http_export(State(exports): State<Exports>, headers: HeaderMap, body: Bytes) -> (StatusCode, Vec<u8>) {
    let gzip = headers.get("content-encoding").is_some_and(|value| value == "gzip");
    let body = if gzip {
        let mut decoded = Vec::new();
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut decoded).unwrap();
        decoded
    } else {
        body.to_vec()
    };
    let json = headers.get("content-type").is_some_and(|value| value == "application/json");
    let (transport, request) = if json {
        (Transport::HttpJson, serde_json::from_slice(&body).expect("OTLP/JSON body"))
    } else {
        (Transport::HttpProtobuf, ExportTraceServiceRequest::decode(&body[..]).expect("OTLP/protobuf body"))
    };
    record(&exports, Export { transport, headers, gzip, request });
    let response = ExportTraceServiceResponse { partial_success: None };
    if json {
        (StatusCode::OK, serde_json::to_vec(&response).unwrap())
    } else {
        (StatusCode::OK, response.encode_to_vec())
    }
}
