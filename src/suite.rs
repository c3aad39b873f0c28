//! The AEAD cipher suites a 1:1 session can run, chosen at the handshake.
//!
//! The responder's bundle lists the suites it accepts (a version-3 bundle,
//! signed with its signed prekey); the initiator picks one of them and
//! names it in every envelope, where it is authenticated as associated
//! data. See `docs/PROTOCOL.md` §5.

use core::fmt;

/// Longest suite list a bundle or prekey store may carry.
pub const MAX_CIPHER_SUITES: usize = 4;

/// An AEAD for a session's messages. Both take the 32-byte message key of
/// the Double Ratchet directly and a random nonce carried in the envelope.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum CipherSuite {
    /// XChaCha20-Poly1305 with a 24-byte random nonce (suite id `0x01`).
    /// The default, and the only suite of version-1 and version-2 bundles
    /// and envelopes.
    #[default]
    XChaCha20Poly1305,
    /// AES-256-GCM-SIV (RFC 8452) with a 12-byte random nonce (suite id
    /// `0x02`): AES-256 for deployments that must use it, fast where the
    /// processor has AES instructions (detected at run time), and
    /// nonce-misuse resistant.
    Aes256GcmSiv,
}

impl CipherSuite {
    /// Every suite this build implements, in its default order of preference.
    pub const ALL: [CipherSuite; 2] = [CipherSuite::XChaCha20Poly1305, CipherSuite::Aes256GcmSiv];

    /// The one-byte id written in bundles and envelopes.
    pub const fn id(self) -> u8 {
        match self {
            CipherSuite::XChaCha20Poly1305 => 0x01,
            CipherSuite::Aes256GcmSiv => 0x02,
        }
    }

    /// The suite with this id, if this build implements it.
    pub const fn from_id(id: u8) -> Option<CipherSuite> {
        match id {
            0x01 => Some(CipherSuite::XChaCha20Poly1305),
            0x02 => Some(CipherSuite::Aes256GcmSiv),
            _ => None,
        }
    }

    /// Length of the random nonce each envelope carries.
    pub const fn nonce_len(self) -> usize {
        match self {
            CipherSuite::XChaCha20Poly1305 => 24,
            CipherSuite::Aes256GcmSiv => 12,
        }
    }
}

impl fmt::Debug for CipherSuite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CipherSuite::XChaCha20Poly1305 => "XChaCha20Poly1305",
            CipherSuite::Aes256GcmSiv => "Aes256GcmSiv",
        })
    }
}

/// Checks a suite list (a bundle's, or one a prekey store is given):
/// 1 to [`MAX_CIPHER_SUITES`] ids, none repeated. Unknown ids are allowed
/// (a newer peer may list suites this build does not implement).
pub(crate) fn check_list(ids: &[u8]) -> bool {
    !ids.is_empty()
        && ids.len() <= MAX_CIPHER_SUITES
        && ids
            .iter()
            .enumerate()
            .all(|(i, id)| !ids.get(..i).is_some_and(|before| before.contains(id)))
}

/// Whether a list is the default one (XChaCha20-Poly1305 alone), which
/// version-2 bundles imply and never write.
pub(crate) fn is_default_list(ids: &[u8]) -> bool {
    ids == [CipherSuite::XChaCha20Poly1305.id()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_pinned_and_round_trip() {
        assert_eq!(CipherSuite::XChaCha20Poly1305.id(), 1);
        assert_eq!(CipherSuite::Aes256GcmSiv.id(), 2);
        for s in CipherSuite::ALL {
            assert_eq!(CipherSuite::from_id(s.id()), Some(s));
        }
        assert_eq!(CipherSuite::from_id(0), None);
        assert_eq!(CipherSuite::from_id(3), None);
        assert_eq!(CipherSuite::default(), CipherSuite::XChaCha20Poly1305);
    }

    #[test]
    fn lists_are_checked() {
        assert!(check_list(&[1]));
        assert!(check_list(&[2, 1]));
        assert!(check_list(&[2, 9]));
        assert!(!check_list(&[]));
        assert!(!check_list(&[1, 2, 1]));
        assert!(!check_list(&[1, 2, 3, 4, 5]));
        assert!(is_default_list(&[1]));
        assert!(!is_default_list(&[1, 2]));
    }
}
