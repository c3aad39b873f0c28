//! Zeroization, checked from outside: a global allocator inspects every
//! heap block as it is freed or reallocated and records any that still
//! holds a known secret. One whole session lifetime runs under it.
//!
//! The secrets it looks for:
//! - a 16-byte plaintext canary carried in message bodies (small and large);
//! - an identity seed, and the Ed25519 and X25519 secrets derived from it
//!   (recomputed here and checked against the public key);
//! - every 32-byte draw from the random number generator, which is what
//!   identity seeds, prekey, ephemeral and ratchet secret keys are made of.
//!
//! It cannot see secrets the public API never reveals (1:1 root, chain and
//! message keys), and it sees only the heap: stack copies are out of reach.
//!
//! A group lifetime follows, with sender keys held for skipped messages
//! while the state is encoded and sealed. A group chain key is revealed by
//! its distribution message, so the chain and message keys derived from
//! it (`docs/PROTOCOL.md` §9.3) are looked for too.
//!
//! Only one `#[test]` lives in this file, so no other test allocates while
//! the allocator is armed.

// A `GlobalAlloc` implementation is unsafe by definition (the trait is an
// `unsafe trait` and its methods receive raw pointers), and there is no
// other way to see freed memory. The library itself keeps
// `#![forbid(unsafe_code)]`; this test crate is the only exception.
#![allow(unsafe_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep::{
    DistributionPlan, Envelope, GroupId, GroupSession, IdentityKeyPair, OutgoingMessage, PeerId,
    PreKeyBundle, PreKeyStore, Roster, Session, TrustPolicy, TrustStore, VerificationMethod,
    VerifiedIdentity,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{Infallible, Rng, SeedableRng, TryCryptoRng, TryRng};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::SeqCst};
use zeroize::Zeroizing;

/// Distinctive plaintext bytes: they occur nowhere but in a message body.
const CANARY: [u8; 16] = *b"\xC4\x1Bbed7-canary!\x9E\x05";
/// The identity seed the test looks for.
const CANARY_SEED: [u8; 32] = *b"\xA7seed-of-dr-okafor-identity\x13\x37\x5A\x01\x02";

const MAX_SECRETS: usize = 256;
#[allow(clippy::declare_interior_mutable_const)]
const ZERO_BYTE: AtomicU8 = AtomicU8::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ZERO_SECRET: [AtomicU8; 32] = [ZERO_BYTE; 32];
#[allow(clippy::declare_interior_mutable_const)]
const ZERO_USIZE: AtomicUsize = AtomicUsize::new(0);
#[allow(clippy::declare_interior_mutable_const)]
const ZERO_HIT: [AtomicUsize; 4] = [ZERO_USIZE; 4];

/// Secrets to look for (fixed storage: the allocator must not allocate).
static SECRETS: [[AtomicU8; 32]; MAX_SECRETS] = [ZERO_SECRET; MAX_SECRETS];
static SECRET_PHASE: [AtomicUsize; MAX_SECRETS] = [ZERO_USIZE; MAX_SECRETS];
static SECRET_COUNT: AtomicUsize = AtomicUsize::new(0);

static ARMED: AtomicBool = AtomicBool::new(false);
/// Which step of the lifetime is running (an index into `PHASES`).
static PHASE: AtomicUsize = AtomicUsize::new(0);
const PHASES: [&str; 14] = [
    "setup",
    "identities",
    "prekeys and rotation",
    "handshake",
    "conversation",
    "state digest",
    "large message",
    "drop everything",
    "done",
    "group: join and distribute",
    "group: messages with skipped keys",
    "group: state encoding and sealing",
    "group: rotation and removal",
    "group: drop everything",
];

/// Every freed or reallocated block the scan looked at (proves it ran).
static SCANNED: AtomicUsize = AtomicUsize::new(0);
/// Hits: (phase, kind, block size, secret index), kind 0 = plaintext
/// canary in a freed block, 1 = secret in a freed block, 2 = plaintext
/// in a reallocated block, 3 = secret in a reallocated block.
const MAX_HITS: usize = 32;
static HIT_COUNT: AtomicUsize = AtomicUsize::new(0);
static HITS: [[AtomicUsize; 4]; MAX_HITS] = [ZERO_HIT; MAX_HITS];

fn record_hit(kind: usize, size: usize, secret: usize) {
    let i = HIT_COUNT.fetch_add(1, SeqCst);
    if let Some(slot) = HITS.get(i) {
        slot[0].store(PHASE.load(SeqCst), SeqCst);
        slot[1].store(kind, SeqCst);
        slot[2].store(size, SeqCst);
        slot[3].store(secret, SeqCst);
    }
}

fn contains(block: &[u8], needle: &[u8]) -> bool {
    block.windows(needle.len()).any(|w| w == needle)
}

/// Looks for every canary in `block`; `realloc` adds 2 to the hit kind.
fn scan(block: &[u8], realloc: bool) {
    SCANNED.fetch_add(1, SeqCst);
    let base = if realloc { 2 } else { 0 };
    if contains(block, &CANARY) {
        record_hit(base, block.len(), usize::MAX);
    }
    let n = SECRET_COUNT.load(SeqCst).min(MAX_SECRETS);
    for (i, stored) in SECRETS.iter().enumerate().take(n) {
        let mut secret = [0u8; 32];
        for (b, s) in secret.iter_mut().zip(stored) {
            *b = s.load(SeqCst);
        }
        if contains(block, &secret) {
            record_hit(base + 1, block.len(), i);
        }
    }
}

fn register_secret(bytes: &[u8]) {
    let i = SECRET_COUNT.fetch_add(1, SeqCst);
    let slot = SECRETS.get(i).expect("raise MAX_SECRETS");
    for (s, b) in slot.iter().zip(bytes) {
        s.store(*b, SeqCst);
    }
    SECRET_PHASE[i].store(PHASE.load(SeqCst), SeqCst);
}

struct Inspecting;

// SAFETY: every method forwards to `System` with the same arguments; the
// extra work only reads the block being freed (valid for `layout.size()`
// bytes until it is handed back) and never allocates.
unsafe impl GlobalAlloc for Inspecting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ARMED.load(SeqCst) && layout.size() > 0 {
            // SAFETY: `ptr` is a live block of `layout.size()` bytes until
            // the `System.dealloc` below.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            scan(block, false);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ARMED.load(SeqCst) && layout.size() > 0 {
            // SAFETY: as in `dealloc`: the old block is live until `realloc`.
            let block = unsafe { std::slice::from_raw_parts(ptr, layout.size()) };
            scan(block, true);
        }
        // SAFETY: forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Inspecting = Inspecting;

/// A ChaCha20 generator that registers every 32-byte draw as a secret.
struct RecordingRng(ChaCha20Rng);

impl TryRng for RecordingRng {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dest);
        if dest.len() == 32 {
            register_secret(dest);
        }
        Ok(())
    }
}

impl TryCryptoRng for RecordingRng {}

fn phase(p: usize) {
    PHASE.store(p, SeqCst);
}

/// The secrets derived from `CANARY_SEED` (as `docs/PROTOCOL.md` section 2
/// describes), confirmed against the public key so a change of derivation
/// cannot make this test silently look for the wrong bytes.
fn register_identity_secrets(me: &IdentityKeyPair) {
    use hkdf::Hkdf;
    use sha2::Sha256;
    register_secret(&CANARY_SEED);
    let derive = |label: &[u8]| {
        let mut out = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(Some(&[]), &CANARY_SEED)
            .expand(label, out.as_mut_slice())
            .unwrap();
        out
    };
    let ed = derive(b"bleep v1 identity ed25519");
    let x = derive(b"bleep v1 identity x25519");
    let signing = ed25519_dalek::SigningKey::from_bytes(&ed);
    assert_eq!(
        signing.verifying_key().as_bytes(),
        me.public().ed25519_bytes()
    );
    let dh = x25519_dalek::StaticSecret::from(*x);
    assert_eq!(
        x25519_dalek::PublicKey::from(&dh).as_bytes(),
        me.public().x25519_bytes()
    );
    register_secret(ed.as_slice());
    register_secret(x.as_slice());
}

/// A message body with the canary in it, in a buffer wiped on drop.
fn body(text: &str, size: usize) -> Zeroizing<Vec<u8>> {
    let mut b = Zeroizing::new(Vec::with_capacity(size.max(text.len() + CANARY.len())));
    b.extend_from_slice(text.as_bytes());
    while b.len() + CANARY.len() <= size.max(text.len() + CANARY.len()) {
        b.extend_from_slice(&CANARY);
    }
    b
}

/// One session lifetime; every value holding a secret is boxed so that
/// its own memory is scanned when it is dropped.
fn lifetime() {
    let mut rng = RecordingRng(ChaCha20Rng::from_seed([0x2E; 32]));
    let now = 1_700_000_000;

    phase(1);
    let alice = Box::new(IdentityKeyPair::from_seed_bytes(CANARY_SEED));
    register_identity_secrets(&alice);
    let bob = Box::new(IdentityKeyPair::generate(&mut rng));

    phase(2);
    let mut prekeys = Box::new(PreKeyStore::new(&mut rng, &bob));
    prekeys.generate_one_time_prekeys(&mut rng, 40).unwrap();
    for _ in 0..4 {
        prekeys.rotate_signed_prekey(&mut rng, &bob);
    }
    let published = prekeys.bundle().to_bytes();

    phase(3);
    let bundle = PreKeyBundle::from_bytes(&published).unwrap();
    let bob_id = PeerId::new("bob").unwrap();
    let mut alice_trust = TrustStore::new(TrustPolicy::RequireVerified);
    alice_trust
        .mark_verified(&bob_id, bundle.identity(), VerificationMethod::QrCode, now)
        .unwrap();
    let verified_bob = alice_trust.check(&bob_id, bundle.identity()).unwrap();
    let mut a = Box::new(Session::initiate(&mut rng, &alice, &verified_bob, &bundle).unwrap());
    let hello = body("bed 7 obs: ", 40);
    let first = a
        .encrypt(&mut rng, proof(&a), OutgoingMessage::new(&hello, now))
        .unwrap();
    let env = Envelope::parse(&first.envelope).unwrap();
    let mut bob_trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let verified_alice = bob_trust
        .check(
            &PeerId::new("alice").unwrap(),
            env.initiator_identity().unwrap(),
        )
        .unwrap();
    let (b, msg) = Session::accept(&bob, &mut prekeys, &verified_alice, &env, now).unwrap();
    let mut b = Box::new(b);
    assert_eq!(msg.body.expose(), &hello[..]);
    drop(msg);

    phase(4);
    // Several round trips (each a DH ratchet step), some messages out of
    // order and one lost, so skipped keys and retired chains build up.
    for round in 0..12 {
        let text = body(&format!("round {round}: "), 100 + 40 * round);
        let m1 = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(&text, now))
            .unwrap();
        let m2 = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(&text, now))
            .unwrap();
        let _lost = b
            .encrypt(&mut rng, proof(&b), OutgoingMessage::new(&text, now))
            .unwrap();
        let got = a.decrypt(proof(&a), &m2.envelope, now).unwrap();
        assert_eq!(got.body.expose(), &text[..]);
        drop(got);
        let got = a.decrypt(proof(&a), &m1.envelope, now).unwrap();
        assert_eq!(got.body.expose(), &text[..]);
        drop(got);
        // A tampered copy is rejected: its attempted plaintext must not
        // linger either.
        let mut bad = m1.envelope.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert!(a.decrypt(proof(&a), &bad, now).is_err());
        let reply = a
            .encrypt(&mut rng, proof(&a), OutgoingMessage::new(&text, now))
            .unwrap();
        let got = b.decrypt(proof(&b), &reply.envelope, now).unwrap();
        assert_eq!(got.body.expose(), &text[..]);
    }
    assert!(a.skipped_key_count() > 0);

    phase(5);
    // What an app does before persisting: encode the whole state.
    let _ = a.state_digest();
    let _ = b.state_digest();

    phase(6);
    // The growth case: a body near the limit, canaries all through it.
    let large = body("discharge summary: ", 60 * 1024);
    let big = a
        .encrypt(&mut rng, proof(&a), OutgoingMessage::new(&large, now))
        .unwrap();
    let got = b.decrypt(proof(&b), &big.envelope, now).unwrap();
    assert_eq!(got.body.len(), large.len());
    assert!(got.body.expose() == &large[..]);
    drop(got);

    phase(7);
    drop((a, b, prekeys, alice, bob, bundle, alice_trust, bob_trust));
    drop((hello, large));
    phase(8);
}

/// Registers a group chain key `ck` and the next `steps` chain and message
/// keys derived from it (`MK = HMAC(CK, 0x01)`, `CK' = HMAC(CK, 0x02)`),
/// computed on the stack so the test leaves no copy on the heap.
fn register_group_chain(ck: &[u8; 32], steps: usize) {
    use hmac::digest::KeyInit;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;
    let kdf = |key: &[u8; 32], input: u8| -> Zeroizing<[u8; 32]> {
        let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
        m.update(&[input]);
        Zeroizing::new(m.finalize().into_bytes().into())
    };
    let mut chain = Zeroizing::new(*ck);
    for _ in 0..steps {
        register_secret(chain.as_slice());
        register_secret(kdf(&chain, 0x01).as_slice());
        chain = kdf(&chain, 0x02);
    }
    register_secret(chain.as_slice());
}

/// The chain key a distribution message carries (`docs/PROTOCOL.md` §9.4).
fn distributed_chain_key(plan: &DistributionPlan) -> [u8; 32] {
    plan.message.as_bytes()[70..102].try_into().unwrap()
}

/// A group lifetime: three members join, the lead's messages arrive out of
/// order so the others hold skipped keys, every state is encoded and one is
/// sealed and restored, then a rotation and a removal. Every RNG draw (the
/// sender chains' keys and signing seeds, the storage key) is a secret, and
/// so are the lead's chain and message keys.
fn group_lifetime() {
    let mut rng = RecordingRng(ChaCha20Rng::from_seed([0x61; 32]));
    let now = 1_700_000_100;

    phase(9);
    let ids: Vec<_> = (0..3)
        .map(|_| Box::new(IdentityKeyPair::generate(&mut rng)))
        .collect();
    let mut trust = TrustStore::new(TrustPolicy::TrustOnFirstUse);
    let proofs: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(i, k)| {
            trust
                .check(&PeerId::new(format!("member {i}")).unwrap(), k.public())
                .unwrap()
        })
        .collect();
    let members = [ids[1].public().clone(), ids[2].public().clone()];
    let roster = Roster::create(&ids[0], GroupId::random(&mut rng), &members).unwrap();
    let (lead, lead_plan) =
        GroupSession::join_as_coordinator(&mut rng, &ids[0], roster.clone()).unwrap();
    let (nurse, nurse_plan) =
        GroupSession::join(&mut rng, &ids[1], roster.clone(), &proofs[0]).unwrap();
    let (third, third_plan) =
        GroupSession::join(&mut rng, &ids[2], roster.clone(), &proofs[0]).unwrap();
    let (mut lead, mut nurse, mut third) = (Box::new(lead), Box::new(nurse), Box::new(third));
    register_group_chain(&distributed_chain_key(&lead_plan), 8);
    for (from, plan) in [(0, &lead_plan), (1, &nurse_plan), (2, &third_plan)] {
        for (i, s) in [&mut lead, &mut nurse, &mut third].into_iter().enumerate() {
            if i != from {
                s.process_distribution(&proofs[from], plan.message.as_bytes())
                    .unwrap();
            }
        }
    }
    drop((lead_plan, nurse_plan, third_plan));

    phase(10);
    let sent: Vec<_> = (0..8)
        .map(|i| {
            let text = body(&format!("major incident {i}: "), 80 + 30 * i);
            lead.encrypt(&mut rng, OutgoingMessage::new(&text, now))
                .unwrap()
        })
        .collect();
    // The nurse reads 7, 2 and 5 (holding keys for 0, 1, 3, 4 and 6); the
    // third member reads 4 (holding 0 to 3).
    for i in [7usize, 2, 5] {
        let got = nurse.decrypt(&sent[i].bytes, now).unwrap();
        assert!(got.message.body.len() > CANARY.len());
    }
    drop(third.decrypt(&sent[4].bytes, now).unwrap());
    // A tampered copy is refused without a trace.
    let mut bad = sent[0].bytes.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(nurse.decrypt(&bad, now).is_err());

    phase(11);
    // What an app does before persisting: encode every state, and seal.
    for s in [&lead, &nurse, &third] {
        let _ = s.state_digest();
    }
    let key = Box::new(bleep::state::StorageKey::generate(&mut rng));
    let sealed = key.seal(&mut rng, &*nurse);
    let mut restored: Box<GroupSession> = Box::new(key.unseal(&sealed).unwrap());
    assert_eq!(restored.state_digest(), nurse.state_digest());
    let got = restored.decrypt(&sent[3].bytes, now).unwrap();
    assert!(got.message.body.len() > CANARY.len());
    drop(got);
    drop(restored);

    phase(12);
    let rotation = lead.rotate(&mut rng).unwrap();
    register_group_chain(&distributed_chain_key(&rotation), 2);
    nurse
        .process_distribution(&proofs[0], rotation.message.as_bytes())
        .unwrap();
    third
        .process_distribution(&proofs[0], rotation.message.as_bytes())
        .unwrap();
    drop(rotation);
    let next = roster
        .next(&ids[0], &[], &[ids[2].public().clone()])
        .unwrap();
    let update = lead.apply_roster(&mut rng, next.clone()).unwrap();
    register_group_chain(
        &distributed_chain_key(update.distribution.as_ref().unwrap()),
        2,
    );
    let nurse_update = nurse.apply_roster(&mut rng, next).unwrap();
    nurse
        .process_distribution(
            &proofs[0],
            update.distribution.as_ref().unwrap().message.as_bytes(),
        )
        .unwrap();
    lead.process_distribution(
        &proofs[1],
        nurse_update
            .distribution
            .as_ref()
            .unwrap()
            .message
            .as_bytes(),
    )
    .unwrap();
    drop((update, nurse_update));
    let text = body("after the removal: ", 120);
    let m = lead
        .encrypt(&mut rng, OutgoingMessage::new(&text, now))
        .unwrap();
    drop(nurse.decrypt(&m.bytes, now).unwrap());
    let _ = nurse.state_digest();

    phase(13);
    drop((lead, nurse, third, key, ids, trust, proofs));
    drop(text);
    phase(8);
}

#[test]
fn no_freed_block_holds_a_secret() {
    ARMED.store(true, SeqCst);
    lifetime();
    group_lifetime();
    ARMED.store(false, SeqCst);

    // The scan ran and knew what to look for.
    let (scanned, secrets) = (SCANNED.load(SeqCst), SECRET_COUNT.load(SeqCst));
    eprintln!("scanned {scanned} freed or reallocated blocks for {secrets} secrets");
    assert!(scanned > 100, "{scanned}");
    assert!(secrets > 40, "{secrets}");

    let n = HIT_COUNT.load(SeqCst);
    let mut report = String::new();
    for h in HITS.iter().take(n.min(MAX_HITS)) {
        let (p, kind, size, secret) = (
            h[0].load(SeqCst),
            h[1].load(SeqCst),
            h[2].load(SeqCst),
            h[3].load(SeqCst),
        );
        let what = match kind {
            0 => "plaintext canary in a freed block".to_string(),
            2 => "plaintext canary in a reallocated block".to_string(),
            _ => format!(
                "secret #{secret} (registered during {}) in a {} block",
                PHASES[SECRET_PHASE[secret].load(SeqCst)],
                if kind == 1 { "freed" } else { "reallocated" }
            ),
        };
        report.push_str(&format!("\n  during {}: {what} of {size} bytes", PHASES[p]));
    }
    assert_eq!(n, 0, "{n} blocks still held a secret:{report}");
}

thread_local! {
    /// One trust-on-first-use store for every proof, as an app keeps one.
    static TRUST: std::cell::RefCell<TrustStore> =
        std::cell::RefCell::new(TrustStore::new(TrustPolicy::TrustOnFirstUse));
}

/// A fresh proof for the session's peer, for tests of something other than
/// the trust decision.
fn proof(s: &Session) -> VerifiedIdentity {
    let key = s.peer_identity();
    let peer = PeerId::new(format!("{:02x?}", &key.ed25519_bytes()[..4])).unwrap();
    TRUST.with(|t| t.borrow_mut().check_at(&peer, key, 0).unwrap())
}
