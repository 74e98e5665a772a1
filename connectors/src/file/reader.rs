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
//! * an idle input costs no read buffer: the buffer starts at [`FIRST_READ`] bytes and grows
//!   to [`READ_CHUNK`] only while reads fill it, so a thousand idle files hold a few MB, not
//!   64 KiB each;
//! * an idle regular file costs no wake-up of its thread: once its looks have backed off to
//!   [`MAX_IDLE_CHECK`], the thread parks and the one [watcher](super::watch) thread of the
//!   process wakes it when the file grows (it looks at every idle file's size once a
//!   second); other inputs (pipes, devices) keep being looked at once a second.
//!
//! On Unix the file is opened with `O_NONBLOCK`, so opening a FIFO that has no writer
//! returns at once (reads then see end-of-file until a writer appears) and a read never waits
//! for a writer: the thread never blocks anywhere it could not notice a stop.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc::{self, error::TryRecvError};

use super::watch;

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
/// is dropped or a read fails (after sending the error). A regular file that stays idle until
/// the longest wait is left to the [watcher](super::watch), which wakes the thread only when
/// the file has grown.
fn pump(mut file: File, tx: &mpsc::Sender<Chunk>) {
    let watchable = watch::can_watch(&file);
    // Where the next read starts, for the watcher (which compares it with the file's size).
    let mut position = if watchable {
        file.stream_position().ok()
    } else {
        None
    };
    let file = Arc::new(file);
    let mut buf = vec![0; FIRST_READ];
    let mut idle = IDLE_CHECK;
    while !tx.is_closed() {
        match (&*file).read(&mut buf) {
            Ok(n) if n > 0 => {
                if tx.blocking_send(Ok(buf[..n].to_vec())).is_err() {
                    return;
                }
                if n == buf.len() && buf.len() < READ_CHUNK {
                    buf.resize(buf.len() * 2, 0);
                }
                if let Some(position) = &mut position {
                    *position += n as u64;
                }
                idle = IDLE_CHECK;
            }
            Ok(_) => match position {
                // Woken early only when the file grew or the reader is dropped.
                Some(position) if idle == MAX_IDLE_CHECK => watch::wait_for_growth(&file, position),
                _ => idle = back_off(idle),
            },
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => idle = back_off(idle),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(e));
                return;
            }
        }
    }
}

/// Waits `idle` (woken early only when the reader is dropped) and returns the next wait.
fn back_off(idle: Duration) -> Duration {
    std::thread::park_timeout(idle);
    (idle * 2).min(MAX_IDLE_CHECK)
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
        assert_stops_within(reader, MAX_IDLE_CHECK / 2).await;
    }

    /// Closes `reader` and checks that its thread ends within `limit`.
    async fn assert_stops_within(reader: FileReader, limit: Duration) {
        let thread = reader.close();
        let deadline = Instant::now() + limit;
        while !thread.is_finished() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(thread.is_finished(), "the thread outlived its reader");
    }

    /// Voluntary context switches of this process's thread named `name`.
    fn wake_ups(name: &str) -> Option<u64> {
        std::fs::read_dir("/proc/self/task")
            .ok()?
            .flatten()
            .find_map(|task| {
                let comm = std::fs::read_to_string(task.path().join("comm")).ok()?;
                if comm.trim_end() != name {
                    return None;
                }
                let status = std::fs::read_to_string(task.path().join("status")).ok()?;
                status
                    .lines()
                    .find_map(|line| line.strip_prefix("voluntary_ctxt_switches:"))
                    .and_then(|n| n.trim().parse().ok())
            })
    }

    #[tokio::test]
    async fn an_idle_regular_file_does_not_wake_its_thread_until_it_grows() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"a\n").expect("write");
        let file = open(&path.to_string_lossy()).expect("open");
        let mut reader = FileReader::start(file, "idle-watch").expect("start");
        assert_eq!(reader.next().await.expect("chunk"), b"a\n");
        // The looks back off from IDLE_CHECK to MAX_IDLE_CHECK (~2.3 s), then the watcher
        // takes over and the thread sleeps until the file grows.
        tokio::time::sleep(MAX_IDLE_CHECK * 3).await;
        let before = wake_ups("file-idle-watch").expect("the reading thread");
        tokio::time::sleep(MAX_IDLE_CHECK * 4).await;
        let after = wake_ups("file-idle-watch").expect("the reading thread");
        // Looking for itself, the thread would have woken four times.
        assert!(
            after - before <= 1,
            "{} wake-ups while idle",
            after - before
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, b"b\n"))
            .expect("append");
        let chunk = tokio::time::timeout(MAX_IDLE_CHECK * 3, reader.next()).await;
        assert_eq!(
            chunk.expect("new data within a look").expect("chunk"),
            b"b\n"
        );
        // Dropping the reader still stops the thread at once, watched or not.
        tokio::time::sleep(MAX_IDLE_CHECK * 3).await;
        assert_stops_within(reader, MAX_IDLE_CHECK / 2).await;
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
        assert_stops_within(reader, Duration::from_secs(2)).await;
    }
}
