use tracekit::{trace_async, trace_operation};

#[trace_operation]
fn wrong_type() -> Result<u32, String> {
    Ok("not a number")
}

#[trace_async]
async fn wrong_async_type() -> u32 {
    "not a number"
}

fn main() {}
