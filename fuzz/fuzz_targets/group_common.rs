// Shared set-up for the group fuzz targets: a live three-member group in
// which the fuzzed member holds both other members' sender keys.

use bleep::{
    GroupId, GroupSession, IdentityKeyPair, OutgoingMessage, PeerId, Roster, TrustPolicy,
    TrustStore, VerifiedIdentity,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[allow(dead_code)]
pub struct Live {
    pub rng: ChaCha20Rng,
    pub receiver: GroupSession,
    pub sender: GroupSession,
    pub sender_id: IdentityKeyPair,
    /// The receiver's trust store's proof for the sender.
    pub sender_verified: VerifiedIdentity,
    pub valid_message: Vec<u8>,
    pub valid_distribution: Vec<u8>,
}

pub fn live() -> Live {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let ids: Vec<_> = (1..=3u8)
        .map(|i| IdentityKeyPair::from_seed_bytes([i; 32]))
        .collect();
    let roster = Roster::create(
        &ids[0],
        GroupId([7; 16]),
        &[ids[1].public().clone(), ids[2].public().clone()],
    )
    .unwrap();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let mut verified = |name: &str, k: &IdentityKeyPair| {
        trust
            .check(&PeerId::new(name).unwrap(), k.public())
            .unwrap()
    };
    let coordinator = verified("coordinator", &ids[0]);
    let third = verified("third", &ids[2]);
    let (mut sender, sp) =
        GroupSession::join_as_coordinator(&mut rng, &ids[0], roster.clone()).unwrap();
    let (mut receiver, _) =
        GroupSession::join(&mut rng, &ids[1], roster.clone(), &coordinator).unwrap();
    let (_, tp) = GroupSession::join(&mut rng, &ids[2], roster, &coordinator).unwrap();
    receiver
        .process_distribution(&coordinator, sp.message.as_bytes())
        .unwrap();
    receiver
        .process_distribution(&third, tp.message.as_bytes())
        .unwrap();
    let valid_message = sender
        .encrypt(&mut rng, OutgoingMessage::new(b"fuzz", 1))
        .unwrap()
        .bytes;
    let valid_distribution = sender.rotate(&mut rng).unwrap().message.as_bytes().to_vec();
    let sender_id = IdentityKeyPair::from_seed_bytes([1; 32]);
    Live {
        rng,
        receiver,
        sender,
        sender_id,
        sender_verified: coordinator,
        valid_message,
        valid_distribution,
    }
}

/// Either the raw input, or (first byte odd) a valid sample with the rest
/// of the input XORed over it, so mutations reach past the parser.
pub fn input(data: &[u8], valid: &[u8]) -> Vec<u8> {
    match data.split_first() {
        Some((mode, rest)) if mode & 1 == 1 => {
            let mut v = valid.to_vec();
            for (b, x) in v.iter_mut().zip(rest) {
                *b ^= x;
            }
            if rest.len() > v.len() {
                v.extend_from_slice(&rest[v.len()..]);
            }
            v
        }
        _ => data.to_vec(),
    }
}
