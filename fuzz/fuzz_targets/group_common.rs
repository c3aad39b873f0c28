// Shared set-up for the group fuzz targets: a live three-member group in
// which the fuzzed member holds both other members' sender keys.

use bleep::{GroupId, GroupSession, IdentityKeyPair, OutgoingMessage, Roster};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;

#[allow(dead_code)]
pub struct Live {
    pub rng: ChaCha20Rng,
    pub receiver: GroupSession,
    pub sender: GroupSession,
    pub sender_id: IdentityKeyPair,
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
    let (mut sender, sp) =
        GroupSession::join(&mut rng, &ids[0], roster.clone(), ids[0].public()).unwrap();
    let (mut receiver, _) =
        GroupSession::join(&mut rng, &ids[1], roster.clone(), ids[0].public()).unwrap();
    let (_, tp) = GroupSession::join(&mut rng, &ids[2], roster, ids[0].public()).unwrap();
    receiver
        .process_distribution(ids[0].public(), sp.message.as_bytes())
        .unwrap();
    receiver
        .process_distribution(ids[2].public(), tp.message.as_bytes())
        .unwrap();
    let valid_message = sender
        .encrypt(&mut rng, OutgoingMessage::new(b"fuzz", 1))
        .unwrap()
        .bytes;
    let valid_distribution = sender.rotate(&mut rng).message.as_bytes().to_vec();
    let sender_id = IdentityKeyPair::from_seed_bytes([1; 32]);
    Live {
        rng,
        receiver,
        sender,
        sender_id,
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
