// A `#[track_caller]` associated fn of a generic impl, annotated on its own,
// using the impl's type parameter: its body stays in the function (a nested
// fn could not use `T`), and it compiles.
use tracekit::trace_operation;

struct Wrapper<T>(T);

impl<T: Clone> Wrapper<T> {
    #[track_caller]
    #[trace_operation]
    fn wrap(value: &T) -> Result<Wrapper<T>, String> {
        Ok(Wrapper(value.clone()))
    }
}

fn main() {
    let _ = Wrapper::wrap(&1_u8);
}
