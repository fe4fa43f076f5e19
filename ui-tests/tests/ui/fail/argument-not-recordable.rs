use tracekit::trace_operation;

struct Secret(String);

#[trace_operation(include_args)]
fn login(user: &str, secret: Secret) -> bool {
    !user.is_empty() && !secret.0.is_empty()
}

fn main() {}
