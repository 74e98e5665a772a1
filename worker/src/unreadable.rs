//! Consumer errors for records librdkafka cannot read.
//!
//! librdkafka reports a batch it cannot decompress (a codec this build lacks: zstd) or parse
//! as a consumer error, then fetches the same batch again, and again: the reader makes no
//! progress while it looks healthy (in the tests it never got past the batch). A batch whose
//! CRC does not match (Sluice's readers check CRCs, as Java's consumer does) is reported the
//! same way (`BadMessage`) and skipped by librdkafka. Java's
//! consumer throws from `poll` at that offset. Sluice's readers stop with the error as Java's
//! do: a sink task fails (after putting the records before the batch) and an internal
//! topic's log fails every read to its end, naming the topic, instead of waiting for ever.

use rdkafka::error::RDKafkaErrorCode;

/// Whether a consumer error `code` is for a batch librdkafka cannot read.
pub fn is_unreadable_batch(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::BadMessage
            | RDKafkaErrorCode::BadCompression
            | RDKafkaErrorCode::NotImplemented
    )
}

/// The sentence naming such an error, for logs and task traces.
pub fn describe(code: RDKafkaErrorCode) -> String {
    format!("the consumer could not read a batch of records ({code:?}: {code})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_errors_for_unreadable_batches_count() {
        assert!(is_unreadable_batch(RDKafkaErrorCode::NotImplemented));
        assert!(is_unreadable_batch(RDKafkaErrorCode::BadCompression));
        assert!(is_unreadable_batch(RDKafkaErrorCode::BadMessage));
        // Connection trouble is retried by librdkafka at the same offset.
        assert!(!is_unreadable_batch(
            RDKafkaErrorCode::BrokerTransportFailure
        ));
        assert!(!is_unreadable_batch(RDKafkaErrorCode::AllBrokersDown));
    }
}
