// A `?` whose error has no `From` into the function's: rustc's own words,
// "`?` couldn't convert the error", as without the attribute.
use tracekit::trace_operation;

#[derive(Debug)]
struct ConfigError;

impl From<std::io::Error> for ConfigError {
    fn from(_: std::io::Error) -> Self {
        ConfigError
    }
}

#[trace_operation]
fn port(text: &str) -> Result<u16, ConfigError> {
    let port: u16 = text.parse()?;
    Ok(port)
}

fn main() {}
