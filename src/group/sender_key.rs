//! Sender chains: one symmetric ratchet and one Ed25519 key per sender.
//!
//! A sender chain is the Double Ratchet's chain KDF on its own
//! ([`ChainKey::step`]: `MK = HMAC(CK, 0x01)`, `CK' = HMAC(CK, 0x02)`) with
//! a counter, plus an Ed25519 signing key that authenticates each message
//! as coming from the holder of the chain (every member can derive the
//! message keys, so the AEAD alone cannot say who sent a message).
//!
//! Forward secrecy within a chain: a chain key is replaced by its successor
//! as soon as it is used and a message key is dropped once used, so state
//! captured later cannot decrypt earlier messages. There is no
//! post-compromise recovery until the sender rotates to a fresh chain.

use crate::error::{CryptoError, DecodeError, LimitError, ProtocolError, Result};
use crate::group::distribution::Position;
use crate::limits::MAX_GROUP_SKIP;
use crate::ratchet::chain_key::ChainKey;
use crate::ratchet::message_key::MessageKey;
use crate::wire::codec::{Reader, len_u16};
use core::fmt;
use ed25519_dalek::{Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;
use std::collections::VecDeque;
use zeroize::Zeroizing;

/// Bytes of one skipped key entry in the state encoding.
const SKIPPED_ENTRY_LEN: usize = 4 + 32;
/// Bytes of a sender chain in the state encoding (version 2).
pub(crate) const SENDER_CHAIN_LEN: usize = 4 + 4 + 4 + 32 + 32;
/// Bytes of a receiver chain in the state encoding (version 2) before its
/// skipped keys.
pub(crate) const RECEIVER_CHAIN_FIXED_LEN: usize = 8 + 4 + 4 + 4 + 32 + 32 + 2;

/// Our own sending chain.
pub(crate) struct SenderChain {
    /// Which of our chains this is: 0 for the chain made on joining or on a
    /// removal, one more than the previous chain's after a rotation.
    pub(crate) generation: u32,
    pub(crate) chain_id: u32,
    pub(crate) counter: u32,
    pub(crate) key: ChainKey,
    pub(crate) signing: SigningKey,
}

impl SenderChain {
    /// A fresh chain of `generation`: random chain id, chain key and
    /// signing key.
    pub(crate) fn generate(rng: &mut (impl CryptoRng + ?Sized), generation: u32) -> Self {
        let mut id = [0u8; 4];
        rng.fill_bytes(&mut id);
        let mut ck = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(ck.as_mut());
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        SenderChain {
            generation,
            chain_id: u32::from_be_bytes(id),
            counter: 0,
            key: ChainKey::from_bytes(*ck),
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The key for the next message and its counter, without advancing
    /// (the caller commits with [`SenderChain::advance`]).
    pub(crate) fn next_key(&self) -> Result<(u32, MessageKey, ChainKey)> {
        if self.counter == u32::MAX {
            return Err(LimitError::CounterExhausted.into());
        }
        let (mk, next) = self.key.step();
        Ok((self.counter, mk, next))
    }

    /// Commits one step: the used chain key is dropped (zeroized).
    pub(crate) fn advance(&mut self, next: ChainKey) {
        self.key = next;
        self.counter = self.counter.saturating_add(1);
    }

    pub(crate) fn sign(&self, context: &[u8], message: &[u8]) -> [u8; 64] {
        let mut m = Vec::with_capacity(context.len() + message.len());
        m.extend_from_slice(context);
        m.extend_from_slice(message);
        self.signing.sign(&m).to_bytes()
    }

    /// `generation (4) || chain id (4) || counter (4) || chain key (32) ||
    /// signing seed (32)`: [`SENDER_CHAIN_LEN`] bytes.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.generation.to_be_bytes());
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(self.key.as_bytes());
        let seed = Zeroizing::new(self.signing.to_bytes());
        out.extend_from_slice(seed.as_ref());
    }

    /// Reads [`SenderChain::write`] output; `recorded` is false for the
    /// version 1 state encoding, which had no generation (read as 0).
    pub(crate) fn read(r: &mut Reader<'_>, recorded: bool) -> Result<Self> {
        let generation = if recorded { r.u32()? } else { 0 };
        let chain_id = r.u32()?;
        let counter = r.u32()?;
        let key = ChainKey::from_bytes(r.array()?);
        let seed = Zeroizing::new(r.array::<32>()?);
        Ok(SenderChain {
            generation,
            chain_id,
            counter,
            key,
            signing: SigningKey::from_bytes(&seed),
        })
    }
}

impl fmt::Debug for SenderChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SenderChain")
            .field("generation", &self.generation)
            .field("chain_id", &self.chain_id)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// Another member's chain, as we hold it to read their messages.
pub(crate) struct ReceiverChain {
    /// The position its distribution named: a distribution for this sender
    /// replaces the chain only from a greater position.
    pub(crate) position: Position,
    pub(crate) chain_id: u32,
    /// The counter of the next message not yet derived.
    pub(crate) counter: u32,
    /// The chain key at `counter`.
    pub(crate) key: ChainKey,
    pub(crate) verifying: VerifyingKey,
    /// Keys of skipped messages, ascending by counter, at most
    /// [`MAX_GROUP_SKIP`].
    /// Boxed so that growing the queue leaves no key copy in freed memory.
    pub(crate) skipped: VecDeque<(u32, Box<MessageKey>)>,
}

/// What receiving one message would change, computed on copies.
#[derive(Debug)]
pub(crate) enum Advance {
    /// The message used the stored skipped key at this index.
    Skipped(usize),
    /// The message was at or ahead of the chain: new skipped keys, the
    /// chain key after the message, and the next counter.
    Ahead {
        skipped: Vec<(u32, Box<MessageKey>)>,
        key: ChainKey,
        counter: u32,
    },
}

impl ReceiverChain {
    pub(crate) fn new(
        position: Position,
        chain_id: u32,
        counter: u32,
        key: ChainKey,
        verifying: VerifyingKey,
    ) -> Self {
        ReceiverChain {
            position,
            chain_id,
            counter,
            key,
            verifying,
            skipped: VecDeque::new(),
        }
    }

    /// Cofactored Ed25519 verification of `context || message`, the rule
    /// for group message signatures (`docs/PROTOCOL.md` §9.5): the same
    /// set a batch accepts ([`crate::group::batch`]).
    pub(crate) fn verify(&self, context: &[u8], message: &[u8], sig: &[u8; 64]) -> Result<()> {
        if crate::group::batch::verify_one(context, message, &self.verifying, sig) {
            Ok(())
        } else {
            Err(CryptoError::BadSignature.into())
        }
    }

    /// The message key for `counter` and the change that using it makes,
    /// leaving `self` untouched.
    ///
    /// Errors: [`ProtocolError::DuplicateMessage`] (already read, or its
    /// key was evicted or never held), [`LimitError::TooManySkipped`],
    /// [`LimitError::CounterExhausted`].
    pub(crate) fn key_for(&self, counter: u32) -> Result<(MessageKey, Advance)> {
        if counter < self.counter {
            let i = self
                .skipped
                .binary_search_by_key(&counter, |(n, _)| *n)
                .map_err(|_| ProtocolError::DuplicateMessage)?;
            let mk = self
                .skipped
                .get(i)
                .map(|(_, k)| MessageKey::from_bytes(*k.as_bytes()))
                .ok_or(ProtocolError::DuplicateMessage)?;
            return Ok((mk, Advance::Skipped(i)));
        }
        if counter - self.counter > MAX_GROUP_SKIP {
            return Err(LimitError::TooManySkipped.into());
        }
        let next_counter = counter.checked_add(1).ok_or(LimitError::CounterExhausted)?;
        let gap = usize::try_from(counter - self.counter).unwrap_or(0);
        let mut skipped = Vec::with_capacity(gap);
        let mut ck = self.key.duplicate();
        for n in self.counter..counter {
            let (mk, next) = ck.step();
            skipped.push((n, Box::new(mk)));
            ck = next;
        }
        let (mk, next) = ck.step();
        Ok((
            mk,
            Advance::Ahead {
                skipped,
                key: next,
                counter: next_counter,
            },
        ))
    }

    /// Applies an [`Advance`] computed by [`ReceiverChain::key_for`]. The
    /// oldest skipped keys beyond [`MAX_GROUP_SKIP`] are dropped.
    pub(crate) fn commit(&mut self, advance: Advance) {
        match advance {
            Advance::Skipped(i) => {
                self.skipped.remove(i);
            }
            Advance::Ahead {
                skipped,
                key,
                counter,
            } => {
                self.skipped.extend(skipped);
                let max = usize::try_from(MAX_GROUP_SKIP).unwrap_or(usize::MAX);
                while self.skipped.len() > max {
                    self.skipped.pop_front();
                }
                self.key = key;
                self.counter = counter;
            }
        }
    }

    /// Bytes [`ReceiverChain::write`] writes.
    pub(crate) fn encoded_len(&self) -> usize {
        RECEIVER_CHAIN_FIXED_LEN + self.skipped.len() * SKIPPED_ENTRY_LEN
    }

    /// `roster version (8) || generation (4) || chain id (4) || counter (4)
    /// || chain key (32) || verifying key (32) || skipped count (2) ||
    /// count × (counter (4) || message key (32))`:
    /// [`ReceiverChain::encoded_len`] bytes.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.position.roster_version.to_be_bytes());
        out.extend_from_slice(&self.position.generation.to_be_bytes());
        out.extend_from_slice(&self.chain_id.to_be_bytes());
        out.extend_from_slice(&self.counter.to_be_bytes());
        out.extend_from_slice(self.key.as_bytes());
        out.extend_from_slice(self.verifying.as_bytes());
        out.extend_from_slice(&len_u16(self.skipped.len()));
        for (n, mk) in &self.skipped {
            out.extend_from_slice(&n.to_be_bytes());
            out.extend_from_slice(mk.as_bytes());
        }
    }

    /// Reads [`ReceiverChain::write`] output; `recorded` is false for the
    /// version 1 state encoding, which had no position
    /// ([`Position::UNRECORDED`]).
    pub(crate) fn read(r: &mut Reader<'_>, recorded: bool) -> Result<Self> {
        let position = if recorded {
            Position {
                roster_version: r.u64()?,
                generation: r.u32()?,
            }
        } else {
            Position::UNRECORDED
        };
        let chain_id = r.u32()?;
        let counter = r.u32()?;
        let key = ChainKey::from_bytes(r.array()?);
        let verifying = read_verifying_key(r)?;
        let max = usize::try_from(MAX_GROUP_SKIP).unwrap_or(usize::MAX);
        let n = r.count_u16(max, SKIPPED_ENTRY_LEN)?;
        let mut skipped: VecDeque<(u32, Box<MessageKey>)> = VecDeque::with_capacity(n);
        for _ in 0..n {
            let c = r.u32()?;
            if c >= counter || skipped.back().is_some_and(|(p, _)| *p >= c) {
                return Err(DecodeError::NonCanonical.into());
            }
            skipped.push_back((c, Box::new(MessageKey::from_bytes(r.array()?))));
        }
        Ok(ReceiverChain {
            position,
            chain_id,
            counter,
            key,
            verifying,
            skipped,
        })
    }
}

/// An Ed25519 public key that is a valid point and not of small order.
pub(crate) fn read_verifying_key(r: &mut Reader<'_>) -> Result<VerifyingKey> {
    let key = VerifyingKey::from_bytes(&r.array()?).map_err(|_| DecodeError::InvalidKey)?;
    if key.is_weak() {
        return Err(DecodeError::InvalidKey.into());
    }
    Ok(key)
}

impl fmt::Debug for ReceiverChain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiverChain")
            .field("position", &self.position)
            .field("chain_id", &self.chain_id)
            .field("counter", &self.counter)
            .field("skipped", &self.skipped.len())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    fn pair() -> (SenderChain, ReceiverChain) {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let s = SenderChain::generate(&mut rng, 3);
        let r = ReceiverChain::new(
            Position {
                roster_version: 2,
                generation: s.generation,
            },
            s.chain_id,
            s.counter,
            s.key.duplicate(),
            s.signing.verifying_key(),
        );
        (s, r)
    }

    fn send(s: &mut SenderChain) -> (u32, [u8; 32]) {
        let (n, mk, next) = s.next_key().unwrap();
        s.advance(next);
        (n, *mk.as_bytes())
    }

    #[test]
    fn out_of_order_replay_and_forward_secrecy() {
        let (mut s, mut r) = pair();
        let keys: Vec<_> = (0..5).map(|_| send(&mut s)).collect();
        for &i in &[3usize, 0, 4, 1, 2] {
            let (mk, adv) = r.key_for(keys[i].0).unwrap();
            assert_eq!(*mk.as_bytes(), keys[i].1);
            r.commit(adv);
            assert_eq!(
                r.key_for(keys[i].0).unwrap_err(),
                Error::Protocol(ProtocolError::DuplicateMessage)
            );
            // The used key is nowhere in the state any more.
            let mut out = Vec::new();
            r.write(&mut out);
            assert!(!out.windows(32).any(|w| w == keys[i].1));
        }
        assert!(r.skipped.is_empty());
        assert_eq!(r.counter, 5);
    }

    #[test]
    fn skip_limit_and_eviction() {
        let (_, mut r) = pair();
        assert_eq!(
            r.key_for(MAX_GROUP_SKIP + 1).unwrap_err(),
            Error::Limit(LimitError::TooManySkipped)
        );
        let (_, adv) = r.key_for(MAX_GROUP_SKIP).unwrap();
        r.commit(adv);
        assert_eq!(r.skipped.len(), MAX_GROUP_SKIP as usize);
        let (_, adv) = r.key_for(r.counter + 10).unwrap();
        r.commit(adv);
        assert_eq!(r.skipped.len(), MAX_GROUP_SKIP as usize);
        // The oldest were evicted.
        assert!(r.key_for(0).is_err());
        assert!(r.key_for(MAX_GROUP_SKIP + 5).is_ok());
    }

    #[test]
    fn counter_exhaustion() {
        let (mut s, mut r) = pair();
        s.counter = u32::MAX;
        assert_eq!(
            s.next_key().unwrap_err(),
            Error::Limit(LimitError::CounterExhausted)
        );
        r.counter = u32::MAX;
        assert_eq!(
            r.key_for(u32::MAX).unwrap_err(),
            Error::Limit(LimitError::CounterExhausted)
        );
    }

    #[test]
    fn encoding_round_trips() {
        let (mut s, mut r) = pair();
        let k = (0..4).map(|_| send(&mut s)).last().unwrap();
        let (_, adv) = r.key_for(k.0).unwrap();
        r.commit(adv);
        let mut out = Vec::new();
        r.write(&mut out);
        assert_eq!(out.len(), r.encoded_len());
        assert_eq!(out.len(), RECEIVER_CHAIN_FIXED_LEN + 3 * SKIPPED_ENTRY_LEN);
        s.write(&mut out);
        assert_eq!(out.len(), r.encoded_len() + SENDER_CHAIN_LEN);
        let mut rd = Reader::new(&out);
        let r2 = ReceiverChain::read(&mut rd, true).unwrap();
        let s2 = SenderChain::read(&mut rd, true).unwrap();
        rd.finish().unwrap();
        assert_eq!(r2.position, r.position);
        assert_eq!(s2.generation, 3);
        let mut again = Vec::new();
        r2.write(&mut again);
        s2.write(&mut again);
        assert_eq!(again, out);
        assert!(!format!("{s2:?}{r2:?}").contains("key:"));
    }
}
