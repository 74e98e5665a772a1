//! Java Object Serialization of one `java.util.HashMap<byte[],byte[]>`: the format of Java's
//! standalone offsets file (`FileOffsetBackingStore`), so that a file written by
//! `connect-standalone` is read by Sluice and the other way round.
//!
//! The layout (Java's `FileOffsetBackingStore` file, checked against OpenJDK 17):
//!
//! ```text
//! AC ED 00 05                              stream magic, version 5
//! 73 72 00 11 "java.util.HashMap"          TC_OBJECT, TC_CLASSDESC, class name
//! 05 07 DA C1 C3 16 60 D1 03               serialVersionUID, SC_SERIALIZABLE|SC_WRITE_METHOD
//! 00 02 46 00 0A "loadFactor" 49 00 09 "threshold" 78 70
//! 3F 40 00 00 <threshold:i32>              field values
//! 77 08 <capacity:i32> <size:i32>          TC_BLOCKDATA
//! key, value, key, value, …                 each TC_ARRAY of [B, or TC_NULL
//! 78                                       TC_ENDBLOCKDATA
//! ```
//!
//! The first array carries the full `[B` class descriptor; later ones refer back to it by
//! handle. The reader follows Java's handle numbering generically, so it also reads streams
//! whose first entry is a null.

use thiserror::Error;

const MAGIC: [u8; 4] = [0xAC, 0xED, 0x00, 0x05];
const TC_NULL: u8 = 0x70;
const TC_REFERENCE: u8 = 0x71;
const TC_CLASSDESC: u8 = 0x72;
const TC_OBJECT: u8 = 0x73;
const TC_ARRAY: u8 = 0x75;
const TC_BLOCKDATA: u8 = 0x77;
const TC_ENDBLOCKDATA: u8 = 0x78;
const BASE_HANDLE: u32 = 0x7E_0000;

const HASHMAP_CLASS: &str = "java.util.HashMap";
const HASHMAP_UID: [u8; 8] = [0x05, 0x07, 0xDA, 0xC1, 0xC3, 0x16, 0x60, 0xD1];
const BYTE_ARRAY_CLASS: &str = "[B";
const BYTE_ARRAY_UID: [u8; 8] = [0xAC, 0xF3, 0x17, 0xF8, 0x06, 0x08, 0x54, 0xE0];

/// One map entry; either side may be null.
pub type RawEntry = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Why a stream could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum JavaSerializationError {
    /// The stream ended early.
    #[error("unexpected end of stream at byte {0}")]
    Eof(usize),
    /// The stream holds something other than a HashMap of byte arrays.
    #[error("unexpected content at byte {at}: {what}")]
    Unexpected {
        /// Byte position.
        at: usize,
        /// What was found.
        what: String,
    },
}

/// Writes `entries` as Java writes a `HashMap<byte[],byte[]>` of them.
pub fn write_byte_array_map(entries: &[RawEntry]) -> Vec<u8> {
    let size = entries.len();
    let mut capacity: usize = 16;
    while (capacity as f64) * 0.75 < size as f64 {
        capacity *= 2;
    }
    let threshold = (capacity as f64 * 0.75) as i32;

    let mut out = Vec::with_capacity(128 + entries.iter().map(entry_len).sum::<usize>());
    out.extend_from_slice(&MAGIC);
    out.push(TC_OBJECT);
    out.push(TC_CLASSDESC);
    put_utf(&mut out, HASHMAP_CLASS);
    out.extend_from_slice(&HASHMAP_UID);
    out.push(0x03);
    out.extend_from_slice(&2u16.to_be_bytes());
    out.push(b'F');
    put_utf(&mut out, "loadFactor");
    out.push(b'I');
    put_utf(&mut out, "threshold");
    out.push(TC_ENDBLOCKDATA);
    out.push(TC_NULL);
    out.extend_from_slice(&0.75f32.to_be_bytes());
    out.extend_from_slice(&threshold.to_be_bytes());
    out.push(TC_BLOCKDATA);
    out.push(8);
    out.extend_from_slice(&(capacity as i32).to_be_bytes());
    out.extend_from_slice(&(size as i32).to_be_bytes());

    // Handles: 0 = HashMap class desc, 1 = the map, 2 = `[B` class desc once written.
    let mut byte_array_desc_written = false;
    let mut put_array = |out: &mut Vec<u8>, bytes: &Option<Vec<u8>>| match bytes {
        None => out.push(TC_NULL),
        Some(b) => {
            out.push(TC_ARRAY);
            if byte_array_desc_written {
                out.push(TC_REFERENCE);
                out.extend_from_slice(&(BASE_HANDLE + 2).to_be_bytes());
            } else {
                out.push(TC_CLASSDESC);
                put_utf(out, BYTE_ARRAY_CLASS);
                out.extend_from_slice(&BYTE_ARRAY_UID);
                out.push(0x02);
                out.extend_from_slice(&0u16.to_be_bytes());
                out.push(TC_ENDBLOCKDATA);
                out.push(TC_NULL);
                byte_array_desc_written = true;
            }
            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
            out.extend_from_slice(b);
        }
    };
    for (k, v) in entries {
        put_array(&mut out, k);
        put_array(&mut out, v);
    }
    out.push(TC_ENDBLOCKDATA);
    out
}

fn entry_len((k, v): &RawEntry) -> usize {
    k.as_ref().map_or(1, |b| b.len() + 10) + v.as_ref().map_or(1, |b| b.len() + 10)
}

fn put_utf(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u16).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

/// Reads a stream written by [`write_byte_array_map`] or by Java. An empty input is an empty
/// map (Java treats a missing or empty file as "no offsets").
pub fn read_byte_array_map(bytes: &[u8]) -> Result<Vec<RawEntry>, JavaSerializationError> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Reader {
        bytes,
        pos: 0,
        handles: Vec::new(),
    };
    let magic = r.take(4)?;
    if magic != MAGIC {
        return Err(r.unexpected("not a Java serialization stream"));
    }
    r.expect(TC_OBJECT, "TC_OBJECT")?;
    let desc = r.class_desc()?;
    if desc.name != HASHMAP_CLASS {
        return Err(r.unexpected(&format!("an object of class {}", desc.name)));
    }
    r.handles.push(Handle::Object);
    // Field values in descriptor order: F loadFactor, I threshold.
    for (type_code, _) in &desc.fields {
        match type_code {
            b'F' | b'I' => {
                r.take(4)?;
            }
            other => return Err(r.unexpected(&format!("HashMap field type {}", *other as char))),
        }
    }
    r.expect(TC_BLOCKDATA, "TC_BLOCKDATA")?;
    let len = r.u8()?;
    if len < 8 {
        return Err(r.unexpected("a HashMap block shorter than 8 bytes"));
    }
    let _capacity = r.i32()?;
    let size = r.i32()?;
    r.take(usize::from(len) - 8)?;
    if size < 0 {
        return Err(r.unexpected("a negative map size"));
    }
    let mut entries = Vec::with_capacity(size.min(1 << 16) as usize);
    for _ in 0..size {
        let k = r.byte_array()?;
        let v = r.byte_array()?;
        entries.push((k, v));
    }
    r.expect(TC_ENDBLOCKDATA, "TC_ENDBLOCKDATA")?;
    Ok(entries)
}

struct ClassDesc {
    name: String,
    fields: Vec<(u8, String)>,
}

enum Handle {
    Class(String),
    Object,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    handles: Vec<Handle>,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], JavaSerializationError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(JavaSerializationError::Eof(self.pos))?;
        let slice = self
            .bytes
            .get(self.pos..end)
            .ok_or(JavaSerializationError::Eof(self.pos))?;
        self.pos = end;
        Ok(slice)
    }
    fn u8(&mut self) -> Result<u8, JavaSerializationError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, JavaSerializationError> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, JavaSerializationError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn utf(&mut self) -> Result<String, JavaSerializationError> {
        let n = usize::from(self.u16()?);
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
    fn unexpected(&self, what: &str) -> JavaSerializationError {
        JavaSerializationError::Unexpected {
            at: self.pos,
            what: what.to_string(),
        }
    }
    fn expect(&mut self, tag: u8, name: &str) -> Result<(), JavaSerializationError> {
        let got = self.u8()?;
        if got == tag {
            Ok(())
        } else {
            self.pos -= 1;
            Err(self.unexpected(&format!("expected {name}, found 0x{got:02X}")))
        }
    }

    /// A new class descriptor (TC_CLASSDESC) or a reference to one.
    fn class_desc(&mut self) -> Result<ClassDesc, JavaSerializationError> {
        match self.u8()? {
            TC_CLASSDESC => {
                let name = self.utf()?;
                self.take(8)?; // serialVersionUID
                self.handles.push(Handle::Class(name.clone()));
                let _flags = self.u8()?;
                let count = self.u16()?;
                let mut fields = Vec::with_capacity(usize::from(count));
                for _ in 0..count {
                    let type_code = self.u8()?;
                    let field_name = self.utf()?;
                    if type_code == b'L' || type_code == b'[' {
                        return Err(self.unexpected("an object-typed field"));
                    }
                    fields.push((type_code, field_name));
                }
                self.expect(TC_ENDBLOCKDATA, "TC_ENDBLOCKDATA after class annotations")?;
                self.expect(TC_NULL, "no superclass")?;
                Ok(ClassDesc { name, fields })
            }
            TC_REFERENCE => {
                let handle = self.i32()? as u32;
                match handle
                    .checked_sub(BASE_HANDLE)
                    .and_then(|i| self.handles.get(i as usize))
                {
                    Some(Handle::Class(name)) => Ok(ClassDesc {
                        name: name.clone(),
                        fields: Vec::new(),
                    }),
                    _ => Err(self
                        .unexpected(&format!("a reference to unknown class handle 0x{handle:X}"))),
                }
            }
            other => {
                self.pos -= 1;
                Err(self.unexpected(&format!("expected a class descriptor, found 0x{other:02X}")))
            }
        }
    }

    fn byte_array(&mut self) -> Result<Option<Vec<u8>>, JavaSerializationError> {
        match self.u8()? {
            TC_NULL => Ok(None),
            TC_ARRAY => {
                let desc = self.class_desc()?;
                if desc.name != BYTE_ARRAY_CLASS {
                    return Err(self.unexpected(&format!("an array of class {}", desc.name)));
                }
                self.handles.push(Handle::Object);
                let len = self.i32()?;
                if len < 0 {
                    return Err(self.unexpected("a negative array length"));
                }
                Ok(Some(self.take(len as usize)?.to_vec()))
            }
            other => {
                self.pos -= 1;
                Err(self.unexpected(&format!("expected a byte[] or null, found 0x{other:02X}")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let clean: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..clean.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The bytes OpenJDK 17 writes for a 2-entry map {b"k1" -> b"v", b"k2" -> null}
    /// (a `FileOffsetBackingStore` file).
    fn java_two_entries() -> Vec<u8> {
        let mut v = hex("AC ED 00 05 73 72 00 11");
        v.extend_from_slice(b"java.util.HashMap");
        v.extend(hex("05 07 DA C1 C3 16 60 D1 03 00 02 46 00 0A"));
        v.extend_from_slice(b"loadFactor");
        v.extend(hex("49 00 09"));
        v.extend_from_slice(b"threshold");
        v.extend(hex(
            "78 70 3F 40 00 00 00 00 00 0C 77 08 00 00 00 10 00 00 00 02",
        ));
        v.extend(hex("75 72 00 02"));
        v.extend_from_slice(b"[B");
        v.extend(hex("AC F3 17 F8 06 08 54 E0 02 00 00 78 70 00 00 00 02"));
        v.extend_from_slice(b"k1");
        v.extend(hex("75 71 00 7E 00 02 00 00 00 01"));
        v.extend_from_slice(b"v");
        v.extend(hex("75 71 00 7E 00 02 00 00 00 02"));
        v.extend_from_slice(b"k2");
        v.extend(hex("70 78"));
        v
    }

    #[test]
    fn writes_exactly_what_java_writes() {
        let entries = vec![
            (Some(b"k1".to_vec()), Some(b"v".to_vec())),
            (Some(b"k2".to_vec()), None),
        ];
        assert_eq!(write_byte_array_map(&entries), java_two_entries());
    }

    #[test]
    fn reads_what_java_writes() {
        let entries = read_byte_array_map(&java_two_entries()).unwrap();
        assert_eq!(
            entries,
            vec![
                (Some(b"k1".to_vec()), Some(b"v".to_vec())),
                (Some(b"k2".to_vec()), None)
            ]
        );
    }

    #[test]
    fn round_trips_many_entries_and_sizes_capacity() {
        let entries: Vec<RawEntry> = (0..40)
            .map(|i| {
                (
                    Some(format!("key-{i}").into_bytes()),
                    Some(vec![i as u8; i]),
                )
            })
            .collect();
        let bytes = write_byte_array_map(&entries);
        // 40 entries need capacity 64 and threshold 48.
        let block = bytes
            .windows(2)
            .position(|w| w == [TC_BLOCKDATA, 8])
            .unwrap();
        assert_eq!(&bytes[block - 4..block], &48i32.to_be_bytes());
        assert_eq!(&bytes[block + 2..block + 6], &64i32.to_be_bytes());
        assert_eq!(read_byte_array_map(&bytes).unwrap(), entries);
        assert!(read_byte_array_map(&[]).unwrap().is_empty());
    }

    #[test]
    fn truncated_or_foreign_streams_are_errors_not_panics() {
        let full = java_two_entries();
        for cut in 1..full.len() {
            assert!(read_byte_array_map(&full[..cut]).is_err(), "cut at {cut}");
        }
        assert!(read_byte_array_map(b"{\"format\":\"json\"}").is_err());
    }
}
