// A name in `skip(..)` that no method of the block has: the error lists the
// parameters the block's methods do have.
use tracekit::trace_operation;

struct Accounts;

#[trace_operation(include_args, skip(pasword))]
impl Accounts {
    fn login(&self, user: &str, password: &str) -> bool {
        !user.is_empty() && !password.is_empty()
    }

    fn logout(&self, user: &str) {
        let _ = user;
    }
}

fn main() {}
