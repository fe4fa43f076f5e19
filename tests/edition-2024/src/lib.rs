//! Rust 2024 drops a block's tail temporaries before its locals and an
//! `if let`'s scrutinee before its `else`: functions that compile only
//! because of that compile, and are traced, with the attribute too.

use std::cell::RefCell;

/// A `RefCell` borrowed in the tail, dropped before the cell.
#[tracekit::trace_operation(include_result)]
pub fn tail_temporary() -> usize {
    let cell = RefCell::new(vec![1, 2]);
    cell.borrow().len()
}

/// The `if let` borrow is gone by the `else`, which borrows mutably.
#[tracekit::trace_operation(include_result)]
pub fn if_let_rescope(cell: &RefCell<Option<u32>>) -> u32 {
    if let Some(value) = *cell.borrow() {
        value
    } else {
        *cell.borrow_mut() = Some(1);
        0
    }
}

/// The same in an `async fn` and a `#[track_caller]` one.
#[tracekit::trace_async]
pub async fn tail_temporary_async() -> usize {
    let cell = RefCell::new(vec![1, 2, 3]);
    cell.borrow().len()
}

/// The caller's line, read in the tail of a `#[track_caller]` fn.
#[track_caller]
#[tracekit::trace_operation]
pub fn tail_temporary_located() -> u32 {
    let cell = RefCell::new(std::panic::Location::caller().line());
    *cell.borrow()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_relying_on_2024_scoping_are_traced() {
        let (values, spans) = tracekit::testing::capture(|| {
            let rescoped = RefCell::new(None);
            let caller_line = line!() + 1;
            let located = tail_temporary_located();
            (tail_temporary(), if_let_rescope(&rescoped), if_let_rescope(&rescoped), located == caller_line)
        });
        assert_eq!(values, (2, 0, 1, true));
        assert_eq!(spans.get("tail_temporary").i64_attribute("result"), Some(2));
        assert_eq!(spans.all("if_let_rescope").len(), 2);
        let future = tail_temporary_async();
        let waker = std::task::Waker::noop();
        let mut context = std::task::Context::from_waker(waker);
        let (polled, spans) = tracekit::testing::capture(|| std::pin::pin!(future).poll(&mut context));
        assert_eq!(polled, std::task::Poll::Ready(3));
        assert!(spans.find("tail_temporary_async").is_some());
    }
}
