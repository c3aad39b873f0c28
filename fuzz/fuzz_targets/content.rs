//! Parses arbitrary bytes as device-layer content (the framing inside every
//! decrypted payload, chosen by the peer): never a panic; every known kind
//! that parses re-encodes to the same bytes; unknown kinds are reported.
//! The checks live in `fuzz/decoders.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../decoders.rs"]
mod decoders;

libfuzzer_sys::fuzz_target!(|data: &[u8]| decoders::content(data));
