//! Trust store decoding: arbitrary bytes never panic, and whatever decodes
//! re-encodes to exactly the input (so a restored store is the one saved).
//! The checks live in `fuzz/decoders.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../decoders.rs"]
mod decoders;

libfuzzer_sys::fuzz_target!(|data: &[u8]| decoders::trust_store(data));
