use tracekit::trace_operation;

#[trace_operation(attributes("db.system" = "postgresql", "db.system" = "mysql"))]
fn repeated_key() {}

#[trace_operation(include_args, attributes("arg.id" = id + 1))]
fn key_of_an_argument(id: u32) -> u32 {
    id
}

#[trace_operation(include_result, attributes("result" = 1))]
fn key_of_the_result() -> u32 {
    2
}

fn main() {}
