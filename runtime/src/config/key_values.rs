//! `key=value,key=value` lists, as `OTEL_EXPORTER_OTLP_HEADERS` and
//! `OTEL_RESOURCE_ATTRIBUTES` are written.

/// Parses `key=value,key=value` (W3C Baggage style, values percent-decoded),
/// as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES are written.
pub(crate) fn parse(list: &str) -> Option<Vec<(String, String)>> {
    list.split(',')
        .filter(|pair| !pair.trim().is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let key = decode(key.trim())?;
            let value = decode(value.trim())?;
            (!key.is_empty()).then_some((key, value))
        })
        .collect()
}

fn decode(text: &str) -> Option<String> {
    percent_encoding::percent_decode_str(text).decode_utf8().ok().map(|text| text.into_owned())
}

/// Hides the values of a `key=value,..` list, for error messages.
pub(crate) fn redact_values(list: &str) -> String {
    list.split(',')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) => format!("{key}=<redacted>"),
            None => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::export::otlp::Secret;

    #[test]
    fn key_value_lists_are_percent_decoded() {
        assert_eq!(
            parse("api-key=a%20b%3D, x = y ,").unwrap(),
            [("api-key".to_owned(), "a b=".to_owned()), ("x".to_owned(), "y".to_owned())]
        );
        assert_eq!(parse("novalue"), None);
        assert_eq!(parse("=value"), None);
        assert_eq!(parse("k=%FF"), None, "not UTF-8 once decoded");
    }

    #[test]
    fn secrets_do_not_show() {
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "\"<redacted>\"");
        assert_eq!(redact_values("api-key=hunter2,broken"), "api-key=<redacted>,broken");
    }

    #[test]
    fn values_do_not_show_in_errors() {
        assert_eq!(redact_values("api-key=hunter2,broken"), "api-key=<redacted>,broken");
    }
}
