//! Values that clean up after themselves.
//!
//! Every key and plaintext in `bleep` lives in a type from this module (or
//! built by [`secret_key!`]): it zeroizes on drop, its `Debug` prints no
//! secret, it is not `Copy`, and its bytes are reached only by an explicit
//! call. This protects against secrets lingering in freed memory and
//! reaching logs; it does not protect against an attacker who can read the
//! process's memory while the value is alive.

use core::fmt;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Constant-time equality of two byte strings (the length is not secret).
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Declares a 32-byte secret newtype: zeroized on drop, redacted `Debug`,
/// no `Clone`, crate-visible constructor and accessor.
macro_rules! secret_key {
    ($(#[$doc:meta])* $vis:vis struct $name:ident;) => {
        $(#[$doc])*
        $vis struct $name([u8; 32]);

        impl zeroize::Zeroize for $name {
            fn zeroize(&mut self) {
                // One bulk fill behind an optimization barrier, not 32
                // volatile byte writes.
                zeroize::zeroize_bytes(&mut self.0);
            }
        }

        impl Drop for $name {
            fn drop(&mut self) {
                zeroize::Zeroize::zeroize(self);
            }
        }

        impl zeroize::ZeroizeOnDrop for $name {}

        impl $name {
            #[allow(dead_code)]
            pub(crate) fn from_bytes(bytes: [u8; 32]) -> Self {
                Self(bytes)
            }

            #[allow(dead_code)]
            pub(crate) fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                f.write_str(concat!(stringify!($name), "(<redacted>)"))
            }
        }
    };
}
pub(crate) use secret_key;

/// A decrypted message body: zeroized on drop, never printed.
///
/// The buffer is allocated once at its final size and never grows, so no
/// stale copy is left behind by a reallocation. A received body stays
/// where it was decrypted, after the payload's metadata, which is wiped
/// with it.
///
/// ```
/// # use bleep::Plaintext;
/// let p = Plaintext::from_slice(b"bed 4 needs review");
/// assert_eq!(p.expose(), b"bed 4 needs review");
/// assert_eq!(format!("{p:?}"), "Plaintext(<redacted>)");
/// ```
pub struct Plaintext {
    buf: Vec<u8>,
    /// Where the body starts in `buf`; it runs to the end.
    start: usize,
}

impl Plaintext {
    /// Copies `bytes` into a new zeroizing buffer of exactly that size.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut v = Vec::with_capacity(bytes.len());
        v.extend_from_slice(bytes);
        Plaintext { buf: v, start: 0 }
    }

    /// Takes a buffer whose whole capacity will be wiped on drop; the body
    /// is `v[start..]` (empty if `start` is past the end).
    pub(crate) fn from_vec_at(v: Vec<u8>, start: usize) -> Self {
        Plaintext { buf: v, start }
    }

    /// The plaintext bytes. Call this only where the content is needed.
    pub fn expose(&self) -> &[u8] {
        self.buf.get(self.start..).unwrap_or_default()
    }

    /// The plaintext as UTF-8 text, if it is.
    pub fn expose_str(&self) -> Option<&str> {
        core::str::from_utf8(self.expose()).ok()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.expose().len()
    }

    /// Whether the plaintext is empty.
    pub fn is_empty(&self) -> bool {
        self.expose().is_empty()
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        // The contents and the spare capacity, each with one bulk fill
        // behind an optimization barrier (`Vec::zeroize` writes the contents
        // one volatile byte at a time, several times slower for a message).
        zeroize::zeroize_bytes(&mut self.buf);
        self.buf.spare_capacity_mut().zeroize();
        self.buf.clear();
    }
}

impl fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Plaintext(<redacted>)")
    }
}

impl PartialEq for Plaintext {
    /// Constant-time comparison.
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.expose(), other.expose())
    }
}

impl Eq for Plaintext {}

impl ZeroizeOnDrop for Plaintext {}

#[cfg(test)]
mod tests {
    use super::*;

    secret_key! {
        /// test key
        struct TestKey;
    }

    #[test]
    fn a_body_after_metadata_is_all_that_is_exposed() {
        let p = Plaintext::from_vec_at(b"metaward 7".to_vec(), 4);
        assert_eq!(p.expose(), b"ward 7");
        assert_eq!(p.len(), 6);
        assert_eq!(p, Plaintext::from_slice(b"ward 7"));
        assert_eq!(p.expose_str(), Some("ward 7"));
        let past = Plaintext::from_vec_at(b"meta".to_vec(), 9);
        assert!(past.is_empty());
        assert_eq!(past.expose(), b"");
    }

    #[test]
    fn debug_is_redacted() {
        let k = TestKey::from_bytes([0xAB; 32]);
        assert_eq!(format!("{k:?}"), "TestKey(<redacted>)");
        let p = Plaintext::from_slice(b"NHS 943 476 5919");
        let s = format!("{p:?}");
        assert!(!s.contains("943"));
    }

    #[test]
    fn plaintexts_are_equal_only_with_the_same_body() {
        let a = Plaintext::from_slice(b"ward 7");
        assert_eq!(a, Plaintext::from_slice(b"ward 7"));
        assert_ne!(a, Plaintext::from_slice(b"ward 8"));
        assert_ne!(a, Plaintext::from_slice(b"ward"));
        assert_ne!(a, Plaintext::from_slice(b""));
        // The metadata before the body is not compared.
        assert_eq!(Plaintext::from_vec_at(b"xxward 7".to_vec(), 2), a);
    }

    #[test]
    fn ct_eq_compares() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    #[test]
    fn plaintext_capacity_is_exact() {
        let p = Plaintext::from_slice(&[7u8; 100]);
        assert_eq!(p.buf.capacity(), 100);
        assert_eq!(p.len(), 100);
        assert!(!p.is_empty());
        assert_eq!(p.expose_str(), Some(&"\u{7}".repeat(100)[..]));
    }
}
