//! `https://` OTLP endpoints are verified TLS: a certificate from a CA the
//! program does not trust is refused; a CA given by file is trusted; a
//! client certificate is presented for mutual TLS. Checked against a
//! loopback receiver with certificates made by a private CA at test time.

mod common;

use common::receiver::{spans, Receiver};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;
use tracekit::{trace_operation, Config, ConfigError, InitError, Protocol};
use tracekit_tests::tls::Pki;

static INSTALL: Mutex<()> = Mutex::new(());

const PROTOCOLS: [Protocol; 3] = [Protocol::Grpc, Protocol::HttpProtobuf, Protocol::HttpJson];

#[trace_operation]
fn secured(step: u32) -> u32 {
    step * 2
}

/// Sends three spans with `config` to the receiver over `protocol`;
/// returns how many arrived.
fn send(receiver: &Receiver, protocol: Protocol, config: Config) -> usize {
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let before = spans(&receiver.exports()).len();
    let guard = config
        .otlp(|otlp| otlp.endpoint(receiver.endpoint(protocol)).protocol(protocol).timeout(Duration::from_secs(2)))
        .install()
        .expect("TLS settings are valid");
    for step in 0..3 {
        secured(step);
    }
    drop(guard);
    spans(&receiver.exports()).len() - before
}

#[test]
fn a_certificate_from_an_untrusted_ca_is_refused() {
    let pki = Pki::new("tracekit test CA");
    let receiver = Receiver::start_tls(&pki, false);
    for protocol in PROTOCOLS {
        // The system's roots do not include the test CA.
        assert_eq!(send(&receiver, protocol, Config::new()), 0, "{protocol:?}");
    }
    assert_eq!(receiver.attempts(), 0, "no request gets past a refused handshake");
}

#[test]
fn a_certificate_from_another_ca_than_the_one_given_is_refused() {
    let pki = Pki::new("tracekit test CA");
    let other = Pki::new("another CA").write();
    let receiver = Receiver::start_tls(&pki, false);
    for protocol in PROTOCOLS {
        assert_eq!(
            send(&receiver, protocol, Config::new().otlp(|otlp| otlp.certificate(&other.ca))),
            0,
            "{protocol:?}"
        );
    }
    assert_eq!(receiver.attempts(), 0);
}

#[test]
fn the_given_ca_is_trusted() {
    let pki = Pki::new("tracekit test CA");
    let files = pki.write();
    let receiver = Receiver::start_tls(&pki, false);
    for protocol in PROTOCOLS {
        assert_eq!(
            send(&receiver, protocol, Config::new().otlp(|otlp| otlp.certificate(&files.ca))),
            3,
            "{protocol:?}"
        );
    }
}

#[test]
fn mutual_tls_presents_the_client_certificate() {
    let pki = Pki::new("tracekit test CA");
    let files = pki.write();
    let receiver = Receiver::start_tls(&pki, true);
    for protocol in PROTOCOLS {
        let without_identity = Config::new().otlp(|otlp| otlp.certificate(&files.ca));
        assert_eq!(
            send(&receiver, protocol, without_identity),
            0,
            "{protocol:?}: refused without a client certificate"
        );
        let with_identity = Config::new()
            .otlp(|otlp| otlp.certificate(&files.ca).client_identity(&files.client_certificate, &files.client_key));
        assert_eq!(send(&receiver, protocol, with_identity), 3, "{protocol:?}");
    }
}

#[test]
fn the_tls_files_come_from_the_standard_variables() {
    let pki = Pki::new("tracekit test CA");
    let files = pki.write();
    let receiver = Receiver::start_tls(&pki, true);
    let output = Command::new(env!("CARGO_BIN_EXE_otlp"))
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", &receiver.grpc_endpoint)
        .env("OTEL_EXPORTER_OTLP_CERTIFICATE", &files.ca)
        .env("OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE", &files.client_certificate)
        .env("OTEL_EXPORTER_OTLP_CLIENT_KEY", &files.client_key)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(!spans(&receiver.exports()).is_empty(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn an_unreadable_or_wrong_tls_file_is_an_error_naming_the_setting_and_the_path() {
    let pki = Pki::new("tracekit test CA");
    let files = pki.write();
    let vars = |pairs: &[(&str, String)]| {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        move |name: &str| pairs.iter().find(|(key, _)| key == name).map(|(_, value)| value.clone())
    };
    let path = |path: &std::path::Path| path.display().to_string();
    let cases = [
        (vec![("OTEL_EXPORTER_OTLP_CERTIFICATE", "/no/such/ca.pem".to_owned())], "OTEL_EXPORTER_OTLP_CERTIFICATE"),
        // A key where a certificate belongs.
        (
            vec![("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", path(&files.client_key))],
            "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
        ),
        // A certificate without its key.
        (
            vec![("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", path(&files.client_certificate))],
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
        ),
    ];
    let _lock = INSTALL.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    for (mut pairs, variable) in cases {
        pairs.push(("TRACING_EXPORTER", "otlp".to_owned()));
        let config = Config::from_lookup(vars(&pairs)).expect("paths are read at installation");
        let error = config.install().expect_err(variable);
        let InitError::Config(ConfigError::InvalidValue { variable: named, value, .. }) = &error else {
            panic!("{error:?}");
        };
        assert_eq!(*named, variable);
        assert_eq!(value, &pairs[0].1, "the path is shown");
        assert!(error.to_string().contains(variable), "{error}");
    }
}
