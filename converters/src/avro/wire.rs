//! Confluent's wire format: magic byte `0`, the schema id as a big-endian int32, then the Avro
//! binary encoding of the datum.

use sluice_api::{ConnectError, ConnectResult};

/// The magic byte of the prefix format.
pub const MAGIC_BYTE: u8 = 0;
/// Length of the prefix (magic byte + id).
pub const PREFIX_LEN: usize = 5;

/// Writes the 5-byte prefix for `id` into a new buffer with room for `capacity` more bytes.
pub fn with_prefix(id: i32, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(PREFIX_LEN + capacity);
    out.push(MAGIC_BYTE);
    out.extend_from_slice(&id.to_be_bytes());
    out
}

/// Splits framed bytes into the schema id and the Avro payload.
pub fn split(bytes: &[u8]) -> ConnectResult<(i32, &[u8])> {
    match bytes.first() {
        None => Err(ConnectError::data(
            "Failed to deserialize Avro data: empty payload (expected magic byte 0 and a schema id)",
        )),
        Some(&MAGIC_BYTE) if bytes.len() >= PREFIX_LEN => {
            let id = i32::from_be_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
            Ok((id, &bytes[PREFIX_LEN..]))
        }
        Some(&MAGIC_BYTE) => Err(ConnectError::data(format!(
            "Failed to deserialize Avro data: {} bytes is too short for the magic byte and schema id",
            bytes.len()
        ))),
        Some(_) => Err(ConnectError::data("Unknown magic byte!")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_round_trip_and_bad_magic() {
        let mut b = with_prefix(258, 1);
        b.push(7);
        assert_eq!(b, vec![0, 0, 0, 1, 2, 7]);
        assert_eq!(split(&b).unwrap(), (258, &[7u8][..]));
        assert_eq!(
            split(&[1, 0, 0, 0, 1]).unwrap_err().to_string(),
            "Unknown magic byte!"
        );
        assert!(split(&[0, 0]).is_err());
        assert!(split(&[]).is_err());
    }
}
