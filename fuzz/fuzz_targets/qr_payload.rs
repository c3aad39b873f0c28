//! QR payload parsing and comparison: arbitrary scanned bytes never panic,
//! parse round-trips, and no arbitrary payload matches a fixed pair's
//! safety number unless it is that pair's code.
//! The checks live in `fuzz/decoders.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../decoders.rs"]
mod decoders;

libfuzzer_sys::fuzz_target!(|data: &[u8]| decoders::qr_payload(data));
