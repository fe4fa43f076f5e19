// `links = ..` takes an iterable of contexts: a number, a list of strings or
// a bare `links` are refused at the offending token.
use tracekit::trace_operation;

#[trace_operation(links = 42)]
fn not_iterable() {}

#[trace_operation(links = ["00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"])]
fn strings_are_not_contexts() {}

#[trace_operation(links)]
fn no_value() {}

#[trace_operation(links = [], links = [])]
fn twice() {}

fn main() {}
