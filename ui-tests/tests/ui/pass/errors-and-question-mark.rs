#![deny(warnings)]
use std::io;
use tracekit::trace_operation;

#[derive(Debug)]
enum AppError {
    Io(io::Error),
    Parse(std::num::ParseIntError),
}

impl From<io::Error> for AppError {
    fn from(error: io::Error) -> Self {
        AppError::Io(error)
    }
}

impl From<std::num::ParseIntError> for AppError {
    fn from(error: std::num::ParseIntError) -> Self {
        AppError::Parse(error)
    }
}

#[trace_operation]
fn read(text: &str) -> io::Result<String> {
    if text.is_empty() {
        return Err(io::Error::other("empty"));
    }
    Ok(text.to_owned())
}

// `?` converts through `From`, exactly as without the attribute.
#[trace_operation(include_result)]
fn parse(text: &str) -> Result<u32, AppError> {
    let text = read(text)?;
    let value = text.trim().parse()?;
    Ok(value)
}

#[trace_operation]
fn with_anyhow(text: &str) -> anyhow::Result<u32> {
    let value: u32 = text.parse()?;
    anyhow::ensure!(value > 0, "zero");
    Ok(value)
}

#[trace_operation]
fn boxed(text: &str) -> Result<u32, Box<dyn std::error::Error + Send + Sync>> {
    Ok(text.parse::<u32>()?)
}

// An error type with neither Display nor Debug is still accepted.
struct Opaque;

#[trace_operation]
fn opaque() -> Result<(), Opaque> {
    Err(Opaque)
}

type MyResult<T> = Result<T, String>;

#[trace_operation]
fn alias(ok: bool) -> MyResult<u8> {
    if ok {
        Ok(1)
    } else {
        Err("no".into())
    }
}

fn main() {
    assert_eq!(parse("42").unwrap(), 42);
    assert!(matches!(parse(""), Err(AppError::Io(_))));
    assert!(matches!(parse("x"), Err(AppError::Parse(_))));
    assert_eq!(with_anyhow("3").unwrap(), 3);
    assert!(with_anyhow("0").is_err());
    assert_eq!(boxed("5").unwrap(), 5);
    assert!(opaque().is_err());
    assert_eq!(alias(true), Ok(1));
}
