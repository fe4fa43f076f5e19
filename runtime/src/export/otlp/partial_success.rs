//! A collector's partial success: it took the request but rejected some
//! of its spans or data points, and says how many and why (the answer's
//! `partial_success`). The OTLP specification forbids sending them again;
//! tracekit counts them and tells the user.

use super::settings::Signal;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message as _;

/// The most of a collector's message a warning shows.
const LONGEST_REASON: usize = 200;

/// What the collector rejected of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartialSuccess {
    /// Spans or data points rejected.
    pub(crate) rejected: u64,
    /// The collector's reason, possibly empty.
    pub(crate) message: String,
}

impl PartialSuccess {
    /// What the collector's answer `body` (protobuf, or JSON when `json`)
    /// says it rejected of a request of `signal`; `None` when it rejected
    /// nothing, or when the answer cannot be read (the request itself was
    /// accepted). A warning with nothing rejected is not a loss, and is
    /// left out.
    pub(crate) fn read(body: &[u8], json: bool, signal: Signal) -> Option<PartialSuccess> {
        let read = match json {
            true => from_json(body, signal),
            false => from_protobuf(body),
        };
        read.filter(|partial| partial.rejected > 0)
    }

    /// Why, as the warnings say it: the collector's message on one line,
    /// cut to [`LONGEST_REASON`] characters.
    pub(crate) fn reason(&self) -> String {
        let line: String =
            self.message.trim().chars().take(LONGEST_REASON).map(|c| if c.is_control() { ' ' } else { c }).collect();
        match line.as_str() {
            "" => "rejected by the collector, which gave no reason".to_owned(),
            reason => format!("rejected by the collector: {reason}"),
        }
    }
}

/// Both signals' answers are the same on the wire (field 1, the partial
/// success: its field 1 the count rejected, its field 2 the message), so
/// the traces' message reads either.
fn from_protobuf(body: &[u8]) -> Option<PartialSuccess> {
    let partial = ExportTraceServiceResponse::decode(body).ok()?.partial_success?;
    let rejected = u64::try_from(partial.rejected_spans).ok()?;
    Some(PartialSuccess { rejected, message: partial.error_message })
}

/// OTLP/JSON writes a 64-bit count as a string, as protobuf's JSON mapping
/// does; some collectors write a number.
fn from_json(body: &[u8], signal: Signal) -> Option<PartialSuccess> {
    let answer: serde_json::Value = serde_json::from_slice(body).ok()?;
    let partial = answer.get("partialSuccess")?;
    let count = match signal {
        Signal::Traces => "rejectedSpans",
        Signal::Metrics => "rejectedDataPoints",
    };
    let rejected = match partial.get(count) {
        Some(serde_json::Value::String(text)) => text.parse().ok()?,
        Some(number) => number.as_u64()?,
        None => 0,
    };
    let message = partial.get("errorMessage").and_then(serde_json::Value::as_str).unwrap_or_default().to_owned();
    Some(PartialSuccess { rejected, message })
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTracePartialSuccess;

    fn rejected(rejected: u64, message: &str) -> Option<PartialSuccess> {
        Some(PartialSuccess { rejected, message: message.to_owned() })
    }

    #[test]
    fn a_protobuf_answer_says_how_many_were_rejected_and_why() {
        let answer = ExportTraceServiceResponse {
            partial_success: Some(ExportTracePartialSuccess { rejected_spans: 3, error_message: "too big".into() }),
        };
        let body = answer.encode_to_vec();
        assert_eq!(PartialSuccess::read(&body, false, Signal::Traces), rejected(3, "too big"));
        assert_eq!(PartialSuccess::read(&body, false, Signal::Metrics), rejected(3, "too big"));
        let accepted = ExportTraceServiceResponse { partial_success: None }.encode_to_vec();
        assert_eq!(PartialSuccess::read(&accepted, false, Signal::Traces), None);
    }

    #[test]
    fn a_json_answer_is_read_with_its_count_as_a_string_or_a_number() {
        let as_string = br#"{"partialSuccess":{"rejectedSpans":"2","errorMessage":"bad name"}}"#;
        assert_eq!(PartialSuccess::read(as_string, true, Signal::Traces), rejected(2, "bad name"));
        let as_number = br#"{"partialSuccess":{"rejectedDataPoints":5}}"#;
        assert_eq!(PartialSuccess::read(as_number, true, Signal::Metrics), rejected(5, ""));
    }

    #[test]
    fn nothing_rejected_a_warning_alone_or_an_answer_that_cannot_be_read_is_no_loss() {
        let warning = br#"{"partialSuccess":{"errorMessage":"deprecated field"}}"#;
        assert_eq!(PartialSuccess::read(warning, true, Signal::Traces), None);
        assert_eq!(PartialSuccess::read(b"{}", true, Signal::Traces), None);
        assert_eq!(PartialSuccess::read(b"", false, Signal::Traces), None);
        assert_eq!(PartialSuccess::read(b"\xff\x00 not OTLP {", false, Signal::Traces), None);
        assert_eq!(PartialSuccess::read(b"\xff\x00 not OTLP {", true, Signal::Traces), None);
    }

    #[test]
    fn the_reason_is_the_collectors_or_says_it_gave_none() {
        let partial = PartialSuccess { rejected: 2, message: "attribute too long".into() };
        assert_eq!(partial.reason(), "rejected by the collector: attribute too long");
        let silent = PartialSuccess { rejected: 1, message: " ".into() };
        assert_eq!(silent.reason(), "rejected by the collector, which gave no reason");
        let long = PartialSuccess { rejected: 1, message: format!("two\nlines{}", "x".repeat(500)) };
        let reason = long.reason();
        assert!(reason.starts_with("rejected by the collector: two lines"), "{reason}");
        assert_eq!(reason.chars().count(), "rejected by the collector: ".len() + LONGEST_REASON);
    }
}
