//! A JSON reader with the leniencies of Connect's `JsonDeserializer` (Jackson
//! `ObjectMapper.readTree`):
//!
//! * leading zeros in numbers are accepted (`0012` is 12; `ALLOW_LEADING_ZEROS_FOR_NUMBERS`);
//! * non-integral numbers keep their literal text (`USE_BIG_DECIMAL_FOR_FLOATS`), integers are
//!   `long` or, beyond, big integers;
//! * empty or all-white-space input is "no value" (Jackson's `MissingNode`);
//! * only the first value is read: trailing content is ignored (`FAIL_ON_TRAILING_TOKENS` is off),
//!   but a root-level number must be followed by white space or the end;
//! * a repeated object member replaces the earlier value;
//! * a UTF-8 byte order mark is skipped.
//!
//! serde_json rejects leading zeros and drops number literals (its `arbitrary_precision` feature
//! would change number handling for the whole workspace), hence this small reader. Nesting is
//! limited to 1000 levels and numbers to 1000 characters, Jackson's default read constraints.

use num_bigint::BigInt;

use super::node::{JsonNode, JsonNumber};

const MAX_DEPTH: usize = 1000;
const MAX_NUMBER_LEN: usize = 1000;

/// Why the bytes are not JSON, with the byte offset.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at byte {offset}")]
pub struct JsonParseError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub offset: usize,
}

/// Reads the first JSON value of `bytes`; `Ok(None)` when there is none (empty input).
pub fn parse(bytes: &[u8]) -> Result<Option<JsonNode>, JsonParseError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut r = Reader { bytes, pos: 0 };
    r.skip_ws()?;
    if r.pos >= bytes.len() {
        return Ok(None);
    }
    let root_is_number = matches!(bytes[r.pos], b'-' | b'0'..=b'9');
    let node = r.value(0)?;
    if root_is_number {
        if let Some(&b) = bytes.get(r.pos) {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Err(r.err(format!(
                    "Unexpected character ({}): Expected space separating root-level values",
                    describe(b)
                )));
            }
        }
    }
    Ok(Some(node))
}

fn describe(b: u8) -> String {
    if b.is_ascii_graphic() {
        format!("'{}' (code {b})", b as char)
    } else {
        format!("code {b}")
    }
}

/// The reader under [`parse`], for the crate's own readers that build other trees from the
/// same tokens (the record JSON's fast path).
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the first value of `bytes` (after a UTF-8 byte order mark).
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        Reader { bytes, pos: 0 }
    }
}

impl Reader<'_> {
    fn err(&self, message: impl Into<String>) -> JsonParseError {
        JsonParseError {
            message: message.into(),
            offset: self.pos,
        }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    pub(crate) fn skip_ws(&mut self) -> Result<(), JsonParseError> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                0..=0x1f => {
                    return Err(self.err(format!(
                        "Illegal character ({}): only regular white space (\\r, \\n, \\t) is allowed between tokens",
                        describe(b)
                    )))
                }
                _ => break,
            }
        }
        Ok(())
    }

    pub(crate) fn value(&mut self, depth: usize) -> Result<JsonNode, JsonParseError> {
        if depth >= MAX_DEPTH {
            return Err(self.err(format!(
                "Document nesting depth exceeds the maximum allowed ({MAX_DEPTH})"
            )));
        }
        match self.peek() {
            None => Err(self.err("Unexpected end-of-input: expected a JSON value")),
            Some(b'{') => self.object(depth),
            Some(b'[') => self.array(depth),
            Some(b'"') => Ok(JsonNode::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number().map(JsonNode::Number),
            Some(b't') => self.literal("true", JsonNode::Bool(true)),
            Some(b'f') => self.literal("false", JsonNode::Bool(false)),
            Some(b'n') => self.literal("null", JsonNode::Null),
            Some(b) => Err(self.err(format!(
                "Unexpected character ({}): expected a valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
                describe(b)
            ))),
        }
    }

    pub(crate) fn literal(
        &mut self,
        word: &str,
        node: JsonNode,
    ) -> Result<JsonNode, JsonParseError> {
        let end = self.pos + word.len();
        if self.bytes.get(self.pos..end) == Some(word.as_bytes())
            && !self
                .bytes
                .get(end)
                .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            self.pos = end;
            return Ok(node);
        }
        let token_end = self.bytes[self.pos..]
            .iter()
            .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
            .map_or(self.bytes.len(), |p| self.pos + p);
        Err(self.err(format!(
            "Unrecognized token '{}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')",
            String::from_utf8_lossy(&self.bytes[self.pos..token_end.max(self.pos + 1).min(self.bytes.len())])
        )))
    }

    fn object(&mut self, depth: usize) -> Result<JsonNode, JsonParseError> {
        self.pos += 1;
        let mut members = crate::json::node::JsonObject::default();
        self.skip_ws()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(JsonNode::Object(members));
        }
        loop {
            self.skip_ws()?;
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("was expecting double-quote to start field name"));
            }
            let key = self.string()?;
            self.skip_ws()?;
            if self.peek() != Some(b':') {
                return Err(
                    self.unexpected("was expecting a colon to separate field name and value")
                );
            }
            self.pos += 1;
            self.skip_ws()?;
            let value = self.value(depth + 1)?;
            members.insert(key, value);
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(JsonNode::Object(members));
                }
                _ => return Err(self.unexpected("was expecting comma to separate Object entries")),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Result<JsonNode, JsonParseError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws()?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(JsonNode::Array(items));
        }
        loop {
            self.skip_ws()?;
            items.push(self.value(depth + 1)?);
            self.skip_ws()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(JsonNode::Array(items));
                }
                _ => return Err(self.unexpected("was expecting comma to separate Array entries")),
            }
        }
    }

    fn unexpected(&self, expecting: &str) -> JsonParseError {
        match self.peek() {
            Some(b) => self.err(format!(
                "Unexpected character ({}): {expecting}",
                describe(b)
            )),
            None => self.err(format!("Unexpected end-of-input: {expecting}")),
        }
    }

    pub(crate) fn string(&mut self) -> Result<String, JsonParseError> {
        self.pos += 1;
        // Most strings have no escape: find the closing quote, then copy once.
        let rest = &self.bytes[self.pos..];
        if let Some(n) = rest
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
        {
            if rest[n] == b'"' {
                let s = std::str::from_utf8(&rest[..n]).map_err(|e| JsonParseError {
                    message: "Invalid UTF-8 in string value".to_string(),
                    offset: self.pos + e.valid_up_to(),
                })?;
                self.pos += n + 1;
                return Ok(s.to_owned());
            }
        }
        let mut out = String::new();
        let mut start = self.pos;
        loop {
            let Some(b) = self.peek() else {
                return Err(self.err(
                    "Unexpected end-of-input: was expecting closing quote for a string value",
                ));
            };
            match b {
                b'"' => {
                    self.push_utf8(&mut out, start)?;
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.push_utf8(&mut out, start)?;
                    self.pos += 1;
                    self.escape(&mut out)?;
                    start = self.pos;
                }
                0..=0x1f => {
                    return Err(self.err(format!(
                        "Illegal unquoted character ({}): has to be escaped using backslash to be included in string value",
                        describe(b)
                    )))
                }
                _ => self.pos += 1,
            }
        }
    }

    fn push_utf8(&self, out: &mut String, start: usize) -> Result<(), JsonParseError> {
        let chunk = &self.bytes[start..self.pos];
        match std::str::from_utf8(chunk) {
            Ok(s) => {
                out.push_str(s);
                Ok(())
            }
            Err(e) => Err(JsonParseError {
                message: "Invalid UTF-8 in string value".to_string(),
                offset: start + e.valid_up_to(),
            }),
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonParseError> {
        let digits = self
            .bytes
            .get(self.pos..self.pos + 4)
            .and_then(|d| std::str::from_utf8(d).ok())
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .and_then(|d| u32::from_str_radix(d, 16).ok())
            .ok_or_else(|| {
                self.err("Unexpected character: expected a hex-digit for character escape sequence")
            })?;
        self.pos += 4;
        Ok(digits)
    }

    fn escape(&mut self, out: &mut String) -> Result<(), JsonParseError> {
        let Some(b) = self.peek() else {
            return Err(self.err("Unexpected end-of-input in character escape sequence"));
        };
        self.pos += 1;
        let c = match b {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let first = self.hex4()?;
                if (0xD800..0xDC00).contains(&first)
                    && self.bytes.get(self.pos..self.pos + 2) == Some(b"\\u")
                {
                    let save = self.pos;
                    self.pos += 2;
                    let second = self.hex4()?;
                    if (0xDC00..0xE000).contains(&second) {
                        let cp = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                        out.push(char::from_u32(cp).unwrap_or('\u{FFFD}'));
                        return Ok(());
                    }
                    self.pos = save;
                }
                // A lone surrogate (legal in a Java string) has no Rust form: U+FFFD.
                char::from_u32(first).unwrap_or('\u{FFFD}')
            }
            other => {
                self.pos -= 1;
                return Err(self.err(format!(
                    "Unrecognized character escape ({})",
                    describe(other)
                )));
            }
        };
        out.push(c);
        Ok(())
    }

    fn number(&mut self) -> Result<JsonNumber, JsonParseError> {
        let (start, integral) = self.scan_number()?;
        let digits = &self.bytes[start..self.pos];
        if integral {
            if let Some(v) = parse_long(digits) {
                return Ok(JsonNumber::Int(v));
            }
        }
        // The slice holds ASCII digits, signs, `.` and `e` only.
        let text = String::from_utf8_lossy(digits).into_owned();
        if !integral {
            return Ok(JsonNumber::Decimal(text));
        }
        text.parse::<BigInt>()
            .map(JsonNumber::BigInt)
            .map_err(|_| JsonParseError {
                message: format!("Invalid numeric value: {text}"),
                offset: start,
            })
    }

    /// Moves over a number literal: its start and whether it is integral (no fraction, no
    /// exponent). The literal is `bytes[start..pos]`.
    pub(crate) fn scan_number(&mut self) -> Result<(usize, bool), JsonParseError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let int_start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == int_start {
            return Err(self
                .unexpected("expected digit (0-9) to follow minus sign, for valid numeric value"));
        }
        let mut integral = true;
        if self.peek() == Some(b'.') {
            integral = false;
            self.pos += 1;
            let frac_start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == frac_start {
                return Err(self.unexpected("Decimal point not followed by a digit"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            integral = false;
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let exp_start = self.pos;
            while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                self.pos += 1;
            }
            if self.pos == exp_start {
                return Err(self.unexpected("Exponent indicator not followed by a digit"));
            }
        }
        let len = self.pos - start;
        if len > MAX_NUMBER_LEN {
            return Err(JsonParseError {
                message: format!(
                    "Number value length ({len}) exceeds the maximum allowed ({MAX_NUMBER_LEN})"
                ),
                offset: start,
            });
        }
        Ok((start, integral))
    }

    /// The bytes from `start` to the current position.
    pub(crate) fn since(&self, start: usize) -> &[u8] {
        &self.bytes[start..self.pos]
    }
}

/// An integral literal (`-`? digits, leading zeros allowed) as a `long`; `None` beyond its range.
pub(crate) fn parse_long(digits: &[u8]) -> Option<i64> {
    let (negative, digits) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() {
        return None;
    }
    let mut magnitude: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        // -(2^63) is i64::MIN; anything larger does not fit.
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Option<JsonNode>, JsonParseError> {
        parse(s.as_bytes())
    }

    #[test]
    fn numbers_keep_jackson_kinds() {
        assert_eq!(
            p("0012").unwrap(),
            Some(JsonNode::Number(JsonNumber::Int(12)))
        );
        assert_eq!(
            p("-1.5600").unwrap(),
            Some(JsonNode::Number(JsonNumber::Decimal("-1.5600".into())))
        );
        assert!(matches!(
            p("123456789012345678901234567890").unwrap(),
            Some(JsonNode::Number(JsonNumber::BigInt(_)))
        ));
        assert!(p("1.").is_err());
        assert!(p("-").is_err());
        assert!(p("+1").is_err());
        assert!(p(".5").is_err());
        assert!(p("NaN").is_err());
        assert!(p("12x").is_err());
    }

    #[test]
    fn longs_parse_as_str_parse_does() {
        for text in [
            "0",
            "-0",
            "007",
            "-007",
            "9223372036854775807",
            "-9223372036854775808",
            "9223372036854775808",
            "-9223372036854775809",
            "99999999999999999999999",
            "00000000000000000000000000012",
            "-",
            "",
        ] {
            assert_eq!(
                parse_long(text.as_bytes()),
                text.parse::<i64>().ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn empty_and_trailing() {
        assert_eq!(p("").unwrap(), None);
        assert_eq!(p(" \n\t").unwrap(), None);
        assert_eq!(
            p("{} trailing").unwrap(),
            Some(JsonNode::Object(crate::json::node::JsonObject::default()))
        );
        assert!(p("{").is_err());
        assert!(p("[1,]").is_err());
        assert!(p("{\"a\" 1}").is_err());
        assert!(p("tru").is_err());
        assert!(p("\u{1}").is_err());
    }

    #[test]
    fn strings_and_duplicates() {
        let v = p(r#"{"a":"x\u00e9\ud83d\ude00\n","a":2,"b":[true,null]}"#)
            .unwrap()
            .unwrap();
        assert_eq!(v.get("a"), Some(&JsonNode::Number(JsonNumber::Int(2))));
        let JsonNode::Object(m) = &v else {
            panic!("object expected")
        };
        assert_eq!(m.keys().collect::<Vec<_>>(), vec!["a", "b"]);
        assert_eq!(
            p(r#""x\u00e9\ud83d\ude00\n""#).unwrap(),
            Some(JsonNode::String("xé😀\n".into()))
        );
        assert!(p("\"a\u{1}\"").is_err());
        assert!(parse(b"\"\xff\"").is_err());
        // Invalid UTF-8 is reported where it starts, with or without an escape before it.
        assert_eq!(parse(b"\"ab\xff\"").unwrap_err().offset, 3);
        assert_eq!(parse(b"\"\\nab\xff\"").unwrap_err().offset, 5);
        assert!(p(r#""\q""#).is_err());
    }

    #[test]
    fn depth_is_limited() {
        let deep = "[".repeat(5000);
        assert!(p(&deep).is_err());
    }
}
