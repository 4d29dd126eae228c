//! Metric families and the Prometheus text format 0.0.4 as client_golang writes it.
//!
//! The output must match client_golang byte for byte, so the encoder copies its choices:
//! families sorted by name, label pairs sorted by label name, samples sorted by their label
//! values (plain byte order, as Go compares strings), a sample whose label values repeat an
//! earlier one dropped (client_golang's registry rejects it and `promhttp` serves the rest),
//! families without samples left out, HELP and label values escaped as `expfmt` does, and values
//! printed by [`go_float`].
//!
//! A family's samples share its label names, except in a family made by
//! [`FamilySet::ragged_family`], whose samples bring their own (client_golang accepts such const
//! metrics; node_exporter's `node_power_supply_info` is one): those sort with fewer labels first.
//!
//! A [`FamilySet`] is built to be refilled on every gather: [`FamilySet::clear`] keeps each
//! family's buffers, and label values live in one string per family, so a steady-state gather
//! allocates nothing here.
//!
//! Histograms and summaries are written as `expfmt` writes them: for each label set, a histogram's
//! `_bucket` samples in bound order with `le` after the other labels, ending with `le="+Inf"` (the
//! count, unless a `+Inf` bucket was given), then `_sum` and `_count`; a summary's samples with
//! `quantile` in quantile order, then `_sum` and `_count`. Bounds and quantiles are printed as sample
//! values are. [`Histogram`] counts observations into buckets as client_golang's histogram does.

#[cfg(test)]
mod client_golang_tests;
pub mod go_float;

use std::cmp::Ordering;
use std::collections::HashMap;

pub use crate::MetricType;

/// A static description of a family, like client_golang's `Desc`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Desc {
    pub name: &'static str,
    pub help: &'static str,
    pub kind: MetricType,
    /// Label names in the order the caller passes values to [`MetricFamily::push`].
    pub labels: &'static [&'static str],
}

impl Desc {
    pub const fn new(
        name: &'static str,
        help: &'static str,
        kind: MetricType,
        labels: &'static [&'static str],
    ) -> Desc {
        Desc {
            name,
            help,
            kind,
            labels,
        }
    }
}

/// One sample's value, of any shape.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    /// A counter's, gauge's or untyped metric's value.
    Scalar(f64),
    Histogram(HistogramValue),
    Summary(SummaryValue),
}

impl From<f64> for MetricValue {
    fn from(v: f64) -> MetricValue {
        MetricValue::Scalar(v)
    }
}

impl From<HistogramValue> for MetricValue {
    fn from(h: HistogramValue) -> MetricValue {
        MetricValue::Histogram(h)
    }
}

impl From<SummaryValue> for MetricValue {
    fn from(s: SummaryValue) -> MetricValue {
        MetricValue::Summary(s)
    }
}

/// A histogram sample, as client_golang's `dto.Histogram` holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HistogramValue {
    /// `(upper bound, cumulative count)`, in bound order. Without a `+Inf` bucket the writer adds
    /// one holding `count`.
    pub buckets: Vec<(f64, u64)>,
    pub sum: f64,
    pub count: u64,
}

/// A summary sample, as client_golang's `dto.Summary` holds it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SummaryValue {
    /// `(quantile, value)`, in quantile order.
    pub quantiles: Vec<(f64, f64)>,
    pub sum: f64,
    pub count: u64,
}

/// Observations counted into fixed buckets, as client_golang's classic histogram counts them: an
/// observation falls in the first bucket whose upper bound is not below it (`le`), past the last
/// bound (and a NaN) only in `+Inf`, and is added to the sum.
#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Per bucket, not cumulative; the last entry is `+Inf`'s.
    counts: Vec<u64>,
    sum: f64,
}

impl Histogram {
    /// A histogram with these upper bounds. Like client_golang's `NewHistogram`, a trailing `+Inf`
    /// is dropped (the `+Inf` bucket is always there) and bounds that do not strictly increase panic.
    pub fn new(bounds: &'static [f64]) -> Histogram {
        let bounds = match bounds.split_last() {
            Some((&last, rest)) if last == f64::INFINITY => rest,
            _ => bounds,
        };
        assert!(
            bounds.windows(2).all(|w| w[0] < w[1]),
            "histogram buckets must be in increasing order: {bounds:?}"
        );
        Histogram {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
        }
    }

    /// Upper bounds, without `+Inf`.
    pub fn bounds(&self) -> &'static [f64] {
        self.bounds
    }

    pub fn observe(&mut self, v: f64) {
        // Bounds below `v`; a NaN is below none and lands past every bound, in `+Inf` only.
        let i = self.bounds.partition_point(|&b| {
            !matches!(v.partial_cmp(&b), Some(Ordering::Less | Ordering::Equal))
        });
        self.counts[i] += 1;
        self.sum += v;
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn sum(&self) -> f64 {
        self.sum
    }

    /// `(upper bound, cumulative count)` for each bound, without `+Inf` (the writer adds it).
    pub fn cumulative(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.bounds
            .iter()
            .zip(self.counts.iter().scan(0u64, |acc, &c| {
                *acc += c;
                Some(*acc)
            }))
            .map(|(&b, c)| (b, c))
    }

    /// The sample as the writer takes it.
    pub fn value(&self) -> HistogramValue {
        HistogramValue {
            buckets: self.cumulative().collect(),
            sum: self.sum,
            count: self.count(),
        }
    }

    /// Adds this histogram to `family` as the sample with these label values, without allocating.
    pub fn push_to(&self, family: &mut MetricFamily, label_values: &[&str]) {
        family.push_histogram(label_values, self.cumulative(), self.sum, self.count());
    }
}

/// One family: its metadata and its samples.
#[derive(Debug, Clone)]
pub struct MetricFamily {
    name: String,
    help: String,
    kind: MetricType,
    /// Sorted label names.
    label_names: Vec<String>,
    /// `order[i]` is the index, among the values the caller passes, of sorted label `i`.
    order: Vec<usize>,
    /// All label values, concatenated.
    arena: String,
    /// End offset in `arena` of each label value, `label_names.len()` entries per sample.
    ends: Vec<u32>,
    /// A sample's value; a histogram's or summary's sum.
    values: Vec<f64>,
    /// Histogram and summary families only, one entry per sample: its count, and the end in `points`
    /// of its buckets or quantiles.
    counts: Vec<f64>,
    point_ends: Vec<u32>,
    /// `(upper bound, cumulative count)` of histogram buckets, `(quantile, value)` of summaries,
    /// each sample's sorted by their first member.
    points: Vec<(f64, f64)>,
    /// Families whose samples each carry their own label names (see
    /// [`FamilySet::ragged_family`]): the names, parallel to `ends`, and each sample's end in `ends`.
    ragged: Option<RaggedLabels>,
}

/// Per-sample label names of a ragged family.
#[derive(Debug, Clone, Default)]
struct RaggedLabels {
    names: String,
    name_ends: Vec<u32>,
    sample_ends: Vec<u32>,
    /// Scratch for sorting one sample's pairs by name.
    order: Vec<usize>,
}

impl MetricFamily {
    pub fn new(name: &str, help: &str, kind: MetricType, labels: &[&str]) -> MetricFamily {
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by(|&a, &b| labels[a].cmp(labels[b]));
        MetricFamily {
            name: name.to_owned(),
            help: help.to_owned(),
            kind,
            label_names: order.iter().map(|&i| labels[i].to_owned()).collect(),
            order,
            arena: String::new(),
            ends: Vec::new(),
            values: Vec::new(),
            counts: Vec::new(),
            point_ends: Vec::new(),
            points: Vec::new(),
            ragged: None,
        }
    }

    /// A family whose samples name their own labels (client_golang accepts const metrics of one
    /// name with different label names, as node_exporter's `node_power_supply_info` has).
    fn new_ragged(name: &str, help: &str, kind: MetricType) -> MetricFamily {
        let mut family = MetricFamily::new(name, help, kind, &[]);
        family.ragged = Some(RaggedLabels::default());
        family
    }

    /// Whether samples are buckets or quantiles plus a sum and a count.
    fn is_compound(&self) -> bool {
        self.kind.is_histogram() || self.kind == MetricType::Summary
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn help(&self) -> &str {
        &self.help
    }

    pub fn kind(&self) -> MetricType {
        self.kind
    }

    /// Label names, sorted.
    pub fn label_names(&self) -> &[String] {
        &self.label_names
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// Adds a sample. `label_values` follow the label order the family was created with; a
    /// missing value counts as empty and extra values are ignored.
    ///
    /// For a counter, gauge or untyped family (and info and stateset); a histogram or summary
    /// family takes [`push_histogram`](Self::push_histogram) or [`push_summary`](Self::push_summary)
    /// (a plain value pushed there is a sum with no observations).
    pub fn push(&mut self, label_values: &[&str], value: f64) {
        debug_assert!(!self.is_compound(), "a plain value for {}", self.name);
        self.push_labels(label_values);
        self.values.push(value);
        if self.is_compound() {
            self.counts.push(0.0);
            self.point_ends.push(self.points.len() as u32);
        }
    }

    /// Adds a histogram sample: `buckets` are `(upper bound, cumulative count)` pairs, in any
    /// order (they are written in bound order); a `+Inf` bucket may be among them, else the
    /// writer adds one holding `count`, as `expfmt` does.
    pub fn push_histogram(
        &mut self,
        label_values: &[&str],
        buckets: impl IntoIterator<Item = (f64, u64)>,
        sum: f64,
        count: u64,
    ) {
        debug_assert!(self.kind.is_histogram(), "a histogram for {}", self.name);
        self.push_compound(
            label_values,
            buckets.into_iter().map(|(b, c)| (b, c as f64)),
            sum,
            count,
        );
    }

    /// Adds a summary sample: `quantiles` are `(quantile, value)` pairs, in any order (they are
    /// written in quantile order, as client_golang sorts them).
    pub fn push_summary(
        &mut self,
        label_values: &[&str],
        quantiles: impl IntoIterator<Item = (f64, f64)>,
        sum: f64,
        count: u64,
    ) {
        debug_assert!(
            self.kind == MetricType::Summary,
            "a summary for {}",
            self.name
        );
        self.push_compound(label_values, quantiles, sum, count);
    }

    /// Adds a sample of any shape.
    pub fn push_value(&mut self, label_values: &[&str], value: &MetricValue) {
        match value {
            MetricValue::Scalar(v) => self.push(label_values, *v),
            MetricValue::Histogram(h) => {
                self.push_histogram(label_values, h.buckets.iter().copied(), h.sum, h.count)
            }
            MetricValue::Summary(q) => {
                self.push_summary(label_values, q.quantiles.iter().copied(), q.sum, q.count)
            }
        }
    }

    fn push_compound(
        &mut self,
        label_values: &[&str],
        points: impl IntoIterator<Item = (f64, f64)>,
        sum: f64,
        count: u64,
    ) {
        self.push_labels(label_values);
        self.values.push(sum);
        if !self.is_compound() {
            return;
        }
        let start = self.points.len();
        self.points.extend(points);
        let mine = &mut self.points[start..];
        if !mine.windows(2).all(|w| w[0].0 <= w[1].0) {
            mine.sort_by(|a, b| a.0.total_cmp(&b.0));
        }
        self.counts.push(count as f64);
        self.point_ends.push(self.points.len() as u32);
    }

    /// Adds a plain sample with its own `(name, value)` label pairs, in any order, to a family made
    /// by [`FamilySet::ragged_family`]. Samples are written with their labels sorted by name, and
    /// sorted as client_golang sorts them: fewer labels first, then by label values.
    pub fn push_labeled(&mut self, pairs: &[(&str, &str)], value: f64) {
        let Some(ragged) = self.ragged.as_mut() else {
            debug_assert!(
                false,
                "push_labeled on {}, which has fixed labels",
                self.name
            );
            return;
        };
        ragged.order.clear();
        ragged.order.extend(0..pairs.len());
        ragged.order.sort_by(|&a, &b| pairs[a].0.cmp(pairs[b].0));
        for &i in &ragged.order {
            let (name, value) = pairs[i];
            ragged.names.push_str(name);
            ragged.name_ends.push(ragged.names.len() as u32);
            self.arena.push_str(value);
            self.ends.push(self.arena.len() as u32);
        }
        ragged.sample_ends.push(self.ends.len() as u32);
        self.values.push(value);
        if self.is_compound() {
            self.counts.push(0.0);
            self.point_ends.push(self.points.len() as u32);
        }
    }

    /// Where sample `i`'s labels start in `ends`, and how many it has.
    fn label_span(&self, i: usize) -> (usize, usize) {
        match &self.ragged {
            None => (i * self.label_names.len(), self.label_names.len()),
            Some(r) => {
                let start = if i == 0 {
                    0
                } else {
                    r.sample_ends[i - 1] as usize
                };
                (start, r.sample_ends[i] as usize - start)
            }
        }
    }

    /// Sample `i`'s name of its label `j` (labels sorted by name).
    fn label_name(&self, i: usize, j: usize) -> &str {
        match &self.ragged {
            None => &self.label_names[j],
            Some(r) => {
                let k = self.label_span(i).0 + j;
                let start = if k == 0 {
                    0
                } else {
                    r.name_ends[k - 1] as usize
                };
                &r.names[start..r.name_ends[k] as usize]
            }
        }
    }

    fn push_labels(&mut self, label_values: &[&str]) {
        debug_assert!(
            self.ragged.is_none(),
            "fixed label values for ragged {}",
            self.name
        );
        debug_assert_eq!(
            label_values.len(),
            self.order.len(),
            "label values for {}",
            self.name
        );
        for &i in &self.order {
            self.arena
                .push_str(label_values.get(i).copied().unwrap_or(""));
            self.ends.push(self.arena.len() as u32);
        }
    }

    /// Sample `i`'s buckets or quantiles (empty for plain samples).
    fn points(&self, i: usize) -> &[(f64, f64)] {
        if !self.is_compound() {
            return &[];
        }
        let start = if i == 0 {
            0
        } else {
            self.point_ends[i - 1] as usize
        };
        &self.points[start..self.point_ends[i] as usize]
    }

    /// Sample `i`'s label value for sorted label `j`.
    fn label_value(&self, i: usize, j: usize) -> &str {
        let k = self.label_span(i).0 + j;
        let start = if k == 0 { 0 } else { self.ends[k - 1] as usize };
        &self.arena[start..self.ends[k] as usize]
    }

    fn cmp_samples(&self, a: usize, b: usize) -> Ordering {
        let (count_a, count_b) = (self.label_span(a).1, self.label_span(b).1);
        if count_a != count_b {
            // client_golang's sorter puts the sample with fewer labels first.
            return count_a.cmp(&count_b);
        }
        for j in 0..count_a {
            let ord = self.label_value(a, j).cmp(self.label_value(b, j));
            if ord.is_ne() {
                return ord;
            }
        }
        Ordering::Equal
    }

    /// The writing order: [`cmp_samples`](Self::cmp_samples), then (in ragged families, where
    /// client_golang leaves their order open) label names, so that equal label sets end up adjacent.
    fn cmp_for_output(&self, a: usize, b: usize) -> Ordering {
        self.cmp_samples(a, b).then_with(|| {
            if self.ragged.is_none() {
                return Ordering::Equal;
            }
            (0..self.label_span(a).1)
                .map(|j| self.label_name(a, j).cmp(self.label_name(b, j)))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }

    /// Samples in insertion order.
    pub fn samples(&self) -> impl Iterator<Item = SampleRef<'_>> + '_ {
        (0..self.values.len()).map(move |i| SampleRef {
            family: self,
            index: i,
        })
    }

    fn clear(&mut self) {
        self.arena.clear();
        self.ends.clear();
        self.values.clear();
        self.counts.clear();
        self.point_ends.clear();
        self.points.clear();
        if let Some(r) = self.ragged.as_mut() {
            r.names.clear();
            r.name_ends.clear();
            r.sample_ends.clear();
        }
    }
}

/// A borrowed view of one sample.
#[derive(Clone, Copy)]
pub struct SampleRef<'a> {
    family: &'a MetricFamily,
    index: usize,
}

impl<'a> SampleRef<'a> {
    /// The value; a histogram's or summary's sum.
    pub fn value(&self) -> f64 {
        self.family.values[self.index]
    }

    /// A histogram's or summary's count.
    pub fn count(&self) -> Option<f64> {
        self.family
            .is_compound()
            .then(|| self.family.counts[self.index])
    }

    /// A histogram's `(upper bound, cumulative count)` buckets or a summary's `(quantile, value)`
    /// pairs, sorted (empty for other types).
    pub fn points(&self) -> &'a [(f64, f64)] {
        self.family.points(self.index)
    }

    /// `(name, value)` pairs, sorted by name.
    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let family = self.family;
        let index = self.index;
        (0..family.label_span(index).1)
            .map(move |j| (family.label_name(index, j), family.label_value(index, j)))
    }

    /// The value of label `name`, if the family has that label.
    pub fn label(&self, name: &str) -> Option<&'a str> {
        self.labels().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl std::fmt::Debug for SampleRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sample")
            .field("labels", &self.labels().collect::<Vec<_>>())
            .field("value", &self.value())
            .finish()
    }
}

/// The families of one gather, kept between gathers to reuse their buffers.
#[derive(Debug, Default)]
pub struct FamilySet {
    families: Vec<MetricFamily>,
    index: HashMap<String, usize>,
    scratch_families: Vec<usize>,
    scratch_samples: Vec<usize>,
}

impl FamilySet {
    pub fn new() -> FamilySet {
        FamilySet::default()
    }

    /// Drops every sample and keeps the families and their buffers for the next gather.
    pub fn clear(&mut self) {
        for f in &mut self.families {
            f.clear();
        }
    }

    /// The family for `desc`, created on first use.
    pub fn family(&mut self, desc: &Desc) -> &mut MetricFamily {
        self.family_with(desc.name, desc.help, desc.kind, desc.labels)
    }

    /// The family named `name`, created on first use with this help, type and label names.
    ///
    /// Later calls with the same name get the existing family; like client_golang, the first
    /// description wins.
    pub fn family_with(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricType,
        labels: &[&str],
    ) -> &mut MetricFamily {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.families.len();
                self.families
                    .push(MetricFamily::new(name, help, kind, labels));
                self.index.insert(name.to_owned(), i);
                i
            }
        };
        &mut self.families[i]
    }

    /// The family named `name` if it has exactly this help, type and label names (in this order),
    /// for families whose description comes from data (a textfile) and may change between gathers
    /// or conflict within one. A family that has no samples in this gather takes the new
    /// description; one that has samples under another description gives `None`, and the caller
    /// drops the sample, as client_golang's registry drops a metric inconsistent with its family.
    pub fn family_exact(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricType,
        labels: &[&str],
    ) -> Option<&mut MetricFamily> {
        let Some(&i) = self.index.get(name) else {
            return Some(self.family_with(name, help, kind, labels));
        };
        let family = &mut self.families[i];
        let same = family.help == help
            && family.kind == kind
            && family.label_names.len() == labels.len()
            && family
                .order
                .iter()
                .zip(&family.label_names)
                .all(|(&j, n)| labels.get(j) == Some(&n.as_str()));
        if same {
            return Some(family);
        }
        if !family.is_empty() {
            return None;
        }
        *family = MetricFamily::new(name, help, kind, labels);
        Some(family)
    }

    /// The family named `name` whose samples each bring their own label names (pushed with
    /// [`MetricFamily::push_labeled`]), created on first use.
    pub fn ragged_family(&mut self, name: &str, help: &str, kind: MetricType) -> &mut MetricFamily {
        let i = match self.index.get(name) {
            Some(&i) => i,
            None => {
                let i = self.families.len();
                self.families
                    .push(MetricFamily::new_ragged(name, help, kind));
                self.index.insert(name.to_owned(), i);
                i
            }
        };
        &mut self.families[i]
    }

    /// Shorthand for one sample.
    pub fn push(&mut self, desc: &Desc, label_values: &[&str], value: f64) {
        self.family(desc).push(label_values, value);
    }

    /// Shorthand for one sample of any shape.
    pub fn push_value(&mut self, desc: &Desc, label_values: &[&str], value: &MetricValue) {
        self.family(desc).push_value(label_values, value);
    }

    pub fn get(&self, name: &str) -> Option<&MetricFamily> {
        self.index.get(name).map(|&i| &self.families[i])
    }

    pub fn get_mut(&mut self, name: &str) -> Option<&mut MetricFamily> {
        self.index.get(name).map(|&i| &mut self.families[i])
    }

    /// Families that have samples, in creation order.
    pub fn iter(&self) -> impl Iterator<Item = &MetricFamily> {
        self.families.iter().filter(|f| !f.is_empty())
    }

    /// Appends the text exposition of every family with samples.
    pub fn encode(&mut self, out: &mut Vec<u8>) {
        self.encode_filtered(out, |_| true);
    }

    /// Appends the text exposition of the families with samples whose name `keep` accepts.
    pub fn encode_filtered(&mut self, out: &mut Vec<u8>, mut keep: impl FnMut(&str) -> bool) {
        let families = &self.families;
        let order = &mut self.scratch_families;
        order.clear();
        order.extend(
            (0..families.len()).filter(|&i| !families[i].is_empty() && keep(&families[i].name)),
        );
        order.sort_unstable_by(|&a, &b| families[a].name.cmp(&families[b].name));
        for &fi in order.iter() {
            encode_family(&families[fi], out, &mut self.scratch_samples);
        }
    }

    /// The whole exposition as a `String`.
    pub fn encode_to_string(&mut self) -> String {
        let mut out = Vec::new();
        self.encode(&mut out);
        // Names, help and label values come from `&str`, and escaping keeps UTF-8 intact.
        String::from_utf8(out).expect("exposition is UTF-8")
    }
}

fn encode_family(family: &MetricFamily, out: &mut Vec<u8>, order: &mut Vec<usize>) {
    out.extend_from_slice(b"# HELP ");
    out.extend_from_slice(family.name.as_bytes());
    out.push(b' ');
    escape_into(out, &family.help, false);
    out.extend_from_slice(b"\n# TYPE ");
    out.extend_from_slice(family.name.as_bytes());
    out.push(b' ');
    out.extend_from_slice(family.kind.text_type().as_bytes());
    out.push(b'\n');

    order.clear();
    order.extend(0..family.values.len());
    // Stable, so of two samples with equal label values the first one pushed is kept.
    order.sort_by(|&a, &b| family.cmp_for_output(a, b));
    let mut previous: Option<usize> = None;
    for &i in order.iter() {
        if let Some(p) = previous {
            if family.cmp_for_output(p, i).is_eq() {
                continue;
            }
        }
        previous = Some(i);
        if family.kind.is_histogram() {
            let mut inf_seen = false;
            for &(bound, cumulative) in family.points(i) {
                write_line(out, family, i, "_bucket", Some(("le", bound)), cumulative);
                inf_seen |= bound == f64::INFINITY;
            }
            let count = family.counts[i];
            if !inf_seen {
                write_line(
                    out,
                    family,
                    i,
                    "_bucket",
                    Some(("le", f64::INFINITY)),
                    count,
                );
            }
            write_line(out, family, i, "_sum", None, family.values[i]);
            write_line(out, family, i, "_count", None, count);
        } else if family.kind == MetricType::Summary {
            for &(quantile, value) in family.points(i) {
                write_line(out, family, i, "", Some(("quantile", quantile)), value);
            }
            write_line(out, family, i, "_sum", None, family.values[i]);
            write_line(out, family, i, "_count", None, family.counts[i]);
        } else {
            write_line(out, family, i, "", None, family.values[i]);
        }
    }
}

/// One line of sample `i`: the family's name with `suffix`, its labels, then `extra` (`le` or
/// `quantile`, after the sorted labels as `expfmt` puts it), and the value.
fn write_line(
    out: &mut Vec<u8>,
    family: &MetricFamily,
    i: usize,
    suffix: &str,
    extra: Option<(&str, f64)>,
    value: f64,
) {
    out.extend_from_slice(family.name.as_bytes());
    out.extend_from_slice(suffix.as_bytes());
    let label_count = family.label_span(i).1;
    if label_count > 0 || extra.is_some() {
        let mut separator = b'{';
        for j in 0..label_count {
            out.push(separator);
            separator = b',';
            out.extend_from_slice(family.label_name(i, j).as_bytes());
            out.extend_from_slice(b"=\"");
            escape_into(out, family.label_value(i, j), true);
            out.push(b'"');
        }
        if let Some((name, v)) = extra {
            out.push(separator);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"=\"");
            go_float::write_sample_value(out, v);
            out.push(b'"');
        }
        out.push(b'}');
    }
    out.push(b' ');
    go_float::write_sample_value(out, value);
    out.push(b'\n');
}

/// expfmt's escaping: `\` and newline always, `"` only inside label values.
fn escape_into(out: &mut Vec<u8>, s: &str, quote: bool) {
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        let replacement: &[u8] = match c {
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'"' if quote => b"\\\"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(replacement);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPU: Desc = Desc::new(
        "node_cpu_seconds_total",
        "Seconds the CPUs spent in each mode.",
        MetricType::Counter,
        &["cpu", "mode"],
    );
    const LOAD: Desc = Desc::new("node_load1", "1m load average.", MetricType::Gauge, &[]);

    #[test]
    fn sorts_families_labels_and_samples() {
        let mut set = FamilySet::new();
        set.push(&LOAD, &[], 0.21);
        let info = set.family_with(
            "node_uname_info",
            "Labeled system information.",
            MetricType::Gauge,
            &["sysname", "machine"],
        );
        info.push(&["Linux", "x86_64"], 1.0);
        set.push(&CPU, &["1", "user"], 478.69);
        set.push(&CPU, &["0", "user"], 444.9);
        set.push(&CPU, &["0", "idle"], 10870.69);
        set.push(&CPU, &["10", "idle"], 1e6);
        expect_test::expect![[r#"
            # HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
            # TYPE node_cpu_seconds_total counter
            node_cpu_seconds_total{cpu="0",mode="idle"} 10870.69
            node_cpu_seconds_total{cpu="0",mode="user"} 444.9
            node_cpu_seconds_total{cpu="1",mode="user"} 478.69
            node_cpu_seconds_total{cpu="10",mode="idle"} 1e+06
            # HELP node_load1 1m load average.
            # TYPE node_load1 gauge
            node_load1 0.21
            # HELP node_uname_info Labeled system information.
            # TYPE node_uname_info gauge
            node_uname_info{machine="x86_64",sysname="Linux"} 1
        "#]]
        .assert_eq(&set.encode_to_string());
    }

    #[test]
    fn escapes_like_expfmt() {
        let mut set = FamilySet::new();
        let f = set.family_with(
            "m",
            "help with \\ and \"quotes\"\nand a newline",
            MetricType::Unknown,
            &["l"],
        );
        f.push(&["a\\b\"c\nd"], f64::NAN);
        f.push(&["plain"], f64::NEG_INFINITY);
        expect_test::expect![[r#"
            # HELP m help with \\ and "quotes"\nand a newline
            # TYPE m untyped
            m{l="a\\b\"c\nd"} NaN
            m{l="plain"} -Inf
        "#]]
        .assert_eq(&set.encode_to_string());
    }

    #[test]
    fn drops_duplicates_and_empty_families_and_reuses_buffers() {
        let mut set = FamilySet::new();
        set.push(&CPU, &["0", "user"], 1.5);
        set.push(&CPU, &["0", "user"], 2.5);
        set.family(&LOAD);
        let text = set.encode_to_string();
        assert!(text.contains("node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} 1.5\n"));
        assert!(!text.contains("2.5"));
        assert!(!text.contains("node_load1"));

        set.clear();
        assert_eq!(set.encode_to_string(), "");
        set.push(&LOAD, &[], 2.0);
        assert_eq!(
            set.encode_to_string(),
            "# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 2\n"
        );
    }

    #[test]
    fn sample_views_give_sorted_labels() {
        let mut set = FamilySet::new();
        set.push(&CPU, &["3", "nice"], 0.5);
        let fam = set.get("node_cpu_seconds_total").unwrap();
        let s = fam.samples().next().unwrap();
        assert_eq!(
            s.labels().collect::<Vec<_>>(),
            vec![("cpu", "3"), ("mode", "nice")]
        );
        assert_eq!(s.label("mode"), Some("nice"));
        assert_eq!(s.value(), 0.5);
    }

    #[test]
    fn exact_families_follow_their_description() {
        let mut set = FamilySet::new();
        set.family_exact("m", "h", MetricType::Gauge, &["b", "a"])
            .unwrap()
            .push(&["2", "1"], 1.0);
        assert!(set
            .family_exact("m", "h", MetricType::Gauge, &["b", "a"])
            .is_some());
        // Label values follow the order the family was made with, so another order is refused
        // while it has samples.
        assert!(set
            .family_exact("m", "h", MetricType::Gauge, &["a", "b"])
            .is_none());
        // Another description while the family has samples: refused.
        assert!(set
            .family_exact("m", "h", MetricType::Gauge, &["a"])
            .is_none());
        assert!(set
            .family_exact("m", "other", MetricType::Gauge, &["b", "a"])
            .is_none());
        assert!(set
            .family_exact("m", "h", MetricType::Counter, &["b", "a"])
            .is_none());
        assert_eq!(
            set.encode_to_string(),
            "# HELP m h\n# TYPE m gauge\nm{a=\"1\",b=\"2\"} 1\n"
        );
        // In the next gather the family takes a new description.
        set.clear();
        set.family_exact("m", "new", MetricType::Counter, &["c"])
            .unwrap()
            .push(&["3"], 2.0);
        assert_eq!(
            set.encode_to_string(),
            "# HELP m new\n# TYPE m counter\nm{c=\"3\"} 2\n"
        );
    }

    #[test]
    fn ragged_families_sort_as_client_golang() {
        let mut set = FamilySet::new();
        let f = set.ragged_family("node_power_supply_info", "info.", MetricType::Gauge);
        f.push_labeled(
            &[
                ("type", "Battery"),
                ("power_supply", "BAT0"),
                ("status", "Full"),
            ],
            1.0,
        );
        f.push_labeled(&[("type", "Mains"), ("power_supply", "AC")], 1.0);
        // Same values under other names: another series, kept.
        f.push_labeled(&[("type", "Mains"), ("supply", "AC")], 2.0);
        // A repeated label set: dropped, as the registry drops it.
        f.push_labeled(&[("power_supply", "AC"), ("type", "Mains")], 3.0);
        expect_test::expect![[r#"
            # HELP node_power_supply_info info.
            # TYPE node_power_supply_info gauge
            node_power_supply_info{power_supply="AC",type="Mains"} 1
            node_power_supply_info{supply="AC",type="Mains"} 2
            node_power_supply_info{power_supply="BAT0",status="Full",type="Battery"} 1
        "#]]
        .assert_eq(&set.encode_to_string());
        let fam = set.get("node_power_supply_info").unwrap();
        let first = fam.samples().nth(1).unwrap();
        assert_eq!(first.label("power_supply"), Some("AC"));
        assert_eq!(first.labels().count(), 2);
        set.clear();
        assert_eq!(set.encode_to_string(), "");
        set.ragged_family("node_power_supply_info", "info.", MetricType::Gauge)
            .push_labeled(&[], 1.0);
        assert!(set
            .encode_to_string()
            .ends_with("\nnode_power_supply_info 1\n"));
    }

    #[test]
    fn filtered_encoding() {
        let mut set = FamilySet::new();
        set.push(&CPU, &["0", "user"], 1.0);
        set.push(&LOAD, &[], 1.0);
        let mut out = Vec::new();
        set.encode_filtered(&mut out, |n| n.starts_with("node_load"));
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\nnode_load1 1\n"
        );
    }
}
