//! Group messages handed to a device: see `fuzz/device_group.rs`.
#![no_main]

#[path = "../device_group.rs"]
mod device_group;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _shown = device_group::device_group(data);
});
