//! Real servers and clients on loopback, traced by the layers alone: an axum
//! app under `ServerLayer`, reqwest through `TraceMiddleware`, tonic's
//! server and `Channel` under the two layers. Each test reads what the
//! installed in-memory exporter received.

use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{TraceService, TraceServiceServer};
use opentelemetry_proto::tonic::collector::trace::v1::{ExportTraceServiceRequest, ExportTraceServiceResponse};
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, MutexGuard};
use tracekit::http::{ClientLayer, ServerLayer};
use tracekit::opentelemetry::trace::SpanKind;
use tracekit::reqwest::TraceMiddleware;
use tracekit::testing::{take_recorded, CapturedSpan, Spans};
use tracekit::{trace_async, Config, Exporter, Sampler, Status, TracingGuard};

/// Installation is process-wide: one test at a time.
static INSTALL: Mutex<()> = Mutex::const_new(());

async fn install(sampler: Sampler) -> (MutexGuard<'static, ()>, TracingGuard) {
    let lock = INSTALL.lock().await;
    let guard = Config::new().exporters(&[Exporter::InMemory]).sampler(sampler).install().unwrap();
    (lock, guard)
}

/// The spans recorded once one named `name` is there: a server span ends
/// when hyper drops the response body, which may be just after the client
/// has read it.
async fn spans_with(name: &str) -> Spans {
    spans_once(|spans| spans.find(name).is_some()).await
}

/// The spans recorded once `done` says they are all there (or after ten
/// seconds, for the assertions to say what is missing), taken out of the
/// exporter.
async fn spans_once(done: impl Fn(&Spans) -> bool) -> Spans {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&tracekit::testing::recorded()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A moment more for spans that end together with the last one.
    tokio::time::sleep(Duration::from_millis(50)).await;
    take_recorded()
}

fn str_of<'a>(span: &'a CapturedSpan, key: &str) -> &'a str {
    span.str_attribute(key).unwrap_or_else(|| panic!("{} has no string {key}", span.name()))
}

fn i64_of(span: &CapturedSpan, key: &str) -> i64 {
    span.i64_attribute(key).unwrap_or_else(|| panic!("{} has no integer {key}", span.name()))
}

// ----- the axum app -----

#[trace_async(include_args)]
async fn load_user(id: u32) -> String {
    format!("user {id}")
}

async fn user(Path(id): Path<u32>) -> String {
    load_user(id).await
}

async fn fail() -> (StatusCode, &'static str) {
    (StatusCode::INTERNAL_SERVER_ERROR, "the ledger is locked")
}

async fn explode() -> &'static str {
    if std::hint::black_box(true) {
        panic!("handler exploded");
    }
    "unreachable"
}

/// Three chunks 30 ms apart, each made in a span of its own.
async fn stream() -> axum::body::Body {
    let chunks = futures_util::stream::unfold(0, |sent| async move {
        if sent == 3 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        let chunk = tracekit::span("chunk").in_scope(|| format!("chunk {sent}\n"));
        Some((Ok::<_, std::io::Error>(chunk), sent + 1))
    });
    axum::body::Body::from_stream(chunks)
}

/// Answers with the `traceparent` it was sent.
async fn echo(headers: HeaderMap) -> String {
    headers.get("traceparent").map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Calls `/echo` on the same server through the traced reqwest client.
async fn relay(Path(port): Path<u16>) -> String {
    client().get(format!("http://127.0.0.1:{port}/echo")).send().await.unwrap().text().await.unwrap()
}

fn app() -> Router {
    Router::new()
        .route("/users/{id}", get(user))
        .route("/fail", get(fail))
        .route("/panic", get(explode))
        .route("/stream", get(stream))
        .route("/echo", get(echo))
        .route("/relay/{port}", get(relay))
        .route("/health", get(|| async { "ok" }))
        .layer(
            ServerLayer::new()
                .record_headers(["X-Request-Id"])
                .trace_response(true)
                .filter(|request| request.uri.path() != "/health"),
        )
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });
    address
}

fn client() -> reqwest_middleware::ClientWithMiddleware {
    reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).with(TraceMiddleware::default()).build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matched_route_is_a_server_span_with_the_http_conventions() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve(app()).await;
    let response = reqwest::Client::new()
        .get(format!("http://{address}/users/7?debug=1"))
        .header("user-agent", "tests/1.0")
        .header("x-request-id", "req-42")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let trace_response = response.headers()["traceresponse"].to_str().unwrap().to_owned();
    assert_eq!(response.text().await.unwrap(), "user 7");

    let spans = spans_with("GET /users/{id}").await;
    let server = spans.get("GET /users/{id}");
    assert_eq!(server.kind(), &SpanKind::Server);
    assert_eq!(server.status(), &Status::Unset);
    assert_eq!(str_of(server, "http.request.method"), "GET");
    assert_eq!(str_of(server, "http.route"), "/users/{id}");
    assert_eq!(str_of(server, "url.path"), "/users/7");
    assert_eq!(str_of(server, "url.scheme"), "http");
    assert_eq!(server.attribute("url.query"), None, "the query is recorded only on request");
    assert_eq!(i64_of(server, "http.response.status_code"), 200);
    assert_eq!(str_of(server, "network.protocol.version"), "1.1");
    assert_eq!(str_of(server, "server.address"), "127.0.0.1");
    assert_eq!(i64_of(server, "server.port"), i64::from(address.port()));
    assert_eq!(str_of(server, "client.address"), "127.0.0.1");
    assert_eq!(str_of(server, "user_agent.original"), "tests/1.0");
    assert_eq!(server.attribute("http.request.header.x-request-id").unwrap().to_string(), "[\"req-42\"]");
    // The annotated handler is the server span's child.
    spans.assert_child_of("load_user", "GET /users/{id}");
    assert_eq!(trace_response, format!("00-{}-{}-01", server.trace_id(), server.span_id()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_404_of_the_router_and_a_400_of_an_extractor_are_traced_and_not_errors() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve(app()).await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("http://{address}/nowhere")).send().await.unwrap().status(), 404);
    let spans = spans_with("GET").await;
    let unknown = spans.get("GET");
    assert_eq!(i64_of(unknown, "http.response.status_code"), 404);
    assert_eq!(unknown.status(), &Status::Unset, "a 4xx is the client's mistake");
    assert_eq!(unknown.attribute("http.route"), None, "no route matched");
    assert_eq!(str_of(unknown, "url.path"), "/nowhere");

    assert_eq!(http.get(format!("http://{address}/users/abc")).send().await.unwrap().status(), 400);
    let spans = spans_with("GET /users/{id}").await;
    let rejected = spans.get("GET /users/{id}");
    assert_eq!(i64_of(rejected, "http.response.status_code"), 400);
    assert_eq!(rejected.status(), &Status::Unset);
    assert!(spans.find("load_user").is_none(), "the handler never ran");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_5xx_and_a_panic_are_errors() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve(app()).await;
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("http://{address}/fail")).send().await.unwrap().status(), 500);
    let spans = spans_with("GET /fail").await;
    let failed = spans.get("GET /fail");
    assert!(failed.is_error());
    assert_eq!(str_of(failed, "error.type"), "500");
    assert_eq!(i64_of(failed, "http.response.status_code"), 500);

    // axum has no panic handler of its own: hyper drops the connection.
    assert!(http.get(format!("http://{address}/panic")).send().await.is_err());
    let spans = spans_with("GET /panic").await;
    let panicked = spans.get("GET /panic");
    assert!(panicked.is_error());
    assert_eq!(panicked.error_message(), Some("handler exploded"));
    assert_eq!(str_of(panicked, "error.type"), "panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_caught_outside_the_layer_still_fails_the_span() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    // The panic is caught before tokio sees it, so the span learns of it
    // only from the layer's own catch.
    let app = Router::new()
        .route("/panic", get(explode))
        .layer(ServerLayer::new())
        .layer(tower_http::catch_panic::CatchPanicLayer::new());
    let address = serve(app).await;
    assert_eq!(reqwest::get(format!("http://{address}/panic")).await.unwrap().status(), 500);
    let spans = spans_with("GET /panic").await;
    let panicked = spans.get("GET /panic");
    assert!(panicked.is_error());
    assert_eq!(panicked.error_message(), Some("handler exploded"));
}

/// A panic-catching layer inside `ServerLayer` turns the panic into a 500
/// before the span sees it: the span records the 500, not the panic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_caught_inside_the_layer_is_a_500_to_the_span() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let app = Router::new()
        .route("/panic", get(explode))
        .layer(tower_http::catch_panic::CatchPanicLayer::new())
        .layer(ServerLayer::new());
    let address = serve(app).await;
    assert_eq!(reqwest::get(format!("http://{address}/panic")).await.unwrap().status(), 500);
    let spans = spans_with("GET /panic").await;
    let server = spans.get("GET /panic");
    assert!(server.is_error());
    assert_eq!(i64_of(server, "http.response.status_code"), 500);
    assert_eq!(str_of(server, "error.type"), "500");
    assert!(server.event("exception").is_none(), "the panic never reached the span");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streaming_body_ends_the_span_when_it_is_done_and_runs_inside_it() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve(app()).await;
    let body = reqwest::get(format!("http://{address}/stream")).await.unwrap().text().await.unwrap();
    assert_eq!(body, "chunk 0\nchunk 1\nchunk 2\n");
    let spans = spans_with("GET /stream").await;
    let server = spans.get("GET /stream");
    assert!(server.duration() >= Duration::from_millis(90), "the span lasted {:?}", server.duration());
    let chunks = spans.all("chunk");
    assert_eq!(chunks.len(), 3);
    assert!(chunks.iter().all(|chunk| chunk.parent_span_id() == Some(server.span_id())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filtered_request_is_not_traced() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve(app()).await;
    assert_eq!(reqwest::get(format!("http://{address}/health")).await.unwrap().text().await.unwrap(), "ok");
    reqwest::get(format!("http://{address}/users/1")).await.unwrap().text().await.unwrap();
    let spans = spans_with("GET /users/{id}").await;
    assert!(spans.find("GET /health").is_none(), "{}", spans.tree());
}

// ----- reqwest -----

#[trace_async]
async fn checkout(address: SocketAddr, path: &str) -> Result<u16, reqwest_middleware::Error> {
    Ok(client().get(format!("http://{address}{path}")).send().await?.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reqwest_carries_the_trace_to_the_server_span() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve(app()).await;
    assert_eq!(checkout(address, "/users/3").await.unwrap(), 200);

    let spans = spans_with("GET /users/{id}").await;
    let call = spans.get("checkout");
    let client = spans.get("GET");
    let server = spans.get("GET /users/{id}");
    assert_eq!(client.kind(), &SpanKind::Client);
    assert_eq!(client.parent_span_id(), Some(call.span_id()));
    assert_eq!(server.trace_id(), client.trace_id());
    assert_eq!(server.parent_span_id(), Some(client.span_id()), "{}", spans.tree());
    assert!(server.data().parent_span_is_remote);
    assert_eq!(str_of(client, "url.full"), format!("http://{address}/users/3"));
    assert_eq!(str_of(client, "server.address"), "127.0.0.1");
    assert_eq!(i64_of(client, "server.port"), i64::from(address.port()));
    assert_eq!(i64_of(client, "http.response.status_code"), 200);
    assert_eq!(client.status(), &Status::Unset);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4xx_fails_the_client_span_but_not_the_server_span() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve(app()).await;
    assert_eq!(checkout(address, "/users/x").await.unwrap(), 400);
    let spans = spans_with("GET /users/{id}").await;
    let client = spans.get("GET");
    assert!(client.is_error());
    assert_eq!(str_of(client, "error.type"), "400");
    assert_eq!(spans.get("GET /users/{id}").status(), &Status::Unset);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_connection_fails_the_client_span() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    // A port just freed: nothing listens there.
    let address = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap();
    assert!(checkout(address, "/").await.is_err());
    let spans = spans_with("checkout").await;
    let client = spans.get("GET");
    assert!(client.is_error());
    assert_eq!(str_of(client, "error.type"), "reqwest::error::Error");
    assert_eq!(client.attribute("http.response.status_code"), None);
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unsampled_incoming_trace_stays_unsampled_through_the_service() {
    let (_lock, _guard) = install(Sampler::ParentBasedAlwaysOn).await;
    let address = serve(app()).await;
    let sent_on = reqwest::Client::new()
        .get(format!("http://{address}/relay/{}", address.port()))
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-00"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The downstream call carried the same trace, still unsampled.
    let fields: Vec<&str> = sent_on.split('-').collect();
    assert_eq!((fields[1], fields[3]), (TRACE_ID, "00"), "sent on: {sent_on}");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(take_recorded().is_empty(), "nothing of an unsampled trace is recorded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sampled_incoming_trace_is_continued_by_the_server_span() {
    let (_lock, _guard) = install(Sampler::ParentBasedAlwaysOn).await;
    let address = serve(app()).await;
    reqwest::Client::new()
        .get(format!("http://{address}/relay/{}", address.port()))
        .header("traceparent", format!("00-{TRACE_ID}-00f067aa0ba902b7-01"))
        .send()
        .await
        .unwrap();
    let spans = spans_with("GET /echo").await;
    let relay = spans.get("GET /relay/{port}");
    assert_eq!(relay.trace_id().to_string(), TRACE_ID);
    assert_eq!(relay.parent_span_id().unwrap().to_string(), "00f067aa0ba902b7");
    let client = spans.get("GET");
    assert_eq!(client.parent_span_id(), Some(relay.span_id()));
    assert_eq!(spans.get("GET /echo").parent_span_id(), Some(client.span_id()));
}

#[test]
#[should_panic(expected = "the `authorization` header carries credentials and is never recorded")]
fn a_secret_header_is_refused() {
    let _ = ServerLayer::new().record_headers(["Authorization"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn span_name_and_query_options_apply() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let app = Router::new()
        .route("/search", get(|| async { "found" }))
        .layer(ServerLayer::new().record_query(true).span_name(|request| format!("search {}", request.method)));
    let address = serve(app).await;
    reqwest::get(format!("http://{address}/search?q=tea")).await.unwrap().text().await.unwrap();
    let spans = spans_with("search GET").await;
    assert_eq!(str_of(spans.get("search GET"), "url.query"), "q=tea");
}

// ----- tonic -----

/// An OTLP trace service that answers by the number of resource spans it
/// is sent: none is OK, one NOT_FOUND, more INTERNAL.
struct Collector;

#[tonic::async_trait]
impl TraceService for Collector {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        match request.into_inner().resource_spans.len() {
            0 => Ok(tonic::Response::new(ExportTraceServiceResponse { partial_success: None })),
            1 => Err(tonic::Status::not_found("no such tenant")),
            _ => Err(tonic::Status::internal("store failed")),
        }
    }
}

async fn serve_grpc() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tonic::transport::Server::builder()
        .layer(ServerLayer::new())
        .add_service(TraceServiceServer::new(Collector))
        .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener));
    tokio::spawn(server);
    address
}

const EXPORT: &str = "opentelemetry.proto.collector.trace.v1.TraceService/Export";

#[trace_async]
async fn export(address: SocketAddr, resource_spans: usize) -> tonic::Code {
    let origin: http::Uri = format!("http://{address}").parse().unwrap();
    let channel = tonic::transport::Channel::builder(origin.clone()).connect().await.unwrap();
    // No `tower` needed to wrap a channel.
    let channel = tracekit::http::TraceClient::new(channel);
    let request = ExportTraceServiceRequest { resource_spans: vec![ResourceSpans::default(); resource_spans] };
    // The origin given to the client too, so that the layer (outside the
    // channel, which adds it later) sees the server's address.
    match TraceServiceClient::with_origin(channel, origin).export(request).await {
        Ok(_) => tonic::Code::Ok,
        Err(status) => status.code(),
    }
}

/// The client and server spans of one call, once both have ended.
async fn grpc_spans() -> (Spans, CapturedSpan, CapturedSpan) {
    let spans = spans_once(|spans| spans.all(EXPORT).len() == 2).await;
    let (client, server) =
        (of_kind(&spans, EXPORT, SpanKind::Client).clone(), of_kind(&spans, EXPORT, SpanKind::Server).clone());
    (spans, client, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grpc_call_is_a_client_and_a_server_span_with_the_rpc_conventions() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve_grpc().await;
    assert_eq!(export(address, 0).await, tonic::Code::Ok);
    let (spans, client, server) = grpc_spans().await;
    for span in [&client, &server] {
        assert_eq!(str_of(span, "rpc.system"), "grpc");
        assert_eq!(str_of(span, "rpc.service"), "opentelemetry.proto.collector.trace.v1.TraceService");
        assert_eq!(str_of(span, "rpc.method"), "Export");
        assert_eq!(i64_of(span, "rpc.grpc.status_code"), 0);
        assert_eq!(span.status(), &Status::Unset);
        assert_eq!(str_of(span, "server.address"), "127.0.0.1");
    }
    assert_eq!(client.parent_span_id(), Some(spans.get("export").span_id()));
    assert_eq!(server.trace_id(), client.trace_id());
    assert_eq!(server.parent_span_id(), Some(client.span_id()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_statuses_are_judged_as_the_conventions_say_for_each_side() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve_grpc().await;

    assert_eq!(export(address, 1).await, tonic::Code::NotFound);
    let (_, client, server) = grpc_spans().await;
    assert_eq!(i64_of(&server, "rpc.grpc.status_code"), 5);
    assert_eq!(server.status(), &Status::Unset, "NOT_FOUND is the caller's mistake");
    assert!(client.is_error(), "a client fails on any status but OK");
    assert_eq!(str_of(&client, "error.type"), "NOT_FOUND");

    assert_eq!(export(address, 2).await, tonic::Code::Internal);
    let (_, client, server) = grpc_spans().await;
    assert_eq!(i64_of(&server, "rpc.grpc.status_code"), 13);
    assert!(server.is_error());
    assert_eq!(server.error_message(), Some("store failed"));
    assert_eq!(str_of(&server, "error.type"), "INTERNAL");
    assert!(client.is_error());
}

// ----- plain hyper, and a hyper-util client -----

/// A hyper server of one tower `service_fn` under the layer: 404 for
/// `/missing`, else 200.
async fn serve_hyper() -> SocketAddr {
    use hyper_util::rt::TokioIo;
    use hyper_util::service::TowerToHyperService;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let service = tower::ServiceBuilder::new().layer(ServerLayer::new()).service_fn(
        |request: http::Request<hyper::body::Incoming>| async move {
            let status = if request.uri().path() == "/missing" { 404 } else { 200 };
            let body = http_body_util::Full::new(bytes::Bytes::from_static(b"hyper"));
            Ok::<_, std::convert::Infallible>(http::Response::builder().status(status).body(body).unwrap())
        },
    );
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service.clone()));
            tokio::spawn(connection);
        }
    });
    address
}

#[trace_async]
async fn call_hyper(address: SocketAddr, path: &str) -> u16 {
    use http_body_util::BodyExt as _;
    use tower::{Layer as _, ServiceExt as _};
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let client = ClientLayer::new().layer(client);
    let request = http::Request::get(format!("http://{address}{path}")).body(http_body_util::Empty::new()).unwrap();
    let response = client.oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    response.into_body().collect().await.unwrap();
    status
}

fn of_kind<'a>(spans: &'a Spans, name: &str, kind: SpanKind) -> &'a CapturedSpan {
    spans.filter(|span| span.name() == name && *span.kind() == kind).first().copied().unwrap_or_else(|| {
        panic!("no {kind:?} span {name}:\n{}", spans.tree());
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hyper_client_and_a_plain_hyper_server_join_under_the_layers() {
    let (_lock, _guard) = install(Sampler::AlwaysOn).await;
    let address = serve_hyper().await;
    assert_eq!(call_hyper(address, "/items").await, 200);
    let spans = spans_once(|spans| spans.len() == 3).await;
    let client = of_kind(&spans, "GET", SpanKind::Client);
    let server = of_kind(&spans, "GET", SpanKind::Server);
    assert_eq!(client.parent_span_id(), Some(spans.get("call_hyper").span_id()));
    assert_eq!(server.parent_span_id(), Some(client.span_id()));
    assert_eq!(str_of(client, "url.full"), format!("http://{address}/items"));
    assert_eq!(i64_of(client, "http.response.status_code"), 200);
    // The server read its address from the `Host` header.
    assert_eq!(str_of(server, "server.address"), "127.0.0.1");
    assert_eq!(i64_of(server, "server.port"), i64::from(address.port()));
    assert_eq!(str_of(server, "url.path"), "/items");
    assert_eq!(server.attribute("http.route"), None, "plain hyper has no route");

    assert_eq!(call_hyper(address, "/missing").await, 404);
    let spans = spans_once(|spans| spans.len() == 3).await;
    assert!(of_kind(&spans, "GET", SpanKind::Client).is_error());
    assert_eq!(of_kind(&spans, "GET", SpanKind::Server).status(), &Status::Unset);
}

/// The natural test of a router: `capture_async(app.oneshot(request))`. The
/// server span ends with the response body, after the capture has returned,
/// so it is not captured; the failure says so and what to write instead,
/// and what it says works.
#[tokio::test]
async fn a_router_tested_with_oneshot_is_told_why_its_server_span_is_missing() {
    use tower::ServiceExt as _;
    let request = || http::Request::get("/users/7").body(axum::body::Body::empty()).unwrap();
    let (response, spans) = tracekit::testing::capture_async(app().oneshot(request())).await;
    assert_eq!(response.unwrap().status(), 200);
    let failure = std::panic::catch_unwind(|| spans.get("GET /users/{id}").name().to_owned()).unwrap_err();
    let message = failure.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("not ended when the capture returned") && message.contains("\"GET /users/{id}\""),
        "{message}"
    );
    assert!(message.contains("axum::body::to_bytes(response.into_body(), usize::MAX)"), "{message}");

    let (body, spans) = tracekit::testing::capture_async(async {
        let response = app().oneshot(request()).await.unwrap();
        axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap()
    })
    .await;
    assert_eq!(&body[..], b"user 7");
    spans.assert_child_of("load_user", "GET /users/{id}");
}

/// A router of axum 0.7 (feature `axum07`): its spans are named by route
/// too, not silently by method alone.
#[tokio::test]
async fn an_axum_0_7_router_names_its_spans_by_route() {
    use tower::ServiceExt as _;
    let app: axum07::Router = axum07::Router::new()
        .route("/orders/:id", axum07::routing::get(|| async { "order" }))
        .layer(ServerLayer::new());
    let (body, spans) = tracekit::testing::capture_async(async {
        let request = http::Request::get("/orders/3").body(axum07::body::Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        axum07::body::to_bytes(response.into_body(), usize::MAX).await.unwrap()
    })
    .await;
    assert_eq!(&body[..], b"order");
    let server = spans.get("GET /orders/:id");
    assert_eq!(server.str_attribute("http.route"), Some("/orders/:id"));
}
