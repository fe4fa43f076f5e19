use tracekit::trace_operation;

struct Service;

#[trace_operation(name = "service")]
impl Service {
    fn call(&self) {}
}

#[trace_operation(include_args, skip(pasword))]
impl Service {
    fn login(&self, password: &str) -> bool {
        password.is_empty()
    }
}

fn main() {}
