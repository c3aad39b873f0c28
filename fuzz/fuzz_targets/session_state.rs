//! Decodes arbitrary bytes directly (without the AEAD) as each unsealed
//! state encoding, through the crate's hidden fuzzing hook. The first byte
//! picks the type: identity, prekey store, session, message vault.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((ty, rest)) = data.split_first() {
        let _ = bleep::fuzz_decode_state(*ty, rest);
    }
});
