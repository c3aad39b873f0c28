//! Trust store decoding: arbitrary bytes never panic, and whatever decodes
//! re-encodes to exactly the input (so a restored store is the one saved).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(store) = bleep::TrustStore::from_bytes(data) {
        assert_eq!(store.to_bytes(), data);
        let again = bleep::TrustStore::from_bytes(&store.to_bytes()).unwrap();
        assert_eq!(again, store);
    }
});
