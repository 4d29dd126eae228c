//! The transport-free half of a Prometheus scrape loop (`scrape/scrape.go`): turning one response body
//! into the samples Prometheus would append, with its scrape cache, staleness markers, limits and
//! report series; plus the target helpers (label population, URL, start offset, durations).
//!
//! A [`ScrapeCache`] lives as long as one target's loop. Per sample line it looks the series text up in
//! the cache; a hit reuses the finished label set (a reference-count bump), so a steady-state scrape
//! does not build labels at all.

use std::collections::HashMap;
use std::time::Duration;

use crate::labels::{Labels, LabelsBuilder, PrehashedBuilder, METRIC_NAME};
use crate::sample::{stale_nan, Exemplar, Metadata, Sample, TargetMetadata};
use crate::text_parse::{unescape, Entry, Escapes, Format, OpenMetricsParser, PromParser};
use crate::MetricType;
use std::sync::Arc;

mod target;
#[cfg(test)]
mod tests;

pub use target::{
    fnv64a, format_prom_duration, parse_prom_duration, populate_labels, target_offset, target_url,
    PopulateError, TargetDefaults,
};

/// How metric and label names are checked (`metric_name_validation_scheme`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NameValidation {
    /// `[a-zA-Z_:][a-zA-Z0-9_:]*` metric names, `[a-zA-Z_][a-zA-Z0-9_]*` label names (Alloy's default).
    #[default]
    Legacy,
    /// Any non-empty UTF-8.
    Utf8,
}

/// The per-loop settings that shape what a body becomes.
#[derive(Clone, Debug, PartialEq)]
pub struct ScrapeOptions {
    pub honor_labels: bool,
    pub honor_timestamps: bool,
    pub track_timestamps_staleness: bool,
    /// 0: no limit. Counted after relabeling; exceeding it fails the scrape.
    pub sample_limit: usize,
    pub label_limit: usize,
    pub label_name_length_limit: usize,
    pub label_value_length_limit: usize,
    pub validation: NameValidation,
}

impl Default for ScrapeOptions {
    fn default() -> ScrapeOptions {
        ScrapeOptions {
            honor_labels: false,
            honor_timestamps: true,
            track_timestamps_staleness: false,
            sample_limit: 0,
            label_limit: 0,
            label_name_length_limit: 0,
            label_value_length_limit: 0,
            validation: NameValidation::Legacy,
        }
    }
}

/// What one body gave, for the report series.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppendOutcome {
    /// Sample lines parsed (up to the error, on failure).
    pub samples_scraped: u64,
    /// Samples not dropped by relabeling (duplicates still counted).
    pub samples_post_relabel: u64,
    /// Series new to the cache in this scrape.
    pub series_added: u64,
    /// Why the scrape failed, in Prometheus' words.
    pub error: Option<String>,
}

/// No entry (end of a prediction chain, or no live slot yet).
const NONE: u32 = u32::MAX;

struct CacheEntry {
    /// Where the series text, exactly as the body spelled it (name and labels, still escaped),
    /// sits in [`ScrapeCache::texts`].
    text: std::ops::Range<usize>,
    labels: Labels,
    hash: u64,
    /// The scrape iteration that last saw the line, to spot a repeated line within one body.
    last_iter: u64,
    /// The entry whose line followed this one in the last scrape: the prediction for the next line.
    next: u32,
    /// Where this series' staleness state probably sits in `live` (checked before use).
    live_slot: u32,
}

/// A series subject to staleness.
struct LiveSeries {
    labels: Labels,
    hash: u64,
    /// The iteration that last appended it.
    seen: u64,
    /// The iteration that first appended it (since it was last live).
    born: u64,
    /// False for a free slot.
    used: bool,
}

/// One target's scrape cache: series text to label set, and the series of the last successful scrape
/// (for staleness).
///
/// Targets expose their series in the same order scrape after scrape, so every entry remembers which
/// entry followed it last time. A line is first compared byte for byte with that predicted entry's
/// text, straight from the body: on a hit the parser reads only the value, and no hash is computed
/// and no map probed. The maps are the fallback for lines that moved, appeared or changed.
pub struct ScrapeCache {
    /// Entries, in the order they were first seen (which is mostly body order, so a scrape walks
    /// them front to back).
    entries: Vec<CacheEntry>,
    /// The entries' series texts, back to back in entry order: a steady scrape compares them with
    /// the body front to back.
    texts: Vec<u8>,
    /// A hash of the series text to its entry; on a collision the next key is tried (see
    /// [`ScrapeCache::find`]), so the text itself is stored once, in the entry.
    index: HashMap<u64, u32, PrehashedBuilder>,
    /// The entry of the first sample line of the last scrape.
    first: u32,
    /// Staleness state in slots; a series' slot stays put while it is live, so cache entries can
    /// point at it.
    live: Vec<LiveSeries>,
    free_live: Vec<u32>,
    /// By label hash, the slot of each series subject to staleness: those of the last successful
    /// scrape, plus during a scrape those it has appended so far (`born` is the current iteration
    /// for new ones, `seen` for every one appended). One set instead of Prometheus'
    /// current/previous pair, so a steady-state sample only stamps its slot.
    live_index: HashMap<u64, u32, PrehashedBuilder>,
    iter: u64,
    lb: LabelsBuilder,
    conflicts: Vec<(String, String)>,
    /// Whether any scrape has happened (end-of-run staleness is skipped for a loop that never scraped).
    scraped: bool,
    /// The metadata lines of the target's families (see [`MetadataTracker`]).
    meta: MetadataTracker,
}

/// The target's metadata, rebuilt only when its `# HELP`, `# TYPE` and `# UNIT` lines change.
///
/// The lines of the last successful scrape are kept, raw and in body order, in `seen`; a scrape
/// compares each metadata line with the one at the same place there (a byte comparison, nothing
/// allocated), and only when one differs, or their number does, is the metadata decoded again into a
/// new shared [`TargetMetadata`].
#[derive(Default)]
struct MetadataTracker {
    /// Encoded lines: a tag byte, then the metric name and the payload, each as a 4-byte length and
    /// the raw bytes.
    seen: Vec<u8>,
    /// How far this scrape's lines matched `seen`.
    pos: usize,
    /// This scrape's lines differ from `seen`: from then on they are written to `next`.
    changed: bool,
    next: Vec<u8>,
    /// One line encoded, reused.
    line: Vec<u8>,
    current: Option<Arc<TargetMetadata>>,
}

const META_HELP: u8 = 0;
const META_HELP_LABEL_ESCAPES: u8 = 1;
const META_TYPE: u8 = 2;
const META_UNIT: u8 = 3;

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

fn take_bytes<'b>(b: &mut &'b [u8]) -> &'b [u8] {
    let (len, rest) = b.split_at(4);
    let len = u32::from_le_bytes(len.try_into().unwrap()) as usize;
    let (v, rest) = rest.split_at(len);
    *b = rest;
    v
}

impl MetadataTracker {
    fn begin(&mut self) {
        self.pos = 0;
        self.changed = false;
        self.next.clear();
    }

    /// Notes one metadata line of the body being scraped.
    fn note(&mut self, entry: &Entry<'_, '_>) {
        let line = &mut self.line;
        line.clear();
        match entry {
            Entry::Help {
                metric,
                text,
                escapes,
            } => {
                line.push(match escapes {
                    Escapes::Help => META_HELP,
                    Escapes::Label => META_HELP_LABEL_ESCAPES,
                });
                put_bytes(line, metric);
                put_bytes(line, text);
            }
            Entry::Type { metric, kind } => {
                line.push(META_TYPE);
                put_bytes(line, metric);
                put_bytes(line, &[*kind as u8]);
            }
            Entry::Unit { metric, unit } => {
                line.push(META_UNIT);
                put_bytes(line, metric);
                put_bytes(line, unit);
            }
            Entry::Comment(_) | Entry::Sample(_) => return,
        }
        if !self.changed {
            if self.seen.get(self.pos..self.pos + line.len()) == Some(&line[..]) {
                self.pos += line.len();
                return;
            }
            self.changed = true;
            self.next.extend_from_slice(&self.seen[..self.pos]);
        }
        self.next.extend_from_slice(line);
    }

    /// A successful scrape ended: the metadata is decoded again if its lines changed.
    fn commit(&mut self) {
        if !self.changed && self.pos == self.seen.len() {
            return;
        }
        if !self.changed {
            // Lines were removed at the end.
            self.next.extend_from_slice(&self.seen[..self.pos]);
        }
        std::mem::swap(&mut self.seen, &mut self.next);
        self.next.clear();
        let mut families: Vec<Metadata> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut b = &self.seen[..];
        while !b.is_empty() {
            let tag = b[0];
            b = &b[1..];
            let metric = unescape(take_bytes(&mut b), Escapes::Label).into_owned();
            let payload = take_bytes(&mut b);
            let i = *index.entry(metric.clone()).or_insert_with(|| {
                families.push(Metadata {
                    metric_family: metric,
                    kind: MetricType::Unknown,
                    help: String::new(),
                    unit: String::new(),
                });
                families.len() - 1
            });
            let m = &mut families[i];
            match tag {
                META_HELP => m.help = unescape(payload, Escapes::Help).into_owned(),
                META_HELP_LABEL_ESCAPES => m.help = unescape(payload, Escapes::Label).into_owned(),
                META_TYPE => {
                    m.kind = MetricType::ALL
                        .into_iter()
                        .find(|k| *k as u8 == payload[0])
                        .unwrap_or(MetricType::Unknown)
                }
                _ => m.unit = String::from_utf8_lossy(payload).into_owned(),
            }
        }
        self.current = (!families.is_empty()).then(|| Arc::new(TargetMetadata::new(families)));
    }
}

impl Default for ScrapeCache {
    fn default() -> ScrapeCache {
        ScrapeCache {
            entries: Vec::new(),
            texts: Vec::new(),
            index: HashMap::with_hasher(PrehashedBuilder),
            first: NONE,
            live: Vec::new(),
            free_live: Vec::new(),
            live_index: HashMap::with_hasher(PrehashedBuilder),
            iter: 0,
            lb: LabelsBuilder::new(),
            conflicts: Vec::new(),
            scraped: false,
            meta: MetadataTracker::default(),
        }
    }
}

/// Either text parser behind one interface.
enum Parser<'a> {
    Prom(PromParser<'a>),
    OpenMetrics(OpenMetricsParser<'a>),
}

impl<'a> Parser<'a> {
    fn next_entry(&mut self) -> Result<Option<Entry<'_, 'a>>, crate::text_parse::ParseError> {
        match self {
            Parser::Prom(p) => p.next_entry(),
            Parser::OpenMetrics(p) => p.next_entry(),
        }
    }

    /// The value and timestamp of the next line if its series text is `series`.
    #[inline]
    fn next_known_sample(&mut self, series: &[u8]) -> Option<(f64, Option<i64>)> {
        match self {
            Parser::Prom(p) => p.next_known_sample(series),
            Parser::OpenMetrics(p) => p.next_known_sample(series).map(|v| (v, None)),
        }
    }
}

/// The part of a sample line the cache needs once it knows the series.
struct Line {
    value: f64,
    /// The timestamp to store (explicit and honoured, or the scrape's).
    t: i64,
    /// Whether the line's own timestamp was honoured.
    explicit: bool,
    exemplar: Option<Box<Exemplar>>,
}

impl ScrapeCache {
    pub fn new() -> ScrapeCache {
        ScrapeCache::default()
    }

    /// Number of cached series lines.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The target's metadata as its last successful scrape stated it (`None` before one did, or
    /// when it stated none). The same `Arc` scrape after scrape until a metadata line changes.
    pub fn metadata(&self) -> Option<&Arc<TargetMetadata>> {
        self.meta.current.as_ref()
    }

    /// Forgets every cached label set (the target labels or options changed), keeping the
    /// staleness state.
    pub fn clear_labels(&mut self) {
        self.entries.clear();
        self.texts.clear();
        self.index.clear();
        self.first = NONE;
    }

    /// Parses `body` and appends its samples, then the staleness markers of series that disappeared,
    /// to `out`, all at `ts` unless a sample has an honoured timestamp. `target` holds the target's
    /// public labels. On failure everything this call appended is taken back and, as Prometheus does
    /// with its empty append after a failed one, every series of the last good scrape gets a marker.
    pub fn append_body(
        &mut self,
        body: &[u8],
        format: Format,
        target: &Labels,
        opts: &ScrapeOptions,
        ts: i64,
        out: &mut Vec<Sample>,
    ) -> AppendOutcome {
        self.scraped = true;
        self.iter += 1;
        let start_len = out.len();
        let mut outcome = AppendOutcome::default();
        let mut parser = match format {
            Format::PromText => Parser::Prom(PromParser::new(body)),
            Format::OpenMetrics => Parser::OpenMetrics(OpenMetricsParser::new(body)),
            Format::Protobuf => {
                outcome.error =
                    Some("the protobuf exposition format is not supported by ingot".into());
                self.fail(start_len, ts, out);
                return outcome;
            }
        };
        let mut error = None;
        // The entry of the previous sample line, and the one predicted for the next.
        let mut prev = NONE;
        let mut predicted = self.first;
        self.meta.begin();
        loop {
            // The predicted series, compared straight from the body.
            if let Some(e) = self.entries.get(predicted as usize) {
                if let Some((value, line_ts)) =
                    parser.next_known_sample(&self.texts[e.text.clone()])
                {
                    let explicit = opts.honor_timestamps && line_ts.is_some();
                    let line = Line {
                        value,
                        t: if explicit { line_ts.unwrap_or(ts) } else { ts },
                        explicit,
                        exemplar: None,
                    };
                    outcome.samples_scraped += 1;
                    self.link(prev, predicted);
                    prev = predicted;
                    predicted = self.predict(prev);
                    self.append_known(prev, line, opts, &mut outcome, out);
                    continue;
                }
            }
            let entry = match parser.next_entry() {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => {
                    error = Some(e.with_position());
                    break;
                }
            };
            let Entry::Sample(s) = entry else {
                self.meta.note(&entry);
                continue;
            };
            outcome.samples_scraped += 1;
            let explicit_ts = if opts.honor_timestamps {
                s.timestamp()
            } else {
                None
            };
            let line = Line {
                value: s.value(),
                t: explicit_ts.unwrap_or(ts),
                explicit: explicit_ts.is_some(),
                exemplar: s.exemplar().map(|e| {
                    Box::new(Exemplar {
                        labels: e.to_labels(),
                        value: e.value(),
                        timestamp_ms: Some(e.timestamp().unwrap_or(ts)),
                    })
                }),
            };
            let idx = match self.find(s.series()) {
                Ok(idx) => idx,
                Err(key) => {
                    s.write_labels(&mut self.lb);
                    // Empty scraped values stay until the merge: with honor_labels a scraped
                    // `instance=""` still shadows the target's instance, as in Prometheus.
                    merge_target_labels(
                        &mut self.lb,
                        target,
                        opts.honor_labels,
                        &mut self.conflicts,
                    );
                    self.lb.retain(|_, v| !v.is_empty());
                    let labels = self.lb.labels();
                    if let Err(e) = check_series(&labels, opts) {
                        error = Some(e);
                        break;
                    }
                    let idx = self.entries.len() as u32;
                    self.index.insert(key, idx);
                    let at = self.texts.len();
                    self.texts.extend_from_slice(s.series());
                    self.entries.push(CacheEntry {
                        text: at..self.texts.len(),
                        hash: labels.hash(),
                        labels,
                        last_iter: 0,
                        next: NONE,
                        live_slot: NONE,
                    });
                    outcome.series_added += 1;
                    idx
                }
            };
            self.link(prev, idx);
            prev = idx;
            predicted = self.predict(idx);
            self.append_known(idx, line, opts, &mut outcome, out);
        }
        if error.is_none()
            && opts.sample_limit > 0
            && outcome.samples_post_relabel > opts.sample_limit as u64
        {
            error = Some("sample limit exceeded".into());
        }
        if let Some(e) = error {
            // Series found in a failed scrape were never committed.
            outcome.series_added = 0;
            outcome.error = Some(e);
            self.fail(start_len, ts, out);
            return outcome;
        }
        // Series of the last scrape that this one did not append go stale.
        let iter = self.iter;
        for (slot, e) in self.live.iter_mut().enumerate() {
            if e.used && e.seen != iter {
                out.push(stale(std::mem::take(&mut e.labels), ts));
                e.used = false;
                self.live_index.remove(&e.hash);
                self.free_live.push(slot as u32);
            }
        }
        self.maybe_flush();
        self.meta.commit();
        outcome
    }

    /// The entry whose text is `text`, or the free index key to file it under.
    fn find(&self, text: &[u8]) -> Result<u32, u64> {
        let mut key = xxhash_rust::xxh3::xxh3_64(text);
        loop {
            match self.index.get(&key) {
                Some(&idx) if self.texts[self.entries[idx as usize].text.clone()] == *text => {
                    return Ok(idx)
                }
                // Another text with the same hash: try the next key.
                Some(_) => key = key.wrapping_add(1),
                None => return Err(key),
            }
        }
    }

    /// The entry expected after `idx`'s line. Also starts loading the label set that will be
    /// cloned a few lines from now (entries sit mostly in body order, so following the chain
    /// touches memory that is already cached).
    #[inline]
    fn predict(&self, idx: u32) -> u32 {
        const AHEAD: usize = 4;
        let next = self.entries[idx as usize].next;
        let mut ahead = next;
        for _ in 0..AHEAD {
            match self.entries.get(ahead as usize) {
                Some(e) => ahead = e.next,
                None => return next,
            }
        }
        if let Some(e) = self.entries.get(ahead as usize) {
            e.labels.prefetch();
        }
        next
    }

    /// Records that `idx`'s line followed `prev`'s, for the next scrape's prediction.
    #[inline]
    fn link(&mut self, prev: u32, idx: u32) {
        let slot = match self.entries.get_mut(prev as usize) {
            Some(p) => &mut p.next,
            None => &mut self.first,
        };
        if *slot != idx {
            *slot = idx;
        }
    }

    /// Appends one sample of the cached series `idx`, with staleness bookkeeping.
    #[inline]
    fn append_known(
        &mut self,
        idx: u32,
        line: Line,
        opts: &ScrapeOptions,
        outcome: &mut AppendOutcome,
        out: &mut Vec<Sample>,
    ) {
        let iter = self.iter;
        let e = &mut self.entries[idx as usize];
        outcome.samples_post_relabel += 1;
        if e.last_iter == iter && !line.explicit {
            // The same line twice in one body: storage rejects the second sample as a duplicate
            // for this timestamp, which Prometheus counts but does not fail on.
            return;
        }
        e.last_iter = iter;
        if !line.explicit || opts.track_timestamps_staleness {
            let fresh = match self.live.get_mut(e.live_slot as usize) {
                Some(l) if l.used && l.hash == e.hash => {
                    l.seen = iter;
                    false
                }
                _ => true,
            };
            if fresh {
                e.live_slot = match self.live_index.get(&e.hash) {
                    Some(&slot) => {
                        self.live[slot as usize].seen = iter;
                        slot
                    }
                    None => {
                        let l = LiveSeries {
                            labels: e.labels.clone(),
                            hash: e.hash,
                            seen: iter,
                            born: iter,
                            used: true,
                        };
                        let slot = crate::slots::insert(&mut self.live, &mut self.free_live, l);
                        self.live_index.insert(e.hash, slot);
                        slot
                    }
                };
            }
        }
        out.push(Sample {
            labels: e.labels.clone(),
            timestamp_ms: line.t,
            value: line.value,
            exemplar: line.exemplar,
        });
    }

    /// A scrape that failed before (or while) parsing: every series of the last good scrape goes
    /// stale at `ts`. Later failures add nothing, as the set is then empty.
    pub fn append_failure(&mut self, ts: i64, out: &mut Vec<Sample>) {
        self.scraped = true;
        self.iter += 1;
        let len = out.len();
        self.fail(len, ts, out);
    }

    fn fail(&mut self, start_len: usize, ts: i64, out: &mut Vec<Sample>) {
        out.truncate(start_len);
        // Series first appended by this failed scrape were never committed.
        for e in &self.live {
            if e.used && e.born != self.iter {
                out.push(stale(e.labels.clone(), ts));
            }
        }
        self.live.clear();
        self.free_live.clear();
        self.live_index.clear();
    }

    /// Markers for the end of a target's loop: every series of the last scrape. `None` when the loop
    /// never scraped (nothing to end).
    pub fn end_of_run(&self, ts: i64, out: &mut Vec<Sample>) -> bool {
        if !self.scraped {
            return false;
        }
        for e in &self.live {
            if e.used {
                out.push(stale(e.labels.clone(), ts));
            }
        }
        true
    }

    /// Drops cache lines not seen for a while once the cache has grown well past the live set, as
    /// Prometheus' `iterDone` does, so churning series do not pile up. The survivors keep their
    /// order; predictions start afresh.
    fn maybe_flush(&mut self) {
        let live = self.live_index.len().max(1);
        if self.entries.len() > 2 * live + 64 {
            let keep_after = self.iter.saturating_sub(10);
            self.entries.retain(|e| e.last_iter > keep_after);
            let old_texts = std::mem::take(&mut self.texts);
            for e in &mut self.entries {
                let at = self.texts.len();
                self.texts.extend_from_slice(&old_texts[e.text.clone()]);
                e.text = at..self.texts.len();
                e.next = NONE;
            }
            self.index.clear();
            for idx in 0..self.entries.len() {
                let text = self.entries[idx].text.clone();
                if let Err(key) = self.find(&self.texts[text]) {
                    self.index.insert(key, idx as u32);
                }
            }
            self.first = NONE;
        }
    }
}

fn stale(labels: Labels, ts: i64) -> Sample {
    Sample {
        labels,
        timestamp_ms: ts,
        value: stale_nan(),
        exemplar: None,
    }
}

/// Prometheus' `mutateSampleLabels` without metric relabeling: target labels win, and without
/// `honor_labels` a clashing scraped value moves to `exported_<name>` (shortest name first,
/// prefixing again while the name is taken by a non-empty value). With `honor_labels` a scraped
/// label shadows the target's even when its value is empty, so the series ends up without it.
fn merge_target_labels(
    lb: &mut LabelsBuilder,
    target: &Labels,
    honor_labels: bool,
    conflicts: &mut Vec<(String, String)>,
) {
    if honor_labels {
        for (n, v) in target.iter() {
            if lb.get(n).is_none() {
                lb.set(n, v);
            }
        }
        return;
    }
    conflicts.clear();
    for (n, v) in target.iter() {
        if let Some(existing) = lb.get(n) {
            if !existing.is_empty() {
                conflicts.push((n.to_string(), existing.to_string()));
            }
        }
        lb.set(n, v);
    }
    if conflicts.is_empty() {
        return;
    }
    conflicts.sort_by_key(|(n, _)| n.len());
    for (name, value) in conflicts.iter() {
        let mut new_name = name.clone();
        loop {
            new_name.insert_str(0, "exported_");
            if lb.get(&new_name).is_none_or(str::is_empty) {
                lb.set(&new_name, value);
                break;
            }
        }
    }
}

fn is_legacy_metric_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_' || b[0] == b':')
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_' || c == b':')
}

fn is_legacy_label_name(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b[1..]
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// The checks Prometheus makes on a new series: a metric name, valid names under the scheme, and
/// the label limits.
fn check_series(labels: &Labels, opts: &ScrapeOptions) -> Result<(), String> {
    let Some(name) = labels.get(METRIC_NAME) else {
        return Err("missing metric name (__name__ label)".into());
    };
    let valid = match opts.validation {
        NameValidation::Utf8 => labels.iter().all(|(n, _)| !n.is_empty()),
        NameValidation::Legacy => labels.iter().all(|(n, v)| {
            if n == METRIC_NAME {
                is_legacy_metric_name(v)
            } else {
                is_legacy_label_name(n)
            }
        }),
    };
    if !valid {
        return Err(format!("invalid metric name or label names: {labels}"));
    }
    let trunc = |s: &str| s.chars().take(50).collect::<String>();
    if opts.label_limit > 0 {
        let n = labels.len();
        if n > opts.label_limit {
            return Err(format!(
                "label_limit exceeded (metric: {}, number of labels: {n}, limit: {})",
                trunc(name),
                opts.label_limit
            ));
        }
    }
    for (n, v) in labels.iter() {
        if opts.label_name_length_limit > 0 && n.len() > opts.label_name_length_limit {
            return Err(format!(
                "label_name_length_limit exceeded (metric: {}, label name: {}, length: {}, limit: {})",
                trunc(name),
                trunc(n),
                n.len(),
                opts.label_name_length_limit
            ));
        }
        if opts.label_value_length_limit > 0 && v.len() > opts.label_value_length_limit {
            return Err(format!(
                "label_value_length_limit exceeded (metric: {}, label name: {}, value: {}, length: {}, limit: {})",
                trunc(name),
                trunc(n),
                crate::text_parse::go_quote(trunc(v).as_bytes()),
                v.len(),
                opts.label_value_length_limit
            ));
        }
    }
    Ok(())
}

/// The report ("synthetic") series of one target, label sets built once.
#[derive(Clone, Debug)]
pub struct ReportSeries {
    up: Labels,
    duration: Labels,
    scraped: Labels,
    post_relabel: Labels,
    added: Labels,
    timeout: Labels,
    sample_limit: Labels,
    body_size: Labels,
}

/// What a report says about one scrape.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Report {
    pub up: bool,
    pub duration: Duration,
    pub samples_scraped: u64,
    pub samples_post_relabel: u64,
    pub series_added: u64,
    /// With `extra_metrics`: the configured timeout, sample limit and the uncompressed body size
    /// (-1 when over the limit).
    pub extra: Option<(Duration, u64, i64)>,
}

impl ReportSeries {
    /// `target` holds the target's public labels.
    pub fn new(target: &Labels) -> ReportSeries {
        let with = |name: &str| {
            let mut lb = target.to_builder();
            lb.set(METRIC_NAME, name);
            lb.labels()
        };
        ReportSeries {
            up: with("up"),
            duration: with("scrape_duration_seconds"),
            scraped: with("scrape_samples_scraped"),
            post_relabel: with("scrape_samples_post_metric_relabeling"),
            added: with("scrape_series_added"),
            timeout: with("scrape_timeout_seconds"),
            sample_limit: with("scrape_sample_limit"),
            body_size: with("scrape_body_size_bytes"),
        }
    }

    /// Appends the report series in Prometheus' order.
    pub fn append(&self, report: &Report, ts: i64, out: &mut Vec<Sample>) {
        let mut push = |labels: &Labels, value: f64| {
            out.push(Sample {
                labels: labels.clone(),
                timestamp_ms: ts,
                value,
                exemplar: None,
            })
        };
        push(&self.up, if report.up { 1.0 } else { 0.0 });
        push(&self.duration, report.duration.as_secs_f64());
        push(&self.scraped, report.samples_scraped as f64);
        push(&self.post_relabel, report.samples_post_relabel as f64);
        push(&self.added, report.series_added as f64);
        if let Some((timeout, limit, body)) = report.extra {
            push(&self.timeout, timeout.as_secs_f64());
            push(&self.sample_limit, limit as f64);
            push(&self.body_size, body as f64);
        }
    }

    /// Staleness markers for every report series (end of a target's loop).
    pub fn append_stale(&self, extra: bool, ts: i64, out: &mut Vec<Sample>) {
        let mut all = vec![
            &self.up,
            &self.duration,
            &self.scraped,
            &self.post_relabel,
            &self.added,
        ];
        if extra {
            all.extend([&self.timeout, &self.sample_limit, &self.body_size]);
        }
        for l in all {
            out.push(stale(l.clone(), ts));
        }
    }
}
