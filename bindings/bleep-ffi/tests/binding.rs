//! The binding's API from Rust: what the generated foreign code calls.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bleep_ffi::*;

fn addr(c: &str) -> DeviceAddress {
    DeviceAddress {
        clinician: c.into(),
        device: 1,
    }
}

/// An app store kept in a map, as a foreign implementation would be.
#[derive(Default, Clone)]
struct MapStore(Arc<Mutex<BTreeMap<Vec<u8>, Vec<u8>>>>);

impl AppStore for MapStore {
    fn get(&self, key: Vec<u8>) -> Result<Option<Vec<u8>>, AppStoreError> {
        Ok(self.0.lock().unwrap().get(&key).cloned())
    }
    fn scan(&self, prefix: Vec<u8>) -> Result<Vec<StoreRow>, AppStoreError> {
        Ok(self
            .0
            .lock()
            .unwrap()
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, v)| StoreRow {
                key: k.clone(),
                value: v.clone(),
            })
            .collect())
    }
    fn commit(&self, changes: Vec<StoreChange>) -> Result<(), AppStoreError> {
        let mut m = self.0.lock().unwrap();
        for c in changes {
            match c.value {
                Some(v) => m.insert(c.key, v),
                None => m.remove(&c.key),
            };
        }
        Ok(())
    }
}

struct Recorder(Arc<Mutex<Vec<Vec<u8>>>>, bool);

impl RecordSystem for Recorder {
    fn file(&self, _m: Vec<u8>, _i: MessageInfo, body: Vec<u8>) -> Result<(), RecordRefused> {
        if self.1 {
            self.0.lock().unwrap().push(body);
            Ok(())
        } else {
            Err(RecordRefused::Refused)
        }
    }
}

fn pair(a_store: Box<dyn AppStore>, a_key: Vec<u8>) -> (Arc<BleepDevice>, Arc<BleepDevice>) {
    let a = BleepDevice::create_with_store(
        a_store,
        a_key,
        addr("dr.okafor"),
        TrustPolicy::RequireVerified,
    )
    .unwrap();
    let b = BleepDevice::create_in_memory(
        generate_storage_key(),
        addr("dr.patel"),
        TrustPolicy::RequireVerified,
    )
    .unwrap();
    a.add_peer_device(addr("dr.patel"), b.prekey_bundle().unwrap())
        .unwrap();
    b.add_peer_device(addr("dr.okafor"), a.prekey_bundle().unwrap())
        .unwrap();
    // Each scans the other's QR code.
    let qa = a.safety_number(addr("dr.patel")).unwrap().unwrap();
    let qb = b.safety_number(addr("dr.okafor")).unwrap().unwrap();
    assert_eq!(qa.digits, qb.digits);
    a.verify_by_qr(addr("dr.patel"), qb.qr_payload).unwrap();
    b.verify_by_qr(addr("dr.okafor"), qa.qr_payload).unwrap();
    (a, b)
}

#[test]
fn two_devices_talk_through_an_app_store_and_reopen_it() {
    let store = MapStore::default();
    let key = generate_storage_key();
    let (a, b) = pair(Box::new(store.clone()), key.clone());
    let sent = a
        .send_text(
            "dr.patel".into(),
            "Bed 7 needs review".into(),
            OutgoingOptions::default(),
        )
        .unwrap();
    assert_eq!(sent.envelopes.len(), 1);
    let env = sent.envelopes[0].envelope.clone();
    let got = b.receive(addr("dr.okafor"), env.clone()).unwrap();
    let Event::Message { message, .. } = got.event else {
        panic!("{:?}", got.event)
    };
    let m = b.message(message.clone()).unwrap().unwrap();
    assert_eq!(m.text().unwrap(), "Bed 7 needs review");
    assert_eq!(format!("{m:?}"), "StoredMessage(18 bytes)");
    // A replay is a duplicate, not a second message.
    let again = b.receive(addr("dr.okafor"), env.clone()).unwrap();
    assert!(matches!(again.event, Event::Duplicate { .. }));
    // The receipt arrives; then the device reopens from the app store.
    let r = a
        .receive(addr("dr.patel"), got.replies[0].envelope.clone())
        .unwrap();
    assert!(matches!(r.event, Event::Delivered { .. }));
    // Two more on one chain: the second, tampered, is refused with a typed
    // error and changes nothing.
    let opts = OutgoingOptions::default;
    let m2 = a
        .send_text("dr.patel".into(), "Obs stable".into(), opts())
        .unwrap();
    let m3 = a
        .send_text("dr.patel".into(), "NEWS 2".into(), opts())
        .unwrap();
    let m2 = m2.envelopes[0].envelope.clone();
    let second = m3.envelopes[0].envelope.clone();
    assert!(matches!(
        b.receive(addr("dr.okafor"), m2).unwrap().event,
        Event::Message { .. }
    ));
    let mut bad = second.clone();
    *bad.last_mut().unwrap() ^= 1;
    assert_eq!(
        b.receive(addr("dr.okafor"), bad).unwrap_err(),
        BleepError::Crypto {
            reason: "DecryptFailed".into()
        }
    );
    let ok = b.receive(addr("dr.okafor"), second).unwrap();
    assert!(matches!(ok.event, Event::Message { .. }));
    drop(a);
    let a = BleepDevice::open_with_store(Box::new(store.clone()), key).unwrap();
    assert_eq!(a.address().unwrap(), addr("dr.okafor"));
    assert!(matches!(
        BleepDevice::open_with_store(Box::new(store), generate_storage_key()),
        Err(BleepError::State { reason }) if reason == "Unseal"
    ));

    // Filing: a refusal keeps the message, success erases it.
    let filed = Arc::new(Mutex::new(Vec::new()));
    let out = b
        .file_to_record(message.clone(), Box::new(Recorder(filed.clone(), false)))
        .unwrap();
    assert_eq!(out, FileOutcome::Refused);
    let out = b
        .file_to_record(message.clone(), Box::new(Recorder(filed.clone(), true)))
        .unwrap();
    assert_eq!(out, FileOutcome::Filed);
    assert_eq!(filed.lock().unwrap()[0], b"Bed 7 needs review");
    assert!(b.message(message.clone()).unwrap().is_none());
    assert_eq!(
        b.file_to_record(message, Box::new(Recorder(filed, true)))
            .unwrap(),
        FileOutcome::NotFound
    );
}

#[test]
fn hostile_handles_and_keys_are_typed_errors() {
    let b = BleepDevice::create_in_memory(
        generate_storage_key(),
        addr("dr.patel"),
        TrustPolicy::RequireVerified,
    )
    .unwrap();
    assert!(matches!(
        b.message(vec![0; 3]),
        Err(BleepError::Decode { .. })
    ));
    assert!(matches!(
        b.add_peer_device(addr("x"), vec![1, 2, 3]),
        Err(BleepError::Decode { .. })
    ));
    assert!(matches!(
        b.update_group(vec![0; 5], vec![], vec![]),
        Err(BleepError::Decode { .. })
    ));
    assert!(matches!(
        BleepDevice::create_in_memory(vec![0; 31], addr("a"), TrustPolicy::RequireVerified),
        Err(BleepError::Decode { reason }) if reason == "InvalidLength"
    ));
    assert!(matches!(
        b.receive(addr("dr.okafor"), vec![0xff; 40]),
        Err(BleepError::Decode { .. })
    ));
}

#[test]
fn an_app_store_that_fails_is_a_store_error() {
    struct Broken;
    impl AppStore for Broken {
        fn get(&self, _: Vec<u8>) -> Result<Option<Vec<u8>>, AppStoreError> {
            Ok(None)
        }
        fn scan(&self, _: Vec<u8>) -> Result<Vec<StoreRow>, AppStoreError> {
            Ok(vec![])
        }
        fn commit(&self, _: Vec<StoreChange>) -> Result<(), AppStoreError> {
            Err(AppStoreError::Backend)
        }
    }
    assert!(matches!(
        BleepDevice::create_with_store(
            Box::new(Broken),
            generate_storage_key(),
            addr("a"),
            TrustPolicy::RequireVerified
        ),
        Err(BleepError::Store { reason }) if reason == "Backend"
    ));
}

#[test]
fn secrets_do_not_print() {
    let o = OrganisationSigner::generate();
    assert_eq!(format!("{o:?}"), "OrganisationSigner(<secret>)");
    let p = Pseudonymiser::new(generate_pseudonym_key()).unwrap();
    assert_eq!(p.to_string(), "Pseudonymiser(<secret>)");
    let s = Scanner::new(vec!["Thornton".into()], vec![], vec![]).unwrap();
    assert_eq!(format!("{s:?}"), "Scanner");
    let r = s.redact("Mrs Thornton in bay 3".into(), RedactAction::Mask);
    assert!(!r.text.contains("Thornton"), "{}", r.text);
}
