#![deny(warnings)]
use tracekit::{trace_operation, trace_performance};

struct Point {
    x: i32,
    y: i32,
}

#[trace_operation(include_args, skip(y), redact(b))]
fn patterns((a, b): (u8, u8), Point { x, y }: Point, ref name: String, _reserved: u8) -> i32 {
    i32::from(a) + i32::from(b) + x + y + name.len() as i32
}

#[trace_operation(include_args)]
fn configured(kept: u8, #[cfg(any())] removed: u8) -> u8 {
    kept
}

#[trace_performance(threshold_ms = 100_u64, include_args, skip(self))]
impl Point {
    fn sum(&self) -> i32 {
        self.x + self.y
    }
}

fn main() {
    assert_eq!(patterns((1, 2), Point { x: 3, y: 4 }, "ab".to_owned(), 0), 12);
    assert_eq!(configured(1), 1);
    assert_eq!(Point { x: 1, y: 2 }.sum(), 3);
}
