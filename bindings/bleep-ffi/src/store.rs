//! An app-supplied store (Room, Core Data, GRDB, ...) through a callback
//! interface, adapted to the core's [`bleep::store::Store`] trait.
//!
//! The trait is three synchronous calls over byte keys and sealed byte
//! values, so the callback mirrors it one to one. The contract is the
//! core's (`bleep::store`): `commit` applies every change in one
//! transaction or none, durably, and an error means nothing was written.

use bleep::StoreError;
use bleep::store::{Change, ChangeSet, Row, Store};

/// A failure the app's store reports. The device maps it to
/// `BleepError.Store("Backend")` and reloads its state; keep the detail in
/// the app's own logs.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum AppStoreError {
    /// The backend failed (I/O, disk full, locked); nothing was written.
    Backend,
    /// The foreign callback failed unexpectedly (an uncaught exception).
    Unexpected,
}

impl core::fmt::Display for AppStoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            AppStoreError::Backend => "the app's store failed",
            AppStoreError::Unexpected => "the app's store failed unexpectedly",
        })
    }
}

impl std::error::Error for AppStoreError {}

impl From<uniffi::UnexpectedUniFFICallbackError> for AppStoreError {
    fn from(_: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AppStoreError::Unexpected
    }
}

/// One committed row.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreRow {
    /// The row's key.
    pub key: Vec<u8>,
    /// The row's sealed value.
    pub value: Vec<u8>,
}

/// One write of a commit: set `key` to `value`, or delete `key` when
/// `value` is absent. Apply them in order (a later one wins).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StoreChange {
    /// The row's key.
    pub key: Vec<u8>,
    /// The new sealed value, or `None` to delete the row.
    pub value: Option<Vec<u8>>,
}

/// A key-value store the app implements (see `bleep::store` for the
/// contract). Keys are short labels or keyed hashes; values are sealed under
/// the storage key, so the store never sees plaintext.
#[uniffi::export(callback_interface)]
pub trait AppStore: Send + Sync {
    /// The committed value of `key`, if any.
    fn get(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, AppStoreError>;
    /// Every committed row whose key starts with `prefix`, by increasing
    /// key (bytewise).
    fn scan(&self, prefix: Vec<u8>) -> Result<Vec<StoreRow>, AppStoreError>;
    /// Applies every change in one transaction, durably, or none.
    fn commit(&self, changes: Vec<StoreChange>) -> Result<(), AppStoreError>;
}

/// The core's view of an [`AppStore`].
pub(crate) struct Foreign(pub(crate) Box<dyn AppStore>);

impl Store for Foreign {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.0.get(key.to_vec()).map_err(|_| StoreError::Backend)
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<Row>, StoreError> {
        let rows = self
            .0
            .scan(prefix.to_vec())
            .map_err(|_| StoreError::Backend)?;
        // The core relies on the prefix and the order: check, don't trust.
        let mut out: Vec<Row> = Vec::with_capacity(rows.len());
        for r in rows {
            if !r.key.starts_with(prefix) || out.last().is_some_and(|(k, _)| *k >= r.key) {
                return Err(StoreError::Corrupt);
            }
            out.push((r.key, r.value));
        }
        Ok(out)
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError> {
        let list = changes
            .changes()
            .iter()
            .filter_map(|c| match c {
                Change::Put { key, value } => Some(StoreChange {
                    key: key.clone(),
                    value: Some(value.clone()),
                }),
                Change::Delete { key } => Some(StoreChange {
                    key: key.clone(),
                    value: None,
                }),
                _ => None,
            })
            .collect::<Vec<_>>();
        if list.len() != changes.len() {
            // A change kind this binding does not know: refuse rather than
            // commit part of the set.
            return Err(StoreError::Backend);
        }
        self.0.commit(list).map_err(|_| StoreError::Backend)
    }
}
