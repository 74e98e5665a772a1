//! TLS to PostgreSQL as the JDBC driver (pgjdbc) configures it from `connection.url`:
//! `sslmode` `disable` / `allow` / `prefer` (the default: TLS when the server offers it) /
//! `require` (TLS, the certificate not checked) / `verify-ca` (the chain checked against
//! `sslrootcert`) / `verify-full` (chain and host name), `ssl=true` (verify-full unless
//! `sslmode` says otherwise), `sslrootcert` (default `~/.postgresql/root.crt`), and
//! `sslfactory=org.postgresql.ssl.NonValidatingFactory` (no certificate check). Client
//! certificates (`sslcert`/`sslkey`) are refused with an error on `connection.url`.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use thiserror::Error;

/// The driver's class that turns certificate checks off.
pub const NON_VALIDATING_FACTORY: &str = "org.postgresql.ssl.NonValidatingFactory";

/// How the connection uses TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// Never.
    Disable,
    /// When the server offers it (`allow`, `prefer`), the certificate not checked.
    Prefer,
    /// Always, the certificate not checked.
    Require,
    /// Always, the chain checked against the root certificates.
    VerifyCa,
    /// Always, chain and host name checked.
    VerifyFull,
}

/// The TLS settings of one `connection.url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// The mode.
    pub mode: TlsMode,
    /// `sslrootcert` (for the verifying modes).
    pub root_cert: Option<PathBuf>,
}

impl Default for TlsSettings {
    fn default() -> Self {
        TlsSettings {
            mode: TlsMode::Prefer,
            root_cert: None,
        }
    }
}

/// TLS settings that cannot be used.
#[derive(Debug, Error)]
pub enum TlsSetupError {
    /// A parameter value the driver does not know or Sluice does not support.
    #[error("parameter {key}={value}: {reason}")]
    Parameter {
        /// The parameter.
        key: String,
        /// Its value.
        value: String,
        /// Why.
        reason: String,
    },
    /// The root certificate file cannot be read.
    #[error("sslrootcert {path}: {reason}")]
    RootCert {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

impl TlsSettings {
    /// The settings of the driver's URL parameters (the last value of each wins).
    pub fn from_params<'a>(
        params: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<TlsSettings, TlsSetupError> {
        let (mut mode, mut ssl, mut root, mut non_validating) = (None, false, None, false);
        for (key, value) in params {
            let bad = |reason: &str| TlsSetupError::Parameter {
                key: key.to_string(),
                value: value.to_string(),
                reason: reason.to_string(),
            };
            match key {
                "sslmode" => {
                    mode = Some(match value {
                        "disable" => TlsMode::Disable,
                        "allow" | "prefer" => TlsMode::Prefer,
                        "require" => TlsMode::Require,
                        "verify-ca" => TlsMode::VerifyCa,
                        "verify-full" => TlsMode::VerifyFull,
                        _ => return Err(bad(
                            "expected disable, allow, prefer, require, verify-ca or verify-full",
                        )),
                    })
                }
                "ssl" => ssl = value.is_empty() || value.eq_ignore_ascii_case("true"),
                "sslrootcert" => root = Some(PathBuf::from(value)),
                "sslfactory" if value == NON_VALIDATING_FACTORY => non_validating = true,
                "sslfactory" => {
                    return Err(bad(&format!(
                        "only {NON_VALIDATING_FACTORY} is supported (no plugin loading)"
                    )))
                }
                "sslcert" | "sslkey" => {
                    return Err(bad(
                        "client certificates are not supported; authenticate with a password",
                    ))
                }
                _ => {}
            }
        }
        let mut mode = mode.unwrap_or(if ssl {
            TlsMode::VerifyFull
        } else {
            TlsMode::Prefer
        });
        if non_validating && matches!(mode, TlsMode::VerifyCa | TlsMode::VerifyFull) {
            mode = TlsMode::Require;
        }
        Ok(TlsSettings {
            mode,
            root_cert: root,
        })
    }

    /// The tokio-postgres mode: whether TLS is tried and whether it is required.
    pub fn pg_mode(&self) -> tokio_postgres::config::SslMode {
        use tokio_postgres::config::SslMode;
        match self.mode {
            TlsMode::Disable => SslMode::Disable,
            TlsMode::Prefer => SslMode::Prefer,
            TlsMode::Require | TlsMode::VerifyCa | TlsMode::VerifyFull => SslMode::Require,
        }
    }

    /// The rustls client configuration of these settings (reads `sslrootcert` when verifying).
    pub fn client_config(&self) -> Result<rustls::ClientConfig, TlsSetupError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsSetupError::RootCert {
                path: String::new(),
                reason: e.to_string(),
            })?;
        let verifier: Arc<dyn ServerCertVerifier> = match self.mode {
            TlsMode::Disable | TlsMode::Prefer | TlsMode::Require => {
                Arc::new(NoCheck(provider.clone()))
            }
            TlsMode::VerifyCa | TlsMode::VerifyFull => {
                let chain = WebPkiServerVerifier::builder_with_provider(
                    Arc::new(self.roots()?),
                    provider.clone(),
                )
                .build()
                .map_err(|e| self.root_error(e.to_string()))?;
                Arc::new(Verify {
                    chain,
                    check_name: self.mode == TlsMode::VerifyFull,
                })
            }
        };
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    fn root_path(&self) -> PathBuf {
        self.root_cert.clone().unwrap_or_else(|| {
            std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(".postgresql/root.crt")
        })
    }

    fn root_error(&self, reason: String) -> TlsSetupError {
        TlsSetupError::RootCert {
            path: self.root_path().display().to_string(),
            reason,
        }
    }

    fn roots(&self) -> Result<RootCertStore, TlsSetupError> {
        let path = self.root_path();
        let mut roots = RootCertStore::empty();
        let certs = CertificateDer::pem_file_iter(&path)
            .map_err(|e| self.root_error(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.root_error(e.to_string()))?;
        if certs.is_empty() {
            return Err(self.root_error("no PEM certificate in the file".into()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| self.root_error(e.to_string()))?;
        }
        Ok(roots)
    }
}

/// `require`: encrypted, the server's certificate not checked (the driver's non-validating
/// trust manager). Handshake signatures are still verified.
#[derive(Debug)]
struct NoCheck(Arc<CryptoProvider>);

impl ServerCertVerifier for NoCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// `verify-ca` (chain only) and `verify-full` (chain and host name).
#[derive(Debug)]
struct Verify {
    chain: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for Verify {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        match self.chain.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(TlsError::InvalidCertificate(rustls::CertificateError::NotValidForName))
            | Err(TlsError::InvalidCertificate(
                rustls::CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.chain.verify_tls12_signature(message, cert, dss)
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.chain.verify_tls13_signature(message, cert, dss)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.chain.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(params: &[(&str, &str)]) -> Result<TlsSettings, TlsSetupError> {
        TlsSettings::from_params(params.iter().copied())
    }

    #[test]
    fn modes_follow_the_driver() {
        let mode = |p: &[(&str, &str)]| settings(p).expect("valid").mode;
        assert_eq!(mode(&[]), TlsMode::Prefer);
        assert_eq!(mode(&[("ssl", "true")]), TlsMode::VerifyFull);
        assert_eq!(
            mode(&[("ssl", "true"), ("sslmode", "require")]),
            TlsMode::Require
        );
        assert_eq!(mode(&[("sslmode", "disable")]), TlsMode::Disable);
        assert_eq!(mode(&[("sslmode", "allow")]), TlsMode::Prefer);
        assert_eq!(mode(&[("sslmode", "verify-ca")]), TlsMode::VerifyCa);
        assert_eq!(
            mode(&[("ssl", "true"), ("sslfactory", NON_VALIDATING_FACTORY)]),
            TlsMode::Require
        );
        for bad in [
            ("sslmode", "sometimes"),
            ("sslcert", "/c.pem"),
            ("sslfactory", "com.example.Factory"),
        ] {
            let e = settings(&[bad]).unwrap_err().to_string();
            assert!(e.contains(bad.0), "{e}");
        }
    }

    #[test]
    fn a_missing_root_certificate_is_named() {
        let s = settings(&[
            ("sslmode", "verify-ca"),
            ("sslrootcert", "/nonexistent/root.crt"),
        ])
        .expect("valid");
        let e = s.client_config().unwrap_err().to_string();
        assert!(e.contains("/nonexistent/root.crt"), "{e}");
    }
}
