//! Message keys kept for messages that have not arrived yet.
//!
//! Keys are grouped by the sender's ratchet key and kept in the order they
//! were derived, which is also their age. The total is bounded by
//! [`MAX_SKIPPED_TOTAL`]; inserting past it evicts the oldest keys (those
//! messages are then undecryptable) instead of refusing new messages.

use super::message_key::MessageKey;
use crate::limits::MAX_SKIPPED_TOTAL;
use std::collections::VecDeque;

pub(crate) struct SkippedChain {
    pub(crate) ratchet_key: [u8; 32],
    /// Increasing counters. Boxed so that growing the queue moves only
    /// pointers and leaves no copy of a key in freed memory.
    pub(crate) keys: VecDeque<(u32, Box<MessageKey>)>,
}

#[derive(Default)]
pub(crate) struct SkippedKeys {
    pub(crate) chains: VecDeque<SkippedChain>,
    total: usize,
}

impl SkippedKeys {
    pub(crate) fn len(&self) -> usize {
        self.total
    }

    fn find(&self, ratchet_key: &[u8; 32], counter: u32) -> Option<(usize, usize)> {
        let c = self
            .chains
            .iter()
            .position(|c| &c.ratchet_key == ratchet_key)?;
        let chain = self.chains.get(c)?;
        let k = chain
            .keys
            .binary_search_by_key(&counter, |(n, _)| *n)
            .ok()?;
        Some((c, k))
    }

    /// The stored key for `(ratchet_key, counter)`, if any.
    pub(crate) fn get(&self, ratchet_key: &[u8; 32], counter: u32) -> Option<&MessageKey> {
        let (c, k) = self.find(ratchet_key, counter)?;
        self.chains.get(c)?.keys.get(k).map(|(_, mk)| &**mk)
    }

    /// Removes (and so zeroizes) the key for `(ratchet_key, counter)`.
    pub(crate) fn remove(&mut self, ratchet_key: &[u8; 32], counter: u32) {
        if let Some((c, k)) = self.find(ratchet_key, counter)
            && let Some(chain) = self.chains.get_mut(c)
        {
            chain.keys.remove(k);
            self.total -= 1;
            if chain.keys.is_empty() {
                self.chains.remove(c);
            }
        }
    }

    /// Appends keys derived in order for `ratchet_key`, then evicts the
    /// oldest keys while over the bound.
    pub(crate) fn extend(&mut self, ratchet_key: [u8; 32], keys: Vec<(u32, Box<MessageKey>)>) {
        if keys.is_empty() {
            return;
        }
        self.total += keys.len();
        match self.chains.back_mut() {
            Some(chain) if chain.ratchet_key == ratchet_key => chain.keys.extend(keys),
            _ => self.chains.push_back(SkippedChain {
                ratchet_key,
                keys: keys.into(),
            }),
        }
        while self.total > MAX_SKIPPED_TOTAL {
            self.evict_oldest();
        }
    }

    fn evict_oldest(&mut self) {
        let Some(front) = self.chains.front_mut() else {
            self.total = 0;
            return;
        };
        if front.keys.pop_front().is_some() {
            self.total -= 1;
        }
        if front.keys.is_empty() {
            self.chains.pop_front();
        }
    }

    /// Rebuilds from decoded chains (already bounded by the decoder).
    pub(crate) fn from_chains(chains: VecDeque<SkippedChain>) -> Self {
        let total = chains.iter().map(|c| c.keys.len()).sum();
        SkippedKeys { chains, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(range: core::ops::Range<u32>) -> Vec<(u32, Box<MessageKey>)> {
        range
            .map(|n| (n, Box::new(MessageKey::from_bytes([n as u8; 32]))))
            .collect()
    }

    #[test]
    fn get_remove_and_group() {
        let mut s = SkippedKeys::default();
        s.extend([1; 32], keys(0..3));
        s.extend([1; 32], keys(5..6));
        s.extend([2; 32], keys(0..2));
        assert_eq!(s.len(), 6);
        assert_eq!(s.chains.len(), 2);
        assert!(s.get(&[1; 32], 5).is_some());
        assert!(s.get(&[1; 32], 4).is_none());
        s.remove(&[1; 32], 5);
        assert!(s.get(&[1; 32], 5).is_none());
        assert_eq!(s.len(), 5);
        s.remove(&[2; 32], 0);
        s.remove(&[2; 32], 1);
        assert_eq!(s.chains.len(), 1);
        assert_eq!(s.len(), 3);
    }

    #[test]
    fn evicts_oldest_at_the_bound() {
        let mut s = SkippedKeys::default();
        s.extend([1; 32], keys(0..MAX_SKIPPED_TOTAL as u32));
        assert_eq!(s.len(), MAX_SKIPPED_TOTAL);
        assert!(s.get(&[1; 32], 0).is_some());
        s.extend([2; 32], keys(0..1));
        assert_eq!(s.len(), MAX_SKIPPED_TOTAL);
        assert!(s.get(&[1; 32], 0).is_none());
        assert!(s.get(&[1; 32], 1).is_some());
        assert!(s.get(&[2; 32], 0).is_some());
    }
}
