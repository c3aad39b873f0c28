//! QR payload parsing and comparison: arbitrary scanned bytes never panic,
//! parse round-trips, and no arbitrary payload matches a fixed pair's
//! safety number unless it is that pair's code.
#![no_main]

use bleep::{IdentityKeyPair, PeerId, QrPayload, SafetyNumber};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

fn pair() -> &'static (SafetyNumber, [u8; bleep::QR_PAYLOAD_LEN]) {
    static PAIR: OnceLock<(SafetyNumber, [u8; bleep::QR_PAYLOAD_LEN])> = OnceLock::new();
    PAIR.get_or_init(|| {
        let a = IdentityKeyPair::from_seed_bytes([1; 32]);
        let b = IdentityKeyPair::from_seed_bytes([2; 32]);
        let (ai, bi) = (PeerId::new("a").unwrap(), PeerId::new("b").unwrap());
        let mine = SafetyNumber::new(&ai, a.public(), &bi, b.public());
        let theirs = SafetyNumber::new(&bi, b.public(), &ai, a.public());
        (mine, theirs.qr_payload().to_bytes())
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = QrPayload::from_bytes(data) {
        assert_eq!(&p.to_bytes()[..], data);
    }
    let (mine, good) = pair();
    if mine.check_scanned(data).is_ok() {
        assert_eq!(data, &good[..]);
    }
});
