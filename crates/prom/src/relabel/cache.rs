//! The result cache of a relabel stage (`prometheus.relabel`): incoming label set to outgoing set
//! (or "dropped"), so the rules run once per series, not once per sample.
//!
//! A scrape forwards its series in the same order every time, and as the same `Labels` values (the
//! scrape cache hands out clones of one set per series). So every entry remembers which entry came
//! after it in the last batch, and an incoming set is first compared by pointer with that predicted
//! entry's input: a steady-state sample costs a pointer comparison, no hashing of label bytes and no
//! map probe. Anything else (a new series, another order, an equal set built elsewhere) goes
//! through the map keyed by content, which gives the same answer.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::labels::{BytesHashBuilder, Labels};

const NONE: u32 = u32::MAX;

/// How a [`RelabelCache`] stays bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CacheLimit {
    /// At most this many entries; when full, the least recently used half goes in one sweep
    /// (amortised O(1) per insert; which entries go only affects speed, never results).
    Size(usize),
    /// Entries expire this long after their last use.
    Ttl(Duration),
}

struct Slot {
    input: Labels,
    /// `None`: the set was dropped.
    out: Option<Labels>,
    last_used: Instant,
    /// The slot whose input followed this one in the last batch.
    next: u32,
    /// False for a free slot.
    used: bool,
}

/// See the module documentation.
pub struct RelabelCache {
    slots: Vec<Slot>,
    free: Vec<u32>,
    index: HashMap<Labels, u32, BytesHashBuilder>,
    /// The slot of the first sample of the last batch.
    first: u32,
    /// The slot of the previous sample in the current batch (`NONE` at a batch's start).
    prev: u32,
    limit: CacheLimit,
    last_sweep: Instant,
    hits: u64,
    misses: u64,
    /// Entries the periodic expiry removed (`CacheLimit::Ttl`).
    expired: u64,
}

impl RelabelCache {
    pub fn new(limit: CacheLimit) -> RelabelCache {
        RelabelCache {
            slots: Vec::new(),
            free: Vec::new(),
            index: HashMap::with_hasher(BytesHashBuilder),
            first: NONE,
            prev: NONE,
            limit,
            last_sweep: Instant::now(),
            hits: 0,
            misses: 0,
            expired: 0,
        }
    }

    /// Number of cached series.
    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// Lookups answered from the cache, and those that ran the rules, since creation.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }

    /// Entries removed because they went unused for the TTL, since creation (always 0 with a size
    /// limit).
    pub fn expired(&self) -> u64 {
        self.expired
    }

    /// Call before the samples of each batch, so predictions follow batch order.
    pub fn start_batch(&mut self) {
        self.prev = NONE;
    }

    /// The outgoing set for `labels` (`None`: dropped), computed with `rules` on a miss.
    pub fn get_or_compute(
        &mut self,
        labels: &Labels,
        now: Instant,
        rules: impl FnOnce(&Labels) -> Option<Labels>,
    ) -> Option<Labels> {
        let predicted = match self.slots.get(self.prev as usize) {
            Some(p) => p.next,
            None => self.first,
        };
        let idx = match self.slots.get(predicted as usize) {
            Some(s) if s.used && s.input.same_set(labels) => predicted,
            _ => match self.index.get(labels) {
                Some(&idx) => idx,
                None => {
                    self.misses += 1;
                    let out = rules(labels);
                    self.insert(labels, out.clone(), now);
                    return out;
                }
            },
        };
        self.hits += 1;
        self.link(idx);
        let slot = &mut self.slots[idx as usize];
        slot.last_used = now;
        let out = slot.out.clone();
        self.prefetch_ahead(idx);
        out
    }

    /// Starts loading the answer that will be cloned a few samples from now, if they keep to the
    /// last batch's order (slots sit mostly in that order, so following the chain is cheap).
    #[inline]
    fn prefetch_ahead(&self, idx: u32) {
        const AHEAD: usize = 4;
        let mut ahead = idx;
        for _ in 0..AHEAD {
            match self.slots.get(ahead as usize) {
                Some(s) => ahead = s.next,
                None => return,
            }
        }
        if let Some(Some(l)) = self.slots.get(ahead as usize).map(|s| &s.out) {
            l.prefetch();
        }
    }

    /// Forgets `labels` (its series ended).
    pub fn remove(&mut self, labels: &Labels) -> bool {
        let Some(idx) = self.index.remove(labels) else {
            return false;
        };
        let slot = &mut self.slots[idx as usize];
        slot.used = false;
        slot.input = Labels::empty();
        slot.out = None;
        self.free.push(idx);
        true
    }

    /// Records that `idx` followed the previous sample, for the next batch's prediction.
    #[inline]
    fn link(&mut self, idx: u32) {
        let next = match self.slots.get_mut(self.prev as usize) {
            Some(p) => &mut p.next,
            None => &mut self.first,
        };
        if *next != idx {
            *next = idx;
        }
        self.prev = idx;
    }

    fn insert(&mut self, labels: &Labels, out: Option<Labels>, now: Instant) {
        self.make_room(now);
        let slot = Slot {
            input: labels.clone(),
            out,
            last_used: now,
            next: NONE,
            used: true,
        };
        let idx = crate::slots::insert(&mut self.slots, &mut self.free, slot);
        self.index.insert(labels.clone(), idx);
        self.link(idx);
    }

    fn make_room(&mut self, now: Instant) {
        match self.limit {
            CacheLimit::Ttl(ttl) => {
                if now.duration_since(self.last_sweep) >= ttl / 4 {
                    let before = self.index.len();
                    self.retain(|s| now.duration_since(s.last_used) < ttl);
                    self.expired += (before - self.index.len()) as u64;
                    self.last_sweep = now;
                }
            }
            CacheLimit::Size(max) => {
                if self.index.len() >= max.max(1) {
                    let mut ages: Vec<Instant> = self
                        .slots
                        .iter()
                        .filter(|s| s.used)
                        .map(|s| s.last_used)
                        .collect();
                    let mid = ages.len() / 2;
                    let (_, cutoff, _) = ages.select_nth_unstable(mid);
                    let cutoff = *cutoff;
                    self.retain(|s| s.last_used > cutoff);
                }
            }
        }
    }

    /// Keeps the entries `keep` accepts and rebuilds the slots compactly; predictions start afresh.
    fn retain(&mut self, keep: impl Fn(&Slot) -> bool) {
        self.slots.retain(|s| s.used && keep(s));
        self.free.clear();
        self.index.clear();
        for (idx, s) in self.slots.iter_mut().enumerate() {
            s.next = NONE;
            self.index.insert(s.input.clone(), idx as u32);
        }
        self.first = NONE;
        self.prev = NONE;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(v: &str) -> Labels {
        Labels::from_pairs(&[("__name__", "m"), ("k", v)])
    }

    /// The rules of these tests: drop `k="drop"`, otherwise add `x="1"`; counts its runs.
    fn run(cache: &mut RelabelCache, runs: &mut usize, l: &Labels, now: Instant) -> Option<Labels> {
        cache.get_or_compute(l, now, |l| {
            *runs += 1;
            if l.get("k") == Some("drop") {
                return None;
            }
            let mut b = l.to_builder();
            b.set("x", "1");
            Some(b.labels())
        })
    }

    #[test]
    fn answers_equal_sets_alike_however_they_arrive() {
        let now = Instant::now();
        let mut c = RelabelCache::new(CacheLimit::Size(100));
        let mut runs = 0;
        let batch: Vec<Labels> = ["a", "b", "drop", "c"].into_iter().map(set).collect();
        let mut first = Vec::new();
        c.start_batch();
        for l in &batch {
            first.push(run(&mut c, &mut runs, l, now));
        }
        assert_eq!(runs, 4);
        assert_eq!(first[2], None);
        assert_eq!(first[0].as_ref().unwrap().get("x"), Some("1"));
        // Same order, same sets: predicted hits.
        c.start_batch();
        for (l, want) in batch.iter().zip(&first) {
            assert_eq!(&run(&mut c, &mut runs, l, now), want);
        }
        // Another order, and equal sets built anew: map hits, same answers.
        c.start_batch();
        for i in [3, 1, 0, 2] {
            let fresh = set(["a", "b", "drop", "c"][i]);
            assert!(!fresh.same_set(&batch[i]));
            assert_eq!(run(&mut c, &mut runs, &fresh, now), first[i]);
        }
        assert_eq!(runs, 4, "the rules ran once per series");
        assert_eq!(c.hits_and_misses(), (8, 4));
    }

    #[test]
    fn removed_series_are_computed_again() {
        let now = Instant::now();
        let mut c = RelabelCache::new(CacheLimit::Size(100));
        let mut runs = 0;
        let (a, b) = (set("a"), set("b"));
        c.start_batch();
        run(&mut c, &mut runs, &a, now);
        run(&mut c, &mut runs, &b, now);
        assert!(c.remove(&a));
        assert!(!c.remove(&a));
        assert_eq!(c.len(), 1);
        // The prediction still points at a's old slot; it must not answer for a.
        c.start_batch();
        assert!(run(&mut c, &mut runs, &a, now).is_some());
        assert_eq!(runs, 3);
        // a took the freed slot again; b is still a hit.
        run(&mut c, &mut runs, &b, now);
        assert_eq!((runs, c.len()), (3, 2));
    }

    #[test]
    fn size_limit_drops_the_older_half() {
        let t0 = Instant::now();
        let mut c = RelabelCache::new(CacheLimit::Size(4));
        let mut runs = 0;
        let sets: Vec<Labels> = (0..6).map(|i| set(&i.to_string())).collect();
        c.start_batch();
        for (i, l) in sets.iter().enumerate() {
            run(&mut c, &mut runs, l, t0 + Duration::from_secs(i as u64));
        }
        assert!(c.len() <= 4, "{}", c.len());
        // The newest ones survived; the oldest did not.
        let before = runs;
        run(&mut c, &mut runs, &sets[5], t0 + Duration::from_secs(10));
        assert_eq!(runs, before);
        run(&mut c, &mut runs, &sets[0], t0 + Duration::from_secs(11));
        assert_eq!(runs, before + 1);
    }

    #[test]
    fn ttl_expires_unused_entries() {
        let t0 = Instant::now();
        let ttl = Duration::from_secs(60);
        let mut c = RelabelCache::new(CacheLimit::Ttl(ttl));
        let mut runs = 0;
        let (a, b) = (set("a"), set("b"));
        run(&mut c, &mut runs, &a, t0);
        run(&mut c, &mut runs, &b, t0 + Duration::from_secs(50));
        // A later insert sweeps: a is older than the TTL, b is not.
        run(&mut c, &mut runs, &set("c"), t0 + Duration::from_secs(100));
        assert_eq!(c.len(), 2);
        assert_eq!(c.expired(), 1);
        let before = runs;
        run(&mut c, &mut runs, &b, t0 + Duration::from_secs(101));
        assert_eq!(runs, before);
        run(&mut c, &mut runs, &a, t0 + Duration::from_secs(102));
        assert_eq!(runs, before + 1);
    }
}
