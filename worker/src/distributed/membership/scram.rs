//! The client side of SCRAM (RFC 5802) with SHA-256 (RFC 7677) and SHA-512, as Kafka's
//! `ScramSaslClient` speaks it: no channel binding (`n,,`), no authorization id, at least
//! 4096 iterations, the password's UTF-8 bytes.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256, Sha512};

/// The fewest iterations Kafka's `ScramMechanism` accepts.
pub const MIN_ITERATIONS: u32 = 4096;

/// The hash function of a SCRAM mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScramHash {
    /// SCRAM-SHA-256.
    Sha256,
    /// SCRAM-SHA-512.
    Sha512,
}

/// A SCRAM exchange that cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScramError {
    /// A server message does not follow RFC 5802.
    #[error("Invalid SCRAM server message: {0}")]
    Malformed(String),
    /// The server reported an error (`e=`).
    #[error("SCRAM authentication failed: the server answered {0}")]
    Server(String),
    /// The server's signature is not the expected one.
    #[error("SCRAM authentication failed: the server's signature is invalid")]
    BadServerSignature,
    /// No random nonce could be made.
    #[error("Could not generate a SCRAM nonce: {0}")]
    Random(String),
}

fn hmac(hash: ScramHash, key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    match hash {
        ScramHash::Sha256 => match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mut m) => {
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
        ScramHash::Sha512 => match Hmac::<Sha512>::new_from_slice(key) {
            Ok(mut m) => {
                m.update(data);
                m.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        },
    }
}

fn digest(hash: ScramHash, data: &[u8]) -> Vec<u8> {
    match hash {
        ScramHash::Sha256 => Sha256::digest(data).to_vec(),
        ScramHash::Sha512 => Sha512::digest(data).to_vec(),
    }
}

/// `Hi(password, salt, i)`: PBKDF2 with the mechanism's HMAC.
fn salted_password(hash: ScramHash, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
    match hash {
        ScramHash::Sha256 => {
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut out);
            out.to_vec()
        }
        ScramHash::Sha512 => {
            let mut out = [0u8; 64];
            pbkdf2::pbkdf2_hmac::<Sha512>(password, salt, iterations, &mut out);
            out.to_vec()
        }
    }
}

/// `saslname`: `=` as `=3D`, `,` as `=2C`.
fn sasl_name(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// A random client nonce: 24 random bytes in base64 (printable, no comma).
pub fn random_nonce() -> Result<String, ScramError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| ScramError::Random(e.to_string()))?;
    Ok(B64.encode(bytes))
}

/// One SCRAM exchange: [`ScramClient::client_first`], then
/// [`ScramClient::client_final`] with the server's first message, then
/// [`ScramClient::verify_server_final`] with its final message.
#[derive(Clone)]
pub struct ScramClient {
    hash: ScramHash,
    password: String,
    client_first_bare: String,
    client_nonce: String,
    /// The server signature expected in the final message (after `client_final`).
    expected_server_signature: Option<Vec<u8>>,
}

impl std::fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramClient")
            .field("hash", &self.hash)
            .field("client_first_bare", &self.client_first_bare)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// A new exchange with a random nonce.
    pub fn new(hash: ScramHash, username: &str, password: &str) -> Result<Self, ScramError> {
        Ok(Self::with_nonce(hash, username, password, &random_nonce()?))
    }

    /// A new exchange with the given client nonce (test vectors).
    pub fn with_nonce(hash: ScramHash, username: &str, password: &str, nonce: &str) -> Self {
        ScramClient {
            hash,
            password: password.to_string(),
            client_first_bare: format!("n={},r={nonce}", sasl_name(username)),
            client_nonce: nonce.to_string(),
            expected_server_signature: None,
        }
    }

    /// The client's first message: `n,,n=<user>,r=<nonce>`.
    pub fn client_first(&self) -> Vec<u8> {
        format!("n,,{}", self.client_first_bare).into_bytes()
    }

    /// The client's final message (with the proof) for the server's first message.
    pub fn client_final(&mut self, server_first: &[u8]) -> Result<Vec<u8>, ScramError> {
        let server_first = std::str::from_utf8(server_first)
            .map_err(|_| ScramError::Malformed("the first message is not UTF-8".into()))?;
        if let Some(e) = server_first.strip_prefix("e=") {
            return Err(ScramError::Server(e.to_string()));
        }
        let mut nonce = None;
        let mut salt = None;
        let mut iterations = None;
        for (i, part) in server_first.split(',').enumerate() {
            match part.split_once('=') {
                Some(("m", _)) if i == 0 => {
                    return Err(ScramError::Malformed(
                        "mandatory extensions are not supported".into(),
                    ))
                }
                Some(("r", v)) => nonce = Some(v),
                Some(("s", v)) => salt = Some(v),
                Some(("i", v)) => iterations = Some(v),
                _ => {}
            }
        }
        let (Some(nonce), Some(salt), Some(iterations)) = (nonce, salt, iterations) else {
            return Err(ScramError::Malformed(format!(
                "expected r=, s= and i= in {server_first:?}"
            )));
        };
        if !nonce.starts_with(&self.client_nonce) || nonce.len() == self.client_nonce.len() {
            return Err(ScramError::Malformed(
                "the server nonce does not extend the client nonce".into(),
            ));
        }
        let salt = B64
            .decode(salt)
            .map_err(|_| ScramError::Malformed("the salt is not base64".into()))?;
        let iterations: u32 = iterations
            .parse()
            .map_err(|_| ScramError::Malformed(format!("bad iteration count {iterations}")))?;
        if iterations < MIN_ITERATIONS {
            return Err(ScramError::Malformed(format!(
                "{iterations} iterations is fewer than the minimum {MIN_ITERATIONS}"
            )));
        }
        let without_proof = format!("c=biws,r={nonce}");
        let auth_message = format!("{},{server_first},{without_proof}", self.client_first_bare);
        let salted = salted_password(self.hash, self.password.as_bytes(), &salt, iterations);
        let client_key = hmac(self.hash, &salted, b"Client Key");
        let stored_key = digest(self.hash, &client_key);
        let client_signature = hmac(self.hash, &stored_key, auth_message.as_bytes());
        let proof: Vec<u8> = client_key
            .iter()
            .zip(&client_signature)
            .map(|(a, b)| a ^ b)
            .collect();
        let server_key = hmac(self.hash, &salted, b"Server Key");
        self.expected_server_signature =
            Some(hmac(self.hash, &server_key, auth_message.as_bytes()));
        Ok(format!("{without_proof},p={}", B64.encode(proof)).into_bytes())
    }

    /// Checks the server's final message (`v=<signature>`).
    pub fn verify_server_final(&self, server_final: &[u8]) -> Result<(), ScramError> {
        let text = std::str::from_utf8(server_final)
            .map_err(|_| ScramError::Malformed("the final message is not UTF-8".into()))?;
        if let Some(e) = text.strip_prefix("e=") {
            return Err(ScramError::Server(e.to_string()));
        }
        let Some(v) = text.split(',').find_map(|p| p.strip_prefix("v=")) else {
            return Err(ScramError::Malformed(format!("expected v= in {text:?}")));
        };
        let signature = B64
            .decode(v)
            .map_err(|_| ScramError::Malformed("the server signature is not base64".into()))?;
        match &self.expected_server_signature {
            Some(expected) if *expected == signature => Ok(()),
            _ => Err(ScramError::BadServerSignature),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONCE: &str = "rOprNGfwEbeRWgbNEkqO";
    const SERVER_FIRST: &str = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                                s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";

    /// RFC 7677 section 3.
    #[test]
    fn rfc7677_sha256_vector() {
        let mut c = ScramClient::with_nonce(ScramHash::Sha256, "user", "pencil", NONCE);
        assert_eq!(
            c.client_first(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO".to_vec()
        );
        let fin = c.client_final(SERVER_FIRST.as_bytes()).expect("final");
        assert_eq!(
            String::from_utf8(fin).expect("utf8"),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        c.verify_server_final(b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=")
            .expect("server signature");
        assert_eq!(
            c.verify_server_final(b"v=AAAATRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="),
            Err(ScramError::BadServerSignature)
        );
        assert_eq!(
            c.verify_server_final(b"e=invalid-proof"),
            Err(ScramError::Server("invalid-proof".into()))
        );
    }

    /// The RFC 7677 exchange with SHA-512; the expected proof and server signature were
    /// computed independently with Python's `hashlib.pbkdf2_hmac` and `hmac`.
    #[test]
    fn sha512_vector() {
        let mut c = ScramClient::with_nonce(ScramHash::Sha512, "user", "pencil", NONCE);
        let fin = c.client_final(SERVER_FIRST.as_bytes()).expect("final");
        assert_eq!(
            String::from_utf8(fin).expect("utf8"),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=gMGXRcevScNtxZ6/8lQYpGtnsNAc3mGcmNomv+xnoOMw+3R2xNJdMNnzMlTN8PPC6wdp6dybEmDYXYTxwnYPJQ=="
        );
        c.verify_server_final(
            b"v=ZQnYEgWQMFmmsM8aQMF0nDDCy/AgCzkwk8CmMZYcMg0vSVlKDanekLtifDSeVGT4+5ZxXnJq199RVG2rR7N7Zw==",
        )
        .expect("server signature");
    }

    #[test]
    fn bad_server_messages() {
        let mut c = ScramClient::with_nonce(ScramHash::Sha256, "us=er,x", "p", NONCE);
        assert_eq!(
            c.client_first(),
            b"n,,n=us=3Der=2Cx,r=rOprNGfwEbeRWgbNEkqO".to_vec()
        );
        // A nonce that does not extend ours.
        assert!(c
            .client_final(b"r=other,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096")
            .is_err());
        // Too few iterations (Kafka's minimum is 4096).
        assert!(c
            .client_final(b"r=rOprNGfwEbeRWgbNEkqOxx,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4095")
            .is_err());
        assert!(c.client_final(b"e=unknown-user").is_err());
        // No final message is accepted before the proof was sent.
        assert!(c.verify_server_final(b"v=AAAA").is_err());
    }

    #[test]
    fn random_nonces_differ() {
        let a = random_nonce().expect("nonce");
        let b = random_nonce().expect("nonce");
        assert_ne!(a, b);
        assert!(!a.contains(','));
    }
}
