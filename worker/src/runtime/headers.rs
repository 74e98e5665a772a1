//! Decoding a consumed record's headers without trusting them to be UTF-8.
//!
//! rdkafka's [`Headers::try_get`](rdkafka::message::Headers::try_get) (and so `get` and
//! `iter`) unwraps `CStr::to_str` on the header key and panics on a key that is not valid
//! UTF-8; Kafka itself puts no such constraint on the bytes a producer sends. Java's consumer
//! decodes keys with `new String(bytes, UTF_8)`, which replaces every malformed sequence with
//! U+FFFD; [`String::from_utf8_lossy`] does the same. There is no safe rdkafka API that hands
//! out the raw key bytes, so this module alone calls librdkafka's `rd_kafka_header_get_all`
//! itself (the workspace denies `unsafe_code` everywhere else).
#![allow(unsafe_code)]

use std::ffi::{c_char, c_void, CStr};

use rdkafka::bindings as rdsys;
use rdkafka::message::BorrowedHeaders;

/// One decoded header: the key (lossily decoded as Java does) and the raw value (`None` for
/// a null value).
pub type DecodedHeader = (String, Option<Vec<u8>>);

/// Every header of a consumed record, in order: keys decoded lossily, values as raw bytes.
/// Never panics.
pub fn decode(headers: &BorrowedHeaders) -> Vec<DecodedHeader> {
    // `BorrowedHeaders` is a zero-sized stand-in whose address is librdkafka's
    // `rd_kafka_headers_t *` (rdkafka builds it that way in `BorrowedHeaders::from_native_ptr`
    // and casts it back in its private `as_native_ptr`).
    let native = (headers as *const BorrowedHeaders).cast::<rdsys::rd_kafka_headers_t>();
    // SAFETY: `native` is the live header list of a message borrowed for the lifetime of
    // `headers`; `rd_kafka_header_cnt` only reads it.
    let count = unsafe { rdsys::rd_kafka_header_cnt(native) };
    let mut out = Vec::with_capacity(count);
    for idx in 0..count {
        let mut name: *const c_char = std::ptr::null();
        let mut value: *const c_void = std::ptr::null();
        let mut size: usize = 0;
        // SAFETY: `native` is valid (see above), `idx < count`, and the three out-pointers
        // point to initialized locals that outlive the call.
        let err = unsafe {
            rdsys::rd_kafka_header_get_all(native, idx, &mut name, &mut value, &mut size)
        };
        if err != rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR || name.is_null() {
            continue;
        }
        // SAFETY: librdkafka stores every header name NUL-terminated and keeps it alive as
        // long as the header list, which `headers` borrows.
        let key = unsafe { CStr::from_ptr(name) };
        let key = String::from_utf8_lossy(key.to_bytes()).into_owned();
        let value = if value.is_null() {
            None
        } else {
            // SAFETY: librdkafka returns a pointer to `size` initialized bytes owned by the
            // header list (alive as long as `headers`); the bytes are copied at once.
            Some(unsafe { std::slice::from_raw_parts(value.cast::<u8>(), size) }.to_vec())
        };
        out.push((key, value));
    }
    out
}

/// Test support: headers whose keys are arbitrary bytes (rdkafka's `OwnedHeaders::insert`
/// only takes `&str`), to produce records a Rust producer could not otherwise write.
#[cfg(test)]
pub(crate) fn owned_with_raw_keys(
    headers: &[(&[u8], Option<&[u8]>)],
) -> rdkafka::message::OwnedHeaders {
    let owned = rdkafka::message::OwnedHeaders::new_with_capacity(headers.len());
    let native = (owned.as_borrowed() as *const BorrowedHeaders)
        .cast::<rdsys::rd_kafka_headers_t>()
        .cast_mut();
    for (key, value) in headers {
        let (value_ptr, value_len) = match value {
            Some(v) => (v.as_ptr().cast::<c_void>(), v.len() as isize),
            None => (std::ptr::null(), 0),
        };
        // SAFETY: `native` is the header list `owned` exclusively owns (created just above
        // and not shared yet); librdkafka copies the `key.len()` name bytes and the value.
        let err = unsafe {
            rdsys::rd_kafka_header_add(
                native,
                key.as_ptr().cast::<c_char>(),
                key.len() as isize,
                value_ptr,
                value_len,
            )
        };
        assert_eq!(err, rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR);
    }
    owned
}

#[cfg(test)]
mod tests {
    use rdkafka::message::Headers;

    use super::*;

    #[test]
    fn keys_are_decoded_lossily_like_java_and_values_stay_raw() {
        let owned = owned_with_raw_keys(&[
            (b"plain", Some(b"v1")),
            (b"bad\xff\xfekey", Some(b"\x00\xff raw")),
            (b"null-value", None),
        ]);
        // rdkafka itself would panic on the second key.
        let panics = std::panic::catch_unwind(|| owned.iter().count());
        assert!(panics.is_err());
        let decoded = decode(owned.as_borrowed());
        assert_eq!(
            decoded,
            vec![
                ("plain".to_string(), Some(b"v1".to_vec())),
                (
                    "bad\u{FFFD}\u{FFFD}key".to_string(),
                    Some(b"\x00\xff raw".to_vec())
                ),
                ("null-value".to_string(), None),
            ]
        );
    }

    #[test]
    fn no_headers_decode_to_nothing() {
        let owned = rdkafka::message::OwnedHeaders::new();
        assert!(decode(owned.as_borrowed()).is_empty());
    }
}
