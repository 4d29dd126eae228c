//! Reading a configuration: one file, or every `*.alloy` file of a directory (not recursive) as one config.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ingot_syntax::ast;
use ingot_syntax::parser::parse_file;
use ingot_syntax::{Diagnostic, Diagnostics, SourceFile, Span};
use sha2::{Digest, Sha256};

/// The parsed files of one configuration, in a stable order (file name order for a directory).
#[derive(Debug)]
pub struct ConfigSource {
    pub files: Vec<ast::File>,
    /// `alloy_config_hash`: sha256 over the contents of the files as read, concatenated in path order
    /// (Alloy's `hashSourceFiles`); all zeros when a file could not be read, as Alloy records a load
    /// whose files it could not read.
    pub sha256: [u8; 32],
}

/// Alloy's `hashSourceFiles`: the files' bytes, one after the other in path order, with no separator. No
/// file at all hashes to zeros.
pub fn hash_sources<'a>(contents: impl IntoIterator<Item = &'a [u8]>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    let mut any = false;
    for c in contents {
        hasher.update(c);
        any = true;
    }
    if any {
        hasher.finalize().into()
    } else {
        [0; 32]
    }
}

/// Reads and parses `path` (a file or a directory). Syntax errors of all files are collected; the files are
/// returned even when some have errors, so that callers can report everything at once.
pub fn load(path: &Path) -> (ConfigSource, Diagnostics) {
    let mut diags = Diagnostics::new();
    let paths = match config_paths(path) {
        Ok(p) => p,
        Err(message) => {
            diags.push(Diagnostic::global(message));
            let files = Vec::new();
            return (
                ConfigSource {
                    files,
                    sha256: [0; 32],
                },
                diags,
            );
        }
    };
    let mut files = Vec::new();
    // Hashed as read, before parsing: invalid UTF-8 counts as the bytes it is.
    let mut hasher = Some(Sha256::new());
    for p in paths {
        match std::fs::read(&p) {
            Ok(bytes) => {
                if let Some(h) = hasher.as_mut() {
                    h.update(&bytes);
                }
                let (file, file_diags) = parse_bytes(&p.display().to_string(), bytes);
                diags.extend(file_diags);
                files.push(file);
            }
            Err(e) => {
                hasher = None;
                diags.push(Diagnostic::global(format!("reading {}: {e}", p.display())));
            }
        }
    }
    let sha256 = hasher.map_or([0; 32], |h| h.finalize().into());
    (ConfigSource { files, sha256 }, diags)
}

/// Parses one file's bytes. Invalid UTF-8 is reported at the first bad byte, as Alloy's scanner does.
pub fn parse_bytes(name: &str, bytes: Vec<u8>) -> (ast::File, Diagnostics) {
    match String::from_utf8(bytes) {
        Ok(text) => parse_file(SourceFile::new(name, text)),
        Err(e) => {
            let at = e.utf8_error().valid_up_to() as u32;
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            let source = SourceFile::new(name, text);
            let (file, mut diags) = parse_file(source.clone());
            diags.0.insert(
                0,
                Diagnostic::error(&source, Span::new(at, at + 1), "illegal UTF-8 encoding"),
            );
            (file, diags)
        }
    }
}

/// Parses configuration text held in memory (the embedded default config, tests).
pub fn from_text(name: &str, text: &str) -> (ConfigSource, Diagnostics) {
    let (file, diags) = parse_file(SourceFile::new(name, text));
    let sha256 = hash_sources([text.as_bytes()]);
    (
        ConfigSource {
            files: vec![file],
            sha256,
        },
        diags,
    )
}

fn config_paths(path: &Path) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let entries =
        std::fs::read_dir(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "alloy"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(format!(
            "no .alloy files found in directory {}",
            path.display()
        ));
    }
    Ok(paths)
}

impl ConfigSource {
    /// The source file a diagnostic can point at when the config has one file (used for global checks).
    pub fn sources(&self) -> impl Iterator<Item = &Arc<SourceFile>> {
        self.files.iter().map(|f| &f.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_loads_its_alloy_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.alloy"), "b { }\n").unwrap();
        std::fs::write(dir.path().join("a.alloy"), "a { }\n").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "not config").unwrap();
        let (source, diags) = load(dir.path());
        assert!(diags.is_empty());
        let names: Vec<_> = source.files.iter().map(|f| f.body.len()).collect();
        assert_eq!(names, vec![1, 1]);
        assert!(source.files[0].source.name().ends_with("a.alloy"));
    }

    #[test]
    fn the_hash_is_alloys_over_the_files_in_path_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.alloy"), "b { }\n").unwrap();
        std::fs::write(dir.path().join("a.alloy"), "a { }\n").unwrap();
        let (source, _) = load(dir.path());
        // sha256("a { }\nb { }\n"), as `printf 'a { }\nb { }\n' | sha256sum` prints it.
        assert_eq!(
            source.sha256,
            hash_sources([b"a { }\n".as_slice(), b"b { }\n".as_slice()])
        );
        assert_eq!(
            hex(&source.sha256),
            "6a893f37f314b5a078548edf429728d692a8444c4d4f57da50aae7b593bf4b0c"
        );
        assert_eq!(hash_sources(std::iter::empty()), [0; 32]);
        let (missing, _) = load(&dir.path().join("nope.alloy"));
        assert_eq!(missing.sha256, [0; 32]);
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn invalid_utf8_is_reported_at_its_byte() {
        let (_, diags) = parse_bytes("x.alloy", b"a = \"\xff\"\n".to_vec());
        assert_eq!(
            diags.iter().next().unwrap().short(),
            "x.alloy:1:6: illegal UTF-8 encoding"
        );
    }

    #[test]
    fn an_empty_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let (_, diags) = load(dir.path());
        assert!(diags
            .iter()
            .next()
            .unwrap()
            .message
            .starts_with("no .alloy files found"));
    }
}
