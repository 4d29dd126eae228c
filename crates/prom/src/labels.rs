//! An immutable, sorted label set built for the scrape and write hot paths.
//!
//! A [`Labels`] is one reference-counted byte buffer laid out exactly as
//! Prometheus hashes a label set: `name 0xFF value 0xFF name 0xFF value 0xFF …`,
//! sorted by name. `0xFF` never occurs in UTF-8, so the buffer is
//! self-delimiting, [`Labels::hash`] is a single xxhash64 over it with no
//! copying, and the value equals Prometheus' `labels.Labels.Hash()` for the same
//! set (target offsets and series lookup stay compatible). Cloning is a
//! reference-count bump.

use std::cmp::Ordering;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// The label holding the metric name.
pub const METRIC_NAME: &str = "__name__";

/// Separator between names and values; invalid in UTF-8, so it cannot collide
/// with label content.
const SEP: u8 = 0xFF;

/// A sorted set of label pairs with unique names.
#[derive(Clone)]
pub struct Labels {
    buf: Arc<[u8]>,
}

fn empty_buf() -> Arc<[u8]> {
    static EMPTY: OnceLock<Arc<[u8]>> = OnceLock::new();
    EMPTY.get_or_init(|| Arc::from(&[][..])).clone()
}

impl Default for Labels {
    fn default() -> Self {
        Labels { buf: empty_buf() }
    }
}

impl Labels {
    /// The empty label set; does not allocate.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds a set from pairs in any order. A repeated name keeps the last
    /// value, like Prometheus' `labels.Builder`; empty values are kept.
    pub fn from_pairs<N: AsRef<str>, V: AsRef<str>>(pairs: &[(N, V)]) -> Self {
        let mut b = LabelsBuilder::new();
        for (n, v) in pairs {
            let (n, v) = (n.as_ref(), v.as_ref());
            if let Some(i) = b.position(n) {
                b.entries.remove(i);
            }
            b.push_entry_copy(n, v);
        }
        b.labels()
    }

    /// Number of pairs.
    pub fn len(&self) -> usize {
        // Every pair contributes exactly two separators.
        memchr::memchr_iter(SEP, &self.buf).count() / 2
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Pairs in name order.
    pub fn iter(&self) -> LabelsIter<'_> {
        LabelsIter { rest: &self.buf }
    }

    /// Value of `name`, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        for (n, v) in self.iter() {
            match n.cmp(name) {
                Ordering::Less => continue,
                Ordering::Equal => return Some(v),
                // Sorted: once past the name it cannot appear.
                Ordering::Greater => return None,
            }
        }
        None
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// The metric name (`__name__`), or "" when absent.
    pub fn metric_name(&self) -> &str {
        self.get(METRIC_NAME).unwrap_or("")
    }

    /// Prometheus-compatible 64-bit hash: xxhash64 (seed 0) over
    /// `name 0xFF value 0xFF` for each pair in order.
    pub fn hash(&self) -> u64 {
        xxhash_rust::xxh64::xxh64(&self.buf, 0)
    }

    /// Hash over only the named labels (which must be given sorted), as
    /// Prometheus' `HashForLabels`.
    pub fn hash_for_labels(&self, names: &[&str]) -> u64 {
        let mut h = xxhash_rust::xxh64::Xxh64::new(0);
        for (n, v) in self.iter() {
            if names.contains(&n) {
                h.update(n.as_bytes());
                h.update(&[SEP]);
                h.update(v.as_bytes());
                h.update(&[SEP]);
            }
        }
        h.digest()
    }

    /// Whether both are clones of one set (share one buffer): a pointer comparison, for caches
    /// that see the same `Labels` again and again. Equal sets built separately are not the same.
    #[inline]
    pub fn same_set(&self, other: &Labels) -> bool {
        Arc::ptr_eq(&self.buf, &other.buf)
    }

    /// Asks the CPU to bring this set's reference count into cache. Loops that clone or drop many
    /// sets scattered over the heap call it a few items ahead: the atomic count update is a full
    /// barrier on x86, so a cache miss there cannot overlap with other work.
    #[inline]
    pub fn prefetch(&self) {
        #[cfg(target_arch = "x86_64")]
        {
            // The counts sit just before the bytes; a prefetch never faults, so the address needs
            // no bounds.
            let counts = Arc::as_ptr(&self.buf).cast::<i8>().wrapping_sub(16);
            // SAFETY: SSE is part of x86_64's baseline; prefetching is only a hint.
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(counts)
            };
        }
    }

    /// The encoded buffer (`name 0xFF value 0xFF …`), useful as a map key or
    /// for hashing with another function.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// A builder pre-filled with this set, for get/set/del edits.
    pub fn to_builder(&self) -> LabelsBuilder {
        let mut b = LabelsBuilder::new();
        for (n, v) in self.iter() {
            b.push_unchecked(n, v);
        }
        b
    }
}

/// Iterator over `(name, value)` pairs.
pub struct LabelsIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for LabelsIter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let n_end = memchr::memchr(SEP, self.rest)?;
        let after = &self.rest[n_end + 1..];
        let v_end = memchr::memchr(SEP, after)?;
        let name = &self.rest[..n_end];
        let value = &after[..v_end];
        self.rest = &after[v_end + 1..];
        // SAFETY: the buffer is only ever assembled (in `LabelsBuilder::labels`)
        // from `&str` pieces joined by 0xFF. 0xFF cannot occur inside UTF-8, so
        // the pieces between separators are exactly those original strings.
        unsafe {
            Some((
                std::str::from_utf8_unchecked(name),
                std::str::from_utf8_unchecked(value),
            ))
        }
    }
}

impl<'a> IntoIterator for &'a Labels {
    type Item = (&'a str, &'a str);
    type IntoIter = LabelsIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for Labels {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.buf, &other.buf) || self.buf == other.buf
    }
}
impl Eq for Labels {}

impl std::hash::Hash for Labels {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write(&self.buf);
    }
}

impl PartialOrd for Labels {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Prometheus' `labels.Compare` order: pairwise by name, then value; a prefix
/// sorts first.
impl Ord for Labels {
    fn cmp(&self, other: &Self) -> Ordering {
        let mut a = self.iter();
        let mut b = other.iter();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (None, Some(_)) => return Ordering::Less,
                (Some(_), None) => return Ordering::Greater,
                (Some(x), Some(y)) => match x.0.cmp(y.0).then_with(|| x.1.cmp(y.1)) {
                    Ordering::Equal => continue,
                    o => return o,
                },
            }
        }
    }
}

/// Same text as Prometheus' `Labels.String()`: `{a="1", b="2"}` with Go-quoted values.
impl fmt::Display for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("{")?;
        for (i, (n, v)) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}={}", n, crate::text_parse::go_quote(v.as_bytes()))?;
        }
        f.write_str("}")
    }
}

impl fmt::Debug for Labels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Reusable scratch space for building [`Labels`]: strings land in one arena,
/// so clearing and refilling it per sample allocates nothing once warm.
#[derive(Default, Clone)]
pub struct LabelsBuilder {
    arena: String,
    /// (name_start, name_end, value_end) into `arena`; the value starts at name_end.
    entries: Vec<(u32, u32, u32)>,
    sorted: bool,
}

impl LabelsBuilder {
    pub fn new() -> Self {
        LabelsBuilder {
            arena: String::new(),
            entries: Vec::new(),
            sorted: true,
        }
    }

    /// Empties the builder, keeping its capacity.
    pub fn clear(&mut self) {
        self.arena.clear();
        self.entries.clear();
        self.sorted = true;
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn name_at(&self, i: usize) -> &str {
        let (a, b, _) = self.entries[i];
        &self.arena[a as usize..b as usize]
    }

    fn value_at(&self, i: usize) -> &str {
        let (_, b, c) = self.entries[i];
        &self.arena[b as usize..c as usize]
    }

    fn position(&self, name: &str) -> Option<usize> {
        (0..self.entries.len()).find(|&i| self.name_at(i) == name)
    }

    /// Appends a pair without checking for an existing name; the fast path for
    /// parsers, which check uniqueness themselves. Call [`Self::labels`] to sort.
    pub fn push_unchecked(&mut self, name: &str, value: &str) {
        let a = self.arena.len() as u32;
        self.arena.push_str(name);
        let b = self.arena.len() as u32;
        self.arena.push_str(value);
        let c = self.arena.len() as u32;
        if let Some(&(pa, pb, _)) = self.entries.last() {
            if self.sorted && &self.arena[pa as usize..pb as usize] >= name {
                self.sorted = false;
            }
        }
        self.entries.push((a, b, c));
    }

    /// Appends a pair whose name and value are written straight into the
    /// arena by the closures (e.g. while unescaping), avoiding a temporary.
    pub fn push_with(&mut self, name: impl FnOnce(&mut String), value: impl FnOnce(&mut String)) {
        let a = self.arena.len();
        name(&mut self.arena);
        let b = self.arena.len();
        value(&mut self.arena);
        let c = self.arena.len();
        if let Some(&(pa, pb, _)) = self.entries.last() {
            if self.sorted && self.arena[pa as usize..pb as usize] >= self.arena[a..b] {
                self.sorted = false;
            }
        }
        self.entries.push((a as u32, b as u32, c as u32));
    }

    /// Value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.position(name).map(|i| self.value_at(i))
    }

    /// Sets `name` to `value`, replacing an existing value. As in Prometheus'
    /// `labels.Builder`, an empty value deletes the label.
    pub fn set(&mut self, name: &str, value: &str) {
        if value.is_empty() {
            self.del(name);
            return;
        }
        if let Some(i) = self.position(name) {
            if self.value_at(i) == value {
                return;
            }
            // The arena is append-only; the old bytes stay as garbage until clear().
            self.entries.remove(i);
            self.push_entry_copy(name, value);
            return;
        }
        self.push_unchecked(name, value);
    }

    fn push_entry_copy(&mut self, name: &str, value: &str) {
        self.sorted = false;
        let a = self.arena.len() as u32;
        self.arena.push_str(name);
        let b = self.arena.len() as u32;
        self.arena.push_str(value);
        let c = self.arena.len() as u32;
        self.entries.push((a, b, c));
    }

    /// Current pairs in insertion (or, once sorted, name) order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        (0..self.entries.len()).map(|i| (self.name_at(i), self.value_at(i)))
    }

    /// Keeps only the pairs for which `keep(name, value)` is true.
    pub fn retain(&mut self, mut keep: impl FnMut(&str, &str) -> bool) {
        let arena = &self.arena;
        self.entries.retain(|&(a, b, c)| {
            keep(
                &arena[a as usize..b as usize],
                &arena[b as usize..c as usize],
            )
        });
    }

    /// Removes `name` if present.
    pub fn del(&mut self, name: &str) {
        if let Some(i) = self.position(name) {
            self.entries.remove(i);
        }
    }

    /// First name that occurs more than once, if any (after sorting).
    pub fn duplicate_name(&mut self) -> Option<&str> {
        self.sort();
        (1..self.entries.len())
            .find(|&i| self.name_at(i - 1) == self.name_at(i))
            .map(|i| self.name_at(i))
    }

    fn sort(&mut self) {
        if self.sorted {
            return;
        }
        let arena = &self.arena;
        self.entries.sort_by(|x, y| {
            arena[x.0 as usize..x.1 as usize].cmp(&arena[y.0 as usize..y.1 as usize])
        });
        self.sorted = true;
    }

    /// Sorts by name and freezes the set into one allocation. A duplicate name
    /// pushed with [`Self::push_unchecked`] is kept twice; check
    /// [`Self::duplicate_name`] first where that matters.
    pub fn labels(&mut self) -> Labels {
        self.sort();
        let mut size = 0;
        for &(a, _, c) in &self.entries {
            size += (c - a) as usize + 2;
        }
        if size == 0 {
            return Labels::empty();
        }
        let mut out = Vec::with_capacity(size);
        for &(a, b, c) in &self.entries {
            out.extend_from_slice(&self.arena.as_bytes()[a as usize..b as usize]);
            out.push(SEP);
            out.extend_from_slice(&self.arena.as_bytes()[b as usize..c as usize]);
            out.push(SEP);
        }
        Labels {
            buf: Arc::from(out),
        }
    }
}

/// A `BuildHasher` for maps keyed by byte strings or [`Labels`]: one xxh3 call over the bytes
/// instead of a streaming hasher. `[u8]` hashes as a length then the bytes and [`Labels`] as its
/// buffer; each `write` is hashed whole and folded in, so any key hashes consistently.
#[derive(Clone, Copy, Debug, Default)]
pub struct BytesHashBuilder;

#[doc(hidden)]
#[derive(Default)]
pub struct BytesHasher(u64);

impl std::hash::Hasher for BytesHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let h = xxhash_rust::xxh3::xxh3_64(bytes);
        self.0 = self.0.rotate_left(23) ^ h;
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        // The length prefix of a slice: mixed in cheaply, the bytes follow.
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

impl std::hash::BuildHasher for BytesHashBuilder {
    type Hasher = BytesHasher;
    #[inline]
    fn build_hasher(&self) -> BytesHasher {
        BytesHasher(0)
    }
}

/// A `BuildHasher` for maps keyed by a `u64` that is already a good hash (e.g. [`Labels::hash`]):
/// the key is the hash.
#[derive(Clone, Copy, Debug, Default)]
pub struct PrehashedBuilder;

#[doc(hidden)]
#[derive(Default)]
pub struct PrehashedHasher(u64);

impl std::hash::Hasher for PrehashedHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Only `u64` keys are expected; anything else still hashes correctly.
        self.0 = self.0.rotate_left(23) ^ xxhash_rust::xxh3::xxh3_64(bytes);
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(23) ^ n;
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

impl std::hash::BuildHasher for PrehashedBuilder {
    type Hasher = PrehashedHasher;
    #[inline]
    fn build_hasher(&self) -> PrehashedHasher {
        PrehashedHasher(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_and_get() {
        let l = Labels::from_pairs(&[("job", "x"), ("__name__", "up"), ("Zone", "a")]);
        // Uppercase sorts before "__name__" because 'Z' < '_' in byte order.
        let names: Vec<_> = l.iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["Zone", "__name__", "job"]);
        assert_eq!(l.get("job"), Some("x"));
        assert_eq!(l.get("jobs"), None);
        assert_eq!(l.get("A"), None);
        assert_eq!(l.metric_name(), "up");
        assert_eq!(l.len(), 3);
        assert_eq!(l.to_string(), r#"{Zone="a", __name__="up", job="x"}"#);
    }

    #[test]
    fn hash_matches_prometheus_layout() {
        let l = Labels::from_pairs(&[("a", "1"), ("b", "2")]);
        let expect = xxhash_rust::xxh64::xxh64(b"a\xff1\xffb\xff2\xff", 0);
        assert_eq!(l.hash(), expect);
        assert_eq!(Labels::empty().hash(), xxhash_rust::xxh64::xxh64(b"", 0));
        // Order of insertion must not matter.
        let r = Labels::from_pairs(&[("b", "2"), ("a", "1")]);
        assert_eq!(l.hash(), r.hash());
        assert_eq!(l, r);
        assert_eq!(
            l.hash_for_labels(&["b"]),
            xxhash_rust::xxh64::xxh64(b"b\xff2\xff", 0)
        );
    }

    #[test]
    fn xxhash_known_vector() {
        // Known xxh64 digest of the empty input with seed 0 (used by
        // Prometheus for the empty label set).
        assert_eq!(Labels::empty().hash(), 0xef46db3751d8e999);
    }

    #[test]
    fn builder_set_del() {
        let mut b = Labels::from_pairs(&[("a", "1"), ("b", "2")]).to_builder();
        b.set("a", "9");
        b.set("c", "3");
        b.del("b");
        b.set("c", "");
        assert_eq!(b.get("a"), Some("9"));
        let l = b.labels();
        assert_eq!(l.to_string(), r#"{a="9"}"#);
        b.clear();
        assert!(b.labels().is_empty());
    }

    #[test]
    fn duplicate_detection() {
        let mut b = LabelsBuilder::new();
        b.push_unchecked("b", "1");
        b.push_unchecked("a", "1");
        assert_eq!(b.duplicate_name(), None);
        b.push_unchecked("b", "2");
        assert_eq!(b.duplicate_name(), Some("b"));
    }

    #[test]
    fn ordering_is_prometheus_compare() {
        let a = Labels::from_pairs(&[("a", "1")]);
        let ab = Labels::from_pairs(&[("a", "1"), ("b", "1")]);
        let a2 = Labels::from_pairs(&[("a", "2")]);
        assert!(a < ab);
        assert!(ab < a2);
    }

    #[test]
    fn clone_is_shared() {
        let l = Labels::from_pairs(&[("a", "1")]);
        let c = l.clone();
        assert!(Arc::ptr_eq(&l.buf, &c.buf));
    }
}
