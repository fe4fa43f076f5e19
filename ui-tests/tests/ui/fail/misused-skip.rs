use tracekit::trace_operation;

#[trace_operation(include_args, skip(pasword))]
fn login(user: &str, password: &str) -> bool {
    user != password
}

#[trace_operation(skip(password))]
fn without_include_args(password: &str) -> usize {
    password.len()
}

fn main() {}
