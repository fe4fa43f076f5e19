//! The options shared by the three attributes: names, arguments, results,
//! kinds, extra attributes and code location.

use std::sync::atomic::{AtomicUsize, Ordering};
use tracekit::testing::capture;
use tracekit::{trace_async, trace_operation, SpanKind, Value};

#[trace_operation]
fn default_name() {}

#[trace_operation("search_concept")]
fn bare_string_name() {}

#[trace_operation(name = "custom.name")]
fn name_option() {}

#[test]
fn span_names_default_to_the_function_and_can_be_set() {
    let ((), spans) = capture(|| {
        default_name();
        bare_string_name();
        name_option();
    });
    assert_eq!(spans.names(), ["default_name", "search_concept", "custom.name"]);
}

#[test]
fn every_span_carries_its_code_location() {
    let line = line!() + 2;
    #[trace_operation]
    fn located() {}
    let ((), spans) = capture(located);
    let span = spans.get("located");
    // The compiler's path of the function: here, one nested in the test.
    assert_eq!(
        span.str_attribute("code.function.name"),
        Some("attributes::every_span_carries_its_code_location::located")
    );
    assert!(span.str_attribute("code.file.path").unwrap().ends_with("attributes.rs"));
    assert_eq!(span.i64_attribute("code.line.number"), Some(i64::from(line)));
}

#[derive(Debug)]
#[allow(dead_code)]
struct Profile {
    name: &'static str,
}

#[trace_operation(include_args)]
#[allow(clippy::too_many_arguments)]
fn typed_args(
    count: i32,
    big: u64,
    too_big: u64,
    ratio: f64,
    enabled: bool,
    label: &str,
    owned: String,
    profile: &Profile,
) -> usize {
    let _ = (count, big, too_big, ratio, enabled, owned, profile);
    label.len()
}

#[test]
fn include_args_records_scalars_with_their_types_and_others_through_debug() {
    let profile = Profile { name: "ada" };
    let (_, spans) = capture(|| typed_args(-3, 7, u64::MAX, 0.25, true, "hi", "there".into(), &profile));
    let span = spans.get("typed_args");
    assert_eq!(span.attribute("arg.count"), Some(&Value::I64(-3)));
    assert_eq!(span.attribute("arg.big"), Some(&Value::I64(7)));
    assert_eq!(span.str_attribute("arg.too_big"), Some("18446744073709551615"), "kept exact as a string");
    assert_eq!(span.attribute("arg.ratio"), Some(&Value::F64(0.25)));
    assert_eq!(span.attribute("arg.enabled"), Some(&Value::Bool(true)));
    assert_eq!(span.str_attribute("arg.label"), Some("hi"));
    assert_eq!(span.str_attribute("arg.owned"), Some("there"));
    assert_eq!(span.str_attribute("arg.profile"), Some("Profile { name: \"ada\" }"));
}

#[trace_operation]
fn args_not_requested(secret: &str) -> usize {
    secret.len()
}

#[trace_operation(include_args, skip(password, token))]
fn with_skip(user: &str, password: &str, token: u64) -> bool {
    !user.is_empty() && !password.is_empty() && token > 0
}

#[test]
fn arguments_are_recorded_only_when_asked_and_skip_leaves_them_out() {
    let (_, spans) = capture(|| {
        args_not_requested("hunter2");
        with_skip("ada", "hunter2", 9);
    });
    let plain = spans.get("args_not_requested");
    assert!(plain.data().attributes.iter().all(|kv| !kv.key.as_str().starts_with("arg.")));
    let skipped = spans.get("with_skip");
    assert_eq!(skipped.str_attribute("arg.user"), Some("ada"));
    assert_eq!(skipped.attribute("arg.password"), None);
    assert_eq!(skipped.attribute("arg.token"), None);
}

#[trace_operation(include_result)]
fn plain_result(x: u32) -> u32 {
    x * 2
}

#[trace_operation(include_result)]
fn ok_result(x: u32) -> Result<Vec<u32>, String> {
    Ok(vec![x])
}

#[trace_operation]
fn result_not_requested() -> Result<u32, String> {
    Ok(5)
}

#[test]
fn include_result_records_the_value_or_the_ok_value() {
    let (_, spans) = capture(|| {
        plain_result(4);
        ok_result(3).unwrap();
        result_not_requested().unwrap();
    });
    assert_eq!(spans.get("plain_result").i64_attribute("result"), Some(8));
    assert_eq!(spans.get("ok_result").str_attribute("result"), Some("[3]"));
    assert_eq!(spans.get("result_not_requested").attribute("result"), None);
}

#[trace_operation(kind = "server")]
fn server() {}
#[trace_operation(kind = "client")]
fn client() {}
#[trace_operation(kind = "producer")]
fn producer() {}
#[trace_operation(kind = "consumer")]
fn consumer() {}
#[trace_operation(kind = "internal")]
fn internal() {}

#[test]
fn kind_sets_the_span_kind() {
    let ((), spans) = capture(|| {
        server();
        client();
        producer();
        consumer();
        internal();
        default_name();
    });
    let kinds: Vec<&SpanKind> = spans.iter().map(|span| span.kind()).collect();
    assert_eq!(
        kinds,
        [
            &SpanKind::Server,
            &SpanKind::Client,
            &SpanKind::Producer,
            &SpanKind::Consumer,
            &SpanKind::Internal,
            &SpanKind::Internal
        ]
    );
}

struct User {
    id: u64,
    email: String,
}

static EVALUATIONS: AtomicUsize = AtomicUsize::new(0);

fn counted(value: i64) -> i64 {
    EVALUATIONS.fetch_add(1, Ordering::SeqCst);
    value
}

#[trace_operation(attributes("db.system" = "postgresql", "user.id" = user.id, "user.domain" = user.email.split('@').nth(1).unwrap_or(""), "evaluated" = counted(1)))]
fn save(user: &User) -> u64 {
    user.id
}

#[test]
fn extra_attributes_are_evaluated_only_when_the_span_records() {
    let user = User { id: 42, email: "ada@example.com".into() };
    // Nothing records outside a capture (this test binary never calls init).
    let before = EVALUATIONS.load(Ordering::SeqCst);
    save(&user);
    assert_eq!(EVALUATIONS.load(Ordering::SeqCst), before, "evaluated without a recorder");

    let (_, spans) = capture(|| save(&user));
    let span = spans.get("save");
    assert_eq!(span.str_attribute("db.system"), Some("postgresql"));
    assert_eq!(span.i64_attribute("user.id"), Some(42));
    assert_eq!(span.str_attribute("user.domain"), Some("example.com"));
    assert_eq!(span.i64_attribute("evaluated"), Some(1));
    assert_eq!(EVALUATIONS.load(Ordering::SeqCst), before + 1);
}

#[trace_async(include_args, skip(token), include_result, kind = "client", attributes("peer" = "db"))]
async fn async_options(id: u32, token: &str) -> Result<String, String> {
    tokio::task::yield_now().await;
    Ok(format!("row {id} {}", token.len()))
}

#[tokio::test]
async fn the_same_options_work_on_async_functions() {
    let (_, spans) = tracekit::testing::capture_async(async_options(9, "secret")).await;
    let span = spans.get("async_options");
    assert_eq!(span.i64_attribute("arg.id"), Some(9));
    assert_eq!(span.attribute("arg.token"), None);
    assert_eq!(span.str_attribute("result"), Some("row 9 6"));
    assert_eq!(span.kind(), &SpanKind::Client);
    assert_eq!(span.str_attribute("peer"), Some("db"));
    assert_eq!(span.str_attribute("code.function.name"), Some("attributes::async_options"));
}

#[test]
fn nothing_is_recorded_until_tracing_is_installed() {
    // No init() in this binary and no capture here: the call runs untraced.
    assert_eq!(plain_result(2), 4);
    assert!(!tracekit::current_span().is_recording());
}

/// `parent = None`, as `tracing` writes a root: a new trace, even inside another span.
#[tracekit::trace_operation(parent = None)]
fn detached_job() {}

#[tracekit::trace_operation(parent = maybe_parent)]
fn maybe_continued(maybe_parent: Option<tracekit::opentelemetry::Context>) {}

#[test]
fn parent_none_starts_a_new_trace_inside_another_span() {
    let ((), spans) = tracekit::testing::capture(|| {
        tracekit::span("request").in_scope(|| {
            detached_job();
            maybe_continued(None);
            maybe_continued(Some(tracekit::context::current()));
        })
    });
    let (request, detached) = (spans.get("request"), spans.get("detached_job"));
    assert_eq!(detached.parent_span_id(), None);
    assert_ne!(detached.trace_id(), request.trace_id());
    let continued = spans.all("maybe_continued");
    assert_eq!(continued[0].parent_span_id(), None);
    assert_eq!(continued[1].parent_span_id(), Some(request.span_id()));
}

/// The expansion writes the keys `tracekit::keys` names: the macros cannot
/// import them (a proc-macro crate links no runtime), so this holds them together.
#[test]
fn the_keys_module_names_what_the_expansion_records() {
    #[trace_operation(include_args, include_result)]
    fn next(value: i64) -> i64 {
        value + 1
    }
    let (_, spans) = tracekit::testing::capture(|| next(1));
    let span = spans.get("next");
    assert_eq!(span.i64_attribute(&format!("{}value", tracekit::keys::ARG_PREFIX)), Some(1));
    assert_eq!(span.i64_attribute(tracekit::keys::RESULT), Some(2));
}
