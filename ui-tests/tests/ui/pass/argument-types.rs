#![deny(warnings)]
use std::borrow::Cow;
use std::collections::HashMap;
use tracekit::trace_operation;

#[derive(Debug)]
struct Point {
    x: i32,
}

#[trace_operation(include_args)]
#[allow(clippy::too_many_arguments)]
fn everything(
    small: i8,
    large: u64,
    huge: u128,
    ratio: f32,
    flag: bool,
    text: &str,
    owned: String,
    cow: Cow<'static, str>,
    point: Point,
    point_ref: &Point,
    list: Vec<u8>,
    map: HashMap<String, u8>,
    maybe: Option<&str>,
    mut counter: usize,
) -> usize {
    counter += 1;
    let _ = (small, large, huge, ratio, flag, text, owned, cow, point.x, point_ref, list, map, maybe);
    counter
}

#[trace_operation(include_args)]
fn generic<T: std::fmt::Debug, U>(shown: T, #[allow(unused)] hidden: U) -> usize
where
    U: std::fmt::Debug,
{
    let _ = shown;
    0
}

#[trace_operation(include_args)]
fn destructured((a, b): (u8, u8), Point { x }: Point) -> u8 {
    a + b + x as u8
}

fn main() {
    let point = Point { x: 1 };
    everything(1, 2, 3, 0.5, true, "t", "o".into(), "c".into(), Point { x: 0 }, &point, vec![], HashMap::new(), None, 0);
    generic(1, "x");
    destructured((1, 2), Point { x: 3 });
}
