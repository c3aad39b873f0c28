//! Keys and organisation-side trust tools: the storage key, and an
//! organisation's signer for attestations and revocation lists (for an
//! organisation's own service, and for tests).

use std::sync::Arc;

use bleep::StorageKey;

use crate::error::{BleepError, Result};
use crate::os_rng;

/// A fresh 32-byte storage key from the OS generator. Put it in the
/// Keychain or Keystore at once and drop this copy; the device never
/// writes it anywhere.
#[uniffi::export]
pub fn generate_storage_key() -> Vec<u8> {
    StorageKey::generate(&mut os_rng()).expose().to_vec()
}

/// The UK regulator that registered a clinician.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RegulatoryBody {
    /// General Medical Council.
    Gmc,
    /// Nursing and Midwifery Council.
    Nmc,
    /// Health and Care Professions Council.
    Hcpc,
    /// General Pharmaceutical Council.
    Gphc,
    /// General Dental Council.
    Gdc,
    /// General Optical Council.
    Goc,
    /// A body added to the core after this binding was written.
    Other,
}

impl RegulatoryBody {
    fn to_core(self) -> Result<bleep::RegulatoryBody> {
        Ok(match self {
            RegulatoryBody::Gmc => bleep::RegulatoryBody::Gmc,
            RegulatoryBody::Nmc => bleep::RegulatoryBody::Nmc,
            RegulatoryBody::Hcpc => bleep::RegulatoryBody::Hcpc,
            RegulatoryBody::Gphc => bleep::RegulatoryBody::Gphc,
            RegulatoryBody::Gdc => bleep::RegulatoryBody::Gdc,
            RegulatoryBody::Goc => bleep::RegulatoryBody::Goc,
            RegulatoryBody::Other => {
                return Err(BleepError::Decode {
                    reason: "UnknownKind".into(),
                });
            }
        })
    }
}

/// What an attestation says, after its signature verified.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct AttestationInfo {
    /// Its serial, named in revocation lists.
    pub serial: u64,
    /// The trust-store id it was issued for (`clinician/device`).
    pub peer: String,
    /// The issuing organisation's public key.
    pub issuer: Vec<u8>,
    /// The clinician's name as the organisation records it.
    pub display_name: String,
    /// The clinician's role.
    pub role: String,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// Valid from (unix seconds).
    pub not_before: u64,
    /// Valid until (unix seconds, inclusive).
    pub not_after: u64,
}

/// Parses an attestation and checks its signature.
///
/// Errors: `Crypto("BadSignature")` for a forged or altered one,
/// `Decode(...)` for garbage.
#[uniffi::export]
pub fn attestation_info(attestation: Vec<u8>) -> Result<AttestationInfo> {
    let a = bleep::Attestation::from_bytes(&attestation)?;
    Ok(AttestationInfo {
        serial: a.serial(),
        peer: a.peer().as_str().to_owned(),
        issuer: a.issuer().to_bytes().to_vec(),
        display_name: a.display_name().to_owned(),
        role: a.role().to_owned(),
        ods_code: a.ods_code().to_owned(),
        not_before: a.not_before(),
        not_after: a.not_after(),
    })
}

/// An organisation's signing key (an NHS trust's identity service). Its
/// secret never leaves this object and zeroizes when it is dropped;
/// printing it shows nothing of the key.
#[derive(uniffi::Object)]
#[uniffi::export(Debug, Display)]
pub struct OrganisationSigner {
    key: bleep::OrganisationKey,
}

impl core::fmt::Debug for OrganisationSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("OrganisationSigner(<secret>)")
    }
}

impl core::fmt::Display for OrganisationSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(self, f)
    }
}

#[uniffi::export]
impl OrganisationSigner {
    /// A fresh signing key from the OS generator.
    #[uniffi::constructor]
    pub fn generate() -> Arc<Self> {
        Arc::new(OrganisationSigner {
            key: bleep::OrganisationKey::generate(&mut os_rng()),
        })
    }

    /// The public key apps trust (`BleepDevice.trust_organisation`).
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().to_bytes().to_vec()
    }

    /// Signs an attestation that `identity_key` is the key of the device at
    /// `address` (attestations name the device's trust-store id,
    /// `clinician/device`).
    #[allow(clippy::too_many_arguments)]
    pub fn attest(
        &self,
        serial: u64,
        address: crate::types::DeviceAddress,
        identity_key: Vec<u8>,
        display_name: String,
        role: String,
        body: RegulatoryBody,
        registration_number: String,
        ods_code: String,
        not_before: u64,
        not_after: u64,
    ) -> Result<Vec<u8>> {
        let peer = address.to_core()?.peer_id();
        let key = bleep::IdentityKey::from_bytes(&identity_key)?;
        let registration = bleep::Registration::new(body.to_core()?, &registration_number)?;
        let details = bleep::ClinicianDetails::new(&display_name, &role, registration, &ods_code)?;
        let a = self
            .key
            .attest(serial, &peer, &key, &details, not_before, not_after)?;
        Ok(a.to_bytes())
    }

    /// Signs a revocation list naming `serials`; `list_version` must grow
    /// with every list.
    pub fn revocation_list(&self, list_version: u64, serials: Vec<u64>) -> Result<Vec<u8>> {
        let l = self
            .key
            .revocation_list(list_version, crate::now(), &serials)?;
        Ok(l.to_bytes())
    }
}
