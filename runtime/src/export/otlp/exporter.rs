//! The OTLP span exporter: tracekit's spans written straight to protobuf
//! (see `wire`), or for HTTP/JSON made into `opentelemetry-proto`'s
//! messages (see `encode`), and sent by tracekit's own transport on the
//! export runtime, which the export thread drives.

use super::client::OtlpClient;
use super::encode::RequestFrame;
use super::settings::OtlpTarget;
use super::wire::WireRequest;
use crate::error::InitError;
use crate::export::batch::{BatchExporter, Rejected};
use crate::export::IntoSpanParts;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::Resource;
use std::time::Duration;

#[derive(Debug)]
pub(crate) struct OtlpExporter {
    client: OtlpClient,
    frame: RequestFrame,
    /// `OTEL_BSP_EXPORT_TIMEOUT`: the batch processor does not bound an
    /// export itself.
    export_timeout: Duration,
}

impl OtlpExporter {
    pub(crate) fn new(settings: &OtlpTarget, export_timeout: Duration) -> Result<Self, InitError> {
        Ok(OtlpExporter { client: OtlpClient::new(settings)?, frame: RequestFrame::new(), export_timeout })
    }

    /// The request for `batch`, as the transport sends it.
    fn request<T: IntoSpanParts>(
        &self,
        batch: std::vec::Drain<'_, T>,
        value_length: Option<usize>,
    ) -> Result<Vec<u8>, String> {
        if self.client.speaks_json() {
            let spans = batch.map(|span| span.into_parts().into_span(value_length)).collect();
            let request = self.frame.request(spans);
            return serde_json::to_vec(&request).map_err(|error| format!("cannot encode the request as JSON: {error}"));
        }
        let mut request = WireRequest::with_capacity(batch.len());
        for span in batch {
            let parts = span.into_parts();
            request.push(&parts, value_length);
            parts.recycle();
        }
        Ok(request.finish(&self.frame))
    }
}

impl<T: IntoSpanParts> BatchExporter<T> for OtlpExporter {
    type Prepared = Result<Vec<u8>, String>;

    fn prepare(&self, batch: std::vec::Drain<'_, T>, value_length: Option<usize>) -> Self::Prepared {
        self.request(batch, value_length)
    }

    fn send(&self, request: Self::Prepared) -> Result<Rejected, OTelSdkError> {
        let partial = self.client.send(request, self.export_timeout)?;
        Ok(partial.map_or_else(Rejected::default, |partial| Rejected {
            spans: partial.rejected,
            reason: Some(partial.reason()),
        }))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.frame.set_resource(resource);
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        // Nothing is buffered past the batch processor; connections close
        // with the runtime.
        Ok(())
    }
}
