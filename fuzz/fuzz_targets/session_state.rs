//! Decodes arbitrary bytes directly (without the AEAD) as each unsealed
//! state encoding, through the crate's hidden fuzzing hook. The first byte
//! picks the type: identity, prekey store, session, message vault.
//! The checks live in `fuzz/decoders.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../decoders.rs"]
mod decoders;

libfuzzer_sys::fuzz_target!(|data: &[u8]| decoders::session_state(data));
