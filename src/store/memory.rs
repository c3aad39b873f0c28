//! The in-memory store: the contract of [`super::Store`] without
//! durability. For tests and tools; everything is gone when it drops.

use super::{Change, ChangeSet, Row, Store};
use crate::error::StoreError;
use core::fmt;
use std::collections::BTreeMap;

/// A [`Store`] held in memory. Commits are atomic (applied to a copy-free
/// staging step that cannot fail part-way) and, trivially, never durable.
///
/// Values are wiped when overwritten, deleted or dropped; they are sealed
/// anyway.
#[derive(Default)]
pub struct MemoryStore {
    rows: BTreeMap<Vec<u8>, Vec<u8>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// How many rows are held.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row is held.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// A copy of every row (a "backup" for tests that restore old state).
    pub fn snapshot(&self) -> MemoryStore {
        MemoryStore {
            rows: self.rows.clone(),
        }
    }
}

impl Store for MemoryStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.rows.get(key).cloned())
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Row>, StoreError> {
        Ok(self
            .rows
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect())
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError> {
        self.commit_owned(changes.clone())
    }

    fn commit_owned(&mut self, changes: ChangeSet) -> Result<(), StoreError> {
        // Nothing below can fail, so the set is applied whole. The keys and
        // values are moved in, not copied.
        for change in changes.into_changes() {
            match change {
                Change::Put { key, value } => {
                    if let Some(mut old) = self.rows.insert(key, value) {
                        zeroize::Zeroize::zeroize(&mut old);
                    }
                }
                Change::Delete { key } => {
                    if let Some(mut old) = self.rows.remove(&key) {
                        zeroize::Zeroize::zeroize(&mut old);
                    }
                }
            }
        }
        Ok(())
    }
}

impl Drop for MemoryStore {
    fn drop(&mut self) {
        for v in self.rows.values_mut() {
            zeroize::Zeroize::zeroize(v);
        }
    }
}

impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("rows", &self.rows.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_in_order_and_scans_by_prefix() {
        let mut s = MemoryStore::new();
        let mut c = ChangeSet::new();
        c.put(b"peer/a".to_vec(), vec![1]);
        c.put(b"peer/b".to_vec(), vec![2]);
        c.put(b"pees".to_vec(), vec![3]);
        c.put(b"peer/a".to_vec(), vec![4]);
        c.delete(b"peer/b".to_vec());
        s.commit(&c).unwrap();
        assert_eq!(s.get(b"peer/a").unwrap(), Some(vec![4]));
        assert_eq!(s.get(b"peer/b").unwrap(), None);
        assert_eq!(
            s.scan(b"peer/").unwrap(),
            vec![(b"peer/a".to_vec(), vec![4])]
        );
        assert_eq!(format!("{s:?}"), "MemoryStore { rows: 2 }");
    }

    #[test]
    fn an_overwrite_replaces_the_whole_value_at_any_length() {
        let mut s = MemoryStore::new();
        for v in [vec![7u8; 40], vec![1, 2], vec![], vec![9u8; 100], vec![3]] {
            let mut c = ChangeSet::new();
            c.put(b"peer/a".to_vec(), v.clone());
            s.commit(&c).unwrap();
            assert_eq!(s.get(b"peer/a").unwrap(), Some(v));
            assert_eq!(s.len(), 1);
        }
    }
}
