//! Property tests of tracekit's W3C Trace Context propagator, through the
//! public `propagation::extract` and `inject`: what follows the grammar
//! round-trips, and no header, however malformed, panics or yields a
//! context whose headers the grammar rejects. The grammar is checked here
//! by code of the test's own, not by the propagator's.

use proptest::prelude::*;
use std::collections::HashMap;
use tracekit::opentelemetry::trace::TraceContextExt as _;
use tracekit::propagation;

type Headers = HashMap<String, String>;

fn headers(traceparent: &str, tracestate: Option<&str>) -> Headers {
    let mut headers = Headers::from([("traceparent".to_owned(), traceparent.to_owned())]);
    if let Some(tracestate) = tracestate {
        headers.insert("tracestate".to_owned(), tracestate.to_owned());
    }
    headers
}

/// Extracts and injects again: what a service passes on.
fn round_trip(incoming: &Headers) -> Headers {
    let context = propagation::extract(incoming);
    let mut sent = Headers::new();
    propagation::inject_context(&context, &mut sent);
    sent
}

fn is_lower_hex(text: &str, len: usize) -> bool {
    text.len() == len && text.bytes().all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// `00-<32 hex>-<16 hex>-<2 hex>`, ids not all zero, only known flags.
fn traceparent_follows_grammar(value: &str) -> bool {
    let fields: Vec<&str> = value.split('-').collect();
    fields.len() == 4
        && fields[0] == "00"
        && is_lower_hex(fields[1], 32)
        && fields[1].bytes().any(|byte| byte != b'0')
        && is_lower_hex(fields[2], 16)
        && fields[2].bytes().any(|byte| byte != b'0')
        && is_lower_hex(fields[3], 2)
        && u8::from_str_radix(fields[3], 16).unwrap() & !0x03 == 0
}

/// What a receiver accepts: any version but `ff`, with exactly the fields
/// of version `00` (a change of one character cannot add a field).
fn incoming_follows_grammar(value: &str) -> bool {
    let fields: Vec<&str> = value.split('-').collect();
    fields.len() == 4
        && is_lower_hex(fields[0], 2)
        && fields[0] != "ff"
        && is_lower_hex(fields[1], 32)
        && fields[1].bytes().any(|byte| byte != b'0')
        && is_lower_hex(fields[2], 16)
        && fields[2].bytes().any(|byte| byte != b'0')
        && is_lower_hex(fields[3], 2)
}

fn tracestate_follows_grammar(value: &str) -> bool {
    let members: Vec<&str> = value.split(',').collect();
    let mut keys = std::collections::HashSet::new();
    members.len() <= 32
        && members.iter().all(|member| {
            let Some((key, value)) = member.split_once('=') else { return false };
            let key_ok = (1..=256).contains(&key.len())
                && key.bytes().next().is_some_and(|first| first.is_ascii_lowercase() || first.is_ascii_digit())
                && key
                    .bytes()
                    .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || b"_-*/@".contains(&byte));
            let value_ok = (1..=256).contains(&value.len())
                && value.bytes().all(|byte| (0x20..=0x7e).contains(&byte) && byte != b',' && byte != b'=')
                && !value.ends_with(' ');
            key_ok && value_ok && keys.insert(key)
        })
}

fn key() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9_*/@-]{0,20}"
}

fn value() -> impl Strategy<Value = String> {
    "[ -~&&[^,=]]{0,12}[!-~&&[^,=]]"
}

fn tracestate() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec((key(), value()), 1..=32).prop_map(|members| {
        let mut seen = std::collections::HashSet::new();
        members.into_iter().filter(|(key, _)| seen.insert(key.clone())).collect()
    })
}

proptest! {
    #[test]
    fn a_valid_traceparent_round_trips(trace in 1u128.., span in 1u64.., flags in 0u8..) {
        let incoming = format!("00-{trace:032x}-{span:016x}-{flags:02x}");
        let sent = round_trip(&headers(&incoming, None));
        prop_assert_eq!(&sent["traceparent"], &format!("00-{trace:032x}-{span:016x}-{:02x}", flags & 0x03));
        prop_assert!(!sent.contains_key("tracestate"));
    }

    #[test]
    fn a_valid_tracestate_round_trips(members in tracestate()) {
        let list = members.iter().map(|(key, value)| format!("{key}={value}")).collect::<Vec<_>>().join(",");
        let incoming = headers("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", Some(&list));
        let sent = round_trip(&incoming);
        prop_assert_eq!(sent.get("tracestate"), Some(&list));
    }

    #[test]
    fn one_changed_character_is_judged_by_the_grammar(position in 0usize..55, replacement in any::<char>()) {
        let valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let mut changed: Vec<char> = valid.chars().collect();
        changed[position] = replacement;
        let changed: String = changed.into_iter().collect();
        let context = propagation::extract(&headers(&changed, None));
        let span = context.span();
        prop_assert_eq!(span.span_context().is_valid(), incoming_follows_grammar(&changed), "{}", changed);
    }

    #[test]
    fn any_headers_never_panic_nor_yield_what_the_grammar_rejects(
        traceparent in prop_oneof![any::<String>(), "[ 0-9a-fA-F-]{50,60}", "0[0-9a-f]-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(-.{0,5})?"],
        tracestate in prop_oneof![any::<String>(), "([ a-z0-9_*/@=,-]{0,12},?){0,40}"],
    ) {
        let sent = round_trip(&headers(&traceparent, Some(&tracestate)));
        if let Some(value) = sent.get("traceparent") {
            prop_assert!(traceparent_follows_grammar(value), "{}", value);
        } else {
            prop_assert!(!sent.contains_key("tracestate"));
        }
        if let Some(value) = sent.get("tracestate") {
            prop_assert!(tracestate_follows_grammar(value), "{}", value);
        }
    }
}
