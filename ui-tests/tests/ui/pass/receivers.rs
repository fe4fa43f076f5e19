#![deny(warnings)]
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use tracekit::trace_operation;

#[derive(Debug, Default)]
struct Counter {
    value: u32,
}

impl Counter {
    #[trace_operation]
    fn new() -> Self {
        Counter::default()
    }

    #[trace_operation(include_args)]
    fn by_ref(&self, step: u32) -> u32 {
        self.value + step
    }

    #[trace_operation]
    fn by_mut(&mut self) -> &mut u32 {
        self.value += 1;
        &mut self.value
    }

    // A Result makes the body run in a closure: it must still be able to
    // hand out a borrow of `self`.
    #[trace_operation]
    fn checked_mut(&mut self) -> Result<&mut u32, String> {
        Ok(&mut self.value)
    }

    #[trace_operation]
    fn by_value(self) -> u32 {
        self.value
    }

    #[trace_operation]
    fn by_mut_value(mut self) -> Result<u32, String> {
        self.value *= 2;
        Ok(self.value)
    }

    #[trace_operation]
    fn boxed(self: Box<Self>) -> u32 {
        self.value
    }

    #[trace_operation]
    fn rc(self: Rc<Self>) -> u32 {
        self.value
    }

    #[trace_operation]
    fn arc(self: &Arc<Self>) -> u32 {
        self.value
    }

    #[trace_operation]
    fn pinned(self: Pin<&mut Self>) -> u32 {
        self.value
    }
}

trait Named {
    fn name(&self) -> String;
}

impl Named for Counter {
    #[trace_operation]
    fn name(&self) -> String {
        format!("counter {}", self.value)
    }
}

fn main() {
    let mut counter = Counter::new();
    *counter.by_mut() += 1;
    *counter.checked_mut().unwrap() += 1;
    assert_eq!(counter.by_ref(1), 4);
    assert_eq!(counter.name(), "counter 3");
    let mut pinned = Counter::new();
    assert_eq!(Pin::new(&mut pinned).pinned(), 0);
    assert_eq!(Box::new(Counter::new()).boxed(), 0);
    assert_eq!(Rc::new(Counter::new()).rc(), 0);
    assert_eq!(Arc::new(Counter::new()).arc(), 0);
    assert_eq!(counter.by_mut_value(), Ok(6));
    assert_eq!(Counter::new().by_value(), 0);
}
