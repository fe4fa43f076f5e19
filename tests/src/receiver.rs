//! An OTLP receiver on loopback, built on the protocol's official types, for
//! checking what tracekit really sends over each transport. A test can stop
//! and restart it on the same ports, make it stall or refuse, and serve TLS.
#![allow(missing_docs)]

use crate::tls::Pki;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_server::{
    MetricsService, MetricsServiceServer,
};
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsPartialSuccess, ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message;
use std::io::Read;
use std::net::SocketAddr;
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

/// One metrics export request as it arrived.
#[derive(Clone, Debug)]
pub struct MetricsExport {
    pub transport: Transport,
    pub headers: HeaderMap,
    pub request: ExportMetricsServiceRequest,
}

/// How the receiver answers export requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// Keeps the spans and answers success.
    Accept,
    /// Reads the request and never answers.
    Stall,
    /// Answers with an error and keeps nothing.
    Refuse(Refusal),
    /// Keeps the spans but answers success with a body that is not OTLP
    /// (HTTP; over gRPC the answer is a success).
    Malformed,
    /// Keeps what arrives, and answers a partial success: this many spans
    /// (or metric data points) of each request rejected, with
    /// [`REJECTION_REASON`].
    PartiallyReject(u32),
}

/// The reason a partial success gives.
pub const REJECTION_REASON: &str = "the test receiver rejects some of them";

/// The partial success `behaviour` answers, if any: the count rejected.
fn rejected(behaviour: Behaviour) -> Option<i64> {
    match behaviour {
        Behaviour::PartiallyReject(count) => Some(i64::from(count)),
        _ => None,
    }
}

fn trace_answer(behaviour: Behaviour) -> ExportTraceServiceResponse {
    let partial_success = rejected(behaviour)
        .map(|rejected_spans| ExportTracePartialSuccess { rejected_spans, error_message: REJECTION_REASON.into() });
    ExportTraceServiceResponse { partial_success }
}

fn metrics_answer(behaviour: Behaviour) -> ExportMetricsServiceResponse {
    let partial_success = rejected(behaviour).map(|rejected_data_points| ExportMetricsPartialSuccess {
        rejected_data_points,
        error_message: REJECTION_REASON.into(),
    });
    ExportMetricsServiceResponse { partial_success }
}

/// An error answer, over HTTP and its gRPC equivalent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// HTTP 503, gRPC UNAVAILABLE: retryable.
    Unavailable,
    /// HTTP 429: retryable.
    TooManyRequests,
    /// HTTP 400, gRPC INVALID_ARGUMENT: not retryable.
    BadRequest,
}

impl Refusal {
    fn http(self) -> StatusCode {
        match self {
            Refusal::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Refusal::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Refusal::BadRequest => StatusCode::BAD_REQUEST,
        }
    }

    fn grpc(self) -> tonic::Status {
        match self {
            Refusal::Unavailable => tonic::Status::unavailable("the test receiver is unavailable"),
            Refusal::TooManyRequests => tonic::Status::resource_exhausted("the test receiver is throttling"),
            Refusal::BadRequest => tonic::Status::invalid_argument("the test receiver refuses this request"),
        }
    }
}

/// What arrived: every request, or (for benchmarks) only the count of spans.
struct Received {
    keep: bool,
    spans: u64,
    exports: Vec<Export>,
    /// Metrics requests, always accepted.
    metrics: Vec<MetricsExport>,
    /// Export requests that reached the receiver, answered or not.
    attempts: u64,
    behaviour: Behaviour,
    /// When set, `behaviour` holds for this many more requests, then `Accept`.
    remaining: Option<u32>,
}

type Shared = Arc<Mutex<Received>>;

/// How the receiver handles one request, decided when it arrives.
fn admit(shared: &Shared) -> Behaviour {
    let mut received = shared.lock().unwrap();
    received.attempts += 1;
    let behaviour = received.behaviour;
    if let Some(remaining) = &mut received.remaining {
        *remaining = remaining.saturating_sub(1);
        if *remaining == 0 {
            received.behaviour = Behaviour::Accept;
            received.remaining = None;
        }
    }
    behaviour
}

fn record(shared: &Shared, export: Export) {
    let mut received = shared.lock().unwrap();
    received.spans += spans(std::slice::from_ref(&export)).len() as u64;
    if received.keep {
        received.exports.push(export);
    }
}

pub struct Receiver {
    pub grpc_endpoint: String,
    pub http_endpoint: String,
    grpc_address: SocketAddr,
    http_address: SocketAddr,
    shared: Shared,
    tls: Option<ServerTls>,
    runtime: Mutex<Option<tokio::runtime::Runtime>>,
}

/// TLS on both ports, with the certificates of `pki`.
#[derive(Clone)]
struct ServerTls {
    grpc: tonic::transport::ServerTlsConfig,
    http: tokio_rustls::TlsAcceptor,
}

impl Receiver {
    /// A receiver that keeps every request.
    pub fn start() -> Receiver {
        Receiver::start_with(true, None)
    }

    /// A receiver that only counts spans, so that its memory stays flat.
    pub fn start_counting() -> Receiver {
        Receiver::start_with(false, None)
    }

    /// A receiver speaking TLS with the server certificate of `pki` (its
    /// endpoints are `https://`); with `require_client_certificate`, only
    /// clients with a certificate from the same CA get through.
    pub fn start_tls(pki: &Pki, require_client_certificate: bool) -> Receiver {
        use tonic::transport::{Certificate, Identity, ServerTlsConfig};
        let mut grpc = ServerTlsConfig::new().identity(Identity::from_pem(&pki.server_certificate, &pki.server_key));
        if require_client_certificate {
            grpc = grpc.client_ca_root(Certificate::from_pem(&pki.ca));
        }
        let http = tokio_rustls::TlsAcceptor::from(pki.http_server_config(require_client_certificate));
        Receiver::start_with(true, Some(ServerTls { grpc, http }))
    }

    fn start_with(keep: bool, tls: Option<ServerTls>) -> Receiver {
        let runtime = new_runtime();
        let (grpc, http) = runtime.block_on(async {
            let grpc = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let http = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            (grpc, http)
        });
        let (grpc_address, http_address) = (grpc.local_addr().unwrap(), http.local_addr().unwrap());
        let scheme = if tls.is_some() { "https" } else { "http" };
        let shared = Arc::new(Mutex::new(Received {
            keep,
            spans: 0,
            exports: Vec::new(),
            metrics: Vec::new(),
            attempts: 0,
            behaviour: Behaviour::Accept,
            remaining: None,
        }));
        serve(&runtime, grpc, http, &shared, tls.as_ref());
        Receiver {
            grpc_endpoint: format!("{scheme}://{grpc_address}"),
            http_endpoint: format!("{scheme}://{http_address}"),
            grpc_address,
            http_address,
            shared,
            tls,
            runtime: Mutex::new(Some(runtime)),
        }
    }

    /// The endpoint that speaks `protocol`.
    pub fn endpoint(&self, protocol: tracekit::Protocol) -> String {
        match protocol {
            tracekit::Protocol::Grpc => self.grpc_endpoint.clone(),
            _ => self.http_endpoint.clone(),
        }
    }

    /// Closes both ports and every open connection, as a collector that
    /// goes down does.
    pub fn stop(&self) {
        if let Some(runtime) = self.runtime.lock().unwrap().take() {
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }

    /// Listens again on the same ports, keeping what arrived so far.
    pub fn restart(&self) {
        self.stop();
        let runtime = new_runtime();
        let (grpc, http) = runtime.block_on(async {
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let grpc = tokio::net::TcpListener::bind(self.grpc_address).await;
                let http = tokio::net::TcpListener::bind(self.http_address).await;
                match (grpc, http) {
                    (Ok(grpc), Ok(http)) => break (grpc, http),
                    _ if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(20)).await,
                    (grpc, http) => panic!("cannot listen again: {:?} {:?}", grpc.err(), http.err()),
                }
            }
        });
        serve(&runtime, grpc, http, &self.shared, self.tls.as_ref());
        *self.runtime.lock().unwrap() = Some(runtime);
    }

    /// How the receiver answers from now on.
    pub fn behave(&self, behaviour: Behaviour) {
        let mut received = self.shared.lock().unwrap();
        received.behaviour = behaviour;
        received.remaining = None;
    }

    /// Refuses the next `count` requests, then accepts again.
    pub fn refuse_next(&self, count: u32, refusal: Refusal) {
        let mut received = self.shared.lock().unwrap();
        received.behaviour = Behaviour::Refuse(refusal);
        received.remaining = Some(count);
    }

    /// Export requests that reached the receiver, whatever it answered.
    pub fn attempts(&self) -> u64 {
        self.shared.lock().unwrap().attempts
    }

    /// Every metrics request so far.
    pub fn metrics(&self) -> Vec<MetricsExport> {
        self.shared.lock().unwrap().metrics.clone()
    }

    pub fn exports(&self) -> Vec<Export> {
        self.shared.lock().unwrap().exports.clone()
    }

    /// How many spans have arrived.
    pub fn span_count(&self) -> u64 {
        self.shared.lock().unwrap().spans
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

impl Drop for Receiver {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.get_mut().unwrap().take() {
            runtime.shutdown_background();
        }
    }
}

fn new_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().unwrap()
}

fn serve(
    runtime: &tokio::runtime::Runtime,
    grpc: tokio::net::TcpListener,
    http: tokio::net::TcpListener,
    shared: &Shared,
    tls: Option<&ServerTls>,
) {
    let service = TraceServiceServer::new(GrpcCollector(shared.clone())).accept_compressed(CompressionEncoding::Gzip);
    let mut server = tonic::transport::Server::builder();
    if let Some(tls) = tls {
        server = server.tls_config(tls.grpc.clone()).unwrap();
    }
    let metrics = MetricsServiceServer::new(GrpcCollector(shared.clone())).accept_compressed(CompressionEncoding::Gzip);
    runtime.spawn(
        server
            .add_service(service)
            .add_service(metrics)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(grpc)),
    );
    let router = axum::Router::new()
        .route("/v1/traces", axum::routing::post(http_export))
        .route("/v1/metrics", axum::routing::post(http_metrics))
        .with_state(shared.clone());
    match tls {
        Some(tls) => {
            let listener = TlsListener { tcp: http, acceptor: tls.http.clone() };
            runtime.spawn(async move { axum::serve(listener, router).await })
        }
        None => runtime.spawn(async move { axum::serve(http, router).await }),
    };
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

struct GrpcCollector(Shared);

#[tonic::async_trait]
impl TraceService for GrpcCollector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let behaviour = admit(&self.0);
        match behaviour {
            Behaviour::Stall => std::future::pending().await,
            Behaviour::Refuse(refusal) => return Err(refusal.grpc()),
            Behaviour::Accept | Behaviour::Malformed | Behaviour::PartiallyReject(_) => {}
        }
        let headers = request.metadata().clone().into_headers();
        let gzip = headers.get("grpc-encoding").is_some_and(|value| value == "gzip");
        let export = Export { transport: Transport::Grpc, headers, gzip, request: request.into_inner() };
        record(&self.0, export);
        Ok(tonic::Response::new(trace_answer(behaviour)))
    }
}

#[tonic::async_trait]
impl MetricsService for GrpcCollector {
    async fn export(
        &self,
        request: tonic::Request<ExportMetricsServiceRequest>,
    ) -> Result<tonic::Response<ExportMetricsServiceResponse>, tonic::Status> {
        let headers = request.metadata().clone().into_headers();
        let export = MetricsExport { transport: Transport::Grpc, headers, request: request.into_inner() };
        let mut received = self.0.lock().unwrap();
        received.metrics.push(export);
        Ok(tonic::Response::new(metrics_answer(received.behaviour)))
    }
}

async fn http_metrics(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> (StatusCode, Vec<u8>) {
    let json = headers.get("content-type").is_some_and(|value| value == "application/json");
    let (transport, request) = if json {
        (Transport::HttpJson, serde_json::from_slice(&body).expect("OTLP/JSON body"))
    } else {
        (Transport::HttpProtobuf, ExportMetricsServiceRequest::decode(&body[..]).expect("OTLP/protobuf body"))
    };
    let mut received = shared.lock().unwrap();
    received.metrics.push(MetricsExport { transport, headers, request });
    let response = metrics_answer(received.behaviour);
    drop(received);
    if json {
        (StatusCode::OK, serde_json::to_vec(&response).unwrap())
    } else {
        (StatusCode::OK, response.encode_to_vec())
    }
}

async fn http_export(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> (StatusCode, Vec<u8>) {
    let behaviour = admit(&shared);
    match behaviour {
        Behaviour::Stall => std::future::pending().await,
        Behaviour::Refuse(refusal) => return (refusal.http(), b"refused by the test receiver".to_vec()),
        Behaviour::Accept | Behaviour::Malformed | Behaviour::PartiallyReject(_) => {}
    }
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
    record(&shared, Export { transport, headers, gzip, request });
    if behaviour == Behaviour::Malformed {
        return (StatusCode::OK, b"\xff\x00 this is not an OTLP response {".to_vec());
    }
    let response = trace_answer(behaviour);
    if json {
        (StatusCode::OK, serde_json::to_vec(&response).unwrap())
    } else {
        (StatusCode::OK, response.encode_to_vec())
    }
}

/// Accepts TCP connections and completes their TLS handshake; a client that
/// fails the handshake is dropped and the next one accepted.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((stream, address)) = self.tcp.accept().await else { continue };
            if let Ok(stream) = self.acceptor.accept(stream).await {
                return (stream, address);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}
