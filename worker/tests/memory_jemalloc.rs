//! The `sluice` binary allocates through jemalloc (the default `jemalloc` feature), and
//! `sluice.memory.trim.interval.ms` purges what jemalloc keeps of freed memory.
//!
//! Its own test binary, with jemalloc as its allocator as in `sluice`: it reads the process's
//! resident anonymous memory, which other tests in the same process would disturb.

#![cfg(all(target_os = "linux", feature = "jemalloc"))]
#![allow(unsafe_code)] // mallctl, to stop jemalloc's own decay in one test

mod common;

use common::memory::rss_anon_kb;
use std::hint::black_box;
use std::process::Command;

#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[test]
fn the_binary_allocates_through_jemalloc() {
    // jemalloc prints its statistics at exit when told to; glibc's malloc ignores the variable.
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("--version")
        .env(
            "_RJEM_MALLOC_CONF",
            "stats_print:true,stats_print_opts:gmdablxeh",
        )
        .output()
        .expect("sluice --version runs");
    assert!(out.status.success(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Begin jemalloc statistics"),
        "sluice does not allocate through jemalloc: {stderr}"
    );
}

/// Turns off jemalloc's own return of freed pages (decay) in every arena, so that only a purge
/// returns them.
fn stop_decay() {
    let mut narenas: u32 = 0;
    let mut len = std::mem::size_of::<u32>();
    // SAFETY: `narenas`/`len` describe the `unsigned` this name reads; nothing is written.
    let rc = unsafe {
        tikv_jemalloc_sys::mallctl(
            c"arenas.narenas".as_ptr(),
            (&raw mut narenas).cast(),
            &raw mut len,
            std::ptr::null_mut(),
            0,
        )
    };
    assert_eq!(rc, 0, "arenas.narenas");
    let mut set = 0;
    for arena in 0..narenas {
        let name = std::ffi::CString::new(format!("arena.{arena}.dirty_decay_ms")).unwrap();
        let mut never: isize = -1;
        // SAFETY: a NUL-terminated name and a `ssize_t` to write, which this name takes.
        let rc = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                (&raw mut never).cast(),
                std::mem::size_of::<isize>(),
            )
        };
        // EFAULT for an arena slot not in use yet.
        set += usize::from(rc == 0);
    }
    assert!(set > 0, "no arena's decay could be set");
}

#[test]
fn freed_memory_that_jemalloc_keeps_is_purged() {
    stop_decay();
    // 64 MiB in 16 KiB blocks, touched, then freed while a small block allocated after them
    // stays live: with decay off, jemalloc keeps the freed pages dirty until a purge.
    let blocks: Vec<Vec<u8>> = (0..4096)
        .map(|i| vec![(i % 251) as u8; 16 * 1024])
        .collect();
    let pin = black_box(vec![1u8; 64]);
    let before_free = rss_anon_kb();
    drop(black_box(blocks));
    let freed = rss_anon_kb();
    assert!(
        freed + 16 * 1024 > before_free,
        "expected jemalloc to keep the freed blocks resident: {before_free} kB -> {freed} kB"
    );
    assert!(sluice_worker::memory::trim_now(), "the purge failed");
    let purged = rss_anon_kb();
    assert!(
        freed >= purged + 32 * 1024,
        "expected at least 32 MiB back: {freed} kB before the purge, {purged} kB after"
    );
    drop(pin);
}
