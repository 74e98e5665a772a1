//! The connection and coordinator requests against a scripted in-process broker whose
//! responses are written byte by byte from Kafka's protocol reference (non-flexible
//! versions): the ApiVersions fallback to the broker's version, SASL PLAIN and SCRAM
//! through SaslHandshake v1 + SaslAuthenticate v1 (the broker checks the SCRAM proof), and
//! the exact bytes of a JoinGroup v5 request with the MEMBER_ID_REQUIRED retry.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::config::{
    MembershipConfig, SaslCredentials, SaslMechanism, SecurityConfig, SecurityProtocol,
};
use super::connection::{Connection, ConnectionError};
use super::coordinator;

const SALT: &[u8] = b"fake-broker-salt";
const ITERATIONS: u32 = 4096;

/// Appends a protocol STRING (int16 length, bytes).
pub(crate) fn string(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as i16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as i32).to_be_bytes());
    out.extend_from_slice(b);
}

/// Reads a request header v1 (api key, version, correlation id, client id).
fn header(frame: &[u8]) -> (i16, i16, i32, usize) {
    let api = i16::from_be_bytes([frame[0], frame[1]]);
    let version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let client_len = i16::from_be_bytes([frame[8], frame[9]]).max(0) as usize;
    (api, version, correlation, 10 + client_len)
}

fn hmac256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("hmac key");
    m.update(data);
    m.finalize().into_bytes().to_vec()
}

/// The broker's half of SCRAM-SHA-256 for `password`.
struct ScramServer {
    password: String,
    client_first_bare: String,
    server_first: String,
}

impl ScramServer {
    fn first(&mut self, client_first: &[u8]) -> Vec<u8> {
        let text = std::str::from_utf8(client_first).expect("utf8");
        self.client_first_bare = text.strip_prefix("n,,").expect("gs2 header").to_string();
        let nonce = self
            .client_first_bare
            .split(',')
            .find_map(|p| p.strip_prefix("r="))
            .expect("nonce");
        self.server_first = format!("r={nonce}srv,s={},i={ITERATIONS}", B64.encode(SALT));
        self.server_first.clone().into_bytes()
    }

    /// The server-final message, or `None` when the proof is wrong.
    fn last(&self, client_final: &[u8]) -> Option<Vec<u8>> {
        let text = std::str::from_utf8(client_final).expect("utf8");
        let (without_proof, proof) = text.rsplit_once(",p=").expect("proof");
        let auth = format!(
            "{},{},{without_proof}",
            self.client_first_bare, self.server_first
        );
        let mut salted = [0u8; 32];
        pbkdf2::pbkdf2_hmac::<Sha256>(self.password.as_bytes(), SALT, ITERATIONS, &mut salted);
        let stored_key = Sha256::digest(hmac256(&salted, b"Client Key")).to_vec();
        let signature = hmac256(&stored_key, auth.as_bytes());
        let client_key: Vec<u8> = B64
            .decode(proof)
            .expect("base64")
            .iter()
            .zip(&signature)
            .map(|(a, b)| a ^ b)
            .collect();
        if Sha256::digest(&client_key).to_vec() != stored_key {
            return None;
        }
        let server_key = hmac256(&salted, b"Server Key");
        Some(format!("v={}", B64.encode(hmac256(&server_key, auth.as_bytes()))).into_bytes())
    }
}

/// A broker for one connection: ApiVersions (answering v3 with UNSUPPORTED_VERSION as
/// brokers do), SaslHandshake v1 (PLAIN or SCRAM-SHA-256), SaslAuthenticate v1 with user
/// `u` and `password`, and JoinGroup v5 (MEMBER_ID_REQUIRED, then a generation).
/// Records every request frame.
async fn fake_broker(password: &str) -> (String, Arc<Mutex<Vec<Vec<u8>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let frames = Arc::new(Mutex::new(Vec::new()));
    let seen = frames.clone();
    let password = password.to_string();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut mechanism = String::new();
        let mut scram = ScramServer {
            password,
            client_first_bare: String::new(),
            server_first: String::new(),
        };
        let mut auth_round = 0;
        while let Some(frame) = read(&mut socket).await {
            seen.lock().expect("lock").push(frame.clone());
            let (api, version, correlation, body_at) = header(&frame);
            let body = &frame[body_at..];
            let mut out = correlation.to_be_bytes().to_vec();
            match api {
                18 => api_versions(
                    &mut out,
                    version,
                    &[(18, 0, 2), (17, 0, 1), (36, 0, 1), (11, 0, 5), (10, 0, 2)],
                ),
                17 => {
                    // SaslHandshake v1: mechanism string -> error, [mechanisms].
                    let len = i16::from_be_bytes([body[0], body[1]]) as usize;
                    mechanism = String::from_utf8_lossy(&body[2..2 + len]).to_string();
                    let ok = mechanism == "PLAIN" || mechanism == "SCRAM-SHA-256";
                    out.extend_from_slice(&(if ok { 0i16 } else { 33 }).to_be_bytes());
                    out.extend_from_slice(&2i32.to_be_bytes());
                    string(&mut out, "PLAIN");
                    string(&mut out, "SCRAM-SHA-256");
                }
                36 => {
                    // SaslAuthenticate v1: bytes -> error, error message, bytes, lifetime.
                    let len = i32::from_be_bytes([body[0], body[1], body[2], body[3]]) as usize;
                    let token = &body[4..4 + len];
                    let answer = if mechanism == "PLAIN" {
                        let expected = [b"\0u\0".as_slice(), scram.password.as_bytes()].concat();
                        (token == expected.as_slice()).then(Vec::new)
                    } else if auth_round == 0 {
                        Some(scram.first(token))
                    } else {
                        scram.last(token)
                    };
                    auth_round += 1;
                    match answer {
                        Some(reply) => {
                            out.extend_from_slice(&0i16.to_be_bytes());
                            out.extend_from_slice(&(-1i16).to_be_bytes());
                            bytes(&mut out, &reply);
                        }
                        None => {
                            out.extend_from_slice(&58i16.to_be_bytes());
                            string(&mut out, "Authentication failed: Invalid credentials");
                            bytes(&mut out, b"");
                        }
                    }
                    out.extend_from_slice(&0i64.to_be_bytes());
                }
                11 => {
                    // JoinGroup v5 response.
                    let first = seen
                        .lock()
                        .expect("lock")
                        .iter()
                        .filter(|f| f[1] == 11)
                        .count()
                        == 1;
                    out.extend_from_slice(&0i32.to_be_bytes()); // throttle
                    if first {
                        out.extend_from_slice(&79i16.to_be_bytes()); // MEMBER_ID_REQUIRED
                        out.extend_from_slice(&(-1i32).to_be_bytes());
                        string(&mut out, "");
                        string(&mut out, "");
                        string(&mut out, "m-1");
                        out.extend_from_slice(&0i32.to_be_bytes());
                    } else {
                        out.extend_from_slice(&0i16.to_be_bytes());
                        out.extend_from_slice(&7i32.to_be_bytes()); // generation
                        string(&mut out, "default");
                        string(&mut out, "m-1"); // leader
                        string(&mut out, "m-1"); // member id
                        out.extend_from_slice(&1i32.to_be_bytes());
                        string(&mut out, "m-1");
                        out.extend_from_slice(&(-1i16).to_be_bytes()); // no instance id
                        bytes(&mut out, b"md");
                    }
                }
                _ => return,
            }
            let mut frame = (out.len() as i32).to_be_bytes().to_vec();
            frame.extend_from_slice(&out);
            if socket.write_all(&frame).await.is_err() {
                return;
            }
        }
    });
    (addr, frames)
}

/// Appends an ApiVersions v0-2 response body for `apis` (key, min, max): error,
/// [api_key, min, max], throttle (v1+); a request above v2 gets UNSUPPORTED_VERSION, as
/// brokers answer a version they do not know.
pub(crate) fn api_versions(out: &mut Vec<u8>, version: i16, apis: &[(i16, i16, i16)]) {
    let error: i16 = if version > 2 { 35 } else { 0 };
    out.extend_from_slice(&error.to_be_bytes());
    out.extend_from_slice(&(apis.len() as i32).to_be_bytes());
    for (k, min, max) in apis {
        for v in [k, min, max] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    }
    if error == 0 && version >= 1 {
        out.extend_from_slice(&0i32.to_be_bytes());
    }
}

/// Reads one size-prefixed request frame.
pub(crate) async fn read(socket: &mut TcpStream) -> Option<Vec<u8>> {
    let mut size = [0u8; 4];
    socket.read_exact(&mut size).await.ok()?;
    let mut frame = vec![0u8; i32::from_be_bytes(size) as usize];
    socket.read_exact(&mut frame).await.ok()?;
    Some(frame)
}

fn sasl(mechanism: SaslMechanism, password: &str) -> SecurityConfig {
    SecurityConfig {
        protocol: SecurityProtocol::SaslPlaintext,
        sasl: Some(SaslCredentials {
            mechanism,
            username: "u".to_string(),
            password: password.to_string(),
        }),
        tls: None,
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn sasl_plain_then_join_group_v5_bytes() {
    let (addr, frames) = fake_broker("pw").await;
    let mut conn = Connection::connect(&addr, "cid", &sasl(SaslMechanism::Plain, "pw"), TIMEOUT)
        .await
        .expect("connect");
    let props: BTreeMap<String, String> = [
        ("group.id", "g"),
        ("bootstrap.servers", addr.as_str()),
        ("session.timeout.ms", "10000"),
        ("rebalance.timeout.ms", "60000"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let config = MembershipConfig::from_worker_props(&props).expect("config");
    let mut member_id = String::new();
    let joined = coordinator::join_group(
        &mut conn,
        &config,
        &mut member_id,
        &[("default".to_string(), Bytes::from_static(b"md"))],
    )
    .await
    .expect("join");
    assert_eq!(member_id, "m-1");
    assert_eq!(joined.generation_id, 7);
    assert!(joined.is_leader());
    assert_eq!(joined.protocol, "default");
    assert_eq!(joined.members.len(), 1);
    assert_eq!(joined.members[0].metadata, Bytes::from_static(b"md"));

    let frames = frames.lock().expect("lock").clone();
    // ApiVersions v3, then v2 after UNSUPPORTED_VERSION, SaslHandshake, SaslAuthenticate,
    // JoinGroup twice.
    let apis: Vec<(i16, i16)> = frames
        .iter()
        .map(|f| {
            let (api, version, _, _) = header(f);
            (api, version)
        })
        .collect();
    assert_eq!(
        apis,
        vec![(18, 3), (18, 2), (17, 1), (36, 1), (11, 5), (11, 5)]
    );
    // SaslHandshake v1: header v1 (key 17, version 1, correlation 2, client id "cid"),
    // mechanism "PLAIN".
    assert_eq!(
        frames[2],
        [
            &[0, 17, 0, 1, 0, 0, 0, 2, 0, 3][..],
            b"cid",
            &[0, 5],
            b"PLAIN"
        ]
        .concat()
    );
    // SaslAuthenticate v1: the PLAIN token as BYTES.
    assert_eq!(
        frames[3],
        [
            &[0, 36, 0, 1, 0, 0, 0, 3, 0, 3][..],
            b"cid",
            &[0, 0, 0, 5],
            b"\0u\0pw"
        ]
        .concat()
    );
    // JoinGroup v5 with the member id the coordinator handed out: group "g", session
    // 10000 ms, rebalance 60000 ms, member "m-1", null instance id, protocol type
    // "connect", one protocol "default" with metadata "md".
    assert_eq!(
        frames[5],
        [
            &[0, 11, 0, 5, 0, 0, 0, 5, 0, 3][..],
            b"cid",
            &[0, 1],
            b"g",
            &[0x00, 0x00, 0x27, 0x10],
            &[0x00, 0x00, 0xEA, 0x60],
            &[0, 3],
            b"m-1",
            &[0xFF, 0xFF],
            &[0, 7],
            b"connect",
            &[0, 0, 0, 1],
            &[0, 7],
            b"default",
            &[0, 0, 0, 2],
            b"md",
        ]
        .concat()
    );
}

#[tokio::test]
async fn sasl_scram_sha256_is_checked_by_the_broker() {
    let (addr, frames) = fake_broker("pencil").await;
    Connection::connect(
        &addr,
        "cid",
        &sasl(SaslMechanism::ScramSha256, "pencil"),
        TIMEOUT,
    )
    .await
    .expect("SCRAM with the right password");
    // client-first and client-final.
    assert_eq!(
        frames
            .lock()
            .expect("lock")
            .iter()
            .filter(|f| f[1] == 36)
            .count(),
        2
    );

    let (addr, _) = fake_broker("pencil").await;
    let err = Connection::connect(
        &addr,
        "cid",
        &sasl(SaslMechanism::ScramSha256, "wrong"),
        TIMEOUT,
    )
    .await
    .expect_err("wrong password");
    assert!(
        matches!(&err, ConnectionError::Sasl { reason, .. } if reason.contains("Invalid credentials")),
        "{err}"
    );

    // A mechanism the broker does not enable.
    let (addr, _) = fake_broker("pencil").await;
    let err = Connection::connect(
        &addr,
        "cid",
        &sasl(SaslMechanism::ScramSha512, "pencil"),
        TIMEOUT,
    )
    .await
    .expect_err("mechanism not enabled");
    assert!(
        matches!(&err, ConnectionError::Sasl { reason, .. } if reason.contains("SCRAM-SHA-512")),
        "{err}"
    );
}
