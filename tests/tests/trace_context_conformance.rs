//! The rules of W3C Trace Context, probed the way a conformance check
//! probes a service: a caller sends crafted `traceparent` and `tracestate`
//! headers to a service traced only by `ServerLayer` (axum) and reads what
//! the service sends on to its own callee, through `TraceMiddleware`
//! (reqwest) or `ClientLayer` (tower over reqwest). All of it is real HTTP
//! on loopback; each test is one mode of the service (the defaults,
//! `tracecontext` only, `always_off`, a ratio sampler, tracing off, not
//! installed).

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::Router;
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex as StdMutex};
use tokio::sync::{Mutex, MutexGuard};
use tower::{Service as _, ServiceBuilder, ServiceExt as _};
use tracekit::http::{ClientLayer, ServerLayer};
use tracekit::propagation::Propagator;
use tracekit::reqwest::TraceMiddleware;
use tracekit::{Config, Exporter, Sampler, TracingGuard};

/// Installation is process-wide: one test at a time.
static INSTALL: Mutex<()> = Mutex::const_new(());

const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT: &str = "00f067aa0ba902b7";
/// A trace id that the ratio sampler at 0.5 samples (its low half is small)
/// and one it drops (its low half is large).
const TRACE_RATIO_KEEPS: &str = "4bf92f3577b34da60000000000000001";
const TRACE_RATIO_DROPS: &str = "4bf92f3577b34da6ffffffffffffffff";

fn traceparent(trace: &str, parent: &str, flags: &str) -> String {
    format!("00-{trace}-{parent}-{flags}")
}

/// What the service's callee received.
#[derive(Debug, Clone)]
struct Sent {
    traceparents: Vec<String>,
    tracestate: Option<String>,
    baggage: Option<String>,
}

impl Sent {
    fn nothing(&self) -> bool {
        self.traceparents.is_empty() && self.tracestate.is_none() && self.baggage.is_none()
    }

    /// The one `traceparent` sent, checked against the grammar, split into
    /// its fields.
    fn traceparent(&self) -> [String; 4] {
        assert_eq!(self.traceparents.len(), 1, "exactly one traceparent is sent: {self:?}");
        let value = &self.traceparents[0];
        let fields: Vec<&str> = value.split('-').collect();
        let lengths: Vec<usize> = fields.iter().map(|field| field.len()).collect();
        assert_eq!(lengths, [2, 32, 16, 2], "{value}");
        assert!(value.bytes().all(|byte| byte == b'-' || matches!(byte, b'0'..=b'9' | b'a'..=b'f')), "{value}");
        assert_eq!(fields[0], "00", "{value}");
        assert_ne!(fields[1], "0".repeat(32), "{value}");
        assert_ne!(fields[2], "0".repeat(16), "{value}");
        [0, 1, 2, 3].map(|index| fields[index].to_owned())
    }

    fn trace_id(&self) -> String {
        self.traceparent()[1].clone()
    }

    fn parent_id(&self) -> String {
        self.traceparent()[2].clone()
    }

    fn flags(&self) -> String {
        self.traceparent()[3].clone()
    }
}

/// A callee, a service under `ServerLayer` that calls it, and a caller.
struct Chain {
    service: SocketAddr,
    received: Arc<StdMutex<Vec<HeaderMap>>>,
    caller: reqwest::Client,
}

#[derive(Clone)]
struct Callee {
    url: String,
    through_middleware: reqwest_middleware::ClientWithMiddleware,
    plain: reqwest::Client,
}

async fn via_middleware(State(callee): State<Callee>) -> &'static str {
    callee.through_middleware.get(&callee.url).send().await.unwrap();
    "sent"
}

async fn via_client_layer(State(callee): State<Callee>) -> &'static str {
    let plain = callee.plain.clone();
    let send = tower::service_fn(move |request: http::Request<String>| {
        let plain = plain.clone();
        async move {
            let response = plain.execute(reqwest::Request::try_from(request)?).await?;
            Ok::<_, reqwest::Error>(http::Response::new(response.text().await?))
        }
    });
    let mut client = ServiceBuilder::new().layer(ClientLayer::new()).service(send);
    let request = http::Request::get(&callee.url).body(String::new()).unwrap();
    let response = client.ready().await.unwrap().call(request).await.unwrap();
    drop(response);
    "sent"
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    address
}

impl Chain {
    async fn start() -> Chain {
        let received = Arc::new(StdMutex::new(Vec::new()));
        let seen = Arc::clone(&received);
        let callee = Router::new().route(
            "/",
            get(move |headers: HeaderMap| {
                seen.lock().unwrap().push(headers);
                async { "ok" }
            }),
        );
        let callee = serve(callee).await;
        let plain = reqwest::Client::new();
        let callee = Callee {
            url: format!("http://{callee}/"),
            through_middleware: reqwest_middleware::ClientBuilder::new(plain.clone())
                .with(TraceMiddleware::default())
                .build(),
            plain,
        };
        let service = Router::new()
            .route("/middleware", get(via_middleware))
            .route("/client-layer", get(via_client_layer))
            .route("/untraced", get(via_middleware))
            .layer(ServerLayer::new().filter(|request| request.uri.path() != "/untraced"))
            .with_state(callee);
        Chain { service: serve(service).await, received, caller: reqwest::Client::new() }
    }

    /// Sends `headers` (a name may repeat) to the service, through each of
    /// its clients, and returns what the callee received each time; both
    /// clients must have sent the same headers but for the parent id.
    async fn send(&self, headers: &[(&str, &str)]) -> Sent {
        let via_middleware = self.send_through("/middleware", headers).await;
        let via_layer = self.send_through("/client-layer", headers).await;
        assert_eq!(via_middleware.traceparents.len(), via_layer.traceparents.len(), "{via_middleware:?} {via_layer:?}");
        // The same trace continued through both: the same decision and state.
        if !via_middleware.traceparents.is_empty() && via_middleware.trace_id() == via_layer.trace_id() {
            let flags_and_state = |sent: &Sent| (sent.flags(), sent.tracestate.clone(), sent.baggage.clone());
            assert_eq!(flags_and_state(&via_middleware), flags_and_state(&via_layer));
        }
        via_middleware
    }

    async fn send_through(&self, path: &str, headers: &[(&str, &str)]) -> Sent {
        let mut map = reqwest::header::HeaderMap::new();
        for (name, value) in headers {
            map.append(reqwest::header::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
        }
        let response = self.caller.get(format!("http://{}{path}", self.service)).headers(map).send().await.unwrap();
        assert_eq!(response.text().await.unwrap(), "sent");
        let received = self.received.lock().unwrap().pop().expect("the callee was called");
        let all = |name: &str| -> Vec<String> {
            received.get_all(name).iter().map(|value| value.to_str().unwrap().to_owned()).collect()
        };
        let one = |name: &str| {
            let values = all(name);
            assert!(values.len() <= 1, "{name} is sent as one header: {values:?}");
            values.into_iter().next()
        };
        Sent { traceparents: all("traceparent"), tracestate: one("tracestate"), baggage: one("baggage") }
    }
}

async fn install(config: Config) -> (MutexGuard<'static, ()>, TracingGuard) {
    let lock = INSTALL.lock().await;
    (lock, config.install().unwrap())
}

fn in_memory() -> Config {
    Config::new().exporters(&[Exporter::InMemory])
}

/// A new trace: valid, another trace id, no `tracestate` carried over.
fn assert_new_trace(sent: &Sent, incoming: &str) {
    assert_ne!(sent.trace_id(), TRACE, "{incoming:?} must start a new trace");
    assert_eq!(sent.tracestate, None, "{incoming:?}: a new trace carries no tracestate");
}

#[tokio::test(flavor = "multi_thread")]
async fn defaults_continue_only_valid_traceparents() {
    let (_lock, _guard) = install(in_memory()).await;
    let chain = Chain::start().await;

    let valid = traceparent(TRACE, PARENT, "01");
    let sent = chain.send(&[("traceparent", &valid), ("tracestate", "congo=t61rcWkgMzE")]).await;
    assert_eq!(sent.trace_id(), TRACE);
    assert_ne!(sent.parent_id(), PARENT, "the parent sent on is this service's span");
    assert_eq!(sent.flags(), "01");
    assert_eq!(sent.tracestate.as_deref(), Some("congo=t61rcWkgMzE"));

    // The server span ends when hyper drops the response body, which may be
    // just after the caller has read it.
    for _ in 0..500 {
        if tracekit::testing::recorded().find("GET /middleware").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let spans = tracekit::testing::take_recorded();
    let server = spans.get("GET /middleware");
    assert_eq!(server.parent_span_id().map(|id| id.to_string()).as_deref(), Some(PARENT));
    assert!(server.data().parent_span_is_remote);

    let upper = traceparent(&TRACE.to_uppercase(), PARENT, "01");
    let invalid = [
        format!("000-{TRACE}-{PARENT}-01"),
        format!("0-{TRACE}-{PARENT}-01"),
        format!("00-{TRACE}-{}-01", &PARENT[1..]),
        format!("00-{TRACE}-{PARENT}-001"),
        format!("00-{TRACE}-{PARENT}-1"),
        format!("ff-{TRACE}-{PARENT}-01"),
        format!("00-{TRACE}-{PARENT}-01-extra"),
        traceparent(&"0".repeat(32), PARENT, "01"),
        traceparent(TRACE, &"0".repeat(16), "01"),
        upper,
    ];
    for incoming in &invalid {
        let sent = chain.send(&[("traceparent", incoming), ("tracestate", "congo=t61rcWkgMzE")]).await;
        assert_new_trace(&sent, incoming);
        assert_eq!(sent.flags(), "01", "a new root is sampled by the default sampler");
    }

    let other = traceparent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "01");
    let sent = chain.send(&[("traceparent", &valid), ("traceparent", &other)]).await;
    assert_new_trace(&sent, "two traceparent headers");
    assert_ne!(sent.trace_id(), "0af7651916cd43dd8448eb211c80319c");

    // A later version is read for the fields this one knows, and sent on as 00.
    let later = format!("cc-{TRACE}-{PARENT}-09-what-comes-next");
    assert_eq!(chain.send(&[("traceparent", &later)]).await.traceparent()[..2], ["00".to_owned(), TRACE.to_owned()]);
    // Spaces around the value are not part of it.
    assert_eq!(chain.send(&[("traceparent", &format!(" {valid}\t"))]).await.trace_id(), TRACE);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_random_flag_is_sent_on_with_the_sampled_flag() {
    let (_lock, _guard) = install(in_memory()).await;
    let chain = Chain::start().await;
    for (incoming, expected) in [("03", "03"), ("02", "02"), ("01", "01"), ("00", "00"), ("ff", "03"), ("08", "00")] {
        let sent = chain.send(&[("traceparent", &traceparent(TRACE, PARENT, incoming))]).await;
        assert_eq!((sent.trace_id(), sent.flags()), (TRACE.to_owned(), expected.to_owned()), "flags {incoming}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn tracestate_is_one_list_by_the_current_grammar() {
    let (_lock, _guard) = install(in_memory()).await;
    let chain = Chain::start().await;
    let valid = traceparent(TRACE, PARENT, "01");
    let state_of = |sent: Sent| {
        assert_eq!(sent.trace_id(), TRACE, "an invalid tracestate never invalidates the traceparent");
        sent.tracestate
    };

    let sent = chain.send(&[("traceparent", &valid), ("tracestate", "rojo=1, congo=2"), ("tracestate", "x=3")]).await;
    assert_eq!(state_of(sent).as_deref(), Some("rojo=1,congo=2,x=3"), "several headers are one list, in order");

    let system_14 = format!("tenant@{}=1", "s".repeat(14));
    let multi = format!("{system_14},foo@@bar=2,7up=3");
    let sent = chain.send(&[("traceparent", &valid), ("tracestate", &multi)]).await;
    assert_eq!(state_of(sent).as_deref(), Some(multi.as_str()), "keys the current grammar allows");

    let members = |count: usize| (0..count).map(|n| format!("k{n}=v{n}")).collect::<Vec<_>>().join(",");
    let thirty_two = members(32);
    let sent = chain.send(&[("traceparent", &valid), ("tracestate", &thirty_two)]).await;
    assert_eq!(state_of(sent), Some(thirty_two));

    let long_key = format!("k{}=v", "a".repeat(256));
    let long_value = format!("k={}", "v".repeat(257));
    let thirty_three = members(33);
    for invalid in
        ["a=1,b=", "a=1,b=,c=3", "a=1,a=2", "A=1", "a=1,=2", "a=x=y", "a=1,b", "a=\t1", &long_key, &long_value]
            .into_iter()
            .chain([thirty_three.as_str()])
    {
        let sent = chain.send(&[("traceparent", &valid), ("tracestate", invalid)]).await;
        assert_eq!(state_of(sent), None, "{invalid:?} is discarded, not trimmed");
    }
    // Empty members and an empty header are allowed.
    let sent = chain.send(&[("traceparent", &valid), ("tracestate", ""), ("tracestate", "a=1,, ,b=2")]).await;
    assert_eq!(state_of(sent).as_deref(), Some("a=1,b=2"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unsampled_remote_parent_is_answered_with_this_services_span() {
    let (_lock, _guard) = install(in_memory()).await;
    let chain = Chain::start().await;
    let incoming = traceparent(TRACE, PARENT, "00");
    let sent = chain.send(&[("traceparent", &incoming), ("tracestate", "congo=1"), ("baggage", "user=ada")]).await;
    assert_eq!(sent.trace_id(), TRACE);
    assert_ne!(sent.parent_id(), PARENT, "this service's own (non-recording) span is the parent");
    assert_eq!(sent.flags(), "00");
    assert_eq!(sent.tracestate.as_deref(), Some("congo=1"));
    assert_eq!(sent.baggage.as_deref(), Some("user=ada"));
    assert!(tracekit::testing::take_recorded().is_empty(), "nothing is recorded under an unsampled parent");
}

#[tokio::test(flavor = "multi_thread")]
async fn tracecontext_alone_sends_no_baggage() {
    let (_lock, _guard) = install(in_memory().propagators(&[Propagator::TraceContext])).await;
    let chain = Chain::start().await;
    let incoming = traceparent(TRACE, PARENT, "01");
    let sent = chain.send(&[("traceparent", &incoming), ("baggage", "user=ada")]).await;
    assert_eq!((sent.trace_id(), sent.flags()), (TRACE.to_owned(), "01".to_owned()));
    assert_eq!(sent.baggage, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn always_off_still_sends_a_valid_traceparent() {
    let (_lock, _guard) = install(in_memory().sampler(Sampler::AlwaysOff)).await;
    let chain = Chain::start().await;

    // A root: a new trace, unsampled, so that downstream joins its decision.
    let first = chain.send(&[]).await;
    let second = chain.send(&[]).await;
    assert_eq!(first.flags(), "00");
    assert_ne!(first.trace_id(), second.trace_id(), "each request is a trace of its own");

    // Under a sampled parent: the same trace, this service's span, unsampled.
    let incoming = traceparent(TRACE, PARENT, "01");
    let sent = chain.send(&[("traceparent", &incoming), ("tracestate", "congo=1")]).await;
    assert_eq!(sent.trace_id(), TRACE);
    assert_ne!(sent.parent_id(), PARENT);
    assert_eq!(sent.flags(), "00");
    assert_eq!(sent.tracestate.as_deref(), Some("congo=1"));
    assert!(tracekit::testing::take_recorded().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ratio_samplers_miss_sends_the_trace_on_unsampled() {
    let (_lock, _guard) = install(in_memory().sampler(Sampler::TraceIdRatio(0.5))).await;
    let chain = Chain::start().await;

    let kept = chain.send(&[("traceparent", &traceparent(TRACE_RATIO_KEEPS, PARENT, "00"))]).await;
    assert_eq!((kept.trace_id(), kept.flags()), (TRACE_RATIO_KEEPS.to_owned(), "01".to_owned()));
    let dropped = chain.send(&[("traceparent", &traceparent(TRACE_RATIO_DROPS, PARENT, "01"))]).await;
    assert_eq!((dropped.trace_id(), dropped.flags()), (TRACE_RATIO_DROPS.to_owned(), "00".to_owned()));
    assert_ne!(dropped.parent_id(), PARENT);
    drop(_guard);

    // Roots under the parent-based ratio sampler: hits and misses alike send a
    // valid traceparent of a trace of their own.
    let _guard = in_memory().sampler(Sampler::ParentBasedTraceIdRatio(0.5)).install().unwrap();
    let mut flags = HashSet::new();
    let mut traces = HashSet::new();
    for _ in 0..40 {
        let sent = chain.send(&[]).await;
        flags.insert(sent.flags());
        traces.insert(sent.trace_id());
    }
    assert_eq!(flags, HashSet::from(["00".to_owned(), "01".to_owned()]));
    assert_eq!(traces.len(), 40);
}

/// With tracing off after `init()`, the service passes the context through
/// as received and records nothing; `OTEL_PROPAGATORS=none` still sends nothing.
#[tokio::test(flavor = "multi_thread")]
async fn tracing_off_passes_the_context_through_as_received() {
    let chain = Chain::start().await;
    let incoming = traceparent(TRACE, PARENT, "01");
    let headers = [("traceparent", incoming.as_str()), ("tracestate", "congo=1,rojo=2"), ("baggage", "user=ada")];
    let from_env = |vars: &'static [(&'static str, &'static str)]| {
        Config::from_lookup(|name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| (*value).to_owned()))
            .unwrap()
    };
    let off = [
        ("TRACING_EXPORTER=none", from_env(&[("TRACING_EXPORTER", "none")])),
        ("TRACING_ENABLED=false", from_env(&[("TRACING_ENABLED", "false")])),
        ("OTEL_SDK_DISABLED=true", from_env(&[("OTEL_SDK_DISABLED", "true")])),
        ("Config::enabled(false)", Config::new().enabled(false)),
    ];
    for (mode, config) in off {
        let (_lock, guard) = install(config).await;
        let sent = chain.send(&headers).await;
        assert_eq!(sent.traceparents, std::slice::from_ref(&incoming), "{mode}");
        assert_eq!(sent.tracestate.as_deref(), Some("congo=1,rojo=2"), "{mode}");
        assert_eq!(sent.baggage.as_deref(), Some("user=ada"), "{mode}");
        assert!(chain.send(&[]).await.nothing(), "{mode}: no trace comes in, none goes out");
        drop(guard);
    }

    let (_lock, guard) = install(from_env(&[("TRACING_EXPORTER", "none"), ("OTEL_PROPAGATORS", "none")])).await;
    assert!(chain.send(&headers).await.nothing(), "OTEL_PROPAGATORS=none sends nothing");
    drop(guard);

    // Before any installation (a library's layers in a program that never
    // installs tracekit) nothing is read or written.
    assert!(chain.send(&headers).await.nothing());
}

/// The modes a service may run in, for the rules that hold in every one.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Mode {
    Defaults,
    TraceContextOnly,
    AlwaysOff,
    Ratio,
    TracingOff,
}

impl Mode {
    fn config(self) -> Config {
        match self {
            Mode::Defaults => in_memory(),
            Mode::TraceContextOnly => in_memory().propagators(&[Propagator::TraceContext]),
            Mode::AlwaysOff => in_memory().sampler(Sampler::AlwaysOff),
            Mode::Ratio => in_memory().sampler(Sampler::ParentBasedTraceIdRatio(0.5)),
            Mode::TracingOff => Config::new().exporters(&[Exporter::None]),
        }
    }

    /// The flags sent on under a valid parent with `flags` (only the known
    /// flags, sampled as the mode decides).
    fn flags_under(self, flags: u8) -> String {
        let flags = flags & 0x03;
        let flags = if self == Mode::AlwaysOff { flags & 0x02 } else { flags };
        format!("{flags:02x}")
    }
}

/// Every `traceparent` and `tracestate` rule, in one mode: what each
/// incoming header makes the service send on.
async fn rules_hold_in(mode: Mode) {
    let (_lock, _guard) = install(mode.config()).await;
    let chain = Chain::start().await;

    // A valid parent, sampled or not, with the random flag or unknown ones.
    for flags in [0x00u8, 0x01, 0x02, 0x03, 0x09] {
        let incoming = traceparent(TRACE, PARENT, &format!("{flags:02x}"));
        let sent = chain.send(&[("traceparent", &incoming), ("tracestate", "congo=1, rojo=2")]).await;
        assert_eq!(sent.trace_id(), TRACE, "{mode:?} {incoming}");
        assert_eq!(sent.flags(), mode.flags_under(flags), "{mode:?} {incoming}");
        assert_eq!(sent.tracestate.as_deref(), Some("congo=1,rojo=2"), "{mode:?} {incoming}");
        match mode {
            // Passed through: the caller's own parent id, as received.
            Mode::TracingOff => assert_eq!(sent.parent_id(), PARENT, "{mode:?}"),
            _ => assert_ne!(sent.parent_id(), PARENT, "{mode:?}: this service's span is the parent"),
        }
    }

    // Invalid traceparents, and two of them: no parent.
    let valid = traceparent(TRACE, PARENT, "01");
    let invalid = [
        vec![format!("000-{TRACE}-{PARENT}-01")],
        vec![format!("00-{TRACE}-{}-01", &PARENT[1..])],
        vec![format!("00-{TRACE}-{PARENT}-001")],
        vec![format!("00-{}-{PARENT}-01", TRACE.to_uppercase())],
        vec![valid.clone(), traceparent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", "01")],
    ];
    for incoming in &invalid {
        let mut headers: Vec<(&str, &str)> = incoming.iter().map(|value| ("traceparent", value.as_str())).collect();
        headers.push(("tracestate", "congo=1"));
        let sent = chain.send(&headers).await;
        if mode == Mode::TracingOff {
            assert!(sent.nothing(), "{mode:?} {incoming:?}: nothing valid came in, nothing goes out");
            continue;
        }
        assert_new_trace(&sent, &format!("{mode:?} {incoming:?}"));
        match mode {
            Mode::AlwaysOff => assert_eq!(sent.flags(), "00"),
            Mode::Ratio => assert!(["00", "01"].contains(&sent.flags().as_str())),
            _ => assert_eq!(sent.flags(), "01"),
        }
    }

    // tracestate: one list from several headers, the current key grammar,
    // and an invalid list dropped whole without touching the traceparent.
    let system_14 = format!("tenant@{}=1,foo@@bar=2", "s".repeat(14));
    let thirty_three = (0..33).map(|n| format!("k{n}=v")).collect::<Vec<_>>().join(",");
    let cases: [(&[&str], Option<&str>); 5] = [
        (&["a=1", "b=2"], Some("a=1,b=2")),
        (&[&system_14], Some(system_14.as_str())),
        (&["a=1,b="], None),
        (&["a=1,a=2"], None),
        (&[&thirty_three], None),
    ];
    for (states, expected) in cases {
        let mut headers = vec![("traceparent", valid.as_str())];
        headers.extend(states.iter().map(|state| ("tracestate", *state)));
        let sent = chain.send(&headers).await;
        assert_eq!(sent.trace_id(), TRACE, "{mode:?} {states:?}");
        assert_eq!(sent.tracestate.as_deref(), expected, "{mode:?} {states:?}");
    }

    // Baggage goes with the defaults' propagators, not with tracecontext alone.
    let sent = chain.send(&[("traceparent", &valid), ("baggage", "user=ada")]).await;
    let expected = (mode != Mode::TraceContextOnly).then_some("user=ada");
    assert_eq!(sent.baggage.as_deref(), expected, "{mode:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_holds_with_the_defaults() {
    rules_hold_in(Mode::Defaults).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_holds_with_tracecontext_alone() {
    rules_hold_in(Mode::TraceContextOnly).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_holds_under_always_off() {
    rules_hold_in(Mode::AlwaysOff).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_holds_under_a_ratio_sampler() {
    rules_hold_in(Mode::Ratio).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_rule_holds_with_tracing_off() {
    rules_hold_in(Mode::TracingOff).await;
}

/// A request `ServerLayer::filter` leaves out gets no span, and runs in the
/// caller's trace as it came: what it sends on continues that trace.
#[tokio::test(flavor = "multi_thread")]
async fn a_filtered_request_sends_the_callers_trace_on() {
    let (_lock, _guard) = install(in_memory()).await;
    let chain = Chain::start().await;
    let incoming = traceparent(TRACE, PARENT, "01");
    let sent = chain.send_through("/untraced", &[("traceparent", &incoming), ("tracestate", "congo=1")]).await;
    assert_eq!(sent.trace_id(), TRACE);
    assert_ne!(sent.parent_id(), PARENT, "the client span is the parent");
    assert_eq!(sent.tracestate.as_deref(), Some("congo=1"));
    for _ in 0..500 {
        if tracekit::testing::recorded().find("GET").is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let spans = tracekit::testing::take_recorded();
    assert!(spans.find("GET /untraced").is_none(), "no server span: {}", spans.tree());
    assert_eq!(spans.get("GET").parent_span_id().map(|id| id.to_string()).as_deref(), Some(PARENT));
}

/// A header that cannot be read whole (longer than tracekit reads, or not
/// visible ASCII) is not read in part: a second `traceparent` that is one
/// still makes two, and a `tracestate` list with one is dropped whole.
#[tokio::test(flavor = "multi_thread")]
async fn a_header_that_cannot_be_read_whole_is_not_read_in_part() {
    use reqwest::header::{HeaderMap, HeaderValue};
    let (_lock, _guard) = install(in_memory()).await;
    let chain = Chain::start().await;
    let valid = traceparent(TRACE, PARENT, "01");
    let overlong = "a".repeat(9000);
    let (chain, valid) = (&chain, &valid);
    let send = |extra_name: &'static str, extra: HeaderValue| {
        let mut headers = HeaderMap::new();
        headers.append("traceparent", valid.parse().unwrap());
        headers.append("tracestate", "congo=1".parse().unwrap());
        headers.append(extra_name, extra);
        let request = chain.caller.get(format!("http://{}/middleware", chain.service)).headers(headers);
        async move {
            assert_eq!(request.send().await.unwrap().text().await.unwrap(), "sent");
            let received = chain.received.lock().unwrap().pop().unwrap();
            let value = |name: &str| received.get(name).map(|value| value.to_str().unwrap().to_owned());
            (value("traceparent").unwrap(), value("tracestate"))
        }
    };
    for second in [HeaderValue::from_str(&overlong).unwrap(), HeaderValue::from_bytes(b"00-\xff").unwrap()] {
        let (sent, _) = send("traceparent", second.clone()).await;
        assert_ne!(sent.split('-').nth(1), Some(TRACE), "two traceparents, one unreadable: a new trace");
        let (sent, state) = send("tracestate", second).await;
        assert_eq!(sent.split('-').nth(1), Some(TRACE));
        assert_eq!(state, None, "the tracestate list is dropped whole");
    }
}
