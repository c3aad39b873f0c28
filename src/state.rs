//! Sealed state at rest: everything stateful, encrypted under a key the app
//! holds.
//!
//! Provides confidentiality and integrity of saved state against anyone who
//! reads or alters the storage but does not hold the [`StorageKey`]: an
//! identity, a prekey store, a session or a message vault is encoded in a
//! versioned format, then sealed with XChaCha20-Poly1305 under the storage
//! key with a fresh random 24-byte nonce, the format version and the state
//! type bound into the associated data. The plaintext encoding lives only
//! in zeroizing buffers that are sized once and encrypted in place.
//!
//! Where it ends: it does not stop an attacker with the storage key (keep it
//! in the platform keystore), and it does not detect *rollback*: an older
//! sealed state, restored from a backup, opens fine. The protocol is built
//! so that rollback is safe (see "Rollback" below), not so that it is
//! impossible.
//!
//! # The order that loses nothing
//!
//! Sending: encrypt, **save the sealed session**, then hand the envelope to
//! the transport. [`Session::encrypt_and_seal`] makes this the natural
//! order: the envelope is only released by [`SealedSend::state_saved`].
//! If the app crashes before the save, the envelope was never sent and the
//! old state is still consistent; after the save and before the transport
//! took it, the app simply sends a new message (the skipped counter is
//! harmless to the receiver).
//!
//! Receiving: decrypt, insert the message into the [`crate::MessageVault`]
//! and **save the sealed vault**, show the message if the vault says it is
//! [`crate::Stored::New`], **then save the sealed session**, then
//! acknowledge the envelope to the transport. A crash before the vault is
//! saved leaves the envelope unacknowledged and the old session able to
//! decrypt it again when the transport delivers it again; a crash between
//! the two saves has the old session decrypt it again and the vault
//! recognise its [`crate::MessageId`] as a [`crate::Stored::Duplicate`], so
//! it is shown once; a crash after both saves makes the session report the
//! re-delivery as [`crate::ProtocolError::DuplicateMessage`] (acknowledge
//! it, show nothing). Saving the session *before* the vault would, on a
//! crash between the saves, lose the message: no saved state could decrypt
//! it again.
//! [`Session::decrypt_and_seal`] returns both halves together.
//!
//! # Rollback
//!
//! A session restored from an older state derives the same message keys
//! again for the counters it re-uses. Each message still gets a fresh
//! random 24-byte nonce, so two different plaintexts never share a
//! XChaCha20 keystream (see `src/ratchet/message_key.rs`). The receiver
//! treats a repeated counter of a chain it already consumed as a duplicate,
//! so after a rollback the sender should expect the first re-used counters
//! to be refused by an up-to-date peer.
//!
//! # Errors, in the order they are checked
//!
//! Fewer than 2 bytes: [`DecodeError::Truncated`]. Unknown format version:
//! [`DecodeError::UnknownVersion`]. A type byte other than the requested
//! type (whether the caller asked for the wrong type or the byte was
//! altered): [`StateError::WrongType`], always, before any decryption.
//! Fewer than 42 bytes: [`DecodeError::Truncated`]. Wrong key or any other
//! altered byte (including a truncation past the minimum length):
//! [`StateError::Unseal`].
//!
//! ```
//! use bleep::*;
//! let mut rng = rand::rng();
//! let key = StorageKey::generate(&mut rng);
//! let me = IdentityKeyPair::generate(&mut rng);
//! let sealed = key.seal(&mut rng, &me);
//! let back: IdentityKeyPair = key.unseal(&sealed)?;
//! assert_eq!(back.public(), me.public());
//! assert_eq!(
//!     key.unseal::<Session>(&sealed).unwrap_err(),
//!     Error::State(StateError::WrongType)
//! );
//! # Ok::<(), bleep::Error>(())
//! ```

use crate::error::{DecodeError, Result, StateError};
use crate::handshake::PreKeyStore;
use crate::identity::IdentityKeyPair;
use crate::identity::VerifiedIdentity;
use crate::identity::keypair::IdentitySeed;
use crate::retention::MessageVault;
use crate::session::{EncryptedMessage, Session};
use crate::wire::codec::Reader;
use crate::wire::payload::{MessageId, OutgoingMessage, ReceivedMessage};
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use core::fmt;
use rand_core::CryptoRng;
use zeroize::Zeroizing;

/// The sealed-state format version this build writes and reads.
pub const SEALED_STATE_VERSION: u8 = 1;

/// Version byte of state sealed for a slot ([`StorageKey::seal_for`]): the
/// version-1 layout with the slot appended to the associated data.
pub const SEALED_STATE_VERSION_SLOT: u8 = 2;

/// Associated-data label of sealed state; followed by the version and type
/// bytes.
pub(crate) const LABEL_SEALED_STATE: &[u8] = b"bleep v1 sealed state";

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const HEADER_LEN: usize = 2 + NONCE_LEN;
/// The shortest well-formed sealed state: header and tag, empty plaintext.
const MIN_SEALED_LEN: usize = HEADER_LEN + TAG_LEN;

/// Which kind of state a sealed blob holds (its type byte).
///
/// The values are fixed by `docs/PROTOCOL.md` §10 and never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(u8)]
pub enum StateType {
    /// An [`IdentityKeyPair`] (its seed).
    IdentityKeyPair = 1,
    /// A [`PreKeyStore`].
    PreKeyStore = 2,
    /// A [`Session`].
    Session = 3,
    /// A [`crate::TrustStore`].
    TrustStore = 4,
    /// A [`crate::GroupSession`].
    GroupSession = 5,
    /// A [`MessageVault`].
    MessageVault = 6,
    /// A [`crate::Device`]'s record of one peer device: its address,
    /// current and archived sessions and unconfirmed sent messages.
    DevicePeer = 7,
    /// A [`crate::Device`]'s own settings: its address and schedules.
    DeviceSettings = 8,
    /// One message held in a [`crate::Device`]'s vault: its own row.
    DeviceVaultMessage = 9,
    /// One handled (filed, erased or purged) message id a
    /// [`crate::Device`] remembers to refuse a re-delivery: its own row.
    DeviceVaultHandled = 10,
    /// The archived sessions of one peer device of a [`crate::Device`].
    DeviceArchive = 11,
    /// The bundle a [`crate::Device`] keeps for one peer device.
    DeviceBundle = 12,
    /// One sent message a [`crate::Device`] has no delivery receipt for.
    DeviceSent = 13,
    /// A [`crate::Device`]'s record of one group: its group session, the
    /// members' device addresses and who is still owed its sender key.
    DeviceGroup = 14,
    /// A sender key a [`crate::Device`] received before the roster it
    /// belongs to, kept until that roster arrives.
    DevicePendingGroupKey = 15,
    /// The ratchet keys a [`crate::Device`] has received on from one peer
    /// device (truncated keyed hashes), to recognise very late duplicates.
    DeviceReceivedKeys = 16,
    /// A group message a [`crate::Device`] received before its sender's
    /// key, kept until that key arrives.
    DeviceWaitingGroupMessage = 17,
    /// The sent messages a [`crate::Device`] has no delivery receipt for
    /// that one commit moved out of a peer device's record, together.
    DeviceSentBatch = 18,
}

impl StateType {
    /// The type byte written into sealed state.
    pub fn tag(self) -> u8 {
        self as u8
    }
}

mod private {
    /// Only this crate can name this, so only this crate can implement or
    /// call the encoding methods of [`super::Sealable`].
    #[allow(unreachable_pub)]
    pub struct Token(pub(super) ());
}
use private::Token;

/// A type that can be sealed at rest with [`StorageKey::seal`].
///
/// Implemented by [`IdentityKeyPair`], [`PreKeyStore`], [`Session`] and
/// [`MessageVault`]. It cannot be implemented (or its encoding called)
/// outside this crate: the plaintext encoding never leaves unsealed.
pub trait Sealable: Sized {
    /// The type byte this state is sealed with.
    const STATE_TYPE: StateType;

    #[doc(hidden)]
    fn encode_state(&self, _: Token) -> Zeroizing<Vec<u8>>;

    #[doc(hidden)]
    fn decode_state(bytes: &[u8], _: Token) -> Result<Self>;
}

/// Makes a type with `pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>>`
/// and `pub(crate) fn decode(&[u8]) -> Result<Self>` sealable under `$tag`.
macro_rules! sealable {
    ($ty:ty, $tag:expr) => {
        impl $crate::state::Sealable for $ty {
            const STATE_TYPE: $crate::state::StateType = $tag;

            fn encode_state(&self, _: $crate::state::private::Token) -> Zeroizing<Vec<u8>> {
                self.encode()
            }

            fn decode_state(bytes: &[u8], _: $crate::state::private::Token) -> Result<Self> {
                <$ty>::decode(bytes)
            }
        }
    };
}

sealable!(PreKeyStore, StateType::PreKeyStore);
sealable!(Session, StateType::Session);
sealable!(MessageVault, StateType::MessageVault);
sealable!(crate::TrustStore, StateType::TrustStore);
sealable!(crate::group::GroupSession, StateType::GroupSession);
sealable!(crate::device::record::PeerRecord, StateType::DevicePeer);
sealable!(crate::device::record::Settings, StateType::DeviceSettings);
sealable!(crate::device::group::GroupRecord, StateType::DeviceGroup);
sealable!(
    crate::device::group::PendingKey,
    StateType::DevicePendingGroupKey
);

/// Version byte of the identity state encoding.
const IDENTITY_STATE_VERSION: u8 = 1;

impl IdentityKeyPair {
    /// `0x01 || seed (32)`: everything else is derived from the seed.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(33));
        out.push(IDENTITY_STATE_VERSION);
        out.extend_from_slice(self.seed().as_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != IDENTITY_STATE_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let seed = IdentitySeed::from_bytes(r.array()?);
        r.finish()?;
        Ok(IdentityKeyPair::from_seed(seed))
    }
}

sealable!(
    crate::device::group_waiting::WaitingMessage,
    StateType::DeviceWaitingGroupMessage
);
sealable!(IdentityKeyPair, StateType::IdentityKeyPair);

/// The app-held 32-byte key that seals all state at rest.
///
/// Keep it in the platform keystore (Android Keystore, iOS Keychain), never
/// next to the sealed bytes. It zeroizes on drop, never prints, and is not
/// `Clone`.
#[derive(zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct StorageKey([u8; 32]);

impl StorageKey {
    /// A fresh key from a cryptographic random number generator.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut k = StorageKey([0u8; 32]);
        rng.fill_bytes(&mut k.0);
        k
    }

    /// A key the app already holds (for example unwrapped from the
    /// platform keystore).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        StorageKey(bytes)
    }

    /// The key bytes, to hand to the platform keystore. Call this only
    /// for that: the key must not be stored next to the sealed state.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }

    fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Seals `state`: `version (1) || type (1) || nonce (24) ||
    /// ciphertext || tag (16)`. Draws the 24-byte nonce from `rng`.
    pub fn seal<T: Sealable>(&self, rng: &mut (impl CryptoRng + ?Sized), state: &T) -> Vec<u8> {
        let plain = state.encode_state(Token(()));
        self.seal_bytes(rng, T::STATE_TYPE, None, &plain)
    }

    /// Opens sealed bytes holding a `T`. The errors are listed in the
    /// [module documentation](crate::state#errors-in-the-order-they-are-checked).
    /// Bytes sealed for a slot ([`StorageKey::seal_for`]) are refused with
    /// [`StateError::WrongSlot`].
    pub fn unseal<T: Sealable>(&self, sealed: &[u8]) -> Result<T> {
        let plain = self.unseal_bytes(T::STATE_TYPE, None, sealed)?;
        T::decode_state(&plain, Token(()))
    }

    /// Seals `state` bound to `slot`: the app's name for where the bytes
    /// are kept (for a session, the peer's address, e.g.
    /// `b"session/dr.okafor/phone"`). Format version 2: the layout of
    /// [`StorageKey::seal`] with the slot bound into the associated data, so
    /// bytes moved to another slot (one peer's session swapped in for
    /// another's) do not open there.
    ///
    /// ```
    /// use bleep::*;
    /// let mut rng = rand::rng();
    /// let key = StorageKey::generate(&mut rng);
    /// let me = IdentityKeyPair::generate(&mut rng);
    /// let sealed = key.seal_for(&mut rng, b"identity/main", &me);
    /// let back: IdentityKeyPair = key.unseal_for(b"identity/main", &sealed)?;
    /// assert_eq!(back.public(), me.public());
    /// assert!(key.unseal_for::<IdentityKeyPair>(b"identity/other", &sealed).is_err());
    /// # Ok::<(), bleep::Error>(())
    /// ```
    pub fn seal_for<T: Sealable>(
        &self,
        rng: &mut (impl CryptoRng + ?Sized),
        slot: &[u8],
        state: &T,
    ) -> Vec<u8> {
        let plain = state.encode_state(Token(()));
        self.seal_bytes(rng, T::STATE_TYPE, Some(slot), &plain)
    }

    /// Opens bytes sealed by [`StorageKey::seal_for`] for `slot`. Errors as
    /// [`StorageKey::unseal`], plus [`StateError::WrongSlot`] for bytes
    /// sealed without a slot; bytes sealed for another slot fail to
    /// authenticate ([`StateError::Unseal`]).
    pub fn unseal_for<T: Sealable>(&self, slot: &[u8], sealed: &[u8]) -> Result<T> {
        let plain = self.unseal_bytes(T::STATE_TYPE, Some(slot), sealed)?;
        T::decode_state(&plain, Token(()))
    }

    /// Seals bytes a crate type encoded itself, for `slot`, as
    /// [`StorageKey::seal_for`] does for a [`Sealable`] type.
    pub(crate) fn seal_encoded_for(
        &self,
        rng: &mut (impl CryptoRng + ?Sized),
        ty: StateType,
        slot: &[u8],
        plain: &[u8],
    ) -> Vec<u8> {
        self.seal_bytes(rng, ty, Some(slot), plain)
    }

    /// Opens bytes sealed by [`StorageKey::seal_encoded_for`]; the caller
    /// decodes them.
    pub(crate) fn unseal_encoded_for(
        &self,
        ty: StateType,
        slot: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.unseal_bytes(ty, Some(slot), sealed)
    }

    fn seal_bytes(
        &self,
        rng: &mut (impl CryptoRng + ?Sized),
        ty: StateType,
        slot: Option<&[u8]>,
        plain: &[u8],
    ) -> Vec<u8> {
        let version = if slot.is_some() {
            SEALED_STATE_VERSION_SLOT
        } else {
            SEALED_STATE_VERSION
        };
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        // Sized once: the plaintext is copied in and encrypted in place, so
        // no reallocation leaves a plaintext copy behind.
        let mut out = Vec::with_capacity(HEADER_LEN + plain.len() + TAG_LEN);
        out.push(version);
        out.push(ty.tag());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plain);
        let aead = XChaCha20Poly1305::new(self.as_bytes().into());
        let tag = with_associated_data(version, ty.tag(), slot, |ad| {
            match out.get_mut(HEADER_LEN..) {
                Some(body) => aead.encrypt_inout_detached((&nonce).into(), ad, body.into()),
                None => Err(chacha20poly1305::aead::Error),
            }
        });
        match tag {
            Ok(tag) => out.extend_from_slice(&tag),
            // Only possible beyond 256 GiB; never leave plaintext behind.
            Err(_) => {
                zeroize::Zeroize::zeroize(&mut out);
                out.clear();
            }
        }
        out
    }

    fn unseal_bytes(
        &self,
        ty: StateType,
        slot: Option<&[u8]>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let mut r = Reader::new(sealed);
        let version = r.u8()?;
        let found = r.u8()?;
        match (version, slot) {
            (SEALED_STATE_VERSION, None) | (SEALED_STATE_VERSION_SLOT, Some(_)) => {}
            (SEALED_STATE_VERSION | SEALED_STATE_VERSION_SLOT, _) => {
                return Err(StateError::WrongSlot.into());
            }
            _ => return Err(DecodeError::UnknownVersion.into()),
        }
        if found != ty.tag() {
            return Err(StateError::WrongType.into());
        }
        if sealed.len() < MIN_SEALED_LEN {
            return Err(DecodeError::Truncated.into());
        }
        let nonce: [u8; NONCE_LEN] = r.array()?;
        let rest = r.rest();
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        let tag: [u8; TAG_LEN] = tag.try_into().map_err(|_| DecodeError::Truncated)?;
        let mut buf = Zeroizing::new(Vec::with_capacity(ct.len()));
        buf.extend_from_slice(ct);
        let aead = XChaCha20Poly1305::new(self.as_bytes().into());
        with_associated_data(version, found, slot, |ad| {
            aead.decrypt_inout_detached(
                (&nonce).into(),
                ad,
                buf.as_mut_slice().into(),
                (&tag).into(),
            )
        })
        .map_err(|_| StateError::Unseal)?;
        Ok(buf)
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageKey(<redacted>)")
    }
}

/// Calls `f` with `label || version || type`, then for version 2 `slot`:
/// the slot is the last field, so its length needs no prefix to be
/// unambiguous. Built on the stack when it fits (every row name a device
/// uses does), so a seal allocates nothing for it.
fn with_associated_data<R>(
    version: u8,
    ty: u8,
    slot: Option<&[u8]>,
    f: impl FnOnce(&[u8]) -> R,
) -> R {
    const STACK_AD: usize = 128;
    let slot = slot.unwrap_or_default();
    let len = LABEL_SEALED_STATE.len() + 2 + slot.len();
    let mut stack = [0u8; STACK_AD];
    let mut heap = Vec::new();
    let ad: &mut [u8] = match stack.get_mut(..len) {
        Some(ad) => ad,
        None => {
            heap.resize(len, 0);
            &mut heap
        }
    };
    let (label, rest) = ad.split_at_mut(LABEL_SEALED_STATE.len());
    label.copy_from_slice(LABEL_SEALED_STATE);
    let (head, tail) = rest.split_at_mut(2);
    head.copy_from_slice(&[version, ty]);
    tail.copy_from_slice(slot);
    f(ad)
}

/// A message encrypted by [`Session::encrypt_and_seal`], held back until the
/// app confirms it saved the advanced session.
pub struct SealedSend {
    state: Vec<u8>,
    message: EncryptedMessage,
}

impl SealedSend {
    /// The sealed session state to save (durably) before sending.
    pub fn sealed_state(&self) -> &[u8] {
        &self.state
    }

    /// The id the receiver will see.
    pub fn id(&self) -> MessageId {
        self.message.id
    }

    /// Releases the envelope. Call only once [`SealedSend::sealed_state`]
    /// is durably saved: sending first risks a state that, after a crash,
    /// re-uses the message counter the peer has already consumed.
    pub fn state_saved(self) -> EncryptedMessage {
        self.message
    }
}

impl fmt::Debug for SealedSend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealedSend")
            .field("id", &self.message.id)
            .field("sealed_state_len", &self.state.len())
            .finish()
    }
}

impl Session {
    /// [`Session::encrypt`], then seals the advanced session under `key`.
    /// Save [`SealedSend::sealed_state`], then take the envelope with
    /// [`SealedSend::state_saved`] and send it. Draws from `rng` as
    /// [`Session::encrypt`] does, then 24 bytes for the sealing nonce.
    ///
    /// ```
    /// # use bleep::*;
    /// # fn demo(session: &mut Session, trust: &mut TrustStore, peer: &PeerId, key: &StorageKey, disk: &mut Vec<u8>) -> Result<Vec<u8>> {
    /// let mut rng = rand::rng();
    /// let now = 1_700_000_000;
    /// let proof = trust.check_at(peer, session.peer_identity(), now)?; // trust, now
    /// let pending = session.encrypt_and_seal(&mut rng, key, proof, OutgoingMessage::new(b"2 units O neg to theatre", now))?;
    /// *disk = pending.sealed_state().to_vec(); // durably, before sending
    /// let message = pending.state_saved();
    /// Ok(message.envelope) // now hand this to the transport
    /// # }
    /// ```
    pub fn encrypt_and_seal(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        key: &StorageKey,
        peer: VerifiedIdentity,
        message: OutgoingMessage<'_>,
    ) -> Result<SealedSend> {
        let message = self.encrypt(rng, peer, message)?;
        let state = key.seal(rng, &*self);
        Ok(SealedSend { state, message })
    }

    /// [`Session::decrypt`], then seals the advanced session under `key`.
    /// Insert the message into the vault and save the vault, then save the
    /// returned sealed session, then acknowledge the envelope. On error the
    /// session is unchanged and nothing is sealed.
    pub fn decrypt_and_seal(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        key: &StorageKey,
        peer: VerifiedIdentity,
        envelope: &[u8],
        now: u64,
    ) -> Result<(ReceivedMessage, Vec<u8>)> {
        let message = self.decrypt(peer, envelope, now)?;
        let state = key.seal(rng, &*self);
        Ok((message, state))
    }
}

/// Decodes the *unsealed* state encoding of type `ty` and discards it.
/// A fuzzing hook for the state decoders, not an API: returns whether the
/// bytes decoded.
#[doc(hidden)]
pub fn fuzz_decode_state(ty: u8, bytes: &[u8]) -> bool {
    match ty % 4 {
        0 => IdentityKeyPair::decode(bytes).is_ok(),
        1 => PreKeyStore::decode(bytes).is_ok(),
        2 => Session::decode(bytes).is_ok(),
        _ => MessageVault::decode(bytes).is_ok(),
    }
}

/// Decodes arbitrary bytes as one of the device layer's own row encodings
/// (`docs/PROTOCOL.md` §12.4), without the AEAD. A fuzzing hook, not an
/// API: `ty` picks peer record, settings, archive, kept bundle, sent id,
/// vault message, handled id or received ratchet keys (`ty % 8`), a
/// waiting group message (`ty == 0xff`) or a batch of sent ids (`ty ==
/// 0xfe`); returns whether the bytes decoded.
#[doc(hidden)]
pub fn fuzz_decode_device_row(ty: u8, bytes: &[u8]) -> bool {
    use crate::device::record;
    if ty == 0xff {
        return crate::device::group_waiting::WaitingMessage::decode(bytes).is_ok();
    }
    if ty == 0xfe {
        return record::decode_sent_batch(bytes).is_ok();
    }
    match ty % 8 {
        0 => record::PeerRecord::decode(bytes).is_ok(),
        1 => record::Settings::decode(bytes).is_ok(),
        2 => record::decode_archive(bytes).is_ok(),
        3 => record::decode_bundle(bytes).is_ok(),
        4 => record::decode_sent(bytes).is_ok(),
        5 => MessageVault::new().restore_message(bytes).is_ok(),
        6 => {
            let mut r = Reader::new(bytes);
            crate::MessageRef::read(&mut r).is_ok() && r.finish().is_ok()
        }
        _ => crate::device::ReceivedKeys::decode(bytes).is_ok(),
    }
}

/// Decodes an *unsealed* trust store encoding and re-encodes it. A fuzzing
/// hook, not an API (a decoded store is never handed out: trust comes only
/// from sealed state): `None` if the bytes do not decode, else whether a
/// second decode of the re-encoding gives the same store and, for input of
/// the current version, the re-encoding is the input exactly.
#[doc(hidden)]
pub fn fuzz_trust_store_round_trip(bytes: &[u8]) -> Option<bool> {
    let store = crate::TrustStore::decode(bytes).ok()?;
    let again = crate::TrustStore::decode(&store.to_bytes()).ok()?;
    // An older version loads and is written back in the current one, so
    // only current-version input must come back byte for byte.
    let current = bytes.first() == Some(&crate::TRUST_STORE_VERSION);
    Some((!current || store.to_bytes() == bytes) && again == store)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn setup() -> (StorageKey, IdentityKeyPair, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(10);
        let key = StorageKey::generate(&mut rng);
        let id = IdentityKeyPair::generate(&mut rng);
        (key, id, rng)
    }

    #[test]
    fn label_and_tags_are_pinned() {
        assert_eq!(LABEL_SEALED_STATE, b"bleep v1 sealed state");
        let tags = [
            StateType::IdentityKeyPair,
            StateType::PreKeyStore,
            StateType::Session,
            StateType::TrustStore,
            StateType::GroupSession,
            StateType::MessageVault,
        ]
        .map(StateType::tag);
        assert_eq!(tags, [1, 2, 3, 4, 5, 6]);
        assert_eq!(SEALED_STATE_VERSION, 1);
    }

    /// Opens `sealed` directly with XChaCha20-Poly1305 under the documented
    /// associated data `label || version_and_type || slot`, panicking if it
    /// does not authenticate.
    fn open_with_ad(
        key: &StorageKey,
        sealed: &[u8],
        version_and_type: &[u8],
        slot: &[u8],
    ) -> Vec<u8> {
        let aead = XChaCha20Poly1305::new(key.as_bytes().into());
        let mut ad = b"bleep v1 sealed state".to_vec();
        ad.extend_from_slice(version_and_type);
        ad.extend_from_slice(slot);
        let mut body = sealed[26..sealed.len() - 16].to_vec();
        let nonce: [u8; 24] = sealed[2..26].try_into().unwrap();
        let tag: [u8; 16] = sealed[sealed.len() - 16..].try_into().unwrap();
        aead.decrypt_inout_detached(
            (&nonce).into(),
            &ad,
            body.as_mut_slice().into(),
            (&tag).into(),
        )
        .unwrap();
        body
    }

    #[test]
    fn layout_and_round_trip() {
        let (key, id, mut rng) = setup();
        let sealed = key.seal(&mut rng, &id);
        assert_eq!(sealed.len(), MIN_SEALED_LEN + 33);
        assert_eq!(&sealed[..2], &[1, 1]);
        let back: IdentityKeyPair = key.unseal(&sealed).unwrap();
        assert_eq!(back.public(), id.public());
        // Fresh nonce each time.
        let again = key.seal(&mut rng, &id);
        assert_ne!(sealed[2..26], again[2..26]);
        // The AEAD is XChaCha20-Poly1305 with the documented AD.
        let body = open_with_ad(&key, &sealed, &[1, 1], &[]);
        assert_eq!(body[0], 1);
        assert_eq!(&body[1..], id.seed().as_bytes());
    }

    #[test]
    fn slots_of_every_length_bind_with_the_documented_ad() {
        // Short slots build their associated data on the stack, long ones
        // on the heap: both are `label || 2 || type || slot`.
        let (key, id, mut rng) = setup();
        for len in [0usize, 1, 40, 104, 105, 106, 107, 300] {
            let slot: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let sealed = key.seal_for(&mut rng, &slot, &id);
            let back: IdentityKeyPair = key.unseal_for(&slot, &sealed).unwrap();
            assert_eq!(back.public(), id.public());
            let mut other = slot.clone();
            other.push(0);
            assert_eq!(
                key.unseal_for::<IdentityKeyPair>(&other, &sealed)
                    .unwrap_err(),
                Error::State(StateError::Unseal),
                "slot length {len}"
            );
            open_with_ad(&key, &sealed, &[2, 1], &slot);
        }
    }

    #[test]
    fn trust_store_fuzz_hook_accepts_an_upgraded_version_1_store() {
        // Found by the trust_store fuzz target: an empty version-1 store.
        assert_eq!(
            fuzz_trust_store_round_trip(&[1, 2, 0, 0, 0, 0, 0, 0, 0, 0]),
            Some(true)
        );
        let v2 = crate::TrustStore::new(crate::TrustPolicy::TrustOnFirstUse).to_bytes();
        assert_eq!(fuzz_trust_store_round_trip(&v2), Some(true));
        assert_eq!(fuzz_trust_store_round_trip(&[9]), None);
    }

    #[test]
    fn every_failure_has_its_own_error() {
        let (key, id, mut rng) = setup();
        let sealed = key.seal(&mut rng, &id);
        let other = StorageKey::generate(&mut rng);
        let unseal = |k: &StorageKey, b: &[u8]| k.unseal::<IdentityKeyPair>(b).unwrap_err();
        assert_eq!(unseal(&other, &sealed), Error::State(StateError::Unseal));
        for i in 0..sealed.len() {
            let mut t = sealed.clone();
            t[i] ^= 0x01;
            let want = match i {
                0 => DecodeError::UnknownVersion.into(),
                1 => StateError::WrongType.into(),
                _ => Error::State(StateError::Unseal),
            };
            assert_eq!(unseal(&key, &t), want, "byte {i}");
        }
        for cut in 0..sealed.len() {
            let want = match cut {
                0..=41 => DecodeError::Truncated.into(),
                _ => Error::State(StateError::Unseal),
            };
            assert_eq!(unseal(&key, &sealed[..cut]), want, "cut {cut}");
        }
        let mut v2 = sealed.clone();
        v2[0] = SEALED_STATE_VERSION_SLOT;
        assert_eq!(unseal(&key, &v2), StateError::WrongSlot.into());
        v2[0] = SEALED_STATE_VERSION_SLOT + 1;
        assert_eq!(unseal(&key, &v2), DecodeError::UnknownVersion.into());
        assert_eq!(
            key.unseal::<Session>(&sealed).unwrap_err(),
            StateError::WrongType.into()
        );
        // A type byte changed to the requested type still fails: the type
        // is bound into the associated data.
        let mut relabelled = sealed.clone();
        relabelled[1] = StateType::Session.tag();
        assert_eq!(
            key.unseal::<Session>(&relabelled).unwrap_err(),
            StateError::Unseal.into()
        );
    }

    #[test]
    fn prekey_store_seals() {
        let (key, id, mut rng) = setup();
        let mut store = PreKeyStore::new(&mut rng, &id);
        store.generate_one_time_prekeys(&mut rng, 3).unwrap();
        let sealed = key.seal(&mut rng, &store);
        assert_eq!(sealed[1], 2);
        let back: PreKeyStore = key.unseal(&sealed).unwrap();
        assert_eq!(back.bundle(), store.bundle());
    }

    /// The plaintext encodings are written into a buffer allocated once at
    /// exactly their length: a buffer that grew would leave a copy of the
    /// secrets in freed memory (PROTOCOL §10.2).
    #[test]
    fn state_encodings_are_allocated_at_their_exact_length() {
        let (_, id, mut rng) = setup();
        let bytes = id.encode();
        assert_eq!((bytes.len(), bytes.capacity()), (33, 33));
        let mut store = PreKeyStore::new(&mut rng, &id);
        // One to three signed prekeys (the limit), none to 45 one-time.
        for (rotations, one_time) in [(0, 0), (0, 5), (1, 0), (1, 40), (3, 0)] {
            for _ in 0..rotations {
                store.rotate_signed_prekey(&mut rng, &id);
            }
            store.generate_one_time_prekeys(&mut rng, one_time).unwrap();
            let bytes = store.encode();
            assert_eq!(bytes.capacity(), bytes.len(), "{rotations} rotations");
        }
    }

    #[test]
    fn identity_decoder_is_strict() {
        let (_, id, _) = setup();
        let bytes = id.encode();
        assert!(IdentityKeyPair::decode(&bytes).is_ok());
        assert_eq!(
            IdentityKeyPair::decode(&bytes[..32]).unwrap_err(),
            DecodeError::Truncated.into()
        );
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(
            IdentityKeyPair::decode(&long).unwrap_err(),
            DecodeError::TrailingBytes.into()
        );
        let mut v = bytes.to_vec();
        v[0] = 9;
        assert_eq!(
            IdentityKeyPair::decode(&v).unwrap_err(),
            DecodeError::UnknownVersion.into()
        );
    }

    #[test]
    fn key_debug_is_redacted() {
        let k = StorageKey::from_bytes([0x5a; 32]);
        assert_eq!(format!("{k:?}"), "StorageKey(<redacted>)");
        assert_eq!(k.expose(), &[0x5a; 32]);
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let g = StorageKey::generate(&mut rng);
        let again = StorageKey::from_bytes(*g.expose());
        let sealed = g.seal(&mut rng, &IdentityKeyPair::from_seed_bytes([3; 32]));
        assert!(again.unseal::<IdentityKeyPair>(&sealed).is_ok());
    }

    #[test]
    fn fuzz_hook_accepts_valid_and_rejects_garbage() {
        let (_, id, _) = setup();
        assert!(fuzz_decode_state(0, &id.encode()));
        assert!(!fuzz_decode_state(2, &id.encode()));
        for ty in 0..4 {
            assert!(!fuzz_decode_state(ty, &[]));
            assert!(!fuzz_decode_state(ty, &[1, 0xff, 0xff]));
        }
    }
}
