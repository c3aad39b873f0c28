//! PQXDH (Signal's PQXDH specification) and, where the app allows it for
//! peers without ML-KEM prekeys, classical X3DH, on X25519, ML-KEM-1024
//! and HKDF-SHA256.
//!
//! `SK = HKDF(salt = 0^32, IKM = 0xFF^32 || DH1 || DH2 || DH3 [|| DH4]
//! [|| SS], info)` with `DH1 = DH(IK_A, SPK_B)`, `DH2 = DH(EK_A, IK_B)`,
//! `DH3 = DH(EK_A, SPK_B)`, `DH4 = DH(EK_A, OPK_B)` and, for PQXDH,
//! `(CT, SS) = ML-KEM.Encaps(PQPK_B)` and `info = LABEL_PQXDH`; X3DH has no
//! `SS` and `info = LABEL_X3DH`. Every DH must be contributory. The
//! associated data is `AD = IK_A || IK_B`, each identity as its Ed25519
//! then X25519 key; the envelope's authenticated prefix adds the KEM
//! prekey id and ciphertext.
//!
//! Provides mutual implicit authentication and forward secrecy of the
//! shared secret, and (PQXDH) its confidentiality against an attacker who
//! records the handshake now and breaks X25519 later; authentication stays
//! classical (Ed25519, X25519), as in the specification. Replays of first
//! messages are refused by the prekey store's record of accepted base keys
//! (see [`crate::PreKeyStore`]), not here. No identity hiding.

use crate::error::{DecodeError, Result};
use crate::handshake::bundle::PreKeyBundle;
use crate::handshake::kem;
use crate::handshake::prekey::X25519KeyPair;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::primitives::{LABEL_PQXDH, LABEL_X3DH, dh, hkdf32};
use crate::ratchet::root_key::RootKey;
use crate::wire::envelope::KemPart;
use rand_core::CryptoRng;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

/// Length of the handshake associated data.
pub(crate) const AD_LEN: usize = 128;

/// What the initiator learns from X3DH.
pub(crate) struct Initiated {
    pub(crate) shared: RootKey,
    pub(crate) base_key: X25519KeyPair,
    pub(crate) one_time_prekey_id: Option<u32>,
    /// The ML-KEM prekey id and ciphertext (PQXDH only).
    pub(crate) kem: Option<KemPart>,
}

pub(crate) fn associated_data(initiator: &IdentityKey, responder: &IdentityKey) -> [u8; AD_LEN] {
    let mut ad = [0u8; AD_LEN];
    let (a, b) = ad.split_at_mut(64);
    a.copy_from_slice(&initiator.ad_bytes());
    b.copy_from_slice(&responder.ad_bytes());
    ad
}

/// `SK` from the DH outputs in order and, for PQXDH, the KEM secret.
pub(crate) fn kdf(dhs: &[&[u8; 32]], ss: Option<&[u8; 32]>) -> RootKey {
    let mut ikm = Zeroizing::new(Vec::with_capacity(32 * 6));
    ikm.extend_from_slice(&[0xFF; 32]);
    for d in dhs {
        ikm.extend_from_slice(d.as_slice());
    }
    let info = match ss {
        Some(ss) => {
            ikm.extend_from_slice(ss);
            LABEL_PQXDH
        }
        None => LABEL_X3DH,
    };
    RootKey::from_bytes(*hkdf32(&[0u8; 32], &ikm, info))
}

/// 4 bytes whose big-endian value modulo `n` picks an index.
fn choose(rng: &mut (impl CryptoRng + ?Sized), n: usize) -> usize {
    let mut b = [0u8; 4];
    rng.fill_bytes(&mut b);
    usize::try_from(u32::from_be_bytes(b)).unwrap_or(0) % n.max(1)
}

/// The initiator's side: PQXDH if the bundle carries ML-KEM prekeys, X3DH
/// otherwise (the caller decides whether that is allowed). Draws from
/// `rng`, in order: the ephemeral key (32 bytes); if the bundle has
/// one-time prekeys, 4 bytes choosing one; for PQXDH, if the bundle has
/// one-time ML-KEM prekeys, 4 bytes choosing one (else the last-resort
/// one is used), then the encapsulation randomness `m` (32 bytes).
pub(crate) fn initiate(
    rng: &mut (impl CryptoRng + ?Sized),
    me: &IdentityKeyPair,
    bundle: &PreKeyBundle,
) -> Result<Initiated> {
    let ek = X25519KeyPair::generate(rng);
    let otpks = bundle.one_time_prekeys();
    let chosen = if otpks.is_empty() {
        None
    } else {
        otpks.get(choose(rng, otpks.len()))
    };
    let encapsulated = match bundle.kem_prekeys() {
        Some(kems) => {
            let target = if kems.one_time.is_empty() {
                &kems.last_resort
            } else {
                kems.one_time
                    .get(choose(rng, kems.one_time.len()))
                    .unwrap_or(&kems.last_resort)
            };
            let mut m = Zeroizing::new([0u8; 32]);
            rng.fill_bytes(m.as_mut_slice());
            // A bundle's KEM keys were parsed and checked with it.
            let (ciphertext, ss) = match &target.key {
                Some(ek) => kem::encapsulate_to(ek, &m),
                None => return Err(DecodeError::InvalidKey.into()),
            };
            Some((
                KemPart {
                    id: target.id,
                    ciphertext,
                },
                ss,
            ))
        }
        None => None,
    };
    let spk = &bundle.signed_prekey().public;
    let dh1 = dh(me.dh_secret(), spk)?;
    let dh2 = dh(&ek.secret, bundle.identity().dh_public())?;
    let dh3 = dh(&ek.secret, spk)?;
    let ss = encapsulated.as_ref().map(|(_, ss)| &**ss);
    let shared = match chosen {
        Some(k) => {
            let dh4 = dh(&ek.secret, &k.public)?;
            kdf(&[&dh1, &dh2, &dh3, &dh4], ss)
        }
        None => kdf(&[&dh1, &dh2, &dh3], ss),
    };
    Ok(Initiated {
        shared,
        base_key: ek,
        one_time_prekey_id: chosen.map(|k| k.id),
        kem: encapsulated.map(|(part, _)| part),
    })
}

/// The responder's side; `ss` is the decapsulated KEM secret for PQXDH.
pub(crate) fn respond(
    me: &IdentityKeyPair,
    signed_prekey: &StaticSecret,
    one_time_prekey: Option<&StaticSecret>,
    initiator: &IdentityKey,
    base_key: &PublicKey,
    ss: Option<&[u8; 32]>,
) -> Result<RootKey> {
    let dh1 = dh(signed_prekey, initiator.dh_public())?;
    let dh2 = dh(me.dh_secret(), base_key)?;
    let dh3 = dh(signed_prekey, base_key)?;
    Ok(match one_time_prekey {
        Some(otpk) => {
            let dh4 = dh(otpk, base_key)?;
            kdf(&[&dh1, &dh2, &dh3, &dh4], ss)
        }
        None => kdf(&[&dh1, &dh2, &dh3], ss),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PreKeyStore;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn both_sides_agree_with_and_without_one_time_prekey() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, &bob);
        for n in [0, 4] {
            store.generate_one_time_prekeys(&mut rng, n).unwrap();
            let bundle = store.bundle().without_kem();
            let init = initiate(&mut rng, &alice, &bundle).unwrap();
            assert_eq!(init.one_time_prekey_id.is_some(), n > 0);
            let spk = store.signed_prekey(bundle.signed_prekey_id()).unwrap();
            let otpk = init
                .one_time_prekey_id
                .map(|id| store.one_time_prekey(id).unwrap().secret.clone());
            let sk = respond(
                &bob,
                &spk.pair.secret,
                otpk.as_ref(),
                alice.public(),
                &init.base_key.public,
                None,
            )
            .unwrap();
            assert_eq!(sk.as_bytes(), init.shared.as_bytes());
            // Without the one-time prekey the responder derives another key.
            if otpk.is_some() {
                let wrong = respond(
                    &bob,
                    &spk.pair.secret,
                    None,
                    alice.public(),
                    &init.base_key.public,
                    None,
                )
                .unwrap();
                assert_ne!(wrong.as_bytes(), init.shared.as_bytes());
            }
        }
    }

    #[test]
    fn pqxdh_agrees_and_needs_the_kem_secret() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, &bob);
        store
            .generate_kem_one_time_prekeys(&mut rng, &bob, 3)
            .unwrap();
        let bundle = store.bundle();
        let init = initiate(&mut rng, &alice, &bundle).unwrap();
        let part = init.kem.as_ref().unwrap();
        let (kem, one_time) = store.kem_prekey(part.id).unwrap();
        assert!(one_time);
        let ss = kem.pair.decapsulate(&part.ciphertext);
        let spk = store.signed_prekey(bundle.signed_prekey_id()).unwrap();
        let respond_with = |ss: Option<&[u8; 32]>| {
            respond(
                &bob,
                &spk.pair.secret,
                None,
                alice.public(),
                &init.base_key.public,
                ss,
            )
            .unwrap()
        };
        assert_eq!(respond_with(Some(&ss)).as_bytes(), init.shared.as_bytes());
        // Without the KEM secret (a stripped handshake) the key differs.
        assert_ne!(respond_with(None).as_bytes(), init.shared.as_bytes());
        let mut bad = part.ciphertext.clone();
        bad[0] ^= 1;
        let rejected = kem.pair.decapsulate(&bad);
        assert_ne!(
            respond_with(Some(&rejected)).as_bytes(),
            init.shared.as_bytes()
        );
    }
}
