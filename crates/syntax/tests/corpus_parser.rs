//! Alloy's own parser corpus (`shared/corpus/alloy`): valid files parse cleanly, invalid ones report exactly the
//! errors written inline as `/* ERROR "regex" */`, fuzz regressions do not panic, and every real config parses.

mod shared;

use std::collections::BTreeMap;
use std::path::Path;

use ingot_syntax::parser::parse_file;
use ingot_syntax::scanner::Scanner;
use ingot_syntax::token::TokenKind;
use ingot_syntax::SourceFile;

fn alloy_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "alloy"))
        .collect();
    files.sort();
    files
}

/// Expected errors by byte offset, read as Alloy's harness reads them: an `ERROR` comment names the position of
/// the previous token, an `ERROR HERE` comment the position right after it.
fn expected_errors(src: &str) -> BTreeMap<u32, String> {
    let marker = regex::Regex::new(r#"^/\* *ERROR *(HERE)? *"([^"]*)" *\*/$"#).unwrap();
    let mut scanner = Scanner::new(src);
    let (mut prev, mut here) = (0u32, 0u32);
    let mut expected = BTreeMap::new();
    loop {
        let tok = scanner.next_token();
        match tok.kind {
            TokenKind::Eof => return expected,
            TokenKind::Comment => {
                if let Some(c) = marker.captures(&src[tok.span.range()]) {
                    let at = if c.get(1).is_some() { here } else { prev };
                    expected.insert(at, c[2].to_string());
                }
            }
            TokenKind::Terminator => {}
            _ => {
                prev = tok.span.start;
                here = tok.span.end;
            }
        }
    }
}

/// Go's regexp takes a `{` that starts no repetition as a literal; Rust's wants it escaped.
fn go_regex(pattern: &str) -> regex::Regex {
    let mut out = String::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '{' && !chars.peek().is_some_and(|n| n.is_ascii_digit()) {
            out.push_str("\\{");
        } else {
            out.push(c);
        }
    }
    regex::Regex::new(&out).unwrap()
}

#[test]
fn valid_files_parse_without_diagnostics() {
    let Some(root) = shared::corpus_dir() else {
        return;
    };
    let files = alloy_files(&root.join("parser/valid"));
    assert_eq!(files.len(), 5);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (_, diags) = parse_file(SourceFile::new(path.display().to_string(), text));
        assert!(diags.is_empty(), "{}:\n{}", path.display(), diags.render());
    }
}

#[test]
fn invalid_files_report_exactly_the_expected_errors() {
    let Some(root) = shared::corpus_dir() else {
        return;
    };
    let files = alloy_files(&root.join("parser"));
    assert_eq!(files.len(), 6);
    let mut total = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let mut expected = expected_errors(&text);
        total += expected.len();
        let (_, diags) = parse_file(SourceFile::new(path.display().to_string(), text));
        for d in diags.iter() {
            let (_, span) = d.location.as_ref().unwrap();
            let pattern = expected
                .remove(&span.start)
                .unwrap_or_else(|| panic!("unexpected error: {}\n{}", d.short(), diags.render()));
            let re = go_regex(&pattern);
            assert!(
                re.is_match(&d.message),
                "{}: {:?} does not match {pattern:?}",
                d.short(),
                d.message
            );
        }
        assert!(
            expected.is_empty(),
            "{}: errors not reported: {expected:?}\n{}",
            path.display(),
            diags.render()
        );
    }
    assert_eq!(total, 13);
}

#[test]
fn fuzz_regressions_do_not_panic() {
    let Some(root) = shared::corpus_dir() else {
        return;
    };
    let dir = root.join("parser/fuzz/FuzzParser");
    let mut count = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        // Go's fuzz corpus format: a header line, then `[]byte("...")` with Go escapes.
        let body = text.lines().nth(1).unwrap();
        let quoted = body
            .strip_prefix("[]byte(")
            .unwrap()
            .strip_suffix(')')
            .unwrap();
        let input = ingot_syntax::scanner::unquote(quoted).unwrap();
        let (_, diags) = parse_file(SourceFile::new("fuzz", input));
        assert!(diags.has_errors());
        count += 1;
    }
    assert_eq!(count, 3);
}

#[test]
fn every_real_config_parses() {
    let Some(root) = shared::corpus_dir() else {
        return;
    };
    let files = alloy_files(&root.join("configs"));
    assert_eq!(files.len(), 49);
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let (_, diags) = parse_file(SourceFile::new(path.display().to_string(), text));
        // One corpus file is a Dockerfile that merely ends in `.alloy` (oracledb's image recipe); Alloy's
        // parser rejects it too, so the right behaviour is a clean error at its first line, not a parse.
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .contains("Dockerfile")
        {
            let first = diags
                .iter()
                .next()
                .expect("a Dockerfile is not Alloy syntax");
            assert_eq!(
                first.short().rsplit_once(".alloy:").unwrap().1,
                "1:1: illegal character U+0023 '#'"
            );
            continue;
        }
        assert!(diags.is_empty(), "{}:\n{}", path.display(), diags.render());
    }
}
