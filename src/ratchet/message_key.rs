//! Message keys: used once, for one AEAD operation, then dropped.
//!
//! The AEAD is XChaCha20-Poly1305 keyed directly with the 32-byte message
//! key, with a fresh random 24-byte nonce carried in the envelope. The
//! random nonce is what makes a session restored from an older saved state
//! safe to use again: it will derive the same message key for the same
//! counter, but the nonce differs (collision probability 2^-96 after 2^48
//! messages under one key), so two plaintexts never share a keystream.

use crate::error::{CryptoError, Result};
use crate::secret::secret_key;
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};

secret_key! {
    /// A single message's key.
    pub(crate) struct MessageKey;
}

/// Length of the AEAD nonce carried in each envelope.
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the Poly1305 tag.
pub(crate) const TAG_LEN: usize = 16;

impl MessageKey {
    /// Encrypts `buf` in place and returns the tag. Consumes the key.
    pub(crate) fn seal(self, nonce: &[u8; NONCE_LEN], ad: &[u8], buf: &mut [u8]) -> [u8; TAG_LEN] {
        let aead = XChaCha20Poly1305::new(self.as_bytes().into());
        // XChaCha20-Poly1305 only fails for messages over 256 GiB; callers
        // bound messages to 64 KiB.
        match aead.encrypt_inout_detached(nonce.into(), ad, buf.into()) {
            Ok(tag) => tag.into(),
            Err(_) => [0u8; TAG_LEN],
        }
    }

    /// Decrypts `buf` in place if the tag verifies; on failure `buf` is
    /// left as ciphertext. Borrows the key, so a failed attempt keeps it.
    pub(crate) fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        ad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<()> {
        let aead = XChaCha20Poly1305::new(self.as_bytes().into());
        aead.decrypt_inout_detached(nonce.into(), ad, buf.into(), tag.into())
            .map_err(|_| CryptoError::DecryptFailed.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_reject() {
        let nonce = [3u8; NONCE_LEN];
        let mut buf = *b"handover at 8";
        let tag = MessageKey::from_bytes([1; 32]).seal(&nonce, b"ad", &mut buf);
        assert_ne!(&buf, b"handover at 8");
        let mut tampered = buf;
        tampered[0] ^= 1;
        let k = MessageKey::from_bytes([1; 32]);
        assert!(k.open(&nonce, b"ad", &mut tampered, &tag).is_err());
        assert!(k.open(&nonce, b"ax", &mut buf.clone(), &tag).is_err());
        k.open(&nonce, b"ad", &mut buf, &tag).unwrap();
        assert_eq!(&buf, b"handover at 8");
    }
}
