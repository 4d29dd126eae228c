//! node_exporter's `textfile` collector: the `*.prom` files of a directory (a glob pattern is
//! allowed), read and parsed on every scrape, so files that appear, change or vanish between scrapes
//! show up as they are. A file that cannot be read or parsed is skipped whole, sets
//! `node_textfile_scrape_error` to 1 and is named, with the line, in the component's health (where
//! node_exporter logs it); the collector itself still succeeds, as upstream's does.
//!
//! Files are parsed with ingot-prom's text parser and assembled into families as client_golang's
//! `expfmt.TextParser` assembles them (`_bucket`, `_sum` and `_count` samples join a histogram or
//! summary family declared by `# TYPE`), then exported as node_exporter converts them: every metric
//! of a family gets the union of the family's label names (missing ones empty), a family without
//! `# HELP` gets `Metric read from <files>`, and of families with the same name and different help
//! texts the first file's wins.

use std::path::{Path, PathBuf};

use ingot_prom::exposition::{Desc, FamilySet, MetricType};
use ingot_prom::text_parse::{unescape, Entry, Escapes, PromParser};

use super::{Collector, UnixConfig};

const MTIME: Desc = Desc::new(
    "node_textfile_mtime_seconds",
    "Unixtime mtime of textfiles successfully read.",
    MetricType::Gauge,
    &["file"],
);
const SCRAPE_ERROR: Desc = Desc::new(
    "node_textfile_scrape_error",
    "1 if there was an error opening or reading a file, 0 otherwise",
    MetricType::Gauge,
    &[],
);

pub(super) struct TextfileCollector {
    /// The configured directories (glob patterns), as node_exporter's repeatable flag holds them;
    /// Alloy passes its one `directory`, empty by default (which reads nothing and reports no error).
    directories: Vec<String>,
    problems: Vec<String>,
    buf: Vec<u8>,
}

impl TextfileCollector {
    pub(super) fn new(config: &UnixConfig) -> TextfileCollector {
        TextfileCollector {
            directories: vec![config.textfile.directory.clone()],
            problems: Vec::new(),
            buf: Vec::new(),
        }
    }
}

/// One sample of a counter, gauge or untyped family, or one histogram or summary (its buckets or
/// quantiles, sum and count).
#[derive(Debug, Clone, PartialEq)]
struct Metric {
    labels: Vec<(String, String)>,
    value: f64,
    points: Vec<(f64, f64)>,
    count: u64,
    timestamp: bool,
}

#[derive(Debug, Clone, PartialEq)]
struct Family {
    name: String,
    help: Option<String>,
    kind: MetricType,
    /// Whether a `# TYPE` line set `kind`.
    typed: bool,
    metrics: Vec<Metric>,
}

/// A parse failure, with its line as expfmt reports it.
fn parse_error(line: usize, message: impl std::fmt::Display) -> String {
    format!("text format parsing error in line {line}: {message}")
}

/// Go's `strconv.ParseFloat` of a `le` or `quantile` label value.
fn bound(value: &str) -> Option<f64> {
    ingot_prom::text_parse::go_parse_float(value.as_bytes()).ok()
}

fn line_of(text: &[u8], offset: usize) -> usize {
    text[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The families of one file, as `expfmt.TextParser.TextToMetricFamilies` builds them (empty
/// families dropped).
fn parse_file(text: &[u8]) -> Result<Vec<Family>, String> {
    let mut families: Vec<Family> = Vec::new();
    let find = |families: &[Family], name: &str| families.iter().position(|f| f.name == name);
    let mut parser = PromParser::new(text);
    let offset = |slice: &[u8]| slice.as_ptr() as usize - text.as_ptr() as usize;
    loop {
        let entry = match parser.next_entry() {
            Ok(Some(entry)) => entry,
            Ok(None) => break,
            Err(e) => return Err(parse_error(e.line, &e.message)),
        };
        match entry {
            Entry::Help {
                metric,
                text: help,
                escapes,
            } => {
                let line = line_of(text, offset(metric));
                let name = unescape(metric, Escapes::Label).into_owned();
                let help = unescape(help, escapes).into_owned();
                let i = find(&families, &name).unwrap_or_else(|| {
                    families.push(new_family(&name));
                    families.len() - 1
                });
                if families[i].help.is_some() {
                    return Err(parse_error(
                        line,
                        format!("second HELP line for metric name {name:?}"),
                    ));
                }
                // A HELP line with no text sets none.
                if !help.is_empty() {
                    families[i].help = Some(help);
                }
            }
            Entry::Type { metric, kind } => {
                let line = line_of(text, offset(metric));
                let name = unescape(metric, Escapes::Label).into_owned();
                let i = find(&families, &name).unwrap_or_else(|| {
                    families.push(new_family(&name));
                    families.len() - 1
                });
                if families[i].typed || !families[i].metrics.is_empty() {
                    return Err(parse_error(
                        line,
                        format!("second TYPE line for metric name {name:?}, or TYPE reported after samples"),
                    ));
                }
                families[i].kind = kind;
                families[i].typed = true;
            }
            Entry::Unit { .. } | Entry::Comment(_) => {}
            Entry::Sample(s) => {
                let line = line_of(text, offset(s.series()));
                let name = s.metric_name();
                // expfmt's setOrCreateCurrentMF: the name itself, else the family a `_sum`,
                // `_count` (summary, histogram) or `_bucket` (histogram) suffix points to.
                let (i, suffix) = match find(&families, &name) {
                    Some(i) => (i, ""),
                    None => {
                        let strip = |suffixes: &[&'static str], kind: MetricType| {
                            suffixes.iter().find_map(|suffix| {
                                let base = name.strip_suffix(suffix)?;
                                let i = find(&families, base)?;
                                (families[i].kind == kind).then_some((i, *suffix))
                            })
                        };
                        match strip(&["_sum", "_count"], MetricType::Summary).or_else(|| {
                            strip(&["_sum", "_count", "_bucket"], MetricType::Histogram)
                        }) {
                            Some(found) => found,
                            None => {
                                families.push(new_family(&name));
                                (families.len() - 1, "")
                            }
                        }
                    }
                };
                let family = &mut families[i];
                let special = match family.kind {
                    MetricType::Histogram => "le",
                    MetricType::Summary => "quantile",
                    _ => "",
                };
                let mut labels: Vec<(String, String)> = Vec::with_capacity(s.label_count());
                let mut point: Option<f64> = None;
                for (n, v) in s.labels_raw() {
                    let n = unescape(n, Escapes::Label);
                    let v = unescape(v, Escapes::Label);
                    if !special.is_empty() && n == special && suffix != "_sum" && suffix != "_count"
                    {
                        point = Some(bound(&v).ok_or_else(|| {
                            parse_error(
                                line,
                                format!("expected float as value for '{special}' label, got {v:?}"),
                            )
                        })?);
                        continue;
                    }
                    labels.push((n.into_owned(), v.into_owned()));
                }
                let timestamp = s.timestamp().is_some();
                let value = s.value();
                let compound = matches!(family.kind, MetricType::Histogram | MetricType::Summary);
                if !compound {
                    family.metrics.push(Metric {
                        labels,
                        value,
                        points: Vec::new(),
                        count: 0,
                        timestamp,
                    });
                    continue;
                }
                labels.sort();
                let m = match family.metrics.iter().position(|m| m.labels == labels) {
                    Some(m) => &mut family.metrics[m],
                    None => {
                        family.metrics.push(Metric {
                            labels,
                            value: 0.0,
                            points: Vec::new(),
                            count: 0,
                            timestamp: false,
                        });
                        family.metrics.last_mut().expect("just pushed")
                    }
                };
                m.timestamp |= timestamp;
                match suffix {
                    "_sum" => m.value = value,
                    "_count" => m.count = value as u64,
                    _ => {
                        let Some(p) = point else {
                            return Err(parse_error(
                                line,
                                format!("missing label {special:?} for a {} sample", family.name),
                            ));
                        };
                        let v = if family.kind == MetricType::Histogram {
                            // A bucket's cumulative count is an unsigned integer.
                            (value as u64) as f64
                        } else {
                            value
                        };
                        m.points.push((p, v));
                    }
                }
            }
        }
    }
    families.retain(|f| !f.metrics.is_empty());
    Ok(families)
}

fn new_family(name: &str) -> Family {
    Family {
        name: name.to_owned(),
        help: None,
        kind: MetricType::Unknown,
        typed: false,
        metrics: Vec::new(),
    }
}

/// Go's `filepath.Match`; `Err` for a malformed pattern (an unclosed or empty class, a range
/// missing an end, a trailing backslash).
fn glob_match(pattern: &[u8], name: &[u8]) -> Result<bool, ()> {
    /// One pattern element at `p[i..]`: its length and whether it matches byte `c`.
    fn element(p: &[u8], i: usize, c: u8) -> Result<(usize, bool), ()> {
        let literal = |j: usize| -> Result<(u8, usize), ()> {
            match p.get(j) {
                None | Some(b'-') | Some(b']') => Err(()),
                Some(b'\\') => p.get(j + 1).map(|&c| (c, j + 2)).ok_or(()),
                Some(&c) => Ok((c, j + 1)),
            }
        };
        match p[i] {
            b'?' => Ok((1, c != b'/')),
            b'\\' => p.get(i + 1).map(|&e| (2, e == c)).ok_or(()),
            b'[' => {
                let mut j = i + 1;
                let negate = p.get(j) == Some(&b'^');
                if negate {
                    j += 1;
                }
                let mut matched = false;
                let mut first = true;
                loop {
                    if p.get(j) == Some(&b']') && !first {
                        j += 1;
                        break;
                    }
                    first = false;
                    let (lo, next) = literal(j)?;
                    j = next;
                    let mut hi = lo;
                    if p.get(j) == Some(&b'-') {
                        let (h, next) = literal(j + 1)?;
                        hi = h;
                        j = next;
                    }
                    matched |= lo <= c && c <= hi;
                }
                Ok((j - i, matched != negate))
            }
            other => Ok((1, other == c)),
        }
    }
    // Validate the whole pattern first, as a malformed one is an error whatever the name.
    let mut i = 0;
    while i < pattern.len() {
        i += if pattern[i] == b'*' {
            1
        } else {
            element(pattern, i, 0)?.0
        };
    }
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some(b'*') => (0..=n.len())
                .take_while(|&k| k == 0 || n[k - 1] != b'/')
                .any(|k| go(&p[1..], &n[k..])),
            Some(_) => match n.first() {
                Some(&c) => match element(p, 0, c) {
                    Ok((len, true)) => go(&p[len..], &n[1..]),
                    _ => false,
                },
                None => false,
            },
        }
    }
    Ok(go(pattern, name))
}

fn has_meta(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'))
}

/// Go's `filepath.Glob`: the paths matching `pattern`, sorted within each directory; `Err` for a
/// malformed pattern.
fn glob(pattern: &str) -> Result<Vec<String>, ()> {
    if !has_meta(pattern) {
        return Ok(if std::fs::symlink_metadata(pattern).is_ok() {
            vec![pattern.to_owned()]
        } else {
            Vec::new()
        });
    }
    let (dir, file) = match pattern.rfind('/') {
        Some(i) => (&pattern[..=i], &pattern[i + 1..]),
        None => ("", pattern),
    };
    // Go's cleanGlobPath.
    let dir = match dir {
        "" => ".".to_owned(),
        "/" => "/".to_owned(),
        d => d[..d.len() - 1].to_owned(),
    };
    let dirs = if has_meta(&dir) {
        glob(&dir)?
    } else {
        vec![dir]
    };
    let mut out = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(&d) else {
            // Go checks the pattern even when the directory cannot be read.
            glob_match(file.as_bytes(), b"")?;
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .collect();
        names.sort();
        for name in names {
            if glob_match(file.as_bytes(), name.as_bytes())? {
                out.push(go_join(&d, &name));
            }
        }
    }
    Ok(out)
}

/// Go's `filepath.Join(dir, name)`: the joined path, cleaned.
fn go_join(dir: &str, name: &str) -> String {
    let joined = if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    };
    go_clean(&joined)
}

/// Go's `filepath.Clean`.
fn go_clean(path: &str) -> String {
    if path.is_empty() {
        return ".".to_owned();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => match parts.last() {
                Some(&p) if p != ".." => {
                    parts.pop();
                }
                _ if rooted => {}
                _ => parts.push(".."),
            },
            p => parts.push(p),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_owned(),
        (false, false) => body,
    }
}

impl TextfileCollector {
    /// `processFile`: the file's families and its mtime in whole seconds.
    fn process_file(&mut self, path: &Path) -> Result<(Vec<Family>, f64), String> {
        use std::io::Read;
        let display = path.display().to_string();
        let mut file = std::fs::File::open(path).map_err(|e| {
            format!(
                "failed to open textfile data file {display:?}: {}",
                super::open_error(path, &e)
            )
        })?;
        self.buf.clear();
        file.read_to_end(&mut self.buf).map_err(|e| {
            format!(
                "failed to parse textfile data from {display:?}: read {display}: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        let families = parse_file(&self.buf)
            .map_err(|e| format!("failed to parse textfile data from {display:?}: {e}"))?;
        if families
            .iter()
            .any(|f| f.metrics.iter().any(|m| m.timestamp))
        {
            return Err(format!(
                "textfile {display:?} contains unsupported client-side timestamps, skipping entire file"
            ));
        }
        // Stat only once the file has parsed, so that a failure does not look fresh.
        let meta = file.metadata().map_err(|e| {
            format!(
                "failed to stat {display:?}: {}",
                ingot_hostfs::errno::go_error_text(&e)
            )
        })?;
        use std::os::unix::fs::MetadataExt;
        Ok((families, meta.mtime() as f64))
    }
}

impl Collector for TextfileCollector {
    fn name(&self) -> &'static str {
        "textfile"
    }

    fn problems(&self) -> &[String] {
        &self.problems
    }

    fn update(&mut self, out: &mut FamilySet) -> Result<(), String> {
        self.problems.clear();
        let mut errored = false;
        let mut paths: Vec<String> = Vec::new();
        for pattern in &self.directories {
            match glob(pattern) {
                Ok(found) if !found.is_empty() => paths.extend(found),
                // Not a pattern, or nothing matched: read it as a directory.
                _ => paths.push(pattern.clone()),
            }
        }
        let mut parsed: Vec<Family> = Vec::new();
        // Per family name: the files it came from, and its first help text (and a second one once
        // a file disagreed).
        let mut files_of: Vec<(String, Vec<String>)> = Vec::new();
        let mut helps: Vec<(String, String, Option<String>)> = Vec::new();
        let mut mtimes: Vec<(String, f64)> = Vec::new();
        for dir in &paths {
            let entries = match std::fs::read_dir(if dir.is_empty() {
                Path::new("")
            } else {
                Path::new(dir)
            }) {
                Ok(entries) => entries,
                Err(e) => {
                    if !dir.is_empty() {
                        errored = true;
                        self.problems.push(format!(
                            "failed to read textfile collector directory {dir:?}: {}",
                            super::open_error(Path::new(dir), &e)
                        ));
                    }
                    continue;
                }
            };
            let mut names: Vec<String> = entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| n.ends_with(".prom"))
                .collect();
            names.sort();
            for name in names {
                let path = go_join(dir, &name);
                match self.process_file(&PathBuf::from(&path)) {
                    Ok((families, mtime)) => {
                        for family in families {
                            let seen = helps.iter().position(|(n, _, _)| *n == family.name);
                            if let Some(h) = seen {
                                let (_, first, second) = &mut helps[h];
                                let differs =
                                    family.help.as_ref().is_some_and(|help| help != first);
                                if differs || second.is_some() {
                                    let new = family.help.clone().unwrap_or_default();
                                    *second = Some(new.clone());
                                    errored = true;
                                    let first_file = files_of
                                        .iter()
                                        .find(|(n, _)| *n == family.name)
                                        .and_then(|(_, f)| f.first().cloned())
                                        .unwrap_or_default();
                                    self.problems.push(format!(
                                        "inconsistent metric help text for {:?}: {first:?} in {first_file}, {new:?} in {path} (its samples there are dropped)",
                                        family.name
                                    ));
                                    continue;
                                }
                            }
                            if let Some(help) = &family.help {
                                match helps.iter_mut().find(|(n, _, _)| *n == family.name) {
                                    Some(entry) => {
                                        *entry = (family.name.clone(), help.clone(), None)
                                    }
                                    None => helps.push((family.name.clone(), help.clone(), None)),
                                }
                            }
                            match files_of.iter_mut().find(|(n, _)| *n == family.name) {
                                Some((_, files)) => files.push(path.clone()),
                                None => files_of.push((family.name.clone(), vec![path.clone()])),
                            }
                            parsed.push(family);
                        }
                        mtimes.push((path, mtime));
                    }
                    Err(e) => {
                        errored = true;
                        self.problems
                            .push(format!("failed to collect textfile data from {name}: {e}"));
                    }
                }
            }
        }

        // Families without help: "Metric read from" every file that has the name.
        let mut default_help: Vec<(String, String)> = Vec::new();
        for family in &mut parsed {
            if family.help.is_some() {
                continue;
            }
            let help = match default_help.iter().find(|(n, _)| *n == family.name) {
                Some((_, h)) => h.clone(),
                None => {
                    let files = files_of
                        .iter()
                        .find(|(n, _)| *n == family.name)
                        .map(|(_, f)| f.join(", "))
                        .unwrap_or_default();
                    let h = format!("Metric read from {files}");
                    default_help.push((family.name.clone(), h.clone()));
                    h
                }
            };
            family.help = Some(help);
        }

        for family in &parsed {
            export(family, out);
        }
        mtimes.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, mtime) in &mtimes {
            out.push(&MTIME, &[path], *mtime);
        }
        out.push(&SCRAPE_ERROR, &[], if errored { 1.0 } else { 0.0 });
        Ok(())
    }
}

/// node_exporter's `convertMetricFamily`: every metric with the union of the family's label names.
fn export(family: &Family, out: &mut FamilySet) {
    let mut names: Vec<&str> = Vec::new();
    for m in &family.metrics {
        for (n, _) in &m.labels {
            if !names.contains(&n.as_str()) {
                names.push(n);
            }
        }
    }
    names.sort_unstable();
    let kind = match family.kind {
        MetricType::Counter | MetricType::Gauge | MetricType::Histogram | MetricType::Summary => {
            family.kind
        }
        _ => MetricType::Unknown,
    };
    let help = family.help.as_deref().unwrap_or("");
    let mut values: Vec<&str> = Vec::with_capacity(names.len());
    for m in &family.metrics {
        values.clear();
        for n in &names {
            values.push(
                m.labels
                    .iter()
                    .find(|(k, _)| k == n)
                    .map_or("", |(_, v)| v.as_str()),
            );
        }
        // A metric that does not fit a family another file (or collector) already filled is
        // dropped, as client_golang's registry drops it.
        let Some(target) = out.family_exact(&family.name, help, kind, &names) else {
            continue;
        };
        match kind {
            MetricType::Histogram => target.push_histogram(
                &values,
                m.points.iter().map(|&(b, c)| (b, c as u64)),
                m.value,
                m.count,
            ),
            MetricType::Summary => {
                target.push_summary(&values, m.points.iter().copied(), m.value, m.count)
            }
            _ => target.push(&values, m.value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_glob_matching() {
        let m = |p: &str, n: &str| glob_match(p.as_bytes(), n.as_bytes());
        assert_eq!(m("*.prom", "a.prom"), Ok(true));
        assert_eq!(m("*.prom", "a.txt"), Ok(false));
        assert_eq!(m("a?c", "abc"), Ok(true));
        assert_eq!(m("[a-c]x", "bx"), Ok(true));
        assert_eq!(m("[^a-c]x", "bx"), Ok(false));
        assert_eq!(m("\\*", "*"), Ok(true));
        assert_eq!(m("*", "a/b"), Ok(false));
        assert_eq!(m("[", "a"), Err(()));
        assert_eq!(m("a[", "b"), Err(()));
    }

    #[test]
    fn go_clean_and_join() {
        assert_eq!(go_join("a/b/", "c.prom"), "a/b/c.prom");
        assert_eq!(go_join("/x//y/./", "z"), "/x/y/z");
        assert_eq!(go_join("../a/..", "b"), "../b");
        assert_eq!(go_clean(""), ".");
    }

    #[test]
    fn histograms_and_summaries_assemble_from_their_samples() {
        let text = b"# HELP h A histogram.\n# TYPE h histogram\nh_bucket{le=\"1\",x=\"a\"} 1\nh_bucket{le=\"+Inf\",x=\"a\"} 3\nh_sum{x=\"a\"} 4.5\nh_count{x=\"a\"} 3\n\
# TYPE s summary\ns{quantile=\"0.5\"} 2\ns_sum 10\ns_count 4\n# TYPE empty gauge\nplain_sum 3\n";
        let families = parse_file(text).unwrap();
        assert_eq!(families.len(), 3, "{families:?}");
        let h = &families[0];
        assert_eq!(h.kind, MetricType::Histogram);
        assert_eq!(h.metrics.len(), 1);
        assert_eq!(h.metrics[0].points, [(1.0, 1.0), (f64::INFINITY, 3.0)]);
        assert_eq!((h.metrics[0].value, h.metrics[0].count), (4.5, 3));
        assert_eq!(families[1].metrics[0].points, [(0.5, 2.0)]);
        assert_eq!(families[2].name, "plain_sum");
        assert_eq!(families[2].kind, MetricType::Unknown);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let err = parse_file(b"a 1\nb{x=\"1\"} nope\n").unwrap_err();
        assert!(
            err.starts_with("text format parsing error in line 2: "),
            "{err}"
        );
        let err = parse_file(b"# TYPE a gauge\n# TYPE a counter\n").unwrap_err();
        assert!(err.contains("second TYPE line"), "{err}");
    }
}
