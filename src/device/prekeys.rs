//! The app server's side of prekeys: hand each one-time prekey to exactly
//! one initiator.
//!
//! A server that hands the same one-time prekey to two initiators makes the
//! second handshake fail (`UnknownOneTimePreKey` at the responder). A
//! [`PreKeyDispenser`] holds what a device uploaded and removes each
//! one-time prekey as it hands it out; when none is left it hands out the
//! signed prekey alone (the handshake still works, with less forward
//! secrecy for the first message) and says it needs a refill.

use super::handshake;
use crate::error::{Result, TrustError};
use crate::handshake::PreKeyBundle;
use crate::handshake::bundle::{KemPreKeyPublic, KemPreKeys, OneTimePreKeyPublic};
use crate::limits::{
    KEM_ONE_TIME_PREKEY_REFILL_BELOW, MAX_STORED_ONE_TIME_PREKEYS, ONE_TIME_PREKEY_REFILL_BELOW,
};
use std::collections::BTreeMap;

/// One device's published prekeys, as the app's server keeps them.
///
/// Keep it in the server's database (the bundle bytes and the list of
/// remaining ids); it holds only public keys.
#[derive(Debug)]
pub struct PreKeyDispenser {
    /// The latest upload (its signed prekey is handed out).
    signed: PreKeyBundle,
    one_time: BTreeMap<u32, OneTimePreKeyPublic>,
    /// One-time ML-KEM prekeys (PQXDH), handed out one per initiator like
    /// the X25519 ones; the last-resort ML-KEM prekey stays in `signed`.
    kem_one_time: BTreeMap<u32, KemPreKeyPublic>,
}

impl PreKeyDispenser {
    /// Starts from a device's first upload ([`crate::Device::prekey_bundle`],
    /// parsed with [`PreKeyBundle::from_bytes`], which checks its signatures).
    pub fn new(upload: &PreKeyBundle) -> Result<Self> {
        let signed = PreKeyBundle::from_bytes(&handshake::bundle_to_keep(upload, false)?)?;
        let mut d = PreKeyDispenser {
            signed,
            one_time: BTreeMap::new(),
            kem_one_time: BTreeMap::new(),
        };
        d.add(upload);
        Ok(d)
    }

    /// A later upload from the same device: a new signed prekey (after a
    /// rotation) and more one-time prekeys. Ids already handed out are not
    /// offered again even if uploaded again.
    ///
    /// Errors: [`TrustError::IdentityMismatch`] if it is another device's.
    pub fn upload(&mut self, upload: &PreKeyBundle) -> Result<()> {
        if upload.identity() != self.signed.identity() {
            return Err(TrustError::IdentityMismatch.into());
        }
        self.signed = PreKeyBundle::from_bytes(&handshake::bundle_to_keep(upload, false)?)?;
        self.add(upload);
        Ok(())
    }

    fn add(&mut self, upload: &PreKeyBundle) {
        for k in upload.one_time_prekeys() {
            if self.one_time.len() >= MAX_STORED_ONE_TIME_PREKEYS {
                break;
            }
            self.one_time.entry(k.id).or_insert(*k);
        }
        for k in upload.kem_prekeys().map_or(&[][..], |k| &k.one_time[..]) {
            if self.kem_one_time.len() >= MAX_STORED_ONE_TIME_PREKEYS {
                break;
            }
            self.kem_one_time.entry(k.id).or_insert_with(|| k.clone());
        }
    }

    /// The bundle for one initiator: the current signed prekey (with the
    /// last-resort ML-KEM prekey) and the lowest remaining one-time prekey
    /// of each kind, which are removed so no other initiator gets them.
    /// With none left of a kind, the bundle has none of that kind.
    pub fn hand_out(&mut self) -> PreKeyBundle {
        let one_time: Vec<_> = self
            .one_time
            .pop_first()
            .map(|(_, k)| k)
            .into_iter()
            .collect();
        let kem = self.signed.kem_prekeys().map(|k| KemPreKeys {
            last_resort: k.last_resort.clone(),
            one_time: self
                .kem_one_time
                .pop_first()
                .map(|(_, k)| k)
                .into_iter()
                .collect(),
        });
        PreKeyBundle::new(
            self.signed.identity().clone(),
            self.signed.signed_prekey().clone(),
            one_time,
            kem,
        )
    }

    /// The one-time prekey ids not handed out yet, lowest first.
    pub fn one_time_prekey_ids(&self) -> Vec<u32> {
        self.one_time.keys().copied().collect()
    }

    /// How many one-time prekeys are left.
    pub fn remaining(&self) -> usize {
        self.one_time.len()
    }

    /// The one-time ML-KEM prekey ids not handed out yet, lowest first.
    pub fn kem_one_time_prekey_ids(&self) -> Vec<u32> {
        self.kem_one_time.keys().copied().collect()
    }

    /// Whether the device should upload more (fewer than
    /// [`ONE_TIME_PREKEY_REFILL_BELOW`] X25519 or
    /// [`KEM_ONE_TIME_PREKEY_REFILL_BELOW`] ML-KEM one-time prekeys left).
    pub fn needs_refill(&self) -> bool {
        self.one_time.len() < ONE_TIME_PREKEY_REFILL_BELOW
            || self.kem_one_time.len() < KEM_ONE_TIME_PREKEY_REFILL_BELOW
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::{Device, DeviceAddress};
    use crate::limits::{KEM_ONE_TIME_PREKEY_BATCH, MAX_BUNDLE_ONE_TIME_PREKEYS};
    use crate::store::MemoryStore;
    use crate::{PeerId, StorageKey, TrustPolicy};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn device() -> Device<MemoryStore> {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let address = DeviceAddress::new(&PeerId::new("patel").unwrap(), 1).unwrap();
        Device::create(
            &mut rng,
            MemoryStore::new(),
            StorageKey::from_bytes([3; 32]),
            address,
            TrustPolicy::RequireVerified,
            1_700_000_000,
        )
        .unwrap()
    }

    /// A refill is due exactly when fewer than the threshold of either
    /// kind of one-time prekey is left, on the device and at the server;
    /// one kind running low is enough.
    #[test]
    fn a_refill_is_due_below_either_threshold_and_not_at_it() {
        let mut d = device();
        assert_eq!(
            d.state.prekeys.one_time_prekey_count(),
            MAX_BUNDLE_ONE_TIME_PREKEYS
        );
        assert_eq!(
            d.state.prekeys.kem_one_time_prekey_count(),
            KEM_ONE_TIME_PREKEY_BATCH
        );
        assert!(!d.needs_prekey_refill());
        let x25519: Vec<u32> = d.state.prekeys.one_time.keys().copied().collect();
        let mut server = PreKeyDispenser::new(&d.prekey_bundle()).unwrap();
        assert!(!server.needs_refill());

        // X25519 one-time prekeys alone run down (ML-KEM ones untouched).
        let spare = MAX_BUNDLE_ONE_TIME_PREKEYS - ONE_TIME_PREKEY_REFILL_BELOW;
        for id in &x25519[..spare] {
            d.state.prekeys.consume_one_time_prekey(*id);
            server.one_time.remove(id);
        }
        assert_eq!(
            d.state.prekeys.one_time_prekey_count(),
            ONE_TIME_PREKEY_REFILL_BELOW
        );
        assert!(!d.needs_prekey_refill());
        assert!(!server.needs_refill());
        d.state.prekeys.consume_one_time_prekey(x25519[spare]);
        server.one_time.remove(&x25519[spare]);
        assert!(d.needs_prekey_refill());
        assert!(server.needs_refill());

        // ML-KEM one-time prekeys alone run down, on a fresh device.
        let mut d = device();
        let mut server = PreKeyDispenser::new(&d.prekey_bundle()).unwrap();
        let spare = KEM_ONE_TIME_PREKEY_BATCH - KEM_ONE_TIME_PREKEY_REFILL_BELOW;
        let kem_ids: Vec<u32> = d.state.prekeys.kem_one_time.keys().copied().collect();
        for id in &kem_ids[..spare] {
            d.state.prekeys.consume_kem_one_time_prekey(*id);
            server.kem_one_time.remove(id);
        }
        assert!(!d.needs_prekey_refill());
        assert!(!server.needs_refill());
        d.state.prekeys.consume_kem_one_time_prekey(kem_ids[spare]);
        server.kem_one_time.remove(&kem_ids[spare]);
        assert!(d.needs_prekey_refill());
        assert!(server.needs_refill());
    }
}
