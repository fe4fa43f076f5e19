//! A span's kind as text, as the conventions write it (`server`, `client`,
//! `producer`, `consumer`, `internal`): in the metrics' `span.kind`, the
//! console's JSON, and the `otel.kind` field of `tracing` spans.

use opentelemetry::trace::SpanKind;

const KINDS: [(&str, SpanKind); 5] = [
    ("server", SpanKind::Server),
    ("client", SpanKind::Client),
    ("producer", SpanKind::Producer),
    ("consumer", SpanKind::Consumer),
    ("internal", SpanKind::Internal),
];

/// `kind` as text.
#[cfg_attr(
    not(any(feature = "metrics", feature = "console")),
    allow(dead_code, reason = "read by the metrics and the console")
)]
pub(crate) fn name(kind: &SpanKind) -> &'static str {
    KINDS.iter().find(|(_, known)| known == kind).map_or("internal", |(name, _)| name)
}

/// The kind `text` names, in any case.
#[cfg_attr(not(feature = "tracing"), allow(dead_code, reason = "read by the tracing layer"))]
pub(crate) fn parse(text: &str) -> Option<SpanKind> {
    KINDS.iter().find(|(name, _)| name.eq_ignore_ascii_case(text)).map(|(_, kind)| kind.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_reads_back_as_written() {
        for (text, kind) in &KINDS {
            assert_eq!(name(kind), *text);
            assert_eq!(parse(&text.to_uppercase()).as_ref(), Some(kind));
        }
        assert_eq!(parse("sideways"), None);
    }
}
