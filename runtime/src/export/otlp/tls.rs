//! TLS for OTLP (features `tls-ring`, `tls-aws-lc`): rustls with the given
//! CA or else the system's roots, and the client identity if any. The crypto
//! provider is the feature's, given to each client: nothing process-wide is
//! set, so the program's own TLS clients are left as they were.

use super::settings::TlsPem;
use opentelemetry_http::hyper::HyperClient;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use std::time::Duration;

#[cfg(not(any(feature = "tls-ring", feature = "tls-aws-lc")))]
compile_error!("tracekit's TLS needs a crypto provider: enable its `tls-ring` or `tls-aws-lc` feature");

/// The program's default provider if it installed one, else the feature's.
fn provider() -> Arc<CryptoProvider> {
    if let Some(installed) = CryptoProvider::get_default() {
        return installed.clone();
    }
    #[cfg(feature = "tls-aws-lc")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(all(feature = "tls-ring", not(feature = "tls-aws-lc")))]
    let provider = rustls::crypto::ring::default_provider();
    Arc::new(provider)
}

/// gRPC's TLS. The OTLP crate's default trusts no root at all, hence the
/// system's roots when no CA is given.
pub(super) fn grpc(tls: &TlsPem) -> tonic::transport::ClientTlsConfig {
    use tonic::transport::{Certificate, ClientTlsConfig, Identity};
    let config = match &tls.ca {
        Some(ca) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(ca)),
        None => ClientTlsConfig::new().with_enabled_roots(),
    };
    match &tls.identity {
        Some((certificate, key)) => config.identity(Identity::from_pem(certificate, key)),
        None => config,
    }
}

/// The HTTP/1 client, speaking TLS to `https://` and plain text to `http://`.
pub(super) fn http_client(
    timeout: Duration,
    tls: &TlsPem,
) -> Result<HyperClient<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>>, String> {
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(client_config(tls)?)
        .https_or_http()
        .enable_http1()
        .build();
    Ok(HyperClient::new(connector, timeout, None))
}

fn client_config(tls: &TlsPem) -> Result<rustls::ClientConfig, String> {
    let mut roots = rustls::RootCertStore::empty();
    match &tls.ca {
        Some(ca) => {
            for certificate in CertificateDer::pem_slice_iter(ca) {
                let certificate = certificate.map_err(|error| format!("invalid CA certificate: {error}"))?;
                roots.add(certificate).map_err(|error| format!("invalid CA certificate: {error}"))?;
            }
        }
        None => {
            // A system store with a few unreadable entries still serves with the rest.
            let (added, _ignored) = roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
            if added == 0 {
                return Err("no trusted root certificates found on this system; give a CA with \
                            OTEL_EXPORTER_OTLP_CERTIFICATE"
                    .to_owned());
            }
        }
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| format!("TLS set-up failed: {error}"))?
        .with_root_certificates(roots);
    match &tls.identity {
        Some((chain, key)) => {
            let chain = CertificateDer::pem_slice_iter(chain)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| format!("invalid client certificate: {error}"))?;
            let key = PrivateKeyDer::from_pem_slice(key).map_err(|error| format!("invalid client key: {error}"))?;
            builder.with_client_auth_cert(chain, key).map_err(|error| format!("invalid client identity: {error}"))
        }
        None => Ok(builder.with_no_client_auth()),
    }
}
