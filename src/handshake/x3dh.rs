//! X3DH (Signal's specification, §3) on X25519 and HKDF-SHA256.
//!
//! `SK = HKDF(salt = 0^32, IKM = 0xFF^32 || DH1 || DH2 || DH3 [|| DH4],
//! info = "bleep v1 x3dh")` with `DH1 = DH(IK_A, SPK_B)`,
//! `DH2 = DH(EK_A, IK_B)`, `DH3 = DH(EK_A, SPK_B)`, `DH4 = DH(EK_A, OPK_B)`.
//! Every DH must be contributory. The associated data is
//! `AD = IK_A || IK_B`, each identity as its Ed25519 then X25519 key.
//!
//! Provides mutual implicit authentication and forward secrecy of the
//! shared secret; it does not provide replay protection for handshakes
//! made without a one-time prekey (as in the specification), nor identity
//! hiding.

use crate::error::Result;
use crate::handshake::bundle::PreKeyBundle;
use crate::handshake::prekey::X25519KeyPair;
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::primitives::{LABEL_X3DH, dh, hkdf32};
use crate::ratchet::root_key::RootKey;
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
}

pub(crate) fn associated_data(initiator: &IdentityKey, responder: &IdentityKey) -> [u8; AD_LEN] {
    let mut ad = [0u8; AD_LEN];
    let (a, b) = ad.split_at_mut(64);
    a.copy_from_slice(&initiator.ad_bytes());
    b.copy_from_slice(&responder.ad_bytes());
    ad
}

fn kdf(dhs: &[&[u8; 32]]) -> RootKey {
    let mut ikm = Zeroizing::new(Vec::with_capacity(32 * 5));
    ikm.extend_from_slice(&[0xFF; 32]);
    for d in dhs {
        ikm.extend_from_slice(d.as_slice());
    }
    RootKey::from_bytes(*hkdf32(&[0u8; 32], &ikm, LABEL_X3DH))
}

/// The initiator's side. Draws from `rng`: the ephemeral key (32 bytes),
/// then, if the bundle has one-time prekeys, 4 bytes whose big-endian value
/// modulo their number picks one.
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
        let mut b = [0u8; 4];
        rng.fill_bytes(&mut b);
        let i = usize::try_from(u32::from_be_bytes(b)).unwrap_or(0) % otpks.len();
        otpks.get(i)
    };
    let spk = &bundle.signed_prekey().public;
    let dh1 = dh(me.dh_secret(), spk)?;
    let dh2 = dh(&ek.secret, bundle.identity().dh_public())?;
    let dh3 = dh(&ek.secret, spk)?;
    let shared = match chosen {
        Some(k) => {
            let dh4 = dh(&ek.secret, &k.public)?;
            kdf(&[&dh1, &dh2, &dh3, &dh4])
        }
        None => kdf(&[&dh1, &dh2, &dh3]),
    };
    Ok(Initiated {
        shared,
        base_key: ek,
        one_time_prekey_id: chosen.map(|k| k.id),
    })
}

/// The responder's side.
pub(crate) fn respond(
    me: &IdentityKeyPair,
    signed_prekey: &StaticSecret,
    one_time_prekey: Option<&StaticSecret>,
    initiator: &IdentityKey,
    base_key: &PublicKey,
) -> Result<RootKey> {
    let dh1 = dh(signed_prekey, initiator.dh_public())?;
    let dh2 = dh(me.dh_secret(), base_key)?;
    let dh3 = dh(signed_prekey, base_key)?;
    Ok(match one_time_prekey {
        Some(otpk) => {
            let dh4 = dh(otpk, base_key)?;
            kdf(&[&dh1, &dh2, &dh3, &dh4])
        }
        None => kdf(&[&dh1, &dh2, &dh3]),
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
            let bundle = store.bundle();
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
                )
                .unwrap();
                assert_ne!(wrong.as_bytes(), init.shared.as_bytes());
            }
        }
    }
}
