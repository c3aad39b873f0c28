//! Fuzz the redaction scanner: any UTF-8 input must scan without panicking,
//! give sorted, disjoint, char-aligned spans, and redact idempotently.
//! The checks live in `fuzz/decoders.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../decoders.rs"]
mod decoders;

libfuzzer_sys::fuzz_target!(|data: &[u8]| decoders::redact(data));
