//! `sluice`: the Sluice worker binary. See [`sluice_worker::cli`].

fn main() -> std::process::ExitCode {
    sluice_worker::cli::main()
}
