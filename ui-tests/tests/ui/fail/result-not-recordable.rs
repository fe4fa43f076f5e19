use tracekit::trace_operation;

struct Token(u64);

#[trace_operation(include_result)]
fn issue() -> Result<Token, String> {
    Ok(Token(1))
}

fn main() {}
