//! Unseals arbitrary bytes as every state type under a fixed key: must
//! return an error, never panic, never allocate more than the input. (The
//! decoders behind the AEAD are fuzzed directly by `session_state`.)
//! The checks live in `fuzz/decoders.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../decoders.rs"]
mod decoders;

libfuzzer_sys::fuzz_target!(|data: &[u8]| decoders::sealed_state(data));
