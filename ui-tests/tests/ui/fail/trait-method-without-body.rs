use tracekit::trace_operation;

trait Store {
    #[trace_operation]
    fn load(&self, id: u32) -> u32;
}

fn main() {}
