//! `sluice.memory.trim.interval.ms`: freed heap memory is handed back to the system.
//!
//! Its own test binary: it reads the process's resident anonymous memory, which other tests
//! running in the same process would disturb.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

mod common;

use common::memory::rss_anon_kb;
use std::hint::black_box;
use std::sync::Mutex;

/// The tests measure the whole process: one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

#[test]
fn freed_memory_below_a_live_allocation_is_returned() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // 64 MiB in 16 KiB blocks (below the allocator's mmap threshold, so they live in its
    // heap), touched, then freed while a small block allocated after them stays live: the
    // free space is not at the top of the heap, so glibc keeps it resident on its own.
    let blocks: Vec<Vec<u8>> = (0..4096)
        .map(|i| vec![(i % 251) as u8; 16 * 1024])
        .collect();
    let pin = black_box(vec![1u8; 64]);
    let before_free = rss_anon_kb();
    drop(black_box(blocks));
    let freed = rss_anon_kb();
    assert!(
        freed + 16 * 1024 > before_free,
        "expected the allocator to keep the freed blocks resident: {before_free} kB -> {freed} kB"
    );
    assert!(
        sluice_worker::memory::trim_now(),
        "malloc_trim released nothing"
    );
    let trimmed = rss_anon_kb();
    assert!(
        freed >= trimmed + 32 * 1024,
        "expected at least 32 MiB back: {freed} kB before the trim, {trimmed} kB after"
    );
    drop(pin);
}

#[test]
fn the_trimmer_runs_on_its_interval() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let blocks: Vec<Vec<u8>> = (0..4096)
        .map(|i| vec![(i % 251) as u8; 16 * 1024])
        .collect();
    let pin = black_box(vec![1u8; 64]);
    drop(black_box(blocks));
    let freed = rss_anon_kb();
    let trimmed = runtime.block_on(async {
        let trimmer = sluice_worker::memory::spawn_trimmer(std::time::Duration::from_millis(100))
            .expect("a trimmer on glibc");
        let mut trimmed = freed;
        for _ in 0..50 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            trimmed = rss_anon_kb();
            if freed >= trimmed + 32 * 1024 {
                break;
            }
        }
        trimmer.abort();
        trimmed
    });
    assert!(
        freed >= trimmed + 32 * 1024,
        "the trimmer did not hand the freed memory back: {freed} kB -> {trimmed} kB"
    );
    drop(pin);
}
