//! Safety numbers and QR payloads: the codes two clinicians compare face to
//! face.
//!
//! Provides: a numeric fingerprint of a *pair* of identities that is the
//! same on both phones, built as Signal's numeric fingerprint (iterated
//! SHA-512 over a version, the key bytes and a stable id), and a QR payload
//! one phone shows and the other scans and compares in constant time. If
//! the two clinicians see the same number (or the scan succeeds), each
//! holds the other's real identity key: a machine in the middle would have
//! had to substitute keys, which changes the number.
//!
//! Where it ends: the comparison is only as good as the people doing it. A
//! safety number read out over a channel the attacker controls proves
//! nothing; the module cannot tell how the comparison was made.

use crate::error::{DecodeError, Result, TrustError};
use crate::identity::{IdentityKey, PeerId};
use crate::secret::ct_eq;
use crate::wire::codec::Reader;
use core::fmt;
use sha2::{Digest, Sha512};

/// Version of the per-side fingerprint hash (Signal's numeric fingerprint
/// version), hashed first as a big-endian `u16`.
pub const FINGERPRINT_VERSION: u16 = 0;

/// SHA-512 iterations per side for bleep's safety numbers (Signal's
/// default: enough work to make searching for a colliding key costly, about
/// a millisecond on a phone).
pub const SAFETY_NUMBER_ITERATIONS: u32 = 5200;

/// Digits per side of a safety number.
pub const FINGERPRINT_DIGITS: usize = 30;

/// Version byte of the [`QrPayload`] encoding.
pub const QR_PAYLOAD_VERSION: u8 = 1;

/// Length of an encoded [`QrPayload`]: version and two 32-byte halves.
pub const QR_PAYLOAD_LEN: usize = 1 + 32 + 32;

/// Bytes of each side's hash carried in a QR payload.
const QR_HALF_LEN: usize = 32;

/// The iterated hash of one side: `h = version || key || id`, then
/// `iterations` times `h = SHA-512(h || key)` (at least once).
fn iterated_hash(key: &[u8], stable_id: &[u8], iterations: u32) -> [u8; 64] {
    let mut d = Sha512::new();
    d.update(FINGERPRINT_VERSION.to_be_bytes());
    d.update(key);
    d.update(stable_id);
    d.update(key);
    let mut hash: [u8; 64] = d.finalize().into();
    for _ in 1..iterations {
        let mut d = Sha512::new();
        d.update(hash);
        d.update(key);
        hash = d.finalize().into();
    }
    hash
}

/// The first 30 bytes of `hash` as six 5-digit groups: each 5-byte chunk
/// read as a 40-bit big-endian integer, reduced mod 100000, zero-padded.
fn digits(hash: &[u8; 64]) -> [u8; FINGERPRINT_DIGITS] {
    let mut out = [b'0'; FINGERPRINT_DIGITS];
    for (dst, chunk) in out.chunks_exact_mut(5).zip(hash.chunks_exact(5)) {
        let mut v = chunk.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b)) % 100_000;
        for d in dst.iter_mut().rev() {
            *d = b'0' + u8::try_from(v % 10).unwrap_or(0);
            v /= 10;
        }
    }
    out
}

/// One side of a numeric fingerprint: 30 decimal digits computed from raw
/// public key bytes, a stable identifier and an iteration count, exactly
/// as Signal's numeric fingerprint (version 0) computes each side.
///
/// An `iterations` of 0 is treated as 1. bleep's own safety numbers use
/// [`SafetyNumber::new`] (the Ed25519 key, the peer id and
/// [`SAFETY_NUMBER_ITERATIONS`]); this function exists so the construction
/// can be checked against Signal's published vectors, whose key bytes
/// carry a `0x05` type prefix.
///
/// ```
/// let side = bleep::numeric_fingerprint(&[0x05; 33], b"+14152222222", 2);
/// assert_eq!(side.len(), 30);
/// assert!(side.bytes().all(|b| b.is_ascii_digit()));
/// ```
pub fn numeric_fingerprint(key: &[u8], stable_id: &[u8], iterations: u32) -> String {
    let d = digits(&iterated_hash(key, stable_id, iterations));
    d.iter().map(|b| char::from(*b)).collect()
}

#[derive(Clone, Debug)]
struct Side {
    digits: [u8; FINGERPRINT_DIGITS],
    scan: [u8; QR_HALF_LEN],
}

impl Side {
    fn new(id: &PeerId, key: &IdentityKey) -> Self {
        let hash = iterated_hash(
            key.ed25519_bytes(),
            id.as_str().as_bytes(),
            SAFETY_NUMBER_ITERATIONS,
        );
        let mut scan = [0u8; QR_HALF_LEN];
        scan.copy_from_slice(hash.get(..QR_HALF_LEN).unwrap_or(&[0; QR_HALF_LEN]));
        Side {
            digits: digits(&hash),
            scan,
        }
    }
}

/// The safety number of a pair of identities: 60 digits, shown as 12
/// groups of 5, identical on both phones.
///
/// ```
/// use bleep::{IdentityKeyPair, PeerId, SafetyNumber};
/// let mut rng = rand::rng();
/// let (alice, bob) = (IdentityKeyPair::generate(&mut rng), IdentityKeyPair::generate(&mut rng));
/// let (a_id, b_id) = (PeerId::new("alice")?, PeerId::new("bob")?);
/// // Each phone computes it from its own side.
/// let on_alices_phone = SafetyNumber::new(&a_id, alice.public(), &b_id, bob.public());
/// let on_bobs_phone = SafetyNumber::new(&b_id, bob.public(), &a_id, alice.public());
/// assert_eq!(on_alices_phone.to_string(), on_bobs_phone.to_string());
/// assert_eq!(on_alices_phone.to_string().split(' ').count(), 12);
///
/// // Or Bob's phone shows a QR code and Alice's phone scans it.
/// let qr = on_bobs_phone.qr_payload().to_bytes();
/// on_alices_phone.check_scanned(&qr)?;
/// # Ok::<(), bleep::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SafetyNumber {
    local: Side,
    remote: Side,
    remote_peer: PeerId,
    remote_key: IdentityKey,
}

impl SafetyNumber {
    /// Computes the safety number between our identity and the peer's.
    pub fn new(
        local_id: &PeerId,
        local_key: &IdentityKey,
        remote_id: &PeerId,
        remote_key: &IdentityKey,
    ) -> Self {
        SafetyNumber {
            local: Side::new(local_id, local_key),
            remote: Side::new(remote_id, remote_key),
            remote_peer: remote_id.clone(),
            remote_key: remote_key.clone(),
        }
    }

    /// The 60 digits without spaces: the lower of the two 30-digit halves
    /// first, so both phones agree.
    pub fn digits(&self) -> String {
        let (a, b) = if self.local.digits <= self.remote.digits {
            (&self.local.digits, &self.remote.digits)
        } else {
            (&self.remote.digits, &self.local.digits)
        };
        a.iter().chain(b.iter()).map(|d| char::from(*d)).collect()
    }

    /// The peer this number verifies.
    pub fn peer(&self) -> &PeerId {
        &self.remote_peer
    }

    /// The peer identity key this number was computed over.
    pub fn peer_key(&self) -> &IdentityKey {
        &self.remote_key
    }

    /// The payload this phone shows as a QR code for the peer to scan.
    pub fn qr_payload(&self) -> QrPayload {
        QrPayload {
            presenter: self.local.scan,
            scanner: self.remote.scan,
        }
    }

    /// Checks a payload scanned from the peer's phone, in constant time.
    ///
    /// Errors: [`crate::Error::Decode`] for garbage or a wrong length,
    /// [`DecodeError::UnknownVersion`] for another payload version, and
    /// [`TrustError::SafetyNumberMismatch`] for a payload of another pair of
    /// identities (including our own code scanned back).
    pub fn check_scanned(&self, scanned: &[u8]) -> Result<()> {
        let payload = QrPayload::from_bytes(scanned)?;
        let mut expected = [0u8; 2 * QR_HALF_LEN];
        let (a, b) = expected.split_at_mut(QR_HALF_LEN);
        a.copy_from_slice(&self.remote.scan);
        b.copy_from_slice(&self.local.scan);
        let mut got = [0u8; 2 * QR_HALF_LEN];
        let (a, b) = got.split_at_mut(QR_HALF_LEN);
        a.copy_from_slice(&payload.presenter);
        b.copy_from_slice(&payload.scanner);
        if ct_eq(&expected, &got) {
            Ok(())
        } else {
            Err(TrustError::SafetyNumberMismatch.into())
        }
    }
}

impl PartialEq for SafetyNumber {
    /// Constant-time comparison of the displayed digits.
    fn eq(&self, other: &Self) -> bool {
        ct_eq(self.digits().as_bytes(), other.digits().as_bytes())
    }
}

impl Eq for SafetyNumber {}

impl fmt::Display for SafetyNumber {
    /// Twelve groups of five digits separated by spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.digits();
        for (i, group) in digits.as_bytes().chunks(5).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(core::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

/// What a QR code shows: `version || presenter's half || scanner's half`,
/// where each half is the first 32 bytes of that side's iterated hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QrPayload {
    presenter: [u8; QR_HALF_LEN],
    scanner: [u8; QR_HALF_LEN],
}

impl QrPayload {
    /// The versioned bytes to encode in the QR code.
    pub fn to_bytes(&self) -> [u8; QR_PAYLOAD_LEN] {
        let mut out = [0u8; QR_PAYLOAD_LEN];
        let (v, rest) = out.split_at_mut(1);
        v.copy_from_slice(&[QR_PAYLOAD_VERSION]);
        let (a, b) = rest.split_at_mut(QR_HALF_LEN);
        a.copy_from_slice(&self.presenter);
        b.copy_from_slice(&self.scanner);
        out
    }

    /// Parses scanned bytes (structure only; compare with
    /// [`SafetyNumber::check_scanned`]).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != QR_PAYLOAD_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let presenter = r.array()?;
        let scanner = r.array()?;
        r.finish()?;
        Ok(QrPayload { presenter, scanner })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdentityKeyPair;
    use crate::error::Error;

    // Signal's published numeric fingerprint vector (libsignal's fingerprint
    // tests): two Curve25519 identity keys with their 0x05 type prefix,
    // stable ids "+14152222222" and "+14153333333", 5200 iterations.
    const SIGNAL_ALICE_KEY: [u8; 33] = [
        0x05, 0x06, 0x86, 0x3b, 0xc6, 0x6d, 0x02, 0xb4, 0x0d, 0x27, 0xb8, 0xd4, 0x9c, 0xa7, 0xc0,
        0x9e, 0x92, 0x39, 0x23, 0x6f, 0x9d, 0x7d, 0x25, 0xd6, 0xfc, 0xca, 0x5c, 0xe1, 0x3c, 0x70,
        0x64, 0xd8, 0x68,
    ];
    const SIGNAL_BOB_KEY: [u8; 33] = [
        0x05, 0xf7, 0x81, 0xb6, 0xfb, 0x32, 0xfe, 0xd9, 0xba, 0x1c, 0xf2, 0xde, 0x97, 0x8d, 0x4d,
        0x5d, 0xa2, 0x8d, 0xc3, 0x40, 0x46, 0xae, 0x81, 0x44, 0x02, 0xb5, 0xc0, 0xdb, 0xd9, 0x6f,
        0xda, 0x90, 0x7b,
    ];
    const SIGNAL_DISPLAYABLE: &str = "300354477692869396892869876765458257569162576843440918079131";

    #[test]
    fn matches_signal_published_vector() {
        let a = numeric_fingerprint(&SIGNAL_ALICE_KEY, b"+14152222222", 5200);
        let b = numeric_fingerprint(&SIGNAL_BOB_KEY, b"+14153333333", 5200);
        let combined = if a <= b { a + &b } else { b + &a };
        assert_eq!(combined, SIGNAL_DISPLAYABLE);
    }

    #[test]
    fn iterations_zero_is_one_and_count_matters() {
        let one = numeric_fingerprint(b"k", b"id", 1);
        assert_eq!(numeric_fingerprint(b"k", b"id", 0), one);
        assert_ne!(numeric_fingerprint(b"k", b"id", 2), one);
        // One iteration is SHA-512(version || key || id || key).
        let mut d = Sha512::new();
        d.update([0u8, 0, b'k', b'i', b'd', b'k']);
        let h: [u8; 64] = d.finalize().into();
        let first = h[..5].iter().fold(0u64, |a, b| (a << 8) | u64::from(*b)) % 100_000;
        assert_eq!(one[..5], format!("{first:05}"));
    }

    fn pair() -> (PeerId, IdentityKey, PeerId, IdentityKey) {
        (
            PeerId::new("alice").unwrap(),
            IdentityKeyPair::from_seed_bytes([1; 32]).public().clone(),
            PeerId::new("bob").unwrap(),
            IdentityKeyPair::from_seed_bytes([2; 32]).public().clone(),
        )
    }

    #[test]
    fn both_sides_agree_and_display_in_twelve_groups() {
        let (ai, ak, bi, bk) = pair();
        let a = SafetyNumber::new(&ai, &ak, &bi, &bk);
        let b = SafetyNumber::new(&bi, &bk, &ai, &ak);
        assert_eq!(a, b);
        assert_eq!(a.digits(), b.digits());
        assert_eq!(a.digits().len(), 60);
        let shown = a.to_string();
        let groups: Vec<&str> = shown.split(' ').collect();
        assert_eq!(groups.len(), 12);
        assert!(groups.iter().all(|g| g.len() == 5));
        assert_eq!(shown.replace(' ', ""), a.digits());
        // Built from bleep's documented per-side construction.
        let side_a = numeric_fingerprint(ak.ed25519_bytes(), b"alice", 5200);
        let side_b = numeric_fingerprint(bk.ed25519_bytes(), b"bob", 5200);
        assert!(a.digits().contains(&side_a) && a.digits().contains(&side_b));
        assert_eq!(a.peer(), &bi);
        assert_eq!(a.peer_key(), &bk);
    }

    #[test]
    fn qr_scan_accepts_the_pair_and_rejects_others() {
        let (ai, ak, bi, bk) = pair();
        let a = SafetyNumber::new(&ai, &ak, &bi, &bk);
        let b = SafetyNumber::new(&bi, &bk, &ai, &ak);
        a.check_scanned(&b.qr_payload().to_bytes()).unwrap();
        b.check_scanned(&a.qr_payload().to_bytes()).unwrap();
        // Our own code scanned back is not the peer's.
        assert_eq!(
            a.check_scanned(&a.qr_payload().to_bytes()).unwrap_err(),
            Error::Trust(TrustError::SafetyNumberMismatch)
        );
        // A third party's code.
        let ck = IdentityKeyPair::from_seed_bytes([3; 32]).public().clone();
        let c = SafetyNumber::new(&bi, &ck, &ai, &ak);
        assert_eq!(
            a.check_scanned(&c.qr_payload().to_bytes()).unwrap_err(),
            Error::Trust(TrustError::SafetyNumberMismatch)
        );
    }

    #[test]
    fn qr_garbage_and_wrong_version_are_decode_errors() {
        let (ai, ak, bi, bk) = pair();
        let a = SafetyNumber::new(&ai, &ak, &bi, &bk);
        let b = SafetyNumber::new(&bi, &bk, &ai, &ak);
        let mut bytes = b.qr_payload().to_bytes();
        assert_eq!(bytes.len(), QR_PAYLOAD_LEN);
        assert_eq!(
            QrPayload::from_bytes(&bytes).unwrap(),
            b.qr_payload(),
            "round trip"
        );
        assert_eq!(
            a.check_scanned(&bytes[..64]).unwrap_err(),
            Error::Decode(DecodeError::Truncated)
        );
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(
            a.check_scanned(&long).unwrap_err(),
            Error::Decode(DecodeError::TrailingBytes)
        );
        assert_eq!(
            a.check_scanned(b"https://example.com").unwrap_err(),
            Error::Decode(DecodeError::UnknownVersion)
        );
        assert_eq!(
            a.check_scanned(&[]).unwrap_err(),
            Error::Decode(DecodeError::Truncated)
        );
        bytes[0] = 2;
        assert_eq!(
            a.check_scanned(&bytes).unwrap_err(),
            Error::Decode(DecodeError::UnknownVersion)
        );
    }
}
