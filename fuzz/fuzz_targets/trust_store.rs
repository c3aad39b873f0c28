//! Trust store decoding: arbitrary bytes never panic, and whatever decodes
//! re-encodes to exactly the input (so a restored store is the one saved).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some(exact) = bleep::state::fuzz_trust_store_round_trip(data) {
        assert!(exact, "a decoded trust store re-encodes differently");
    }
});
