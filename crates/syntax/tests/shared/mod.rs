//! Locating `../shared` (the corpus and fixtures beside the repository). Under CI it must be there: a missing
//! directory fails the test instead of skipping it.

use std::path::PathBuf;

#[allow(dead_code)]
pub fn shared_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is missing: the conformance tests need shared/ beside the repository",
            dir.display()
        );
    }
    eprintln!(
        "note: {} not found; skipping the conformance test outside CI",
        dir.display()
    );
    None
}

#[allow(dead_code)]
pub fn corpus_dir() -> Option<PathBuf> {
    shared_dir().map(|d| d.join("corpus/alloy"))
}
