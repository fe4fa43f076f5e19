//! One signal's connection to the collector: tracekit's transport on the
//! export runtime, with the endpoint's credentials kept out of every
//! error. The span exporter and the metrics exporter each hold one.

use super::export_runtime::ExportRuntime;
use super::partial_success::PartialSuccess;
use super::settings::{credentials, OtlpTarget};
use super::transport::OtlpTransport;
use crate::error::InitError;
use opentelemetry_sdk::error::OTelSdkError;
use std::time::Duration;

#[derive(Debug)]
pub(crate) struct OtlpClient {
    transport: OtlpTransport,
    /// The `user:password@` of the endpoint, if any, kept out of errors.
    credentials: Option<String>,
    runtime: ExportRuntime,
}

impl OtlpClient {
    /// The client `settings` describe, with the runtime that will drive it.
    pub(crate) fn new(settings: &OtlpTarget) -> Result<Self, InitError> {
        let tls = settings.tls.load()?;
        let runtime = ExportRuntime::new()?;
        let transport = runtime.build(|| OtlpTransport::new(settings, &tls)).map_err(InitError::Exporter)?;
        let credentials = credentials(&settings.url()).map(str::to_owned);
        Ok(OtlpClient { transport, credentials, runtime })
    }

    /// Whether requests are to be written as JSON (HTTP/JSON) rather than
    /// protobuf.
    pub(crate) fn speaks_json(&self) -> bool {
        self.transport.speaks_json()
    }

    /// Sends a request written as [`OtlpClient::speaks_json`] says, retrying
    /// as the transport does, within `timeout`. Called on the thread that
    /// exports (the batch processor's, the metrics reader's), never on a
    /// runtime's; what fails, or what the collector rejected of a request
    /// it took, is returned for that thread to count and report.
    pub(crate) fn send(
        &self,
        request: Result<Vec<u8>, String>,
        timeout: Duration,
    ) -> Result<Option<PartialSuccess>, OTelSdkError> {
        let request = request.and_then(|request| self.transport.body(request)).map_err(|error| self.failure(error))?;
        let sent = async { self.transport.send(request).await.map_err(|error| self.failure(error)) };
        let partial = self.runtime.export(timeout, sent)?;
        // The collector's message is shown to the user: no credentials in it either.
        Ok(partial.map(|partial| PartialSuccess { message: self.without_credentials(partial.message), ..partial }))
    }

    /// `error`, without the endpoint's credentials.
    fn failure(&self, error: String) -> OTelSdkError {
        OTelSdkError::InternalFailure(self.without_credentials(error))
    }

    fn without_credentials(&self, text: String) -> String {
        match &self.credentials {
            Some(credentials) => text.replace(credentials.as_str(), ""),
            None => text,
        }
    }
}
