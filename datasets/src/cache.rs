//! Generated dataset roots kept on disk for reuse: one folder per
//! (generator version, people, seed), made once and then shared by every
//! caller (each test binary, and later test runs on the same machine).
//! The version is a hash of everything that decides what the generator
//! writes (`build.rs`), so a changed generator never reuses an old root.

use std::path::{Path, PathBuf};

/// The generator's version: a hash of its sources, the contract's and the
/// locked dependencies.
pub const GENERATOR_VERSION: &str = env!("EVIDENCE_GENERATOR_VERSION");

/// The dataset root of `people` people with `seed` under `cache`: made by
/// `make` (given an empty folder to fill) unless a caller already made it.
/// A root appears whole or not at all (made in a temporary folder, then
/// renamed), so concurrent callers each get a complete one; folders of
/// other generator versions are removed when a new one is made.
pub fn cached(
    cache: &Path,
    people: u64,
    seed: u64,
    make: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<PathBuf, String> {
    let name = format!("{GENERATOR_VERSION}-{people}-{seed}");
    let root = cache.join(&name);
    if root.join("_planted.json").is_file() {
        return Ok(root);
    }
    let io = |what: &str, path: &Path, e: std::io::Error| format!("{what} {}: {e}", path.display());
    std::fs::create_dir_all(cache).map_err(|e| io("creating", cache, e))?;
    if let Ok(entries) = std::fs::read_dir(cache) {
        for entry in entries.flatten() {
            let other = entry.file_name().to_string_lossy().into_owned();
            if !other.starts_with(GENERATOR_VERSION) && !other.contains(".making-") {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
    let making = cache.join(format!("{name}.making-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&making);
    make(&making)?;
    match std::fs::rename(&making, &root) {
        Ok(()) => Ok(root),
        // Another caller finished first: theirs is the same data.
        Err(_) if root.join("_planted.json").is_file() => {
            let _ = std::fs::remove_dir_all(&making);
            Ok(root)
        }
        Err(e) => Err(io("renaming", &making, e)),
    }
}

/// The shared cache of a test binary: `test-datasets/` in the Cargo target
/// folder the binary was built into (`<target>/<profile>/deps/<binary>`).
pub fn test_cache() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    exe.ancestors()
        .nth(3)
        .map_or_else(std::env::temp_dir, Path::to_path_buf)
        .join("test-datasets")
}

/// Copy every file of `from` into `to` (created), recursively.
pub fn copy_root(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_root(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Made once: the second caller reuses the first's root and never
    /// makes its own; a root of another version is cleared.
    #[test]
    fn a_root_is_made_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("0000-old-1-1")).unwrap();
        let make = |at: &Path| {
            std::fs::create_dir_all(at).unwrap();
            std::fs::write(at.join("_planted.json"), "{}").unwrap();
            Ok(())
        };
        let first = cached(dir.path(), 10, 1, make).unwrap();
        let second = cached(dir.path(), 10, 1, |_| Err("made twice".into())).unwrap();
        assert_eq!(first, second);
        assert!(!dir.path().join("0000-old-1-1").exists());
        assert!(cached(dir.path(), 11, 1, |_| Err("no".into())).is_err());
    }
}
