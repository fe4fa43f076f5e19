//! The OpenTelemetry semantic-convention keys tracekit writes itself. Spelled
//! out here (they are stable) so that the facade does not compile the whole
//! semantic-conventions crate; the `semconv` feature re-exports that crate
//! for users, and a test checks that the two agree.
// The code location and the resource are written by the pipeline only.
// The HTTP keys only by the integrations.
#![cfg_attr(not(all(feature = "pipeline", feature = "tower", feature = "reqwest")), allow(dead_code))]

pub(crate) const CODE_FUNCTION_NAME: &str = "code.function.name";
pub(crate) const CODE_FILE_PATH: &str = "code.file.path";
pub(crate) const CODE_LINE_NUMBER: &str = "code.line.number";
pub(crate) const ERROR_TYPE: &str = "error.type";
pub(crate) const EXCEPTION_TYPE: &str = "exception.type";
pub(crate) const EXCEPTION_MESSAGE: &str = "exception.message";

// HTTP and gRPC, written by the `tower` and `reqwest` integrations.
pub(crate) const HTTP_REQUEST_METHOD: &str = "http.request.method";
pub(crate) const HTTP_REQUEST_METHOD_ORIGINAL: &str = "http.request.method_original";
pub(crate) const HTTP_REQUEST_HEADER: &str = "http.request.header";
pub(crate) const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";
pub(crate) const HTTP_ROUTE: &str = "http.route";
pub(crate) const URL_FULL: &str = "url.full";
pub(crate) const URL_PATH: &str = "url.path";
pub(crate) const URL_QUERY: &str = "url.query";
pub(crate) const URL_SCHEME: &str = "url.scheme";
pub(crate) const NETWORK_PROTOCOL_VERSION: &str = "network.protocol.version";
pub(crate) const SERVER_ADDRESS: &str = "server.address";
pub(crate) const SERVER_PORT: &str = "server.port";
pub(crate) const CLIENT_ADDRESS: &str = "client.address";
pub(crate) const USER_AGENT_ORIGINAL: &str = "user_agent.original";
// The gRPC keys that backends read today; the experimental conventions are
// renaming them (`rpc.system.name`, `rpc.response.status_code`).
pub(crate) const RPC_SYSTEM: &str = "rpc.system";
pub(crate) const RPC_SERVICE: &str = "rpc.service";
pub(crate) const RPC_METHOD: &str = "rpc.method";
pub(crate) const RPC_GRPC_STATUS_CODE: &str = "rpc.grpc.status_code";

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
    #[allow(deprecated)] // the gRPC keys: see above
    fn the_keys_are_those_of_the_semantic_conventions() {
        let pairs = [
            (super::CODE_FUNCTION_NAME, attribute::CODE_FUNCTION_NAME),
            (super::CODE_FILE_PATH, attribute::CODE_FILE_PATH),
            (super::CODE_LINE_NUMBER, attribute::CODE_LINE_NUMBER),
            (super::ERROR_TYPE, attribute::ERROR_TYPE),
            (super::EXCEPTION_TYPE, attribute::EXCEPTION_TYPE),
            (super::EXCEPTION_MESSAGE, attribute::EXCEPTION_MESSAGE),
            (super::HTTP_REQUEST_METHOD, attribute::HTTP_REQUEST_METHOD),
            (super::HTTP_REQUEST_METHOD_ORIGINAL, attribute::HTTP_REQUEST_METHOD_ORIGINAL),
            (super::HTTP_REQUEST_HEADER, attribute::HTTP_REQUEST_HEADER),
            (super::HTTP_RESPONSE_STATUS_CODE, attribute::HTTP_RESPONSE_STATUS_CODE),
            (super::HTTP_ROUTE, attribute::HTTP_ROUTE),
            (super::URL_FULL, attribute::URL_FULL),
            (super::URL_PATH, attribute::URL_PATH),
            (super::URL_QUERY, attribute::URL_QUERY),
            (super::URL_SCHEME, attribute::URL_SCHEME),
            (super::NETWORK_PROTOCOL_VERSION, attribute::NETWORK_PROTOCOL_VERSION),
            (super::SERVER_ADDRESS, attribute::SERVER_ADDRESS),
            (super::SERVER_PORT, attribute::SERVER_PORT),
            (super::CLIENT_ADDRESS, attribute::CLIENT_ADDRESS),
            (super::USER_AGENT_ORIGINAL, attribute::USER_AGENT_ORIGINAL),
            (super::RPC_SYSTEM, attribute::RPC_SYSTEM),
            (super::RPC_SERVICE, attribute::RPC_SERVICE),
            (super::RPC_METHOD, attribute::RPC_METHOD),
            (super::RPC_GRPC_STATUS_CODE, attribute::RPC_GRPC_STATUS_CODE),
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
