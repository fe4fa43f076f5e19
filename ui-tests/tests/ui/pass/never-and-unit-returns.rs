#![deny(warnings)]
use tracekit::trace_operation;

#[trace_operation]
fn diverges(code: i32) -> ! {
    std::process::exit(code)
}

#[trace_operation]
#[allow(clippy::unused_unit)]
fn explicit_unit() -> () {}

#[trace_operation]
fn implicit_unit(values: &mut Vec<u8>) {
    values.push(1);
}

fn main() {
    explicit_unit();
    implicit_unit(&mut Vec::new());
    if std::env::args().count() > 100 {
        diverges(1);
    }
}
