use tracekit::{trace_async, trace_operation};

#[trace_operation]
fn parse(text: &str) -> u32 {
    let number: u32 = text.parse()?;
    number
}

#[trace_async]
async fn parse_later(text: &str) -> u32 {
    let number: u32 = text.parse()?;
    number
}

fn main() {}
