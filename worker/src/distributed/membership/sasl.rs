//! SASL mechanisms as token exchanges: PLAIN (RFC 4616) and SCRAM (see [`super::scram`]).
//! The connection sends each token in a SaslAuthenticate request and feeds the broker's
//! answer back in.

use super::config::{SaslCredentials, SaslMechanism};
use super::scram::{ScramClient, ScramError, ScramHash};

/// The PLAIN token: `authzid NUL authcid NUL passwd` with an empty authorization id, as
/// Java's `PlainSaslServer` expects it.
pub fn plain_token(username: &str, password: &str) -> Vec<u8> {
    let mut token = Vec::with_capacity(username.len() + password.len() + 2);
    token.push(0);
    token.extend_from_slice(username.as_bytes());
    token.push(0);
    token.extend_from_slice(password.as_bytes());
    token
}

/// One authentication in progress.
#[derive(Debug)]
pub enum SaslExchange {
    /// PLAIN: one token, no challenge.
    Plain {
        /// The token still to send (taken by the first step).
        token: Option<Vec<u8>>,
    },
    /// SCRAM: client-first, client-final, then the server's final message is checked.
    Scram {
        /// The SCRAM state.
        client: Box<ScramClient>,
        /// Messages sent so far.
        sent: u8,
    },
}

impl SaslExchange {
    /// Starts an exchange for `credentials`.
    pub fn new(credentials: &SaslCredentials) -> Result<Self, ScramError> {
        let hash = match credentials.mechanism {
            SaslMechanism::Plain => {
                return Ok(SaslExchange::Plain {
                    token: Some(plain_token(&credentials.username, &credentials.password)),
                })
            }
            SaslMechanism::ScramSha256 => ScramHash::Sha256,
            SaslMechanism::ScramSha512 => ScramHash::Sha512,
        };
        Ok(SaslExchange::Scram {
            client: Box::new(ScramClient::new(
                hash,
                &credentials.username,
                &credentials.password,
            )?),
            sent: 0,
        })
    }

    /// The next token to send, given the broker's last answer (`None` before the first
    /// token); `Ok(None)` when the exchange is complete.
    pub fn step(&mut self, server: Option<&[u8]>) -> Result<Option<Vec<u8>>, ScramError> {
        match self {
            SaslExchange::Plain { token } => Ok(token.take()),
            SaslExchange::Scram { client, sent } => {
                let out = match (*sent, server) {
                    (0, _) => Some(client.client_first()),
                    (1, Some(first)) => Some(client.client_final(first)?),
                    (2, Some(last)) => {
                        client.verify_server_final(last)?;
                        None
                    }
                    _ => {
                        return Err(ScramError::Malformed(
                            "the broker sent no SCRAM challenge".into(),
                        ))
                    }
                };
                *sent = sent.saturating_add(1);
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_token_bytes() {
        assert_eq!(
            plain_token("alice", "pw"),
            vec![0x00, b'a', b'l', b'i', b'c', b'e', 0x00, b'p', b'w']
        );
        let mut ex = SaslExchange::new(&SaslCredentials {
            mechanism: SaslMechanism::Plain,
            username: "u".into(),
            password: "p".into(),
        })
        .expect("plain");
        assert_eq!(ex.step(None).expect("first"), Some(vec![0, b'u', 0, b'p']));
        assert_eq!(ex.step(Some(b"")).expect("done"), None);
    }

    #[test]
    fn scram_steps() {
        let mut ex = SaslExchange::new(&SaslCredentials {
            mechanism: SaslMechanism::ScramSha256,
            username: "user".into(),
            password: "pencil".into(),
        })
        .expect("scram");
        let first = ex.step(None).expect("first").expect("token");
        assert!(first.starts_with(b"n,,n=user,r="));
        // A challenge that does not extend the client nonce is refused.
        assert!(ex
            .step(Some(b"r=zzz,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"))
            .is_err());
    }
}
