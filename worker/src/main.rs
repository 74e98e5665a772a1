//! `sluice`: the Sluice worker binary. See [`sluice_worker::cli`].

/// jemalloc is the binary's allocator with the `jemalloc` feature (the default); its options
/// and purging are in [`sluice_worker::memory`].
#[cfg(feature = "jemalloc")]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    sluice_worker::cli::main()
}
