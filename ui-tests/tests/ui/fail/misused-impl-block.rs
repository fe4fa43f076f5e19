use tracekit::{trace_async, trace_operation};

struct Service;

#[trace_operation(name = "service")]
impl Service {
    fn call(&self) {}

    // Given back without the marker after the error: no second error for it.
    #[no_trace]
    fn helper(&self) {}
}

#[trace_operation(include_args, skip(pasword))]
impl Service {
    fn login(&self, password: &str) -> bool {
        password.is_empty()
    }
}

// It would trace nothing.
#[trace_async]
impl Service {
    fn sync_only(&self) {}
}

struct Repo;

#[trace_operation]
impl Repo {
    #[no_trace]
    #[trace_operation(include_args)]
    fn both(&self, id: u32) -> u32 {
        id
    }
}

// Two methods with the same problem: an error each, naming its method.
#[trace_operation(include_args, attributes("arg.id" = 1))]
impl Repo {
    fn load(&self, id: u32) -> u32 {
        id
    }

    fn store(&self, id: u32) -> u32 {
        id
    }
}

fn main() {}
