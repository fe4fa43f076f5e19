#![deny(warnings)]
use tracekit::{trace_operation, trace_performance};

mod inner {
    use tracekit::trace_operation;

    /// Documented, visible to the crate, unsafe, `#[must_use]`.
    #[must_use]
    #[inline]
    #[trace_operation]
    pub(crate) unsafe fn read(pointer: *const u8) -> u8 {
        // SAFETY: callers pass a valid pointer.
        unsafe { *pointer }
    }

    #[trace_operation]
    pub extern "C" fn callback(value: i32) -> i32 {
        value + 1
    }
}

#[trace_operation]
#[allow(clippy::needless_return)]
fn early_return(flag: bool) -> &'static str {
    if flag {
        return "early";
    }
    "late"
}

#[trace_performance(threshold_ms = 1_000)]
#[cfg_attr(test, allow(dead_code))]
fn measured(input: &[u8]) -> usize {
    input.len()
}

#[trace_operation(r#"raw.name"#)]
fn r#match(r#type: u8) -> u8 {
    r#type
}

fn main() {
    let byte = 7u8;
    assert_eq!(unsafe { inner::read(&byte) }, 7);
    assert_eq!(inner::callback(1), 2);
    assert_eq!(early_return(true), "early");
    assert_eq!(measured(b"abc"), 3);
    assert_eq!(r#match(3), 3);
}
