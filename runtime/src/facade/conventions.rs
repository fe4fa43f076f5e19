//! The OpenTelemetry semantic-convention keys tracekit writes itself. Spelled
//! out here (they are stable) so that the facade does not compile the whole
//! semantic-conventions crate; the `semconv` feature re-exports that crate
//! for users, and a test checks that the two agree.
// The code location and the resource are written by the pipeline only.
#![cfg_attr(not(feature = "pipeline"), allow(dead_code))]

pub(crate) const CODE_FUNCTION_NAME: &str = "code.function.name";
pub(crate) const CODE_FILE_PATH: &str = "code.file.path";
pub(crate) const CODE_LINE_NUMBER: &str = "code.line.number";
pub(crate) const ERROR_TYPE: &str = "error.type";
pub(crate) const EXCEPTION_TYPE: &str = "exception.type";
pub(crate) const EXCEPTION_MESSAGE: &str = "exception.message";

pub(crate) const SERVICE_VERSION: &str = "service.version";
pub(crate) const PROCESS_PID: &str = "process.pid";
pub(crate) const PROCESS_EXECUTABLE_NAME: &str = "process.executable.name";
pub(crate) const HOST_NAME: &str = "host.name";
pub(crate) const HOST_ARCH: &str = "host.arch";
pub(crate) const OS_TYPE: &str = "os.type";

#[cfg(all(test, feature = "semconv"))]
mod tests {
    use opentelemetry_semantic_conventions::{attribute, resource};

    #[test]
    fn the_keys_are_those_of_the_semantic_conventions() {
        let pairs = [
            (super::CODE_FUNCTION_NAME, attribute::CODE_FUNCTION_NAME),
            (super::CODE_FILE_PATH, attribute::CODE_FILE_PATH),
            (super::CODE_LINE_NUMBER, attribute::CODE_LINE_NUMBER),
            (super::ERROR_TYPE, attribute::ERROR_TYPE),
            (super::EXCEPTION_TYPE, attribute::EXCEPTION_TYPE),
            (super::EXCEPTION_MESSAGE, attribute::EXCEPTION_MESSAGE),
            (super::SERVICE_VERSION, resource::SERVICE_VERSION),
            (super::PROCESS_PID, resource::PROCESS_PID),
            (super::PROCESS_EXECUTABLE_NAME, resource::PROCESS_EXECUTABLE_NAME),
            (super::HOST_NAME, resource::HOST_NAME),
            (super::HOST_ARCH, resource::HOST_ARCH),
            (super::OS_TYPE, resource::OS_TYPE),
        ];
        for (ours, theirs) in pairs {
            assert_eq!(ours, theirs);
        }
    }
}
