//! Attestation parsing: arbitrary bytes never panic, and whatever parses
//! re-encodes to exactly the input (the format is canonical).
//! The checks live in `fuzz/decoders.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../decoders.rs"]
mod decoders;

libfuzzer_sys::fuzz_target!(|data: &[u8]| decoders::attestation(data));
