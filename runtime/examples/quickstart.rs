//! A small instrumented workflow printed as a console tree: nested sync and
//! async calls, an error and a threshold warning. No collector needed.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::time::Duration;
use tracekit::{trace_async, trace_operation, trace_performance};

#[derive(Debug)]
struct Order {
    id: u64,
    items: Vec<&'static str>,
}

#[derive(Debug)]
struct PaymentError(String);

impl std::fmt::Display for PaymentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "payment declined: {}", self.0)
    }
}

impl std::error::Error for PaymentError {}

#[trace_operation(include_args, include_result)]
fn validate(order: &Order) -> bool {
    !order.items.is_empty()
}

#[trace_async(kind = "client", include_args)]
async fn reserve_stock(item: &str) -> u32 {
    tokio::time::sleep(Duration::from_millis(8)).await;
    item.len() as u32
}

#[trace_async(kind = "client", attributes("payment.provider" = "acme"))]
async fn charge(order_id: u64, amount: u32) -> Result<(), PaymentError> {
    tokio::time::sleep(Duration::from_millis(12)).await;
    if amount > 10 {
        return Err(PaymentError(format!("order {order_id}: card limit exceeded")));
    }
    Ok(())
}

#[trace_performance(threshold_ms = 20)]
fn render_receipt(order: &Order) -> String {
    std::thread::sleep(Duration::from_millis(30));
    format!("receipt for order {}", order.id)
}

#[trace_async("process_order", include_args, skip(order), attributes("order.id" = order.id))]
async fn process(order: Order) -> Result<String, PaymentError> {
    if !validate(&order) {
        return Ok("nothing to do".to_owned());
    }
    let mut total = 0;
    for item in &order.items {
        total += reserve_stock(item).await;
    }
    charge(order.id, total).await?;
    Ok(render_receipt(&order))
}

#[tokio::main]
async fn main() -> Result<(), PaymentError> {
    // TRACING_EXPORTER, TRACING_CONSOLE_FORMAT, ... choose the output. With
    // no `tracing` subscriber installed, tracekit's own warnings (the slow
    // receipt, spans a collector did not take) are printed on stderr.
    let _guard = tracekit::init().unwrap_or_else(|error| {
        eprintln!("{error}");
        std::process::exit(2);
    });

    let small = Order { id: 7, items: vec!["tea"] };
    println!("{}", process(small).await?);

    let large = Order { id: 8, items: vec!["kettle", "teapot"] };
    if let Err(error) = process(large).await {
        println!("order failed: {error}");
    }
    Ok(())
}
