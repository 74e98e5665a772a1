//! Line splitting as `FileStreamSourceTask` does it: lines end at `\n`, `\r\n` or a lone
//! `\r`; a `\r` at the end of the data read so far is held back until the next byte shows
//! whether a `\n` follows; an unterminated trailing fragment is kept until its terminator
//! arrives. Lines exclude their terminator and are decoded as UTF-8, invalid sequences
//! replaced by U+FFFD (what Java's `InputStreamReader` does).

/// Bytes read from the input that do not yet form a complete line, plus the input position
/// of the first of them.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    /// Index in `buf` of the first byte not yet consumed.
    start: usize,
    /// Input position (bytes) of `buf[start]`.
    position: u64,
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
            position,
        }
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

    /// The next complete line, if there is one.
    pub fn next_line(&mut self) -> Option<Line> {
        let data = &self.buf[self.start..];
        let (end, terminator) = data.iter().enumerate().find_map(|(i, &b)| match b {
            b'\n' => Some((i, 1)),
            b'\r' => match data.get(i + 1) {
                // Cannot tell `\r` from `\r\n` yet: wait for the next byte.
                None => Some((i, 0)),
                Some(b'\n') => Some((i, 2)),
                Some(_) => Some((i, 1)),
            },
            _ => None,
        })?;
        if terminator == 0 {
            return None;
        }
        let text = String::from_utf8_lossy(&data[..end]).into_owned();
        let consumed = end + terminator;
        self.start += consumed;
        self.position += consumed as u64;
        Some(Line {
            text,
            next_position: self.position,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(buf: &mut LineBuffer) -> Vec<(String, u64)> {
        std::iter::from_fn(|| buf.next_line())
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
            let line = buf.next_line().expect("a complete line");
            assert_eq!(line.text, format!("line {i}"));
        }
        assert_eq!(buf.pending(), 0);
        assert!(
            buf.buf.len() < 64,
            "buffer was not compacted: {}",
            buf.buf.len()
        );
    }
}
