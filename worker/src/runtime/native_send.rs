//! Sending a record through a librdkafka topic handle.
//!
//! rdkafka's `BaseProducer::send` names the topic by a C string it allocates for every
//! record, and librdkafka then looks the name up among the client's topics under the
//! client's write lock (`rd_kafka_topic_new0`), again for every record. A source task writes
//! run after run of records to the same topic, so its lease keeps a [`TopicHandle`]
//! (librdkafka's `rd_kafka_topic_t`, made once per topic) and [`TopicHandle::produce`]
//! passes that (`RD_KAFKA_VTYPE_RKT`) instead: ~2-3 % of the file source's CPU per record.
//!
//! There is no safe rdkafka API for either, so this module alone calls librdkafka's topic
//! and produce functions itself (the workspace denies `unsafe_code` everywhere else). What
//! [`TopicHandle::produce`] hands librdkafka is what `BaseProducer::send` hands it: key and
//! payload copied (`RD_KAFKA_MSG_F_COPY`), the partition (`-1`: the partitioner chooses),
//! the delivery opaque, the timestamp (`0`: now) and the headers, which librdkafka owns once
//! the record is queued.
#![allow(unsafe_code)]

use std::ffi::{c_void, CString};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use rdkafka::bindings as rdsys;
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::{BorrowedHeaders, OwnedHeaders};
use rdkafka::producer::{Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;
use rdkafka::util::IntoOpaque;

use super::polled_producer::PolledProducer;

/// A librdkafka topic handle (`rd_kafka_topic_t`) of one producer, with the topic's name.
/// It holds a reference to the producer, which so outlives it (librdkafka keeps the topic
/// itself as long as the client needs it; the handle holds the application's reference).
pub struct TopicHandle<C: ProducerContext + 'static> {
    native: NonNull<rdsys::rd_kafka_topic_t>,
    name: Box<str>,
    producer: Arc<PolledProducer<C>>,
}

// SAFETY: librdkafka's topic handles may be used from any thread (its produce and destroy
// calls lock what they touch); the handle has no thread affinity.
unsafe impl<C: ProducerContext + 'static> Send for TopicHandle<C> {}
// SAFETY: as above; every call through a shared handle is one of librdkafka's thread-safe
// functions.
unsafe impl<C: ProducerContext + 'static> Sync for TopicHandle<C> {}

impl<C: ProducerContext + 'static> TopicHandle<C> {
    /// A handle on `name` for `producer` (`rd_kafka_topic_new` with the client's default
    /// topic config, which is what librdkafka uses for a topic named per record).
    pub fn new(producer: &Arc<PolledProducer<C>>, name: &str) -> KafkaResult<Self> {
        let c_name = CString::new(name)?;
        // SAFETY: the client is live (`producer` holds it); `c_name` is NUL-terminated and
        // outlives the call (librdkafka copies it); a null config takes the client's default.
        let native = unsafe {
            rdsys::rd_kafka_topic_new(
                producer.client().native_ptr(),
                c_name.as_ptr(),
                ptr::null_mut(),
            )
        };
        match NonNull::new(native) {
            Some(native) => Ok(TopicHandle {
                native,
                name: name.into(),
                producer: producer.clone(),
            }),
            // What librdkafka answers a produce call naming such a topic (an empty name, or
            // one over its length limit).
            None => Err(KafkaError::MessageProduction(
                RDKafkaErrorCode::InvalidArgument,
            )),
        }
    }

    /// The topic's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Queues `record` on this topic; `headers` pass to librdkafka when it is queued and
    /// come back with the error when it is not.
    pub fn produce(
        &self,
        record: &Produce<'_>,
        headers: Option<OwnedHeaders>,
    ) -> Result<(), (RDKafkaErrorCode, Option<OwnedHeaders>)> {
        fn raw(bytes: Option<&[u8]>) -> (*mut c_void, usize) {
            bytes.map_or((ptr::null_mut(), 0), |b| {
                (b.as_ptr().cast::<c_void>().cast_mut(), b.len())
            })
        }
        let (payload_ptr, payload_len) = raw(record.payload);
        let (key_ptr, key_len) = raw(record.key);
        let headers_ptr = headers.as_ref().map_or(ptr::null_mut(), |h| {
            // `BorrowedHeaders` is a zero-sized stand-in whose address is librdkafka's
            // `rd_kafka_headers_t *` (rdkafka's `OwnedHeaders::ptr`, which is private).
            (h.as_borrowed() as *const BorrowedHeaders)
                .cast::<rdsys::rd_kafka_headers_t>()
                .cast_mut()
        });
        let opaque = record.opaque.into_ptr();
        // SAFETY: the client is live (`self.producer`) and made `self.native`; key and
        // payload point to `len` readable bytes that librdkafka copies before returning
        // (`RD_KAFKA_MSG_F_COPY`); the header list is owned by `headers` until the call
        // succeeds; the argument list ends with `RD_KAFKA_VTYPE_END`.
        let err = unsafe {
            rdsys::rd_kafka_producev(
                self.producer.client().native_ptr(),
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_RKT,
                self.native.as_ptr(),
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_PARTITION,
                record.partition.unwrap_or(-1),
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_MSGFLAGS,
                rdsys::RD_KAFKA_MSG_F_COPY,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_VALUE,
                payload_ptr,
                payload_len,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_KEY,
                key_ptr,
                key_len,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_OPAQUE,
                opaque,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_TIMESTAMP,
                record.timestamp.unwrap_or(0),
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_HEADERS,
                headers_ptr,
                rdsys::rd_kafka_vtype_t::RD_KAFKA_VTYPE_END,
            )
        };
        if err == rdsys::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
            // librdkafka owns the header list of a queued record and frees it with the
            // record.
            std::mem::forget(headers);
            Ok(())
        } else {
            // The opaque is a plain number: nothing to take back.
            Err((err.into(), headers))
        }
    }
}

impl<C: ProducerContext + 'static> Drop for TopicHandle<C> {
    fn drop(&mut self) {
        // SAFETY: `native` came from `rd_kafka_topic_new` and is released once, here, while
        // the client is live (`self.producer` is dropped after this).
        unsafe { rdsys::rd_kafka_topic_destroy(self.native.as_ptr()) };
    }
}

/// One record to produce, borrowed from its sender.
pub struct Produce<'a> {
    /// The partition, or `None` for the partitioner's choice.
    pub partition: Option<i32>,
    /// The key bytes (`None`: a null key).
    pub key: Option<&'a [u8]>,
    /// The value bytes (`None`: a tombstone).
    pub payload: Option<&'a [u8]>,
    /// The timestamp in epoch milliseconds (`None`: librdkafka stamps the time of sending).
    pub timestamp: Option<i64>,
    /// The delivery opaque that the delivery report hands back.
    pub opaque: usize,
}
