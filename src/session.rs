//! The 1:1 session an app holds for each conversation.
//!
//! A session starts only from a [`VerifiedIdentity`] (the trust store's
//! proof), runs PQXDH (X3DH only where the app explicitly allows a
//! classical session, see [`HandshakePolicy`]) and then the Double
//! Ratchet, and seals every message in the versioned [`Envelope`]. Every failed decrypt leaves the session
//! exactly as it was; [`Session::state_digest`] lets tests and apps check.
//!
//! Order of operations that loses nothing: after [`Session::encrypt`] and
//! after a successful [`Session::decrypt`], persist the session *before*
//! the envelope leaves the app or the plaintext is acknowledged.

use crate::error::{DecodeError, ProtocolError, Result, TrustError};
use crate::handshake::prekey::X25519KeyPair;
use crate::handshake::x3dh::{self, AD_LEN};
use crate::handshake::{PreKeyBundle, PreKeyStore};
use crate::identity::{IdentityKey, IdentityKeyPair, VerifiedIdentity};
use crate::limits::{MAX_RETIRED_CHAINS, MAX_SKIPPED_TOTAL};
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::header::HEADER_LEN;
use crate::ratchet::message_key::{MessageKey, NONCE_LEN, TAG_LEN};
use crate::ratchet::root_key::RootKey;
use crate::ratchet::skipped::{SkippedChain, SkippedKeys};
use crate::ratchet::{Ratchet, ReceivingChain, SendingChain};
use crate::suite::CipherSuite;
use crate::wire::codec::{Reader, len_u16};
use crate::wire::envelope::{
    ENVELOPE_VERSION, ENVELOPE_VERSION_CLASSICAL, ENVELOPE_VERSION_SUITE, Envelope, KIND_MESSAGE,
    KIND_PREKEY, MAX_PREFIX_LEN, PreKeyPart,
};
use crate::wire::payload::{self, MessageId, OutgoingMessage, ReceivedMessage};
use core::fmt;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use x25519_dalek::PublicKey;
use zeroize::Zeroizing;

/// Version byte of the session state encoding (version 1, from before
/// PQXDH, is still read: it loads as a classical session).
const STATE_VERSION: u8 = 2;
const STATE_VERSION_1: u8 = 1;

/// Which handshake started a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandshakeKind {
    /// PQXDH: X25519 and ML-KEM-1024. The default, and the only kind two
    /// current versions start between themselves.
    PostQuantum,
    /// Classical X3DH: only with a peer that published no ML-KEM prekeys,
    /// where the app allowed it ([`HandshakePolicy::AllowClassical`]), or
    /// a session loaded from the version-1 state encoding. Its messages
    /// can be decrypted by an attacker who records them now and breaks
    /// X25519 later; an app should show it.
    Classical,
}

/// Whether a session may start with a classical (X3DH-only) handshake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HandshakePolicy {
    /// Refuse a bundle or prekey message without ML-KEM prekeys
    /// ([`ProtocolError::PostQuantumRequired`]). The default.
    #[default]
    RequirePostQuantum,
    /// Use PQXDH whenever the peer offers it, and X3DH with a peer (an
    /// older version) that does not. A stripped KEM part still never
    /// yields a session: the handshake secret then differs and the first
    /// message fails to authenticate.
    AllowClassical,
}

/// An encrypted message ready to send.
#[derive(Debug)]
pub struct EncryptedMessage {
    /// The id the receiver will see in [`crate::MessageInfo::id`].
    pub id: MessageId,
    /// The envelope bytes to hand to the transport.
    pub envelope: Vec<u8>,
}

/// A Double Ratchet session with one peer.
///
/// ```
/// use bleep::*;
/// let mut rng = rand::rng();
/// let (alice, bob) = (IdentityKeyPair::generate(&mut rng), IdentityKeyPair::generate(&mut rng));
/// let mut bob_prekeys = PreKeyStore::new(&mut rng, &bob);
/// bob_prekeys.generate_one_time_prekeys(&mut rng, 5)?;
/// let bundle = PreKeyBundle::from_bytes(&bob_prekeys.bundle().to_bytes())?;
///
/// // Each side's trust store must accept the other before a session starts.
/// let mut alice_trust = TrustStore::new(TrustPolicy::RequireVerified);
/// let bob_id = PeerId::new("bob")?;
/// alice_trust.mark_verified(&bob_id, bundle.identity(), VerificationMethod::QrCode, 0)?;
/// let verified_bob = alice_trust.check(&bob_id, bundle.identity())?;
/// let mut a = Session::initiate(&mut rng, &alice, &verified_bob, &bundle)?;
/// // Every send and receive consumes a fresh proof from the trust store.
/// let first = a.encrypt(&mut rng, verified_bob, OutgoingMessage::new(b"Can you see bed 7?", 100))?;
///
/// let envelope = Envelope::parse(&first.envelope)?;
/// let mut bob_trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
/// let verified_alice = bob_trust.check(&PeerId::new("alice")?, envelope.initiator_identity().unwrap())?;
/// let (mut b, msg) = Session::accept(&bob, &mut bob_prekeys, &verified_alice, &envelope, 101)?;
/// assert_eq!(msg.body.expose(), b"Can you see bed 7?");
///
/// let reply = b.encrypt(&mut rng, verified_alice, OutgoingMessage::new(b"On my way", 102))?;
/// let proof = alice_trust.check_at(&bob_id, a.peer_identity(), 103)?;
/// assert_eq!(a.decrypt(proof, &reply.envelope, 103)?.body.expose(), b"On my way");
/// # Ok::<(), bleep::Error>(())
/// ```
pub struct Session {
    pub(crate) ad: [u8; AD_LEN],
    peer: IdentityKey,
    initiator: bool,
    kind: HandshakeKind,
    /// The AEAD of every message, fixed at the handshake.
    suite: CipherSuite,
    base_key: [u8; 32],
    /// The initiator's handshake fields, sent on every message until the
    /// first reply arrives.
    pub(crate) pending: Option<PreKeyPart>,
    /// Boxed so that moving a `Session` moves a pointer, not its keys.
    pub(crate) ratchet: Box<Ratchet>,
}

impl Session {
    /// Starts a session with the owner of `bundle`, who must be the
    /// identity `peer` the trust store accepted. Draws from `rng` as
    /// `docs/PROTOCOL.md` describes. The first messages sent are prekey
    /// messages until the peer replies.
    ///
    /// Errors: [`TrustError::IdentityMismatch`] if the bundle belongs to
    /// someone else; [`ProtocolError::PostQuantumRequired`] if the bundle
    /// has no ML-KEM prekeys (use [`Session::initiate_with_policy`] to
    /// allow a classical session with an older peer);
    /// [`crate::CryptoError::NonContributory`] for a low-order prekey.
    pub fn initiate(
        rng: &mut (impl CryptoRng + ?Sized),
        me: &IdentityKeyPair,
        peer: &VerifiedIdentity,
        bundle: &PreKeyBundle,
    ) -> Result<Session> {
        Self::initiate_with_policy(rng, me, peer, bundle, HandshakePolicy::RequirePostQuantum)
    }

    /// [`Session::initiate`] under an explicit [`HandshakePolicy`]. PQXDH
    /// is used whenever the bundle offers it.
    pub fn initiate_with_policy(
        rng: &mut (impl CryptoRng + ?Sized),
        me: &IdentityKeyPair,
        peer: &VerifiedIdentity,
        bundle: &PreKeyBundle,
        policy: HandshakePolicy,
    ) -> Result<Session> {
        Self::initiate_with_suites(
            rng,
            me,
            peer,
            bundle,
            policy,
            &[CipherSuite::XChaCha20Poly1305],
        )
    }

    /// [`Session::initiate_with_policy`] on the first cipher suite of
    /// `preferred` that the bundle lists
    /// ([`PreKeyBundle::choose_cipher_suite`]). The choice is written in
    /// every envelope and authenticated with it, so nobody on the path can
    /// change it. [`Session::initiate`] allows XChaCha20-Poly1305 alone.
    ///
    /// Errors: those of [`Session::initiate`], and
    /// [`ProtocolError::NoCommonCipherSuite`] if the bundle lists none of
    /// `preferred`; nothing is drawn from `rng` before these checks.
    pub fn initiate_with_suites(
        rng: &mut (impl CryptoRng + ?Sized),
        me: &IdentityKeyPair,
        peer: &VerifiedIdentity,
        bundle: &PreKeyBundle,
        policy: HandshakePolicy,
        preferred: &[CipherSuite],
    ) -> Result<Session> {
        if bundle.identity() != peer.identity_key() {
            return Err(TrustError::IdentityMismatch.into());
        }
        if !bundle.has_post_quantum_prekeys() && policy == HandshakePolicy::RequirePostQuantum {
            return Err(ProtocolError::PostQuantumRequired.into());
        }
        let suite = bundle
            .choose_cipher_suite(preferred)
            .ok_or(ProtocolError::NoCommonCipherSuite)?;
        let init = x3dh::initiate(rng, me, bundle)?;
        let ours = X25519KeyPair::generate(rng);
        let ratchet = Ratchet::initiator(init.shared, ours, &bundle.signed_prekey().public)?;
        let base_key = *init.base_key.public.as_bytes();
        Ok(Session {
            ad: x3dh::associated_data(me.public(), bundle.identity()),
            peer: bundle.identity().clone(),
            initiator: true,
            kind: match init.kem {
                Some(_) => HandshakeKind::PostQuantum,
                None => HandshakeKind::Classical,
            },
            suite,
            base_key,
            pending: Some(PreKeyPart {
                identity: me.public().clone(),
                base_key,
                signed_prekey_id: bundle.signed_prekey_id(),
                one_time_prekey_id: init.one_time_prekey_id,
                kem: init.kem,
            }),
            ratchet: Box::new(ratchet),
        })
    }

    /// Accepts a prekey message from `peer` (whom the trust store accepted
    /// for the identity in the envelope), returning the new session and the
    /// first message. The one-time prekeys used (X25519 and ML-KEM) are
    /// removed from `prekeys`, and the base key recorded against replay,
    /// only if the message decrypts; on any error nothing changes.
    ///
    /// Errors: [`ProtocolError::NotPreKeyMessage`],
    /// [`TrustError::IdentityMismatch`], [`ProtocolError::PostQuantumRequired`]
    /// (a classical prekey message: see [`Session::accept_with_policy`]),
    /// [`ProtocolError::UnknownSignedPreKey`],
    /// [`ProtocolError::UnknownOneTimePreKey`] and
    /// [`ProtocolError::UnknownKemPreKey`] (including reuse),
    /// [`ProtocolError::ReplayedPreKeyMessage`],
    /// [`ProtocolError::UnsupportedCipherSuite`] (a suite `prekeys` does
    /// not accept, see [`PreKeyStore::set_cipher_suites`]), or any decrypt error (a
    /// tampered KEM ciphertext is [`crate::CryptoError::DecryptFailed`]).
    ///
    /// The initiator repeats its handshake on every message until the
    /// first reply, so a later prekey message of a handshake already
    /// accepted is also `ReplayedPreKeyMessage` here: give it to the
    /// session this call returned (its [`Session::decrypt`] reads it).
    pub fn accept(
        me: &IdentityKeyPair,
        prekeys: &mut PreKeyStore,
        peer: &VerifiedIdentity,
        envelope: &Envelope<'_>,
        now: u64,
    ) -> Result<(Session, ReceivedMessage)> {
        Self::accept_with_policy(
            me,
            prekeys,
            peer,
            envelope,
            now,
            HandshakePolicy::RequirePostQuantum,
        )
    }

    /// [`Session::accept`] under an explicit [`HandshakePolicy`].
    pub fn accept_with_policy(
        me: &IdentityKeyPair,
        prekeys: &mut PreKeyStore,
        peer: &VerifiedIdentity,
        envelope: &Envelope<'_>,
        now: u64,
        policy: HandshakePolicy,
    ) -> Result<(Session, ReceivedMessage)> {
        if envelope
            .prekey
            .as_ref()
            .is_some_and(|pk| pk.identity != *peer.identity_key())
        {
            return Err(TrustError::IdentityMismatch.into());
        }
        let (session, msg, kem_one_time) = Self::open_first(me, prekeys, envelope, now, policy)?;
        if let Some(pk) = envelope.prekey.as_ref() {
            if let Some(id) = pk.one_time_prekey_id {
                prekeys.consume_one_time_prekey(id);
            }
            if let Some(id) = kem_one_time {
                prekeys.consume_kem_one_time_prekey(id);
            }
            prekeys.record_accepted(pk.signed_prekey_id, pk.base_key);
        }
        Ok((session, msg))
    }

    /// Whether a prekey message authenticates under the identity key it
    /// carries, changing nothing: no one-time prekey consumed, no base key
    /// recorded, the session and the message dropped unread. A successful
    /// open proves the sender holds that identity key (PQXDH's DH1 uses
    /// it), so the device asks this before it records a key change.
    ///
    /// Errors: those of [`Session::accept`] except
    /// [`TrustError::IdentityMismatch`].
    pub(crate) fn authenticates_first(
        me: &IdentityKeyPair,
        prekeys: &PreKeyStore,
        envelope: &Envelope<'_>,
        now: u64,
    ) -> Result<()> {
        Self::open_first(
            me,
            prekeys,
            envelope,
            now,
            HandshakePolicy::RequirePostQuantum,
        )
        .map(|_| ())
    }

    /// The handshake and first decrypt of [`Session::accept_with_policy`],
    /// reading `prekeys` only; also returns the ML-KEM one-time prekey
    /// used, for the caller to consume.
    fn open_first(
        me: &IdentityKeyPair,
        prekeys: &PreKeyStore,
        envelope: &Envelope<'_>,
        now: u64,
        policy: HandshakePolicy,
    ) -> Result<(Session, ReceivedMessage, Option<u32>)> {
        let pk = envelope
            .prekey
            .as_ref()
            .ok_or(ProtocolError::NotPreKeyMessage)?;
        if pk.kem.is_none() && policy == HandshakePolicy::RequirePostQuantum {
            return Err(ProtocolError::PostQuantumRequired.into());
        }
        if !prekeys.accepts_suite(envelope.suite) {
            return Err(ProtocolError::UnsupportedCipherSuite.into());
        }
        let spk = prekeys.signed_prekey(pk.signed_prekey_id)?;
        let otpk = match pk.one_time_prekey_id {
            Some(id) => Some(&prekeys.one_time_prekey(id)?.secret),
            None => None,
        };
        let kem = match &pk.kem {
            Some(part) => Some((prekeys.kem_prekey(part.id)?, part)),
            None => None,
        };
        if prekeys.was_accepted(pk.signed_prekey_id, &pk.base_key) {
            return Err(ProtocolError::ReplayedPreKeyMessage.into());
        }
        let ss = kem.map(|((k, _), part)| k.pair.decapsulate(&part.ciphertext));
        let kem_one_time = match (&pk.kem, kem) {
            (Some(part), Some(((_, true), _))) => Some(part.id),
            _ => None,
        };
        let shared = x3dh::respond(
            me,
            &spk.pair.secret,
            otpk,
            &pk.identity,
            &PublicKey::from(pk.base_key),
            ss.as_deref(),
        )?;
        let mut session = Session {
            ad: x3dh::associated_data(&pk.identity, me.public()),
            peer: pk.identity.clone(),
            initiator: false,
            kind: match pk.kem {
                Some(_) => HandshakeKind::PostQuantum,
                None => HandshakeKind::Classical,
            },
            suite: envelope.suite,
            base_key: pk.base_key,
            pending: None,
            ratchet: Box::new(Ratchet::responder(shared, spk.pair.duplicate())),
        };
        let msg = session.decrypt_envelope(envelope, now)?;
        Ok((session, msg, kem_one_time))
    }

    /// Which handshake started this session, so the app can show a
    /// classical one.
    pub fn handshake_kind(&self) -> HandshakeKind {
        self.kind
    }

    /// The cipher suite the handshake chose.
    pub fn cipher_suite(&self) -> CipherSuite {
        self.suite
    }

    /// The envelope version this session writes.
    fn envelope_version(&self) -> u8 {
        match (self.kind, self.suite) {
            (HandshakeKind::Classical, _) => ENVELOPE_VERSION_CLASSICAL,
            (HandshakeKind::PostQuantum, CipherSuite::XChaCha20Poly1305) => ENVELOPE_VERSION,
            (HandshakeKind::PostQuantum, _) => ENVELOPE_VERSION_SUITE,
        }
    }

    /// The peer's identity.
    pub fn peer_identity(&self) -> &IdentityKey {
        &self.peer
    }

    /// Encrypts a message to the peer, who must be accepted by the trust
    /// store now: `peer` is a fresh proof from [`crate::TrustStore::check_at`]
    /// for this session's peer, consumed by the call. Draws from `rng`: a new
    /// ratchet key (32 bytes) when a DH ratchet step is due, then the nonce
    /// (the suite's length: 24 for XChaCha20-Poly1305, 12 for
    /// AES-256-GCM-SIV), then the message id (16).
    ///
    /// Errors (state unchanged): [`TrustError::IdentityMismatch`] if the
    /// proof is for another identity; [`crate::LimitError::MessageTooLarge`].
    ///
    /// Save the advanced session (sealed) *before* the envelope leaves the
    /// app; [`Session::encrypt_and_seal`] makes that the natural order (see
    /// [`crate::state`]).
    pub fn encrypt(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        peer: VerifiedIdentity,
        message: OutgoingMessage<'_>,
    ) -> Result<EncryptedMessage> {
        self.check_peer(&peer)?;
        message.check()?;
        let nonce_len = self.suite.nonce_len().min(NONCE_LEN);
        let (header, key) = self.ratchet.next_sending_key(rng)?;
        let mut nonce_buf = [0u8; NONCE_LEN];
        let (nonce, _) = nonce_buf.split_at_mut(nonce_len);
        rng.fill_bytes(nonce);
        let nonce: &[u8] = nonce;
        let mut id = MessageId([0; 16]);
        rng.fill_bytes(&mut id.0);

        let prefix_len = 3
            + self
                .pending
                .as_ref()
                .map_or(0, |_| crate::wire::envelope::MAX_PREKEY_PART_LEN)
            + HEADER_LEN;
        let mut out = Vec::with_capacity(prefix_len + NONCE_LEN + message.padded_len() + TAG_LEN);
        let version = self.envelope_version();
        out.push(version);
        if version == ENVELOPE_VERSION_SUITE {
            out.push(self.suite.id());
        }
        match &self.pending {
            Some(pk) => {
                out.push(KIND_PREKEY);
                pk.write(&mut out);
            }
            None => out.push(KIND_MESSAGE),
        }
        header.write(&mut out);
        let prefix_len = out.len();
        out.extend_from_slice(nonce);
        let ct_start = out.len();
        message.write(&id, &mut out);
        let (head, body) = out.split_at_mut(ct_start);
        let prefix = head.get(..prefix_len).unwrap_or_default();
        let tag = with_ad(&self.ad, prefix, |ad| key.seal(self.suite, nonce, ad, body));
        out.extend_from_slice(&tag);
        Ok(EncryptedMessage { id, envelope: out })
    }

    /// Decrypts an envelope from the peer, who must be accepted by the trust
    /// store now: `peer` is a fresh proof from [`crate::TrustStore::check_at`]
    /// for this session's peer, consumed by the call. `now` (unix seconds)
    /// is checked against the sender's expiry.
    ///
    /// On any error the session is unchanged. Errors:
    /// [`TrustError::IdentityMismatch`] (a proof for another identity),
    /// [`crate::Error::Decode`] (malformed),
    /// [`crate::CryptoError::DecryptFailed`] (tampered, or not for this
    /// session), [`ProtocolError::DuplicateMessage`] (replayed),
    /// [`ProtocolError::WrongSession`] (a prekey message of another
    /// handshake), [`ProtocolError::UnsupportedCipherSuite`] (an envelope
    /// naming another cipher suite than the session's),
    /// [`crate::LimitError::TooManySkipped`], [`ProtocolError::Expired`].
    ///
    /// On success, store the message in the [`crate::MessageVault`] and
    /// save it, then save the session (sealed), then acknowledge the
    /// envelope; [`Session::decrypt_and_seal`] returns the sealed session
    /// with the message (see [`crate::state`]).
    pub fn decrypt(
        &mut self,
        peer: VerifiedIdentity,
        envelope: &[u8],
        now: u64,
    ) -> Result<ReceivedMessage> {
        self.check_peer(&peer)?;
        // A repeated prekey message names the session's peer: its binding
        // was checked when the session was made.
        let env = Envelope::parse_known(envelope, Some(&self.peer))?;
        self.decrypt_envelope(&env, now)
    }

    /// The proof must be for this session's peer (identity keys are
    /// public: no constant-time comparison is needed).
    fn check_peer(&self, peer: &VerifiedIdentity) -> Result<()> {
        if *peer.identity_key() != self.peer {
            return Err(TrustError::IdentityMismatch.into());
        }
        Ok(())
    }

    fn decrypt_envelope(&mut self, env: &Envelope<'_>, now: u64) -> Result<ReceivedMessage> {
        if env.suite != self.suite {
            return Err(ProtocolError::UnsupportedCipherSuite.into());
        }
        if let Some(pk) = &env.prekey
            && (self.initiator
                || pk.base_key != self.base_key
                || pk.identity != self.peer
                || env.version != self.envelope_version())
        {
            return Err(ProtocolError::WrongSession.into());
        }
        let (suite, peer) = (self.suite, &self.peer);
        let ratchet = &mut self.ratchet;
        let msg = with_ad(&self.ad, env.authenticated, |ad| {
            ratchet.receive(&env.header, |key: &MessageKey| {
                let mut buf = Vec::with_capacity(env.ciphertext.len());
                buf.extend_from_slice(env.ciphertext);
                key.open(suite, env.nonce, ad, &mut buf, &env.tag)?;
                let msg = payload::read(buf, peer)?;
                if msg.info.expires_at.is_some_and(|at| at <= now) {
                    return Err(ProtocolError::Expired.into());
                }
                Ok(msg)
            })
        })?;
        self.pending = None;
        Ok(msg)
    }

    /// SHA-256 of the session's encoded state: equal digests mean equal
    /// state. For tests and consistency checks; reveals nothing useful.
    pub fn state_digest(&self) -> [u8; 32] {
        Sha256::digest(self.encode().as_slice()).into()
    }

    /// How many skipped message keys the session holds.
    pub fn skipped_key_count(&self) -> usize {
        self.ratchet.skipped.len()
    }

    /// Encodes the whole state (secret: seal it before it leaves memory).
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len_bound()));
        self.encode_into(&mut out);
        out
    }

    /// Appends [`Session::encode`]'s bytes to `out`, which the caller has
    /// sized (with [`Session::encoded_len_bound`]) so that it does not grow
    /// and leave a copy of the state behind; returns how many were written.
    /// Used to encode a session inside a larger record without a
    /// buffer of its own.
    pub(crate) fn encode_into(&self, out: &mut Vec<u8>) -> usize {
        let r = &self.ratchet;
        let start = out.len();
        out.push(STATE_VERSION);
        out.push(u8::from(self.initiator));
        out.push(u8::from(self.kind == HandshakeKind::PostQuantum));
        out.extend_from_slice(&self.ad);
        out.extend_from_slice(&self.peer.to_bytes());
        out.extend_from_slice(&self.base_key);
        match &self.pending {
            Some(pk) => {
                out.push(1);
                pk.write(out);
            }
            None => out.push(0),
        }
        out.extend_from_slice(r.root.as_bytes());
        out.extend_from_slice(&r.ours.secret.to_bytes());
        match &r.sending {
            Some(s) => {
                out.push(1);
                out.extend_from_slice(s.key.as_bytes());
                out.extend_from_slice(&s.counter.to_be_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(&r.previous_counter.to_be_bytes());
        match &r.receiving {
            Some(c) => {
                out.push(1);
                out.extend_from_slice(&c.ratchet_key);
                out.extend_from_slice(c.key.as_bytes());
                out.extend_from_slice(&c.counter.to_be_bytes());
            }
            None => out.push(0),
        }
        out.extend_from_slice(&len_u16(r.skipped.chains.len()));
        for chain in &r.skipped.chains {
            out.extend_from_slice(&chain.ratchet_key);
            out.extend_from_slice(&len_u16(chain.keys.len()));
            for (n, mk) in &chain.keys {
                out.extend_from_slice(&n.to_be_bytes());
                out.extend_from_slice(mk.as_bytes());
            }
        }
        out.push(u8::try_from(r.retired.len()).unwrap_or(u8::MAX));
        for k in &r.retired {
            out.extend_from_slice(k);
        }
        // The cipher suite, only when it is not the default, so every
        // XChaCha20-Poly1305 session encodes exactly as before (§10.4.3).
        if self.suite != CipherSuite::XChaCha20Poly1305 {
            out.push(self.suite.id());
        }
        out.len() - start
    }

    /// An upper bound of the encoded length, so that [`Session::encode`]
    /// allocates once and never leaves a stale copy of the state behind by
    /// growing its buffer.
    pub(crate) fn encoded_len_bound(&self) -> usize {
        let r = &self.ratchet;
        let fixed = 1 + 1 + 1 + AD_LEN + crate::identity::IDENTITY_KEY_LEN + 32;
        // Room for the prekey part only while one is held: the buffer is
        // wiped whole (spare capacity included) when dropped.
        let pending = 1 + match self.pending {
            Some(_) => crate::wire::envelope::MAX_PREKEY_PART_LEN,
            None => 0,
        };
        let ratchet = 32 + 32 + (1 + 36) + 4 + (1 + 68);
        let skipped = 2 + 34 * r.skipped.chains.len() + 36 * r.skipped.len();
        let retired = 1 + 32 * r.retired.len();
        let suite = 1;
        fixed + pending + ratchet + skipped + retired + suite
    }

    /// Decodes [`Session::encode`] output, checking every bound. The
    /// version-1 encoding (no handshake-kind byte) loads as a classical
    /// session.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Session> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != STATE_VERSION && version != STATE_VERSION_1 {
            return Err(DecodeError::UnknownVersion.into());
        }
        let initiator = read_flag(&mut r)?;
        let kind = match version == STATE_VERSION && read_flag(&mut r)? {
            true => HandshakeKind::PostQuantum,
            false => HandshakeKind::Classical,
        };
        let envelope_version = match kind {
            HandshakeKind::PostQuantum => ENVELOPE_VERSION,
            HandshakeKind::Classical => ENVELOPE_VERSION_CLASSICAL,
        };
        let ad = r.array()?;
        let peer = IdentityKey::read(&mut r)?;
        let base_key = r.array()?;
        let pending = match read_flag(&mut r)? {
            true => Some(PreKeyPart::read(&mut r, envelope_version)?),
            false => None,
        };
        let root = RootKey::from_bytes(r.array()?);
        let ours = X25519KeyPair::from_secret_bytes(r.array()?);
        let sending = match read_flag(&mut r)? {
            true => Some(SendingChain {
                key: ChainKey::from_bytes(r.array()?),
                counter: r.u32()?,
            }),
            false => None,
        };
        let previous_counter = r.u32()?;
        let receiving = match read_flag(&mut r)? {
            true => Some(ReceivingChain {
                ratchet_key: r.array()?,
                key: ChainKey::from_bytes(r.array()?),
                counter: r.u32()?,
            }),
            false => None,
        };
        let n_chains = r.count_u16(MAX_SKIPPED_TOTAL, 34)?;
        let mut chains = VecDeque::with_capacity(n_chains);
        let mut total = 0usize;
        for _ in 0..n_chains {
            let ratchet_key = r.array()?;
            let n = r.count_u16(MAX_SKIPPED_TOTAL, 36)?;
            total += n;
            if total > MAX_SKIPPED_TOTAL || n == 0 {
                return Err(DecodeError::InvalidLength.into());
            }
            let mut keys = VecDeque::with_capacity(n);
            for _ in 0..n {
                keys.push_back((r.u32()?, Box::new(MessageKey::from_bytes(r.array()?))));
            }
            chains.push_back(SkippedChain { ratchet_key, keys });
        }
        let n_retired = r.count_u8(MAX_RETIRED_CHAINS)?;
        let mut retired = VecDeque::with_capacity(n_retired);
        for _ in 0..n_retired {
            retired.push_back(r.array()?);
        }
        // The optional trailing suite byte: absent for the default suite,
        // otherwise a suite this build implements, on a PQXDH session.
        let suite = match r.remaining() {
            0 => CipherSuite::XChaCha20Poly1305,
            _ => match CipherSuite::from_id(r.u8()?) {
                Some(s)
                    if s != CipherSuite::XChaCha20Poly1305
                        && kind == HandshakeKind::PostQuantum =>
                {
                    s
                }
                _ => return Err(DecodeError::NonCanonical.into()),
            },
        };
        r.finish()?;
        if pending.is_some() && !initiator {
            return Err(DecodeError::NonCanonical.into());
        }
        Ok(Session {
            ad,
            peer,
            initiator,
            kind,
            suite,
            base_key,
            pending,
            ratchet: Box::new(Ratchet {
                root,
                ours,
                sending,
                previous_counter,
                receiving,
                skipped: SkippedKeys::from_chains(chains),
                retired,
            }),
        })
    }
}

fn read_flag(r: &mut Reader<'_>) -> Result<bool> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(DecodeError::NonCanonical.into()),
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("peer", &self.peer)
            .field("initiator", &self.initiator)
            .field("handshake", &self.kind)
            .field("suite", &self.suite)
            .field("awaiting_reply", &self.pending.is_some())
            .field("skipped_keys", &self.ratchet.skipped.len())
            .finish_non_exhaustive()
    }
}

/// Longest envelope prefix of a normal message: version, suite, kind and
/// header.
const SHORT_PREFIX_LEN: usize = 3 + HEADER_LEN;

/// Calls `f` with a message's associated data: the session's handshake
/// AD, then the envelope's `prefix` (at most [`MAX_PREFIX_LEN`] bytes). A
/// normal message's prefix fits a short buffer on the stack, so only a
/// prekey message pays for clearing the long one.
fn with_ad<R>(session_ad: &[u8; AD_LEN], prefix: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    if prefix.len() <= SHORT_PREFIX_LEN {
        let mut buf = [0u8; AD_LEN + SHORT_PREFIX_LEN];
        let len = fill_ad(&mut buf, session_ad, prefix);
        f(buf.get(..len).unwrap_or_default())
    } else {
        let mut buf = [0u8; AD_LEN + MAX_PREFIX_LEN];
        let len = fill_ad(&mut buf, session_ad, prefix);
        f(buf.get(..len).unwrap_or_default())
    }
}

/// Writes `session_ad || prefix` (the prefix cut to fit) into `buf` and
/// returns the length written.
fn fill_ad<const N: usize>(buf: &mut [u8; N], session_ad: &[u8; AD_LEN], prefix: &[u8]) -> usize {
    let (a, b) = buf.split_at_mut(AD_LEN.min(N));
    a.copy_from_slice(session_ad.get(..a.len()).unwrap_or_default());
    let n = prefix.len().min(b.len());
    if let (Some(dst), Some(src)) = (b.get_mut(..n), prefix.get(..n)) {
        dst.copy_from_slice(src);
    }
    a.len() + n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{CryptoError, Error};
    use crate::identity::verified::proof;
    use crate::{PeerId, TrustPolicy, TrustStore};
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    pub(crate) fn pair(seed: u64, one_time: usize) -> (Session, Session, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, &bob);
        store.generate_one_time_prekeys(&mut rng, one_time).unwrap();
        let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        let vb = trust
            .check(&PeerId::new("bob").unwrap(), bob.public())
            .unwrap();
        let va = trust
            .check(&PeerId::new("alice").unwrap(), alice.public())
            .unwrap();
        let mut a = Session::initiate(&mut rng, &alice, &vb, &store.bundle()).unwrap();
        let first = a
            .encrypt(&mut rng, proof(&a), OutgoingMessage::new(b"hi", 1))
            .unwrap();
        let env = Envelope::parse(&first.envelope).unwrap();
        let (b, m) = Session::accept(&bob, &mut store, &va, &env, 1).unwrap();
        assert_eq!(m.body.expose(), b"hi");
        assert_eq!(m.info.id, first.id);
        (a, b, rng)
    }

    #[test]
    fn authenticating_a_first_message_changes_nothing_and_needs_the_identity() {
        let mut rng = ChaCha20Rng::seed_from_u64(41);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let mut store = PreKeyStore::new(&mut rng, &bob);
        store.generate_one_time_prekeys(&mut rng, 2).unwrap();
        store
            .generate_kem_one_time_prekeys(&mut rng, &bob, 2)
            .unwrap();
        let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        let vb = trust
            .check(&PeerId::new("bob").unwrap(), bob.public())
            .unwrap();
        let va = trust
            .check(&PeerId::new("alice").unwrap(), alice.public())
            .unwrap();
        let mut a = Session::initiate(&mut rng, &alice, &vb, &store.bundle()).unwrap();
        let first = a
            .encrypt(&mut rng, proof(&a), OutgoingMessage::new(b"hi", 1))
            .unwrap();
        let env = Envelope::parse(&first.envelope).unwrap();
        let (ot, kem) = (
            store.one_time_prekey_count(),
            store.kem_one_time_prekey_count(),
        );
        // Twice: nothing was recorded against replay the first time.
        for _ in 0..2 {
            Session::authenticates_first(&bob, &store, &env, 1).unwrap();
        }
        assert_eq!(store.one_time_prekey_count(), ot);
        assert_eq!(store.kem_one_time_prekey_count(), kem);
        // Another identity in the same envelope: DH1 differs, the tag fails.
        let mut forged = first.envelope.clone();
        let (from, to) = (
            alice.public().to_bytes(),
            IdentityKeyPair::generate(&mut rng).public().to_bytes(),
        );
        let at = forged.windows(from.len()).position(|w| w == from).unwrap();
        forged[at..at + from.len()].copy_from_slice(&to);
        let forged = Envelope::parse(&forged).unwrap();
        assert_eq!(
            Session::authenticates_first(&bob, &store, &forged, 1),
            Err(Error::Crypto(CryptoError::DecryptFailed))
        );
        // The real accept still works and consumes as before.
        let (_, m) = Session::accept(&bob, &mut store, &va, &env, 1).unwrap();
        assert_eq!(m.body.expose(), b"hi");
        assert_eq!(store.one_time_prekey_count(), ot - 1);
        assert_eq!(store.kem_one_time_prekey_count(), kem - 1);
    }

    #[test]
    fn encode_decode_round_trips() {
        let (mut a, mut b, mut rng) = pair(1, 1);
        let m1 = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(b"x", 2))
            .unwrap();
        let _lost = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(b"y", 2))
            .unwrap();
        let m3 = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(b"z", 2))
            .unwrap();
        a.decrypt(proof(&a), &m3.envelope, 3).unwrap();
        assert_eq!(a.skipped_key_count(), 2);
        for s in [&a, &b] {
            let bytes = s.encode();
            let back = Session::decode(&bytes).unwrap();
            assert_eq!(back.encode().as_slice(), bytes.as_slice());
            for cut in 0..bytes.len() {
                assert!(Session::decode(&bytes[..cut]).is_err());
            }
        }
        let mut restored = Session::decode(&a.encode()).unwrap();
        assert_eq!(
            restored
                .decrypt(proof(&restored), &m1.envelope, 3)
                .unwrap()
                .body
                .expose(),
            b"x"
        );
    }

    #[test]
    fn the_trailing_suite_byte_is_canonical() {
        let (a, b, _) = pair(5, 0);
        let bytes = a.encode();
        let with = |extra: &[u8]| Session::decode(&[bytes.as_slice(), extra].concat());
        // The default suite is never written; unknown ids are refused.
        for extra in [&[0x01][..], &[0x00], &[0x7f]] {
            assert_eq!(
                with(extra).unwrap_err(),
                Error::Decode(DecodeError::NonCanonical),
                "{extra:?}"
            );
        }
        assert_eq!(
            with(&[0x02, 0x00]).unwrap_err(),
            Error::Decode(DecodeError::TrailingBytes)
        );
        let aes = with(&[0x02]).unwrap();
        assert_eq!(aes.cipher_suite(), CipherSuite::Aes256GcmSiv);
        assert_eq!(
            aes.encode().as_slice(),
            [bytes.as_slice(), &[0x02]].concat()
        );
        // Never on a classical session (version-1 state, which has no
        // handshake-kind byte).
        let mut v1 = b.encode().to_vec();
        v1[0] = STATE_VERSION_1;
        v1.remove(2);
        assert!(Session::decode(&v1).is_ok());
        v1.push(0x02);
        assert_eq!(
            Session::decode(&v1).unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
    }

    #[test]
    fn post_compromise_recovery_after_one_round_trip() {
        let (mut a, mut b, mut rng) = pair(3, 1);
        let m = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(b"before", 2))
            .unwrap();
        a.decrypt(proof(&a), &m.envelope, 2).unwrap();
        // An attacker copies Alice's whole state.
        let mut stolen = Session::decode(&a.encode()).unwrap();
        // While the attacker's copy is current it reads Bob's next message.
        let m = b
            .encrypt(
                &mut rng,
                proof(&b),
                OutgoingMessage::new(b"still exposed", 2),
            )
            .unwrap();
        assert!(stolen.decrypt(proof(&stolen), &m.envelope, 2).is_ok());
        a.decrypt(proof(&a), &m.envelope, 2).unwrap();
        // One DH round trip: Alice sends (fresh ratchet key), Bob replies.
        let m = a
            .encrypt(&mut rng, proof(&a), OutgoingMessage::new(b"ping", 3))
            .unwrap();
        b.decrypt(proof(&b), &m.envelope, 3).unwrap();
        let m = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(b"healed", 3))
            .unwrap();
        assert_eq!(
            stolen.decrypt(proof(&stolen), &m.envelope, 3).unwrap_err(),
            Error::Crypto(CryptoError::DecryptFailed)
        );
        assert_eq!(
            a.decrypt(proof(&a), &m.envelope, 3).unwrap().body.expose(),
            b"healed"
        );
    }

    #[test]
    fn encode_allocates_once() {
        let (mut a, mut b, mut rng) = pair(3, 0);
        // `a` still awaits a reply (largest fixed part); give it retired
        // chains and skipped keys on several chains.
        for round in 0..4 {
            let mut last = None;
            for _ in 0..3 {
                last = Some(
                    b.encrypt(&mut rng, proof(&b), OutgoingMessage::new(b"x", 2))
                        .unwrap(),
                );
            }
            a.decrypt(proof(&a), &last.unwrap().envelope, 3).unwrap();
            if round < 3 {
                let r = a
                    .encrypt(&mut rng, proof(&a), OutgoingMessage::new(b"y", 3))
                    .unwrap();
                b.decrypt(proof(&b), &r.envelope, 3).unwrap();
            }
        }
        assert!(a.ratchet.retired.len() >= 3);
        assert!(a.skipped_key_count() >= 8);
        let fresh = pair(4, 0).0;
        assert!(fresh.pending.is_some());
        for s in [&a, &b, &fresh] {
            let bytes = s.encode();
            assert!(bytes.len() <= s.encoded_len_bound());
            // Had the buffer grown, its capacity would differ.
            assert_eq!(bytes.capacity(), s.encoded_len_bound());
        }
    }

    #[test]
    fn tampering_leaves_state_unchanged() {
        let (mut a, mut b, mut rng) = pair(2, 0);
        let m = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(b"obs stable", 2))
            .unwrap();
        let before = a.encode();
        for i in 0..m.envelope.len() {
            let mut x = m.envelope.clone();
            x[i] ^= 0x01;
            assert!(a.decrypt(proof(&a), &x, 3).is_err(), "byte {i}");
            assert_eq!(a.encode().as_slice(), before.as_slice(), "byte {i}");
        }
        a.decrypt(proof(&a), &m.envelope, 3).unwrap();
        assert_eq!(
            a.decrypt(proof(&a), &m.envelope, 3).unwrap_err(),
            Error::Protocol(ProtocolError::DuplicateMessage)
        );
    }
}
