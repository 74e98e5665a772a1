//! Line splitting as `FileStreamSourceTask` does it: lines end at `\n`, `\r\n` or a lone
//! `\r`; a `\r` at the end of the data read so far is held back until the next byte shows
//! whether a `\n` follows; an unterminated trailing fragment is kept until its terminator
//! arrives. Lines exclude their terminator and are decoded as UTF-8, invalid sequences
//! replaced by U+FFFD (what Java's `InputStreamReader` does).
//!
//! Unlike Java, a line may hold at most a fixed number of bytes (see [`LineBuffer::limit`]):
//! a longer line is an error, so reading `/dev/zero` or a file without line breaks cannot
//! grow the buffer without bound.

/// The longest line [`LineBuffer`] accepts unless told otherwise: 8 MiB, eight times the
/// producer's default `max.request.size`.
pub const DEFAULT_MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Bytes read from the input that do not yet form a complete line, plus the input position
/// of the first of them.
#[derive(Debug)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Index in `buf` of the first byte not yet consumed.
    start: usize,
    /// Bytes after `start` already searched for a terminator without finding one, so that a
    /// long line arriving in many reads is scanned once, not once per read.
    scanned: usize,
    /// Input position (bytes) of `buf[start]`.
    position: u64,
    /// The longest line accepted, in bytes, terminator excluded.
    max_line: usize,
}

impl Default for LineBuffer {
    fn default() -> Self {
        LineBuffer::at(0)
    }
}

/// A line longer than the buffer's limit: it is neither returned nor skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line starting at byte offset {position} is longer than {limit} bytes")]
pub struct LineTooLong {
    /// Input position of the line's first byte.
    pub position: u64,
    /// The limit it exceeds.
    pub limit: usize,
}

/// One complete line and the input position just after its terminator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The line, without its terminator.
    pub text: String,
    /// The byte position after the terminator: where reading resumes after this line.
    pub next_position: u64,
}

impl LineBuffer {
    /// An empty buffer whose next byte is at input position `position`.
    pub fn at(position: u64) -> Self {
        LineBuffer {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            position,
            max_line: DEFAULT_MAX_LINE_BYTES,
        }
    }

    /// The same buffer accepting lines of at most `max_line` bytes (at least 1).
    pub fn limit(mut self, max_line: usize) -> Self {
        self.max_line = max_line.max(1);
        self
    }

    /// The input position of the first unconsumed byte.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Bytes held that do not form a complete line yet.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Appends bytes read from the input.
    pub fn extend(&mut self, bytes: &[u8]) {
        // Compact before growing, so the buffer stays as large as the longest line.
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete line, if there is one; an error when the line at the head of the
    /// buffer is longer than the limit, whether or not its terminator has arrived (the error
    /// repeats until the buffer is dropped: the line is never skipped).
    pub fn next_line(&mut self) -> Result<Option<Line>, LineTooLong> {
        let data = &self.buf[self.start..];
        let found = memchr::memchr2(b'\n', b'\r', &data[self.scanned..]).map(|at| {
            let i = self.scanned + at;
            match (data[i], data.get(i + 1)) {
                (b'\n', _) => (i, 1),
                // Cannot tell `\r` from `\r\n` yet: wait for the next byte.
                (_, None) => (i, 0),
                (_, Some(b'\n')) => (i, 2),
                (_, Some(_)) => (i, 1),
            }
        });
        let too_long = LineTooLong {
            position: self.position,
            limit: self.max_line,
        };
        let (end, terminator) = match found {
            None => {
                self.scanned = data.len();
                return if data.len() > self.max_line {
                    Err(too_long)
                } else {
                    Ok(None)
                };
            }
            Some((end, _)) if end > self.max_line => return Err(too_long),
            Some((end, 0)) => {
                self.scanned = end;
                return Ok(None);
            }
            Some(found) => found,
        };
        // Valid UTF-8 (nearly every line) is checked by the fast validator and copied once.
        let text = match std::str::from_utf8(&data[..end]) {
            Ok(valid) => valid.to_owned(),
            Err(_) => String::from_utf8_lossy(&data[..end]).into_owned(),
        };
        let consumed = end + terminator;
        self.start += consumed;
        self.scanned = 0;
        self.position += consumed as u64;
        Ok(Some(Line {
            text,
            next_position: self.position,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(buf: &mut LineBuffer) -> Vec<(String, u64)> {
        std::iter::from_fn(|| buf.next_line().expect("no over-long line"))
            .map(|l| (l.text, l.next_position))
            .collect()
    }

    #[test]
    fn java_example_partial_line_then_mixed_terminators() {
        // FileStreamSourceTaskTest: "partial line" + " finished\n" is one record at 22, then
        // "line1\rline2\r\nline3\nline4\n\r" yields 28, 35, 41, 47, and the held `\r` becomes
        // an empty line at 48 once "subsequent text" arrives.
        let mut buf = LineBuffer::at(0);
        buf.extend(b"partial line");
        assert!(
            drain(&mut buf).is_empty(),
            "unterminated fragment must be held"
        );
        buf.extend(b" finished\n");
        assert_eq!(drain(&mut buf), vec![("partial line finished".into(), 22)]);
        buf.extend(b"line1\rline2\r\nline3\nline4\n\r");
        assert_eq!(
            drain(&mut buf),
            vec![
                ("line1".into(), 28),
                ("line2".into(), 35),
                ("line3".into(), 41),
                ("line4".into(), 47),
            ]
        );
        buf.extend(b"subsequent text");
        assert_eq!(drain(&mut buf), vec![(String::new(), 48)]);
        assert_eq!(buf.pending(), "subsequent text".len());
        assert_eq!(buf.position(), 48);
    }

    #[test]
    fn cr_then_lf_in_a_later_read_is_one_terminator() {
        let mut buf = LineBuffer::at(10);
        buf.extend(b"a\r");
        assert!(drain(&mut buf).is_empty());
        buf.extend(b"\nb\n");
        assert_eq!(drain(&mut buf), vec![("a".into(), 13), ("b".into(), 15)]);
    }

    #[test]
    fn invalid_utf8_is_replaced_and_positions_count_bytes() {
        let mut buf = LineBuffer::at(0);
        buf.extend("é\n".as_bytes());
        buf.extend(b"\xff\n");
        assert_eq!(
            drain(&mut buf),
            vec![("é".into(), 3), ("\u{fffd}".into(), 5)]
        );
    }

    #[test]
    fn compaction_keeps_unconsumed_bytes() {
        let mut buf = LineBuffer::at(0);
        for i in 0..1000 {
            buf.extend(format!("line {i}\n").as_bytes());
            let line = buf
                .next_line()
                .expect("no over-long line")
                .expect("a complete line");
            assert_eq!(line.text, format!("line {i}"));
        }
        assert_eq!(buf.pending(), 0);
        assert!(
            buf.buf.len() < 64,
            "buffer was not compacted: {}",
            buf.buf.len()
        );
    }

    #[test]
    fn a_line_longer_than_the_limit_is_an_error_naming_its_start() {
        let mut buf = LineBuffer::at(100).limit(8);
        buf.extend(b"short\n");
        assert_eq!(drain(&mut buf), vec![("short".into(), 106)]);
        // Exactly the limit is fine, terminated or not.
        buf.extend(b"12345678");
        assert_eq!(buf.next_line(), Ok(None));
        buf.extend(b"\n");
        assert_eq!(drain(&mut buf), vec![("12345678".into(), 115)]);
        // One byte more fails before the terminator arrives, and keeps failing.
        buf.extend(b"123456789");
        let err = LineTooLong {
            position: 115,
            limit: 8,
        };
        assert_eq!(buf.next_line(), Err(err.clone()));
        buf.extend(b"\nnext\n");
        assert_eq!(buf.next_line(), Err(err.clone()));
        assert_eq!(
            err.to_string(),
            "line starting at byte offset 115 is longer than 8 bytes"
        );
    }

    #[test]
    fn a_long_line_in_many_reads_is_scanned_once() {
        let mut buf = LineBuffer::at(0).limit(1 << 20);
        for _ in 0..256 {
            buf.extend(&[b'x'; 1024]);
            assert_eq!(buf.next_line(), Ok(None));
            assert_eq!(buf.scanned, buf.pending());
        }
        buf.extend(b"\r");
        assert_eq!(buf.next_line(), Ok(None), "a trailing \\r is held");
        buf.extend(b"\n");
        let line = buf.next_line().ok().flatten().expect("a line");
        assert_eq!(
            (line.text.len(), line.next_position),
            (256 * 1024, 256 * 1024 + 2)
        );
    }
}
