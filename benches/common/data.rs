//! The big synthetic store the benches share: where it is cached, and building it once.

use std::path::{Path, PathBuf};

#[path = "synth.rs"]
pub mod synth;

/// The store size the targets are stated for.
pub const DEFAULT_CONVERSATIONS: usize = 100_000;
/// The generator's seed: the same store every time.
pub const SEED: u64 = 0x0C04_7D01;
/// Bump when the generator or the schema changes, so an old cached store is not reused.
pub const DATA_VERSION: &str = "v3";

/// `COMPTOIR_BENCH_CONVERSATIONS`, else the full size; exits 2 on a bad value.
pub fn conversations_from_env() -> usize {
    match std::env::var("COMPTOIR_BENCH_CONVERSATIONS") {
        Err(_) => DEFAULT_CONVERSATIONS,
        Ok(v) => match v.trim().replace('_', "").parse::<usize>() {
            Ok(n) if n > 0 => n,
            _ => {
                eprintln!(
                    "COMPTOIR_BENCH_CONVERSATIONS={v:?} is not a positive number of conversations"
                );
                std::process::exit(2);
            }
        },
    }
}

/// The cache folder of a store of this size.
pub fn store_dir(conversations: usize) -> PathBuf {
    bench_data_dir().join(format!(
        "store-{}-{DATA_VERSION}",
        size_label(conversations)
    ))
}

/// `target/bench-data`, beside the bench binary's profile folder.
fn bench_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("bench-data");
    }
    // target/<profile>/deps/<bench>-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.to_path_buf()))
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target"))
        .join("bench-data")
}

fn size_label(n: usize) -> String {
    if n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

/// The store in `dir`, built now unless a complete one is cached there.
pub fn build_or_reuse(dir: &Path, path: &Path, conversations: usize) -> synth::BuildReport {
    let marker = dir.join("complete");
    if let Ok(text) = std::fs::read_to_string(&marker)
        && let Some(report) = synth::BuildReport::from_marker(&text)
        && path.exists()
    {
        println!(
            "reusing the store built earlier (delete {} to rebuild)",
            dir.display()
        );
        return report;
    }
    if dir.exists() {
        println!("removing an incomplete store at {}", dir.display());
        std::fs::remove_dir_all(dir).expect("remove the incomplete bench store");
    }
    std::fs::create_dir_all(dir).expect("create the bench data folder");
    println!("building the store (this takes a while for 100k conversations)...");
    let report = synth::build_store(path, conversations, SEED);
    std::fs::write(&marker, report.to_marker()).expect("write the marker file");
    report
}
