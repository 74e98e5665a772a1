//! Reading a source file off the async runtime.
//!
//! A [`FileReader`] owns a small thread that reads the file in chunks and hands them over a
//! bounded channel, so:
//!
//! * no read ever blocks a runtime thread, and memory in flight is bounded by
//!   [`CHANNEL_CHUNKS`] × [`READ_CHUNK`] bytes, however fast the input is (`/dev/zero`);
//! * receiving a chunk is cancel-safe: a `poll` future dropped while it waits loses nothing,
//!   because the chunk stays in the channel;
//! * dropping the reader stops the thread at once: the drop closes the channel and wakes the
//!   thread from its idle wait; the thread notices the closed channel when it sends or
//!   between looks at an idle input;
//! * an idle input costs one look a second ([`MAX_IDLE_CHECK`]) and no read buffer: the
//!   buffer starts at [`FIRST_READ`] bytes and grows to [`READ_CHUNK`] only while reads fill
//!   it, so a thousand idle files hold a few MB, not 64 KiB each.
//!
//! On Unix the file is opened with `O_NONBLOCK`, so opening a FIFO that has no writer
//! returns at once (reads then see end-of-file until a writer appears) and a read never waits
//! for a writer: the thread never blocks anywhere it could not notice a stop.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TryRecvError};

/// The most bytes read from the input at a time.
pub const READ_CHUNK: usize = 64 * 1024;
/// The read buffer's first size; each read that fills it doubles it, up to [`READ_CHUNK`].
pub const FIRST_READ: usize = 4 * 1024;
/// Chunks read ahead of the task.
pub const CHANNEL_CHUNKS: usize = 4;
/// How soon the thread looks again at the end of an input that just had data; each empty look
/// doubles the wait up to [`MAX_IDLE_CHECK`], so a busy file is followed closely and an idle
/// one costs one wake-up a second.
pub const IDLE_CHECK: Duration = Duration::from_millis(10);
/// The longest wait between two looks at an idle input: Java's task waits a second too
/// before it looks again. New lines in a file idle for more than ~2 s are read within this.
pub const MAX_IDLE_CHECK: Duration = Duration::from_millis(1000);

/// One read: bytes, or the error that ended reading.
type Chunk = io::Result<Vec<u8>>;

/// Opens `path` for reading without ever waiting for a FIFO's writer.
pub fn open(path: &str) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Moves `file` to byte `position` (a no-op at 0, so pipes can be read from the start).
pub fn seek(file: &mut File, position: u64) -> io::Result<()> {
    if position > 0 {
        file.seek(SeekFrom::Start(position))?;
    }
    Ok(())
}

/// A file read by a background thread.
#[derive(Debug)]
pub struct FileReader {
    chunks: mpsc::Receiver<Chunk>,
    /// Always `Some` until [`FileReader::close`] (tests) takes it.
    thread: Option<JoinHandle<()>>,
}

/// What [`FileReader::try_next`] found.
#[derive(Debug)]
pub enum Next {
    /// Bytes read.
    Data(Vec<u8>),
    /// Nothing read yet.
    Empty,
}

impl FileReader {
    /// Starts reading `file` from its current position on a thread named after `name`.
    pub fn start(file: File, name: &str) -> io::Result<Self> {
        let (tx, chunks) = mpsc::channel(CHANNEL_CHUNKS);
        let thread = std::thread::Builder::new()
            .name(format!("file-{name}").chars().take(15).collect())
            .spawn(move || pump(file, &tx))?;
        Ok(FileReader {
            chunks,
            thread: Some(thread),
        })
    }

    /// The next chunk if one is ready; never waits.
    pub fn try_next(&mut self) -> io::Result<Next> {
        match self.chunks.try_recv() {
            Ok(chunk) => chunk.map(Next::Data),
            Err(TryRecvError::Empty) => Ok(Next::Empty),
            Err(TryRecvError::Disconnected) => Err(stopped()),
        }
    }

    /// Waits for the next chunk. Cancel-safe: dropping the future loses no data.
    pub async fn next(&mut self) -> io::Result<Vec<u8>> {
        self.chunks.recv().await.unwrap_or_else(|| Err(stopped()))
    }

    /// Whether the reading thread has ended.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Closes the channel and wakes the thread, as dropping the reader does, and returns the
    /// thread, to watch it end.
    #[cfg(test)]
    pub fn close(mut self) -> JoinHandle<()> {
        self.stop();
        self.thread.take().expect("the reader's thread")
    }

    /// Closes the channel, then wakes the thread from its idle wait so that it sees it.
    fn stop(&mut self) {
        self.chunks.close();
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }
}

impl Drop for FileReader {
    fn drop(&mut self) {
        self.stop();
    }
}

fn stopped() -> io::Error {
    io::Error::other("the reading thread stopped")
}

/// The thread's loop: read, send, back off at the end of the input; return when the reader
/// is dropped or a read fails (after sending the error).
fn pump(mut file: File, tx: &mpsc::Sender<Chunk>) {
    let mut buf = vec![0; FIRST_READ];
    let mut idle = IDLE_CHECK;
    while !tx.is_closed() {
        match file.read(&mut buf) {
            Ok(n) if n > 0 => {
                if tx.blocking_send(Ok(buf[..n].to_vec())).is_err() {
                    return;
                }
                if n == buf.len() && buf.len() < READ_CHUNK {
                    buf.resize(buf.len() * 2, 0);
                }
                idle = IDLE_CHECK;
            }
            Ok(_) => {
                // Woken early only when the reader is dropped (then the loop ends).
                std::thread::park_timeout(idle);
                idle = (idle * 2).min(MAX_IDLE_CHECK);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::park_timeout(idle);
                idle = (idle * 2).min(MAX_IDLE_CHECK);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn reads_then_stops_when_dropped() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"hello").expect("write");
        let mut file = open(&path.to_string_lossy()).expect("open");
        seek(&mut file, 1).expect("seek");
        let mut reader = FileReader::start(file, "t").expect("start");
        assert_eq!(reader.next().await.expect("chunk"), b"ello");
        assert!(matches!(reader.try_next(), Ok(Next::Empty)));
        // Let the thread settle into its longest idle wait: dropping still stops it at once.
        tokio::time::sleep(MAX_IDLE_CHECK * 2).await;
        let thread = reader.close();
        let deadline = Instant::now() + MAX_IDLE_CHECK / 2;
        while !thread.is_finished() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(thread.is_finished(), "the thread outlived its reader");
    }

    #[tokio::test]
    async fn dev_zero_fills_only_the_channel_and_stops() {
        let mut reader = FileReader::start(open("/dev/zero").expect("open"), "z").expect("start");
        // The buffer starts small and doubles while reads fill it, up to READ_CHUNK.
        let mut sizes = Vec::new();
        for _ in 0..7 {
            sizes.push(reader.next().await.expect("chunk").len());
        }
        assert_eq!(
            sizes,
            [1, 2, 4, 8, 16, 16, 16].map(|k| k * FIRST_READ),
            "chunk sizes"
        );
        assert_eq!(16 * FIRST_READ, READ_CHUNK);
        tokio::time::sleep(Duration::from_millis(50)).await;
        // The thread waits on the full channel instead of reading on.
        assert!(!reader.is_finished());
        assert_eq!(reader.chunks.capacity(), 0, "the channel is full");
        let thread = reader.close();
        let deadline = Instant::now() + Duration::from_secs(2);
        while !thread.is_finished() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(thread.is_finished(), "the thread outlived its reader");
    }
}
