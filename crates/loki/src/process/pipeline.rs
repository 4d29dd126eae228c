//! The stage chain. Alloy runs each stage on a goroutine of its own, joined by channels; here a batch runs
//! through the stages in turn on the caller's thread, which keeps the order of entries and needs no
//! threads. A stage takes one entry and gives none (dropped), one, or several (a multiline stage giving
//! back what it held); entries a stage releases on its own (multiline's `max_wait_time`) come out of
//! [`Stage::tick`] and run through the stages after it.

use std::time::Instant;

use ingot_logs::{Entry, Token};
use ingot_prom::labels::{Labels, LabelsBuilder};

use super::value::{Extracted, Text, Value};

/// An entry's labels while the stages work on them, as Go's `model.LabelSet`: names in order, a label
/// may hold an empty value until the end. Until a stage changes them they are the labels the entry came
/// with, which go out again as they are.
#[derive(Clone, Debug, Default)]
pub struct LabelMap {
    /// Sorted by name.
    items: Vec<(Text, Text)>,
    /// The labels the entry came with, while nothing changed them.
    orig: Option<Labels>,
    /// [`labels_fingerprint`] of the map, once asked for and while nothing changed it: the timestamp stage
    /// and the labels cache on the way out both key by it.
    fp: std::cell::Cell<Option<u128>>,
}

impl PartialEq for LabelMap {
    fn eq(&self, o: &LabelMap) -> bool {
        self.items == o.items
    }
}

impl LabelMap {
    pub fn from_labels(l: &Labels) -> LabelMap {
        // Room for the labels stages usually add.
        LabelMap::from_labels_in(l, Vec::with_capacity(l.len() + 4))
    }

    fn from_labels_in(l: &Labels, mut items: Vec<(Text, Text)>) -> LabelMap {
        items.clear();
        items.extend(l.iter().map(|(n, v)| (Text::from(n), Text::from(v))));
        LabelMap {
            items,
            orig: Some(l.clone()),
            fp: Default::default(),
        }
    }

    fn find(&self, name: &str) -> Result<usize, usize> {
        self.items.binary_search_by(|(n, _)| n.as_str().cmp(name))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.find(name).ok().map(|i| self.items[i].1.as_str())
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.find(name).is_ok()
    }

    /// What every change does: the entry's own labels and the fingerprint no longer stand for the map.
    fn changed(&mut self) {
        self.orig = None;
        self.fp.set(None);
    }

    pub fn insert(&mut self, name: impl AsRef<str> + Into<Text>, value: impl Into<Text>) {
        self.changed();
        match self.find(name.as_ref()) {
            Ok(i) => self.items[i].1 = value.into(),
            Err(i) => self.items.insert(i, (name.into(), value.into())),
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Text> {
        let i = self.find(name).ok()?;
        self.changed();
        Some(self.items.remove(i).1)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        let before = self.items.len();
        self.items.retain(|(n, v)| keep(n, v));
        if self.items.len() != before {
            self.changed();
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.items.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The values, to change in place.
    pub fn values_mut(&mut self) -> impl Iterator<Item = (&str, &mut Text)> + '_ {
        self.changed();
        self.items.iter_mut().map(|(n, v)| (n.as_str(), v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.items.iter().map(|(n, _)| n.as_str())
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The labels to send: the ones the entry came with when nothing changed them, else the map without
    /// its empty values (Loki and Prometheus read an empty value as no label).
    pub fn to_labels(&self) -> Labels {
        self.to_labels_cached(None)
    }

    /// [`LabelMap::to_labels`], reusing a label set `cache` made before for the same labels.
    pub fn to_labels_cached(&self, cache: Option<&mut LabelsCache>) -> Labels {
        if let Some(l) = &self.orig {
            return l.clone();
        }
        let Some(cache) = cache else {
            return self.build_labels();
        };
        let key = labels_fingerprint(self);
        if let Some(l) = cache.map.get(&key) {
            return l.clone();
        }
        let l = self.build_labels();
        if cache.map.len() >= LABELS_CACHE {
            cache.map.clear();
        }
        cache.map.insert(key, l.clone());
        l
    }

    fn build_labels(&self) -> Labels {
        let mut b = LabelsBuilder::new();
        for (n, v) in &self.items {
            if !v.is_empty() {
                b.push_unchecked(n, v);
            }
        }
        b.labels()
    }
}

impl std::ops::Index<&str> for LabelMap {
    type Output = str;
    fn index(&self, name: &str) -> &str {
        self.get(name)
            .unwrap_or_else(|| panic!("no label {name:?}"))
    }
}

impl<'a> FromIterator<(&'a str, &'a str)> for LabelMap {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(it: I) -> LabelMap {
        let mut m = LabelMap::default();
        for (n, v) in it {
            m.insert(n, v);
        }
        m
    }
}

/// Label sets the stages made recently, by their fingerprint: entries of a stream mostly leave with the
/// same few label sets, which are then shared rather than built again.
#[derive(Default)]
pub struct LabelsCache {
    map: std::collections::HashMap<u128, Labels, foldhash::fast::RandomState>,
}

/// Label sets a [`LabelsCache`] keeps before it starts again.
const LABELS_CACHE: usize = 4096;

/// The allocations of entries that left the pipeline, for the next entries to enter it: a batch of entries
/// then costs no allocation for its label map and extracted map once the first batch went through.
#[derive(Default)]
pub struct Recycler {
    labels: Vec<Vec<(Text, Text)>>,
    extracted: Vec<Vec<(Text, Value)>>,
    /// The last label set an entry came with, as a label map's items: entries of a batch mostly share
    /// one set (one buffer), and copying its items is cheaper than reading them out of the set again.
    last: Option<(Labels, Vec<(Text, Text)>)>,
}

/// Allocations a [`Recycler`] keeps.
const RECYCLE: usize = 4096;

impl Recycler {
    /// `e` as it enters the pipeline.
    pub fn entry(&mut self, e: &Entry) -> PEntry {
        let mut items = self
            .labels
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(e.labels.len() + 4));
        let labels = match &self.last {
            Some((l, template)) if l.same_set(&e.labels) => {
                items.clear();
                items.extend(template.iter().cloned());
                LabelMap {
                    items,
                    orig: Some(e.labels.clone()),
                    fp: Default::default(),
                }
            }
            _ => {
                let m = LabelMap::from_labels_in(&e.labels, items);
                self.last = Some((e.labels.clone(), m.items.clone()));
                m
            }
        };
        let extracted = match self.extracted.pop() {
            Some(v) => Extracted::from_vec(v),
            None => Extracted::with_capacity(labels.len() + 8),
        };
        PEntry::with(e, labels, extracted)
    }

    /// `p` as it leaves the pipeline; its maps' allocations are kept.
    pub fn leave(&mut self, mut p: PEntry, cache: Option<&mut LabelsCache>) -> Entry {
        let mut labels = std::mem::take(&mut p.labels);
        let extracted = std::mem::take(&mut p.extracted);
        let out = Entry {
            // Unchanged labels leave as the set they came as, moved rather than cloned.
            labels: match labels.orig.take() {
                Some(l) => l,
                None => labels.to_labels_cached(cache),
            },
            timestamp_ns: p.timestamp_ns,
            line: p.line,
            structured_metadata: p.structured_metadata,
            created_us: p.created_us,
        };
        if self.labels.len() < RECYCLE {
            let mut v = labels.items;
            v.clear();
            self.labels.push(v);
        }
        if self.extracted.len() < RECYCLE {
            let mut v = extracted.into_vec();
            v.clear();
            self.extracted.push(v);
        }
        out
    }
}

/// An entry on its way through the stages: Alloy's `stages.Entry`.
#[derive(Clone, Debug)]
pub struct PEntry {
    pub labels: LabelMap,
    pub extracted: Extracted,
    pub timestamp_ns: i64,
    pub line: String,
    pub structured_metadata: Vec<(String, String)>,
    pub created_us: i64,
    /// Receipts of the senders whose lines this entry carries, when a stage joined lines of several
    /// batches (multiline); `None` for an entry of the batch being processed.
    pub tokens: Vec<Token>,
}

impl PEntry {
    /// An entry entering the pipeline: its labels are copied into the extracted map, as Alloy does.
    pub fn new(e: &Entry) -> PEntry {
        let labels = LabelMap::from_labels(&e.labels);
        let extracted = Extracted::with_capacity(labels.len() + 8);
        PEntry::with(e, labels, extracted)
    }

    fn with(e: &Entry, labels: LabelMap, mut extracted: Extracted) -> PEntry {
        for (n, v) in &labels.items {
            // Label names are unique.
            extracted.push_new(n.clone(), Value::Str(v.clone()));
        }
        PEntry {
            labels,
            extracted,
            timestamp_ns: e.timestamp_ns,
            line: e.line.clone(),
            structured_metadata: e.structured_metadata.clone(),
            created_us: e.created_us,
            tokens: Vec::new(),
        }
    }

    /// The entry leaving the pipeline.
    pub fn into_entry(self) -> Entry {
        self.into_entry_cached(None)
    }

    /// [`PEntry::into_entry`] with a cache of label sets.
    pub fn into_entry_cached(self, cache: Option<&mut LabelsCache>) -> Entry {
        Entry {
            labels: self.labels.to_labels_cached(cache),
            timestamp_ns: self.timestamp_ns,
            line: self.line,
            structured_metadata: self.structured_metadata,
            created_us: self.created_us,
        }
    }

    /// Go's `model.LabelSet.String()` of the labels: `{a="1", b="2"}`, the key Alloy's stages keep state by.
    pub fn labels_string(&self) -> String {
        label_set_string(&self.labels)
    }
}

/// Go's `model.LabelSet.String()`.
pub fn label_set_string(labels: &LabelMap) -> String {
    let mut s = String::from("{");
    for (i, (n, v)) in labels.iter().enumerate() {
        if i > 0 {
            s.push_str(", ");
        }
        s.push_str(n);
        s.push('=');
        s.push_str(&ingot_gocompat::strconv::quote(v));
    }
    s.push('}');
    s
}

/// A 128-bit hash of a label set, standing for its `String()` where Alloy keys state by it (a collision
/// is as likely as two random 128-bit values being equal).
pub fn labels_fingerprint(labels: &LabelMap) -> u128 {
    if let Some(fp) = labels.fp.get() {
        return fp;
    }
    let fp = fingerprint_of(labels.items.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    labels.fp.set(Some(fp));
    fp
}

/// The XXH3-128 of each name and value followed by 0xff. Most label sets fit a buffer on the stack and are
/// hashed in one call (the same digest as the streaming hasher gives over the same bytes, and several
/// times faster than feeding it piece by piece).
fn fingerprint_of<'a>(labels: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> u128 {
    let mut buf = [0u8; 512];
    let mut n = 0;
    for (name, v) in labels.clone() {
        let need = name.len() + v.len() + 2;
        if n + need > buf.len() {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            for (name, v) in labels {
                h.update(name.as_bytes());
                h.update(&[0xff]);
                h.update(v.as_bytes());
                h.update(&[0xff]);
            }
            return h.digest128();
        }
        buf[n..n + name.len()].copy_from_slice(name.as_bytes());
        n += name.len();
        buf[n] = 0xff;
        n += 1;
        buf[n..n + v.len()].copy_from_slice(v.as_bytes());
        n += v.len();
        buf[n] = 0xff;
        n += 1;
    }
    xxhash_rust::xxh3::xxh3_128(&buf[..n])
}

/// The labels of a map, without empty values.
pub fn labels_of(map: &LabelMap) -> Labels {
    map.to_labels()
}

/// One stage of the chain.
pub trait Stage: Send {
    /// Takes an entry; pushes what goes on to `out` (nothing when the stage drops or holds it).
    fn process(&mut self, e: PEntry, out: &mut Vec<PEntry>);

    /// Entries the stage releases by itself by `now` (multiline records whose wait is over).
    fn tick(&mut self, _now: Instant, _out: &mut Vec<PEntry>) {}

    /// Everything the stage holds, when the pipeline stops or is replaced.
    fn flush(&mut self, _out: &mut Vec<PEntry>) {}

    /// Whether the stage holds as much as it may (entries waiting for a rate limit): the component then
    /// answers its senders `Full` until it holds less.
    fn saturated(&self) -> bool {
        false
    }

    /// The stage as one that gives back each entry it takes, changed in place, or drops it: the pipeline
    /// then runs a batch through it without moving each entry out of its buffer and back (an entry is
    /// about 200 bytes; moving it twice per stage cost more than some stages' work).
    fn in_place(&mut self) -> Option<&mut dyn InPlace> {
        None
    }
}

/// A stage that keeps or drops each entry and never holds, splits or adds one. Its [`Stage::process`] is
/// [`InPlace::apply`] (see [`in_place_stage`]), so both ways of running it give the same result.
pub trait InPlace {
    /// Changes `e`; `false` drops it.
    fn apply(&mut self, e: &mut PEntry) -> bool;
}

/// Implements [`Stage`] for a type implementing [`InPlace`]: `process` applies it, `in_place` offers it.
macro_rules! in_place_stage {
    ($t:ty) => {
        impl $crate::process::pipeline::Stage for $t {
            fn process(
                &mut self,
                mut e: $crate::process::pipeline::PEntry,
                out: &mut Vec<$crate::process::pipeline::PEntry>,
            ) {
                if $crate::process::pipeline::InPlace::apply(self, &mut e) {
                    out.push(e);
                }
            }

            fn in_place(&mut self) -> Option<&mut dyn $crate::process::pipeline::InPlace> {
                Some(self)
            }
        }
    };
}
pub(crate) use in_place_stage;

/// Stages in order, with two buffers reused between calls so that passing entries from stage to stage
/// allocates nothing.
#[derive(Default)]
pub struct Pipeline {
    stages: Vec<Box<dyn Stage>>,
    bufs: (Vec<PEntry>, Vec<PEntry>),
    single: Vec<PEntry>,
}

impl Pipeline {
    pub fn new(stages: Vec<Box<dyn Stage>>) -> Pipeline {
        Pipeline {
            stages,
            bufs: Default::default(),
            single: Vec::new(),
        }
    }

    /// Runs `entries` through stages `from..`, appending what comes out to `out`. Each stage takes the
    /// entries in order (the same entries reach each stage in the same order as entry-by-entry). A run of
    /// stages that work in place takes one entry through all of them before the next (while it is in the
    /// cache); otherwise each stage takes every entry before the next stage does. Stages share no state
    /// but counters, so either order gives the same entries.
    fn run_from(&mut self, from: usize, entries: &mut Vec<PEntry>, out: &mut Vec<PEntry>) {
        let (mut cur, mut next) = std::mem::take(&mut self.bufs);
        cur.clear();
        // The batch's own buffer is taken over rather than copied (an entry is about 200 bytes).
        std::mem::swap(&mut cur, entries);
        let mut i = from;
        while i < self.stages.len() {
            if cur.is_empty() {
                break;
            }
            let n = self.stages[i..]
                .iter_mut()
                .map_while(|s| s.in_place())
                .count();
            if n > 0 {
                let run = &mut self.stages[i..i + n];
                cur.retain_mut(|e| {
                    run.iter_mut()
                        .map_while(|s| s.in_place())
                        .all(|s| s.apply(e))
                });
                i += n;
                continue;
            }
            let stage = &mut self.stages[i];
            i += 1;
            next.clear();
            for e in cur.drain(..) {
                stage.process(e, &mut next);
            }
            std::mem::swap(&mut cur, &mut next);
        }
        if out.is_empty() {
            std::mem::swap(out, &mut cur);
        } else {
            out.append(&mut cur);
        }
        self.bufs = (cur, next);
    }

    /// Runs one entry through every stage.
    pub fn run(&mut self, e: PEntry, out: &mut Vec<PEntry>) {
        let mut v = std::mem::take(&mut self.single);
        v.push(e);
        self.run_from(0, &mut v, out);
        self.single = v;
    }

    /// Runs entries (taken from `entries`) through every stage.
    pub fn run_batch(&mut self, entries: &mut Vec<PEntry>, out: &mut Vec<PEntry>) {
        self.run_from(0, entries, out);
    }

    /// What stages release by `now`, each run through the stages after it.
    pub fn run_tick(&mut self, now: Instant, out: &mut Vec<PEntry>) {
        for i in 0..self.stages.len() {
            let mut released = Vec::new();
            self.stages[i].tick(now, &mut released);
            if !released.is_empty() {
                self.run_from(i + 1, &mut released, out);
            }
        }
    }

    /// Everything held, each run through the stages after the one that held it.
    pub fn run_flush(&mut self, out: &mut Vec<PEntry>) {
        for i in 0..self.stages.len() {
            let mut released = Vec::new();
            self.stages[i].flush(&mut released);
            if !released.is_empty() {
                self.run_from(i + 1, &mut released, out);
            }
        }
    }
}

impl Pipeline {
    /// Whether any stage holds as much as it may.
    pub fn saturated(&self) -> bool {
        self.stages.iter().any(|s| s.saturated())
    }
}

impl Stage for Pipeline {
    fn saturated(&self) -> bool {
        Pipeline::saturated(self)
    }

    fn process(&mut self, e: PEntry, out: &mut Vec<PEntry>) {
        self.run(e, out);
    }

    fn tick(&mut self, now: Instant, out: &mut Vec<PEntry>) {
        self.run_tick(now, out);
    }

    fn flush(&mut self, out: &mut Vec<PEntry>) {
        self.run_flush(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::stages::testing::{entry, pipeline};

    // The one-call hash gives the streaming hasher's digest, for sets that fit the buffer and sets that
    // do not; a change to the map forgets the kept fingerprint.
    #[test]
    fn fingerprints_are_the_streamed_digest() {
        let streamed = |m: &LabelMap| {
            let mut h = xxhash_rust::xxh3::Xxh3::new();
            for (n, v) in m.iter() {
                h.update(n.as_bytes());
                h.update(&[0xff]);
                h.update(v.as_bytes());
                h.update(&[0xff]);
            }
            h.digest128()
        };
        let long = "v".repeat(600);
        for pairs in [
            vec![],
            vec![("a", "1")],
            vec![("job", "x"), ("level", "info")],
            vec![("a", long.as_str())],
            vec![("a", &long[..250]), ("b", &long[..250])],
        ] {
            let mut m: LabelMap = pairs.iter().copied().collect();
            assert_eq!(labels_fingerprint(&m), streamed(&m), "{pairs:?}");
            m.insert("zz", "changed");
            assert_eq!(labels_fingerprint(&m), streamed(&m), "{pairs:?} changed");
        }
    }

    // A batch gives what the same entries give one at a time: stages in place run entry by entry
    // around a stage that is not (match), with duplicate timestamps to fudge, malformed lines and drops.
    #[test]
    fn a_batch_is_its_entries_one_by_one() {
        let cfg = r#"
            stage.json { expressions = { ts = "time", level = "", msg = "" } }
            stage.labels { values = { level = "" } }
            stage.match {
                selector = "{level=\"warn\"}"
                stage.static_labels { values = { warned = "yes" } }
            }
            stage.timestamp {
                source = "ts"
                format = "RFC3339Nano"
            }
            stage.drop {
                source = "level"
                value  = "debug"
            }
            stage.output { source = "msg" }
        "#;
        let lines: Vec<String> = (0..300)
            .map(|i| match i % 7 {
                6 => "not json".to_string(),
                _ => format!(
                    r#"{{"time":"2024-05-01T00:00:{:02}.5Z","level":"{}","msg":"m{i}"}}"#,
                    i / 20,
                    ["info", "warn", "debug"][i % 3]
                ),
            })
            .collect();
        let (mut one, _) = pipeline(cfg);
        let mut single = Vec::new();
        for l in &lines {
            one.run(entry(&[("job", "j")], l), &mut single);
        }
        let (mut many, _) = pipeline(cfg);
        let mut batched = Vec::new();
        let mut batch: Vec<PEntry> = lines.iter().map(|l| entry(&[("job", "j")], l)).collect();
        many.run_batch(&mut batch, &mut batched);
        let view = |v: &[PEntry]| {
            v.iter()
                .map(|e| {
                    (
                        e.labels.to_labels(),
                        e.timestamp_ns,
                        e.line.clone(),
                        e.extracted.clone(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let kept = lines.iter().filter(|l| !l.contains(r#""debug""#)).count();
        assert_eq!(single.len(), kept);
        assert_eq!(view(&single), view(&batched));
        assert!(single.iter().any(|e| e.labels.get("warned") == Some("yes")));
    }
}
