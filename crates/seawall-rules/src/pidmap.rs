//! A map from thread or process ids to values for the state tables, with
//! one operation a std `HashMap` lacks: [`PidMap::prefetch`] starts loading
//! an entry into the cache without waiting for it. A std lookup must read
//! the entry's key to know it found it, and on a table too large for the
//! cache that read is a miss the CPU stalls on; the engine looks up the
//! tables of events several places ahead (see
//! [`crate::state::State::prefetch`]), and those lookups should only start
//! loads, not wait for them.

use std::hash::BuildHasher;

use hashbrown::hash_table::{Entry, HashTable};

use crate::fxhash::FxBuild;

/// Id to value, hashed with the Fx hash.
#[derive(Debug, Clone)]
pub struct PidMap<V> {
    table: HashTable<(i64, V)>,
}

impl<V> Default for PidMap<V> {
    fn default() -> Self {
        PidMap {
            table: HashTable::new(),
        }
    }
}

#[inline]
fn hash(k: i64) -> u64 {
    FxBuild::default().hash_one(k)
}

#[inline]
fn rehash<V>(e: &(i64, V)) -> u64 {
    hash(e.0)
}

impl<V> PidMap<V> {
    pub fn len(&self) -> usize {
        self.table.len()
    }
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
    #[inline]
    pub fn get(&self, k: &i64) -> Option<&V> {
        self.table.find(hash(*k), |e| e.0 == *k).map(|(_, v)| v)
    }
    #[inline]
    pub fn get_mut(&mut self, k: &i64) -> Option<&mut V> {
        self.table.find_mut(hash(*k), |e| e.0 == *k).map(|(_, v)| v)
    }
    pub fn contains_key(&self, k: &i64) -> bool {
        self.get(k).is_some()
    }
    /// Insert or replace; returns the replaced value.
    pub fn insert(&mut self, k: i64, v: V) -> Option<V> {
        match self.table.entry(hash(k), |e| e.0 == k, rehash) {
            Entry::Occupied(mut o) => Some(std::mem::replace(&mut o.get_mut().1, v)),
            Entry::Vacant(slot) => {
                slot.insert((k, v));
                None
            }
        }
    }
    pub fn remove(&mut self, k: &i64) -> Option<V> {
        match self.table.find_entry(hash(*k), |e| e.0 == *k) {
            Ok(o) => Some(o.remove().0 .1),
            Err(_) => None,
        }
    }
    /// The value of `k`, inserted as `V::default()` when absent.
    pub fn get_or_default(&mut self, k: i64) -> &mut V
    where
        V: Default,
    {
        &mut self
            .table
            .entry(hash(k), |e| e.0 == k, rehash)
            .or_insert_with(|| (k, V::default()))
            .into_mut()
            .1
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.table.iter().map(|(_, v)| v)
    }
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.table.iter_mut().map(|(_, v)| v)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&i64, &V)> {
        self.table.iter().map(|(k, v)| (k, v))
    }

    /// Start loading the entry of `k` into the cache, without reading it:
    /// the table's control bytes (small, usually cached) pick the first
    /// slot whose hash tag matches, and its lines are prefetched. A tag
    /// can match another key's slot (1 in 128), which only wastes the
    /// prefetch. A hint: nothing changes.
    #[inline]
    pub fn prefetch(&self, k: i64) {
        self.table.find(hash(k), |e| {
            crate::state::prefetch_value(e);
            true
        });
    }
}

impl<V> std::ops::Index<&i64> for PidMap<V> {
    type Output = V;
    fn index(&self, k: &i64) -> &V {
        match self.get(k) {
            Some(v) => v,
            None => panic!("no entry for id {k}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_map() {
        let mut m: PidMap<String> = PidMap::default();
        assert!(m.is_empty());
        assert_eq!(m.insert(5, "a".into()), None);
        assert_eq!(m.insert(-7, "b".into()), None);
        assert_eq!(m.insert(5, "c".into()).as_deref(), Some("a"));
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&5).map(String::as_str), Some("c"));
        assert_eq!(m[&-7], "b");
        assert!(!m.contains_key(&6));
        m.get_or_default(6).push('x');
        m.get_or_default(6).push('y');
        assert_eq!(m[&6], "xy");
        if let Some(v) = m.get_mut(&-7) {
            v.push('!');
        }
        assert_eq!(m.remove(&-7).as_deref(), Some("b!"));
        assert_eq!(m.remove(&-7), None);
        let mut keys: Vec<i64> = m.iter().map(|(k, _)| *k).collect();
        keys.sort();
        assert_eq!(keys, vec![5, 6]);
        for v in m.values_mut() {
            v.clear();
        }
        assert!(m.values().all(String::is_empty));
        // many entries: growth keeps every key findable, prefetch of
        // present and absent keys changes nothing
        for k in 0..10_000 {
            m.insert(k * 7919, k.to_string());
        }
        for k in 0..10_000 {
            m.prefetch(k * 7919);
            m.prefetch(-k - 1);
            assert_eq!(m[&(k * 7919)], k.to_string());
        }
        assert_eq!(m.len(), 10_002);
    }
}
