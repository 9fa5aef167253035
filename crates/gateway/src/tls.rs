//! TLS for the edge listener: certificates from files, or a self-signed development certificate
//! (`serve --dev-tls`) for browsers and clients that insist on `https://`.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::ServerConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: io::Error },
    #[error("{path} is not valid PEM: {source}")]
    Pem {
        path: PathBuf,
        source: rustls::pki_types::pem::Error,
    },
    #[error("{path} holds no PEM certificate")]
    NoCertificate { path: PathBuf },
    #[error("{path} holds no PEM private key")]
    NoKey { path: PathBuf },
    #[error("invalid certificate or key: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("cannot generate a development certificate: {0}")]
    Generate(String),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: io::Error },
}

/// A development certificate and where it is stored.
pub struct DevCertificate {
    pub acceptor: TlsAcceptor,
    pub cert_file: PathBuf,
    /// SHA-256 fingerprint of the certificate, `AB:CD:...`, as browsers display it.
    pub fingerprint: String,
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_path_buf(),
        source,
    })
}

fn parse_pem(
    cert_pem: &[u8],
    key_pem: &[u8],
    cert_path: &Path,
    key_path: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), TlsError> {
    // rustls-pki-types' own PEM reader (rustls-pemfile is unmaintained: RUSTSEC-2025-0134).
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|source| TlsError::Pem {
            path: cert_path.to_path_buf(),
            source,
        })?;
    if certs.is_empty() {
        return Err(TlsError::NoCertificate {
            path: cert_path.to_path_buf(),
        });
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|source| match source {
        pem::Error::NoItemsFound => TlsError::NoKey {
            path: key_path.to_path_buf(),
        },
        source => TlsError::Pem {
            path: key_path.to_path_buf(),
            source,
        },
    })?;
    Ok((certs, key))
}

fn acceptor(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<TlsAcceptor, TlsError> {
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(certs, key)?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// An acceptor for a PEM certificate chain and private key.
pub fn from_files(cert_file: &Path, key_file: &Path) -> Result<TlsAcceptor, TlsError> {
    let (certs, key) = parse_pem(&read(cert_file)?, &read(key_file)?, cert_file, key_file)?;
    acceptor(certs, key)
}

/// Loads the development certificate from `dir`, generating it on first use. It is valid for
/// `localhost`, `*.execute-api.localhost`, `127.0.0.1`, `::1` and the `extra_names` (the hosts of
/// the user pools' `issuer_base`, so that a verifier accepting only Cognito's issuer form can be
/// served locally), and reused across restarts so a browser exception, once granted, keeps
/// working — until the names change, when it is generated again.
pub fn dev_certificate(dir: &Path, extra_names: &[String]) -> Result<DevCertificate, TlsError> {
    let cert_file = dir.join("dev-cert.pem");
    let key_file = dir.join("dev-key.pem");
    // The names the certificate was made for, one per line: rcgen writes certificates but does
    // not read them, and this is all that decides whether it still fits.
    let names_file = dir.join("dev-cert.names");
    let mut names = vec![
        "localhost".to_string(),
        "*.execute-api.localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    for name in extra_names {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }
    let listed = names.join("\n");
    let current = cert_file.is_file()
        && key_file.is_file()
        // A certificate from before the names file existed names exactly the four defaults.
        && std::fs::read_to_string(&names_file)
            .map_or(extra_names.is_empty(), |written| written == listed);
    if !current {
        let generated = rcgen::generate_simple_self_signed(names)
            .map_err(|e| TlsError::Generate(e.to_string()))?;
        std::fs::create_dir_all(dir).map_err(|source| TlsError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        write_private(&key_file, generated.signing_key.serialize_pem().as_bytes())?;
        for (path, bytes) in [(&cert_file, generated.cert.pem()), (&names_file, listed)] {
            std::fs::write(path, bytes).map_err(|source| TlsError::Write {
                path: path.clone(),
                source,
            })?;
        }
    }
    let (certs, key) = parse_pem(&read(&cert_file)?, &read(&key_file)?, &cert_file, &key_file)?;
    let fingerprint = certs.first().map(|c| fingerprint(c)).unwrap_or_default();
    Ok(DevCertificate {
        acceptor: acceptor(certs, key)?,
        cert_file,
        fingerprint,
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), TlsError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|source| TlsError::Write {
            path: path.to_path_buf(),
            source,
        })
}

fn fingerprint(cert: &CertificateDer<'_>) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, cert.as_ref());
    digest
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dev_certificate_is_generated_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = dev_certificate(dir.path(), &[]).unwrap();
        let second = dev_certificate(dir.path(), &[]).unwrap();
        assert_eq!(first.fingerprint, second.fingerprint);
        assert_eq!(first.fingerprint.len(), 32 * 3 - 1);
        let acceptor = from_files(&first.cert_file, &dir.path().join("dev-key.pem"));
        assert!(acceptor.is_ok());
    }

    /// A TLS handshake with SNI `name` against `acceptor`, trusting only `cert_file`.
    async fn handshake(acceptor: TlsAcceptor, cert_file: &Path, name: &str) -> bool {
        let mut roots = rustls::RootCertStore::empty();
        let pem = std::fs::read(cert_file).unwrap();
        for cert in CertificateDer::pem_slice_iter(&pem) {
            roots.add(cert.unwrap()).unwrap();
        }
        let client = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
        let (client_io, server_io) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(async move { acceptor.accept(server_io).await.map(drop) });
        let name = rustls::pki_types::ServerName::try_from(name.to_string()).unwrap();
        // The client's stream stays open until the server is done (it sends session tickets
        // after the handshake, into a pipe that must not be closed yet).
        let client = connector.connect(name, client_io).await;
        let server = server.await.unwrap();
        client.is_ok() && server.is_ok()
    }

    #[tokio::test]
    async fn dev_certificate_names_the_extra_hosts_and_is_regenerated_when_they_change() {
        let dir = tempfile::tempdir().unwrap();
        let cognito = "cognito-idp.us-east-1.amazonaws.com";
        let plain = dev_certificate(dir.path(), &[]).unwrap();
        assert!(handshake(plain.acceptor, &plain.cert_file, "localhost").await);
        let plain = dev_certificate(dir.path(), &[]).unwrap();
        assert!(!handshake(plain.acceptor, &plain.cert_file, cognito).await);

        let named = dev_certificate(dir.path(), &[cognito.to_string()]).unwrap();
        assert_ne!(
            named.fingerprint, plain.fingerprint,
            "regenerated for the new name"
        );
        assert!(handshake(named.acceptor, &named.cert_file, cognito).await);
        let again = dev_certificate(dir.path(), &[cognito.to_string()]).unwrap();
        assert_eq!(
            again.fingerprint, named.fingerprint,
            "reused while the names hold"
        );
        assert!(handshake(again.acceptor, &again.cert_file, "127.0.0.1").await);
    }

    #[test]
    fn bad_files_are_reported() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "").unwrap();
        assert!(matches!(
            from_files(&empty, &empty),
            Err(TlsError::NoCertificate { .. })
        ));
        assert!(matches!(
            from_files(&dir.path().join("missing"), &empty),
            Err(TlsError::Read { .. })
        ));
        // A certificate file with no key in the key file, and a truncated PEM block.
        let dev = dev_certificate(dir.path(), &[]).unwrap();
        assert!(matches!(
            from_files(&dev.cert_file, &empty),
            Err(TlsError::NoKey { .. })
        ));
        let broken = dir.path().join("broken.pem");
        std::fs::write(&broken, "-----BEGIN CERTIFICATE-----\nAAAA\n").unwrap();
        assert!(matches!(
            from_files(&broken, &empty),
            Err(TlsError::Pem { .. })
        ));
    }
}
