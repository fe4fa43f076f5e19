// `include_result` on an impl block whose methods return types that cannot
// be recorded: one error for each method, at its own return type.
use tracekit::trace_operation;

struct Token(u64);
struct Ticket(u32);

struct Issuer;

#[trace_operation(include_result)]
impl Issuer {
    fn token(&self) -> Token {
        Token(1)
    }

    fn ticket(&self) -> Result<Ticket, String> {
        Ok(Ticket(2))
    }
}

fn main() {}
