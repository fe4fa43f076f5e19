//! Spans as text: the tree of a whole trace, one line per span, or one JSON
//! object per span. The console exporter prints these; failed test
//! expectations show the tree.

use crate::keys::{DURATION_MS, THRESHOLD_EXCEEDED, THRESHOLD_MS};
use crate::support::terminal::Style;
use opentelemetry::trace::{Link, SpanId, Status};
#[cfg(feature = "console")]
use opentelemetry::KeyValue;
use opentelemetry::Value;
use opentelemetry_sdk::trace::SpanData;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const BAR_WIDTH: usize = 24;
const MAX_VALUE_CHARS: usize = 60;

/// The spans of one trace as an indented tree, each with its duration, a bar
/// placing it within the trace's time, its status and its attributes.
pub(crate) fn tree(spans: &[SpanData], title: &str, style: Style) -> String {
    if spans.is_empty() {
        return format!("{title}: no spans\n");
    }
    let ids: HashMap<SpanId, usize> = spans.iter().enumerate().map(|(i, s)| (s.span_context.span_id(), i)).collect();
    let mut children: HashMap<SpanId, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (index, span) in spans.iter().enumerate() {
        if ids.contains_key(&span.parent_span_id) {
            children.entry(span.parent_span_id).or_default().push(index);
        } else {
            roots.push(index);
        }
    }
    let by_start = |a: &usize, b: &usize| spans[*a].start_time.cmp(&spans[*b].start_time);
    roots.sort_by(by_start);
    children.values_mut().for_each(|list| list.sort_by(by_start));

    let mut rows = Vec::new();
    for root in &roots {
        collect_rows(spans, &children, *root, String::new(), None, &mut rows);
    }

    let start = spans.iter().map(|s| s.start_time).min().unwrap_or(UNIX_EPOCH);
    let end = spans.iter().map(|s| s.end_time).max().unwrap_or(start);
    let total = end.duration_since(start).unwrap_or_default().max(Duration::from_nanos(1));
    let name_width = rows.iter().map(|(prefix, i)| prefix.chars().count() + spans[*i].name.chars().count()).max();

    let trace_id = spans[0].span_context.trace_id();
    let mut out = format!(
        "{} {} {}\n",
        style.bold(title),
        style.dim(&format!("trace {trace_id} ·")),
        style.dim(&format!("{} span{} · {}", spans.len(), if spans.len() == 1 { "" } else { "s" }, duration(total))),
    );
    for (prefix, index) in &rows {
        let span = &spans[*index];
        let padding = name_width.unwrap_or(0) - prefix.chars().count() - span.name.chars().count();
        let _ = write!(
            out,
            "{}{}{}  {:>10}  {}  {}",
            style.dim(prefix),
            style.bold(&span.name),
            " ".repeat(padding),
            duration(span_duration(span)),
            style.cyan(&bar(span, start, total)),
            status(&span.status, style),
        );
        let details = details(span, style);
        if !details.is_empty() {
            let _ = write!(out, "  {details}");
        }
        out.push('\n');
    }
    out
}

fn collect_rows(
    spans: &[SpanData],
    children: &HashMap<SpanId, Vec<usize>>,
    index: usize,
    indent: String,
    is_last: Option<bool>,
    rows: &mut Vec<(String, usize)>,
) {
    let prefix = match is_last {
        None => String::new(),
        Some(true) => format!("{indent}└─ "),
        Some(false) => format!("{indent}├─ "),
    };
    rows.push((prefix, index));
    let child_indent = match is_last {
        None => indent,
        Some(true) => format!("{indent}   "),
        Some(false) => format!("{indent}│  "),
    };
    let list = children.get(&spans[index].span_context.span_id()).map(Vec::as_slice).unwrap_or_default();
    for (position, child) in list.iter().enumerate() {
        let last = position + 1 == list.len();
        collect_rows(spans, children, *child, child_indent.clone(), Some(last), rows);
    }
}

fn bar(span: &SpanData, trace_start: SystemTime, total: Duration) -> String {
    let cell = |time: SystemTime| {
        let offset = time.duration_since(trace_start).unwrap_or_default();
        offset.as_secs_f64() / total.as_secs_f64() * BAR_WIDTH as f64
    };
    let first = (cell(span.start_time).floor() as usize).min(BAR_WIDTH - 1);
    let last = (cell(span.end_time).ceil() as usize).clamp(first + 1, BAR_WIDTH);
    (0..BAR_WIDTH).map(|i| if (first..last).contains(&i) { '█' } else { '·' }).collect()
}

fn status(status: &Status, style: Style) -> String {
    match status {
        Status::Unset => style.dim("UNSET"),
        Status::Ok => style.green("OK"),
        Status::Error { description } if description.is_empty() => style.red("ERROR"),
        Status::Error { description } => style.red(&format!("ERROR: {}", truncate(description))),
    }
}

/// The attributes worth reading: the code location is left out as noise,
/// and a threshold warning is spelled out.
fn details(span: &SpanData, style: Style) -> String {
    let mut parts: Vec<String> = span
        .attributes
        .iter()
        .filter(|kv| !kv.key.as_str().starts_with("code.") && ![THRESHOLD_MS, DURATION_MS].contains(&kv.key.as_str()))
        .map(|kv| format!("{}={}", kv.key, display_value(&kv.value)))
        .map(|text| style.dim(&text))
        .collect();
    parts.extend(span.links.iter().map(|link| style.cyan(&link_text(link))));
    if span.events.iter().any(|event| event.name == THRESHOLD_EXCEEDED) {
        let attribute = |key: &str| span.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| &kv.value);
        if let (Some(Value::F64(took)), Some(Value::I64(threshold))) = (attribute(DURATION_MS), attribute(THRESHOLD_MS))
        {
            parts.insert(0, style.yellow(&format!("⚠ slow: {took:.1} ms > {threshold} ms")));
        }
    }
    parts.join(" ")
}

/// `link=<trace id>/<span id>`: the span linked to, whole, so that it can be searched for.
fn link_text(link: &Link) -> String {
    format!("link={}/{}", link.span_context.trace_id(), link.span_context.span_id())
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{:?}", truncate(s.as_str())),
        other => truncate(&other.to_string()),
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

fn span_duration(span: &SpanData) -> Duration {
    span.end_time.duration_since(span.start_time).unwrap_or_default()
}

fn duration(duration: Duration) -> String {
    let micros = duration.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0} µs")
    } else if micros < 1e6 {
        format!("{:.2} ms", micros / 1e3)
    } else {
        format!("{:.2} s", micros / 1e6)
    }
}

/// `TRACE: name (start-end, duration) status=UNSET key=value ..`, times in UTC.
#[cfg(feature = "console")]
pub(crate) fn line(span: &SpanData) -> String {
    let status = match &span.status {
        Status::Unset => "UNSET".to_owned(),
        Status::Ok => "OK".to_owned(),
        Status::Error { description } => format!("ERROR ({description})"),
    };
    let mut out = format!(
        "TRACE: {} ({}-{}, {}) status={status}",
        span.name,
        clock(span.start_time),
        clock(span.end_time),
        duration(span_duration(span)),
    );
    for kv in span.attributes.iter().filter(|kv| !kv.key.as_str().starts_with("code.")) {
        let _ = write!(out, " {}={}", kv.key, display_value(&kv.value));
    }
    for link in span.links.iter() {
        let _ = write!(out, " {}", link_text(link));
    }
    out
}

#[cfg(feature = "console")]
fn clock(time: SystemTime) -> String {
    let since_epoch = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since_epoch.as_secs() % 86_400;
    format!("{:02}:{:02}:{:02}.{:06}", seconds / 3600, seconds / 60 % 60, seconds % 60, since_epoch.subsec_micros())
}

/// One span as a JSON object on one line.
#[cfg(feature = "console")]
pub(crate) fn json(span: &SpanData) -> String {
    let nanos = |time: SystemTime| time.duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos() as u64;
    let (status, description) = match &span.status {
        Status::Unset => ("UNSET", None),
        Status::Ok => ("OK", None),
        Status::Error { description } => ("ERROR", Some(description.to_string())),
    };
    let parent = (span.parent_span_id != SpanId::INVALID).then(|| span.parent_span_id.to_string());
    serde_json::json!({
        "name": span.name,
        "trace_id": span.span_context.trace_id().to_string(),
        "span_id": span.span_context.span_id().to_string(),
        "parent_span_id": parent,
        "kind": crate::support::span_kind::name(&span.span_kind),
        "start_time_unix_nano": nanos(span.start_time),
        "end_time_unix_nano": nanos(span.end_time),
        "duration_ms": span_duration(span).as_secs_f64() * 1000.0,
        "status": { "code": status, "description": description },
        "attributes": json_attributes(&span.attributes),
        "events": span.events.iter().map(|event| serde_json::json!({
            "name": event.name,
            "time_unix_nano": nanos(event.timestamp),
            "attributes": json_attributes(&event.attributes),
        })).collect::<Vec<_>>(),
        "links": span.links.iter().map(|link| serde_json::json!({
            "trace_id": link.span_context.trace_id().to_string(),
            "span_id": link.span_context.span_id().to_string(),
            "remote": link.span_context.is_remote(),
            "attributes": json_attributes(&link.attributes),
        })).collect::<Vec<_>>(),
    })
    .to_string()
}

#[cfg(feature = "console")]
fn json_attributes(attributes: &[KeyValue]) -> serde_json::Value {
    attributes
        .iter()
        .map(|kv| {
            let value = match &kv.value {
                Value::Bool(b) => serde_json::Value::from(*b),
                Value::I64(i) => serde_json::Value::from(*i),
                Value::F64(f) => serde_json::Value::from(*f),
                Value::String(s) => serde_json::Value::from(s.as_str()),
                other => serde_json::Value::from(other.to_string()),
            };
            (kv.key.to_string(), value)
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::Style;

    #[test]
    fn paints_only_when_coloured() {
        assert_eq!(Style { color: true }.red("x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Style::PLAIN.red("x"), "x");
    }
}
