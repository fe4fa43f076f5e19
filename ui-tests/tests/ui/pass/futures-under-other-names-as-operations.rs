// `#[trace_operation]` on fns whose return type may name a future: the
// type decides whether the span ends with the call or with the future.
// Borrowing futures, generic and `Self` returns, and values of any name
// compile as they do without the attribute.
use std::future::Future;
use std::pin::Pin;
use tracekit::trace_operation;

type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;
type LocalFut<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

#[trace_operation]
fn borrowed<'a>(text: &'a str) -> BoxFut<'a, usize> {
    Box::pin(async move { text.len() })
}

#[trace_operation]
fn local(value: std::rc::Rc<u8>) -> LocalFut<'static, u8> {
    Box::pin(async move { *value })
}

#[trace_operation]
fn generic<T: Default>() -> T {
    T::default()
}

struct Plain(u8);

impl Plain {
    #[trace_operation]
    fn copied(&self) -> Self {
        Plain(self.0)
    }
}

#[trace_operation(include_result)]
fn debug_value() -> std::time::Duration {
    std::time::Duration::from_millis(1)
}

fn main() {
    let text = String::from("abc");
    let _ = borrowed(&text);
    let _ = local(std::rc::Rc::new(1));
    let _: u8 = generic();
    let _ = Plain(1).copied();
    let _ = debug_value();
}
