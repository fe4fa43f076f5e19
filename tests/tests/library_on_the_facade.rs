//! A library compiled against the facade alone (`tests/instrumented-library`,
//! `default-features = false`) records into the program's pipeline: its
//! spans join the program's trace, under the program's span, with their
//! attributes, whether captured in a test or installed for the process.

use tracekit::testing::capture;

#[tracekit::trace_operation]
fn checkout() -> u64 {
    instrumented_library::price("tea") * 2
}

#[test]
fn a_facade_library_s_spans_join_the_program_s_trace() {
    let (total, spans) = capture(checkout);
    assert_eq!(total, 42);
    assert_eq!(spans.names(), ["catalogue", "price", "checkout"]);
    spans.assert_child_of("price", "checkout");
    spans.assert_child_of("catalogue", "price");
    let price = spans.get("price");
    assert_eq!(price.kind(), &tracekit::SpanKind::Client);
    assert_eq!(price.str_attribute("arg.item"), Some("tea"));
    assert_eq!(price.i64_attribute("result"), Some(21));
    assert_eq!(price.str_attribute("library.cache"), Some("miss"));
    assert_eq!(price.str_attribute("code.function.name"), Some("instrumented_library::price"));
}

#[test]
fn a_facade_library_s_async_spans_are_captured_too() {
    let runtime = tokio::runtime::Builder::new_current_thread().build().unwrap();
    let (count, spans) =
        runtime.block_on(tracekit::testing::capture_async(instrumented_library::restock("kettle".into())));
    assert_eq!(count, 6);
    assert_eq!(spans.names(), ["restock"]);
}

#[test]
fn a_facade_library_records_into_the_pipeline_the_program_installs() {
    let guard = tracekit::Config::new().exporters(&[tracekit::Exporter::InMemory]).install().unwrap();
    checkout();
    let spans = tracekit::testing::take_recorded();
    drop(guard);
    spans.assert_child_of("price", "checkout");
    spans.assert_child_of("catalogue", "price");
}
