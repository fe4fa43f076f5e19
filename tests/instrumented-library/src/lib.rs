//! A library on tracekit's facade (`default-features = false`), for the
//! test that its spans join the traces of a program that installs tracekit.

/// Looks a price up, with a span of its own and one for the step inside.
#[tracekit::trace_operation(kind = "client", include_args, include_result)]
pub fn price(item: &str) -> u64 {
    tracekit::current_span().set_attribute("library.cache", "miss");
    catalogue(item)
}

#[tracekit::trace_operation]
fn catalogue(item: &str) -> u64 {
    item.len() as u64 * 7
}

/// An async step, carried across a thread by the facade's context helpers.
#[tracekit::trace_async]
pub async fn restock(item: String) -> usize {
    tracekit::context::spawn(move || item.len()).join().unwrap_or(0)
}
