//! Revocation list parsing: arbitrary bytes never panic, and whatever
//! parses re-encodes to exactly the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(list) = bleep::RevocationList::from_bytes(data) {
        assert_eq!(list.to_bytes(), data);
        for s in list.serials() {
            assert!(list.is_revoked(*s));
        }
    }
});
