//! Link settings for the `sluice` binary.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // Packed relative relocations (DT_RELR, glibc >= 2.36, binutils >= 2.38): the position-
    // independent binary's ~50,000 relative relocations take a few kB instead of 1.3 MB that
    // the loader reads at every start and that stays resident.
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
