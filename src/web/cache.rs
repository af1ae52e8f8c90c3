//! The server's report cache: computed reports kept by key, bounded in bytes. Every key carries
//! the store generation it was computed at, so an ingest makes older entries unreachable (they
//! are never read again, so they are the first the least-recently-used order evicts). What is
//! evicted is recomputed on the next request.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;

/// The default bound: 256 MiB of reports (a team of 52 sprints takes about 1 MiB per day
/// asked for, so every team of a 200-team store for today). A team's report evicted from it is
/// read back from the store's kept reports (milliseconds), not computed again.
pub const DEFAULT_CACHE_BYTES: usize = 256 << 20;

struct Entry<V> {
    value: Arc<V>,
    bytes: usize,
    used: u64,
}

/// A map bounded by the summed (estimated) size of its values.
pub struct Lru<K, V> {
    map: HashMap<K, Entry<V>>,
    bytes: usize,
    cap: usize,
    tick: u64,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    pub fn new(cap: usize) -> Self {
        Lru {
            map: HashMap::new(),
            bytes: 0,
            cap,
            tick: 0,
        }
    }

    pub fn get(&mut self, key: &K) -> Option<Arc<V>> {
        self.tick += 1;
        let tick = self.tick;
        self.map.get_mut(key).map(|e| {
            e.used = tick;
            e.value.clone()
        })
    }

    /// Keeps `value` (of about `bytes`); the least recently used make room. A value larger
    /// than the whole bound is not kept.
    pub fn insert(&mut self, key: K, value: Arc<V>, bytes: usize) {
        if bytes > self.cap {
            return;
        }
        if let Some(old) = self.map.remove(&key) {
            self.bytes -= old.bytes;
        }
        while self.bytes + bytes > self.cap {
            let Some(oldest) = self
                .map
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            if let Some(e) = self.map.remove(&oldest) {
                self.bytes -= e.bytes;
            }
        }
        self.tick += 1;
        self.bytes += bytes;
        self.map.insert(
            key,
            Entry {
                value,
                bytes,
                used: self.tick,
            },
        );
    }

    /// The value whose key ranks highest by `rank` (keys it ranks `None` are not looked at).
    pub fn best<R: Ord>(&mut self, rank: impl Fn(&K) -> Option<R>) -> Option<Arc<V>> {
        self.tick += 1;
        let tick = self.tick;
        let e = self
            .map
            .iter_mut()
            .filter_map(|(k, e)| rank(k).map(|r| (r, e)))
            .max_by(|a, b| a.0.cmp(&b.0))
            .map(|(_, e)| e)?;
        e.used = tick;
        Some(e.value.clone())
    }

    /// Drops every entry whose key `stale` says will never be read again.
    pub fn forget(&mut self, stale: impl Fn(&K) -> bool) {
        let bytes = &mut self.bytes;
        self.map.retain(|k, e| {
            let keep = !stale(k);
            if !keep {
                *bytes -= e.bytes;
            }
            keep
        });
    }

    /// Bytes held (estimated) and entries.
    pub fn usage(&self) -> (usize, usize) {
        (self.bytes, self.map.len())
    }
}

/// An estimate of a report's size in memory: the length of its JSON (numbers and text take
/// about as much room either way), plus `extra`.
pub fn json_size<T: serde::Serialize>(value: &T, extra: usize) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, value);
    c.0 + extra
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_holds_and_the_least_recently_used_goes_first() {
        let mut c: Lru<&str, u32> = Lru::new(100);
        c.insert("a", Arc::new(1), 40);
        c.insert("b", Arc::new(2), 40);
        assert_eq!(c.get(&"a").as_deref(), Some(&1));
        // 120 > 100: b (used before a's last read) goes.
        c.insert("c", Arc::new(3), 40);
        assert_eq!(c.usage(), (80, 2));
        assert!(c.get(&"b").is_none());
        assert_eq!(c.get(&"a").as_deref(), Some(&1));
        // Too big for the whole bound: not kept, nothing evicted.
        c.insert("d", Arc::new(4), 101);
        assert_eq!(c.usage(), (80, 2));
        // The same key again replaces its size.
        c.insert("a", Arc::new(6), 30);
        assert_eq!(c.usage(), (70, 2));
        assert_eq!(c.get(&"a").as_deref(), Some(&6));
        // c was read last before a's replacement: a 40 needs room, c goes.
        c.insert("e", Arc::new(5), 40);
        assert_eq!(c.usage(), (70, 2));
        assert!(c.get(&"c").is_none());
        // The best by rank: e ranks 2, a 1; a rank no key has finds nothing.
        assert_eq!(
            c.best(|k| Some(k.len() + usize::from(*k == "e")))
                .as_deref(),
            Some(&5)
        );
        assert_eq!(c.best(|k| (*k == "zz").then_some(1)), None);
        // Forgotten entries give their bytes back.
        c.forget(|k| *k == "a");
        assert_eq!(c.usage(), (40, 1));
        assert_eq!(c.get(&"e").as_deref(), Some(&5));
    }

    #[test]
    fn sizes_are_the_json_length() {
        assert_eq!(json_size(&vec![1, 22, 333], 0), "[1,22,333]".len());
        assert_eq!(json_size(&"ab", 5), 4 + 5);
    }
}
