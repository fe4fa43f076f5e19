//! Settings of the OTLP exporter.

use crate::error::ConfigError;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// The OTLP transport (`OTEL_EXPORTER_OTLP_PROTOCOL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Protocol {
    /// OTLP over gRPC (`grpc`), port 4317 by convention.
    #[default]
    Grpc,
    /// OTLP over HTTP with protobuf bodies (`http/protobuf`), port 4318 by convention.
    HttpProtobuf,
    /// OTLP over HTTP with JSON bodies (`http/json`), port 4318 by convention.
    HttpJson,
}

impl Protocol {
    /// The endpoint used when none is configured.
    pub(crate) fn default_endpoint(self) -> &'static str {
        match self {
            Protocol::Grpc => "http://localhost:4317",
            Protocol::HttpProtobuf | Protocol::HttpJson => "http://localhost:4318/v1/traces",
        }
    }
}

/// Compression of OTLP payloads (`OTEL_EXPORTER_OTLP_COMPRESSION`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Compression {
    /// No compression (`none`, the default).
    #[default]
    None,
    /// gzip (`gzip`).
    Gzip,
}

/// Where OTLP spans are sent: a base endpoint gets `/v1/traces` appended
/// over HTTP, as `OTEL_EXPORTER_OTLP_ENDPOINT` does; a signal endpoint is
/// used as it is, as `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Base(String),
    Traces(String),
}

impl Endpoint {
    /// The URL to send to with `protocol`, by the specification's rule.
    pub(crate) fn url(endpoint: Option<&Endpoint>, protocol: Protocol) -> String {
        match (endpoint, protocol) {
            (None, protocol) => protocol.default_endpoint().to_owned(),
            (Some(Endpoint::Traces(url)), _) | (Some(Endpoint::Base(url)), Protocol::Grpc) => url.clone(),
            (Some(Endpoint::Base(url)), _) => format!("{}/v1/traces", url.trim_end_matches('/')),
        }
    }
}

/// A header value that never shows in `Debug` output, errors or logs.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(pub(crate) String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"<redacted>\"")
    }
}

/// Everything the OTLP exporter needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OtlpSettings {
    pub(crate) endpoint: Option<Endpoint>,
    pub(crate) protocol: Protocol,
    pub(crate) headers: Vec<(String, Secret)>,
    pub(crate) timeout: Duration,
    pub(crate) compression: Compression,
    pub(crate) tls: TlsFiles,
}

impl Default for OtlpSettings {
    fn default() -> Self {
        OtlpSettings {
            endpoint: None,
            protocol: Protocol::Grpc,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            compression: Compression::None,
            tls: TlsFiles::default(),
        }
    }
}

impl OtlpSettings {
    pub(crate) fn url(&self) -> String {
        Endpoint::url(self.endpoint.as_ref(), self.protocol)
    }
}

/// A PEM file named by a setting, read when tracing is installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PemFile {
    pub(crate) path: PathBuf,
    /// The variable or builder method that named it, for errors.
    pub(crate) setting: &'static str,
}

/// The TLS files for `https://` endpoints: a CA to trust instead of the
/// system's, and a client certificate and key for mutual TLS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TlsFiles {
    pub(crate) ca: Option<PemFile>,
    pub(crate) client_certificate: Option<PemFile>,
    pub(crate) client_key: Option<PemFile>,
}

/// The contents of [`TlsFiles`], checked to hold what they should.
#[derive(Default)]
pub(crate) struct TlsPem {
    pub(crate) ca: Option<Vec<u8>>,
    /// Certificate chain and private key.
    pub(crate) identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl TlsFiles {
    pub(crate) fn load(&self) -> Result<TlsPem, ConfigError> {
        let ca = self.ca.as_ref().map(|file| file.read("a readable PEM file of CA certificates", "CERTIFICATE-----"));
        let identity = match (&self.client_certificate, &self.client_key) {
            (None, None) => None,
            (Some(certificate), Some(key)) => Some((
                certificate.read("a readable PEM file of the client's certificate chain", "CERTIFICATE-----")?,
                key.read("a readable PEM file of the client's private key", "PRIVATE KEY-----")?,
            )),
            (Some(file), None) | (None, Some(file)) => {
                return Err(ConfigError::InvalidValue {
                    variable: file.setting,
                    value: file.path.display().to_string(),
                    expected: "a client certificate and a client key together (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE \
                               and OTEL_EXPORTER_OTLP_CLIENT_KEY), for mutual TLS",
                });
            }
        };
        Ok(TlsPem { ca: ca.transpose()?, identity })
    }
}

impl PemFile {
    /// Reads the file, which must contain a PEM block ending in `marker`.
    fn read(&self, expected: &'static str, marker: &str) -> Result<Vec<u8>, ConfigError> {
        let invalid =
            || ConfigError::InvalidValue { variable: self.setting, value: self.path.display().to_string(), expected };
        let contents = std::fs::read(&self.path).map_err(|_| invalid())?;
        let text = String::from_utf8_lossy(&contents);
        if text.contains("-----BEGIN ") && text.contains(marker) {
            Ok(contents)
        } else {
            Err(invalid())
        }
    }
}

/// Parses `key=value,key=value` (W3C Baggage style, values percent-decoded),
/// as OTEL_EXPORTER_OTLP_HEADERS and OTEL_RESOURCE_ATTRIBUTES are written.
pub(crate) fn parse_key_values(list: &str) -> Option<Vec<(String, String)>> {
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

/// The URL without any `user:password@` in it, for messages and logs.
pub(crate) fn shown_url(url: &str) -> String {
    match credentials(url) {
        Some(credentials) => url.replacen(credentials, "", 1),
        None => url.to_owned(),
    }
}

/// The `user:password@` of a URL, if it has one.
pub(crate) fn credentials(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let authority = &rest[..rest.find('/').unwrap_or(rest.len())];
    authority.rfind('@').map(|at| &authority[..=at])
}

/// An `http://` or `https://` URL with a host.
pub(crate) fn is_endpoint_url(text: &str) -> bool {
    text.parse::<http::Uri>().is_ok_and(|uri| {
        matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some_and(|host| !host.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_base_endpoint_gets_the_traces_path_over_http_only() {
        let base = Endpoint::Base("http://collector:4318/".into());
        assert_eq!(Endpoint::url(Some(&base), Protocol::HttpProtobuf), "http://collector:4318/v1/traces");
        assert_eq!(Endpoint::url(Some(&base), Protocol::Grpc), "http://collector:4318/");
        let traces = Endpoint::Traces("http://collector:4318/custom".into());
        assert_eq!(Endpoint::url(Some(&traces), Protocol::HttpJson), "http://collector:4318/custom");
        assert_eq!(Endpoint::url(None, Protocol::HttpJson), "http://localhost:4318/v1/traces");
        assert_eq!(Endpoint::url(None, Protocol::Grpc), "http://localhost:4317");
    }

    #[test]
    fn key_value_lists_are_percent_decoded() {
        assert_eq!(
            parse_key_values("api-key=a%20b%3D, x = y ,").unwrap(),
            [("api-key".to_owned(), "a b=".to_owned()), ("x".to_owned(), "y".to_owned())]
        );
        assert_eq!(parse_key_values("novalue"), None);
        assert_eq!(parse_key_values("=value"), None);
        assert_eq!(parse_key_values("k=%FF"), None, "not UTF-8 once decoded");
    }

    #[test]
    fn secrets_do_not_show() {
        assert_eq!(format!("{:?}", Secret("hunter2".into())), "\"<redacted>\"");
        assert_eq!(redact_values("api-key=hunter2,broken"), "api-key=<redacted>,broken");
    }

    #[test]
    fn credentials_in_a_url_are_not_shown() {
        assert_eq!(shown_url("https://user:hunter2@otlp.example.com/v1/traces"), "https://otlp.example.com/v1/traces");
        assert_eq!(shown_url("http://localhost:4317"), "http://localhost:4317");
        assert_eq!(shown_url("http://host/path@with-at"), "http://host/path@with-at");
    }

    #[test]
    fn endpoints_must_be_http_urls_with_a_host() {
        assert!(is_endpoint_url("http://localhost:4317"));
        assert!(is_endpoint_url("https://otlp.example.com/v1/traces"));
        assert!(!is_endpoint_url("localhost:4317"));
        assert!(!is_endpoint_url("ftp://example.com"));
        assert!(!is_endpoint_url("not a url"));
    }
}
