//! The series the WAL tracks, for Alloy's `prometheus_remote_write_wal_storage_*` metrics. ingot's WAL
//! keeps every sample's labels in its records and needs no series table to replay; this is only the
//! count Alloy's WAL keeps in memory: a series is created by its first sample and removed by a garbage
//! collection that finds no sample of it since the previous one. Collections run every
//! `wal.truncate_frequency` (2 hours by default), as Alloy's WAL collects at each truncation, so a series
//! stays active between one and two periods after its last sample.
//!
//! Each series costs its 64-bit label hash and a generation number (about 20 bytes with the table's
//! overhead).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ingot_prom::sample::Sample;

/// The label hash is already a good hash: the table uses it as is.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

struct Table {
    /// Label hash → the generation of its last sample.
    last_seen: HashMap<u64, u32, BuildHasherDefault<IdentityHasher>>,
    generation: u32,
    collected: Instant,
}

pub struct ActiveSeries {
    table: Mutex<Table>,
    created: AtomicU64,
    removed: AtomicU64,
}

impl Default for ActiveSeries {
    fn default() -> ActiveSeries {
        ActiveSeries {
            table: Mutex::new(Table {
                last_seen: HashMap::default(),
                generation: 0,
                collected: Instant::now(),
            }),
            created: AtomicU64::new(0),
            removed: AtomicU64::new(0),
        }
    }
}

impl ActiveSeries {
    /// Notes the series of samples appended to the WAL.
    pub fn appended(&self, samples: &[Sample]) {
        let mut table = self.lock();
        let generation = table.generation;
        let mut created = 0;
        for s in samples {
            if table
                .last_seen
                .insert(s.labels.hash(), generation)
                .is_none()
            {
                created += 1;
            }
        }
        drop(table);
        if created > 0 {
            self.created.fetch_add(created, Ordering::Relaxed);
        }
    }

    /// Removes the series without a sample since the previous collection, if `every` has passed since
    /// then.
    pub fn collect_garbage(&self, every: Duration) {
        let mut table = self.lock();
        if table.collected.elapsed() < every {
            return;
        }
        let current = table.generation;
        let before = table.last_seen.len();
        table.last_seen.retain(|_, seen| *seen == current);
        let removed = before - table.last_seen.len();
        table.generation = current.wrapping_add(1);
        table.collected = Instant::now();
        drop(table);
        self.removed.fetch_add(removed as u64, Ordering::Relaxed);
    }

    pub fn active(&self) -> usize {
        self.lock().last_seen.len()
    }

    pub fn created(&self) -> u64 {
        self.created.load(Ordering::Relaxed)
    }

    pub fn removed(&self) -> u64 {
        self.removed.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingot_prom::labels::Labels;

    fn sample(name: &str) -> Sample {
        Sample {
            labels: Labels::from_pairs(&[("__name__", name)]),
            timestamp_ms: 0,
            value: 1.0,
            exemplar: None,
        }
    }

    #[test]
    fn a_series_lives_until_a_collection_finds_it_silent() {
        let s = ActiveSeries::default();
        s.appended(&[sample("a"), sample("b"), sample("a")]);
        assert_eq!((s.active(), s.created(), s.removed()), (2, 2, 0));
        // Too early: nothing happens.
        s.collect_garbage(Duration::from_secs(3600));
        assert_eq!(s.active(), 2);
        // Both were seen in the period that ends: both stay.
        s.collect_garbage(Duration::ZERO);
        assert_eq!(s.active(), 2);
        s.appended(&[sample("a")]);
        // b was silent for a whole period.
        s.collect_garbage(Duration::ZERO);
        assert_eq!((s.active(), s.created(), s.removed()), (1, 2, 1));
        s.appended(&[sample("b")]);
        assert_eq!((s.active(), s.created()), (2, 3));
    }
}
