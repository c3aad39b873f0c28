//! The root key and the root KDF (Double Ratchet §5.2, HKDF-SHA256).

use super::chain_key::ChainKey;
use crate::primitives::{LABEL_ROOT, hkdf_fill};
use crate::secret::secret_key;
use zeroize::Zeroizing;

secret_key! {
    /// The root key: advanced by every DH ratchet step.
    pub(crate) struct RootKey;
}

impl RootKey {
    /// `KDF_RK(rk, dh_out)`: HKDF-SHA256 with the root key as salt, the DH
    /// output as input key material and `LABEL_ROOT` as info, expanded to
    /// 64 bytes: the new root key, then the new chain key.
    pub(crate) fn ratchet(&self, dh_out: &[u8; 32]) -> (RootKey, ChainKey) {
        let mut okm = Zeroizing::new([0u8; 64]);
        hkdf_fill(self.as_bytes(), dh_out, LABEL_ROOT, okm.as_mut_slice());
        let mut rk = [0u8; 32];
        let mut ck = [0u8; 32];
        let (a, b) = okm.split_at(32);
        rk.copy_from_slice(a);
        ck.copy_from_slice(b);
        (RootKey::from_bytes(rk), ChainKey::from_bytes(ck))
    }
}
