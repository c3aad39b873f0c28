//! The primitive floors the session benchmarks compare against, shared by
//! the criterion suite (`session`) and the instruction counter
//! (`instructions`), so both measure the same floor.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use aes_gcm_siv::Aes256GcmSiv;
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{ChaCha20Poly1305, KeyInit, XChaCha20Poly1305};
use hmac::{Hmac, Mac};
use rand_chacha::ChaCha20Rng;
use sha2::Sha256;
use std::hint::black_box;
use x25519_dalek::{PublicKey, StaticSecret};

/// The 1 KiB body every symmetric benchmark sends.
pub(crate) const BODY: [u8; 1024] = [0x61; 1024];

/// One symmetric-ratchet step: `(HMAC(ck, 1), HMAC(ck, 2))`, both from
/// one keyed state (the key schedule is computed once, as the session
/// does: under callgrind, which runs SHA-256 in software, a second key
/// schedule would inflate the floor by a fifth).
pub(crate) fn hmac_step(ck: &[u8; 32]) -> ([u8; 32], [u8; 32]) {
    let keyed = <Hmac<Sha256> as KeyInit>::new_from_slice(ck).unwrap();
    let mut m = keyed.clone();
    m.update(&[1]);
    let mk = m.finalize().into_bytes().into();
    let mut c = keyed;
    c.update(&[2]);
    (mk, c.finalize().into_bytes().into())
}

/// Bytes of associated data a session's normal message authenticates:
/// both identities (128) and the envelope prefix (2 + 40).
pub(crate) const WIRE_AD_LEN: usize = 170;
/// The padded payload of a 1 KiB body (38-byte payload header, Padmé).
pub(crate) const WIRE_PAYLOAD_LEN: usize = 1088;

/// Send floor in the wire's form: a chain step and one
/// XChaCha20-Poly1305 seal of the padded 1 KiB payload under the
/// session's associated data. What the protocol cannot avoid per message.
pub(crate) fn wire_floor_send(
    ck: &[u8; 32],
    ad: &[u8; WIRE_AD_LEN],
    buf: &mut [u8; WIRE_PAYLOAD_LEN],
) -> [u8; 16] {
    let (mk, _next) = hmac_step(ck);
    let aead = XChaCha20Poly1305::new(&mk.into());
    aead.encrypt_inout_detached(&[0u8; 24].into(), ad, buf.as_mut_slice().into())
        .unwrap()
        .into()
}

/// Receive floor in the wire's form: a chain step and one open.
pub(crate) fn wire_floor_receive(
    ck: &[u8; 32],
    ad: &[u8; WIRE_AD_LEN],
    ct: &[u8; WIRE_PAYLOAD_LEN],
    tag: &[u8; 16],
) -> [u8; WIRE_PAYLOAD_LEN] {
    let (mk, _next) = hmac_step(ck);
    let aead = XChaCha20Poly1305::new(&mk.into());
    let mut buf = *ct;
    aead.decrypt_inout_detached(&[0u8; 24].into(), ad, buf.as_mut_slice().into(), tag.into())
        .unwrap();
    buf
}

/// Bytes of associated data an AES-256-GCM-SIV session's normal message
/// authenticates: both identities (128) and the envelope prefix (3 + 40:
/// the version-3 envelope names its suite).
pub(crate) const WIRE_AD_LEN_AES: usize = 171;

/// [`wire_floor_send`] for the AES-256-GCM-SIV suite: a chain step and one
/// seal of the padded 1 KiB payload (12-byte nonce, 171 B AD).
pub(crate) fn wire_floor_send_aes(
    ck: &[u8; 32],
    ad: &[u8; WIRE_AD_LEN_AES],
    buf: &mut [u8; WIRE_PAYLOAD_LEN],
) -> [u8; 16] {
    let (mk, _next) = hmac_step(ck);
    let aead = Aes256GcmSiv::new(&mk.into());
    aead.encrypt_inout_detached(&[0u8; 12].into(), ad, buf.as_mut_slice().into())
        .unwrap()
        .into()
}

/// [`wire_floor_receive`] for the AES-256-GCM-SIV suite.
pub(crate) fn wire_floor_receive_aes(
    ck: &[u8; 32],
    ad: &[u8; WIRE_AD_LEN_AES],
    ct: &[u8; WIRE_PAYLOAD_LEN],
    tag: &[u8; 16],
) -> [u8; WIRE_PAYLOAD_LEN] {
    let (mk, _next) = hmac_step(ck);
    let aead = Aes256GcmSiv::new(&mk.into());
    let mut buf = *ct;
    aead.decrypt_inout_detached(&[0u8; 12].into(), ad, buf.as_mut_slice().into(), tag.into())
        .unwrap();
    buf
}

/// Send floor: a chain step and one ChaCha20-Poly1305 seal of `buf`.
pub(crate) fn floor_send(ck: &[u8; 32], buf: &mut [u8; 1024]) -> [u8; 16] {
    let (mk, _next) = hmac_step(ck);
    let aead = ChaCha20Poly1305::new(&mk.into());
    aead.encrypt_inout_detached(&[0u8; 12].into(), b"", buf.as_mut_slice().into())
        .unwrap()
        .into()
}

/// Receive floor: a chain step and one ChaCha20-Poly1305 open.
pub(crate) fn floor_receive(ck: &[u8; 32], ct: &[u8; 1024], tag: &[u8; 16]) -> [u8; 1024] {
    let (mk, _next) = hmac_step(ck);
    let aead = ChaCha20Poly1305::new(&mk.into());
    let mut buf = *ct;
    aead.decrypt_inout_detached(
        &[0u8; 12].into(),
        b"",
        buf.as_mut_slice().into(),
        tag.into(),
    )
    .unwrap();
    buf
}

/// The root KDF: HKDF-SHA256 to 64 bytes.
pub(crate) fn root_kdf(rk: &[u8; 32], dh: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    hkdf::Hkdf::<Sha256>::new(Some(rk), dh)
        .expand(b"root", &mut out)
        .unwrap();
    out
}

/// `SK = HKDF(0^32, ikm)` to 32 bytes.
pub(crate) fn sk_kdf(ikm: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(Some(&[0; 32]), ikm)
        .expand(b"x3dh", &mut out)
        .unwrap();
    out
}

/// The X25519 and HKDF work of an X3DH initiator and its first ratchet
/// step: 2 key generations, 4 DH, 2 HKDF.
pub(crate) fn x3dh_initiator_floor(
    rng: &mut ChaCha20Rng,
    ik: &StaticSecret,
    bob_ik: &PublicKey,
    spk: &PublicKey,
) -> [u8; 64] {
    let ek = StaticSecret::random_from_rng(&mut *rng);
    black_box(PublicKey::from(&ek));
    let dh1 = ik.diffie_hellman(spk);
    let dh2 = ek.diffie_hellman(bob_ik);
    let dh3 = ek.diffie_hellman(spk);
    let mut ikm = [0u8; 128];
    ikm[32..64].copy_from_slice(dh1.as_bytes());
    ikm[64..96].copy_from_slice(dh2.as_bytes());
    ikm[96..].copy_from_slice(dh3.as_bytes());
    let sk = sk_kdf(&ikm);
    let ratchet = StaticSecret::random_from_rng(&mut *rng);
    black_box(PublicKey::from(&ratchet));
    let d = ratchet.diffie_hellman(spk);
    root_kdf(&sk, d.as_bytes())
}

/// The responder's: 4 DH, 2 HKDF.
pub(crate) fn x3dh_responder_floor(
    spk: &StaticSecret,
    ik: &StaticSecret,
    alice_ik: &PublicKey,
    base: &PublicKey,
    ratchet: &PublicKey,
) -> [u8; 64] {
    let dh1 = spk.diffie_hellman(alice_ik);
    let dh2 = ik.diffie_hellman(base);
    let dh3 = spk.diffie_hellman(base);
    let mut ikm = [0u8; 128];
    ikm[32..64].copy_from_slice(dh1.as_bytes());
    ikm[64..96].copy_from_slice(dh2.as_bytes());
    ikm[96..].copy_from_slice(dh3.as_bytes());
    let sk = sk_kdf(&ikm);
    let d = spk.diffie_hellman(ratchet);
    root_kdf(&sk, d.as_bytes())
}
