//! One thread that looks at every idle regular file, so idle readers do not wake at all.
//!
//! A [`FileReader`](super::reader::FileReader)'s thread that has found nothing new in its
//! file for a while hands the file to the watcher ([`wait_for_growth`]) and parks. Once every
//! [`MAX_IDLE_CHECK`] the watcher compares each watched file's size with the position its
//! reader stopped at and unparks the readers whose file grew. A thousand idle file sources
//! then cost one wake-up and a thousand `fstat` calls a second instead of a thousand thread
//! wake-ups (most of an idle worker's CPU at that scale). The watcher thread starts with the
//! first idle file and waits without a timeout while nothing is watched.
//!
//! Only regular files are watched: the size of a pipe, a terminal or a device says nothing
//! about whether a read would return data, so their readers keep looking for themselves.

use std::fs::File;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::Thread;

use super::reader::MAX_IDLE_CHECK;

/// A reader's registration, removed by whichever of the reader and the watcher comes first.
struct Entry {
    id: u64,
    file: Arc<File>,
    /// Where the reader's next read starts: the file has new data once it is longer.
    position: u64,
    reader: Thread,
}

struct Watcher {
    entries: Mutex<Vec<Entry>>,
    /// Signalled when the first entry is added, to start a wait-free watcher looking again.
    added: Condvar,
}

static WATCHER: Watcher = Watcher {
    entries: Mutex::new(Vec::new()),
    added: Condvar::new(),
};
/// Whether the watcher's thread is running: started by the first idle reader.
static STARTED: OnceLock<bool> = OnceLock::new();
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Whether a reader of `file` can leave it to the watcher: only regular files.
pub fn can_watch(file: &File) -> bool {
    file.metadata().is_ok_and(|m| m.is_file())
}

/// Parks the calling thread until `file` is longer than `position` (looked at once every
/// [`MAX_IDLE_CHECK`]) or someone unparks the thread. May return early (spurious wake-ups);
/// the caller reads, and calls again if there was nothing.
pub fn wait_for_growth(file: &Arc<File>, position: u64) {
    if !started() {
        // No watcher (the process could not start one more thread): look again later.
        std::thread::park_timeout(MAX_IDLE_CHECK);
        return;
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    {
        let watcher = &WATCHER;
        let mut entries = lock(&watcher.entries);
        entries.push(Entry {
            id,
            file: Arc::clone(file),
            position,
            reader: std::thread::current(),
        });
        if entries.len() == 1 {
            watcher.added.notify_one();
        }
    }
    std::thread::park();
    // Unregister (a no-op if the watcher already did), so the watcher never holds the file
    // past this call and never unparks this thread for a later, unrelated park.
    lock(&WATCHER.entries).retain(|entry| entry.id != id);
}

/// How many readers the watcher is looking after (for tests).
#[cfg(test)]
pub fn watched(file: &Arc<File>) -> usize {
    lock(&WATCHER.entries)
        .iter()
        .filter(|entry| Arc::ptr_eq(&entry.file, file))
        .count()
}

/// Starts the watcher's thread once; false if it could not be started.
fn started() -> bool {
    *STARTED.get_or_init(|| {
        let spawned = std::thread::Builder::new()
            .name("file-watcher".into())
            .spawn(|| watch(&WATCHER));
        if let Err(e) = &spawned {
            tracing::warn!(error = %e, "cannot start the idle file watcher; idle file readers look at their files themselves");
        }
        spawned.is_ok()
    })
}

/// The watcher's loop: every [`MAX_IDLE_CHECK`], unpark and forget the readers whose file grew.
fn watch(watcher: &Watcher) {
    let mut entries = lock(&watcher.entries);
    loop {
        entries = if entries.is_empty() {
            watcher
                .added
                .wait(entries)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        } else {
            watcher
                .added
                .wait_timeout(entries, MAX_IDLE_CHECK)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0
        };
        entries.retain(|entry| {
            // A file that cannot be looked at is handed back too: its reader's read reports it.
            let grown = entry
                .file
                .metadata()
                .map_or(true, |m| m.len() > entry.position);
            if grown {
                entry.reader.unpark();
            }
            !grown
        });
    }
}

fn lock(entries: &Mutex<Vec<Entry>>) -> MutexGuard<'_, Vec<Entry>> {
    entries
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    #[test]
    fn only_regular_files_are_watched() {
        let file = tempfile::tempfile().expect("temp file");
        assert!(can_watch(&file));
        assert!(!can_watch(&File::open("/dev/zero").expect("open")));
    }

    #[test]
    fn a_waiting_reader_is_woken_when_its_file_grows_and_forgotten() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("f");
        std::fs::write(&path, b"a\n").expect("write");
        let file = Arc::new(File::open(&path).expect("open"));
        let (done, woken) = mpsc::channel();
        let waiter = {
            let file = Arc::clone(&file);
            std::thread::spawn(move || {
                // Parks until the watcher sees the file longer than 2 bytes (loop over
                // spurious wake-ups, as the reader does by reading again).
                while file.metadata().expect("size").len() <= 2 {
                    wait_for_growth(&file, 2);
                }
                done.send(()).expect("send");
            })
        };
        let deadline = Instant::now() + Duration::from_secs(2);
        while watched(&file) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(watched(&file), 1, "the reader is registered");
        // Nothing new: the reader stays parked over more than one look.
        assert!(
            woken.recv_timeout(MAX_IDLE_CHECK * 2).is_err(),
            "woken without new data"
        );
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| f.write_all(b"b\n"))
            .expect("append");
        woken
            .recv_timeout(MAX_IDLE_CHECK * 3)
            .expect("the reader is woken within a look or two");
        waiter.join().expect("waiter");
        assert_eq!(watched(&file), 0, "the registration is gone");
    }
}
