//! A least-recently-used map of bounded size (hashicorp's `golang-lru`, which Alloy's timestamp stage keeps
//! its last timestamps in): `get` and `insert` make a key the most recent; inserting past the capacity
//! evicts the least recent. Recency is a queue of (key, stamp) pairs with stale pairs skipped lazily, so both
//! are O(1) amortised, and the queue is compacted before it outgrows a few times the capacity.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

pub struct Lru<K, V> {
    map: HashMap<K, (V, u64), foldhash::fast::RandomState>,
    order: VecDeque<(K, u64)>,
    stamp: u64,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    pub fn new(capacity: usize) -> Lru<K, V> {
        Lru {
            map: HashMap::default(),
            order: VecDeque::new(),
            stamp: 0,
            capacity: capacity.max(1),
        }
    }

    fn touch(&mut self, key: &K) -> u64 {
        self.stamp += 1;
        self.order.push_back((key.clone(), self.stamp));
        if self.order.len() > 4 * self.capacity + 16 {
            let map = &self.map;
            self.order
                .retain(|(k, s)| map.get(k).is_some_and(|(_, cur)| cur == s));
        }
        self.stamp
    }

    pub fn get(&mut self, key: &K) -> Option<&V> {
        if !self.map.contains_key(key) {
            return None;
        }
        let stamp = self.touch(key);
        let slot = self.map.get_mut(key)?;
        slot.1 = stamp;
        Some(&slot.0)
    }

    /// [`Lru::get`], to change the value in place.
    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        // One lookup: the queue is compacted first when it would be after this touch.
        if self.order.len() + 1 > 4 * self.capacity + 16 {
            let map = &self.map;
            self.order
                .retain(|(k, s)| map.get(k).is_some_and(|(_, cur)| cur == s));
        }
        let slot = self.map.get_mut(key)?;
        self.stamp += 1;
        slot.1 = self.stamp;
        self.order.push_back((key.clone(), self.stamp));
        Some(&mut slot.0)
    }

    pub fn insert(&mut self, key: K, value: V) {
        let stamp = self.touch(&key);
        self.map.insert(key, (value, stamp));
        while self.map.len() > self.capacity {
            let Some((k, s)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&k).is_some_and(|(_, cur)| *cur == s) {
                self.map.remove(&k);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_least_recently_used() {
        let mut l = Lru::new(2);
        l.insert(1, "a");
        l.insert(2, "b");
        assert_eq!(l.get(&1), Some(&"a"));
        l.insert(3, "c");
        assert_eq!(l.get(&2), None);
        assert_eq!(l.get(&1), Some(&"a"));
        assert_eq!(l.get(&3), Some(&"c"));
        for i in 0..1000 {
            l.get(&1);
            l.insert(100 + i, "x");
        }
        assert_eq!(l.len(), 2);
        assert!(l.order.len() <= 4 * 2 + 16 + 1);
        assert_eq!(l.get(&1), Some(&"a"));
    }
}
