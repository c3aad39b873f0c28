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
        #[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
        $vis struct $name([u8; 32]);

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
/// stale copy is left behind by a reallocation.
///
/// ```
/// # use bleep::Plaintext;
/// let p = Plaintext::from_slice(b"bed 4 needs review");
/// assert_eq!(p.expose(), b"bed 4 needs review");
/// assert_eq!(format!("{p:?}"), "Plaintext(<redacted>)");
/// ```
pub struct Plaintext(Vec<u8>);

impl Plaintext {
    /// Copies `bytes` into a new zeroizing buffer of exactly that size.
    pub fn from_slice(bytes: &[u8]) -> Self {
        let mut v = Vec::with_capacity(bytes.len());
        v.extend_from_slice(bytes);
        Plaintext(v)
    }

    /// Takes a buffer whose whole capacity will be wiped on drop.
    pub(crate) fn from_vec(v: Vec<u8>) -> Self {
        Plaintext(v)
    }

    /// The plaintext bytes. Call this only where the content is needed.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The plaintext as UTF-8 text, if it is.
    pub fn expose_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.0).ok()
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the plaintext is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Plaintext {
    fn drop(&mut self) {
        // `Vec::zeroize` wipes the spare capacity as well as the contents.
        self.0.zeroize();
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
        ct_eq(&self.0, &other.0)
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
    fn debug_is_redacted() {
        let k = TestKey::from_bytes([0xAB; 32]);
        assert_eq!(format!("{k:?}"), "TestKey(<redacted>)");
        let p = Plaintext::from_slice(b"NHS 943 476 5919");
        let s = format!("{p:?}");
        assert!(!s.contains("943"));
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
        assert_eq!(p.0.capacity(), 100);
        assert_eq!(p.len(), 100);
        assert!(!p.is_empty());
        assert_eq!(p.expose_str(), Some(&"\u{7}".repeat(100)[..]));
    }
}
