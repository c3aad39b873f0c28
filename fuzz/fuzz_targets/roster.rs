//! Parses arbitrary bytes as a signed roster: never a panic; whatever
//! parses re-encodes to the same bytes.
//! The checks live in `fuzz/decoders.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../decoders.rs"]
mod decoders;

libfuzzer_sys::fuzz_target!(|data: &[u8]| decoders::roster(data));
