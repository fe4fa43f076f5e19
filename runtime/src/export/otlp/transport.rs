//! Sending an encoded OTLP request of either signal tracekit exports
//! (spans, metrics): gRPC through tonic, HTTP through hyper, retried as the OTLP specification asks (retryable answers only,
//! exponential backoff with jitter, a delay the collector asks for
//! honoured, all within the exporter's timeout).
//!
//! The request is encoded once: a retry sends the same bytes again.

use super::partial_success::PartialSuccess;
use super::settings::{Compression, OtlpTarget, Protocol, Signal, TlsPem};
use bytes::Bytes;
use opentelemetry_http::HttpClient as _;
use std::io::Write as _;
use std::time::{Duration, Instant, SystemTime};
use tonic::codec::{Codec, CompressionEncoding, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::transport::Channel;

/// Retries after the first attempt, and the backoff between them: the
/// OpenTelemetry SDKs' recommended policy.
const RETRIES: u32 = 3;
const FIRST_DELAY: Duration = Duration::from_millis(100);
const LONGEST_DELAY: Duration = Duration::from_millis(1600);
const JITTER_MS: u32 = 100;
/// The longest delay a collector may ask for before a retry.
const LONGEST_ASKED_DELAY: Duration = Duration::from_secs(600);

/// The gRPC method each signal's requests go to.
fn grpc_export(signal: Signal) -> &'static str {
    match signal {
        Signal::Traces => "/opentelemetry.proto.collector.trace.v1.TraceService/Export",
        Signal::Metrics => "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
    }
}

/// How the exporter names itself: tracekit and its version, then the name
/// the OTLP specification gives the exporters of Rust.
const USER_AGENT: &str = concat!("tracekit/", env!("CARGO_PKG_VERSION"), " (OTel-OTLP-Exporter-Rust)");

/// Sends one signal's requests to where its settings say.
#[derive(Debug)]
pub(crate) struct OtlpTransport {
    connection: Connection,
    /// What is sent: how the collector's answer names what it rejected.
    signal: Signal,
    /// How long the attempts of one export may take together.
    budget: Duration,
}

#[derive(Debug)]
enum Connection {
    Grpc { channel: Channel, method: &'static str, metadata: tonic::metadata::MetadataMap, gzip: bool },
    Http { client: Box<HttpTransportClient>, url: http::Uri, headers: http::HeaderMap, gzip: bool, json: bool },
}

/// An encoded request, as the chosen protocol sends it.
pub(crate) struct Encoded(Bytes);

/// Why an attempt failed, and whether to try again.
#[derive(Debug)]
struct Refusal {
    message: String,
    retry: Retry,
}

#[derive(Debug, PartialEq)]
enum Retry {
    No,
    /// After the backoff, or after the delay the collector asked for.
    After(Option<Duration>),
}

impl OtlpTransport {
    /// The client `settings` describe. Built inside the export runtime: the
    /// gRPC channel connects lazily, on the runtime that drives it.
    pub(crate) fn new(settings: &OtlpTarget, tls: &TlsPem) -> Result<Self, String> {
        let url = settings.url();
        let gzip = settings.compression == Compression::Gzip;
        let mut headers = header_map(settings)?;
        let connection = match settings.protocol {
            Protocol::Grpc => Connection::Grpc {
                channel: grpc_channel(&url, settings.timeout, tls)?,
                method: grpc_export(settings.signal),
                metadata: tonic::metadata::MetadataMap::from_headers(headers),
                gzip,
            },
            Protocol::HttpProtobuf | Protocol::HttpJson => {
                let json = settings.protocol == Protocol::HttpJson;
                let content_type = if json { "application/json" } else { "application/x-protobuf" };
                headers.insert(http::header::CONTENT_TYPE, http::HeaderValue::from_static(content_type));
                if gzip {
                    headers.insert(http::header::CONTENT_ENCODING, http::HeaderValue::from_static("gzip"));
                }
                // A user agent the program gives is kept.
                headers.entry(http::header::USER_AGENT).or_insert(http::HeaderValue::from_static(USER_AGENT));
                let url = url.parse().map_err(|error| format!("invalid endpoint: {error}"))?;
                Connection::Http { client: Box::new(http_client(settings.timeout, tls)?), url, headers, gzip, json }
            }
        };
        Ok(OtlpTransport { connection, signal: settings.signal, budget: settings.timeout })
    }

    /// Whether requests go as JSON (HTTP/JSON) rather than protobuf.
    pub(crate) fn speaks_json(&self) -> bool {
        matches!(self.connection, Connection::Http { json: true, .. })
    }

    /// A request written as [`OtlpTransport::speaks_json`] says, made
    /// ready to send: gzipped over HTTP when asked (gRPC compresses its
    /// own frames).
    pub(crate) fn body(&self, request: Vec<u8>) -> Result<Encoded, String> {
        match &self.connection {
            Connection::Http { gzip: true, .. } => Ok(Encoded(gzipped(&request)?.into())),
            _ => Ok(Encoded(request.into())),
        }
    }

    /// Sends `request`, retrying what may succeed later; once it is
    /// accepted, what the collector rejected of it, if anything.
    pub(crate) async fn send(&self, request: Encoded) -> Result<Option<PartialSuccess>, String> {
        let started = Instant::now();
        let mut backoff = FIRST_DELAY;
        let mut retries = 0;
        loop {
            let refusal = match self.attempt(&request.0).await {
                Ok(answer) => return Ok(PartialSuccess::read(&answer, self.speaks_json(), self.signal)),
                Err(refusal) => refusal,
            };
            let Retry::After(asked) = refusal.retry else { return Err(refusal.message) };
            if retries == RETRIES {
                return Err(refusal.message);
            }
            // A delay the collector asks for is waited for, and later ones
            // grow from it.
            if let Some(asked) = asked {
                backoff = backoff.max(asked.min(LONGEST_ASKED_DELAY));
            }
            let delay = (backoff + jitter()).min(backoff.max(LONGEST_DELAY));
            if started.elapsed() + delay >= self.budget {
                return Err(refusal.message);
            }
            tokio::time::sleep(delay).await;
            backoff = (backoff * 2).min(backoff.max(LONGEST_DELAY));
            retries += 1;
        }
    }

    /// One attempt; the collector's answer, once it accepts the request.
    async fn attempt(&self, body: &Bytes) -> Result<Bytes, Refusal> {
        match &self.connection {
            Connection::Grpc { channel, method, metadata, gzip } => {
                let mut client = tonic::client::Grpc::new(channel.clone());
                if *gzip {
                    client =
                        client.send_compressed(CompressionEncoding::Gzip).accept_compressed(CompressionEncoding::Gzip);
                }
                client.ready().await.map_err(|error| Refusal {
                    message: format!("cannot reach the collector: {}", chain(&error)),
                    retry: Retry::After(None),
                })?;
                let mut request = tonic::Request::new(body.clone());
                *request.metadata_mut() = metadata.clone();
                let path = http::uri::PathAndQuery::from_static(method);
                let answer = client.unary(request, path, PassThrough).await.map_err(grpc_refusal)?;
                Ok(answer.into_inner())
            }
            Connection::Http { client, url, headers, .. } => {
                let mut request = http::Request::post(url.clone()).body(body.clone()).expect("a valid URI and method");
                *request.headers_mut() = headers.clone();
                let response = client.send_bytes(request).await.map_err(|error| Refusal {
                    message: format!("the HTTP request failed: {}", chain(&*error)),
                    // An answer too large to read still took the spans:
                    // sending them again would duplicate them.
                    retry: match error.downcast_ref::<opentelemetry_http::ResponseBodyTooLarge>() {
                        Some(_) => Retry::No,
                        None => Retry::After(None),
                    },
                })?;
                if response.status().is_success() {
                    return Ok(response.into_body());
                }
                Err(http_refusal(response.status(), response.headers()))
            }
        }
    }
}

/// The OTLP specification's retryable gRPC codes; RESOURCE_EXHAUSTED only
/// when the collector says when to come back.
fn grpc_refusal(status: tonic::Status) -> Refusal {
    use tonic::Code;
    use tonic_types::StatusExt as _;
    let asked = status.get_details_retry_info().and_then(|info| info.retry_delay);
    let retry = match status.code() {
        Code::Cancelled | Code::DeadlineExceeded | Code::Aborted | Code::OutOfRange | Code::DataLoss => {
            Retry::After(None)
        }
        Code::Unavailable => Retry::After(asked.filter(|delay| !delay.is_zero())),
        Code::ResourceExhausted if asked.is_some() => Retry::After(asked),
        _ => Retry::No,
    };
    // The collector's message may echo a token sent in the metadata: the
    // code only, or tonic's own account of a failure on this side.
    let message = match std::error::Error::source(&status) {
        Some(source) => format!("the gRPC request failed ({:?}): {}", status.code(), chain(source)),
        None => format!("the collector answered gRPC status {:?}", status.code()),
    };
    Refusal { message, retry }
}

/// The OTLP specification's retryable HTTP statuses, with `Retry-After`
/// in seconds or as an HTTP date.
fn http_refusal(status: http::StatusCode, headers: &http::HeaderMap) -> Refusal {
    let asked = headers.get(http::header::RETRY_AFTER).and_then(|value| {
        let value = value.to_str().ok()?.trim();
        match value.parse::<u64>() {
            Ok(seconds) => Some(Duration::from_secs(seconds)),
            Err(_) => httpdate::parse_http_date(value).ok()?.duration_since(SystemTime::now()).ok(),
        }
    });
    let retry = match status.as_u16() {
        429 | 503 => Retry::After(asked),
        502 | 504 => Retry::After(None),
        _ => Retry::No,
    };
    Refusal { message: format!("the collector answered HTTP {status}"), retry }
}

/// The headers `settings` give, to send with every request.
pub(super) fn header_map(settings: &OtlpTarget) -> Result<http::HeaderMap, String> {
    let mut headers = http::HeaderMap::new();
    for (key, value) in &settings.headers {
        let name = key.parse::<http::HeaderName>().map_err(|_| format!("invalid header name {key:?}"))?;
        // The value is a secret: the error names only its header, and
        // neither `Debug` nor HTTP/2's header compression keeps it.
        let mut value: http::HeaderValue = value.0.parse().map_err(|_| format!("invalid value for header {key:?}"))?;
        value.set_sensitive(true);
        // A header given twice (the environment's, then the builder's)
        // is sent once, with the last value.
        headers.insert(name, value);
    }
    Ok(headers)
}

/// An error with its causes, as one line.
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut line = error.to_string();
    let mut cause = error.source();
    while let Some(error) = cause {
        let text = error.to_string();
        if !line.contains(&text) {
            line = format!("{line}: {text}");
        }
        cause = error.source();
    }
    line
}

/// Up to [`JITTER_MS`] milliseconds, so that exporters that failed together
/// do not all retry together.
fn jitter() -> Duration {
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map_or(0, |since| since.subsec_nanos());
    Duration::from_millis(u64::from(nanos % (JITTER_MS + 1)))
}

fn gzipped(body: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::with_capacity(body.len() / 4), flate2::Compression::default());
    encoder.write_all(body).and_then(|()| encoder.finish()).map_err(|error| format!("cannot gzip the request: {error}"))
}

fn grpc_channel(url: &str, timeout: Duration, tls: &TlsPem) -> Result<Channel, String> {
    let endpoint = tonic::transport::Endpoint::from_shared(url.to_owned())
        .map_err(|error| format!("invalid endpoint: {}", chain(&error)))?;
    #[cfg(feature = "tls")]
    let endpoint = if url.starts_with("https://") {
        endpoint.tls_config(super::tls::grpc(tls)).map_err(|error| format!("TLS set-up failed: {}", chain(&error)))?
    } else {
        endpoint
    };
    #[cfg(not(feature = "tls"))]
    let _ = tls;
    let endpoint = endpoint.user_agent(USER_AGENT).map_err(|error| format!("invalid user agent: {}", chain(&error)))?;
    Ok(endpoint.timeout(timeout).connect_lazy())
}

/// Sends the bytes already encoded; gives the collector's answer as it
/// came, for its partial success to be read.
#[derive(Clone, Copy)]
struct PassThrough;

impl Codec for PassThrough {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = PassThrough;
    type Decoder = PassThrough;

    fn encoder(&mut self) -> Self::Encoder {
        PassThrough
    }

    fn decoder(&mut self) -> Self::Decoder {
        PassThrough
    }
}

impl Encoder for PassThrough {
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(&mut self, item: Bytes, destination: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        bytes::BufMut::put(destination, item);
        Ok(())
    }
}

impl Decoder for PassThrough {
    type Item = Bytes;
    type Error = tonic::Status;

    fn decode(&mut self, source: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, tonic::Status> {
        let length = bytes::Buf::remaining(source);
        Ok(Some(bytes::Buf::copy_to_bytes(source, length)))
    }
}

/// The HTTP/1 client: TLS to `https://` and plain text to `http://` in a
/// build with TLS, plain text only without (`https://` is refused before this).
#[cfg(feature = "tls")]
pub(super) type HttpTransportClient = opentelemetry_http::hyper::HyperClient<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
>;
#[cfg(not(feature = "tls"))]
pub(super) type HttpTransportClient =
    opentelemetry_http::hyper::HyperClient<hyper_util::client::legacy::connect::HttpConnector>;

#[cfg(feature = "tls")]
pub(super) use super::tls::http_client;

#[cfg(not(feature = "tls"))]
pub(super) fn http_client(timeout: Duration, _tls: &TlsPem) -> Result<HttpTransportClient, String> {
    Ok(opentelemetry_http::hyper::HyperClient::with_default_connector(timeout, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_statuses_are_retried_after_the_delay_asked_for() {
        let mut headers = http::HeaderMap::new();
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("3"));
        let refusal = http_refusal(http::StatusCode::TOO_MANY_REQUESTS, &headers);
        assert_eq!(refusal.retry, Retry::After(Some(Duration::from_secs(3))));
        let in_a_minute = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(61));
        headers.insert(http::header::RETRY_AFTER, http::HeaderValue::from_str(&in_a_minute).unwrap());
        let Retry::After(Some(asked)) = http_refusal(http::StatusCode::SERVICE_UNAVAILABLE, &headers).retry else {
            panic!("a date is a delay asked for");
        };
        assert!(asked > Duration::from_secs(55) && asked <= Duration::from_secs(61), "{asked:?}");
        let refusal = http_refusal(http::StatusCode::BAD_GATEWAY, &headers);
        assert_eq!(refusal.retry, Retry::After(None));
        let refusal = http_refusal(http::StatusCode::BAD_REQUEST, &headers);
        assert_eq!(refusal.retry, Retry::No);
        assert_eq!(refusal.message, "the collector answered HTTP 400 Bad Request");
    }

    #[test]
    fn a_header_given_twice_is_sent_once_with_the_last_value_and_kept_out_of_debug_output() {
        use super::super::settings::Secret;
        let settings = OtlpTarget {
            headers: vec![
                ("authorization".to_owned(), Secret("Bearer from-the-environment".to_owned())),
                ("authorization".to_owned(), Secret("Bearer from-the-builder".to_owned())),
            ],
            ..OtlpTarget::default()
        };
        let headers = header_map(&settings).unwrap();
        let sent: Vec<_> = headers.get_all(http::header::AUTHORIZATION).iter().collect();
        assert_eq!(sent, ["Bearer from-the-builder"]);
        assert!(!format!("{headers:?}").contains("from-the-builder"), "{headers:?}");
    }

    #[test]
    fn grpc_codes_are_retried_as_the_specification_lists_them() {
        use tonic::Code;
        let retried = |code| grpc_refusal(tonic::Status::new(code, "secret token abc")).retry != Retry::No;
        for code in [Code::Cancelled, Code::DeadlineExceeded, Code::Aborted, Code::OutOfRange, Code::DataLoss] {
            assert!(retried(code), "{code:?}");
        }
        assert!(retried(Code::Unavailable));
        for code in [Code::InvalidArgument, Code::Unauthenticated, Code::PermissionDenied, Code::ResourceExhausted] {
            assert!(!retried(code), "{code:?}");
        }
        let refusal = grpc_refusal(tonic::Status::new(Code::Unauthenticated, "secret token abc"));
        assert!(!refusal.message.contains("secret"), "{}", refusal.message);
    }
}
