//! One path target matched against the file system, as Alloy's `watch.getPaths` does it: the files
//! `__path__` matches, less those `__path_exclude__` matches, made absolute; directories left out.

use std::collections::BTreeMap;
use std::io;
use std::time::SystemTime;

use super::glob::{abs, filepath_glob, path_match};

/// One matched file.
#[derive(Clone, Debug, PartialEq)]
pub struct MatchedFile {
    /// Absolute and clean, as Go's `filepath.Abs` makes it.
    pub path: String,
    pub modified: Option<SystemTime>,
}

/// What one path target matched, and what got in the way (for health), in words.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matched {
    pub files: Vec<MatchedFile>,
    pub problems: Vec<String>,
}

/// An I/O error as Go prints a `syscall.Errno` (`permission denied`), not as Rust does
/// (`Permission denied (os error 13)`).
pub fn io_error_text(e: &io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => {
            let mut t = s[..i].to_string();
            if let Some(f) = t.get_mut(0..1) {
                f.make_ascii_lowercase();
            }
            t
        }
        None => s,
    }
}

/// Matches one path target (`__path__`, optional `__path_exclude__`).
pub fn match_files(target: &BTreeMap<String, String>) -> Matched {
    let mut out = Matched::default();
    let pattern = target.get("__path__").map(String::as_str).unwrap_or("");
    let result = match filepath_glob(pattern) {
        Ok(r) => r,
        Err(e) => {
            out.problems.push(format!("__path__ {pattern:?}: {e}"));
            return out;
        }
    };
    for (dir, e) in &result.errors {
        out.problems
            .push(format!("{}: {}", dir.display(), io_error_text(e)));
    }
    let exclude = target
        .get("__path_exclude__")
        .map(String::as_str)
        .unwrap_or("");
    for m in result.matches {
        if !exclude.is_empty() {
            match path_match(exclude, &m) {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => {
                    // doublestar's PathMatch fails on a bad pattern, and Alloy keeps the file.
                    let p = format!("__path_exclude__ {exclude:?}: {e}");
                    if !out.problems.contains(&p) {
                        out.problems.push(p);
                    }
                }
            }
        }
        let path = match abs(&m) {
            Ok(p) => p,
            Err(e) => {
                out.problems.push(format!("{m}: {}", io_error_text(&e)));
                continue;
            }
        };
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(meta) => out.files.push(MatchedFile {
                path,
                modified: meta.modified().ok(),
            }),
            // Gone between the listing and now (a rotation): the next sync sees the new state.
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => out.problems.push(format!("{path}: {}", io_error_text(&e))),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excludes_and_leaves_out_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        for f in ["a.log", "b.log", "old.log.gz", "d.log/x"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, "x").unwrap();
        }
        let target = BTreeMap::from([
            ("__path__".to_string(), format!("{root}/*.log*")),
            ("__path_exclude__".to_string(), format!("{root}/*.gz")),
        ]);
        let m = match_files(&target);
        let paths: Vec<_> = m.files.iter().map(|f| f.path.clone()).collect();
        assert_eq!(paths, [format!("{root}/a.log"), format!("{root}/b.log")]);
        assert!(m.problems.is_empty(), "{:?}", m.problems);
        let bad = BTreeMap::from([("__path__".to_string(), "/x/[".to_string())]);
        assert_eq!(
            match_files(&bad).problems,
            ["__path__ \"/x/[\": syntax error in pattern"]
        );
        let missing = BTreeMap::from([("__path__".to_string(), format!("{root}/no/*.log"))]);
        assert_eq!(
            match_files(&missing).problems,
            [format!("{root}/no: no such file or directory")]
        );
    }
}
