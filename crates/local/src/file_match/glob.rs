//! Doublestar globs as Alloy runs them (`github.com/bmatcuk/doublestar/v4` with default options on Linux:
//! case-sensitive, symlinks followed, I/O errors not fatal):
//!
//! - `*` matches any run of characters but `/`, `?` one character but `/`, `[abc]`, `[a-z]`, `[^a]` and
//!   `[!a]` one character of a class, `{a,b}` one of the alternatives (nested, and across `/`), `\x` the
//!   character `x`;
//! - a path segment that is exactly `**` matches zero or more directories (`a/**/b` is `a/b`, `a/x/b`,
//!   `a/x/y/b`); `**` at the end matches everything below, the directory itself included; a `**` that
//!   is not a whole segment is a `*` (`a/**.txt` is `a/*.txt`);
//! - [`filepath_glob`] cleans the pattern as Go's `filepath.Clean` does, matches directories as well as
//!   files, follows symbolic links to directories (never into a directory it is already inside, so a
//!   link loop ends), and returns matches joined to the part of the pattern before its first meta
//!   character, as written (a relative pattern gives relative matches).
//!
//! Unlike doublestar, which ignores them, the I/O errors met on the way (a base directory that does not
//! exist, a directory that cannot be read) are returned beside the matches, so that a component can
//! report them.

use std::collections::HashSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A malformed pattern: an unclosed `[` or `{`, an empty class, a `}` without `{`, a trailing `\`.
/// The text is Go's `path.ErrBadPattern`, which doublestar returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPattern;

impl std::fmt::Display for BadPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("syntax error in pattern")
    }
}

impl std::error::Error for BadPattern {}

/// What a glob found: the matches (sorted, without duplicates) and the directories it could not read.
#[derive(Debug, Default)]
pub struct GlobResult {
    pub matches: Vec<String>,
    /// Directories that a match could have been in and that could not be read, with why. A directory
    /// named literally in the pattern that does not exist is here (`ErrorKind::NotFound`); one that a
    /// wildcard would have matched is not.
    pub errors: Vec<(PathBuf, io::Error)>,
}

/// doublestar's `ValidatePattern` with `/` as the separator.
pub fn validate_pattern(p: &str) -> bool {
    let b = p.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => {
                i += 1;
                if i >= b.len() {
                    return false;
                }
            }
            b'[' => {
                i += 1;
                if i >= b.len() {
                    return false;
                }
                if b[i] == b'^' || b[i] == b'!' {
                    i += 1;
                }
                if i >= b.len() || b[i] == b']' {
                    return false;
                }
                loop {
                    if i >= b.len() {
                        return false;
                    }
                    if b[i] == b'\\' {
                        i += 1;
                    } else if b[i] == b']' {
                        break;
                    }
                    i += 1;
                }
            }
            b'{' => depth += 1,
            b'}' => {
                if depth == 0 {
                    return false;
                }
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    depth == 0
}

/// The brace-free patterns a (valid) pattern stands for: `a{b,c{d,e}}f` is `abf`, `acdf`, `acef`.
/// Matching any of them is matching the pattern, as doublestar substitutes alternatives in place.
pub fn expand_braces(p: &str) -> Vec<String> {
    let b = p.as_bytes();
    // The first unescaped `{` and its matching `}`.
    let mut open = None;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'[' => {
                // Braces inside a class are characters.
                i += 1;
                if i < b.len() && (b[i] == b'^' || b[i] == b'!') {
                    i += 1;
                }
                i += 1;
                while i < b.len() && b[i] != b']' {
                    if b[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'{' => {
                open = Some(i);
                break;
            }
            _ => {}
        }
        i += 1;
    }
    let Some(open) = open else {
        return vec![p.to_string()];
    };
    let mut depth = 0usize;
    let mut alts = Vec::new();
    let mut start = open + 1;
    let mut close = None;
    let mut j = open + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 1,
            b'{' => depth += 1,
            b'}' if depth == 0 => {
                alts.push(&p[start..j]);
                close = Some(j);
                break;
            }
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                alts.push(&p[start..j]);
                start = j + 1;
            }
            _ => {}
        }
        j += 1;
    }
    let Some(close) = close else {
        // Unbalanced: doublestar treats it as text (validation refuses such patterns first).
        return vec![p.to_string()];
    };
    let (prefix, suffix) = (&p[..open], &p[close + 1..]);
    let mut out = Vec::new();
    for alt in alts {
        out.extend(expand_braces(&format!("{prefix}{alt}{suffix}")));
    }
    out
}

/// Whether one path segment (no `/`) matches a brace-free segment pattern.
fn match_segment(pattern: &[u8], name: &[u8]) -> bool {
    // Iterative wildcard matching with one backtrack point for the last `*`.
    let (mut p, mut n) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() {
            match pattern[p] {
                b'*' => {
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    star = Some((p, n));
                    continue;
                }
                b'?' => {
                    let w = utf8_width(name[n]);
                    p += 1;
                    n += w.min(name.len() - n);
                    continue;
                }
                b'[' => {
                    if let Some((ok, next, w)) = match_class(pattern, p, &name[n..]) {
                        if ok {
                            p = next;
                            n += w;
                            continue;
                        }
                    }
                }
                b'\\' if p + 1 < pattern.len() => {
                    if pattern[p + 1] == name[n] {
                        p += 2;
                        n += 1;
                        continue;
                    }
                }
                c => {
                    if c == name[n] {
                        p += 1;
                        n += 1;
                        continue;
                    }
                }
            }
        }
        match star {
            Some((sp, sn)) => {
                let w = utf8_width(name[sn]).min(name.len() - sn);
                star = Some((sp, sn + w));
                p = sp;
                n = sn + w;
            }
            None => return false,
        }
    }
    while p < pattern.len() && pattern[p] == b'*' {
        p += 1;
    }
    p == pattern.len()
}

fn utf8_width(first: u8) -> usize {
    match first {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

fn decode_char(b: &[u8]) -> (char, usize) {
    let w = utf8_width(b[0]).min(b.len());
    match std::str::from_utf8(&b[..w]) {
        Ok(s) => (s.chars().next().unwrap_or('\u{FFFD}'), w),
        Err(_) => ('\u{FFFD}', 1),
    }
}

/// A character class at `pattern[at] == '['` against the first character of `name`: whether it matched,
/// where the pattern continues after `]`, and the width of the character. `None` for a malformed class.
fn match_class(pattern: &[u8], at: usize, name: &[u8]) -> Option<(bool, usize, usize)> {
    let (c, w) = decode_char(name);
    let mut i = at + 1;
    let negate = matches!(pattern.get(i), Some(b'^') | Some(b'!'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let &b = pattern.get(i)?;
        if b == b']' && !first {
            i += 1;
            break;
        }
        first = false;
        let mut lo_bytes = &pattern[i..];
        if b == b'\\' {
            i += 1;
            lo_bytes = pattern.get(i..)?;
            if lo_bytes.is_empty() {
                return None;
            }
        }
        let (lo, lw) = decode_char(lo_bytes);
        i += lw;
        let mut hi = lo;
        if pattern.get(i) == Some(&b'-') && pattern.get(i + 1).is_some_and(|&x| x != b']') {
            i += 1;
            if pattern[i] == b'\\' {
                i += 1;
            }
            let (h, hw) = decode_char(pattern.get(i..)?);
            hi = h;
            i += hw;
        }
        if lo <= c && c <= hi {
            matched = true;
        }
    }
    Some((matched != negate, i, w))
}

fn has_meta(seg: &str) -> bool {
    let b = seg.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'*' | b'?' | b'[' | b'{' => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// Removes the escapes of a segment without meta characters.
fn unescape(seg: &str) -> String {
    let mut out = String::with_capacity(seg.len());
    let mut chars = seg.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Splits on unescaped `/`.
fn split_segments(p: &str) -> Vec<&str> {
    let b = p.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if b[i] == b'/' {
            out.push(&p[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    out.push(&p[start..]);
    out
}

/// doublestar's `PathMatch` on Linux: whether the whole of `name` matches `pattern`.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    if !validate_pattern(pattern) {
        return Err(BadPattern);
    }
    let names: Vec<&[u8]> = name.split('/').map(str::as_bytes).collect();
    Ok(expand_braces(pattern).iter().any(|alt| {
        let segs: Vec<&[u8]> = split_segments(alt).into_iter().map(str::as_bytes).collect();
        match_segments(&segs, &names)
    }))
}

fn match_segments(pattern: &[&[u8]], names: &[&[u8]]) -> bool {
    match pattern.first() {
        None => names.is_empty(),
        Some(&b"**") => {
            // Zero or more whole segments; at the end, everything below (the directory itself too).
            if pattern.len() == 1 {
                return true;
            }
            (0..=names.len()).any(|k| match_segments(&pattern[1..], &names[k..]))
        }
        Some(seg) => match names.first() {
            Some(n) => match_segment(seg, n) && match_segments(&pattern[1..], &names[1..]),
            None => {
                // A name used up: a pattern rest of `*` or `**` still matches the empty rest.
                pattern.len() == 1 && seg.iter().all(|&c| c == b'*')
            }
        },
    }
}

/// Go's `filepath.Clean` for Unix paths, lexically.
pub fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Go's `filepath.Abs`: `path` cleaned, joined to the working directory when relative.
pub fn abs(path: &str) -> io::Result<String> {
    if path.starts_with('/') {
        return Ok(clean(path));
    }
    let cwd = std::env::current_dir()?;
    Ok(clean(&format!("{}/{path}", cwd.to_string_lossy())))
}

/// doublestar's `FilepathGlob` with default options (see the module's doc).
pub fn filepath_glob(pattern: &str) -> Result<GlobResult, BadPattern> {
    let mut result = GlobResult::default();
    if pattern.is_empty() {
        return Ok(result);
    }
    let pattern = clean(pattern);
    if !validate_pattern(&pattern) {
        return Err(BadPattern);
    }
    let mut seen = HashSet::new();
    for alt in expand_braces(&pattern) {
        let segs = split_segments(&alt);
        let (root, segs) = if segs.first() == Some(&"") && segs.len() > 1 {
            ("/".to_string(), &segs[1..])
        } else {
            (String::new(), &segs[..])
        };
        let mut walker = Walker {
            out: &mut result,
            seen: &mut seen,
            ancestors: Vec::new(),
        };
        walker.walk(&root, segs, true);
    }
    result.matches.sort();
    result.matches.dedup();
    result.errors.sort_by(|a, b| a.0.cmp(&b.0));
    result.errors.dedup_by(|a, b| a.0 == b.0);
    Ok(result)
}

struct Walker<'a> {
    out: &'a mut GlobResult,
    seen: &'a mut HashSet<String>,
    /// (device, inode) of the directories the walk is inside, so that a symlink loop ends.
    ancestors: Vec<(u64, u64)>,
}

fn join(dir: &str, name: &str) -> String {
    match dir {
        "" => name.to_string(),
        "/" => format!("/{name}"),
        d => format!("{d}/{name}"),
    }
}

fn fs_path(dir: &str) -> &Path {
    Path::new(if dir.is_empty() { "." } else { dir })
}

impl Walker<'_> {
    fn push(&mut self, path: String) {
        if self.seen.insert(path.clone()) {
            self.out.matches.push(path);
        }
    }

    fn error(&mut self, dir: &str, e: io::Error) {
        self.out.errors.push((fs_path(dir).to_path_buf(), e));
    }

    /// Matches `segs` below the directory `dir` (`""` is the working directory). `literal` says that
    /// every segment so far was written literally, so a missing directory is worth reporting.
    fn walk(&mut self, dir: &str, segs: &[&str], literal: bool) {
        let Some((&seg, rest)) = segs.split_first() else {
            return;
        };
        if seg == "**" {
            self.double_star(dir, rest, literal);
            return;
        }
        if !has_meta(seg) {
            let path = join(dir, &unescape(seg));
            if rest.is_empty() {
                match fs::metadata(&path) {
                    Ok(_) => self.push(path),
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        if literal {
                            // The file itself may come later; its directory must exist.
                            if let Err(e) = fs::metadata(fs_path(dir)) {
                                self.error(dir, e);
                            }
                        }
                    }
                    Err(e) => self.error(&path, e),
                }
            } else {
                self.walk(&path, rest, literal);
            }
            return;
        }
        let entries = match fs::read_dir(fs_path(dir)) {
            Ok(e) => e,
            Err(e) => {
                if literal || e.kind() != io::ErrorKind::NotFound {
                    self.error(dir, e);
                }
                return;
            }
        };
        let mut names: Vec<(String, bool)> = Vec::new();
        for entry in entries.flatten() {
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if match_segment(seg.as_bytes(), name.as_bytes()) {
                let is_dir = self.is_dir(&join(dir, &name), &entry);
                names.push((name, is_dir));
            }
        }
        names.sort();
        for (name, is_dir) in names {
            let path = join(dir, &name);
            if rest.is_empty() {
                self.push(path);
            } else if is_dir {
                self.walk(&path, rest, false);
            }
        }
    }

    /// A `**` segment at `dir`: the rest matched here and in every directory below. A directory the
    /// walk is already inside (reached again through a symbolic link) is not entered twice.
    fn double_star(&mut self, dir: &str, rest: &[&str], literal: bool) {
        use std::os::unix::fs::MetadataExt;
        let entries = match fs::read_dir(fs_path(dir)) {
            Ok(e) => e,
            Err(e) => {
                if literal || e.kind() != io::ErrorKind::NotFound {
                    self.error(dir, e);
                }
                return;
            }
        };
        let Ok(meta) = fs::metadata(fs_path(dir)) else {
            return;
        };
        let id = (meta.dev(), meta.ino());
        if self.ancestors.contains(&id) {
            return;
        }
        self.ancestors.push(id);
        if rest.is_empty() {
            // `**` at the end: this directory and everything below it.
            self.push(if dir.is_empty() {
                ".".to_string()
            } else {
                dir.to_string()
            });
        } else {
            self.walk(dir, rest, false);
        }
        let mut children: Vec<(String, bool)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().into_string().ok()?;
                let is_dir = self.is_dir(&join(dir, &name), &e);
                Some((name, is_dir))
            })
            .collect();
        children.sort();
        for (name, is_dir) in children {
            let path = join(dir, &name);
            if is_dir {
                self.double_star(&path, rest, false);
            } else if rest.is_empty() {
                self.push(path);
            }
        }
        self.ancestors.pop();
    }

    fn is_dir(&self, path: &str, entry: &fs::DirEntry) -> bool {
        match entry.file_type() {
            Ok(t) if t.is_symlink() => fs::metadata(path).is_ok_and(|m| m.is_dir()),
            Ok(t) => t.is_dir(),
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, n: &str) -> bool {
        path_match(p, n).unwrap()
    }

    #[test]
    fn matches_as_doublestar() {
        // Cases from doublestar's own table (Match and PathMatch on Unix).
        assert!(m("*", ""));
        assert!(m("*", "/").not());
        assert!(m("/*", "/"));
        assert!(m("/*", "/debug/").not());
        assert!(m("abc", "abc"));
        assert!(m("*", "abc"));
        assert!(m("*c", "abc"));
        assert!(m("a*", "a"));
        assert!(m("a*", "abc"));
        assert!(m("a*", "ab/c").not());
        assert!(m("a*/b", "abc/b"));
        assert!(m("a*/b", "a/c/b").not());
        assert!(m("a*b*c*d*e*/f", "axbxcxdxe/f"));
        assert!(m("a*b*c*d*e*/f", "axbxcxdxexxx/f"));
        assert!(m("a*b*c*d*e*/f", "axbxcxdxe/xxx/f").not());
        assert!(m("a*b?c*x", "abxbbxdbxebxczzx"));
        assert!(m("a*b?c*x", "abxbbxdbxebxczzy").not());
        assert!(m("ab[c]", "abc"));
        assert!(m("ab[b-d]", "abc"));
        assert!(m("ab[e-g]", "abc").not());
        assert!(m("ab[^c]", "abc").not());
        assert!(m("ab[^b-d]", "abc").not());
        assert!(m("ab[^e-g]", "abc"));
        assert!(m("a\\*b", "ab").not());
        assert!(m("a?b", "a☺b"));
        assert!(m("a[^a]b", "a☺b"));
        assert!(m("a[!a]b", "a☺b"));
        assert!(m("a???b", "a☺b").not());
        assert!(m("a[^a][^a][^a]b", "a☺b").not());
        assert!(m("[a-ζ]*", "α"));
        assert!(m("*[a-ζ]", "A").not());
        assert!(m("a?b", "a/b").not());
        assert!(m("a*b", "a/b").not());
        assert!(m("[\\]a]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[x\\-]", "x"));
        assert!(m("[x\\-]", "-"));
        assert!(m("[x\\-]", "z").not());
        assert!(m("[\\-x]", "x"));
        assert!(m("[\\-x]", "a").not());
        assert!(m("*x", "xxx"));
        assert!(m("**", ""));
        assert!(m("**", "abc"));
        assert!(m("**", "a/b/c"));
        assert!(m("a/**", "a"));
        assert!(m("a/**", "a/b/c"));
        assert!(m("a/**/c", "a/c"));
        assert!(m("a/**/c", "a/b/c"));
        assert!(m("a/**/c", "a/b/x/c"));
        assert!(m("a/**/c", "a/b/x/y").not());
        assert!(m("a/**.txt", "a/b.txt"));
        assert!(m("a/**.txt", "a/b/c.txt").not());
        assert!(m("{a,b}", "a"));
        assert!(m("{a,b}", "c").not());
        assert!(m("a/{b,c/d}/e", "a/c/d/e"));
        assert!(m("a{,b}c", "ac"));
        assert!(m("a{b,{c,d}x}e", "adxe"));
        assert!(m(
            "/var/log/{nginx,apache}/*.{log,txt}",
            "/var/log/apache/a.txt"
        ));
        assert!(m(
            "/var/log/{nginx,apache}/*.{log,txt}",
            "/var/log/apache/a.gz"
        )
        .not());
        for bad in ["[", "[^", "[]a]", "a[", "a\\", "{a", "a}", "[a-"] {
            assert_eq!(path_match(bad, "a"), Err(BadPattern), "{bad}");
        }
    }

    trait Not {
        fn not(self) -> bool;
    }
    impl Not for bool {
        fn not(self) -> bool {
            !self
        }
    }

    #[test]
    fn cleans_as_go() {
        for (input, want) in [
            ("", "."),
            ("abc/", "abc"),
            ("a//b/./c/..", "a/b"),
            ("/../x", "/x"),
            ("../../x", "../../x"),
            ("a/../..", ".."),
            ("/", "/"),
            ("./", "."),
        ] {
            assert_eq!(clean(input), want, "{input}");
        }
    }

    #[test]
    fn globs_a_tree() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap().to_string();
        for f in [
            "a.log",
            "b.txt",
            "c.gz",
            "sub/d.log",
            "sub/deeper/e.log",
            "other/f.log",
            ".hidden.log",
        ] {
            let p = dir.path().join(f);
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(&p, "x").unwrap();
        }
        std::os::unix::fs::symlink(dir.path().join("sub"), dir.path().join("link")).unwrap();
        // A loop: sub/deeper/up -> sub.
        std::os::unix::fs::symlink(dir.path().join("sub"), dir.path().join("sub/deeper/up"))
            .unwrap();
        let g = |p: &str| -> Vec<String> {
            filepath_glob(&format!("{root}/{p}"))
                .unwrap()
                .matches
                .into_iter()
                .map(|m| m[root.len() + 1..].to_string())
                .collect()
        };
        assert_eq!(g("*.log"), [".hidden.log", "a.log"]);
        assert_eq!(g("*.{log,txt}"), [".hidden.log", "a.log", "b.txt"]);
        assert_eq!(g("{sub,other}/*.log"), ["other/f.log", "sub/d.log"]);
        let all_logs = g("**/*.log");
        assert!(all_logs.contains(&"sub/deeper/e.log".to_string()));
        assert!(all_logs.contains(&"link/deeper/e.log".to_string()));
        assert!(all_logs.contains(&"a.log".to_string()));
        // The loop through sub/deeper/up is entered once, not forever.
        assert!(all_logs.iter().all(|p| p.matches("up/").count() <= 1));
        assert_eq!(
            g("sub/**"),
            ["sub", "sub/d.log", "sub/deeper", "sub/deeper/e.log"]
        );
        assert_eq!(g("a.log"), ["a.log"]);
        assert!(g("missing.log").is_empty());
        // Missing literal directories are reported, missing files in existing ones are not.
        let r = filepath_glob(&format!("{root}/nope/*.log")).unwrap();
        assert!(r.matches.is_empty());
        assert_eq!(r.errors[0].0, dir.path().join("nope"));
        assert_eq!(r.errors[0].1.kind(), io::ErrorKind::NotFound);
        let r = filepath_glob(&format!("{root}/nope.log")).unwrap();
        assert!(r.errors.is_empty());
        assert_eq!(filepath_glob("[").unwrap_err(), BadPattern);
        // Cleaned first, as Go's filepath.Clean.
        assert_eq!(
            filepath_glob(&format!("{root}/./sub/../a.log"))
                .unwrap()
                .matches,
            [format!("{root}/a.log")]
        );
    }
}
