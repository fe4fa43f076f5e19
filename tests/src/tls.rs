//! A private certificate authority made at test time, with a server
//! certificate for loopback and a client certificate for mutual TLS.
#![allow(missing_docs)]

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A CA and what it signed, as PEM text.
pub struct Pki {
    pub ca: String,
    pub server_certificate: String,
    pub server_key: String,
    pub client_certificate: String,
    pub client_key: String,
}

impl Pki {
    /// A fresh CA named `name`; the server certificate is for `localhost` and `127.0.0.1`.
    pub fn new(name: &str) -> Pki {
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, name);
        let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();

        let signed = |names: Vec<String>, purpose: ExtendedKeyUsagePurpose| {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(names).unwrap();
            params.extended_key_usages = vec![purpose];
            (params.signed_by(&key, &ca).unwrap().pem(), key.serialize_pem())
        };
        let (server_certificate, server_key) =
            signed(vec!["localhost".into(), "127.0.0.1".into()], ExtendedKeyUsagePurpose::ServerAuth);
        let (client_certificate, client_key) =
            signed(vec!["tracekit-client".into()], ExtendedKeyUsagePurpose::ClientAuth);
        Pki { ca: ca.pem(), server_certificate, server_key, client_certificate, client_key }
    }

    /// Writes the PEM files into a fresh directory; returns the directory.
    pub fn write(&self) -> PemFiles {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let unique = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("tracekit-pki-{}-{unique}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, contents: &str| {
            let path = dir.join(name);
            std::fs::write(&path, contents).unwrap();
            path
        };
        PemFiles {
            ca: write("ca.pem", &self.ca),
            client_certificate: write("client.pem", &self.client_certificate),
            client_key: write("client.key", &self.client_key),
            dir: dir.clone(),
        }
    }

    /// A rustls configuration for an HTTP/1.1 server; with
    /// `require_client_certificate`, only clients with a certificate from
    /// this CA get through.
    pub fn http_server_config(&self, require_client_certificate: bool) -> Arc<rustls::ServerConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client_certificate {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(CertificateDer::from_pem_slice(self.ca.as_bytes()).unwrap()).unwrap();
            let verifier =
                rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build().unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        let chain = CertificateDer::pem_slice_iter(self.server_certificate.as_bytes()).map(Result::unwrap).collect();
        let key = PrivateKeyDer::from_pem_slice(self.server_key.as_bytes()).unwrap();
        let mut config = builder.with_single_cert(chain, key).unwrap();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    }
}

/// The PEM files a client is configured with; removed when dropped.
pub struct PemFiles {
    pub ca: PathBuf,
    pub client_certificate: PathBuf,
    pub client_key: PathBuf,
    dir: PathBuf,
}

impl Drop for PemFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
