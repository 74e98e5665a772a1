//! The TLS client configuration of broker connections (`security.protocol=SSL` or
//! `SASL_SSL`), from the `ssl.*` keys as Java's `SslFactory` reads them:
//!
//! * trust: `ssl.truststore.location` (a PEM file, or PKCS12 with
//!   `ssl.truststore.password`; `ssl.truststore.type` PEM/PKCS12, JKS files are refused) or
//!   `ssl.truststore.certificates` (PEM text). One of them is required: there is no JVM
//!   default trust store to fall back on.
//! * client certificate (when given): `ssl.keystore.location` (PEM with chain and key, or
//!   PKCS12 with `ssl.keystore.password`) or `ssl.keystore.certificate.chain` +
//!   `ssl.keystore.key`; encrypted PKCS#8 keys are decrypted with `ssl.key.password`.
//! * `ssl.endpoint.identification.algorithm`: `https` (the default) checks the broker's host
//!   name; empty checks the certificate chain only.

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore};

use super::config::ConfigError;
use crate::tls_files::{load_pkcs12, pem_certs, pem_key};

const HIDDEN: &str = "[hidden]";

fn get<'a>(props: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// Builds the rustls client configuration from the `ssl.*` keys.
pub fn client_config(props: &BTreeMap<String, String>) -> Result<Arc<ClientConfig>, ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = Arc::new(trust_store(props)?);
    let verify_hostname = match props.get("ssl.endpoint.identification.algorithm") {
        None => true,
        Some(v) if v.trim().is_empty() => false,
        Some(v) if v.trim().eq_ignore_ascii_case("https") => true,
        Some(v) => {
            return Err(ConfigError::invalid(
                "ssl.endpoint.identification.algorithm",
                v,
                "expected https or an empty value",
            ))
        }
    };
    let verifier = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
        .build()
        .map_err(|e| {
            ConfigError::invalid(
                "ssl.truststore.location",
                get(props, "ssl.truststore.location").unwrap_or(""),
                format!("cannot verify brokers with this truststore: {e}"),
            )
        })?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConfigError::invalid("ssl.enabled.protocols", "", e.to_string()))?;
    let builder = if verify_hostname {
        builder.with_webpki_verifier(verifier)
    } else {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ChainOnlyVerifier(verifier)))
    };
    let config = match key_store(props)? {
        Some((chain, key)) => builder.with_client_auth_cert(chain, key).map_err(|e| {
            ConfigError::invalid(
                "ssl.keystore.location",
                get(props, "ssl.keystore.location").unwrap_or(""),
                format!("the private key cannot be used with the certificate: {e}"),
            )
        })?,
        None => builder.with_no_client_auth(),
    };
    Ok(Arc::new(config))
}

/// The trusted certificates.
fn trust_store(props: &BTreeMap<String, String>) -> Result<RootCertStore, ConfigError> {
    let (key, shown, certs) = match (
        get(props, "ssl.truststore.certificates"),
        get(props, "ssl.truststore.location"),
    ) {
        (Some(pem), None) => (
            "ssl.truststore.certificates",
            pem.to_string(),
            pem_certs(pem.as_bytes())
                .map_err(|r| ConfigError::invalid("ssl.truststore.certificates", pem, r))?,
        ),
        (None, Some(location)) => {
            let key = "ssl.truststore.location";
            let bytes = read(key, location)?;
            let certs = match store_type(props, "ssl.truststore.type", key, location, &bytes)? {
                StoreType::Pem => {
                    pem_certs(&bytes).map_err(|r| ConfigError::invalid(key, location, r))?
                }
                StoreType::Pkcs12 => {
                    let store = load_pkcs12(
                        &bytes,
                        get(props, "ssl.truststore.password").unwrap_or(""),
                        "ssl.truststore.password",
                        p12_keystore::Pkcs12ImportPolicy::Raw,
                    )
                    .map_err(|r| ConfigError::invalid(key, location, r))?;
                    store
                        .entries()
                        .filter_map(|(_, e)| match e {
                            p12_keystore::KeyStoreEntry::Certificate(c) => {
                                Some(CertificateDer::from(c.as_der().to_vec()))
                            }
                            p12_keystore::KeyStoreEntry::PrivateKeyChain(chain) => chain
                                .certs()
                                .last()
                                .map(|c| CertificateDer::from(c.as_der().to_vec())),
                            _ => None,
                        })
                        .collect()
                }
            };
            (key, location.to_string(), certs)
        }
        (Some(_), Some(location)) => {
            return Err(ConfigError::invalid(
                "ssl.truststore.location",
                location,
                "set either a truststore file or ssl.truststore.certificates, not both",
            ))
        }
        (None, None) => {
            return Err(ConfigError::Missing {
                key: "ssl.truststore.location".to_string(),
            })
        }
    };
    if certs.is_empty() {
        return Err(ConfigError::invalid(
            key,
            &shown,
            "the truststore holds no certificate",
        ));
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| {
            ConfigError::invalid(key, &shown, format!("a certificate cannot be trusted: {e}"))
        })?;
    }
    Ok(roots)
}

type KeyPair = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The client certificate chain and key, when configured.
fn key_store(props: &BTreeMap<String, String>) -> Result<Option<KeyPair>, ConfigError> {
    let key_password = get(props, "ssl.key.password");
    match (
        get(props, "ssl.keystore.certificate.chain"),
        get(props, "ssl.keystore.key"),
        get(props, "ssl.keystore.location"),
    ) {
        (None, None, None) => Ok(None),
        (Some(chain), Some(key), None) => {
            let certs = pem_certs(chain.as_bytes())
                .map_err(|r| ConfigError::invalid("ssl.keystore.certificate.chain", chain, r))?;
            let key = pem_key(key.as_bytes(), key_password, "ssl.key.password")
                .map_err(|r| ConfigError::invalid("ssl.keystore.key", HIDDEN, r))?;
            Ok(Some((certs, key)))
        }
        (None, None, Some(location)) => {
            let lk = "ssl.keystore.location";
            let bytes = read(lk, location)?;
            match store_type(props, "ssl.keystore.type", lk, location, &bytes)? {
                StoreType::Pem => {
                    let certs =
                        pem_certs(&bytes).map_err(|r| ConfigError::invalid(lk, location, r))?;
                    let key = pem_key(&bytes, key_password, "ssl.key.password")
                        .map_err(|r| ConfigError::invalid(lk, location, r))?;
                    Ok(Some((certs, key)))
                }
                StoreType::Pkcs12 => {
                    let store = load_pkcs12(
                        &bytes,
                        get(props, "ssl.keystore.password").unwrap_or(""),
                        "ssl.keystore.password",
                        p12_keystore::Pkcs12ImportPolicy::Strict,
                    )
                    .map_err(|r| ConfigError::invalid(lk, location, r))?;
                    let Some((_, chain)) = store.private_key_chain() else {
                        return Err(ConfigError::invalid(
                            lk,
                            location,
                            "the keystore has no private key entry",
                        ));
                    };
                    let certs = chain
                        .certs()
                        .iter()
                        .map(|c| CertificateDer::from(c.as_der().to_vec()))
                        .collect();
                    let key = PrivateKeyDer::Pkcs8(chain.key().as_der().to_vec().into());
                    Ok(Some((certs, key)))
                }
            }
        }
        (Some(_), None, None) => Err(ConfigError::Missing {
            key: "ssl.keystore.key".to_string(),
        }),
        (None, Some(_), None) => Err(ConfigError::Missing {
            key: "ssl.keystore.certificate.chain".to_string(),
        }),
        (_, _, Some(location)) => Err(ConfigError::invalid(
            "ssl.keystore.location",
            location,
            "set either a keystore file or ssl.keystore.certificate.chain and ssl.keystore.key, \
             not both",
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StoreType {
    Pem,
    Pkcs12,
}

fn read(key: &str, location: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(location)
        .map_err(|e| ConfigError::invalid(key, location, format!("could not read the file: {e}")))
}

/// The declared store type, else the content (Java's default JKS accepts PKCS12 and PEM
/// content; real JKS files are refused).
fn store_type(
    props: &BTreeMap<String, String>,
    type_key: &str,
    location_key: &str,
    location: &str,
    bytes: &[u8],
) -> Result<StoreType, ConfigError> {
    if bytes.starts_with(&[0xFE, 0xED, 0xFE, 0xED]) || bytes.starts_with(&[0xCE, 0xCE, 0xCE, 0xCE])
    {
        return Err(ConfigError::invalid(
            location_key,
            location,
            "JKS keystores cannot be read: convert the file to PKCS12 or PEM",
        ));
    }
    let is_pem = bytes.windows(11).any(|w| w == b"-----BEGIN ");
    match get(props, type_key).map(str::to_ascii_uppercase).as_deref() {
        Some("PEM") => Ok(StoreType::Pem),
        Some("PKCS12") => Ok(StoreType::Pkcs12),
        None | Some("JKS") => Ok(if is_pem {
            StoreType::Pem
        } else {
            StoreType::Pkcs12
        }),
        Some(_) => Err(ConfigError::invalid(
            type_key,
            get(props, type_key).unwrap_or(""),
            "supported store types are PKCS12 and PEM",
        )),
    }
}

/// Checks the broker's certificate chain but not its host name
/// (`ssl.endpoint.identification.algorithm=` empty). Every other check, including the
/// handshake signatures, is the WebPKI verifier's.
#[derive(Debug)]
struct ChainOnlyVerifier(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnlyVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The WebPKI verifier checks the chain before the name, so a name error means the
        // chain is trusted.
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn trust_is_required_and_errors_name_keys() {
        let err = client_config(&props(&[])).expect_err("no trust");
        assert!(err.to_string().contains("ssl.truststore.location"), "{err}");
        let err = client_config(&props(&[("ssl.truststore.location", "/nonexistent.pem")]))
            .expect_err("missing file");
        assert!(err.to_string().contains("ssl.truststore.location"), "{err}");
        let err = client_config(&props(&[("ssl.truststore.certificates", "not pem")]))
            .expect_err("bad pem");
        assert!(
            err.to_string().contains("ssl.truststore.certificates"),
            "{err}"
        );
    }

    #[test]
    fn pem_trust_and_client_certificate() {
        let ca = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
        let cert_pem = ca.cert.pem();
        let key_pem = ca.signing_key.serialize_pem();
        let config = client_config(&props(&[
            ("ssl.truststore.certificates", &cert_pem),
            ("ssl.keystore.certificate.chain", &cert_pem),
            ("ssl.keystore.key", &key_pem),
            ("ssl.endpoint.identification.algorithm", ""),
        ]))
        .expect("config");
        assert!(config.client_auth_cert_resolver.has_certs());
        let err = client_config(&props(&[
            ("ssl.truststore.certificates", &cert_pem),
            ("ssl.keystore.certificate.chain", &cert_pem),
        ]))
        .expect_err("no key");
        assert!(err.to_string().contains("ssl.keystore.key"), "{err}");
        let err = client_config(&props(&[
            ("ssl.truststore.certificates", &cert_pem),
            ("ssl.endpoint.identification.algorithm", "ldap"),
        ]))
        .expect_err("bad algorithm");
        assert!(
            err.to_string()
                .contains("ssl.endpoint.identification.algorithm"),
            "{err}"
        );
    }
}
