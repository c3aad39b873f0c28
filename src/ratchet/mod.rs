//! The Double Ratchet (Signal's specification, §3), transactional.
//!
//! Provides forward secrecy (a message key is deleted once used, a chain
//! key once advanced) and post-compromise security (each DH ratchet round
//! trip mixes fresh X25519 secrets into the root key). It does not hide
//! message counts or timing, and a compromised device reads whatever keys
//! it holds at that moment, including stored skipped keys.
//!
//! Every receive works on copies and commits only after the AEAD accepts,
//! so a rejected message leaves the state exactly as it was.
//!
//! The DH ratchet step on receiving a new ratchet key is split as in many
//! deployed implementations: the receiving half (`DH(our key, their new
//! key)`) happens on receipt; the sending half (a fresh key pair and
//! `DH(new key, their key)`) happens at the next send. The keys derived are
//! those of the specification; decrypting never needs randomness.

pub(crate) mod chain_key;
pub(crate) mod header;
pub(crate) mod message_key;
pub(crate) mod root_key;
pub(crate) mod skipped;

use crate::error::{CryptoError, LimitError, ProtocolError, Result};
use crate::handshake::prekey::X25519KeyPair;
use crate::limits::{MAX_RETIRED_CHAINS, MAX_SKIP_PER_CHAIN};
use crate::primitives::dh;
use chain_key::ChainKey;
use header::Header;
use message_key::MessageKey;
use rand_core::CryptoRng;
use root_key::RootKey;
use skipped::SkippedKeys;
use std::collections::VecDeque;
use x25519_dalek::PublicKey;

pub(crate) struct SendingChain {
    pub(crate) key: ChainKey,
    pub(crate) counter: u32,
}

pub(crate) struct ReceivingChain {
    pub(crate) ratchet_key: [u8; 32],
    pub(crate) key: ChainKey,
    pub(crate) counter: u32,
}

pub(crate) struct Ratchet {
    pub(crate) root: RootKey,
    /// Our current ratchet key pair (public half cached).
    pub(crate) ours: X25519KeyPair,
    /// `None` when a new ratchet key was received and our sending half of
    /// the DH step is still to come.
    pub(crate) sending: Option<SendingChain>,
    /// `PN`: the length of our previous sending chain.
    pub(crate) previous_counter: u32,
    pub(crate) receiving: Option<ReceivingChain>,
    pub(crate) skipped: SkippedKeys,
    /// Their previous ratchet keys, newest last.
    pub(crate) retired: VecDeque<[u8; 32]>,
}

/// Derives the keys `from..to` of a chain (at most `MAX_SKIP_PER_CHAIN`),
/// returning them with the chain key at `to`.
fn skip(key: &ChainKey, from: u32, to: u32) -> (Vec<(u32, Box<MessageKey>)>, ChainKey) {
    let mut ck = key.duplicate();
    let mut keys = Vec::with_capacity(usize::try_from(to.saturating_sub(from)).unwrap_or(0));
    for n in from..to {
        let (mk, next) = ck.step();
        keys.push((n, Box::new(mk)));
        ck = next;
    }
    (keys, ck)
}

fn check_gap(from: u32, to: u32) -> Result<()> {
    if to.saturating_sub(from) > MAX_SKIP_PER_CHAIN {
        return Err(LimitError::TooManySkipped.into());
    }
    Ok(())
}

impl Ratchet {
    /// The initiator's start: `RK, CKs = KDF_RK(SK, DH(ours, their SPK))`.
    pub(crate) fn initiator(
        shared: RootKey,
        ours: X25519KeyPair,
        their_ratchet: &PublicKey,
    ) -> Result<Self> {
        let d = dh(&ours.secret, their_ratchet)?;
        let (root, ck) = shared.ratchet(&d);
        Ok(Ratchet {
            root,
            ours,
            sending: Some(SendingChain {
                key: ck,
                counter: 0,
            }),
            previous_counter: 0,
            receiving: None,
            skipped: SkippedKeys::default(),
            retired: VecDeque::new(),
        })
    }

    /// The responder's start: `RK = SK`, our ratchet key is the signed prekey.
    pub(crate) fn responder(shared: RootKey, signed_prekey: X25519KeyPair) -> Self {
        Ratchet {
            root: shared,
            ours: signed_prekey,
            sending: None,
            previous_counter: 0,
            receiving: None,
            skipped: SkippedKeys::default(),
            retired: VecDeque::new(),
        }
    }

    /// The header and key for the next message; advances the sending chain.
    /// Draws 32 bytes from `rng` only when a DH ratchet step is due.
    pub(crate) fn next_sending_key(
        &mut self,
        rng: &mut (impl CryptoRng + ?Sized),
    ) -> Result<(Header, MessageKey)> {
        let chain = match &mut self.sending {
            Some(chain) => chain,
            None => {
                let their = self
                    .receiving
                    .as_ref()
                    .map(|r| PublicKey::from(r.ratchet_key))
                    .ok_or(ProtocolError::NotPreKeyMessage)?;
                let ours = X25519KeyPair::generate(rng);
                let d = dh(&ours.secret, &their)?;
                let (root, ck) = self.root.ratchet(&d);
                self.root = root;
                self.ours = ours;
                self.sending.insert(SendingChain {
                    key: ck,
                    counter: 0,
                })
            }
        };
        if chain.counter == u32::MAX {
            return Err(LimitError::CounterExhausted.into());
        }
        let (mk, next) = chain.key.step();
        let header = Header {
            ratchet_key: *self.ours.public.as_bytes(),
            previous_counter: self.previous_counter,
            counter: chain.counter,
        };
        chain.key = next;
        chain.counter += 1;
        Ok((header, mk))
    }

    /// Finds the key for `header`, lets `open` try it, and commits the new
    /// state only if `open` succeeds.
    pub(crate) fn receive<T>(
        &mut self,
        header: &Header,
        open: impl FnOnce(&MessageKey) -> Result<T>,
    ) -> Result<T> {
        let their = header.ratchet_key;
        let n = header.counter;
        if n == u32::MAX {
            return Err(LimitError::CounterExhausted.into());
        }

        if let Some(mk) = self.skipped.get(&their, n) {
            let out = open(mk)?;
            self.skipped.remove(&their, n);
            return Ok(out);
        }

        if let Some(chain) = self.receiving.as_mut().filter(|c| c.ratchet_key == their) {
            if n < chain.counter {
                return Err(ProtocolError::DuplicateMessage.into());
            }
            if n == chain.counter {
                // The next message in order: nothing to skip or copy.
                let (mk, next) = chain.key.step();
                let out = open(&mk)?;
                chain.key = next;
                chain.counter = n + 1;
                return Ok(out);
            }
            check_gap(chain.counter, n)?;
            let (skipped, ck) = skip(&chain.key, chain.counter, n);
            let (mk, next) = ck.step();
            let out = open(&mk)?;
            chain.key = next;
            chain.counter = n + 1;
            self.skipped.extend(their, skipped);
            return Ok(out);
        }

        if self.retired.contains(&their) {
            return Err(ProtocolError::DuplicateMessage.into());
        }

        // A new ratchet key: the receiving half of a DH ratchet step.
        check_gap(0, n)?;
        let old_chain_keys = match &self.receiving {
            Some(old)
                if header.previous_counter.saturating_sub(old.counter) <= MAX_SKIP_PER_CHAIN =>
            {
                Some((
                    old.ratchet_key,
                    skip(&old.key, old.counter, header.previous_counter).0,
                ))
            }
            _ => None,
        };
        let d = dh(&self.ours.secret, &PublicKey::from(their))
            .map_err(|_| CryptoError::DecryptFailed)?;
        let (root, ck) = self.root.ratchet(&d);
        let (skipped, ck) = skip(&ck, 0, n);
        let (mk, next) = ck.step();
        let out = open(&mk)?;

        self.root = root;
        if let Some((key, keys)) = old_chain_keys {
            self.skipped.extend(key, keys);
        }
        self.skipped.extend(their, skipped);
        if let Some(old) = self.receiving.replace(ReceivingChain {
            ratchet_key: their,
            key: next,
            counter: n + 1,
        }) {
            self.retired.push_back(old.ratchet_key);
            while self.retired.len() > MAX_RETIRED_CHAINS {
                self.retired.pop_front();
            }
        }
        if let Some(s) = self.sending.take() {
            self.previous_counter = s.counter;
        }
        Ok(out)
    }
}
