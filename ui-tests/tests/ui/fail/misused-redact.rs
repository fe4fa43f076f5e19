use tracekit::trace_operation;

#[trace_operation(include_args, redact(pasword))]
fn login(user: &str, password: &str) -> bool {
    user != password
}

#[trace_operation(include_args, skip(token), redact(token))]
fn both(token: &str) -> usize {
    token.len()
}

#[trace_operation(redact(token))]
fn without_include_args(token: &str) -> usize {
    token.len()
}

fn main() {}
