//! The positions file, `<storage.path>/<component id>/positions.yml`, in Alloy's layout (Promtail's
//! `positions` package marshalled by yaml.v2), so that Alloy and ingot resume each other's files:
//!
//! ```yaml
//! positions:
//!   ? path: /var/log/syslog
//!     labels: '{job="integrations/node_exporter"}'
//!   : "123456"
//! ingot_signatures:
//!   ? path: /var/log/syslog
//!     labels: '{job="integrations/node_exporter"}'
//!   : "1835012:1024:9f86d081884c7d65"
//! ```
//!
//! Keys are a path and the target's labels as Prometheus' `LabelSet.String()` writes them; offsets are
//! strings. `ingot_signatures` is ingot's own: the file each offset belongs to (inode, and length and
//! hash of its first bytes), so that a file replaced while the agent was stopped is read from its start
//! instead of from another file's offset. Alloy ignores the key (yaml.v2 ignores unknown fields) and
//! drops it when it writes the file; an entry without a signature is trusted as Alloy trusts it.
//!
//! `ingot_draining` is ingot's too: for a path whose rotated-away file (renamed, or copytruncate's copy)
//! still had lines read but not stored when the file was saved, that file's offset and identity
//! (`<offset>:<inode>:<length>:<hash>`). The next start finds that file beside the path and finishes it
//! before anything else, so that a crash while it drains loses nothing; the entry for the file at the
//! path stays Alloy's.
//!
//! `ingot_after_cursor` is ingot's too, for journal cursors (`cursor-<component id>`): present when the
//! entry the cursor names was delivered, so that ingot resumes after it. Alloy saves a cursor before it
//! hands the entry on, and resumes at the entry itself; ingot does the same for a cursor without the
//! mark (one Alloy wrote), so a switch from Alloy loses nothing.
//!
//! Saving prunes the entries of files that no longer exist (except `cursor-` and `journal-` keys, which
//! are not files), writes a temporary file with mode 0600, syncs it, renames it over the old one and
//! syncs the directory. Callers save from a blocking thread.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use yaml_rust2::Yaml;

/// One entry's key.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PosKey {
    pub path: String,
    pub labels: String,
}

/// Which file an offset was read in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub ino: u64,
    /// How many of the file's first bytes `hash` covers (at most 1,024).
    pub sig_len: u16,
    pub sig_hash: u64,
}

impl Identity {
    fn parse(s: &str) -> Option<Identity> {
        let mut it = s.split(':');
        let ino = it.next()?.parse().ok()?;
        let sig_len = it.next()?.parse().ok()?;
        let sig_hash = u64::from_str_radix(it.next()?, 16).ok()?;
        if it.next().is_some() || sig_len > 1024 {
            return None;
        }
        Some(Identity {
            ino,
            sig_len,
            sig_hash,
        })
    }

    fn render(&self) -> String {
        format!("{}:{}:{:016x}", self.ino, self.sig_len, self.sig_hash)
    }
}

/// One entry: the stored string (an offset for files) and, when ingot wrote it, the file's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    pub value: String,
    pub identity: Option<Identity>,
    /// A journal cursor whose entry was delivered: reading resumes after it.
    pub after: bool,
    /// A rotated-away file whose lines were not all stored yet: where they end, and which file it is.
    pub draining: Option<(u64, Identity)>,
}

impl Stored {
    /// The offset, as Alloy's `Get` parses it: `Err` for a value that is not a non-negative integer.
    pub fn offset(&self) -> Result<u64, String> {
        self.value.parse::<u64>().map_err(|_| {
            format!(
                "strconv.ParseInt: parsing {}: invalid syntax",
                ingot_syntax::value::go_quote(&self.value)
            )
        })
    }
}

/// The positions of one component.
#[derive(Debug)]
pub struct Positions {
    path: PathBuf,
    entries: BTreeMap<PosKey, Stored>,
    /// Changed since the last save.
    dirty: bool,
}

/// Why a positions file could not be read as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damaged(pub String);

/// Prometheus' `LabelSet.String()`: `{a="1", b="2"}`, names sorted, values quoted as Go's `%q`.
pub fn label_set_string<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = labels.into_iter().collect();
    pairs.sort();
    let mut out = String::from("{");
    for (i, (n, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(n);
        out.push('=');
        out.push_str(&ingot_syntax::value::go_quote(v));
    }
    out.push('}');
    out
}

impl Positions {
    /// Reads `path`. A missing or empty file is no positions; a file that cannot be parsed gives empty
    /// positions and says why (the caller applies `on_positions_file_error`).
    pub fn load(path: &Path) -> (Positions, Option<Damaged>) {
        let mut p = Positions {
            path: path.to_path_buf(),
            entries: BTreeMap::new(),
            dirty: false,
        };
        let text = match std::fs::read(path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return (p, None),
            Err(e) => {
                return (
                    p,
                    Some(Damaged(format!(
                        "open {}: {}",
                        path.display(),
                        ingot_local::file_match::io_error_text(&e)
                    ))),
                )
            }
        };
        match parse(&text) {
            Ok(entries) => {
                p.entries = entries;
                (p, None)
            }
            Err(e) => (
                p,
                Some(Damaged(format!(
                    "invalid yaml positions file [{}]: {e}",
                    path.display()
                ))),
            ),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn get(&self, key: &PosKey) -> Option<&Stored> {
        self.entries.get(key)
    }

    pub fn put(&mut self, key: &PosKey, offset: u64, identity: Option<Identity>) {
        let value = offset.to_string();
        match self.entries.get_mut(key) {
            Some(s) if s.value == value && s.identity == identity => {}
            Some(s) => {
                s.value = value;
                s.identity = identity;
                self.dirty = true;
            }
            None => {
                self.entries.insert(
                    key.clone(),
                    Stored {
                        value,
                        identity,
                        after: false,
                        draining: None,
                    },
                );
                self.dirty = true;
            }
        }
    }

    /// A journal cursor, whose entry was delivered (ingot resumes after it).
    pub fn put_cursor(&mut self, key: &PosKey, cursor: &str) {
        match self.entries.get_mut(key) {
            Some(s) if s.value == cursor && s.after && s.identity.is_none() => {}
            _ => {
                self.entries.insert(
                    key.clone(),
                    Stored {
                        value: cursor.to_string(),
                        identity: None,
                        after: true,
                        draining: None,
                    },
                );
                self.dirty = true;
            }
        }
    }

    /// The rotated-away file of `key` whose lines are not all stored yet, or `None` once they are.
    /// Only for an entry already put.
    pub fn put_draining(&mut self, key: &PosKey, draining: Option<(u64, Identity)>) {
        if let Some(s) = self.entries.get_mut(key) {
            if s.draining != draining {
                s.draining = draining;
                self.dirty = true;
            }
        }
    }

    pub fn remove(&mut self, key: &PosKey) {
        if self.entries.remove(key).is_some() {
            self.dirty = true;
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = (&PosKey, &Stored)> {
        self.entries.iter()
    }

    /// Drops the entries of files that no longer exist (not cursors), then writes the file if anything
    /// changed since the last save. Returns whether it wrote.
    pub fn save(&mut self, force: bool) -> io::Result<bool> {
        let gone: Vec<PosKey> = self
            .entries
            .keys()
            .filter(|k| !k.path.starts_with("cursor-") && !k.path.starts_with("journal-"))
            .filter(|k| {
                matches!(std::fs::metadata(&k.path), Err(e) if e.kind() == io::ErrorKind::NotFound)
            })
            .cloned()
            .collect();
        for k in gone {
            self.entries.remove(&k);
            self.dirty = true;
        }
        if !self.dirty && !force {
            return Ok(false);
        }
        write_atomically(&self.path, render(&self.entries).as_bytes())?;
        self.dirty = false;
        Ok(true)
    }
}

/// Writes `bytes` to `path` through a temporary file in the same directory (mode 0600, synced), renamed
/// over `path`, then syncs the directory.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn scalar_string(y: &Yaml) -> Option<String> {
    match y {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        Yaml::Null => Some(String::new()),
        _ => None,
    }
}

fn entry_key(k: &Yaml) -> Result<PosKey, String> {
    let h = k
        .as_hash()
        .ok_or_else(|| "a positions key is not a path and labels mapping".to_string())?;
    let mut key = PosKey {
        path: String::new(),
        labels: String::new(),
    };
    for (name, v) in h {
        let v = scalar_string(v).ok_or("a positions key field is not a string")?;
        match name.as_str() {
            Some("path") => key.path = v,
            Some("labels") => key.labels = v,
            _ => {}
        }
    }
    Ok(key)
}

/// yaml.v2's reader refuses what YAML does not allow in a stream (a file cut short by a crash often
/// ends in NUL bytes).
fn check_characters(text: &str) -> Result<(), String> {
    let ok = |c: char| matches!(c, '\t' | '\n' | '\r' | '\x20'..='\x7e' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..);
    match text.chars().position(|c| !ok(c)) {
        Some(_) => Err("yaml: control characters are not allowed".into()),
        None => Ok(()),
    }
}

fn parse(text: &[u8]) -> Result<BTreeMap<PosKey, Stored>, String> {
    let text = std::str::from_utf8(text).map_err(|e| format!("yaml: invalid UTF-8: {e}"))?;
    check_characters(text)?;
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| format!("yaml: {e}"))?;
    let mut out = BTreeMap::new();
    let Some(doc) = docs.first() else {
        return Ok(out);
    };
    if doc.is_null() {
        return Ok(out);
    }
    let top = doc.as_hash().ok_or("yaml: the document is not a mapping")?;
    let section = |name: &str| top.get(&Yaml::String(name.to_string()));
    match section("positions") {
        None | Some(Yaml::Null) => {}
        Some(Yaml::Hash(h)) => {
            for (k, v) in h {
                let value = scalar_string(v).ok_or("yaml: a position is not a string")?;
                out.insert(
                    entry_key(k)?,
                    Stored {
                        value,
                        identity: None,
                        after: false,
                        draining: None,
                    },
                );
            }
        }
        Some(_) => return Err("yaml: positions is not a mapping".into()),
    }
    if let Some(Yaml::Hash(h)) = section("ingot_after_cursor") {
        for (k, v) in h {
            let (Ok(key), Some(v)) = (entry_key(k), scalar_string(v)) else {
                continue;
            };
            if let Some(s) = out.get_mut(&key) {
                s.after = v == "true";
            }
        }
    }
    if let Some(Yaml::Hash(h)) = section("ingot_draining") {
        for (k, v) in h {
            let (Ok(key), Some(v)) = (entry_key(k), scalar_string(v)) else {
                continue;
            };
            let parsed = v
                .split_once(':')
                .and_then(|(offset, id)| Some((offset.parse::<u64>().ok()?, Identity::parse(id)?)));
            if let Some(s) = out.get_mut(&key) {
                s.draining = parsed;
            }
        }
    }
    if let Some(Yaml::Hash(h)) = section("ingot_signatures") {
        for (k, v) in h {
            let (Ok(key), Some(v)) = (entry_key(k), scalar_string(v)) else {
                continue;
            };
            if let Some(s) = out.get_mut(&key) {
                s.identity = Identity::parse(&v);
            }
        }
    }
    Ok(out)
}

/// The file as yaml.v2 marshals Alloy's `File{Positions}` (keys sorted; yaml.v2 leaves struct keys in
/// map order, which any order reproduces), then ingot's signatures.
fn render(entries: &BTreeMap<PosKey, Stored>) -> String {
    let mut out = String::new();
    if entries.is_empty() {
        out.push_str("positions: {}\n");
        return out;
    }
    out.push_str("positions:\n");
    for (k, v) in entries {
        let _ = writeln!(
            out,
            "  ? path: {}\n    labels: {}\n  : {}",
            yaml_scalar(&k.path),
            yaml_scalar(&k.labels),
            yaml_scalar(&v.value)
        );
    }
    if entries.values().any(|v| v.identity.is_some()) {
        out.push_str("ingot_signatures:\n");
        for (k, v) in entries {
            if let Some(id) = v.identity {
                let _ = writeln!(
                    out,
                    "  ? path: {}\n    labels: {}\n  : {}",
                    yaml_scalar(&k.path),
                    yaml_scalar(&k.labels),
                    yaml_scalar(&id.render())
                );
            }
        }
    }
    if entries.values().any(|v| v.draining.is_some()) {
        out.push_str("ingot_draining:\n");
        for (k, v) in entries {
            if let Some((offset, id)) = v.draining {
                let _ = writeln!(
                    out,
                    "  ? path: {}\n    labels: {}\n  : {}",
                    yaml_scalar(&k.path),
                    yaml_scalar(&k.labels),
                    yaml_scalar(&format!("{offset}:{}", id.render()))
                );
            }
        }
    }
    if entries.values().any(|v| v.after) {
        out.push_str("ingot_after_cursor:\n");
        for (k, v) in entries {
            if v.after {
                let _ = writeln!(
                    out,
                    "  ? path: {}\n    labels: {}\n  : \"true\"",
                    yaml_scalar(&k.path),
                    yaml_scalar(&k.labels),
                );
            }
        }
    }
    out
}

/// A string as yaml.v2 (Alloy's fork, no line wrapping) writes it as a block mapping value: plain when
/// it reads back as the same string, else single-quoted, else double-quoted with escapes.
pub fn yaml_scalar(s: &str) -> String {
    if s.contains('\n') || !resolves_to_string(s) {
        return double_quoted(s);
    }
    let a = analyze(s);
    if a.plain {
        s.to_string()
    } else if a.single {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        double_quoted(s)
    }
}

/// yaml.v2's `resolve`: whether a plain scalar would read back as a string (not null, bool, number or
/// timestamp).
fn resolves_to_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null",
        "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF",
    ];
    let Some(first) = s.bytes().next() else {
        return false;
    };
    let hinted =
        matches!(first, b'+' | b'-' | b'0'..=b'9' | b'.') || b"yYnNtTfFoO~".contains(&first);
    if !hinted {
        return true;
    }
    if SPECIAL.contains(&s) {
        return false;
    }
    match first {
        b'.' => s.parse::<f64>().is_err(),
        b'+' | b'-' | b'0'..=b'9' => {
            let plain = s.replace('_', "");
            !(is_go_int(&plain) || is_yaml_float(&plain) || is_timestamp(s) || is_base60(s))
        }
        _ => true,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)` or `ParseUint` accepting `s` (sign, 0x/0o/0b prefixes, octal).
fn is_go_int(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() {
        return false;
    }
    let (digits, radix) = if let Some(r) = body.strip_prefix("0x").or(body.strip_prefix("0X")) {
        (r, 16)
    } else if let Some(r) = body.strip_prefix("0o").or(body.strip_prefix("0O")) {
        (r, 8)
    } else if let Some(r) = body.strip_prefix("0b").or(body.strip_prefix("0B")) {
        (r, 2)
    } else if body.len() > 1 && body.starts_with('0') {
        (&body[1..], 8)
    } else {
        (body, 10)
    };
    !digits.is_empty() && u64::from_str_radix(digits, radix).is_ok()
}

/// yaml.v2's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_float(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s).as_bytes();
    let mut i = 0;
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.first() == Some(&b'.') {
        i = 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e') | Some(b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+') | Some(b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// The start of yaml.v2's timestamp formats: `2006-1-2`.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let mut parts = s.splitn(3, '-');
    let (Some(y), Some(m), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let day: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    y.len() == 4
        && y.bytes().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&m.len())
        && m.bytes().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&day.len())
        && b.len() >= 8
}

/// yaml.v2's `isBase60Float`: `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (main, _frac) = match body.split_once('.') {
        Some((m, f)) if f.bytes().all(|c| c.is_ascii_digit() || c == b'_') => (m, f),
        Some(_) => return false,
        None => (body, ""),
    };
    let mut parts = main.split(':');
    let Some(head) = parts.next() else {
        return false;
    };
    if !head.starts_with(|c: char| c.is_ascii_digit())
        || !head.bytes().all(|c| c.is_ascii_digit() || c == b'_')
    {
        return false;
    }
    let mut n = 0;
    for p in parts {
        n += 1;
        let ok = match p.as_bytes() {
            [d] => d.is_ascii_digit(),
            [a, d] => (b'0'..=b'5').contains(a) && d.is_ascii_digit(),
            _ => false,
        };
        if !ok {
            return false;
        }
    }
    n > 0
}

struct Analysis {
    plain: bool,
    single: bool,
}

fn printable(c: char) -> bool {
    matches!(c, '\n' | '\x20'..='\x7e' | '\u{85}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

/// libyaml's `yaml_emitter_analyze_scalar`, for a value in block context.
fn analyze(s: &str) -> Analysis {
    let chars: Vec<char> = s.chars().collect();
    let mut block_indicators = s.starts_with("---") || s.starts_with("...");
    let mut special = false;
    let (mut leading_space, mut trailing_space) = (false, false);
    let mut preceded_by_ws = true;
    for (i, &c) in chars.iter().enumerate() {
        let followed_by_ws = chars
            .get(i + 1)
            .is_none_or(|n| matches!(n, ' ' | '\t' | '\n'));
        if i == 0 {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_ws => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_ws => block_indicators = true,
                '#' if preceded_by_ws => block_indicators = true,
                _ => {}
            }
        }
        if !printable(c) {
            special = true;
        }
        if c == ' ' {
            if i == 0 {
                leading_space = true;
            }
            if i + 1 == chars.len() {
                trailing_space = true;
            }
        }
        preceded_by_ws = matches!(c, ' ' | '\t' | '\n');
    }
    Analysis {
        plain: !(leading_space || trailing_space || special || block_indicators),
        single: !special,
    }
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08X}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Alloy's `ConvertLegacyPositionsFile`: Promtail's `positions: {path: offset}` becomes entries with
/// labels `{}`, when `new` does not exist or is empty and `legacy` is valid. Returns what happened, for
/// the log.
pub fn convert_legacy(legacy: &Path, new: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(legacy);
    if !meta.as_ref().is_ok_and(|m| m.len() > 0) {
        return Ok(format!(
            "no legacy positions file found at {}",
            legacy.display()
        ));
    }
    let text = std::fs::read(legacy).map_err(|e| {
        format!(
            "error reading legacy positions file {}: {}",
            legacy.display(),
            ingot_local::file_match::io_error_text(&e)
        )
    })?;
    let parsed = parse_legacy(&text).map_err(|e| {
        format!(
            "error parsing legacy positions file {}: {e}",
            legacy.display()
        )
    })?;
    if std::fs::metadata(new).is_ok_and(|m| m.len() > 0) {
        return Ok(format!(
            "will not convert the legacy positions file as the new positions file already exists at {}",
            new.display()
        ));
    }
    let entries: BTreeMap<PosKey, Stored> = parsed
        .into_iter()
        .map(|(path, value)| {
            (
                PosKey {
                    path,
                    labels: "{}".into(),
                },
                Stored {
                    value,
                    identity: None,
                    after: false,
                    draining: None,
                },
            )
        })
        .collect();
    write_atomically(new, render(&entries).as_bytes()).map_err(|e| {
        format!(
            "error writing new positions file converted from legacy {}: {}",
            new.display(),
            ingot_local::file_match::io_error_text(&e)
        )
    })?;
    Ok(format!(
        "successfully converted legacy positions file {} to the new format",
        legacy.display()
    ))
}

/// Alloy's `ConvertLegacyPositionsFileJournal`: the cursor Promtail or the static agent saved for the
/// journal job `job` (`cursor-<job>`) becomes `cursor-<component id>` with labels `{}`, when `new` does
/// not exist or is empty and `legacy` is valid.
pub fn convert_legacy_journal(
    legacy: &Path,
    job: &str,
    new: &Path,
    component_id: &str,
) -> Result<String, String> {
    let meta = std::fs::metadata(legacy);
    if !meta.as_ref().is_ok_and(|m| m.len() > 0) {
        return Ok(format!(
            "no legacy positions file found at {}",
            legacy.display()
        ));
    }
    let text = std::fs::read(legacy).map_err(|e| {
        format!(
            "error reading legacy positions file {}: {}",
            legacy.display(),
            ingot_local::file_match::io_error_text(&e)
        )
    })?;
    let parsed = parse_legacy(&text).map_err(|e| {
        format!(
            "error parsing legacy positions file {}: {e}",
            legacy.display()
        )
    })?;
    if std::fs::metadata(new).is_ok_and(|m| m.len() > 0) {
        return Ok(format!(
            "will not convert the legacy positions file as the new positions file already exists at {}",
            new.display()
        ));
    }
    let wanted = format!("cursor-{job}");
    let entries: BTreeMap<PosKey, Stored> = parsed
        .into_iter()
        .filter(|(path, _)| *path == wanted)
        .take(1)
        .map(|(_, value)| {
            (
                PosKey {
                    path: format!("cursor-{component_id}"),
                    labels: "{}".into(),
                },
                Stored {
                    value,
                    identity: None,
                    after: false,
                    draining: None,
                },
            )
        })
        .collect();
    write_atomically(new, render(&entries).as_bytes()).map_err(|e| {
        format!(
            "error writing new positions file converted from legacy {}: {}",
            new.display(),
            ingot_local::file_match::io_error_text(&e)
        )
    })?;
    Ok(format!(
        "successfully converted legacy positions file {} to the new format",
        legacy.display()
    ))
}

/// yaml.v2's `UnmarshalStrict` into `LegacyFile{Positions map[string]string}`: unknown keys are errors.
fn parse_legacy(text: &[u8]) -> Result<Vec<(String, String)>, String> {
    let text = std::str::from_utf8(text).map_err(|e| format!("yaml: invalid UTF-8: {e}"))?;
    check_characters(text)?;
    let docs = yaml_rust2::YamlLoader::load_from_str(text).map_err(|e| format!("yaml: {e}"))?;
    let Some(doc) = docs.first().filter(|d| !d.is_null()) else {
        return Ok(Vec::new());
    };
    let top = doc.as_hash().ok_or("yaml: the document is not a mapping")?;
    let mut out = Vec::new();
    for (k, v) in top {
        match k.as_str() {
            Some("positions") => {
                if v.is_null() {
                    continue;
                }
                for (p, o) in v.as_hash().ok_or("yaml: positions is not a mapping")? {
                    let p = scalar_string(p).ok_or("yaml: a path is not a string")?;
                    let o = scalar_string(o).ok_or("yaml: an offset is not a string")?;
                    out.push((p, o));
                }
            }
            other => {
                return Err(format!(
                    "yaml: unmarshal errors:\n  field {} not found in type positions.LegacyFile",
                    other.unwrap_or("?")
                ))
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(path: &str, labels: &str) -> PosKey {
        PosKey {
            path: path.into(),
            labels: labels.into(),
        }
    }

    #[test]
    fn label_sets_print_as_prometheus() {
        assert_eq!(label_set_string([]), "{}");
        assert_eq!(
            label_set_string([("job", "x"), ("a1", "q\"u"), ("a", "é\n")]),
            r#"{a="é\n", a1="q\"u", job="x"}"#
        );
    }

    #[test]
    fn scalars_are_quoted_as_yaml_v2() {
        for (s, want) in [
            ("/tmp/random.log", "/tmp/random.log"),
            (r#"{job="tmp"}"#, r#"'{job="tmp"}'"#),
            ("{}", "'{}'"),
            ("", r#""""#),
            ("17623", r#""17623""#),
            ("0x1f", r#""0x1f""#),
            ("1.5", r#""1.5""#),
            ("1e3", r#""1e3""#),
            ("true", r#""true""#),
            ("yes", r#""yes""#),
            ("~", r#""~""#),
            ("2024-01-02", r#""2024-01-02""#),
            ("1:20", r#""1:20""#),
            ("-", "'-'"),
            ("a: b", "'a: b'"),
            ("a #b", "'a #b'"),
            ("a#b", "a#b"),
            (" lead", "' lead'"),
            ("it's", "it's"),
            ("'q'", "'''q'''"),
            ("tab\there", r#""tab\there""#),
            ("line\nbreak", r#""line\nbreak""#),
            ("/var/log/é.log", "/var/log/é.log"),
            (
                "cursor-loki.source.journal.x",
                "cursor-loki.source.journal.x",
            ),
            (
                "1835012:1024:9f86d081884c7d65",
                "1835012:1024:9f86d081884c7d65",
            ),
        ] {
            assert_eq!(yaml_scalar(s), want, "{s:?}");
        }
    }

    #[test]
    fn a_draining_rotated_file_is_saved_beside_the_paths_entry_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, "x\n").unwrap();
        let path = dir.path().join("positions.yml");
        let (mut p, _) = Positions::load(&path);
        let k = key(log.to_str().unwrap(), "{}");
        let at_path = Identity {
            ino: 7,
            sig_len: 2,
            sig_hash: 0xabc,
        };
        let rotated = Identity {
            ino: 9,
            sig_len: 1024,
            sig_hash: 0x9f86d081884c7d65,
        };
        p.put(&k, 2, Some(at_path));
        p.put_draining(&k, Some((155_550, rotated)));
        p.save(false).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("ingot_draining:\n")
                && text.contains(": 155550:9:1024:9f86d081884c7d65\n"),
            "{text}"
        );
        let (back, damaged) = Positions::load(&path);
        assert_eq!(damaged, None);
        let s = back.get(&k).unwrap();
        assert_eq!((s.value.as_str(), s.identity), ("2", Some(at_path)));
        assert_eq!(s.draining, Some((155_550, rotated)));
        // Once it is done, the entry goes and Alloy's part is as before.
        p.put_draining(&k, None);
        p.save(false).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("ingot_draining"), "{text}");
        assert_eq!(Positions::load(&path).0.get(&k).unwrap().draining, None);
    }

    #[test]
    fn reads_and_writes_alloys_layout() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("positions.yml");
        // Written by hand in the layout of Alloy's own tests (and Alloy's yaml.v2 output).
        std::fs::write(
            &path,
            "some_new_property: new_unexpected_value\npositions:\n  ? path: /tmp/random.log\n    labels: '{job=\"tmp\"}'\n  : \"17623\"\n  ? path: /tmp/nolabels.log\n    labels: \"\"\n  : 10020\n",
        )
        .unwrap();
        let (mut p, damaged) = Positions::load(&path);
        assert_eq!(damaged, None);
        assert_eq!(
            p.get(&key("/tmp/random.log", r#"{job="tmp"}"#))
                .unwrap()
                .offset(),
            Ok(17623)
        );
        assert_eq!(
            p.get(&key("/tmp/nolabels.log", "")).unwrap().offset(),
            Ok(10020)
        );
        // Vanished files are pruned at save; a cursor is kept.
        let log = dir.path().join("a.log");
        std::fs::write(&log, "x\n").unwrap();
        let logs = log.to_str().unwrap();
        p.put(&key(logs, r#"{job="a"}"#), 2, None);
        p.put(
            &key("cursor-loki.source.journal.j", "{}"),
            0,
            Some(Identity {
                ino: 7,
                sig_len: 2,
                sig_hash: 0xabc,
            }),
        );
        assert!(p.save(false).unwrap());
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            format!(
                "positions:\n  ? path: {logs}\n    labels: '{{job=\"a\"}}'\n  : \"2\"\n  ? path: cursor-loki.source.journal.j\n    labels: '{{}}'\n  : \"0\"\ningot_signatures:\n  ? path: cursor-loki.source.journal.j\n    labels: '{{}}'\n  : 7:2:0000000000000abc\n"
            )
        );
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (p2, _) = Positions::load(&path);
        assert_eq!(
            p2.get(&key("cursor-loki.source.journal.j", "{}"))
                .unwrap()
                .identity
                .unwrap()
                .ino,
            7
        );
        // Nothing changed: nothing written.
        let mut p2 = p2;
        assert!(!p2.save(false).unwrap());
        p2.remove(&key(logs, r#"{job="a"}"#));
        p2.remove(&key("cursor-loki.source.journal.j", "{}"));
        assert!(p2.save(false).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "positions: {}\n");
    }

    #[test]
    fn damaged_files_and_bad_entries() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("positions.yml");
        std::fs::write(
            &path,
            "positions:\n  ? path: /tmp/random.log\n    labels: \"{}\"\n  : \"176\n",
        )
        .unwrap();
        let (p, damaged) = Positions::load(&path);
        assert!(damaged
            .unwrap()
            .0
            .starts_with(&format!("invalid yaml positions file [{}]", path.display())));
        assert_eq!(p.entries().count(), 0);
        std::fs::write(&path, b"positions:\n\0\0\0\0").unwrap();
        assert!(Positions::load(&path).1.is_some());
        std::fs::write(&path, "").unwrap();
        assert_eq!(Positions::load(&path).1, None);
        std::fs::write(
            &path,
            "positions:\n  ? path: /a\n    labels: '{}'\n  : abc\n",
        )
        .unwrap();
        let (p, damaged) = Positions::load(&path);
        assert_eq!(damaged, None);
        assert_eq!(
            p.get(&key("/a", "{}")).unwrap().offset(),
            Err("strconv.ParseInt: parsing \"abc\": invalid syntax".to_string())
        );
    }

    #[test]
    fn converts_legacy_files() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = dir.path().join("legacy.yaml");
        let new = dir.path().join("positions.yml");
        std::fs::write(&legacy, "positions:\n  /tmp/random.log: \"17623\"\n").unwrap();
        convert_legacy(&legacy, &new).unwrap();
        let (p, _) = Positions::load(&new);
        assert_eq!(
            p.get(&key("/tmp/random.log", "{}")).unwrap().offset(),
            Ok(17623)
        );
        // An existing new file is left alone; an invalid legacy file is not converted.
        std::fs::write(&legacy, "positions:\n  /tmp/other.log: \"1\"\n").unwrap();
        convert_legacy(&legacy, &new).unwrap();
        assert!(Positions::load(&new)
            .0
            .get(&key("/tmp/other.log", "{}"))
            .is_none());
        std::fs::write(&legacy, "unknown: 1\n").unwrap();
        std::fs::remove_file(&new).unwrap();
        assert!(convert_legacy(&legacy, &new).is_err());
        assert!(!new.exists());
    }
}
