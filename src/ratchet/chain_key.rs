//! Chain keys and the chain KDF (Double Ratchet §5.2: HMAC-SHA256 with the
//! chain key as the key, input 0x01 for the message key, 0x02 for the next
//! chain key).

use super::message_key::MessageKey;
use crate::secret::secret_key;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

secret_key! {
    /// A sending or receiving chain key.
    pub(crate) struct ChainKey;
}

impl ChainKey {
    /// One step of the symmetric ratchet: `(MK, CK')` with
    /// `MK = HMAC(CK, 0x01)` and `CK' = HMAC(CK, 0x02)`.
    ///
    /// Both MACs share one keyed state, so the key schedule is computed once.
    pub(crate) fn step(&self) -> (MessageKey, ChainKey) {
        // HMAC pads a key shorter than the 64-byte block with zeros, so
        // keying with `CK || 0^32` as a full block is HMAC keyed with CK,
        // and cannot fail.
        let mut block = [0u8; 64];
        if let Some(head) = block.get_mut(..32) {
            head.copy_from_slice(self.as_bytes());
        }
        let keyed = <Hmac<Sha256> as KeyInit>::new((&block).into());
        zeroize::zeroize_bytes(&mut block);
        let mut m = keyed.clone();
        m.update(&[0x01]);
        let mk: [u8; 32] = m.finalize().into_bytes().into();
        let mut c = keyed;
        c.update(&[0x02]);
        let ck: [u8; 32] = c.finalize().into_bytes().into();
        (MessageKey::from_bytes(mk), ChainKey::from_bytes(ck))
    }

    /// An independent copy, for computing ahead without committing.
    pub(crate) fn duplicate(&self) -> ChainKey {
        ChainKey::from_bytes(*self.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_matches_plain_hmac() {
        let ck = ChainKey::from_bytes([0x42; 32]);
        let (mk, next) = ck.step();
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x42; 32]).unwrap();
        m.update(&[1]);
        assert_eq!(mk.as_bytes()[..], m.finalize().into_bytes()[..]);
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x42; 32]).unwrap();
        m.update(&[2]);
        assert_eq!(next.as_bytes()[..], m.finalize().into_bytes()[..]);
    }
}
