//! A byte-level split of the `{"schema": …, "payload": …}` envelope, so that a converter can
//! recognise a schema it has just read by its bytes and skip parsing it again.
//!
//! The split is a fast path only: it answers `None` for anything but a plain two-member
//! envelope (members in either order, white space anywhere JSON allows it, keys without
//! escapes), and the caller then reads the bytes the general way, which also produces the
//! errors. It never decides that bytes are valid JSON: the spans it returns are parsed (or
//! compared with bytes that parsed before).

/// The byte spans of the `schema` and `payload` member values of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Envelope<'a> {
    /// The `schema` member's value.
    pub schema: &'a [u8],
    /// The `payload` member's value.
    pub payload: &'a [u8],
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && is_ws(bytes[i]) {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string starting at `i` (an opening quote).
fn skip_string(bytes: &[u8], mut i: usize) -> Option<usize> {
    i += 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

/// The end (exclusive) of the JSON value starting at `i`, found by nesting and quoting alone.
fn skip_value(bytes: &[u8], i: usize) -> Option<usize> {
    match *bytes.get(i)? {
        b'"' => skip_string(bytes, i),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < bytes.len() {
                match bytes[j] {
                    b'"' => {
                        j = skip_string(bytes, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < bytes.len() && !matches!(bytes[j], b',' | b'}' | b']') && !is_ws(bytes[j]) {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Splits a plain envelope; `None` sends the caller to the general reader.
///
/// `known_schema`: the bytes of a schema value read before. When the `schema` member starts
/// with them and a `,` or `}` follows, they are its whole value (a complete JSON value is never
/// the prefix of a longer one that is followed by `,` or `}`), and the member is not scanned.
pub fn split<'a>(bytes: &'a [u8], known_schema: Option<&[u8]>) -> Option<Envelope<'a>> {
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'{') {
        return None;
    }
    let mut schema = None;
    let mut payload = None;
    for member in 0..2 {
        i = skip_ws(bytes, i + 1);
        let key_end = skip_string(bytes, i).filter(|_| bytes[i] == b'"')?;
        let key = &bytes[i + 1..key_end - 1];
        i = skip_ws(bytes, key_end);
        if bytes.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(bytes, i + 1);
        let end = match known_schema {
            Some(known)
                if key == b"schema"
                    && bytes[i..].starts_with(known)
                    && matches!(
                        bytes.get(skip_ws(bytes, i + known.len())),
                        Some(b',' | b'}')
                    ) =>
            {
                i + known.len()
            }
            _ => skip_value(bytes, i)?,
        };
        let span = &bytes[i..end];
        let slot = match key {
            b"schema" => &mut schema,
            b"payload" => &mut payload,
            _ => return None,
        };
        if slot.replace(span).is_some() {
            return None;
        }
        i = skip_ws(bytes, end);
        let expected = if member == 0 { b',' } else { b'}' };
        if bytes.get(i) != Some(&expected) {
            return None;
        }
    }
    Some(Envelope {
        schema: schema?,
        payload: payload?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_plain_envelopes_in_either_order() {
        let e = split(
            br#" { "schema" : {"type":"struct","fields":[{"field":"a}"}]} , "payload":{"a":"x\"}"} } trailing"#,
            None,
        )
            .expect("an envelope");
        assert_eq!(e.schema, br#"{"type":"struct","fields":[{"field":"a}"}]}"#);
        assert_eq!(e.payload, br#"{"a":"x\"}"}"#);
        let e = split(br#"{"payload":12,"schema":null}"#, None).expect("an envelope");
        assert_eq!((e.schema, e.payload), (&b"null"[..], &b"12"[..]));
    }

    #[test]
    fn a_known_schema_is_taken_whole_only_when_it_is_the_whole_value() {
        let known = br#"{"type":"int64"}"#;
        let e = split(br#"{"schema":{"type":"int64"} ,"payload":1}"#, Some(known)).expect("split");
        assert_eq!(e.schema, known);
        // Bytes that merely start like the known schema are scanned.
        let e = split(br#"{"schema":12,"payload":1}"#, Some(b"1")).expect("split");
        assert_eq!(e.schema, b"12");
        let e = split(br#"{"schema":{"type":"int64"}},"payload":1}"#, Some(known));
        assert_eq!(e, None);
    }

    #[test]
    fn anything_else_goes_to_the_general_reader() {
        for bytes in [
            &br#"{"schema":null}"#[..],
            br#"{"schema":null,"payload":1,"extra":2}"#,
            br#"{"schema":null,"schema":1}"#,
            br#"{"sch\u0065ma":null,"payload":1}"#,
            br#"{"schema":{"a":1,"payload":1}"#,
            br#"[1,2]"#,
            b"\xEF\xBB\xBF{\"schema\":null,\"payload\":1}",
            br#"{"schema" null,"payload":1}"#,
            b"",
        ] {
            assert_eq!(
                split(bytes, None),
                None,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}
