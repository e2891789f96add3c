//! A map from thread or process ids to values for the state tables, made
//! for the engine's hot path: ids the kernel can give (0 to 2^22, its
//! `PID_MAX_LIMIT`) are found through a two-level array indexed by the id
//! itself, not by hashing, and values sit densely in one vector. Next to a
//! lookup it offers [`PidMap::prefetch`], which starts loading an entry
//! into the cache without waiting for it: the engine looks up the tables of
//! events several places ahead (see [`crate::state::State::prefetch`]), and
//! those lookups should only start loads. (A std `HashMap` lookup must read
//! the entry's key to know it found it; on a table larger than the cache
//! that read is a miss the CPU stalls on.)

use crate::fxhash::FxHashMap;

/// Ids below this are indexed directly (Linux's `PID_MAX_LIMIT`).
const DIRECT: i64 = 1 << 22;
/// Ids per page of the index.
const PAGE: usize = 1024;

/// One page of the index: slot in `slab` plus 1 per id, 0 for none.
#[derive(Debug, Clone)]
struct Page {
    slots: [u32; PAGE],
    /// Ids present.
    live: u32,
}

/// Id to value.
#[derive(Debug, Clone)]
pub struct PidMap<V> {
    /// Pages of the index of ids below [`DIRECT`]. A page exists while
    /// some id in it is present (pids are reused over the whole range on a
    /// long-running host: memory stays in proportion to the ids present).
    pages: Vec<Option<Box<Page>>>,
    /// The last page emptied, all zero, for the next page needed (a
    /// short-lived process alone in its page would otherwise allocate and
    /// clear one each time).
    spare: Option<Box<Page>>,
    /// Slot plus 1 of any other id (replayed events can carry any).
    far: FxHashMap<i64, u32>,
    /// The entries, in no particular order.
    slab: Vec<(i64, V)>,
}

impl<V> Default for PidMap<V> {
    fn default() -> Self {
        PidMap {
            pages: Vec::new(),
            spare: None,
            far: FxHashMap::default(),
            slab: Vec::new(),
        }
    }
}

/// Page and position in it of a directly indexed id.
#[inline]
fn direct(k: i64) -> Option<(usize, usize)> {
    if (0..DIRECT).contains(&k) {
        let k = k as usize;
        Some((k / PAGE, k % PAGE))
    } else {
        None
    }
}

impl<V> PidMap<V> {
    pub fn len(&self) -> usize {
        self.slab.len()
    }
    pub fn is_empty(&self) -> bool {
        self.slab.is_empty()
    }

    /// The slot of `k` in `slab`.
    #[inline]
    fn slot(&self, k: i64) -> Option<usize> {
        let tag = match direct(k) {
            Some((p, i)) => *self.pages.get(p)?.as_ref()?.slots.get(i)?,
            None => *self.far.get(&k)?,
        };
        (tag as usize).checked_sub(1)
    }

    /// Record that `k` is at `slot` (`None`: absent).
    fn set_slot(&mut self, k: i64, slot: Option<usize>) {
        let tag = slot.map_or(0, |s| s as u32 + 1);
        match direct(k) {
            Some((p, i)) => {
                if self.pages.len() <= p {
                    if tag == 0 {
                        return;
                    }
                    self.pages.resize_with(p + 1, || None);
                }
                let Some(entry) = self.pages.get_mut(p) else {
                    return;
                };
                if entry.is_none() && tag == 0 {
                    return;
                }
                let page = entry.get_or_insert_with(|| {
                    self.spare.take().unwrap_or_else(|| {
                        Box::new(Page {
                            slots: [0; PAGE],
                            live: 0,
                        })
                    })
                });
                let Some(t) = page.slots.get_mut(i) else {
                    return;
                };
                match (*t != 0, tag != 0) {
                    (false, true) => page.live += 1,
                    (true, false) => page.live -= 1,
                    _ => {}
                }
                *t = tag;
                if page.live == 0 {
                    self.spare = entry.take();
                }
            }
            None if tag == 0 => {
                self.far.remove(&k);
            }
            None => {
                self.far.insert(k, tag);
            }
        }
    }

    #[inline]
    pub fn get(&self, k: &i64) -> Option<&V> {
        self.slab.get(self.slot(*k)?).map(|(_, v)| v)
    }
    #[inline]
    pub fn get_mut(&mut self, k: &i64) -> Option<&mut V> {
        let s = self.slot(*k)?;
        self.slab.get_mut(s).map(|(_, v)| v)
    }
    pub fn contains_key(&self, k: &i64) -> bool {
        self.slot(*k).is_some()
    }
    /// Append an entry for `k` (absent); returns its slot.
    fn push(&mut self, k: i64, v: V) -> usize {
        // slots are u32 + 1 in the index: the state tables cap their
        // entries far below that (`MAX_THREADS`)
        debug_assert!(self.slab.len() < (u32::MAX - 1) as usize);
        self.slab.push((k, v));
        let s = self.slab.len() - 1;
        self.set_slot(k, Some(s));
        s
    }
    /// Insert or replace; returns the replaced value.
    pub fn insert(&mut self, k: i64, v: V) -> Option<V> {
        match self.get_mut(&k) {
            Some(old) => Some(std::mem::replace(old, v)),
            None => {
                self.push(k, v);
                None
            }
        }
    }
    pub fn remove(&mut self, k: &i64) -> Option<V> {
        let s = self.slot(*k)?;
        self.set_slot(*k, None);
        if s >= self.slab.len() {
            return None;
        }
        let (_, v) = self.slab.swap_remove(s);
        // the last entry moved into the freed slot
        if let Some(moved) = self.slab.get(s).map(|e| e.0) {
            self.set_slot(moved, Some(s));
        }
        Some(v)
    }
    /// The value of `k`, inserted as `V::default()` when absent.
    pub fn get_or_default(&mut self, k: i64) -> &mut V
    where
        V: Default,
    {
        let s = match self.slot(k) {
            Some(s) => s,
            None => self.push(k, V::default()),
        };
        &mut self.slab[s].1
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.slab.iter().map(|(_, v)| v)
    }
    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        self.slab.iter_mut().map(|(_, v)| v)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&i64, &V)> {
        self.slab.iter().map(|(k, v)| (k, v))
    }

    /// Start loading the entry of `k` into the cache. Only the index is
    /// read (a small array, usually cached); the entry itself is asked
    /// for, not waited on. A hint: nothing changes.
    #[inline]
    pub fn prefetch(&self, k: i64) {
        if let Some(e) = self.slot(k).and_then(|s| self.slab.get(s)) {
            crate::state::prefetch_value(e);
        }
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
        // removals move the last entry into the freed slot: every other
        // key stays findable; ids outside the direct range work the same
        for k in (0..10_000).step_by(3) {
            assert_eq!(m.remove(&(k * 7919)), Some(k.to_string()));
        }
        for k in 0..10_000 {
            let want = (k % 3 != 0).then(|| k.to_string());
            assert_eq!(m.get(&(k * 7919)).cloned(), want);
        }
        for k in [-1, i64::MIN, i64::MAX, 1 << 22, (1 << 22) - 1] {
            assert_eq!(m.insert(k, format!("far{k}")), None);
        }
        assert_eq!(m.remove(&-1).as_deref(), Some("far-1"));
        assert_eq!(m[&i64::MIN], format!("far{}", i64::MIN));
        assert_eq!(m[&((1 << 22) - 1)], format!("far{}", (1 << 22) - 1));
        assert!(!m.contains_key(&-1));
        assert_eq!(m.len(), m.iter().count());
        // a page goes when its last id does
        let mut m: PidMap<u8> = PidMap::default();
        m.insert(5000, 1);
        m.insert(5001, 2);
        assert!(m.pages.get(5000 / PAGE).is_some_and(Option::is_some));
        m.remove(&5000);
        assert!(m.pages.get(5000 / PAGE).is_some_and(Option::is_some));
        m.remove(&5001);
        assert!(m.pages.get(5000 / PAGE).is_some_and(Option::is_none));
        assert!(m.is_empty() && m.get(&5001).is_none());
        m.insert(5001, 3);
        assert_eq!(m[&5001], 3);
    }
}
