//! HTTPS with rustls (ring provider): the server configuration for `serve --tls`, optional or
//! required client certificates issued by sfstub's CA (or an extra CA), and the request
//! extension that carries a client's certificate to [`crate::http::handle`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{ClientConfig, RootCertStore, ServerConfig};

use crate::security::keys::{Identity, KeyError, KeyMaterial};

/// Whether the server asks for a TLS client certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ClientAuth {
    /// Never asks.
    #[default]
    Off,
    /// Asks; a client without one is served, one with a certificate not issued by a trusted CA
    /// is refused.
    Optional,
    /// A client without a certificate issued by a trusted CA is refused during the handshake.
    Required,
}

/// The end-entity certificate (DER) the TLS client presented, inserted into each request's
/// extensions by [`crate::server`] when there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate(pub Vec<u8>);

/// Why a TLS configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("{}: {reason}", file.display())]
    ClientCa { file: PathBuf, reason: String },
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("TLS client certificate verification: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn private_key(identity: &Identity) -> Result<PrivateKeyDer<'static>, TlsError> {
    Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        identity.key.pkcs8_der().to_vec(),
    )))
}

fn chain(identity: &Identity) -> Vec<CertificateDer<'static>> {
    std::iter::once(&identity.cert_der)
        .chain(&identity.chain_der)
        .map(|d| CertificateDer::from(d.clone()))
        .collect()
}

/// The server configuration for `keys.tls`: HTTP/1.1 by ALPN, client certificates per
/// `client_auth`, trusting those issued by sfstub's CA and, if given, by the CA certificates
/// in the PEM file `extra_client_ca`.
pub fn server_config(
    keys: &KeyMaterial,
    client_auth: ClientAuth,
    extra_client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider()).with_safe_default_protocol_versions()?;
    let builder = match client_auth {
        ClientAuth::Off => builder.with_no_client_auth(),
        ClientAuth::Optional | ClientAuth::Required => {
            let mut roots = RootCertStore::empty();
            roots.add(CertificateDer::from(keys.ca.cert_der.clone()))?;
            if let Some(file) = extra_client_ca {
                add_pem_roots(&mut roots, file)?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider());
            let verifier = if client_auth == ClientAuth::Optional {
                verifier.allow_unauthenticated()
            } else {
                verifier
            };
            builder.with_client_cert_verifier(verifier.build()?)
        }
    };
    let mut config = builder.with_single_cert(chain(&keys.tls), private_key(&keys.tls)?)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn add_pem_roots(roots: &mut RootCertStore, file: &Path) -> Result<(), TlsError> {
    let text = std::fs::read(file).map_err(|e| TlsError::ClientCa {
        file: file.to_owned(),
        reason: e.to_string(),
    })?;
    let mut added = 0;
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(&text) {
        let cert: CertificateDer<'static> = cert.map_err(|e| TlsError::ClientCa {
            file: file.to_owned(),
            reason: format!("not a PEM certificate file: {e}"),
        })?;
        roots.add(cert).map_err(|e| TlsError::ClientCa {
            file: file.to_owned(),
            reason: format!("not a usable CA certificate: {e}"),
        })?;
        added += 1;
    }
    if added == 0 {
        return Err(TlsError::ClientCa {
            file: file.to_owned(),
            reason: "no \"-----BEGIN CERTIFICATE-----\" section found".into(),
        });
    }
    Ok(())
}

/// A client configuration trusting the DER certificates `trust` (e.g. sfstub's CA) and
/// presenting `client` if given: what a test or a tool needs to talk to `serve --tls`.
pub fn client_config(trust: &[Vec<u8>], client: Option<&Identity>) -> Result<Arc<ClientConfig>, TlsError> {
    let mut roots = RootCertStore::empty();
    for der in trust {
        roots.add(CertificateDer::from(der.clone()))?;
    }
    let builder = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots);
    let mut config = match client {
        Some(id) => builder.with_client_auth_cert(chain(id), private_key(id)?)?,
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
