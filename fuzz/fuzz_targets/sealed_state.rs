//! Unseals arbitrary bytes as every state type under a fixed key: must
//! return an error, never panic, never allocate more than the input. (The
//! decoders behind the AEAD are fuzzed directly by `session_state`.)
#![no_main]

use bleep::{IdentityKeyPair, MessageVault, PreKeyStore, Session, StorageKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let key = StorageKey::from_bytes([0x42; 32]);
    let _ = key.unseal::<IdentityKeyPair>(data);
    let _ = key.unseal::<PreKeyStore>(data);
    let _ = key.unseal::<Session>(data);
    let _ = key.unseal::<MessageVault>(data);
});
