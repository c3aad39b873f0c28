//! Shared helpers for the device tests: a store that fails on purpose, and
//! a ward of verified devices.
#![allow(dead_code, unreachable_pub, clippy::cast_possible_truncation)]

use bleep::store::{ChangeSet, MemoryStore, Store};
use bleep::*;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

/// A store that refuses every `every`th commit (nothing written), as a full
/// disk or a crash in the middle of a transaction would.
pub struct FlakyStore {
    pub inner: MemoryStore,
    pub every: u32,
    pub commits: u32,
    pub failures: u32,
}

impl FlakyStore {
    pub fn new(every: u32) -> Self {
        FlakyStore::over(MemoryStore::new(), every)
    }

    /// `inner`'s rows, refusing every `every`th commit from now on.
    pub fn over(inner: MemoryStore, every: u32) -> Self {
        FlakyStore {
            inner,
            every,
            commits: 0,
            failures: 0,
        }
    }
}

impl Store for FlakyStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(key)
    }

    fn scan(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
        self.inner.scan(prefix)
    }

    fn commit(&mut self, changes: &ChangeSet) -> Result<(), StoreError> {
        self.commits += 1;
        if self.every != 0 && self.commits.is_multiple_of(self.every) {
            self.failures += 1;
            return Err(StoreError::Backend);
        }
        self.inner.commit(changes)
    }
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub const T0: u64 = 1_700_000_000;

pub fn addr(name: &str, device: u32) -> DeviceAddress {
    DeviceAddress::new(&PeerId::new(name).unwrap(), device).unwrap()
}

pub fn device<S: Store>(rng: &mut ChaCha20Rng, store: S, name: &str, n: u32) -> Device<S> {
    Device::create(
        rng,
        store,
        StorageKey::from_bytes([n as u8 + name.len() as u8; 32]),
        addr(name, n),
        TrustPolicy::RequireVerified,
        T0,
    )
    .unwrap()
}

/// The storage key `device` used.
pub fn key_of(name: &str, n: u32) -> StorageKey {
    StorageKey::from_bytes([n as u8 + name.len() as u8; 32])
}

/// A new identity at `address` (a reinstall), with `peer`'s bundle added
/// and verified by QR code; its storage key is `seed` repeated.
pub fn reinstalled(
    rng: &mut ChaCha20Rng,
    peer: &Device<MemoryStore>,
    address: &DeviceAddress,
    seed: u8,
) -> Device<MemoryStore> {
    let mut d = Device::create(
        rng,
        MemoryStore::new(),
        StorageKey::from_bytes([seed; 32]),
        address.clone(),
        TrustPolicy::RequireVerified,
        T0,
    )
    .unwrap();
    d.add_peer_device(rng, peer.address(), &peer.prekey_bundle())
        .unwrap();
    d.mark_verified(rng, peer.address(), VerificationMethod::QrCode, T0)
        .unwrap();
    d
}

/// Dr Okafor's and Dr Patel's first devices, each on a memory store,
/// introduced and verified to each other.
pub fn okafor_and_patel(rng: &mut ChaCha20Rng) -> (Device<MemoryStore>, Device<MemoryStore>) {
    let mut ds = vec![
        device(rng, MemoryStore::new(), "okafor", 1),
        device(rng, MemoryStore::new(), "patel", 1),
    ];
    introduce(rng, &mut ds);
    let b = ds.pop().unwrap();
    let a = ds.pop().unwrap();
    (a, b)
}

/// Every device learns every other's bundle (one one-time prekey each,
/// as a server hands them out) and verifies it.
pub fn introduce<S: Store>(rng: &mut ChaCha20Rng, devices: &mut [Device<S>]) {
    let mut dispensers: Vec<PreKeyDispenser> = devices
        .iter()
        .map(|d| PreKeyDispenser::new(&d.prekey_bundle()).unwrap())
        .collect();
    let addrs: Vec<DeviceAddress> = devices.iter().map(|d| d.address().clone()).collect();
    for (i, d) in devices.iter_mut().enumerate() {
        for (j, other) in addrs.iter().enumerate() {
            if i == j {
                continue;
            }
            let bundle = dispensers[j].hand_out();
            d.add_peer_device(rng, other, &bundle).unwrap();
            d.mark_verified(rng, other, VerificationMethod::SafetyNumber, T0)
                .unwrap();
        }
    }
}

/// Every row of a memory store, to compare before and after.
pub fn rows(store: &impl Store) -> Vec<(Vec<u8>, Vec<u8>)> {
    store.scan(b"").unwrap()
}
