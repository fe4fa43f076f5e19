//! A request in flight: its span, what the response says of it, and the
//! rules of the conventions for when that is a failure. Shared by the server
//! and client layers and the reqwest middleware.

use crate::facade::failure::mark_error;
use crate::facade::open::{end_call, OpenSpan, SpanStart};
use crate::facade::start::start_span;
use crate::metered::{with_meters, RequestInstrument, Stopwatch};
use crate::support::conventions::{ERROR_TYPE, HTTP_RESPONSE_STATUS_CODE, RPC_GRPC_STATUS_CODE};
use http::HeaderMap;
use opentelemetry::trace::Status;
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
/// tower layers, its body) is done, and its duration for the metrics. Ends
/// when dropped.
pub(crate) struct Exchange {
    /// `None` when the span is skipped and only the metrics time the request.
    open: Option<OpenSpan>,
    meter: Option<RequestMeter>,
    side: Side,
    grpc: bool,
    /// Whether the outcome is known already (a gRPC status seen in the
    /// headers, a panic), so later news does not overwrite it.
    settled: bool,
    panicked: bool,
}

/// A request's duration and the attributes its instrument carries.
struct RequestMeter {
    stopwatch: Stopwatch,
    instrument: RequestInstrument,
    attributes: Vec<KeyValue>,
}

impl Exchange {
    /// Starts the span of a request and, while metrics are on, its clock;
    /// `None` when there is neither. `start` runs only for a span that may
    /// be recorded, `meter` only while metrics are on. `parent` is the
    /// remote context of an incoming request. Callers check [`is_active`] first.
    pub(crate) fn start(
        side: Side,
        grpc: bool,
        start: impl FnOnce() -> SpanStart,
        parent: Option<Context>,
        meter: impl FnOnce() -> (RequestInstrument, Vec<KeyValue>),
    ) -> Option<Exchange> {
        let meter = Stopwatch::start().map(|stopwatch| {
            let (instrument, attributes) = meter();
            RequestMeter { stopwatch, instrument, attributes }
        });
        // The metrics' reading is the span's start too.
        let started = meter.as_ref().map(|meter| meter.stopwatch.started());
        let open = start_span(|| SpanStart { started, ..start() }, || parent, &mut |_| {});
        (open.is_some() || meter.is_some()).then_some(Exchange {
            open,
            meter,
            side,
            grpc,
            settled: false,
            panicked: false,
        })
    }

    /// A request that tracekit, installed with tracing off, only passes
    /// through: nothing recorded or timed, the incoming `context` current
    /// while it is served, so that what it sends on carries the trace as received.
    pub(crate) fn carrying(context: Context) -> Exchange {
        Exchange {
            open: Some(OpenSpan::carrying(context)),
            meter: None,
            side: Side::Server,
            grpc: false,
            settled: true,
            panicked: false,
        }
    }

    /// Runs `f` with the request's span current: its span, or the remote
    /// trace it continues when that was not sampled; as it is when only timed.
    pub(crate) fn in_span<R>(&mut self, f: impl FnOnce() -> R) -> R {
        if let Some(open) = &mut self.open {
            open.enter();
        }
        // Left by a panic, the span is made not current as the exchange drops.
        let value = f();
        if let Some(open) = &mut self.open {
            open.exit();
        }
        value
    }

    /// The span, if it is recorded.
    fn recorded(&mut self) -> Option<&mut OpenSpan> {
        self.open.as_mut().filter(|open| open.recording)
    }

    /// Runs one poll of the request's future or body inside its span.
    /// A panic marks the span failed with its message and goes on unwinding.
    pub(crate) fn poll_in<R>(&mut self, poll: impl FnOnce() -> R) -> R {
        let outcome = self.in_span(|| catch_unwind(AssertUnwindSafe(poll)));
        outcome.unwrap_or_else(|payload| {
            let panicked = self.panicked;
            if let Some(open) = self.recorded().filter(|_| !panicked) {
                open.mark_panicked();
            }
            self.panicked = true;
            self.settle(None, Some(("panic".to_owned(), String::new())), false);
            resume_unwind(payload)
        })
    }

    /// Records the response's status code and, for gRPC, a status sent in
    /// its headers (a "trailers-only" response, as errors often are).
    pub(crate) fn response(&mut self, status: http::StatusCode, headers: &HeaderMap) {
        if self.settled {
            return;
        }
        if self.grpc {
            self.trailers(headers);
            return;
        }
        let code = status.as_u16();
        let failure = http_fails(self.side, code).then(|| (status.as_str().to_owned(), String::new()));
        self.settle(Some(KeyValue::new(HTTP_RESPONSE_STATUS_CODE, i64::from(code))), failure, true);
    }

    /// Records the gRPC status of trailers (or of trailers-only headers).
    pub(crate) fn trailers(&mut self, trailers: &HeaderMap) {
        if self.settled || !self.grpc {
            return;
        }
        let Some(code) = trailers.get("grpc-status").and_then(|code| code.to_str().ok()?.parse::<i64>().ok()) else {
            return;
        };
        let failure = grpc_fails(self.side, code).then(|| {
            let message = trailers.get("grpc-message").and_then(|message| message.to_str().ok()).unwrap_or_default();
            (grpc_code_name(code).to_owned(), percent_decoded(message))
        });
        self.settle(Some(KeyValue::new(RPC_GRPC_STATUS_CODE, code)), failure, true);
    }

    /// Marks the request failed with an error of the service, the transport
    /// or the body.
    pub(crate) fn failed<E: std::fmt::Display>(&mut self, error: &E) {
        if self.panicked {
            return;
        }
        let type_name = std::any::type_name::<E>();
        if let Some(open) = self.recorded() {
            open.with_live(|span| mark_error(span, type_name, error.to_string()));
        }
        self.settle(None, Some((type_name.to_owned(), String::new())), false);
    }

    /// Records how the request ended: `code` (`http.response.status_code` or
    /// `rpc.grpc.status_code`) and a failure's `error.type` and description,
    /// on the span (when `mark`: a panic or an error is marked by the
    /// caller) and in the metrics' attributes.
    fn settle(&mut self, code: Option<KeyValue>, failure: Option<(String, String)>, mark: bool) {
        self.settled = true;
        if let (true, Some(open)) = (mark, self.recorded()) {
            open.with_live(|span| {
                if let Some(code) = &code {
                    span.set_attribute(code.clone());
                }
                if let Some((error_type, description)) = &failure {
                    span.set_attribute(KeyValue::new(ERROR_TYPE, error_type.clone()));
                    // No description for HTTP: the status code says it all (the conventions ask so).
                    span.set_status(Status::error(description.clone()));
                }
            });
        }
        if let Some(meter) = &mut self.meter {
            meter.attributes.extend(code);
            if let Some((error_type, _)) = failure {
                meter.attributes.push(KeyValue::new(ERROR_TYPE, error_type));
            }
        }
    }

    /// The `traceresponse` header's value (W3C Trace Context Level 2): the
    /// trace and this span, for a client to find the server's part.
    pub(crate) fn trace_response(&self) -> Option<http::HeaderValue> {
        let context = self.open.as_ref()?.ids()?;
        // A remote span is the caller's, passed through: this service has none to name.
        if !context.is_valid() || context.is_remote() {
            return None;
        }
        http::HeaderValue::from_str(&crate::propagation::traceparent(context)).ok()
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        let meter = &self.meter;
        end_call(self.open.as_mut(), meter.is_some(), self.panicked, |ended, _| {
            if let Some(meter) = meter {
                let seconds = meter.stopwatch.seconds_until(ended);
                with_meters(|meters| meters.request(meter.instrument, seconds, &meter.attributes));
            }
        });
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

/// `grpc-message` is percent-encoded (the gRPC HTTP/2 protocol); bytes
/// that do not decode to UTF-8 are replaced, as the protocol asks.
fn percent_decoded(message: &str) -> String {
    percent_encoding::percent_decode_str(message).decode_utf8_lossy().into_owned()
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
