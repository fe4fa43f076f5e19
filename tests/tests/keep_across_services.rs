//! The keep policy across two services on the tower layers, over real HTTP
//! on loopback, exporting OTLP to the test receiver. The edge samples one
//! trace in ten; with the policy on, every request that failed in the
//! second service arrives with the failing spans of both services joined
//! by their ids, every slow one with its slow span, and of the rest only
//! what head sampling kept.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use common::receiver::{spans, Receiver};
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode as OtlpStatus;
use opentelemetry_proto::tonic::trace::v1::Span;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;
use tracekit::http::ServerLayer;
use tracekit::reqwest::TraceMiddleware;
use tracekit::{trace_async, trace_performance, Config, Exporter, KeepPolicy, Protocol, Sampler};

mod common;

const REQUESTS: u32 = 1_000;

/// The requests that fail in the second service.
fn fails(n: u32) -> bool {
    n % 20 == 7
}

/// The requests that run slow there.
fn slow(n: u32) -> bool {
    n % 25 == 3
}

// ----- the second service: payments -----

#[trace_async]
async fn settle(n: u32) -> Result<(), String> {
    if fails(n) {
        return Err(format!("card declined for order {n}"));
    }
    if slow(n) {
        ledger_lookup();
    }
    Ok(())
}

#[trace_performance(threshold_ms = 5)]
fn ledger_lookup() {
    std::thread::sleep(Duration::from_millis(15));
}

async fn charge(Path(n): Path<u32>) -> StatusCode {
    match settle(n).await {
        Ok(()) => StatusCode::OK,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

// ----- the first service: orders, the edge -----

type Client = reqwest_middleware::ClientWithMiddleware;

async fn order(Path(n): Path<u32>, State((client, payments)): State<(Client, SocketAddr)>) -> StatusCode {
    let answer = client.get(format!("http://{payments}/charge/{n}")).send().await.unwrap();
    match answer.status().is_success() {
        true => StatusCode::OK,
        false => StatusCode::BAD_GATEWAY,
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

fn string<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    span.attributes.iter().find(|kv| kv.key == key).and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
        AnyValue::StringValue(text) => Some(text.as_str()),
        _ => None,
    })
}

fn failed(span: &Span) -> bool {
    span.status.as_ref().is_some_and(|status| status.code == OtlpStatus::Error as i32)
}

/// One request's trace as the receiver has it.
#[derive(Default)]
struct Trace<'a> {
    /// The orders service's server and client spans.
    order: Option<&'a Span>,
    call: Option<&'a Span>,
    /// The payments service's server span and what ran under it.
    charge: Option<&'a Span>,
    settle: Option<&'a Span>,
    lookup: Option<&'a Span>,
}

#[test]
fn failing_and_slow_requests_are_kept_in_each_service_and_the_rest_head_sampled() {
    // The receiver runs a runtime of its own, started outside the services'.
    let receiver = Receiver::start();
    let services = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let _guard = Config::new()
        .service_name("shop")
        .exporters(&[Exporter::Otlp])
        .otlp(|otlp| otlp.endpoint(receiver.http_endpoint.clone()).protocol(Protocol::HttpProtobuf))
        .sampler(Sampler::ParentBasedTraceIdRatio(0.1))
        .keep(KeepPolicy::new().errors().slow_calls())
        .install()
        .unwrap();
    services.block_on(run_requests());
    tracekit::flush();
    check(&spans(&receiver.exports()));
    assert_eq!(tracekit::export_stats().lost(), 0);
}

/// Sends every request to the orders service, once both services are up.
async fn run_requests() {
    let payments = serve(Router::new().route("/charge/{n}", get(charge)).layer(ServerLayer::new())).await;
    let client =
        reqwest_middleware::ClientBuilder::new(reqwest::Client::new()).with(TraceMiddleware::default()).build();
    let orders =
        serve(Router::new().route("/order/{n}", get(order)).with_state((client, payments)).layer(ServerLayer::new()))
            .await;

    // The callers are not traced: each request starts its trace at the edge.
    let caller = reqwest::Client::new();
    let mut statuses = HashMap::new();
    for batch in (0..REQUESTS).collect::<Vec<_>>().chunks(8) {
        let sent = batch.iter().map(|n| {
            let caller = caller.clone();
            async move { (*n, caller.get(format!("http://{orders}/order/{n}")).send().await.unwrap().status()) }
        });
        statuses.extend(futures_util::future::join_all(sent).await);
    }
    assert!((0..REQUESTS).all(|n| statuses[&n].is_success() != fails(n)));
    // Server spans end as hyper drops the response body, just after the answer.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Checks what arrived against what each request did.
fn check(arrived: &[Span]) {
    let mut traces: HashMap<u32, Trace<'_>> = HashMap::new();
    let mut order_of_trace: HashMap<Vec<u8>, u32> = HashMap::new();
    let number = |path: &str, prefix: &str| path.strip_prefix(prefix).and_then(|n| n.parse::<u32>().ok());
    // The orders service's server spans name the request: its trace is that request's.
    for span in arrived {
        if let Some(n) = string(span, "url.path").and_then(|path| number(path, "/order/")) {
            order_of_trace.insert(span.trace_id.clone(), n);
            traces.entry(n).or_default().order = Some(span);
        }
    }
    for span in arrived {
        if let Some(n) = string(span, "url.path").and_then(|path| number(path, "/charge/")) {
            traces.entry(n).or_default().charge = Some(span);
            order_of_trace.entry(span.trace_id.clone()).or_insert(n);
        }
    }
    for span in arrived {
        let n = *order_of_trace.get(&span.trace_id).unwrap_or_else(|| panic!("a span of no request: {span:?}"));
        let trace = traces.entry(n).or_default();
        match span.name.as_str() {
            "settle" => trace.settle = Some(span),
            "ledger_lookup" => trace.lookup = Some(span),
            name if name.starts_with("GET") && string(span, "url.full").is_some() => trace.call = Some(span),
            _ => {}
        }
    }

    let mut head_sampled = 0;
    for n in 0..REQUESTS {
        let trace = traces.get(&n);
        let sampled_at_the_edge =
            trace.and_then(|trace| trace.order).is_some_and(|order| string(order, tracekit::keys::KEPT_BY).is_none());
        if fails(n) {
            let trace = trace.unwrap_or_else(|| panic!("failing request {n} has no trace"));
            let (order, call, charge, settle) = (
                trace.order.expect("the orders server span"),
                trace.call.expect("the orders client span"),
                trace.charge.expect("the payments server span"),
                trace.settle.expect("the failing span"),
            );
            assert!(failed(order) && failed(call) && failed(charge) && failed(settle), "request {n}");
            // Both services' parts join by their ids.
            assert_eq!(call.parent_span_id, order.span_id);
            assert_eq!(charge.parent_span_id, call.span_id, "payments continues the orders call");
            assert_eq!(settle.parent_span_id, charge.span_id);
            assert!([call, charge, settle].iter().all(|span| span.trace_id == order.trace_id));
            if !sampled_at_the_edge {
                assert_eq!(string(order, tracekit::keys::KEPT_BY), Some("error"));
                assert_eq!(string(charge, tracekit::keys::KEPT_BY), Some("error"));
            }
        } else if slow(n) {
            let trace = trace.unwrap_or_else(|| panic!("slow request {n} has no trace"));
            let (charge, settle, lookup) = (
                trace.charge.expect("the payments server span"),
                trace.settle.expect("settle"),
                trace.lookup.expect("the slow span"),
            );
            assert!(lookup.events.iter().any(|event| event.name == "performance.threshold_exceeded"));
            assert_eq!(lookup.parent_span_id, settle.span_id);
            assert_eq!(settle.parent_span_id, charge.span_id);
            if !sampled_at_the_edge {
                assert_eq!(string(charge, tracekit::keys::KEPT_BY), Some("slow"));
                // The orders service did nothing slow or wrong: its part is not kept.
                assert!(trace.order.is_none() && trace.call.is_none(), "request {n}");
            }
        } else if sampled_at_the_edge {
            head_sampled += 1;
            let trace = trace.unwrap();
            assert!(trace.call.is_some() && trace.charge.is_some() && trace.settle.is_some(), "request {n} whole");
            assert!(string(trace.charge.unwrap(), tracekit::keys::KEPT_BY).is_none());
        } else {
            assert!(trace.is_none(), "request {n} neither failed nor ran slow nor was sampled, yet arrived");
        }
    }
    // Of the 910 others, about one in ten (a binomial's four deviations either way).
    let others = (0..REQUESTS).filter(|n| !fails(*n) && !slow(*n)).count();
    assert_eq!(others, 910);
    assert!((55..=130).contains(&head_sampled), "{head_sampled} of {others} head-sampled");
}
