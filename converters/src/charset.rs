//! The Java charsets StringConverter supports, by their Java names and aliases
//! (case-insensitive), with Java's encoding and decoding rules: unmappable characters encode as
//! `?`, malformed input decodes as U+FFFD, `UTF-16` writes a big-endian BOM and reads either BOM
//! (big-endian without one).

/// A supported charset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// `UTF-8`.
    Utf8,
    /// `UTF-16`: BOM `FE FF` on write; BOM-detected, else big-endian, on read.
    Utf16,
    /// `UTF-16BE`.
    Utf16Be,
    /// `UTF-16LE`.
    Utf16Le,
    /// `ISO-8859-1` (Latin-1).
    Latin1,
    /// `US-ASCII`.
    Ascii,
}

impl Charset {
    /// `Charset.forName(name)` for the supported charsets.
    pub fn for_name(name: &str) -> Option<Charset> {
        let n = name.trim().to_ascii_uppercase();
        Some(match n.as_str() {
            "UTF-8" | "UTF8" | "UNICODE-1-1-UTF-8" => Charset::Utf8,
            "UTF-16" | "UTF_16" | "UTF16" | "UNICODE" => Charset::Utf16,
            "UTF-16BE" | "UTF_16BE" | "ISO-10646-UCS-2" | "X-UTF-16BE" | "UNICODEBIGUNMARKED" => {
                Charset::Utf16Be
            }
            "UTF-16LE" | "UTF_16LE" | "X-UTF-16LE" | "UNICODELITTLEUNMARKED" => Charset::Utf16Le,
            "ISO-8859-1" | "ISO8859-1" | "ISO8859_1" | "ISO_8859_1" | "ISO_8859-1" | "LATIN1"
            | "L1" | "8859_1" | "CP819" | "IBM819" | "IBM-819" | "819" | "CSISOLATIN1"
            | "ISO-IR-100" | "ISO_8859-1:1987" => Charset::Latin1,
            "US-ASCII" | "ASCII" | "US" | "ISO646-US" | "ISO-IR-6" | "ANSI_X3.4-1968"
            | "ANSI_X3.4-1986" | "646" | "CP367" | "IBM367" | "CSASCII" | "DEFAULT" | "ASCII7"
            | "ISO_646.IRV:1983" | "ISO_646.IRV:1991" => Charset::Ascii,
            _ => return None,
        })
    }

    /// `String.getBytes(charset)`.
    pub fn encode(self, s: &str) -> Vec<u8> {
        match self {
            Charset::Utf8 => s.as_bytes().to_vec(),
            Charset::Utf16 => {
                let mut out = vec![0xFE, 0xFF];
                out.extend(s.encode_utf16().flat_map(u16::to_be_bytes));
                out
            }
            Charset::Utf16Be => s.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Charset::Utf16Le => s.encode_utf16().flat_map(u16::to_le_bytes).collect(),
            // Java encodes a supplementary character (a surrogate pair) as a single '?'.
            Charset::Latin1 => s
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            Charset::Ascii => s
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
        }
    }

    /// `new String(bytes, charset)`.
    pub fn decode(self, bytes: &[u8]) -> String {
        match self {
            Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Charset::Utf16 => match bytes {
                [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
                [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
                _ => utf16(bytes, u16::from_be_bytes),
            },
            Charset::Utf16Be => utf16(bytes, u16::from_be_bytes),
            Charset::Utf16Le => utf16(bytes, u16::from_le_bytes),
            Charset::Latin1 => bytes.iter().map(|b| char::from(*b)).collect(),
            Charset::Ascii => bytes
                .iter()
                .map(|b| {
                    if b.is_ascii() {
                        char::from(*b)
                    } else {
                        '\u{FFFD}'
                    }
                })
                .collect(),
        }
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect();
    if bytes.len() % 2 == 1 {
        out.push('\u{FFFD}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_java() {
        assert_eq!(Charset::for_name("utf-16"), Some(Charset::Utf16));
        assert_eq!(Charset::for_name("latin1"), Some(Charset::Latin1));
        assert_eq!(Charset::for_name("EBCDIC-42"), None);
        assert_eq!(Charset::Utf16.encode("a"), vec![0xFE, 0xFF, 0, b'a']);
        assert_eq!(Charset::Utf16Le.encode("a"), vec![b'a', 0]);
        assert_eq!(Charset::Latin1.encode("é€"), vec![0xE9, b'?']);
        assert_eq!(Charset::Ascii.encode("é"), vec![b'?']);
    }

    #[test]
    fn decodes_like_java() {
        assert_eq!(Charset::Utf16.decode(&[0xFF, 0xFE, b'a', 0]), "a");
        assert_eq!(Charset::Utf16.decode(&[0, b'a']), "a");
        assert_eq!(Charset::Utf16Be.decode(&[0, b'a', 1]), "a\u{FFFD}");
        assert_eq!(Charset::Utf8.decode(&[b'a', 0xFF]), "a\u{FFFD}");
        assert_eq!(Charset::Latin1.decode(&[0xE9]), "é");
        assert_eq!(Charset::Ascii.decode(&[0xE9]), "\u{FFFD}");
    }
}
