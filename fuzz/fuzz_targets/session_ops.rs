//! A structure-aware session target: the input is a program of operations
//! (send, deliver, reorder, duplicate, drop, tamper, resize, seal, restore)
//! on one Alice–Bob session. The program and its checks live in
//! `fuzz/session_ops.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../session_ops.rs"]
mod session_ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _accepted = session_ops::session_ops(data);
});
