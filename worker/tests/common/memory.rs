//! The test process's own memory, for the test binaries that measure what the allocator does.

/// This process's resident anonymous memory (`RssAnon` in `/proc/self/status`), in KiB.
pub fn rss_anon_kb() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("RssAnon in /proc/self/status")
}
