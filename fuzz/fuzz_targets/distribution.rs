//! Feeds arbitrary (and mutated valid) distribution messages to a live
//! group session: never a panic, and the state is unchanged on every error.
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
    let bytes = group_common::input(data, &live.valid_distribution);
    let before = live.receiver.state_digest();
    let live = &mut *live;
    if live
        .receiver
        .process_distribution(&live.sender_verified, &bytes)
        .is_err()
    {
        assert_eq!(before, live.receiver.state_digest());
    }
    let _ = &mut live.rng;
});
