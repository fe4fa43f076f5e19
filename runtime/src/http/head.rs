//! What a request says of itself, read once, as the span's name and its
//! attributes under the HTTP and gRPC semantic conventions.

use super::exchange::Side;
use crate::facade::open::SpanStart;
use crate::metered::RequestInstrument;
use crate::support::conventions::{
    CLIENT_ADDRESS, HTTP_REQUEST_HEADER, HTTP_REQUEST_METHOD, HTTP_REQUEST_METHOD_ORIGINAL, HTTP_ROUTE,
    NETWORK_PROTOCOL_VERSION, RPC_METHOD, RPC_SERVICE, RPC_SYSTEM, SERVER_ADDRESS, SERVER_PORT, URL_FULL, URL_PATH,
    URL_QUERY, URL_SCHEME, USER_AGENT_ORIGINAL,
};
use http::{HeaderMap, Method, Version};
use opentelemetry::trace::SpanKind;
use opentelemetry::{Array, KeyValue, StringValue, Value};
use std::borrow::Cow;

/// The parts of a request a span is made of, borrowed from an
/// `http::Request` or a `reqwest::Request`.
pub(crate) struct RequestHead<'a> {
    pub(crate) method: &'a Method,
    pub(crate) scheme: Option<&'a str>,
    pub(crate) host: Option<&'a str>,
    pub(crate) port: Option<u16>,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) version: Version,
    pub(crate) headers: &'a HeaderMap,
}

/// gRPC's service and method, read from a request's path.
#[derive(Clone, Copy)]
pub(crate) struct GrpcCall<'a> {
    pub(crate) service: &'a str,
    pub(crate) method: &'a str,
}

/// What the server knows beyond the request line: filled in by the server
/// layer from its options and the framework's extensions.
#[derive(Default)]
pub(crate) struct ServerFacts<'a> {
    pub(crate) route: Option<&'a str>,
    pub(crate) peer: Option<String>,
    pub(crate) record_query: bool,
    pub(crate) headers: &'a [String],
    pub(crate) name: Option<String>,
}

impl<'a> RequestHead<'a> {
    /// The request of a tower service. A server sees the host in the `Host`
    /// header (HTTP/1) or the URI (HTTP/2); a client in the URI.
    pub(crate) fn of(request: &'a http::request::Parts) -> Self {
        let uri = &request.uri;
        let (host, port) = match uri.host() {
            Some(host) => (Some(host), uri.port_u16()),
            None => split_host(request.headers.get(http::header::HOST).and_then(|host| host.to_str().ok())),
        };
        RequestHead {
            method: &request.method,
            scheme: uri.scheme_str(),
            host,
            port,
            path: uri.path(),
            query: uri.query(),
            version: request.version,
            headers: &request.headers,
        }
    }

    /// The service and method of a gRPC call: its content type says gRPC
    /// and its path is `/{service}/{method}`.
    pub(crate) fn grpc(&self) -> Option<GrpcCall<'a>> {
        let content_type = self.headers.get(http::header::CONTENT_TYPE)?.as_bytes();
        if !content_type.starts_with(b"application/grpc") {
            return None;
        }
        let (service, method) = self.path.strip_prefix('/')?.split_once('/')?;
        (!service.is_empty() && !method.is_empty() && !method.contains('/')).then_some(GrpcCall { service, method })
    }

    /// The server span: `{method} {route}` (or `{method}` alone: never the
    /// raw path, which would make a name per id), or `{service}/{method}`.
    pub(crate) fn server_start(&self, facts: ServerFacts<'_>) -> SpanStart {
        let grpc = self.grpc();
        let mut attributes = Vec::with_capacity(12);
        let name = match grpc {
            Some(call) => self.grpc_attributes(call, &mut attributes),
            None => {
                let method = self.method_attributes(&mut attributes);
                attributes.push(KeyValue::new(URL_PATH, self.path.to_owned()));
                attributes.push(KeyValue::new(URL_SCHEME, self.scheme.unwrap_or("http").to_owned()));
                if let (true, Some(query)) = (facts.record_query, self.query) {
                    attributes.push(KeyValue::new(URL_QUERY, query.to_owned()));
                }
                match facts.route {
                    Some(route) => {
                        attributes.push(KeyValue::new(HTTP_ROUTE, route.to_owned()));
                        format!("{method} {route}")
                    }
                    None => method.to_owned(),
                }
            }
        };
        self.server_address(&mut attributes);
        if let Some(peer) = forwarded_client(self.headers).map(str::to_owned).or(facts.peer) {
            attributes.push(KeyValue::new(CLIENT_ADDRESS, peer));
        }
        if let Some(agent) = self.headers.get(http::header::USER_AGENT).and_then(|agent| agent.to_str().ok()) {
            attributes.push(KeyValue::new(USER_AGENT_ORIGINAL, agent.to_owned()));
        }
        self.header_attributes(facts.headers, &mut attributes);
        SpanStart {
            name: Cow::Owned(facts.name.unwrap_or(name)),
            kind: SpanKind::Server,
            code: None,
            attributes,
            started: None,
        }
    }

    /// The client span: `{method}`, or `{service}/{method}` for gRPC.
    pub(crate) fn client_start(&self) -> SpanStart {
        let mut attributes = Vec::with_capacity(8);
        let name = match self.grpc() {
            Some(call) => self.grpc_attributes(call, &mut attributes),
            None => {
                let method = self.method_attributes(&mut attributes).to_owned();
                if let (Some(scheme), Some(host)) = (self.scheme, self.host) {
                    // The query is left out: it often carries tokens.
                    let port = self.port.map(|port| format!(":{port}")).unwrap_or_default();
                    attributes.push(KeyValue::new(URL_FULL, format!("{scheme}://{host}{port}{}", self.path)));
                }
                method
            }
        };
        self.server_address(&mut attributes);
        SpanStart { name: Cow::Owned(name), kind: SpanKind::Client, code: None, attributes, started: None }
    }

    /// The instrument of this request's duration and the attributes the
    /// conventions give it (the outcome's are added when it ends): few, of
    /// low cardinality, the route template rather than the path.
    pub(crate) fn metric_attributes(&self, side: Side, route: Option<&str>) -> (RequestInstrument, Vec<KeyValue>) {
        let mut attributes = Vec::with_capacity(7);
        if let Some(call) = self.grpc() {
            self.grpc_attributes(call, &mut attributes);
            let instrument = match side {
                Side::Server => RequestInstrument::RpcServer,
                Side::Client => RequestInstrument::RpcClient,
            };
            return (instrument, attributes);
        }
        self.method_attributes(&mut attributes);
        attributes.retain(|kv| kv.key.as_str() != HTTP_REQUEST_METHOD_ORIGINAL);
        match side {
            Side::Server => {
                attributes.push(KeyValue::new(URL_SCHEME, self.scheme.unwrap_or("http").to_owned()));
                if let Some(route) = route {
                    attributes.push(KeyValue::new(HTTP_ROUTE, route.to_owned()));
                }
                (RequestInstrument::HttpServer, attributes)
            }
            Side::Client => {
                self.server_address(&mut attributes);
                (RequestInstrument::HttpClient, attributes)
            }
        }
    }

    /// `http.request.method` and the protocol version; gives the method as
    /// the conventions name it: one of the known ones, else `HTTP`.
    fn method_attributes(&self, attributes: &mut Vec<KeyValue>) -> &'static str {
        let known = known_method(self.method);
        attributes.push(KeyValue::new(HTTP_REQUEST_METHOD, known.unwrap_or("_OTHER")));
        if known.is_none() {
            attributes.push(KeyValue::new(HTTP_REQUEST_METHOD_ORIGINAL, self.method.as_str().to_owned()));
        }
        if let Some(version) = protocol_version(self.version) {
            attributes.push(KeyValue::new(NETWORK_PROTOCOL_VERSION, version));
        }
        known.unwrap_or("HTTP")
    }

    fn grpc_attributes(&self, call: GrpcCall<'_>, attributes: &mut Vec<KeyValue>) -> String {
        attributes.push(KeyValue::new(RPC_SYSTEM, "grpc"));
        attributes.push(KeyValue::new(RPC_SERVICE, call.service.to_owned()));
        attributes.push(KeyValue::new(RPC_METHOD, call.method.to_owned()));
        format!("{}/{}", call.service, call.method)
    }

    fn server_address(&self, attributes: &mut Vec<KeyValue>) {
        let Some(host) = self.host else { return };
        attributes.push(KeyValue::new(SERVER_ADDRESS, host.to_owned()));
        let port = self.port.or(match self.scheme {
            Some("https") => Some(443),
            Some("http") => Some(80),
            _ => None,
        });
        if let Some(port) = port {
            attributes.push(KeyValue::new(SERVER_PORT, i64::from(port)));
        }
    }

    /// `http.request.header.<name>`, a list of the header's values, for the
    /// names asked for (lowercase, secrets already refused).
    fn header_attributes(&self, names: &[String], attributes: &mut Vec<KeyValue>) {
        for name in names {
            let values: Vec<StringValue> = self
                .headers
                .get_all(name.as_str())
                .iter()
                .filter_map(|value| value.to_str().ok())
                .map(|value| StringValue::from(value.to_owned()))
                .collect();
            if !values.is_empty() {
                attributes
                    .push(KeyValue::new(format!("{HTTP_REQUEST_HEADER}.{name}"), Value::Array(Array::String(values))));
            }
        }
    }
}

fn known_method(method: &Method) -> Option<&'static str> {
    Some(match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => return None,
    })
}

pub(crate) fn protocol_version(version: Version) -> Option<&'static str> {
    Some(match version {
        Version::HTTP_09 => "0.9",
        Version::HTTP_10 => "1.0",
        Version::HTTP_11 => "1.1",
        Version::HTTP_2 => "2",
        Version::HTTP_3 => "3",
        _ => return None,
    })
}

/// `host` or `host:port` of a `Host` header; `[::1]:8080` for IPv6.
fn split_host(host: Option<&str>) -> (Option<&str>, Option<u16>) {
    let Some(host) = host else { return (None, None) };
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            (name, port.parse().ok())
        }
        _ => (host, None),
    };
    (Some(name.trim_start_matches('[').trim_end_matches(']')), port)
}

/// The first client a proxy names, in `Forwarded: for=..` or
/// `X-Forwarded-For`, as the conventions prefer over the socket's peer.
fn forwarded_client(headers: &HeaderMap) -> Option<&str> {
    let forwarded = headers.get(http::header::FORWARDED).and_then(|value| value.to_str().ok()).and_then(|value| {
        let first = value.split(',').next()?;
        let client = first
            .split(';')
            .find_map(|pair| pair.trim().strip_prefix("for=").or_else(|| pair.trim().strip_prefix("For=")))?;
        Some(client.trim_matches('"'))
    });
    forwarded
        .or_else(|| {
            let value = headers.get("x-forwarded-for")?.to_str().ok()?;
            Some(value.split(',').next()?.trim())
        })
        .filter(|client| !client.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_header_splits_into_name_and_port() {
        assert_eq!(split_host(Some("example.com:8080")), (Some("example.com"), Some(8080)));
        assert_eq!(split_host(Some("example.com")), (Some("example.com"), None));
        assert_eq!(split_host(Some("[::1]:3000")), (Some("::1"), Some(3000)));
        assert_eq!(split_host(Some("[::1]")), (Some("::1"), None));
        assert_eq!(split_host(None), (None, None));
    }

    #[test]
    fn the_first_forwarded_client_is_the_client() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "203.0.113.7, 10.0.0.1".parse().unwrap());
        assert_eq!(forwarded_client(&headers), Some("203.0.113.7"));
        headers.insert(http::header::FORWARDED, "for=\"198.51.100.2\";proto=https, for=10.0.0.1".parse().unwrap());
        assert_eq!(forwarded_client(&headers), Some("198.51.100.2"));
    }

    #[test]
    fn a_grpc_call_is_known_by_its_content_type_and_path() {
        let request =
            http::Request::post("http://localhost:4317/opentelemetry.proto.collector.trace.v1.TraceService/Export")
                .header("content-type", "application/grpc+proto")
                .body(())
                .unwrap()
                .into_parts()
                .0;
        let call = RequestHead::of(&request).grpc().unwrap();
        assert_eq!((call.service, call.method), ("opentelemetry.proto.collector.trace.v1.TraceService", "Export"));
        let plain = http::Request::post("http://localhost/a/b").body(()).unwrap().into_parts().0;
        assert!(RequestHead::of(&plain).grpc().is_none());
    }

    #[test]
    fn an_unknown_method_is_other_with_the_original_kept() {
        let request = http::Request::builder().method("PURGE").uri("http://cache/x").body(()).unwrap().into_parts().0;
        let start = RequestHead::of(&request).client_start();
        assert_eq!(start.name, "HTTP");
        let value =
            |key: &str| start.attributes.iter().find(|kv| kv.key.as_str() == key).map(|kv| kv.value.to_string());
        assert_eq!(value(HTTP_REQUEST_METHOD).as_deref(), Some("_OTHER"));
        assert_eq!(value(HTTP_REQUEST_METHOD_ORIGINAL).as_deref(), Some("PURGE"));
        assert_eq!(value(URL_FULL).as_deref(), Some("http://cache/x"));
        assert_eq!(value(SERVER_PORT).as_deref(), Some("80"));
    }
}
