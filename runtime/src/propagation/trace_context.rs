//! W3C Trace Context, read and written by the Recommendation's grammar
//! (`traceparent` and `tracestate`, with Level 2's `random` flag and key
//! grammar). tracekit does not use the `opentelemetry` crate's
//! `TraceContextPropagator`: it continues `traceparent`s of the wrong
//! length or case, reads only the first of several headers, trims an
//! overlong `tracestate` instead of discarding it, and refuses keys the
//! current grammar allows.
//!
//! Rules, in the spec's words where they matter:
//! - exactly one `traceparent`; each field its exact length in lowercase
//!   hex; version `ff` and all-zero ids are invalid; a higher version is
//!   read for its first four fields and sent on as `00`;
//! - only the flags the spec defines (sampled `01`, random `02`) are kept;
//! - several `tracestate` headers are one list, in order; a member that
//!   breaks the grammar, a repeated key or more than 32 members make the
//!   whole `tracestate` invalid, and it is dropped, never trimmed; an
//!   invalid `tracestate` leaves a valid `traceparent` valid.

use crate::facade::trace_flags::KNOWN_FLAGS;
use opentelemetry::propagation::text_map_propagator::FieldIter;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use opentelemetry::Context;
use std::sync::{Arc, OnceLock};

const TRACEPARENT: &str = "traceparent";
const TRACESTATE: &str = "tracestate";

/// The most list members a `tracestate` may have.
const MAX_MEMBERS: usize = 32;
/// The longest key and the longest value of a `tracestate` member.
const MAX_KEY_LEN: usize = 256;
const MAX_VALUE_LEN: usize = 256;

/// The propagator of `OTEL_PROPAGATORS=tracecontext`.
#[derive(Debug, Default)]
pub(crate) struct W3cTraceContext;

/// A received `tracestate` whose keys the `opentelemetry` crate's
/// `TraceState` refuses although the spec allows them (a 14-character
/// system part, `@` twice): carried in the context beside the span, for
/// the trace it came with, and sent on as received.
#[derive(Clone, Debug)]
struct ReceivedTraceState {
    trace_id: TraceId,
    header: Arc<str>,
}

impl TextMapPropagator for W3cTraceContext {
    fn inject_context(&self, context: &Context, injector: &mut dyn Injector) {
        let span = context.span();
        let span_context = span.span_context();
        if !span_context.is_valid() {
            return;
        }
        injector.set(TRACEPARENT, traceparent(span_context));
        let header = span_context.trace_state().header();
        let header = match header.is_empty() {
            false => header,
            true => match context.get::<ReceivedTraceState>() {
                Some(received) if received.trace_id == span_context.trace_id() => received.header.to_string(),
                _ => return,
            },
        };
        injector.set(TRACESTATE, header);
    }

    fn extract_with_context(&self, context: &Context, extractor: &dyn Extractor) -> Context {
        let values = extractor.get_all(TRACEPARENT).unwrap_or_default();
        // Two `traceparent`s name no parent: a new trace starts.
        let [value] = values.as_slice() else { return context.clone() };
        let Some((trace_id, span_id, flags)) = parse_traceparent(value) else { return context.clone() };
        let states = extractor.get_all(TRACESTATE).unwrap_or_default();
        let members = parse_tracestate(&states).unwrap_or_default();
        let (trace_state, received) = match TraceState::from_key_value(members.iter().copied()) {
            Ok(trace_state) => (trace_state, None),
            Err(_) => (TraceState::NONE, Some(ReceivedTraceState { trace_id, header: join(&members).into() })),
        };
        let remote = context.with_remote_span_context(SpanContext::new(trace_id, span_id, flags, true, trace_state));
        match received {
            Some(received) => remote.with_value(received),
            None => remote,
        }
    }

    fn fields(&self) -> FieldIter<'_> {
        static FIELDS: OnceLock<[String; 2]> = OnceLock::new();
        FieldIter::new(FIELDS.get_or_init(|| [TRACEPARENT.to_owned(), TRACESTATE.to_owned()]))
    }
}

/// `traceparent` for `context`, version `00`.
pub(crate) fn traceparent(context: &SpanContext) -> String {
    let flags = context.trace_flags().to_u8() & KNOWN_FLAGS;
    format!("00-{}-{}-{flags:02x}", context.trace_id(), context.span_id())
}

/// The ids and flags of a `traceparent`, if it follows the grammar.
pub(crate) fn parse_traceparent(value: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
    // HTTP trims the spaces and tabs around a field value; other carriers may not.
    let bytes = value.trim_matches([' ', '\t']).as_bytes();
    // version "-" trace-id "-" parent-id "-" trace-flags: 2 + 1 + 32 + 1 + 16 + 1 + 2.
    const LEN_00: usize = 55;
    if bytes.len() < LEN_00 || [bytes[2], bytes[35], bytes[52]] != [b'-'; 3] {
        return None;
    }
    let version = lower_hex(&bytes[..2])? as u8;
    let rest_ok = match version {
        0xff => false,
        0x00 => bytes.len() == LEN_00,
        // A later version: its first four fields, then a dash or the end.
        _ => bytes.len() == LEN_00 || bytes[LEN_00] == b'-',
    };
    let trace_id = lower_hex(&bytes[3..35]).filter(|id| *id != 0)?;
    let span_id = lower_hex(&bytes[36..52]).filter(|id| *id != 0)? as u64;
    let flags = lower_hex(&bytes[53..55])? as u8;
    rest_ok.then(|| (TraceId::from(trace_id), SpanId::from(span_id), TraceFlags::new(flags & KNOWN_FLAGS)))
}

/// The number in lowercase hex digits (at most 32), or `None` for any other byte.
fn lower_hex(digits: &[u8]) -> Option<u128> {
    digits.iter().try_fold(0u128, |number, &digit| {
        let value = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        Some(number << 4 | u128::from(value))
    })
}

/// The members of the `tracestate` headers, in order, or `None` when the
/// list is invalid as a whole.
pub(crate) fn parse_tracestate<'a>(headers: &[&'a str]) -> Option<Vec<(&'a str, &'a str)>> {
    let mut members: Vec<(&str, &str)> = Vec::new();
    // Empty and blank members are allowed (several headers joined leave them).
    for member in headers.iter().flat_map(|header| header.split(',')).map(|member| member.trim_matches([' ', '\t'])) {
        if member.is_empty() {
            continue;
        }
        let (key, value) = member.split_once('=')?;
        if !valid_key(key) || !valid_value(value) || members.iter().any(|(seen, _)| *seen == key) {
            return None;
        }
        members.push((key, value));
        if members.len() > MAX_MEMBERS {
            return None;
        }
    }
    Some(members)
}

/// `key = ( lcalpha / DIGIT ) 0*255 ( lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" )`
fn valid_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    let Some((first, rest)) = bytes.split_first() else { return false };
    bytes.len() <= MAX_KEY_LEN
        && (first.is_ascii_lowercase() || first.is_ascii_digit())
        && rest.iter().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"_-*/@".contains(byte))
}

/// `value = 0*255( %x20 / nblk-chr ) nblk-chr`, where `nblk-chr` is any
/// printable ASCII character but space, `,` and `=`.
fn valid_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let printable = |byte: &u8| (0x20..=0x7e).contains(byte) && *byte != b',' && *byte != b'=';
    !bytes.is_empty()
        && bytes.len() <= MAX_VALUE_LEN
        && bytes.iter().all(printable)
        && bytes.last().is_some_and(|last| *last != b' ')
}

fn join(members: &[(&str, &str)]) -> String {
    let mut header = String::new();
    for (key, value) in members {
        if !header.is_empty() {
            header.push(',');
        }
        header.push_str(key);
        header.push('=');
        header.push_str(value);
    }
    header
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const PARENT: &str = "00f067aa0ba902b7";

    fn parsed(value: &str) -> Option<String> {
        parse_traceparent(value).map(|(trace, span, flags)| format!("{trace}-{span}-{:02x}", flags.to_u8()))
    }

    #[test]
    fn a_traceparent_is_read_by_its_exact_grammar() {
        assert_eq!(parsed(&format!("00-{TRACE}-{PARENT}-01")), Some(format!("{TRACE}-{PARENT}-01")));
        for invalid in [
            format!("000-{TRACE}-{PARENT}-01"),
            format!("0-{TRACE}-{PARENT}-01"),
            format!("00-{TRACE}-{}-01", &PARENT[1..]),
            format!("00-{TRACE}-{PARENT}-001"),
            format!("00-{TRACE}-{PARENT}-1"),
            format!("00-{TRACE}-{PARENT}-01-"),
            format!("00-{}-{PARENT}-01", TRACE.to_uppercase()),
            format!("00-{TRACE}-{PARENT}-0G"),
            format!("ff-{TRACE}-{PARENT}-01"),
            format!("00-{}-{PARENT}-01", "0".repeat(32)),
            format!("00-{TRACE}-{}-01", "0".repeat(16)),
            format!("01-{TRACE}-{PARENT}-01x"),
            String::new(),
        ] {
            assert_eq!(parsed(&invalid), None, "{invalid}");
        }
    }

    #[test]
    fn a_later_version_is_read_for_its_first_fields_and_flags_are_masked() {
        assert_eq!(parsed(&format!("cc-{TRACE}-{PARENT}-09-what-comes")), Some(format!("{TRACE}-{PARENT}-01")));
        assert_eq!(parsed(&format!("00-{TRACE}-{PARENT}-03")), Some(format!("{TRACE}-{PARENT}-03")));
        assert_eq!(parsed(&format!(" \t00-{TRACE}-{PARENT}-02 ")), Some(format!("{TRACE}-{PARENT}-02")));
    }

    #[test]
    fn a_tracestate_is_one_list_and_invalid_as_a_whole() {
        assert_eq!(parse_tracestate(&["a=1", " b=2 ,,", "c= 3"]), Some(vec![("a", "1"), ("b", "2"), ("c", " 3")]));
        let system_14 = format!("t@{}=1", "s".repeat(14));
        assert_eq!(parse_tracestate(&[&system_14, "foo@@bar=2"]).map(|members| members.len()), Some(2));
        for invalid in ["a=", "a=1,a=2", "A=1", "_a=1", "a=x=y", "a=1\t2", "a", "a=\u{7f}"] {
            assert_eq!(parse_tracestate(&[invalid]), None, "{invalid}");
        }
        let members = |count: usize| (0..count).map(|n| format!("k{n}=v")).collect::<Vec<_>>().join(",");
        assert_eq!(parse_tracestate(&[&members(32)]).map(|members| members.len()), Some(32));
        assert_eq!(parse_tracestate(&[&members(33)]), None);
        assert_eq!(parse_tracestate(&[&format!("k{}=v", "a".repeat(255))]).map(|m| m.len()), Some(1));
        assert_eq!(parse_tracestate(&[&format!("k{}=v", "a".repeat(256))]), None);
        assert_eq!(parse_tracestate(&[&format!("k={}", "v".repeat(257))]), None);
    }
}
