//! Message keys: used once, for one AEAD operation, then dropped.
//!
//! The AEAD is the session's [`CipherSuite`], keyed directly with the
//! 32-byte message key, with a fresh random nonce carried in the envelope
//! (24 bytes for XChaCha20-Poly1305, 12 for AES-256-GCM-SIV). The random
//! nonce is what makes a session restored from an older saved state safe
//! to use again: it will derive the same message key for the same
//! counter, but the nonce differs (for XChaCha20, collision probability
//! 2^-96 after 2^48 messages under one key; for the 96-bit nonce, 2^-96
//! for any two messages under one key, and a key is used by at most the
//! few copies of one state), so two plaintexts never share a keystream.
//! AES-256-GCM-SIV adds a second line: even under a repeated key and
//! nonce it reveals only whether two plaintexts are equal.

use crate::error::{CryptoError, Result};
use crate::secret::secret_key;
use crate::suite::CipherSuite;
use aes_gcm_siv::Aes256GcmSiv;
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use zeroize::Zeroize;

secret_key! {
    /// A single message's key.
    pub(crate) struct MessageKey;
}

/// Length of the longest AEAD nonce an envelope carries (XChaCha20's).
pub(crate) const NONCE_LEN: usize = 24;
/// Length of the AES-256-GCM-SIV nonce.
pub(crate) const AES_NONCE_LEN: usize = 12;
/// Length of the tag (Poly1305 or POLYVAL-based), in both suites.
pub(crate) const TAG_LEN: usize = 16;

impl MessageKey {
    /// Encrypts `buf` in place under `suite` and returns the tag. Consumes
    /// the key. `nonce` must be `suite.nonce_len()` bytes (callers take it
    /// from a buffer of that length); otherwise `buf` is wiped, the tag is
    /// all zeros and the message will not authenticate.
    pub(crate) fn seal(
        self,
        suite: CipherSuite,
        nonce: &[u8],
        ad: &[u8],
        buf: &mut [u8],
    ) -> [u8; TAG_LEN] {
        // Both AEADs fail only for messages over 64 GiB or a nonce of the
        // wrong length; callers bound messages to 64 KiB and size nonces
        // from the suite.
        let tag = match suite {
            CipherSuite::XChaCha20Poly1305 => <&[u8; NONCE_LEN]>::try_from(nonce)
                .ok()
                .and_then(|n| {
                    XChaCha20Poly1305::new(self.as_bytes().into())
                        .encrypt_inout_detached(n.into(), ad, buf.into())
                        .ok()
                })
                .map(Into::into),
            CipherSuite::Aes256GcmSiv => <&[u8; AES_NONCE_LEN]>::try_from(nonce)
                .ok()
                .and_then(|n| {
                    Aes256GcmSiv::new(self.as_bytes().into())
                        .encrypt_inout_detached(n.into(), ad, buf.into())
                        .ok()
                })
                .map(Into::into),
        };
        // Unreachable with a nonce sized from the suite; if it ever is
        // reached, no plaintext is left in the buffer to be sent.
        tag.unwrap_or_else(|| {
            buf.zeroize();
            [0u8; TAG_LEN]
        })
    }

    /// Decrypts `buf` in place under `suite` if the tag verifies; on
    /// failure `buf` is left as ciphertext. Borrows the key, so a failed
    /// attempt keeps it.
    pub(crate) fn open(
        &self,
        suite: CipherSuite,
        nonce: &[u8],
        ad: &[u8],
        buf: &mut [u8],
        tag: &[u8; TAG_LEN],
    ) -> Result<()> {
        let ok = match suite {
            CipherSuite::XChaCha20Poly1305 => {
                <&[u8; NONCE_LEN]>::try_from(nonce).ok().and_then(|n| {
                    XChaCha20Poly1305::new(self.as_bytes().into())
                        .decrypt_inout_detached(n.into(), ad, buf.into(), tag.into())
                        .ok()
                })
            }
            CipherSuite::Aes256GcmSiv => {
                <&[u8; AES_NONCE_LEN]>::try_from(nonce).ok().and_then(|n| {
                    Aes256GcmSiv::new(self.as_bytes().into())
                        .decrypt_inout_detached(n.into(), ad, buf.into(), tag.into())
                        .ok()
                })
            }
        };
        ok.ok_or_else(|| CryptoError::DecryptFailed.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_reject() {
        for suite in CipherSuite::ALL {
            let nonce = [3u8; NONCE_LEN];
            let nonce = &nonce[..suite.nonce_len()];
            let mut buf = *b"handover at 8";
            let tag = MessageKey::from_bytes([1; 32]).seal(suite, nonce, b"ad", &mut buf);
            assert_ne!(&buf, b"handover at 8");
            let mut tampered = buf;
            tampered[0] ^= 1;
            let k = MessageKey::from_bytes([1; 32]);
            assert!(k.open(suite, nonce, b"ad", &mut tampered, &tag).is_err());
            assert!(k.open(suite, nonce, b"ax", &mut buf.clone(), &tag).is_err());
            // The other suite, or a nonce of the wrong length, never opens it.
            for other in CipherSuite::ALL.into_iter().filter(|o| *o != suite) {
                let n = [3u8; NONCE_LEN];
                assert!(
                    k.open(
                        other,
                        &n[..other.nonce_len()],
                        b"ad",
                        &mut buf.clone(),
                        &tag
                    )
                    .is_err()
                );
            }
            assert!(
                k.open(suite, &[3u8; 16], b"ad", &mut buf.clone(), &tag)
                    .is_err()
            );
            k.open(suite, nonce, b"ad", &mut buf, &tag).unwrap();
            assert_eq!(&buf, b"handover at 8");
        }
    }

    #[test]
    fn a_nonce_of_the_wrong_length_leaves_no_plaintext() {
        for suite in CipherSuite::ALL {
            let mut buf = *b"handover at 8";
            let tag = MessageKey::from_bytes([1; 32]).seal(suite, &[3u8; 16], b"ad", &mut buf);
            assert_eq!(tag, [0u8; TAG_LEN]);
            assert_eq!(buf, [0u8; 13]);
        }
    }

    /// RFC 8452 Appendix C.2, the first AES-256-GCM-SIV vector with a
    /// plaintext (8 bytes, no associated data).
    #[test]
    fn aes_256_gcm_siv_matches_rfc8452() {
        let mut key = [0u8; 32];
        key[0] = 1;
        let mut nonce = [0u8; 12];
        nonce[0] = 3;
        let mut buf = [1u8, 0, 0, 0, 0, 0, 0, 0];
        let tag =
            MessageKey::from_bytes(key).seal(CipherSuite::Aes256GcmSiv, &nonce, b"", &mut buf);
        assert_eq!(buf, [0xc2, 0xef, 0x32, 0x8e, 0x5c, 0x71, 0xc8, 0x3b]);
        assert_eq!(
            tag,
            [
                0x84, 0x31, 0x22, 0x13, 0x0f, 0x73, 0x64, 0xb7, 0x61, 0xe0, 0xb9, 0x74, 0x27, 0xe3,
                0xdf, 0x28
            ]
        );
    }
}
