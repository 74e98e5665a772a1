//! KIP-507 request signing between workers (Java's `InternalRequestSignature` and the checks
//! of `DistributedHerder.requestNotSignedProperly`).
//!
//! A worker that sends an internal request (`POST /connectors/{c}/tasks`,
//! `PUT /connectors/{c}/fence`) signs its raw body with the cluster's current session key:
//! `X-Connect-Authorization` carries the Base64 MAC of the body bytes (an empty body is an
//! empty input) and `X-Connect-Request-Signature-Algorithm` the JCA name of the MAC
//! (`HmacSHA256` by default). The receiver extracts both with
//! [`InternalRequestSignature::from_headers`] and the leader checks them with
//! [`verify_request`], in Java's order and with Java's messages.
//!
//! MAC names are matched case-insensitively, as the JCA's `Mac.getInstance` does, but the
//! name as sent is what is checked against `inter.worker.verification.algorithms`, as Java
//! checks `Mac.getAlgorithm()`. Supported: `HmacSHA224`, `HmacSHA256`, `HmacSHA384`,
//! `HmacSHA512`, `HmacSHA512/224`, `HmacSHA512/256` (SunJCE also has `HmacSHA1` and `HmacMD5`;
//! Sluice has no SHA-1/MD5 implementation among its dependencies, so those are answered as an
//! unknown algorithm).

use axum::http::HeaderMap;
use base64::Engine;
use hmac::{Hmac, Mac};

use crate::herder::HerderError;

/// The header carrying the Base64 MAC of the request body.
pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
/// The header naming the MAC algorithm.
pub const SIGNATURE_ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";
/// `inter.worker.signature.algorithm`'s default.
pub const DEFAULT_SIGNATURE_ALGORITHM: &str = "HmacSHA256";

/// Java's 400 when a signature is required but absent.
pub const MISSING_SIGNATURE: &str = "Internal request missing required signature";
/// Java's 503 when no session key has been read yet.
pub const NO_SESSION_KEY: &str = "This worker is still starting up and has not been able to read \
                                  a session key from the config topic yet";
/// Java's 403 when the MAC does not match.
pub const INVALID_SIGNATURE: &str = "Internal request contained invalid signature.";

/// A MAC algorithm a request may be signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MacAlgorithm {
    /// `HmacSHA224`.
    HmacSha224,
    /// `HmacSHA256` (the default).
    HmacSha256,
    /// `HmacSHA384`.
    HmacSha384,
    /// `HmacSHA512`.
    HmacSha512,
    /// `HmacSHA512/224`.
    HmacSha512_224,
    /// `HmacSHA512/256`.
    HmacSha512_256,
}

/// Why a signature could not be made or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The algorithm name is unknown (Java's `NoSuchAlgorithmException` text).
    #[error("Algorithm {0} not available")]
    UnknownAlgorithm(String),
    /// The signature header is not Base64 (Java's `Base64.Decoder` message where it has one).
    #[error("{0}")]
    InvalidBase64(String),
}

impl From<SignatureError> for HerderError {
    /// Both are a 400 in Java (`BadRequestException` thrown while reading the headers).
    fn from(e: SignatureError) -> Self {
        HerderError::BadRequest(e.to_string())
    }
}

/// HMAC of `body` under `key` with digest `$d`.
macro_rules! hmac_of {
    ($d:ty, $key:expr, $body:expr) => {{
        // HMAC takes keys of any length: `new_from_slice` cannot fail.
        match <Hmac<$d> as Mac>::new_from_slice($key) {
            Ok(mut mac) => {
                mac.update($body);
                mac.finalize().into_bytes().to_vec()
            }
            Err(_) => Vec::new(),
        }
    }};
}

impl MacAlgorithm {
    /// Every supported algorithm.
    pub const ALL: [MacAlgorithm; 6] = [
        MacAlgorithm::HmacSha224,
        MacAlgorithm::HmacSha256,
        MacAlgorithm::HmacSha384,
        MacAlgorithm::HmacSha512,
        MacAlgorithm::HmacSha512_224,
        MacAlgorithm::HmacSha512_256,
    ];

    /// The JCA name, e.g. `HmacSHA256`.
    pub fn java_name(self) -> &'static str {
        match self {
            MacAlgorithm::HmacSha224 => "HmacSHA224",
            MacAlgorithm::HmacSha256 => "HmacSHA256",
            MacAlgorithm::HmacSha384 => "HmacSHA384",
            MacAlgorithm::HmacSha512 => "HmacSHA512",
            MacAlgorithm::HmacSha512_224 => "HmacSHA512/224",
            MacAlgorithm::HmacSha512_256 => "HmacSHA512/256",
        }
    }

    /// The algorithm of a JCA name, matched case-insensitively as `Mac.getInstance` does.
    pub fn from_java_name(name: &str) -> Result<Self, SignatureError> {
        Self::ALL
            .into_iter()
            .find(|a| a.java_name().eq_ignore_ascii_case(name))
            .ok_or_else(|| SignatureError::UnknownAlgorithm(name.to_string()))
    }

    /// The MAC of `body` under `key`.
    pub fn mac(self, key: &[u8], body: &[u8]) -> Vec<u8> {
        match self {
            MacAlgorithm::HmacSha224 => hmac_of!(sha2::Sha224, key, body),
            MacAlgorithm::HmacSha256 => hmac_of!(sha2::Sha256, key, body),
            MacAlgorithm::HmacSha384 => hmac_of!(sha2::Sha384, key, body),
            MacAlgorithm::HmacSha512 => hmac_of!(sha2::Sha512, key, body),
            MacAlgorithm::HmacSha512_224 => hmac_of!(sha2::Sha512_224, key, body),
            MacAlgorithm::HmacSha512_256 => hmac_of!(sha2::Sha512_256, key, body),
        }
    }
}

/// The two header values of a signed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    /// [`SIGNATURE_HEADER`]'s value: the Base64 MAC.
    pub signature: String,
    /// [`SIGNATURE_ALGORITHM_HEADER`]'s value: the algorithm name as configured.
    pub algorithm: String,
}

/// Signs `body` (the exact bytes sent; empty for no body) with the session `key` and the
/// `inter.worker.signature.algorithm` named `algorithm` (Java's
/// `InternalRequestSignature.addToRequest`).
pub fn sign(key: &[u8], algorithm: &str, body: &[u8]) -> Result<SignatureHeaders, SignatureError> {
    let mac = MacAlgorithm::from_java_name(algorithm)?;
    Ok(SignatureHeaders {
        signature: base64::engine::general_purpose::STANDARD.encode(mac.mac(key, body)),
        algorithm: algorithm.to_string(),
    })
}

/// Java's `Base64.getDecoder()`: standard alphabet, padding optional.
fn decode_signature(encoded: &str) -> Result<Vec<u8>, SignatureError> {
    use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode};
    const JAVA_BASIC: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    JAVA_BASIC.decode(encoded).map_err(|e| {
        SignatureError::InvalidBase64(match e {
            // Java prints the offending byte as a signed byte in hex.
            base64::DecodeError::InvalidByte(_, b) => {
                format!("Illegal base64 character {:x}", b as i8)
            }
            other => format!("Invalid base64 signature: {other}"),
        })
    })
}

/// The signature an internal request came with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InternalRequestSignature {
    algorithm_name: String,
    algorithm: MacAlgorithm,
    body: Vec<u8>,
    signature: Vec<u8>,
}

impl InternalRequestSignature {
    /// Reads the signature of a request whose raw body is `body` (Java's `fromHeaders`):
    /// `Ok(None)` when either header is absent; a 400-worthy [`SignatureError`] for an
    /// unknown algorithm or a signature that is not Base64.
    pub fn from_headers(body: &[u8], headers: &HeaderMap) -> Result<Option<Self>, SignatureError> {
        // A header that is not visible ASCII cannot name an algorithm or hold Base64.
        let algorithm_name = headers
            .get(SIGNATURE_ALGORITHM_HEADER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let encoded = headers
            .get(SIGNATURE_HEADER)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let (Some(algorithm_name), Some(encoded)) = (algorithm_name, encoded) else {
            return Ok(None);
        };
        let algorithm = MacAlgorithm::from_java_name(&algorithm_name)?;
        let signature = decode_signature(&encoded)?;
        Ok(Some(InternalRequestSignature {
            algorithm_name,
            algorithm,
            body: body.to_vec(),
            signature,
        }))
    }

    /// The algorithm name as the sender wrote it (Java's `keyAlgorithm()`).
    pub fn key_algorithm(&self) -> &str {
        &self.algorithm_name
    }

    /// Whether the signature is the MAC of the body under `key` (compared in constant time).
    pub fn is_valid(&self, key: &[u8]) -> bool {
        let expected = self.algorithm.mac(key, &self.body);
        expected.len() == self.signature.len()
            && expected
                .iter()
                .zip(&self.signature)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// The leader's checks of an internal request, in Java's order
/// (`DistributedHerder.requestNotSignedProperly`), to run only when request validation is on
/// (the `sessioned` protocol is in use):
/// 1. no signature: 400 [`MISSING_SIGNATURE`];
/// 2. an algorithm not in `verification_algorithms` (`inter.worker.verification.algorithms`,
///    compared exactly): 400 naming it and the list;
/// 3. no session key yet (`session_key` is `None`): 503 [`NO_SESSION_KEY`];
/// 4. a MAC that does not match: 403 [`INVALID_SIGNATURE`].
pub fn verify_request(
    signature: Option<&InternalRequestSignature>,
    verification_algorithms: &[String],
    session_key: Option<&[u8]>,
) -> Result<(), HerderError> {
    let Some(signature) = signature else {
        return Err(HerderError::BadRequest(MISSING_SIGNATURE.to_string()));
    };
    if !verification_algorithms
        .iter()
        .any(|a| a == signature.key_algorithm())
    {
        return Err(HerderError::BadRequest(format!(
            "This worker does not support the '{}' key signing algorithm used by other workers. \
             This worker is currently configured to use: [{}]. Check that all workers' \
             configuration files permit the same set of signature algorithms, and correct any \
             misconfigured worker and restart it.",
            signature.key_algorithm(),
            verification_algorithms.join(", ")
        )));
    }
    let Some(key) = session_key else {
        return Err(HerderError::ServiceUnavailable(NO_SESSION_KEY.to_string()));
    };
    if !signature.is_valid(key) {
        return Err(HerderError::Forbidden(INVALID_SIGNATURE.to_string()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    /// A 32-byte session key.
    const KEY: &[u8] = b"sluice-session-key-0123456789abc";
    /// A task-configs body as a follower sends it.
    const BODY: &[u8] = br#"[{"task.class":"org.example.TestSourceTask","topic":"t"}]"#;
    // Computed independently with Python's `hmac` module:
    // base64.b64encode(hmac.new(KEY, BODY, hashlib.sha256).digest()), and so on.
    const SHA256: &str = "xm4MmcjQ/s2bATGVUqtDuIdy8PrlW/Bu3CijKWvv+DQ=";
    const SHA512: &str =
        "okiaQWPiN+32bGjiRHD0iLFvVR6obn5kcSmLap/7K7wo0IPK3ylHP9w1Dg/s9C959197sFCjJk19Ae2dW1kw4A==";
    const SHA384: &str = "bMWB9U/mvwjbK/JZMkbWPqr6GeWp+znH0QlyA9lMrYw4dDJsjws21i5syxyYK+4S";
    const SHA224: &str = "L0gc8UivFbGqe4Ym+e47wXaxE5B6E1SrGCQqEw==";
    const SHA512_224: &str = "7vn+a9QR8+en1hJpSaeGBuzcydUf87x6jb60Zg==";
    const SHA512_256: &str = "HHM7iAOCArNvO8tAm5PhTG/eyQURwRLmoGm+l/X050I=";
    /// HMAC-SHA256 of the empty body.
    const EMPTY_SHA256: &str = "Ly0N9tb7gbVrrLfpGvm+C9py4Qrzo6yyZ4IfFBI4vTg=";

    fn headers(signature: Option<&str>, algorithm: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(s) = signature {
            h.insert(SIGNATURE_HEADER, HeaderValue::from_str(s).expect("header"));
        }
        if let Some(a) = algorithm {
            h.insert(
                SIGNATURE_ALGORITHM_HEADER,
                HeaderValue::from_str(a).expect("header"),
            );
        }
        h
    }

    fn allowed(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn signs_as_the_fixtures() {
        for (alg, expected) in [
            ("HmacSHA256", SHA256),
            ("HmacSHA512", SHA512),
            ("HmacSHA384", SHA384),
            ("HmacSHA224", SHA224),
            ("HmacSHA512/224", SHA512_224),
            ("HmacSHA512/256", SHA512_256),
        ] {
            let h = sign(KEY, alg, BODY).expect("supported");
            assert_eq!(h.signature, expected, "{alg}");
            assert_eq!(h.algorithm, alg);
        }
        assert_eq!(
            sign(KEY, "HmacSHA256", b"").expect("ok").signature,
            EMPTY_SHA256
        );
        assert_eq!(
            sign(KEY, "HmacMD5", BODY),
            Err(SignatureError::UnknownAlgorithm("HmacMD5".into()))
        );
    }

    #[test]
    fn headers_are_read_as_java_reads_them() {
        // Either header missing: no signature at all.
        for h in [
            headers(Some(SHA256), None),
            headers(None, Some("HmacSHA256")),
            HeaderMap::new(),
        ] {
            assert_eq!(InternalRequestSignature::from_headers(BODY, &h), Ok(None));
        }
        let err = InternalRequestSignature::from_headers(BODY, &headers(Some(SHA256), Some("Foo")))
            .expect_err("unknown");
        assert_eq!(err.to_string(), "Algorithm Foo not available");
        assert_eq!(HerderError::from(err).status(), 400);
        let err = InternalRequestSignature::from_headers(
            BODY,
            &headers(Some("ab-c"), Some("HmacSHA256")),
        )
        .expect_err("not base64");
        assert_eq!(err.to_string(), "Illegal base64 character 2d");
        // Padding is optional, as for Java's decoder.
        let unpadded = SHA256.trim_end_matches('=');
        let sig = InternalRequestSignature::from_headers(
            BODY,
            &headers(Some(unpadded), Some("HmacSHA256")),
        )
        .expect("ok")
        .expect("present");
        assert!(sig.is_valid(KEY));
    }

    fn signed(signature: &str, algorithm: &str, body: &[u8]) -> InternalRequestSignature {
        InternalRequestSignature::from_headers(body, &headers(Some(signature), Some(algorithm)))
            .expect("readable")
            .expect("present")
    }

    #[test]
    fn verification_follows_javas_order_and_messages() {
        let good = signed(SHA256, "HmacSHA256", BODY);
        let default = allowed(&["HmacSHA256"]);
        assert_eq!(verify_request(Some(&good), &default, Some(KEY)), Ok(()));
        let sha512 = signed(SHA512, "HmacSHA512", BODY);
        assert_eq!(
            verify_request(
                Some(&sha512),
                &allowed(&["HmacSHA256", "HmacSHA512"]),
                Some(KEY)
            ),
            Ok(())
        );

        // 1. Missing: 400, even with no session key.
        let e = verify_request(None, &default, None).expect_err("missing");
        assert_eq!(
            (e.status(), e.to_string().as_str()),
            (400, MISSING_SIGNATURE)
        );

        // 2. Not an allowed algorithm: 400, before the session-key check. Names are compared
        // as sent: a lower-case name is a valid MAC but not in the list.
        let e = verify_request(Some(&sha512), &allowed(&["HmacSHA256", "HmacSHA384"]), None)
            .expect_err("not allowed");
        assert_eq!(e.status(), 400);
        assert_eq!(
            e.to_string(),
            "This worker does not support the 'HmacSHA512' key signing algorithm used by other \
             workers. This worker is currently configured to use: [HmacSHA256, HmacSHA384]. \
             Check that all workers' configuration files permit the same set of signature \
             algorithms, and correct any misconfigured worker and restart it."
        );
        let lower = signed(SHA256, "hmacsha256", BODY);
        assert!(lower.is_valid(KEY));
        assert_eq!(
            verify_request(Some(&lower), &default, Some(KEY)).map_err(|e| e.status()),
            Err(400)
        );

        // 3. No session key yet: 503, before the MAC is checked.
        let bad = signed(SHA384, "HmacSHA256", BODY);
        let e = verify_request(Some(&bad), &default, None).expect_err("no key");
        assert_eq!((e.status(), e.to_string().as_str()), (503, NO_SESSION_KEY));

        // 4. Wrong MAC, wrong key, or another body: 403.
        for (sig, key) in [
            (&bad, KEY),
            (&good, b"another-key".as_slice()),
            (&signed(SHA256, "HmacSHA256", b"[]"), KEY),
        ] {
            let e = verify_request(Some(sig), &default, Some(key)).expect_err("invalid");
            assert_eq!(
                (e.status(), e.to_string().as_str()),
                (403, INVALID_SIGNATURE)
            );
        }
    }

    #[test]
    fn an_empty_body_is_signed_as_empty_input() {
        let sig = signed(EMPTY_SHA256, "HmacSHA256", b"");
        assert_eq!(
            verify_request(Some(&sig), &allowed(&["HmacSHA256"]), Some(KEY)),
            Ok(())
        );
    }
}
