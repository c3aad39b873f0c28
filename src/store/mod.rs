//! Where a [`crate::Device`] keeps its state: a small synchronous key-value
//! store with one operation that matters, [`Store::commit`].
//!
//! # The transaction contract
//!
//! Every call on a device gathers all its changes into one [`ChangeSet`] and
//! hands it to [`Store::commit_owned`] (which calls [`Store::commit`] unless
//! the store overrides it) before anything leaves the device (an envelope
//! to the transport, a message to the screen). An implementation must make
//! `commit` (and `commit_owned`, if it overrides it) **atomic and
//! durable**:
//!
//! - either every put and delete of the change set is applied, or none is
//!   (a crash, a full disk or any error in the middle leaves the store
//!   exactly as it was before the call);
//! - once `commit` returns `Ok`, the change survives a crash of the process
//!   and, as far as the platform allows, of the phone;
//! - `Err` means *nothing* was written; the device then reloads its state
//!   from the store, so the call had no effect and can be retried.
//!
//! A store that cannot tell whether a failed commit was applied (a lost
//! connection to a remote database) breaks the contract: do not use one.
//! Reads ([`Store::get`], [`Store::scan`]) see the last committed state.
//!
//! Room (Android) and Core Data or GRDB (iOS) meet the contract with one
//! database transaction per `commit`. [`MemoryStore`] keeps everything in
//! memory (tests, short-lived tools); [`SqliteStore`] is the embedded
//! default.
//!
//! # What the store sees
//!
//! Keys are short ASCII labels, a label and a keyed hash of a peer's
//! address, or a label and a number (`docs/PROTOCOL.md` §12), so the file
//! names no clinician and no patient. Values are sealed under the app's [`crate::StorageKey`] and
//! bound to their key (a row copied to another key does not open). The
//! store learns how many peers a device talks to, how big each record is
//! and when it changes, and the order in which held messages arrived.

mod memory;
mod sqlite;

pub use memory::MemoryStore;
pub use sqlite::{Durability, SqliteStore};

use crate::error::StoreError;

/// One committed row: its key and its (sealed) value.
pub type Row = (Vec<u8>, Vec<u8>);

/// One write of a [`ChangeSet`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Change {
    /// Set `key` to `value` (sealed bytes).
    Put {
        /// The row's key.
        key: Vec<u8>,
        /// The row's new value.
        value: Vec<u8>,
    },
    /// Remove `key` if present.
    Delete {
        /// The row's key.
        key: Vec<u8>,
    },
}

/// Every write of one device call, applied by [`Store::commit`] all at once
/// or not at all, in order (a later change to the same key wins).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    changes: Vec<Change>,
}

impl ChangeSet {
    /// An empty change set.
    pub fn new() -> Self {
        ChangeSet::default()
    }

    /// Sets `key` to `value`.
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: Vec<u8>) {
        self.changes.push(Change::Put {
            key: key.into(),
            value,
        });
    }

    /// Removes `key`.
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) {
        self.changes.push(Change::Delete { key: key.into() });
    }

    /// The writes, in order.
    pub fn changes(&self) -> &[Change] {
        &self.changes
    }

    /// How many writes the set holds.
    pub fn len(&self) -> usize {
        self.changes.len()
    }

    /// Whether the set holds no writes.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    /// The writes, in order, given up by the set (a store can then keep
    /// the keys and values it is handed instead of copying them).
    pub fn into_changes(self) -> Vec<Change> {
        self.changes
    }

    /// Appends every write of `other` after this set's.
    pub fn extend(&mut self, other: ChangeSet) {
        self.changes.extend(other.changes);
    }
}

/// A synchronous key-value store that applies a [`ChangeSet`] atomically.
///
/// See the [module documentation](self) for the contract an implementation
/// must keep. Errors are reported as a [`StoreError`]; keep the app's own
/// error detail in the app's logs (it may name rows, never secrets).
pub trait Store {
    /// The committed value of `key`, if any.
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every committed row whose key starts with `prefix`, by increasing key.
    fn scan(&self, prefix: &[u8]) -> Result<Vec<Row>, StoreError>;

    /// Applies every change of `changes`, atomically and durably, or none.
    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError>;

    /// [`Store::commit`], handed the change set to keep: a store that holds
    /// rows in memory can move the keys and values in rather than copy
    /// them. The same contract; the device commits through this method.
    /// By default it calls [`Store::commit`].
    fn commit_owned(&mut self, changes: ChangeSet) -> Result<(), StoreError> {
        self.commit(&changes)
    }
}

impl<S: Store + ?Sized> Store for &mut S {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key)
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Row>, StoreError> {
        (**self).scan(prefix)
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError> {
        (**self).commit(changes)
    }

    fn commit_owned(&mut self, changes: ChangeSet) -> Result<(), StoreError> {
        (**self).commit_owned(changes)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key)
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Row>, StoreError> {
        (**self).scan(prefix)
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError> {
        (**self).commit(changes)
    }

    fn commit_owned(&mut self, changes: ChangeSet) -> Result<(), StoreError> {
        (**self).commit_owned(changes)
    }
}
