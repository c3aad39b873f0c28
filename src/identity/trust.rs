//! The trust store: which identity key each peer has, and whether, how and
//! when it was verified.
//!
//! It provides the gate between "a key arrived" and "talk to it": under
//! [`TrustPolicy::RequireVerified`] (the NHS default) only identities
//! verified in person (safety number or QR code) or by a trusted
//! organisation's current, unrevoked [`Attestation`] pass; under
//! [`TrustPolicy::TrustOnFirstUse`] the first key seen for a peer is
//! accepted. Under both, a key that differs from the one on record is
//! reported as [`TrustError::KeyChanged`], with a [`KeyChange`] the app can
//! show, and never silently accepted: strict mode requires verifying the
//! new key; trust-on-first-use lets the user acknowledge it.
//!
//! Where it ends: the store records decisions; it cannot tell whether the
//! people comparing a safety number did so carefully, and it knows about
//! revocations only when the app hands it a fresh [`RevocationList`].

use crate::IDENTITY_KEY_LEN;
use crate::error::{DecodeError, LimitError, Result, TrustError};
use crate::identity::attestation::{Attestation, OrganisationPublicKey, RevocationList};
use crate::identity::safety_number::SafetyNumber;
use crate::identity::{IdentityKey, VerifiedIdentity};
use crate::limits::{MAX_PEER_ID_LEN, MAX_TRUSTED_ORGANISATIONS, MAX_TRUSTED_PEERS};
use crate::wire::codec::{Reader, len_u16, len_u32, put_bytes_u8, put_bytes_u32};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

/// Version byte of the trust store encoding. Version 2 holds version-2
/// attestations (bound to the peer) and never an attestation record
/// without its attestation. A version-1 store still loads: its
/// attestation-based records lose their verification (the version-1
/// attestation names no peer), so those peers must be verified again;
/// every other record is kept.
pub const TRUST_STORE_VERSION: u8 = 2;

/// Largest encoded revocation list a trust store encoding may hold.
const MAX_REVOCATION_LIST_BYTES: usize =
    1 + 32 + 8 + 8 + 4 + 8 * crate::limits::MAX_REVOKED_SERIALS + 64;

/// Largest encoded attestation.
const MAX_ATTESTATION_BYTES: usize = 1
    + 8
    + 32
    + 32
    + 8
    + 8
    + (1 + crate::limits::MAX_ODS_CODE_LEN)
    + (1 + crate::limits::MAX_DISPLAY_NAME_LEN)
    + (1 + crate::limits::MAX_ROLE_LEN)
    + 1
    + (1 + crate::limits::MAX_REGISTRATION_NUMBER_LEN)
    + 64;

/// Smallest encoded peer record: id length and one byte, identity key,
/// verification tag, pending flag.
const MIN_PEER_RECORD_LEN: usize = 1 + 1 + IDENTITY_KEY_LEN + 1 + 1;

/// An app's stable identifier for a person (for example a directory id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId(String);

impl PeerId {
    /// A peer id of 1 to [`MAX_PEER_ID_LEN`] bytes.
    pub fn new(id: impl Into<String>) -> Result<Self> {
        let id = id.into();
        if id.len() > MAX_PEER_ID_LEN || id.is_empty() {
            return Err(LimitError::IdTooLong.into());
        }
        Ok(PeerId(id))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How strictly the trust store accepts identities.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustPolicy {
    /// Only identities verified in person or by attestation (NHS default).
    RequireVerified,
    /// The first key seen for a peer is accepted; changes still need
    /// re-verification or an explicit acknowledgement.
    TrustOnFirstUse,
}

/// How an identity came to be trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationMethod {
    /// Both clinicians compared safety numbers.
    SafetyNumber,
    /// One phone scanned the other's QR code.
    QrCode,
    /// A trusted organisation attested the key.
    Attestation,
    /// Accepted on first use, without verification.
    FirstUse,
}

impl VerificationMethod {
    fn tag(self) -> u8 {
        match self {
            VerificationMethod::SafetyNumber => 1,
            VerificationMethod::QrCode => 2,
            VerificationMethod::Attestation => 3,
            VerificationMethod::FirstUse => 4,
        }
    }
}

/// How and when a peer's current key was accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    method: VerificationMethod,
    at: u64,
    attestation: Option<Attestation>,
}

impl Verification {
    /// How the key was accepted.
    pub fn method(&self) -> VerificationMethod {
        self.method
    }

    /// When (unix seconds).
    pub fn verified_at(&self) -> u64 {
        self.at
    }

    /// The attestation it rests on, for [`VerificationMethod::Attestation`]
    /// through [`TrustStore::verify_by_attestation`]: who vouched, and the
    /// name, role and registration the app can show. It is re-checked
    /// (issuer trusted, not expired, not revoked) on every
    /// [`TrustStore::check_at`].
    pub fn attestation(&self) -> Option<&Attestation> {
        self.attestation.as_ref()
    }
}

/// A peer presented an identity key different from the one on record.
///
/// The app should tell the user (for example "Dr Okafor's security code
/// has changed"), show [`KeyChange::previous_verification`], and ask them
/// to verify again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyChange {
    peer: PeerId,
    old_key: IdentityKey,
    new_key: IdentityKey,
    previous: Option<Verification>,
    detected_at: u64,
}

impl KeyChange {
    /// Whose key changed.
    pub fn peer(&self) -> &PeerId {
        &self.peer
    }

    /// The key on record.
    pub fn old_key(&self) -> &IdentityKey {
        &self.old_key
    }

    /// The key now presented (the one to verify).
    pub fn new_key(&self) -> &IdentityKey {
        &self.new_key
    }

    /// How the old key had been accepted, if it had been.
    pub fn previous_verification(&self) -> Option<&Verification> {
        self.previous.as_ref()
    }

    /// When the change was first seen (unix seconds).
    pub fn detected_at(&self) -> u64 {
        self.detected_at
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct PeerRecord {
    key: IdentityKey,
    verification: Option<Verification>,
    pending: Option<(IdentityKey, u64)>,
}

/// What the app knows about each peer's identity.
///
/// ```
/// use bleep::{IdentityKeyPair, PeerId, SafetyNumber, TrustPolicy, TrustStore, VerificationMethod};
/// let mut rng = rand::rng();
/// let (me, colleague) = (IdentityKeyPair::generate(&mut rng), IdentityKeyPair::generate(&mut rng));
/// let (my_id, peer) = (PeerId::new("dr.patel")?, PeerId::new("dr.okafor@example.nhs.uk")?);
/// let mut trust = TrustStore::new(TrustPolicy::RequireVerified);
/// // Not verified yet: the strict policy refuses.
/// assert!(trust.check_at(&peer, colleague.public(), 1_700_000_000).is_err());
/// // The clinicians meet; my phone scans the QR code on theirs.
/// let on_their_phone = SafetyNumber::new(&peer, colleague.public(), &my_id, me.public());
/// let on_my_phone = SafetyNumber::new(&my_id, me.public(), &peer, colleague.public());
/// let scanned = on_their_phone.qr_payload().to_bytes();
/// trust.verify_by_qr(&on_my_phone, &scanned, 1_700_000_000)?;
/// let verified = trust.check_at(&peer, colleague.public(), 1_700_000_100)?;
/// assert_eq!(verified.method(), VerificationMethod::QrCode);
/// # Ok::<(), bleep::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrustStore {
    policy: TrustPolicy,
    organisations: BTreeMap<[u8; 32], OrganisationPublicKey>,
    revocations: BTreeMap<[u8; 32], RevocationList>,
    peers: BTreeMap<PeerId, PeerRecord>,
}

/// Unix seconds from the system clock (0 if it is before 1970).
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TrustStore {
    /// An empty store with the given policy.
    pub fn new(policy: TrustPolicy) -> Self {
        TrustStore {
            policy,
            organisations: BTreeMap::new(),
            revocations: BTreeMap::new(),
            peers: BTreeMap::new(),
        }
    }

    /// The store's policy.
    pub fn policy(&self) -> TrustPolicy {
        self.policy
    }

    /// The identity key on record for `peer`.
    pub fn identity(&self, peer: &PeerId) -> Option<&IdentityKey> {
        self.peers.get(peer).map(|r| &r.key)
    }

    /// How and when the key on record for `peer` was accepted.
    pub fn verification(&self, peer: &PeerId) -> Option<&Verification> {
        self.peers.get(peer).and_then(|r| r.verification.as_ref())
    }

    /// The unresolved key change for `peer`, if [`TrustStore::check_at`]
    /// has seen one.
    pub fn key_change(&self, peer: &PeerId) -> Option<KeyChange> {
        let rec = self.peers.get(peer)?;
        let (new_key, detected_at) = rec.pending.as_ref()?;
        Some(KeyChange {
            peer: peer.clone(),
            old_key: rec.key.clone(),
            new_key: new_key.clone(),
            previous: rec.verification.clone(),
            detected_at: *detected_at,
        })
    }

    /// Whether [`TrustStore::check_at`] would answer
    /// [`TrustError::KeyChanged`] for `key`: a different key is on record
    /// for `peer`. Records nothing, so the device can first make the sender
    /// prove it holds `key`.
    pub(crate) fn would_change(&self, peer: &PeerId, key: &IdentityKey) -> bool {
        self.peers.get(peer).is_some_and(|r| r.key != *key)
    }

    /// Number of peers on record.
    pub fn len(&self) -> usize {
        self.peers.len()
    }

    /// Whether no peer is on record.
    pub fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    fn has_room_for(&self, peer: &PeerId) -> Result<()> {
        if self.peers.contains_key(peer) || self.peers.len() < MAX_TRUSTED_PEERS {
            Ok(())
        } else {
            Err(LimitError::TooManyEntries.into())
        }
    }

    fn record_verified(
        &mut self,
        peer: &PeerId,
        key: &IdentityKey,
        verification: Verification,
    ) -> VerifiedIdentity {
        let method = verification.method;
        self.peers.insert(
            peer.clone(),
            PeerRecord {
                key: key.clone(),
                verification: Some(verification),
                pending: None,
            },
        );
        VerifiedIdentity::new(peer.clone(), key.clone(), method)
    }

    /// Records that `key` was verified for `peer` by `method` at `now`
    /// (unix seconds), replacing any earlier key and resolving any key
    /// change. Prefer [`TrustStore::verify_by_qr`],
    /// [`TrustStore::confirm_safety_number`] and
    /// [`TrustStore::verify_by_attestation`], which check what they record.
    ///
    /// Errors (store unchanged): [`TrustError::AttestationRequired`] for
    /// [`VerificationMethod::Attestation`] (only
    /// [`TrustStore::verify_by_attestation`] records attestation trust, so
    /// that it is re-checked and revocable); [`LimitError::TooManyEntries`]
    /// when the store already holds [`MAX_TRUSTED_PEERS`] other peers.
    pub fn mark_verified(
        &mut self,
        peer: &PeerId,
        key: &IdentityKey,
        method: VerificationMethod,
        now: u64,
    ) -> Result<VerifiedIdentity> {
        if method == VerificationMethod::Attestation {
            return Err(TrustError::AttestationRequired.into());
        }
        self.has_room_for(peer)?;
        Ok(self.record_verified(
            peer,
            key,
            Verification {
                method,
                at: now,
                attestation: None,
            },
        ))
    }

    /// Records the peer's key after the two clinicians read the same
    /// `safety_number` on both phones. The number names the peer and key it
    /// was computed over.
    ///
    /// Errors: [`LimitError::TooManyEntries`] when the store is full.
    pub fn confirm_safety_number(
        &mut self,
        safety_number: &SafetyNumber,
        now: u64,
    ) -> Result<VerifiedIdentity> {
        self.has_room_for(safety_number.peer())?;
        Ok(self.record_verified(
            safety_number.peer(),
            safety_number.peer_key(),
            Verification {
                method: VerificationMethod::SafetyNumber,
                at: now,
                attestation: None,
            },
        ))
    }

    /// Checks a QR payload scanned from the peer's phone against
    /// `safety_number` (computed here over our identity and the peer's key)
    /// and, if it matches, records the peer's key as verified.
    ///
    /// Errors (store unchanged): [`crate::Error::Decode`] for garbage or
    /// another payload version, [`TrustError::SafetyNumberMismatch`] for the
    /// code of another pair, [`LimitError::TooManyEntries`].
    pub fn verify_by_qr(
        &mut self,
        safety_number: &SafetyNumber,
        scanned: &[u8],
        now: u64,
    ) -> Result<VerifiedIdentity> {
        safety_number.check_scanned(scanned)?;
        self.has_room_for(safety_number.peer())?;
        Ok(self.record_verified(
            safety_number.peer(),
            safety_number.peer_key(),
            Verification {
                method: VerificationMethod::QrCode,
                at: now,
                attestation: None,
            },
        ))
    }

    /// Adds an organisation key whose attestations count as verification.
    ///
    /// Errors: [`LimitError::TooManyEntries`] beyond
    /// [`MAX_TRUSTED_ORGANISATIONS`].
    pub fn trust_organisation(&mut self, key: OrganisationPublicKey) -> Result<()> {
        let id = key.to_bytes();
        if !self.organisations.contains_key(&id)
            && self.organisations.len() >= MAX_TRUSTED_ORGANISATIONS
        {
            return Err(LimitError::TooManyEntries.into());
        }
        self.organisations.insert(id, key);
        Ok(())
    }

    /// Stops trusting an organisation key (and drops its revocation list).
    /// Peers verified only by its attestations fail [`TrustStore::check_at`]
    /// with [`TrustError::UnknownOrganisation`] from then on.
    pub fn distrust_organisation(&mut self, key: &OrganisationPublicKey) {
        self.organisations.remove(&key.to_bytes());
        self.revocations.remove(&key.to_bytes());
    }

    /// Whether `key` is a trusted organisation key.
    pub fn trusts_organisation(&self, key: &OrganisationPublicKey) -> bool {
        self.organisations.contains_key(&key.to_bytes())
    }

    /// Installs a trusted organisation's revocation list, replacing an
    /// older one. Peers verified by a revoked attestation fail
    /// [`TrustStore::check_at`] with [`TrustError::AttestationRevoked`].
    ///
    /// Errors (store unchanged): [`TrustError::UnknownOrganisation`] if the
    /// issuer is not trusted; [`TrustError::StaleRevocationList`] if its
    /// list version is not newer than the one held.
    pub fn add_revocation_list(&mut self, list: RevocationList) -> Result<()> {
        let id = list.issuer().to_bytes();
        if !self.organisations.contains_key(&id) {
            return Err(TrustError::UnknownOrganisation.into());
        }
        if let Some(held) = self.revocations.get(&id)
            && held.list_version() >= list.list_version()
        {
            return Err(TrustError::StaleRevocationList.into());
        }
        self.revocations.insert(id, list);
        Ok(())
    }

    fn is_revoked(&self, issuer: &OrganisationPublicKey, serial: u64) -> bool {
        self.revocations
            .get(&issuer.to_bytes())
            .is_some_and(|l| l.is_revoked(serial))
    }

    /// Checks an attestation of `key` for `peer` and, if a trusted
    /// organisation currently vouches for it, records the key as verified.
    ///
    /// Errors (store unchanged), in the order checked:
    /// [`TrustError::UnknownOrganisation`] (issuer not trusted),
    /// [`TrustError::AttestationPeerMismatch`] (names another directory id
    /// than `peer`), [`TrustError::IdentityMismatch`] (attests another key),
    /// [`TrustError::AttestationNotYetValid`], [`TrustError::AttestationExpired`],
    /// [`TrustError::AttestationRevoked`], [`LimitError::TooManyEntries`].
    /// (A forged attestation never gets this far:
    /// [`Attestation::from_bytes`] rejects it with
    /// [`crate::CryptoError::BadSignature`].)
    pub fn verify_by_attestation(
        &mut self,
        peer: &PeerId,
        key: &IdentityKey,
        attestation: &Attestation,
        now: u64,
    ) -> Result<VerifiedIdentity> {
        if !self.trusts_organisation(attestation.issuer()) {
            return Err(TrustError::UnknownOrganisation.into());
        }
        if attestation.peer() != peer {
            return Err(TrustError::AttestationPeerMismatch.into());
        }
        if !attestation.is_for(key) {
            return Err(TrustError::IdentityMismatch.into());
        }
        if now < attestation.not_before() {
            return Err(TrustError::AttestationNotYetValid.into());
        }
        if now > attestation.not_after() {
            return Err(TrustError::AttestationExpired.into());
        }
        if self.is_revoked(attestation.issuer(), attestation.serial()) {
            return Err(TrustError::AttestationRevoked.into());
        }
        self.has_room_for(peer)?;
        Ok(self.record_verified(
            peer,
            key,
            Verification {
                method: VerificationMethod::Attestation,
                at: now,
                attestation: Some(attestation.clone()),
            },
        ))
    }

    /// [`TrustStore::check_at`] with the system clock.
    pub fn check(&mut self, peer: &PeerId, key: &IdentityKey) -> Result<VerifiedIdentity> {
        self.check_at(peer, key, unix_now())
    }

    /// Asks the policy whether `key` may be used for `peer` at `now` (unix
    /// seconds); on success returns the proof that sessions require.
    ///
    /// Errors:
    /// - [`TrustError::KeyChanged`] if a different key is on record. The
    ///   store remembers the new key so [`TrustStore::key_change`] can tell
    ///   the app the old and new keys; nothing else changes. Ask only with
    ///   a key its holder has proved to hold ([`crate::Device`] does so
    ///   for a first message before asking), or anyone can raise the
    ///   alarm.
    /// - [`TrustError::Unverified`] under [`TrustPolicy::RequireVerified`]
    ///   when the key has not been verified (an unknown peer's key is
    ///   recorded, unverified, so a later different key is a key change).
    /// - [`TrustError::AttestationExpired`], [`TrustError::AttestationRevoked`]
    ///   or [`TrustError::UnknownOrganisation`] when the attestation the
    ///   verification rested on is no longer good: verify again.
    /// - [`LimitError::TooManyEntries`] if a new peer would exceed
    ///   [`MAX_TRUSTED_PEERS`].
    ///
    /// Under trust-on-first-use an unknown peer's key is recorded and
    /// accepted as [`VerificationMethod::FirstUse`].
    pub fn check_at(
        &mut self,
        peer: &PeerId,
        key: &IdentityKey,
        now: u64,
    ) -> Result<VerifiedIdentity> {
        self.check_noting(peer, key, now, &mut false)
    }

    /// [`TrustStore::check_at`], setting `changed` if the store recorded
    /// something (a new peer, a pending key change, a first use), so that
    /// a caller knows whether to save it without comparing copies.
    pub(crate) fn check_noting(
        &mut self,
        peer: &PeerId,
        key: &IdentityKey,
        now: u64,
        changed: &mut bool,
    ) -> Result<VerifiedIdentity> {
        let Some(rec) = self.peers.get_mut(peer) else {
            if self.peers.len() >= MAX_TRUSTED_PEERS {
                return Err(LimitError::TooManyEntries.into());
            }
            let verification = match self.policy {
                TrustPolicy::RequireVerified => None,
                TrustPolicy::TrustOnFirstUse => Some(Verification {
                    method: VerificationMethod::FirstUse,
                    at: now,
                    attestation: None,
                }),
            };
            let method = verification.as_ref().map(|v| v.method);
            *changed = true;
            self.peers.insert(
                peer.clone(),
                PeerRecord {
                    key: key.clone(),
                    verification,
                    pending: None,
                },
            );
            return match method {
                Some(m) => Ok(VerifiedIdentity::new(peer.clone(), key.clone(), m)),
                None => Err(TrustError::Unverified.into()),
            };
        };
        if rec.key != *key {
            if rec.pending.as_ref().is_none_or(|(k, _)| k != key) {
                rec.pending = Some((key.clone(), now));
                *changed = true;
            }
            return Err(TrustError::KeyChanged.into());
        }
        match &rec.verification {
            Some(v) => {
                if let Some(a) = &v.attestation {
                    let issuer = a.issuer();
                    if !self.organisations.contains_key(&issuer.to_bytes()) {
                        return Err(TrustError::UnknownOrganisation.into());
                    }
                    if now < a.not_before() {
                        return Err(TrustError::AttestationNotYetValid.into());
                    }
                    if now > a.not_after() {
                        return Err(TrustError::AttestationExpired.into());
                    }
                    if self
                        .revocations
                        .get(&issuer.to_bytes())
                        .is_some_and(|l| l.is_revoked(a.serial()))
                    {
                        return Err(TrustError::AttestationRevoked.into());
                    }
                } else if v.method == VerificationMethod::Attestation {
                    // Attestation trust without its attestation cannot be
                    // re-checked or revoked (older stores could hold it).
                    return Err(TrustError::AttestationRequired.into());
                }
                if self.policy == TrustPolicy::RequireVerified
                    && v.method == VerificationMethod::FirstUse
                {
                    // A record from trust-on-first-use (or from a store that
                    // ran it) is not a verification.
                    return Err(TrustError::Unverified.into());
                }
                Ok(VerifiedIdentity::new(peer.clone(), key.clone(), v.method))
            }
            None => match self.policy {
                TrustPolicy::RequireVerified => Err(TrustError::Unverified.into()),
                TrustPolicy::TrustOnFirstUse => {
                    let v = Verification {
                        method: VerificationMethod::FirstUse,
                        at: now,
                        attestation: None,
                    };
                    rec.verification = Some(v);
                    *changed = true;
                    Ok(VerifiedIdentity::new(
                        peer.clone(),
                        key.clone(),
                        VerificationMethod::FirstUse,
                    ))
                }
            },
        }
    }

    /// Trust-on-first-use only: the user has seen the [`KeyChange`] for
    /// `peer` and accepts the new key without verifying it, as
    /// [`VerificationMethod::FirstUse`].
    ///
    /// Errors: [`TrustError::ReverificationRequired`] under
    /// [`TrustPolicy::RequireVerified`] (verify the new key instead);
    /// [`TrustError::Unverified`] if no key change is pending.
    pub fn acknowledge_key_change(&mut self, peer: &PeerId, now: u64) -> Result<VerifiedIdentity> {
        if self.policy == TrustPolicy::RequireVerified {
            return Err(TrustError::ReverificationRequired.into());
        }
        let new_key = self
            .peers
            .get(peer)
            .and_then(|r| r.pending.as_ref())
            .map(|(k, _)| k.clone())
            .ok_or(TrustError::Unverified)?;
        Ok(self.record_verified(
            peer,
            &new_key,
            Verification {
                method: VerificationMethod::FirstUse,
                at: now,
                attestation: None,
            },
        ))
    }

    /// Forgets `peer` entirely (for example when they leave the service).
    pub fn forget(&mut self, peer: &PeerId) {
        self.peers.remove(peer);
    }

    /// The versioned encoding (see `docs/PROTOCOL.md` section 8), for the
    /// app to seal at rest. It is not secret, but it says who the user
    /// talks to.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.push(TRUST_STORE_VERSION);
        out.push(match self.policy {
            TrustPolicy::RequireVerified => 1,
            TrustPolicy::TrustOnFirstUse => 2,
        });
        out.extend_from_slice(&len_u16(self.organisations.len()));
        for id in self.organisations.keys() {
            out.extend_from_slice(id);
        }
        out.extend_from_slice(&len_u16(self.revocations.len()));
        for list in self.revocations.values() {
            put_bytes_u32(&mut out, &list.to_bytes());
        }
        out.extend_from_slice(&len_u32(self.peers.len()));
        for (id, rec) in &self.peers {
            put_bytes_u8(&mut out, id.as_str().as_bytes());
            out.extend_from_slice(&rec.key.to_bytes());
            match &rec.verification {
                None => out.push(0),
                Some(v) => {
                    out.push(v.method.tag());
                    out.extend_from_slice(&v.at.to_be_bytes());
                    if v.method == VerificationMethod::Attestation {
                        match &v.attestation {
                            Some(a) => {
                                out.push(1);
                                put_bytes_u32(&mut out, &a.to_bytes());
                            }
                            None => out.push(0),
                        }
                    }
                }
            }
            match &rec.pending {
                None => out.push(0),
                Some((k, at)) => {
                    out.push(1);
                    out.extend_from_slice(&k.to_bytes());
                    out.extend_from_slice(&at.to_be_bytes());
                }
            }
        }
        out
    }

    /// The encoding in a buffer wiped on drop, for sealing at rest.
    pub(crate) fn encode(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(self.to_bytes())
    }

    /// Parses a store encoded by [`TrustStore::to_bytes`], checking every
    /// identity binding, attestation and revocation list signature. Only
    /// [`crate::StorageKey::unseal`] calls it: trust is restored from
    /// authenticated state, never from plain bytes.
    ///
    /// Errors: [`crate::Error::Decode`] for malformed, non-canonical
    /// (unsorted or duplicate entries) or unknown-version bytes;
    /// [`crate::CryptoError::BadSignature`] for an altered key or list.
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != TRUST_STORE_VERSION && version != 1 {
            return Err(DecodeError::UnknownVersion.into());
        }
        let policy = match r.u8()? {
            1 => TrustPolicy::RequireVerified,
            2 => TrustPolicy::TrustOnFirstUse,
            _ => return Err(DecodeError::UnknownKind.into()),
        };
        let mut store = TrustStore::new(policy);
        let n = r.count_u16(MAX_TRUSTED_ORGANISATIONS, 32)?;
        for _ in 0..n {
            let key = OrganisationPublicKey::read(&mut r)?;
            let id = key.to_bytes();
            if store
                .organisations
                .keys()
                .next_back()
                .is_some_and(|l| *l >= id)
            {
                return Err(DecodeError::NonCanonical.into());
            }
            store.organisations.insert(id, key);
        }
        let n = r.count_u16(MAX_TRUSTED_ORGANISATIONS, 4)?;
        for _ in 0..n {
            let list = RevocationList::from_bytes(r.bytes_u32(MAX_REVOCATION_LIST_BYTES)?)?;
            let id = list.issuer().to_bytes();
            if store
                .revocations
                .keys()
                .next_back()
                .is_some_and(|l| *l >= id)
                || !store.organisations.contains_key(&id)
            {
                return Err(DecodeError::NonCanonical.into());
            }
            store.revocations.insert(id, list);
        }
        let n = r.count_u32(MAX_TRUSTED_PEERS, MIN_PEER_RECORD_LEN)?;
        for _ in 0..n {
            let id = r.bytes_u8(MAX_PEER_ID_LEN)?;
            let id = core::str::from_utf8(id).map_err(|_| DecodeError::NonCanonical)?;
            let id = PeerId::new(id).map_err(|_| DecodeError::InvalidLength)?;
            if store.peers.keys().next_back().is_some_and(|l| *l >= id) {
                return Err(DecodeError::NonCanonical.into());
            }
            let key = IdentityKey::read(&mut r)?;
            let verification = match r.u8()? {
                0 => None,
                tag => {
                    let method = match tag {
                        1 => VerificationMethod::SafetyNumber,
                        2 => VerificationMethod::QrCode,
                        3 => VerificationMethod::Attestation,
                        4 => VerificationMethod::FirstUse,
                        _ => return Err(DecodeError::UnknownKind.into()),
                    };
                    let at = r.u64()?;
                    if method == VerificationMethod::Attestation {
                        match (version, r.u8()?) {
                            (TRUST_STORE_VERSION, 1) => {
                                let a =
                                    Attestation::from_bytes(r.bytes_u32(MAX_ATTESTATION_BYTES)?)?;
                                if !a.is_for(&key) || *a.peer() != id {
                                    return Err(DecodeError::NonCanonical.into());
                                }
                                Some(Verification {
                                    method,
                                    at,
                                    attestation: Some(a),
                                })
                            }
                            // Version 1: the attestation (if any) names no
                            // peer; the key stays on record, unverified.
                            (_, 1) => {
                                r.bytes_u32(MAX_ATTESTATION_BYTES)?;
                                None
                            }
                            (1, 0) => None,
                            (_, 0) => return Err(DecodeError::NonCanonical.into()),
                            _ => return Err(DecodeError::UnknownKind.into()),
                        }
                    } else {
                        Some(Verification {
                            method,
                            at,
                            attestation: None,
                        })
                    }
                }
            };
            let pending = match r.u8()? {
                0 => None,
                1 => {
                    let k = IdentityKey::read(&mut r)?;
                    if k == key {
                        return Err(DecodeError::NonCanonical.into());
                    }
                    Some((k, r.u64()?))
                }
                _ => return Err(DecodeError::UnknownKind.into()),
            };
            store.peers.insert(
                id,
                PeerRecord {
                    key,
                    verification,
                    pending,
                },
            );
        }
        r.finish()?;
        Ok(store)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdentityKeyPair;
    use crate::error::{CryptoError, Error};
    use crate::identity::attestation::{
        ClinicianDetails, OrganisationKey, Registration, RegulatoryBody,
    };

    fn key(seed: u8) -> IdentityKey {
        IdentityKeyPair::from_seed_bytes([seed; 32])
            .public()
            .clone()
    }

    fn peer(s: &str) -> PeerId {
        PeerId::new(s).unwrap()
    }

    fn details() -> ClinicianDetails {
        ClinicianDetails::new(
            "Nurse Sam Lee",
            "Charge Nurse",
            Registration::new(RegulatoryBody::Nmc, "12A3456E").unwrap(),
            "RRK",
        )
        .unwrap()
    }

    fn org() -> OrganisationKey {
        OrganisationKey::from_seed_bytes([0x0A; 32])
    }

    #[test]
    fn strict_requires_verification_and_flags_changes() {
        let p = peer("a");
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        assert_eq!(
            t.check_at(&p, &key(1), 1).unwrap_err(),
            Error::Trust(TrustError::Unverified)
        );
        t.mark_verified(&p, &key(1), VerificationMethod::QrCode, 5)
            .unwrap();
        assert_eq!(
            t.check_at(&p, &key(1), 6).unwrap().method(),
            VerificationMethod::QrCode
        );
        assert_eq!(t.verification(&p).unwrap().verified_at(), 5);
        assert_eq!(
            t.check_at(&p, &key(2), 7).unwrap_err(),
            Error::Trust(TrustError::KeyChanged)
        );
        let change = t.key_change(&p).unwrap();
        assert_eq!(change.old_key(), &key(1));
        assert_eq!(change.new_key(), &key(2));
        assert_eq!(change.detected_at(), 7);
        assert_eq!(
            change.previous_verification().unwrap().method(),
            VerificationMethod::QrCode
        );
        // Strict: no acknowledging, the old key still works, the new one does not.
        assert_eq!(
            t.acknowledge_key_change(&p, 8).unwrap_err(),
            Error::Trust(TrustError::ReverificationRequired)
        );
        assert!(t.check_at(&p, &key(2), 9).is_err());
        assert_eq!(
            t.key_change(&p).unwrap().detected_at(),
            7,
            "first seen kept"
        );
        t.mark_verified(&p, &key(2), VerificationMethod::SafetyNumber, 10)
            .unwrap();
        assert!(t.key_change(&p).is_none());
        assert!(t.check_at(&p, &key(2), 11).is_ok());
        assert_eq!(
            t.check_at(&p, &key(1), 12).unwrap_err(),
            Error::Trust(TrustError::KeyChanged)
        );
    }

    #[test]
    fn strict_records_first_key_seen_so_a_swap_is_a_change() {
        let p = peer("a");
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        assert!(t.check_at(&p, &key(1), 1).is_err());
        assert_eq!(t.identity(&p), Some(&key(1)));
        assert_eq!(
            t.check_at(&p, &key(2), 2).unwrap_err(),
            Error::Trust(TrustError::KeyChanged)
        );
        assert!(t.key_change(&p).unwrap().previous_verification().is_none());
    }

    #[test]
    fn tofu_accepts_first_then_flags_changes_until_acknowledged() {
        let p = peer("b");
        let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        assert_eq!(
            t.acknowledge_key_change(&p, 1).unwrap_err(),
            Error::Trust(TrustError::Unverified)
        );
        assert_eq!(
            t.check_at(&p, &key(1), 1).unwrap().method(),
            VerificationMethod::FirstUse
        );
        assert_eq!(
            t.check_at(&p, &key(1), 2).unwrap().method(),
            VerificationMethod::FirstUse
        );
        assert_eq!(
            t.check_at(&p, &key(2), 3).unwrap_err(),
            Error::Trust(TrustError::KeyChanged)
        );
        let v = t.acknowledge_key_change(&p, 4).unwrap();
        assert_eq!(v.identity_key(), &key(2));
        assert_eq!(
            t.check_at(&p, &key(2), 5).unwrap().method(),
            VerificationMethod::FirstUse
        );
    }

    #[test]
    fn check_without_time_uses_the_clock() {
        let p = peer("c");
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        t.mark_verified(&p, &key(1), VerificationMethod::SafetyNumber, 0)
            .unwrap();
        assert!(t.check(&p, &key(1)).is_ok());
    }

    #[test]
    fn qr_verification_records_and_rejects() {
        let (me, them) = (key(1), key(2));
        let (my_id, their_id) = (peer("me"), peer("them"));
        let mine = SafetyNumber::new(&my_id, &me, &their_id, &them);
        let theirs = SafetyNumber::new(&their_id, &them, &my_id, &me);
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        let before = t.clone();
        assert_eq!(
            t.verify_by_qr(&mine, &mine.qr_payload().to_bytes(), 1)
                .unwrap_err(),
            Error::Trust(TrustError::SafetyNumberMismatch)
        );
        assert_eq!(
            t.verify_by_qr(&mine, b"garbage", 1).unwrap_err(),
            Error::Decode(DecodeError::UnknownVersion)
        );
        assert_eq!(t, before);
        let v = t
            .verify_by_qr(&mine, &theirs.qr_payload().to_bytes(), 2)
            .unwrap();
        assert_eq!(v.method(), VerificationMethod::QrCode);
        assert_eq!(v.peer(), &their_id);
        let v = t.confirm_safety_number(&mine, 3).unwrap();
        assert_eq!(v.method(), VerificationMethod::SafetyNumber);
        assert_eq!(t.verification(&their_id).unwrap().verified_at(), 3);
    }

    #[test]
    fn attestation_rejections_each_have_their_own_error() {
        let o = org();
        let k = key(1);
        let p = peer("sam");
        let att = o.attest(11, &p, &k, &details(), 100, 200).unwrap();
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        let before = t.clone();
        // Wrong organisation: not configured.
        assert_eq!(
            t.verify_by_attestation(&p, &k, &att, 150).unwrap_err(),
            Error::Trust(TrustError::UnknownOrganisation)
        );
        assert_eq!(t, before);
        t.trust_organisation(o.public_key()).unwrap();
        let before = t.clone();
        assert_eq!(
            t.verify_by_attestation(&p, &key(2), &att, 150).unwrap_err(),
            Error::Trust(TrustError::IdentityMismatch)
        );
        assert_eq!(
            t.verify_by_attestation(&p, &k, &att, 99).unwrap_err(),
            Error::Trust(TrustError::AttestationNotYetValid)
        );
        assert_eq!(
            t.verify_by_attestation(&p, &k, &att, 201).unwrap_err(),
            Error::Trust(TrustError::AttestationExpired)
        );
        // Forged: altered bytes do not parse.
        let mut forged = att.to_bytes();
        let last = forged.len() - 65;
        forged[last] ^= 1;
        assert_eq!(
            Attestation::from_bytes(&forged).unwrap_err(),
            Error::Crypto(CryptoError::BadSignature)
        );
        t.add_revocation_list(o.revocation_list(1, 120, &[11]).unwrap())
            .unwrap();
        let before_revoked = t.clone();
        assert_eq!(
            t.verify_by_attestation(&p, &k, &att, 150).unwrap_err(),
            Error::Trust(TrustError::AttestationRevoked)
        );
        assert_eq!(t, before_revoked);
        assert_ne!(t, before);
        // Boundaries are inclusive.
        let att2 = o.attest(12, &p, &k, &details(), 100, 200).unwrap();
        assert!(t.verify_by_attestation(&p, &k, &att2, 100).is_ok());
        assert!(t.verify_by_attestation(&p, &k, &att2, 200).is_ok());
    }

    #[test]
    fn attestation_verification_is_rechecked_on_use() {
        let o = org();
        let k = key(1);
        let p = peer("sam");
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        t.trust_organisation(o.public_key()).unwrap();
        let att = o.attest(11, &p, &k, &details(), 100, 200).unwrap();
        let v = t.verify_by_attestation(&p, &k, &att, 150).unwrap();
        assert_eq!(v.method(), VerificationMethod::Attestation);
        let r = t.verification(&p).unwrap().attestation().unwrap();
        assert_eq!((r.serial(), r.not_after()), (11, 200));
        assert_eq!(r.issuer(), &o.public_key());
        assert_eq!(r.display_name(), "Nurse Sam Lee");
        assert!(t.check_at(&p, &k, 200).is_ok());
        assert_eq!(
            t.check_at(&p, &k, 201).unwrap_err(),
            Error::Trust(TrustError::AttestationExpired)
        );
        // Revoked after the fact.
        t.add_revocation_list(o.revocation_list(1, 160, &[3]).unwrap())
            .unwrap();
        assert!(t.check_at(&p, &k, 170).is_ok());
        assert_eq!(
            t.add_revocation_list(o.revocation_list(1, 161, &[11]).unwrap())
                .unwrap_err(),
            Error::Trust(TrustError::StaleRevocationList)
        );
        t.add_revocation_list(o.revocation_list(2, 161, &[3, 11]).unwrap())
            .unwrap();
        assert_eq!(
            t.check_at(&p, &k, 170).unwrap_err(),
            Error::Trust(TrustError::AttestationRevoked)
        );
        // Organisation withdrawn.
        t.distrust_organisation(&o.public_key());
        assert_eq!(
            t.check_at(&p, &k, 170).unwrap_err(),
            Error::Trust(TrustError::UnknownOrganisation)
        );
        let stranger = OrganisationKey::from_seed_bytes([0x0B; 32]);
        assert_eq!(
            t.add_revocation_list(stranger.revocation_list(1, 1, &[]).unwrap())
                .unwrap_err(),
            Error::Trust(TrustError::UnknownOrganisation)
        );
    }

    fn populated() -> TrustStore {
        let o = org();
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        t.trust_organisation(o.public_key()).unwrap();
        t.trust_organisation(OrganisationKey::from_seed_bytes([0x0C; 32]).public_key())
            .unwrap();
        t.add_revocation_list(o.revocation_list(4, 99, &[1, 2]).unwrap())
            .unwrap();
        let att = o
            .attest(11, &peer("sam"), &key(1), &details(), 100, 200)
            .unwrap();
        t.verify_by_attestation(&peer("sam"), &key(1), &att, 150)
            .unwrap();
        t.mark_verified(&peer("ada"), &key(2), VerificationMethod::QrCode, 7)
            .unwrap();
        assert!(t.check_at(&peer("ada"), &key(3), 8).is_err());
        assert!(t.check_at(&peer("zed"), &key(4), 9).is_err());
        t.mark_verified(&peer("bob"), &key(5), VerificationMethod::SafetyNumber, 1)
            .unwrap();
        t
    }

    #[test]
    fn encoding_round_trips() {
        let t = populated();
        let bytes = t.to_bytes();
        let back = TrustStore::decode(&bytes).unwrap();
        assert_eq!(back, t);
        assert_eq!(*t.encode(), bytes);
        assert_eq!(TrustStore::decode(&bytes).unwrap(), t);
        assert_eq!(back.key_change(&peer("ada")).unwrap().new_key(), &key(3));
        let empty = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        assert_eq!(TrustStore::decode(&empty.to_bytes()).unwrap(), empty);
    }

    #[test]
    fn malformed_encodings_are_rejected() {
        let bytes = populated().to_bytes();
        let mut v = bytes.clone();
        v[0] = TRUST_STORE_VERSION + 1;
        assert_eq!(
            TrustStore::decode(&v).unwrap_err(),
            Error::Decode(DecodeError::UnknownVersion)
        );
        v[0] = 1;
        v[1] = 3;
        assert_eq!(
            TrustStore::decode(&v).unwrap_err(),
            Error::Decode(DecodeError::UnknownKind)
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            TrustStore::decode(&long).unwrap_err(),
            Error::Decode(DecodeError::TrailingBytes)
        );
        for cut in 0..bytes.len() {
            assert!(TrustStore::decode(&bytes[..cut]).is_err(), "cut {cut}");
        }
        // Swapping the two organisation keys breaks canonical order.
        let mut swapped = bytes.clone();
        let (a, b) = (bytes[4..36].to_vec(), bytes[36..68].to_vec());
        swapped[4..36].copy_from_slice(&b);
        swapped[36..68].copy_from_slice(&a);
        assert_eq!(
            TrustStore::decode(&swapped).unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
    }

    /// A version-2 record verified by attestation carries its attestation
    /// (PROTOCOL §8.8): the same record without it is not canonical.
    #[test]
    fn attestation_record_without_its_attestation_is_non_canonical() {
        let o = org();
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        t.trust_organisation(o.public_key()).unwrap();
        let att = o
            .attest(11, &peer("sam"), &key(1), &details(), 100, 200)
            .unwrap();
        t.verify_by_attestation(&peer("sam"), &key(1), &att, 150)
            .unwrap();
        let bytes = t.to_bytes();
        let att = att.to_bytes();
        let at = bytes
            .windows(att.len())
            .position(|w| w == att.as_slice())
            .unwrap();
        // `has attestation (1) || length (4) || attestation` becomes `0`.
        assert_eq!(bytes[at - 5], 1);
        let mut stripped = bytes[..at - 5].to_vec();
        stripped.push(0);
        stripped.extend_from_slice(&bytes[at + att.len()..]);
        assert_eq!(
            TrustStore::decode(&stripped).unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
    }

    #[test]
    fn decode_bounds_counts_by_input() {
        let mut b = vec![TRUST_STORE_VERSION, 1, 0, 0, 0, 0];
        b.extend_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(
            TrustStore::decode(&b).unwrap_err(),
            Error::Decode(DecodeError::InvalidLength)
        );
        let mut b = vec![TRUST_STORE_VERSION, 1, 0, 0, 0, 0];
        b.extend_from_slice(&(MAX_TRUSTED_PEERS as u32).to_be_bytes());
        assert_eq!(
            TrustStore::decode(&b).unwrap_err(),
            Error::Decode(DecodeError::Truncated)
        );
        let b = [TRUST_STORE_VERSION, 1, 0xFF, 0xFF];
        assert_eq!(
            TrustStore::decode(&b).unwrap_err(),
            Error::Decode(DecodeError::InvalidLength)
        );
    }

    #[test]
    fn organisation_limit() {
        let mut t = TrustStore::new(TrustPolicy::RequireVerified);
        for i in 0..MAX_TRUSTED_ORGANISATIONS {
            let mut seed = [0u8; 32];
            seed[..8].copy_from_slice(&(i as u64).to_be_bytes());
            t.trust_organisation(OrganisationKey::from_seed_bytes(seed).public_key())
                .unwrap();
        }
        // Re-adding a known key is fine; a new one is one past the limit.
        let mut seed = [0u8; 32];
        seed[..8].copy_from_slice(&0u64.to_be_bytes());
        t.trust_organisation(OrganisationKey::from_seed_bytes(seed).public_key())
            .unwrap();
        assert_eq!(
            t.trust_organisation(org().public_key()).unwrap_err(),
            Error::Limit(LimitError::TooManyEntries)
        );
        assert_eq!(TrustStore::decode(&t.to_bytes()).unwrap(), t);
    }

    #[test]
    fn peer_limit_is_enforced_at_and_past_the_limit() {
        let mut t = TrustStore::new(TrustPolicy::TrustOnFirstUse);
        let k = key(1);
        for i in 0..MAX_TRUSTED_PEERS - 1 {
            t.peers.insert(
                peer(&format!("p{i}")),
                PeerRecord {
                    key: k.clone(),
                    verification: None,
                    pending: None,
                },
            );
        }
        // The last free slot.
        assert!(t.check_at(&peer("last"), &k, 1).is_ok());
        assert_eq!(t.len(), MAX_TRUSTED_PEERS);
        let before = t.len();
        assert_eq!(
            t.check_at(&peer("one-more"), &k, 1).unwrap_err(),
            Error::Limit(LimitError::TooManyEntries)
        );
        let sn = SafetyNumber::new(&peer("me"), &key(2), &peer("one-more"), &k);
        assert_eq!(
            t.confirm_safety_number(&sn, 1).unwrap_err(),
            Error::Limit(LimitError::TooManyEntries)
        );
        assert_eq!(
            t.mark_verified(&peer("one-more"), &k, VerificationMethod::QrCode, 1)
                .unwrap_err(),
            Error::Limit(LimitError::TooManyEntries)
        );
        assert_eq!(t.len(), before);
        // Known peers can still be re-verified.
        t.mark_verified(&peer("p0"), &k, VerificationMethod::QrCode, 2)
            .unwrap();
        assert_eq!(
            t.verification(&peer("p0")).unwrap().method(),
            VerificationMethod::QrCode
        );
    }

    #[test]
    fn peer_id_is_bounded() {
        assert!(PeerId::new("x".repeat(MAX_PEER_ID_LEN)).is_ok());
        assert!(PeerId::new("x".repeat(MAX_PEER_ID_LEN + 1)).is_err());
        assert!(PeerId::new("").is_err());
    }
}

#[cfg(test)]
mod version_1 {
    use super::*;
    use crate::error::Error;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// A version-1 store loads; its attestation record (version-1, bound to
    /// no peer) loses its verification, every other record is kept.
    #[test]
    fn version_1_store_loads_without_its_attestation_trust() {
        let v: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/vectors/verification_v1.json")).unwrap();
        let s = |k: &str| v[k].as_str().unwrap().to_owned();
        let bytes = unhex(&s("trust_store"));
        assert_eq!(bytes[0], 1);
        let mut store = TrustStore::decode(&bytes).unwrap();
        let bob = IdentityKey::from_bytes(&unhex(&s("bob_identity"))).unwrap();
        let bob_id = PeerId::new(s("bob_id")).unwrap();
        assert_eq!(store.identity(&bob_id), Some(&bob));
        assert!(store.verification(&bob_id).is_none());
        assert_eq!(
            store.check_at(&bob_id, &bob, 1_750_000_400).unwrap_err(),
            Error::Trust(TrustError::Unverified)
        );
        let carol = IdentityKey::from_bytes(&unhex(&s("carol_identity"))).unwrap();
        let carol_id = PeerId::new(s("carol_id")).unwrap();
        assert_eq!(
            store
                .check_at(&carol_id, &carol, 1_750_000_400)
                .unwrap()
                .method(),
            VerificationMethod::SafetyNumber
        );
        assert!(store.key_change(&carol_id).is_some());
        // Saved again, it is a version-2 store.
        assert_eq!(store.to_bytes()[0], TRUST_STORE_VERSION);
        assert_eq!(TrustStore::decode(&store.to_bytes()).unwrap(), store);
    }
}
