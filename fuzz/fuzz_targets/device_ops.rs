//! A structure-aware device-layer target: the input is a program of
//! operations (send, deliver in any order, duplicate, drop, tamper, resize,
//! misdeliver, restart, backup and restore, erase, file, receipts) on three
//! verified devices over memory stores. The program and its checks live in
//! `fuzz/device_ops.rs`, shared with `tests/fuzz_corpus.rs`.
#![no_main]

#[path = "../device_ops.rs"]
mod device_ops;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _shown = device_ops::device_ops(data);
});
