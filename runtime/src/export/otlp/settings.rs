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

/// What an OTLP exporter sends: it names the variables
/// (`OTEL_EXPORTER_OTLP_TRACES_*`, `OTEL_EXPORTER_OTLP_METRICS_*`) and the
/// path over HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub(crate) enum Signal {
    #[default]
    Traces,
    Metrics,
}

impl Signal {
    /// The path appended to a base endpoint over HTTP.
    fn path(self) -> &'static str {
        match self {
            Signal::Traces => "/v1/traces",
            Signal::Metrics => "/v1/metrics",
        }
    }
}

impl Protocol {
    /// The endpoint used when none is configured.
    pub(crate) fn default_endpoint(self, signal: Signal) -> String {
        match self {
            Protocol::Grpc => "http://localhost:4317".to_owned(),
            Protocol::HttpProtobuf | Protocol::HttpJson => format!("http://localhost:4318{}", signal.path()),
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
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`: the signal's path is appended over HTTP.
    Base(String),
    /// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` and its kin: used as it is.
    Signal(String),
}

impl Endpoint {
    /// The URL to send `signal` to with `protocol`, by the specification's rule.
    pub(crate) fn url(endpoint: Option<&Endpoint>, protocol: Protocol, signal: Signal) -> String {
        match (endpoint, protocol) {
            (None, protocol) => protocol.default_endpoint(signal),
            (Some(Endpoint::Signal(url)), _) | (Some(Endpoint::Base(url)), Protocol::Grpc) => url.clone(),
            (Some(Endpoint::Base(url)), _) => format!("{}{}", url.trim_end_matches('/'), signal.path()),
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

/// Where and how one signal is sent: what the variables and the defaults
/// said, with what [`OtlpSettings`] changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OtlpTarget {
    pub(crate) signal: Signal,
    pub(crate) endpoint: Option<Endpoint>,
    pub(crate) protocol: Protocol,
    pub(crate) headers: Vec<(String, Secret)>,
    pub(crate) timeout: Duration,
    pub(crate) compression: Compression,
    pub(crate) tls: TlsFiles,
}

impl Default for OtlpTarget {
    fn default() -> Self {
        OtlpTarget {
            signal: Signal::Traces,
            endpoint: None,
            protocol: Protocol::Grpc,
            headers: Vec::new(),
            timeout: Duration::from_secs(10),
            compression: Compression::None,
            tls: TlsFiles::default(),
        }
    }
}

impl OtlpTarget {
    pub(crate) fn url(&self) -> String {
        Endpoint::url(self.endpoint.as_ref(), self.protocol, self.signal)
    }

    /// Checks what the builder set for an exporter about to send: the URL,
    /// that this build can reach it, and the TLS files.
    pub(crate) fn check(&self, setting: &'static str) -> Result<(), ConfigError> {
        let url = self.url();
        check_endpoint(setting, &url)?;
        check_scheme_compiled(setting, &url)?;
        if let Some(port) = port_of(&url) {
            check_jaeger_port(setting, port)?;
        }
        self.tls.check_compiled()
    }
}

/// The OTLP exporter's settings: where it sends, over which transport,
/// with which headers, timeout, compression and TLS files. Set in
/// [`Config::otlp`](crate::Config::otlp), over what the
/// `OTEL_EXPORTER_OTLP_*` variables said; they apply to spans and to
/// metrics alike, as the general variables do.
///
/// ```
/// use std::time::Duration;
/// use tracekit::{Compression, Protocol};
///
/// let config = tracekit::Config::new().otlp(|otlp| {
///     otlp.endpoint("http://collector:4318")
///         .protocol(Protocol::HttpProtobuf)
///         .header("x-api-key", "secret")
///         .timeout(Duration::from_secs(3))
///         .compression(Compression::Gzip)
/// });
/// assert_eq!(config.chosen_exporters(), [tracekit::Exporter::Otlp]);
/// ```
#[derive(Clone, Debug, Default)]
pub struct OtlpSettings {
    endpoint: Option<String>,
    protocol: Option<Protocol>,
    headers: Vec<(String, Secret)>,
    timeout: Option<Duration>,
    compression: Option<Compression>,
    ca: Option<PemFile>,
    /// Certificate chain and private key.
    client_identity: Option<(PemFile, PemFile)>,
}

impl OtlpSettings {
    /// Sends to `url`: a base URL such as `http://collector:4318`, to which
    /// `/v1/traces` (or `/v1/metrics`) is appended over HTTP, as
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` is. [`Config::otlp`](crate::Config::otlp)
    /// also selects [`Exporter::Otlp`](crate::Exporter::Otlp) when it sets an
    /// endpoint, unless OTLP is among the exporters already.
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp(|otlp| otlp.endpoint("http://localhost:4317"));
    /// assert_eq!(config.chosen_exporters(), [tracekit::Exporter::Otlp]);
    /// ```
    pub fn endpoint(mut self, url: impl Into<String>) -> Self {
        self.endpoint = Some(url.into());
        self
    }

    /// Sends to Jaeger's OTLP receiver on `host:port`: gRPC on 4317, HTTP on
    /// 4318 (Jaeger's retired agent ports are refused at install).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp(|otlp| otlp.jaeger("jaeger.internal", 4317));
    /// assert_eq!(config.chosen_exporters(), [tracekit::Exporter::Otlp]);
    /// ```
    pub fn jaeger(self, host: &str, port: u16) -> Self {
        let protocol = if port == 4318 { Protocol::HttpProtobuf } else { Protocol::Grpc };
        self.endpoint(format!("http://{host}:{port}")).protocol(protocol)
    }

    /// The transport (`OTEL_EXPORTER_OTLP_PROTOCOL`, default gRPC).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp(|otlp| otlp.protocol(tracekit::Protocol::HttpJson));
    /// # let _ = config;
    /// ```
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// Adds a header (gRPC metadata) to every request, such as an API key
    /// (`OTEL_EXPORTER_OTLP_HEADERS`). Its value never appears in `Debug`
    /// output, errors or logs.
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp(|otlp| otlp.header("x-api-key", "secret"));
    /// assert!(!format!("{config:?}").contains("secret"));
    /// ```
    pub fn header(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((key.into(), Secret(value.into())));
        self
    }

    /// How long one request may take (`OTEL_EXPORTER_OTLP_TIMEOUT`, default 10 s).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp(|otlp| otlp.timeout(std::time::Duration::from_secs(3)));
    /// # let _ = config;
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Compresses payloads (`OTEL_EXPORTER_OTLP_COMPRESSION`, default none).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp(|otlp| otlp.compression(tracekit::Compression::Gzip));
    /// # let _ = config;
    /// ```
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = Some(compression);
        self
    }

    /// Trusts the CA certificates of this PEM file, and only them, for an
    /// `https://` endpoint (`OTEL_EXPORTER_OTLP_CERTIFICATE`): for a
    /// collector whose certificate a private or self-signed CA issued.
    /// Without it, the system's trusted roots are used. The file is read
    /// when tracing is installed.
    ///
    /// ```
    /// let config = tracekit::Config::new()
    ///     .otlp(|otlp| otlp.endpoint("https://collector.internal:4317").certificate("/etc/ssl/private-ca.pem"));
    /// # let _ = config;
    /// ```
    pub fn certificate(mut self, path: impl Into<PathBuf>) -> Self {
        self.ca = Some(PemFile { path: path.into(), setting: "OtlpSettings::certificate" });
        self
    }

    /// Presents this client certificate chain and private key (PEM files)
    /// to an `https://` endpoint that asks for mutual TLS
    /// (`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` and `_CLIENT_KEY`).
    ///
    /// ```
    /// let config = tracekit::Config::new().otlp(|otlp| {
    ///     otlp.endpoint("https://collector.internal:4317")
    ///         .client_identity("/etc/tracing/client.pem", "/etc/tracing/client.key")
    /// });
    /// # let _ = config;
    /// ```
    pub fn client_identity(mut self, certificate: impl Into<PathBuf>, key: impl Into<PathBuf>) -> Self {
        let setting = "OtlpSettings::client_identity";
        self.client_identity =
            Some((PemFile { path: certificate.into(), setting }, PemFile { path: key.into(), setting }));
        self
    }

    /// Whether these settings give an endpoint, which chooses OTLP.
    pub(crate) fn sets_endpoint(&self) -> bool {
        self.endpoint.is_some()
    }

    /// Changes `target` as these settings say, leaving what they do not set.
    pub(crate) fn apply_to(&self, target: &mut OtlpTarget) {
        if let Some(url) = &self.endpoint {
            target.endpoint = Some(Endpoint::Base(url.clone()));
        }
        target.protocol = self.protocol.unwrap_or(target.protocol);
        target.headers.extend(self.headers.iter().cloned());
        target.timeout = self.timeout.unwrap_or(target.timeout);
        target.compression = self.compression.unwrap_or(target.compression);
        if let Some(ca) = &self.ca {
            target.tls.ca = Some(ca.clone());
        }
        if let Some((certificate, key)) = &self.client_identity {
            target.tls.client_certificate = Some(certificate.clone());
            target.tls.client_key = Some(key.clone());
        }
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
#[cfg_attr(not(feature = "tls"), allow(dead_code, reason = "no file is accepted without TLS"))]
pub(crate) struct TlsPem {
    pub(crate) ca: Option<Vec<u8>>,
    /// Certificate chain and private key.
    pub(crate) identity: Option<(Vec<u8>, Vec<u8>)>,
}

impl TlsFiles {
    /// Refuses certificate files in a build without TLS, naming the setting of the first.
    pub(crate) fn check_compiled(&self) -> Result<(), ConfigError> {
        let files = [&self.ca, &self.client_certificate, &self.client_key];
        match files.into_iter().flatten().next() {
            Some(file) => {
                let missing = (!cfg!(feature = "tls")).then_some(TLS_FEATURES);
                ConfigError::unless_compiled(file.setting, || file.path.display().to_string(), missing)
            }
            None => Ok(()),
        }
    }

    #[cfg(feature = "otlp")]
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
    #[cfg(feature = "otlp")]
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

/// The ports of Jaeger's retired UDP agent protocol, which tracekit does not speak.
const JAEGER_AGENT_PORTS: [u16; 2] = [6831, 6832];

/// Checks a port given for Jaeger by `setting`: one of its OTLP ports, not
/// one of its agent's.
pub(crate) fn check_jaeger_port(setting: &'static str, port: u16) -> Result<(), ConfigError> {
    if !JAEGER_AGENT_PORTS.contains(&port) {
        return Ok(());
    }
    Err(ConfigError::InvalidValue {
        variable: setting,
        value: port.to_string(),
        expected: "an OTLP port of Jaeger: 4317 (gRPC) or 4318 (HTTP); 6831 and 6832 belong to \
                   Jaeger's retired UDP agent protocol, which tracekit does not speak",
    })
}

/// Checks a URL to send spans to, given by `setting`.
pub(crate) fn check_endpoint(setting: &'static str, url: &str) -> Result<(), ConfigError> {
    if is_endpoint_url(url) {
        return Ok(());
    }
    Err(ConfigError::InvalidValue { variable: setting, value: url.to_owned(), expected: ENDPOINT_EXPECTED })
}

/// The cargo features that give OTLP its TLS, as an error names them.
const TLS_FEATURES: &str = "tls-ring` or `tls-aws-lc";

/// Refuses an `https://` URL given by `setting` in a build without TLS.
pub(crate) fn check_scheme_compiled(setting: &'static str, url: &str) -> Result<(), ConfigError> {
    let missing = (url.starts_with("https://") && !cfg!(feature = "tls")).then_some(TLS_FEATURES);
    ConfigError::unless_compiled(setting, || shown_url(url), missing)
}

/// What an endpoint must be.
pub(crate) const ENDPOINT_EXPECTED: &str = "an http:// or https:// URL";

/// The port of a URL, when it names one.
pub(crate) fn port_of(url: &str) -> Option<u16> {
    url.parse::<http::Uri>().ok().and_then(|uri| uri.port_u16())
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
        assert_eq!(
            Endpoint::url(Some(&base), Protocol::HttpProtobuf, Signal::Traces),
            "http://collector:4318/v1/traces"
        );
        assert_eq!(
            Endpoint::url(Some(&base), Protocol::HttpProtobuf, Signal::Metrics),
            "http://collector:4318/v1/metrics"
        );
        assert_eq!(Endpoint::url(Some(&base), Protocol::Grpc, Signal::Traces), "http://collector:4318/");
        let traces = Endpoint::Signal("http://collector:4318/custom".into());
        assert_eq!(Endpoint::url(Some(&traces), Protocol::HttpJson, Signal::Traces), "http://collector:4318/custom");
        assert_eq!(Endpoint::url(None, Protocol::HttpJson, Signal::Traces), "http://localhost:4318/v1/traces");
        assert_eq!(Endpoint::url(None, Protocol::HttpJson, Signal::Metrics), "http://localhost:4318/v1/metrics");
        assert_eq!(Endpoint::url(None, Protocol::Grpc, Signal::Metrics), "http://localhost:4317");
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
