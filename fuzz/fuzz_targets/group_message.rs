//! Decrypts arbitrary (and mutated valid) group messages on a live group
//! session, in a catch-up batch (twice in one batch) and alone: never a
//! panic, and the state is unchanged on every error.
#![no_main]
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use libfuzzer_sys::fuzz_target;
use std::sync::{Mutex, OnceLock};

#[path = "group_common.rs"]
mod group_common;

static LIVE: OnceLock<Mutex<group_common::Live>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let mut live = LIVE
        .get_or_init(|| Mutex::new(group_common::live()))
        .lock()
        .unwrap();
    let bytes = group_common::input(data, &live.valid_message);
    let _ = bleep::GroupSession::group_id_of(&bytes);
    let before = live.receiver.state_digest();
    let batch = live.receiver.decrypt_batch(&[&bytes[..], &bytes[..]], 0);
    assert_eq!(batch.len(), 2);
    match &batch[0] {
        Ok(_) => assert_eq!(
            bytes, live.valid_message,
            "only the genuine message decrypts"
        ),
        Err(_) => assert_eq!(before, live.receiver.state_digest()),
    }
    assert!(
        batch[1].is_err(),
        "the second copy is a duplicate or refused"
    );
    let before = live.receiver.state_digest();
    match live.receiver.decrypt(&bytes, 0) {
        Ok(_) => assert_eq!(
            bytes, live.valid_message,
            "only the genuine message decrypts"
        ),
        Err(_) => assert_eq!(before, live.receiver.state_digest()),
    }
    // The sender's own session refuses it too, unchanged.
    let before = live.sender.state_digest();
    assert!(live.sender.decrypt(&bytes, 0).is_err());
    assert_eq!(before, live.sender.state_digest());
});
