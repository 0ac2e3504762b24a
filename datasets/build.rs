//! Names the generator's version for `cache`: a hash of every file that
//! decides what `generate` writes (this crate's sources and reference data,
//! the contract's sources, and the locked dependency versions), so a cached
//! dataset is reused only by the generator that made it.

use std::collections::hash_map::DefaultHasher;
use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let here = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let inputs = [
        here.join("src"),
        here.join("reference"),
        here.join("Cargo.toml"),
        here.join("../contract/src"),
        here.join("../contract/reference"),
        here.join("../Cargo.lock"),
    ];
    let mut all = Vec::new();
    for input in &inputs {
        println!("cargo:rerun-if-changed={}", input.display());
        if input.is_dir() {
            files(input, &mut all);
        } else {
            all.push(input.clone());
        }
    }
    all.sort();
    let mut hash = DefaultHasher::new();
    for file in &all {
        hash.write(
            file.strip_prefix(&here)
                .unwrap_or(file)
                .to_string_lossy()
                .as_bytes(),
        );
        hash.write(&std::fs::read(file).unwrap_or_default());
    }
    println!(
        "cargo:rustc-env=EVIDENCE_GENERATOR_VERSION={:016x}",
        hash.finish()
    );
}
