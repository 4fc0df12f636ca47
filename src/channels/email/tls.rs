//! The one TLS client configuration of the program: rustls on the ring provider, trusting
//! the Mozilla roots shipped in `webpki-roots` plus, when the account names one, the
//! certificates of its `ca_file` (a self-signed server, the tests' Dovecot).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;

/// Why a TLS client configuration could not be built.
#[derive(Debug, thiserror::Error)]
pub enum TlsConfigError {
    /// The CA file could not be read or holds no usable PEM certificate.
    #[error("CA file {}: {reason}", path.display())]
    CaFile {
        /// The file named by `ca_file`.
        path: PathBuf,
        /// What was wrong with it, one line.
        reason: String,
    },
    /// rustls refused the configuration (no protocol version the provider supports).
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// A client configuration trusting the webpki roots and the certificates in `ca_file`.
///
/// # Errors
/// A `ca_file` that cannot be read, holds no certificate, or holds one rustls rejects as
/// a trust anchor; the error names the file.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<ClientConfig>, TlsConfigError> {
    let mut roots = RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = ca_file {
        for cert in read_certificates(path)? {
            roots.add(cert).map_err(|e| TlsConfigError::CaFile {
                path: path.to_path_buf(),
                reason: format!("unusable certificate: {e}"),
            })?;
        }
    }
    // The provider is named rather than taken from the process default, so this works
    // whether or not main installed one, and never picks aws-lc-rs.
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Every certificate in a PEM file; an empty one is an error, since trusting nothing
/// extra is surely not what the config meant.
fn read_certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsConfigError> {
    let fail = |reason: String| TlsConfigError::CaFile {
        path: path.to_path_buf(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(fail("no PEM certificate in it".into()));
    }
    Ok(certs)
}
