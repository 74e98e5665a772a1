//! Reading TLS material in the forms Kafka's `ssl.*` keys allow: PEM certificates, PEM
//! private keys (encrypted PKCS#8 decrypted with a password key's value) and PKCS12 stores.
//! Shared by the REST listeners (`listeners.https.ssl.*`) and the group-membership client
//! (`ssl.*`); errors are plain sentences the callers attach to the key they read.

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// Every certificate of a PEM text.
pub(crate) fn pem_certs(bytes: &[u8]) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs = CertificateDer::pem_slice_iter(bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not valid PEM: {e}"))?;
    if certs.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----) found".to_string());
    }
    Ok(certs)
}

/// The private key of a PEM text: PKCS#8, PKCS#1 (RSA) or SEC1 (EC), or an encrypted PKCS#8
/// key decrypted with the password of `password_key`.
pub(crate) fn pem_key(
    bytes: &[u8],
    password: Option<&str>,
    password_key: &str,
) -> Result<PrivateKeyDer<'static>, String> {
    const BEGIN: &str = "-----BEGIN ENCRYPTED PRIVATE KEY-----";
    const END: &str = "-----END ENCRYPTED PRIVATE KEY-----";
    let text =
        std::str::from_utf8(bytes).map_err(|_| "not a PEM file: it is not text".to_string())?;
    if let Some(start) = text.find(BEGIN) {
        let end = text[start..]
            .find(END)
            .map(|i| start + i + END.len())
            .ok_or_else(|| format!("the encrypted private key has no {END} line"))?;
        let (_, doc) = pkcs8::der::Document::from_pem(&text[start..end])
            .map_err(|e| format!("the encrypted private key is not valid PEM: {e}"))?;
        let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(doc.as_bytes())
            .map_err(|e| format!("the encrypted private key is not PKCS#8: {e}"))?;
        let Some(password) = password else {
            return Err(format!("the private key is encrypted: set {password_key}"));
        };
        let plain = info.decrypt(password).map_err(|e| {
            format!(
                "could not decrypt the private key with {password_key} (wrong password or \
                 unsupported encryption): {e}"
            )
        })?;
        return Ok(PrivateKeyDer::Pkcs8(plain.as_bytes().to_vec().into()));
    }
    if text.contains("Proc-Type: 4,ENCRYPTED") {
        return Err(
            "the private key is encrypted in the legacy OpenSSL format, which is not supported: \
             convert it to PKCS#8 (openssl pkcs8 -topk8 -v2 aes-256-cbc -in key.pem -out \
             key.p8.pem)"
                .to_string(),
        );
    }
    PrivateKeyDer::from_pem_slice(bytes).map_err(|e| match e {
        pem::Error::NoItemsFound => {
            "no private key (-----BEGIN PRIVATE KEY-----) found".to_string()
        }
        e => format!("the private key is not valid PEM: {e}"),
    })
}

/// Opens a PKCS12 store; a wrong password is reported against `password_key`.
pub(crate) fn load_pkcs12(
    bytes: &[u8],
    password: &str,
    password_key: &str,
    policy: p12_keystore::Pkcs12ImportPolicy,
) -> Result<p12_keystore::KeyStore, String> {
    p12_keystore::KeyStore::from_pkcs12(bytes, password, policy).map_err(|e| match e {
        p12_keystore::error::Error::MacError(_) => format!(
            "the PKCS12 store cannot be opened with {password_key}: wrong password (or a \
             damaged file)"
        ),
        e => format!("not a readable PKCS12 store: {e}"),
    })
}
