//! A request in flight: its span, what the response says of it, and the
//! rules of the conventions for when that is a failure. Shared by the server
//! and client layers and the reqwest middleware.

use crate::facade::conventions::{ERROR_TYPE, HTTP_RESPONSE_STATUS_CODE, RPC_GRPC_STATUS_CODE};
use crate::facade::failure::mark_error;
use crate::facade::open::{OpenSpan, SpanStart};
use http::HeaderMap;
use opentelemetry::trace::{Status, TraceContextExt};
use opentelemetry::{Context, KeyValue};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};

/// The one check made for every request: false when nothing records, and
/// then nothing of the request is read.
pub(crate) use crate::facade::dispatch::is_active;

/// Which end of the request this process is: the conventions judge a
/// response differently on each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

/// The span of one request, from the call until the response (and, for the
/// tower layers, its body) is done. Ends when dropped.
pub(crate) struct Exchange {
    open: OpenSpan,
    side: Side,
    grpc: bool,
    /// Whether the span already says how the request ended (a gRPC status
    /// seen in the headers, a panic), so later news does not overwrite it.
    settled: bool,
    panicked: bool,
}

impl Exchange {
    /// Starts the span of a request, or gives `None` when the span is
    /// skipped under the current context. `parent` is the remote context of
    /// an incoming request. Callers check [`is_active`] first.
    /// `start` runs only for a span that may be recorded.
    pub(crate) fn start(
        side: Side,
        grpc: bool,
        start: impl FnOnce() -> SpanStart,
        parent: Option<Context>,
    ) -> Option<Exchange> {
        let open = OpenSpan::start(start, || parent, &mut |_| {})?;
        Some(Exchange { open, side, grpc, settled: false, panicked: false })
    }

    /// The context the request runs in: its span, or the remote trace it
    /// continues when that was not sampled.
    pub(crate) fn context(&self) -> &Context {
        &self.open.cx
    }

    /// Runs one poll of the request's future or body inside its context.
    /// A panic marks the span failed with its message and goes on unwinding.
    pub(crate) fn poll_in<R>(&mut self, poll: impl FnOnce() -> R) -> R {
        let outcome = {
            let _attached = self.open.cx.clone().attach();
            catch_unwind(AssertUnwindSafe(poll))
        };
        outcome.unwrap_or_else(|payload| {
            if self.open.recording && !self.panicked {
                self.open.mark_panicked();
            }
            self.panicked = true;
            self.settled = true;
            resume_unwind(payload)
        })
    }

    /// Records the response's status code and, for gRPC, a status sent in
    /// its headers (a "trailers-only" response, as errors often are).
    pub(crate) fn response(&mut self, status: http::StatusCode, headers: &HeaderMap) {
        if !self.open.recording || self.settled {
            return;
        }
        if self.grpc {
            self.trailers(headers);
            return;
        }
        let span = self.open.span();
        span.set_attribute(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(status.as_u16())));
        if http_fails(self.side, status.as_u16()) {
            span.set_attribute(KeyValue::new(ERROR_TYPE, status.as_str().to_owned()));
            // No description: the status code says it all (the conventions ask so).
            span.set_status(Status::error(""));
        }
        self.settled = true;
    }

    /// Records the gRPC status of trailers (or of trailers-only headers).
    pub(crate) fn trailers(&mut self, trailers: &HeaderMap) {
        if !self.open.recording || self.settled || !self.grpc {
            return;
        }
        let Some(code) = trailers.get("grpc-status").and_then(|code| code.to_str().ok()?.parse::<i64>().ok()) else {
            return;
        };
        let span = self.open.span();
        span.set_attribute(KeyValue::new(RPC_GRPC_STATUS_CODE, code));
        if grpc_fails(self.side, code) {
            span.set_attribute(KeyValue::new(ERROR_TYPE, grpc_code_name(code)));
            let message = trailers.get("grpc-message").and_then(|message| message.to_str().ok()).unwrap_or_default();
            span.set_status(Status::error(percent_decoded(message)));
        }
        self.settled = true;
    }

    /// Marks the span failed with an error of the service, the transport or
    /// the body.
    pub(crate) fn failed<E: std::fmt::Display>(&mut self, error: &E) {
        if self.open.recording && !self.panicked {
            mark_error(&self.open.span(), std::any::type_name::<E>(), error.to_string());
            self.settled = true;
        }
    }

    /// The `traceresponse` header's value (W3C Trace Context Level 2): the
    /// trace and this span, for a client to find the server's part.
    pub(crate) fn trace_response(&self) -> Option<http::HeaderValue> {
        let span = self.open.cx.span();
        let context = span.span_context();
        if !context.is_valid() {
            return None;
        }
        let value = format!("00-{}-{}-{:02x}", context.trace_id(), context.span_id(), context.trace_flags().to_u8());
        http::HeaderValue::from_str(&value).ok()
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        self.open.end(self.panicked);
    }
}

/// HTTP: a server fails on 5xx (a 4xx is the client's mistake); a client on
/// 4xx and 5xx.
pub(crate) fn http_fails(side: Side, status: u16) -> bool {
    match side {
        Side::Server => status >= 500,
        Side::Client => status >= 400,
    }
}

/// gRPC: a client fails on any status but OK; a server only on those that
/// say it failed (UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL,
/// UNAVAILABLE, DATA_LOSS), not on the caller's mistakes such as NOT_FOUND.
pub(crate) fn grpc_fails(side: Side, code: i64) -> bool {
    match side {
        Side::Client => code != 0,
        Side::Server => matches!(code, 2 | 4 | 12 | 13 | 14 | 15),
    }
}

fn grpc_code_name(code: i64) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code).ok().and_then(|code| NAMES.get(code)).copied().unwrap_or("_OTHER")
}

/// `grpc-message` is percent-encoded (the gRPC HTTP/2 protocol).
fn percent_decoded(message: &str) -> String {
    let bytes = message.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let hex = bytes.get(at + 1..at + 3).and_then(|hex| u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok());
        match (bytes[at], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                at += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sides_judge_http_statuses_apart() {
        assert!(!http_fails(Side::Server, 404));
        assert!(http_fails(Side::Server, 503));
        assert!(http_fails(Side::Client, 404));
        assert!(!http_fails(Side::Client, 302));
    }

    #[test]
    fn the_sides_judge_grpc_statuses_apart() {
        assert!(!grpc_fails(Side::Server, 5)); // NOT_FOUND
        assert!(grpc_fails(Side::Client, 5));
        assert!(grpc_fails(Side::Server, 13)); // INTERNAL
        assert!(!grpc_fails(Side::Client, 0));
        assert_eq!(grpc_code_name(13), "INTERNAL");
        assert_eq!(grpc_code_name(99), "_OTHER");
    }

    #[test]
    fn a_grpc_message_is_percent_decoded() {
        assert_eq!(percent_decoded("no%20such%20user%"), "no such user%");
        assert_eq!(percent_decoded("caf%C3%A9"), "café");
    }
}
