//! The responder's prekeys: signed prekeys (rotating, with ids, each with
//! a signed last-resort ML-KEM prekey), one-time prekeys and signed
//! one-time ML-KEM prekeys (each consumed by exactly one handshake).
//!
//! Secrets stay here; [`crate::PreKeyBundle`] is the published half. A
//! one-time prekey of either kind is removed only when a handshake that
//! used it has decrypted its first message, so a forged prekey message
//! cannot burn one. Each signed prekey remembers the base keys of the
//! first messages it accepted (at most [`MAX_ACCEPTED_BASE_KEYS`], oldest
//! forgotten first), so a replayed first message is refused even when it
//! used no one-time prekey. What a restore of an older store undoes is in
//! `docs/PROTOCOL.md` §10.6.

use crate::error::{DecodeError, LimitError, ProtocolError, Result, TrustError};
use crate::handshake::bundle::{
    KemPreKeyPublic, KemPreKeys, OneTimePreKeyPublic, PreKeyBundle, SignedPreKeyPublic,
};
use crate::handshake::kem::{KEM_PUBLIC_LEN, KEM_SEED_LEN, KemKeyPair};
use crate::identity::{IdentityKey, IdentityKeyPair};
use crate::limits::{
    MAX_ACCEPTED_BASE_KEYS, MAX_BUNDLE_KEM_ONE_TIME_PREKEYS, MAX_BUNDLE_ONE_TIME_PREKEYS,
    MAX_SIGNED_PREKEYS, MAX_STORED_KEM_ONE_TIME_PREKEYS, MAX_STORED_ONE_TIME_PREKEYS,
};
use crate::primitives::{LABEL_KEM_PREKEY, LABEL_SIGNED_PREKEY, LABEL_SIGNED_PREKEY_SUITES};
use crate::suite::{CipherSuite, MAX_CIPHER_SUITES, check_list, is_default_list};
use crate::wire::codec::{Reader, len_u16};
use core::fmt;
use rand_core::CryptoRng;
use std::collections::{BTreeMap, VecDeque};
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

/// Version byte of the prekey store's state encoding (version 1, without
/// ML-KEM prekeys or the replay record, is still read).
const PREKEY_STORE_VERSION: u8 = 2;
const PREKEY_STORE_VERSION_1: u8 = 1;

/// An X25519 key pair whose public half is computed once.
pub(crate) struct X25519KeyPair {
    pub(crate) secret: StaticSecret,
    pub(crate) public: PublicKey,
}

impl X25519KeyPair {
    /// 32 bytes from `rng`, clamped per RFC 7748 by X25519 itself.
    pub(crate) fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        rng.fill_bytes(bytes.as_mut_slice());
        Self::from_secret_bytes(*bytes)
    }

    pub(crate) fn from_secret_bytes(bytes: [u8; 32]) -> Self {
        let secret = StaticSecret::from(bytes);
        let public = PublicKey::from(&secret);
        X25519KeyPair { secret, public }
    }

    pub(crate) fn duplicate(&self) -> Self {
        X25519KeyPair {
            secret: self.secret.clone(),
            public: self.public,
        }
    }
}

pub(crate) struct SignedPreKey {
    pub(crate) id: u32,
    pub(crate) pair: X25519KeyPair,
    pub(crate) signature: [u8; 64],
    /// The last-resort ML-KEM prekey made with this signed prekey (absent
    /// only in a store loaded from the version-1 encoding).
    pub(crate) kem: Option<Box<KemPreKey>>,
    /// Base keys of first messages accepted under this signed prekey,
    /// oldest first, at most [`MAX_ACCEPTED_BASE_KEYS`].
    pub(crate) accepted: VecDeque<[u8; 32]>,
}

/// A signed ML-KEM prekey (last-resort or one-time).
pub(crate) struct KemPreKey {
    pub(crate) id: u32,
    pub(crate) pair: KemKeyPair,
    pub(crate) signature: [u8; 64],
}

impl KemPreKey {
    fn generate(
        rng: &mut (impl CryptoRng + ?Sized),
        identity: &IdentityKeyPair,
        id: u32,
    ) -> Box<Self> {
        let pair = KemKeyPair::generate(rng);
        let signature = identity
            .sign(LABEL_KEM_PREKEY, &kem_prekey_message(id, &pair.public))
            .to_bytes();
        Box::new(KemPreKey {
            id,
            pair,
            signature,
        })
    }

    fn published(&self) -> KemPreKeyPublic {
        KemPreKeyPublic {
            id: self.id,
            public: self.pair.public.clone(),
            signature: self.signature,
            key: Some(Box::new(self.pair.encapsulation_key().clone())),
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(self.pair.seed());
        out.extend_from_slice(&self.signature);
    }

    fn read(r: &mut Reader<'_>) -> Result<Box<Self>> {
        let id = r.u32()?;
        let seed = Zeroizing::new(r.array::<KEM_SEED_LEN>()?);
        Ok(Box::new(KemPreKey {
            id,
            pair: KemKeyPair::from_seed(&seed),
            signature: r.array()?,
        }))
    }
}

/// The ML-KEM prekey signature input: id, encapsulation key.
pub(crate) fn kem_prekey_message(id: u32, public: &[u8; KEM_PUBLIC_LEN]) -> Vec<u8> {
    let mut m = Vec::with_capacity(4 + KEM_PUBLIC_LEN);
    m.extend_from_slice(&id.to_be_bytes());
    m.extend_from_slice(public);
    m
}

/// The signed-prekey signature input: label, id, public key.
pub(crate) fn signed_prekey_message(id: u32, public: &[u8; 32]) -> [u8; 36] {
    let mut m = [0u8; 36];
    let (a, b) = m.split_at_mut(4);
    a.copy_from_slice(&id.to_be_bytes());
    b.copy_from_slice(public);
    m
}

/// The signed-prekey signature input of a version-3 bundle: id, public
/// key, suite count, suite ids.
pub(crate) fn signed_prekey_suites_message(id: u32, public: &[u8; 32], suites: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(36 + 1 + suites.len());
    m.extend_from_slice(&signed_prekey_message(id, public));
    m.push(u8::try_from(suites.len()).unwrap_or(u8::MAX));
    m.extend_from_slice(suites);
    m
}

/// A responder's prekey secrets.
///
/// ```
/// use bleep::{IdentityKeyPair, PreKeyStore};
/// let mut rng = rand::rng();
/// let bob = IdentityKeyPair::generate(&mut rng);
/// let mut prekeys = PreKeyStore::new(&mut rng, &bob);
/// prekeys.generate_one_time_prekeys(&mut rng, 20).unwrap();
/// let bundle = prekeys.bundle();
/// assert_eq!(bundle.one_time_prekey_count(), 20);
/// ```
pub struct PreKeyStore {
    identity: IdentityKey,
    /// Oldest first; the last is current.
    pub(crate) signed: VecDeque<Box<SignedPreKey>>,
    pub(crate) one_time: BTreeMap<u32, Box<X25519KeyPair>>,
    pub(crate) kem_one_time: BTreeMap<u32, Box<KemPreKey>>,
    next_signed_id: u32,
    next_one_time_id: u32,
    next_kem_id: u32,
    /// The cipher suite ids accepted, in order of listing; `[0x01]` by
    /// default.
    suites: Vec<u8>,
    /// The current signed prekey's signature over `suites` (version-3
    /// bundle), present exactly when `suites` is not the default.
    suites_signature: Option<[u8; 64]>,
}

impl PreKeyStore {
    /// A store with one fresh signed prekey (and its last-resort ML-KEM
    /// prekey) and no one-time prekeys.
    pub fn new(rng: &mut (impl CryptoRng + ?Sized), identity: &IdentityKeyPair) -> Self {
        let mut store = PreKeyStore {
            identity: identity.public().clone(),
            signed: VecDeque::new(),
            one_time: BTreeMap::new(),
            kem_one_time: BTreeMap::new(),
            next_signed_id: 1,
            next_one_time_id: 1,
            next_kem_id: 1,
            suites: vec![CipherSuite::XChaCha20Poly1305.id()],
            suites_signature: None,
        };
        store.rotate_signed_prekey(rng, identity);
        store
    }

    /// Sets the cipher suites this store accepts in prekey messages and
    /// lists in its bundle, in order (repeats are dropped), signing the
    /// list with the current signed prekey. The default is
    /// XChaCha20-Poly1305 alone, whose bundle is version 2; any other list
    /// makes the bundle version 3. A bundle already published for the
    /// current signed prekey stays valid until it rotates out, so rotate
    /// ([`PreKeyStore::rotate_signed_prekey`]) after narrowing the list.
    ///
    /// Errors (nothing changed): [`TrustError::IdentityMismatch`] for
    /// another identity; [`ProtocolError::NoCommonCipherSuite`] for an
    /// empty list.
    pub fn set_cipher_suites(
        &mut self,
        identity: &IdentityKeyPair,
        suites: &[CipherSuite],
    ) -> Result<()> {
        if identity.public() != &self.identity {
            return Err(TrustError::IdentityMismatch.into());
        }
        let mut ids: Vec<u8> = Vec::with_capacity(MAX_CIPHER_SUITES);
        for s in suites {
            if !ids.contains(&s.id()) {
                ids.push(s.id());
            }
        }
        if !check_list(&ids) {
            return Err(ProtocolError::NoCommonCipherSuite.into());
        }
        self.suites = ids;
        self.sign_suites(identity);
        Ok(())
    }

    /// The cipher suites this store accepts, in the order its bundle lists
    /// them.
    pub fn cipher_suites(&self) -> Vec<CipherSuite> {
        self.suites
            .iter()
            .filter_map(|id| CipherSuite::from_id(*id))
            .collect()
    }

    /// Whether a prekey message on `suite` is accepted.
    pub(crate) fn accepts_suite(&self, suite: CipherSuite) -> bool {
        self.suites.contains(&suite.id())
    }

    /// Signs the suite list with the current signed prekey (none for the
    /// default list).
    fn sign_suites(&mut self, identity: &IdentityKeyPair) {
        self.suites_signature = match is_default_list(&self.suites) {
            true => None,
            false => {
                let spk = self.current();
                let m =
                    signed_prekey_suites_message(spk.id, spk.pair.public.as_bytes(), &self.suites);
                Some(identity.sign(LABEL_SIGNED_PREKEY_SUITES, &m).to_bytes())
            }
        };
    }

    fn next_kem_id(&mut self) -> u32 {
        let id = self.next_kem_id;
        self.next_kem_id = self.next_kem_id.wrapping_add(1).max(1);
        id
    }

    /// Makes a new signed prekey current, with a new signed last-resort
    /// ML-KEM prekey. The previous ones are kept (up to
    /// [`MAX_SIGNED_PREKEYS`] in all) so in-flight handshakes complete.
    /// Draws the X25519 secret (32 bytes), then the ML-KEM seed (64).
    pub fn rotate_signed_prekey(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        identity: &IdentityKeyPair,
    ) {
        let id = self.next_signed_id;
        self.next_signed_id = self.next_signed_id.wrapping_add(1).max(1);
        let pair = X25519KeyPair::generate(rng);
        let signature = identity
            .sign(
                LABEL_SIGNED_PREKEY,
                &signed_prekey_message(id, pair.public.as_bytes()),
            )
            .to_bytes();
        let kem_id = self.next_kem_id();
        let kem = KemPreKey::generate(rng, identity, kem_id);
        self.identity = identity.public().clone();
        self.signed.push_back(Box::new(SignedPreKey {
            id,
            pair,
            signature,
            kem: Some(kem),
            accepted: VecDeque::new(),
        }));
        while self.signed.len() > MAX_SIGNED_PREKEYS {
            self.signed.pop_front();
        }
        self.sign_suites(identity);
    }

    /// Adds `count` one-time prekeys.
    ///
    /// Errors with [`LimitError::TooManyEntries`] (adding none) if the store
    /// would hold more than [`MAX_STORED_ONE_TIME_PREKEYS`].
    pub fn generate_one_time_prekeys(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        count: usize,
    ) -> Result<()> {
        if self.one_time.len().saturating_add(count) > MAX_STORED_ONE_TIME_PREKEYS {
            return Err(LimitError::TooManyEntries.into());
        }
        for _ in 0..count {
            let id = self.next_one_time_id;
            self.next_one_time_id = self.next_one_time_id.wrapping_add(1).max(1);
            self.one_time
                .insert(id, Box::new(X25519KeyPair::generate(rng)));
        }
        Ok(())
    }

    /// Adds `count` signed one-time ML-KEM prekeys (64 bytes drawn for
    /// each), signed by `identity`, which must be the store's.
    ///
    /// Errors (adding none): [`TrustError::IdentityMismatch`] for another
    /// identity; [`LimitError::TooManyEntries`] if the store would hold
    /// more than [`MAX_STORED_KEM_ONE_TIME_PREKEYS`].
    pub fn generate_kem_one_time_prekeys(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
        identity: &IdentityKeyPair,
        count: usize,
    ) -> Result<()> {
        if identity.public() != &self.identity {
            return Err(TrustError::IdentityMismatch.into());
        }
        if self.kem_one_time.len().saturating_add(count) > MAX_STORED_KEM_ONE_TIME_PREKEYS {
            return Err(LimitError::TooManyEntries.into());
        }
        for _ in 0..count {
            let id = self.next_kem_id();
            self.kem_one_time
                .insert(id, KemPreKey::generate(rng, identity, id));
        }
        Ok(())
    }

    /// How many one-time prekeys are left.
    pub fn one_time_prekey_count(&self) -> usize {
        self.one_time.len()
    }

    /// How many one-time ML-KEM prekeys are left.
    pub fn kem_one_time_prekey_count(&self) -> usize {
        self.kem_one_time.len()
    }

    /// The bundle to publish: the current signed prekey, up to
    /// [`MAX_BUNDLE_ONE_TIME_PREKEYS`] one-time prekeys, the current
    /// last-resort ML-KEM prekey and up to
    /// [`MAX_BUNDLE_KEM_ONE_TIME_PREKEYS`] one-time ML-KEM prekeys (lowest
    /// ids first). A store loaded from the version-1 encoding has no
    /// ML-KEM prekey until [`PreKeyStore::rotate_signed_prekey`]: its
    /// bundle is classical, which current initiators refuse by default.
    pub fn bundle(&self) -> PreKeyBundle {
        let spk = self.current();
        let kem = spk.kem.as_ref().map(|lr| KemPreKeys {
            last_resort: lr.published(),
            one_time: self
                .kem_one_time
                .values()
                .take(MAX_BUNDLE_KEM_ONE_TIME_PREKEYS)
                .map(|k| k.published())
                .collect(),
        });
        // A store without an ML-KEM prekey (loaded from version 1) publishes
        // a classical bundle, which lists only the default suite.
        let (signature, suites) = match (&kem, self.suites_signature) {
            (Some(_), Some(sig)) => (sig, self.suites.clone()),
            _ => (spk.signature, vec![CipherSuite::XChaCha20Poly1305.id()]),
        };
        PreKeyBundle::new(
            self.identity.clone(),
            SignedPreKeyPublic {
                id: spk.id,
                public: spk.pair.public,
                signature,
                suites,
            },
            self.one_time
                .iter()
                .take(MAX_BUNDLE_ONE_TIME_PREKEYS)
                .map(|(id, kp)| OneTimePreKeyPublic {
                    id: *id,
                    public: kp.public,
                })
                .collect(),
            kem,
        )
    }

    fn current(&self) -> &SignedPreKey {
        // `new` creates one and rotation never leaves the queue empty.
        #[allow(clippy::expect_used)]
        self.signed.back().expect("a signed prekey always exists")
    }

    pub(crate) fn signed_prekey(&self, id: u32) -> Result<&SignedPreKey> {
        self.signed
            .iter()
            .find(|s| s.id == id)
            .map(|s| &**s)
            .ok_or_else(|| ProtocolError::UnknownSignedPreKey.into())
    }

    pub(crate) fn one_time_prekey(&self, id: u32) -> Result<&X25519KeyPair> {
        self.one_time
            .get(&id)
            .map(|k| &**k)
            .ok_or_else(|| ProtocolError::UnknownOneTimePreKey.into())
    }

    /// Removes (and zeroizes) a one-time prekey after a successful handshake.
    pub(crate) fn consume_one_time_prekey(&mut self, id: u32) {
        self.one_time.remove(&id);
    }

    /// The ML-KEM prekey with `id`: a one-time one (`true`) or the
    /// last-resort one of a signed prekey still kept (`false`).
    pub(crate) fn kem_prekey(&self, id: u32) -> Result<(&KemPreKey, bool)> {
        if let Some(k) = self.kem_one_time.get(&id) {
            return Ok((k, true));
        }
        self.signed
            .iter()
            .filter_map(|s| s.kem.as_deref())
            .find(|k| k.id == id)
            .map(|k| (k, false))
            .ok_or_else(|| ProtocolError::UnknownKemPreKey.into())
    }

    /// Removes (and zeroizes) a one-time ML-KEM prekey after a successful
    /// handshake; a last-resort id is left alone.
    pub(crate) fn consume_kem_one_time_prekey(&mut self, id: u32) {
        self.kem_one_time.remove(&id);
    }

    /// Whether a first message with `base_key` was already accepted under
    /// the signed prekey `spk_id`.
    pub(crate) fn was_accepted(&self, spk_id: u32, base_key: &[u8; 32]) -> bool {
        self.signed
            .iter()
            .find(|s| s.id == spk_id)
            .is_some_and(|s| s.accepted.contains(base_key))
    }

    /// Records an accepted first message's base key, forgetting the oldest
    /// past [`MAX_ACCEPTED_BASE_KEYS`].
    pub(crate) fn record_accepted(&mut self, spk_id: u32, base_key: [u8; 32]) {
        if let Some(s) = self.signed.iter_mut().find(|s| s.id == spk_id) {
            s.accepted.push_back(base_key);
            while s.accepted.len() > MAX_ACCEPTED_BASE_KEYS {
                s.accepted.pop_front();
            }
        }
    }

    /// Encodes the whole store (secret: seal it before it leaves memory);
    /// the layout is `docs/PROTOCOL.md` §10.4.2.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        let kem = 4 + KEM_SEED_LEN + 64;
        let signed: usize = self
            .signed
            .iter()
            .map(|s| 100 + 1 + kem + 2 + 32 * s.accepted.len())
            .sum();
        let len = 1
            + 129
            + 12
            + 1
            + signed
            + 2
            + 36 * self.one_time.len()
            + 2
            + kem * self.kem_one_time.len()
            + self
                .suites_signature
                .map_or(0, |_| 1 + self.suites.len() + 64);
        let mut out = Zeroizing::new(Vec::with_capacity(len));
        out.push(PREKEY_STORE_VERSION);
        out.extend_from_slice(&self.identity.to_bytes());
        out.extend_from_slice(&self.next_signed_id.to_be_bytes());
        out.extend_from_slice(&self.next_one_time_id.to_be_bytes());
        out.extend_from_slice(&self.next_kem_id.to_be_bytes());
        out.push(u8::try_from(self.signed.len()).unwrap_or(u8::MAX));
        for s in &self.signed {
            out.extend_from_slice(&s.id.to_be_bytes());
            out.extend_from_slice(Zeroizing::new(s.pair.secret.to_bytes()).as_slice());
            out.extend_from_slice(&s.signature);
            match &s.kem {
                Some(k) => {
                    out.push(1);
                    k.write(&mut out);
                }
                None => out.push(0),
            }
            out.extend_from_slice(&len_u16(s.accepted.len()));
            for b in &s.accepted {
                out.extend_from_slice(b);
            }
        }
        out.extend_from_slice(&len_u16(self.one_time.len()));
        for (id, kp) in &self.one_time {
            out.extend_from_slice(&id.to_be_bytes());
            out.extend_from_slice(Zeroizing::new(kp.secret.to_bytes()).as_slice());
        }
        out.extend_from_slice(&len_u16(self.kem_one_time.len()));
        for k in self.kem_one_time.values() {
            k.write(&mut out);
        }
        // Only for a list other than the default, so a default store's
        // encoding is unchanged.
        if let Some(sig) = &self.suites_signature {
            out.push(u8::try_from(self.suites.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(&self.suites);
            out.extend_from_slice(sig);
        }
        out
    }

    /// Decodes [`PreKeyStore::encode`] output (or the version-1 encoding,
    /// which has no ML-KEM prekeys and no replay record), checking every
    /// bound: at least one and at most [`MAX_SIGNED_PREKEYS`] signed
    /// prekeys, at most [`MAX_ACCEPTED_BASE_KEYS`] base keys each, at most
    /// [`MAX_STORED_ONE_TIME_PREKEYS`] one-time prekeys and
    /// [`MAX_STORED_KEM_ONE_TIME_PREKEYS`] one-time ML-KEM prekeys, each
    /// kind with strictly increasing ids. Public keys are recomputed from
    /// the secrets.
    pub(crate) fn decode(bytes: &[u8]) -> Result<PreKeyStore> {
        let mut r = Reader::new(bytes);
        let v2 = match r.u8()? {
            PREKEY_STORE_VERSION => true,
            PREKEY_STORE_VERSION_1 => false,
            _ => return Err(DecodeError::UnknownVersion.into()),
        };
        let identity = IdentityKey::read(&mut r)?;
        let next_signed_id = r.u32()?;
        let next_one_time_id = r.u32()?;
        let next_kem_id = if v2 { r.u32()? } else { 1 };
        let n_signed = r.count_u8(MAX_SIGNED_PREKEYS)?;
        if n_signed == 0 {
            return Err(DecodeError::InvalidLength.into());
        }
        let mut signed = VecDeque::with_capacity(n_signed);
        for _ in 0..n_signed {
            let id = r.u32()?;
            let secret = Zeroizing::new(r.array::<32>()?);
            let signature = r.array()?;
            let mut kem = None;
            let mut accepted = VecDeque::new();
            if v2 {
                if read_flag(&mut r)? {
                    kem = Some(KemPreKey::read(&mut r)?);
                }
                let n = r.count_u16(MAX_ACCEPTED_BASE_KEYS, 32)?;
                for _ in 0..n {
                    accepted.push_back(r.array()?);
                }
            }
            signed.push_back(Box::new(SignedPreKey {
                id,
                pair: X25519KeyPair::from_secret_bytes(*secret),
                signature,
                kem,
                accepted,
            }));
        }
        let n_one_time = r.count_u16(MAX_STORED_ONE_TIME_PREKEYS, 36)?;
        let mut one_time = BTreeMap::new();
        let mut last = None;
        for _ in 0..n_one_time {
            let id = r.u32()?;
            if last.is_some_and(|l| id <= l) {
                return Err(DecodeError::NonCanonical.into());
            }
            last = Some(id);
            let secret = Zeroizing::new(r.array::<32>()?);
            one_time.insert(id, Box::new(X25519KeyPair::from_secret_bytes(*secret)));
        }
        let mut kem_one_time = BTreeMap::new();
        if v2 {
            let n = r.count_u16(MAX_STORED_KEM_ONE_TIME_PREKEYS, 4 + KEM_SEED_LEN + 64)?;
            let mut last = None;
            for _ in 0..n {
                let k = KemPreKey::read(&mut r)?;
                if last.is_some_and(|l| k.id <= l) {
                    return Err(DecodeError::NonCanonical.into());
                }
                last = Some(k.id);
                kem_one_time.insert(k.id, k);
            }
        }
        // The optional suite section (§10.4.2): a list other than the
        // default, of suites this build implements, and its signature.
        let (suites, suites_signature) = if v2 && r.remaining() > 0 {
            let n = r.count_u8(MAX_CIPHER_SUITES)?;
            let ids = r.take(n)?.to_vec();
            if !check_list(&ids)
                || is_default_list(&ids)
                || ids.iter().any(|id| CipherSuite::from_id(*id).is_none())
            {
                return Err(DecodeError::NonCanonical.into());
            }
            (ids, Some(r.array()?))
        } else {
            (vec![CipherSuite::XChaCha20Poly1305.id()], None)
        };
        r.finish()?;
        Ok(PreKeyStore {
            identity,
            signed,
            one_time,
            kem_one_time,
            next_signed_id,
            next_one_time_id,
            next_kem_id,
            suites,
            suites_signature,
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

impl fmt::Debug for PreKeyStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PreKeyStore")
            .field("identity", &self.identity)
            .field(
                "signed_prekey_ids",
                &self.signed.iter().map(|s| s.id).collect::<Vec<_>>(),
            )
            .field("one_time_prekeys", &self.one_time.len())
            .field("kem_one_time_prekeys", &self.kem_one_time.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    #[test]
    fn the_suite_section_round_trips_and_is_canonical() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        let plain = s.encode();
        s.set_cipher_suites(
            &id,
            &[CipherSuite::Aes256GcmSiv, CipherSuite::XChaCha20Poly1305],
        )
        .unwrap();
        let bytes = s.encode();
        assert_eq!(bytes.len(), plain.len() + 1 + 2 + 64);
        assert_eq!(&bytes[..plain.len()], plain.as_slice());
        assert_eq!(bytes.capacity(), bytes.len());
        let back = PreKeyStore::decode(&bytes).unwrap();
        assert_eq!(back.encode().as_slice(), bytes.as_slice());
        assert_eq!(back.bundle(), s.bundle());
        assert!(back.accepts_suite(CipherSuite::Aes256GcmSiv));
        let section = |list: &[u8]| {
            let mut x = plain.to_vec();
            x.push(u8::try_from(list.len()).unwrap());
            x.extend_from_slice(list);
            x.extend_from_slice(&[0u8; 64]);
            PreKeyStore::decode(&x)
        };
        for list in [&[1u8][..], &[2, 2], &[2, 9], &[]] {
            assert_eq!(
                section(list).unwrap_err(),
                DecodeError::NonCanonical.into(),
                "{list:?}"
            );
        }
        assert!(section(&[2]).is_ok());
        // Back to the default: no section, the encoding as before.
        s.set_cipher_suites(&id, &[CipherSuite::XChaCha20Poly1305])
            .unwrap();
        assert_eq!(s.encode().as_slice(), plain.as_slice());
    }

    #[test]
    fn rotation_keeps_a_bounded_history() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        for _ in 0..5 {
            s.rotate_signed_prekey(&mut rng, &id);
        }
        assert_eq!(s.signed.len(), MAX_SIGNED_PREKEYS);
        assert_eq!(s.bundle().signed_prekey_id(), 6);
        assert!(s.signed_prekey(6).is_ok());
        assert!(s.signed_prekey(4).is_ok());
        assert!(s.signed_prekey(3).is_err());
    }

    #[test]
    fn encode_decode_round_trips_and_rejects_damage() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        s.rotate_signed_prekey(&mut rng, &id);
        s.generate_one_time_prekeys(&mut rng, 4).unwrap();
        s.consume_one_time_prekey(2);
        let bytes = s.encode();
        let back = PreKeyStore::decode(&bytes).unwrap();
        assert_eq!(back.encode().as_slice(), bytes.as_slice());
        assert_eq!(back.bundle(), s.bundle());
        assert_eq!(back.one_time_prekey_count(), 3);
        for cut in 0..bytes.len() {
            assert!(PreKeyStore::decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        // After the one-time KEM prekeys only the suite section may follow:
        // an empty list is not one.
        let mut long = bytes.to_vec();
        long.push(0);
        assert_eq!(
            PreKeyStore::decode(&long).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
        let mut v = bytes.to_vec();
        v[0] = 3;
        assert_eq!(
            PreKeyStore::decode(&v).unwrap_err(),
            DecodeError::UnknownVersion.into()
        );
        // No signed prekey at all would leave `bundle` without a current key.
        let signed_count_at = 1 + 129 + 12;
        let mut none = bytes[..signed_count_at].to_vec();
        none.extend_from_slice(&[0, 0, 0]);
        assert_eq!(
            PreKeyStore::decode(&none).unwrap_err(),
            DecodeError::InvalidLength.into()
        );
        // One-time ids out of order are rejected.
        // Each signed prekey: 100 bytes, the KEM flag and prekey (133), no
        // accepted base keys (2).
        let ot_start = signed_count_at + 1 + 2 * 235 + 2;
        let mut swapped = bytes.to_vec();
        swapped[ot_start..ot_start + 4].copy_from_slice(&9u32.to_be_bytes());
        assert_eq!(
            PreKeyStore::decode(&swapped).unwrap_err(),
            DecodeError::NonCanonical.into()
        );
    }

    #[test]
    fn accepted_base_keys_are_bounded_oldest_first() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        let key = |i: usize| {
            let mut k = [0u8; 32];
            k[..8].copy_from_slice(&(i as u64).to_be_bytes());
            k
        };
        for i in 0..MAX_ACCEPTED_BASE_KEYS {
            s.record_accepted(1, key(i));
        }
        // At the limit every one is remembered, and the store round-trips.
        assert!((0..MAX_ACCEPTED_BASE_KEYS).all(|i| s.was_accepted(1, &key(i))));
        let back = PreKeyStore::decode(&s.encode()).unwrap();
        assert!(back.was_accepted(1, &key(0)));
        // One past it, the oldest is forgotten.
        s.record_accepted(1, key(MAX_ACCEPTED_BASE_KEYS));
        assert!(!s.was_accepted(1, &key(0)));
        assert!(s.was_accepted(1, &key(1)));
        assert!(s.was_accepted(1, &key(MAX_ACCEPTED_BASE_KEYS)));
        assert_eq!(s.signed[0].accepted.len(), MAX_ACCEPTED_BASE_KEYS);
        // Another signed prekey's record is separate.
        assert!(!s.was_accepted(2, &key(1)));
        // A count over the limit does not decode.
        let mut bytes = s.encode().to_vec();
        let at = 1 + 129 + 12 + 1 + 100 + 1 + 132;
        bytes[at..at + 2].copy_from_slice(&((MAX_ACCEPTED_BASE_KEYS + 1) as u16).to_be_bytes());
        assert_eq!(
            PreKeyStore::decode(&bytes).unwrap_err(),
            DecodeError::InvalidLength.into()
        );
    }

    #[test]
    fn kem_one_time_prekeys_are_bounded_and_signed_by_the_owner() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let id = IdentityKeyPair::generate(&mut rng);
        let other = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        assert_eq!(
            s.generate_kem_one_time_prekeys(&mut rng, &other, 1)
                .unwrap_err(),
            TrustError::IdentityMismatch.into()
        );
        s.generate_kem_one_time_prekeys(&mut rng, &id, 2).unwrap();
        assert_eq!(
            s.generate_kem_one_time_prekeys(&mut rng, &id, MAX_STORED_KEM_ONE_TIME_PREKEYS - 1)
                .unwrap_err(),
            LimitError::TooManyEntries.into()
        );
        assert_eq!(s.kem_one_time_prekey_count(), 2);
        // Ids: 1 is the last-resort key, 2 and 3 one-time.
        assert!(!s.kem_prekey(1).unwrap().1);
        assert!(s.kem_prekey(2).unwrap().1);
        s.consume_kem_one_time_prekey(2);
        assert_eq!(
            s.kem_prekey(2).err().unwrap(),
            ProtocolError::UnknownKemPreKey.into()
        );
        s.consume_kem_one_time_prekey(1);
        assert!(
            s.kem_prekey(1).is_ok(),
            "a last-resort key is never consumed"
        );
        let b = PreKeyBundle::from_bytes(&s.bundle().to_bytes()).unwrap();
        assert!(b.has_post_quantum_prekeys());
        assert_eq!(b.kem_one_time_prekey_count(), 1);
        let back = PreKeyStore::decode(&s.encode()).unwrap();
        assert_eq!(back.bundle(), s.bundle());
    }

    #[test]
    fn one_time_prekeys_are_bounded() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        let id = IdentityKeyPair::generate(&mut rng);
        let mut s = PreKeyStore::new(&mut rng, &id);
        s.generate_one_time_prekeys(&mut rng, 3).unwrap();
        assert!(
            s.generate_one_time_prekeys(&mut rng, MAX_STORED_ONE_TIME_PREKEYS)
                .is_err()
        );
        assert_eq!(s.one_time_prekey_count(), 3);
        s.consume_one_time_prekey(2);
        assert!(s.one_time_prekey(2).is_err());
        assert!(s.one_time_prekey(3).is_ok());
        let dbg = format!("{s:?}");
        assert!(dbg.contains("one_time_prekeys: 2"));
    }
}
