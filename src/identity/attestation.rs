//! Organisation attestations and revocation lists.
//!
//! Provides: an organisation (an NHS trust, a national directory) holds an
//! Ed25519 [`OrganisationKey`] and signs an [`Attestation`] binding a
//! clinician's identity key to their display name, role, professional
//! registration, the organisation's ODS code and a validity period. It
//! signs a [`RevocationList`] of attestation serials it has withdrawn.
//! Parsing either checks the signature strictly against the issuer key it
//! names; [`crate::TrustStore::verify_by_attestation`] then decides whether
//! that issuer is trusted, whether the attestation is current and whether
//! it was revoked.
//!
//! Where it ends: an attestation is as good as the organisation's key
//! custody and its identity checks. The crate does not fetch revocation
//! lists; the app must deliver fresh ones, or a revoked attestation stays
//! accepted until it expires.

use crate::error::{CryptoError, DecodeError, LimitError, Result};
use crate::identity::{IdentityKey, PeerId};
use crate::limits::{
    MAX_DISPLAY_NAME_LEN, MAX_ODS_CODE_LEN, MAX_PEER_ID_LEN, MAX_REGISTRATION_NUMBER_LEN,
    MAX_REVOKED_SERIALS, MAX_ROLE_LEN,
};
use crate::primitives::{LABEL_ATTESTATION, LABEL_REVOCATION_LIST};
use crate::wire::codec::{Reader, put_bytes_u8};
use core::fmt;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRng;

/// Version byte of the [`Attestation`] encoding. Version 2 signs the
/// directory id of the clinician ([`Attestation::peer`]); version 1 named
/// only the key, so it could be recorded for any peer, and is refused.
pub const ATTESTATION_VERSION: u8 = 2;

/// Version byte of the [`RevocationList`] encoding.
pub const REVOCATION_LIST_VERSION: u8 = 1;

/// An organisation's signing key. Keep it in the organisation's HSM or
/// offline; it never belongs on a clinician's phone.
///
/// ```
/// use bleep::{ClinicianDetails, IdentityKeyPair, OrganisationKey, RegulatoryBody, Registration};
/// let mut rng = rand::rng();
/// let trust_key = OrganisationKey::generate(&mut rng);
/// let clinician = IdentityKeyPair::generate(&mut rng);
/// let details = ClinicianDetails::new(
///     "Dr Ada Okafor",
///     "Consultant Anaesthetist",
///     Registration::new(RegulatoryBody::Gmc, "7654321")?,
///     "RRK",
/// )?;
/// let directory_id = bleep::PeerId::new("ada.okafor@rrk.nhs.uk")?;
/// let att = trust_key.attest(42, &directory_id, clinician.public(), &details, 1_700_000_000, 1_731_536_000)?;
/// let parsed = bleep::Attestation::from_bytes(&att.to_bytes())?;
/// assert_eq!(parsed.display_name(), "Dr Ada Okafor");
/// assert_eq!(*parsed.issuer(), trust_key.public_key());
/// assert_eq!(format!("{trust_key:?}"), "OrganisationKey(<redacted>)");
/// # Ok::<(), bleep::Error>(())
/// ```
pub struct OrganisationKey {
    // ed25519-dalek's `zeroize` feature wipes the key on drop.
    signing: SigningKey,
}

impl OrganisationKey {
    /// A fresh key from a cryptographic random number generator.
    pub fn generate(rng: &mut (impl CryptoRng + ?Sized)) -> Self {
        OrganisationKey {
            signing: SigningKey::generate(rng),
        }
    }

    /// Rebuilds a key from its 32-byte Ed25519 seed (for test vectors and
    /// key restore).
    pub fn from_seed_bytes(seed: [u8; 32]) -> Self {
        let seed = zeroize::Zeroizing::new(seed);
        OrganisationKey {
            signing: SigningKey::from_bytes(&seed),
        }
    }

    /// The public key apps configure as trusted.
    pub fn public_key(&self) -> OrganisationPublicKey {
        OrganisationPublicKey(self.signing.verifying_key())
    }

    fn sign(&self, label: &[u8], body: &[u8]) -> [u8; 64] {
        let mut m = Vec::with_capacity(label.len() + body.len());
        m.extend_from_slice(label);
        m.extend_from_slice(body);
        self.signing.sign(&m).to_bytes()
    }

    /// Signs an attestation that `subject` belongs to the clinician
    /// described by `details`, whom apps look up as `peer` (the directory
    /// id the app passes to the trust store), valid from `not_before` to
    /// `not_after` inclusive (unix seconds). `serial` names it in revocation
    /// lists and must be unique per organisation.
    ///
    /// Errors: [`DecodeError::NonCanonical`] if `not_before > not_after`.
    pub fn attest(
        &self,
        serial: u64,
        peer: &PeerId,
        subject: &IdentityKey,
        details: &ClinicianDetails,
        not_before: u64,
        not_after: u64,
    ) -> Result<Attestation> {
        if not_before > not_after {
            return Err(DecodeError::NonCanonical.into());
        }
        let mut att = Attestation {
            serial,
            issuer: self.public_key(),
            peer: peer.clone(),
            subject: *subject.ed25519_bytes(),
            not_before,
            not_after,
            details: details.clone(),
            signature: [0; 64],
        };
        att.signature = self.sign(LABEL_ATTESTATION, &att.signed_bytes());
        Ok(att)
    }

    /// Signs a revocation list naming `serials` (duplicates removed).
    /// `list_version` must increase with every list the organisation
    /// issues, so an old list cannot be replayed over a newer one.
    ///
    /// Errors: [`LimitError::TooManyEntries`] beyond
    /// [`MAX_REVOKED_SERIALS`].
    pub fn revocation_list(
        &self,
        list_version: u64,
        issued_at: u64,
        serials: &[u64],
    ) -> Result<RevocationList> {
        let mut serials = serials.to_vec();
        serials.sort_unstable();
        serials.dedup();
        if serials.len() > MAX_REVOKED_SERIALS {
            return Err(LimitError::TooManyEntries.into());
        }
        let mut list = RevocationList {
            issuer: self.public_key(),
            list_version,
            issued_at,
            serials,
            signature: [0; 64],
        };
        list.signature = self.sign(LABEL_REVOCATION_LIST, &list.signed_bytes());
        Ok(list)
    }
}

impl fmt::Debug for OrganisationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OrganisationKey(<redacted>)")
    }
}

/// An organisation's public key: what an app configures as trusted.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OrganisationPublicKey(VerifyingKey);

impl OrganisationPublicKey {
    /// Parses a 32-byte Ed25519 public key.
    ///
    /// Errors: [`DecodeError::InvalidKey`] for an invalid or weak
    /// (small-order) point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self> {
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| DecodeError::InvalidKey)?;
        if key.is_weak() {
            return Err(DecodeError::InvalidKey.into());
        }
        Ok(OrganisationPublicKey(key))
    }

    /// The 32 key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        Self::from_bytes(&r.array()?)
    }

    fn verify(&self, label: &[u8], body: &[u8], signature: &[u8; 64]) -> Result<()> {
        let mut m = Vec::with_capacity(label.len() + body.len());
        m.extend_from_slice(label);
        m.extend_from_slice(body);
        self.0
            .verify_strict(&m, &Signature::from_bytes(signature))
            .map_err(|_| CryptoError::BadSignature.into())
    }
}

impl fmt::Debug for OrganisationPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OrganisationPublicKey(")?;
        crate::wire::codec::write_hex(f, self.0.as_bytes().get(..8).unwrap_or_default())?;
        write!(f, "…)")
    }
}

/// The statutory register a clinician is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegulatoryBody {
    /// General Medical Council (doctors).
    Gmc,
    /// Nursing and Midwifery Council (nurses, midwives, nursing associates).
    Nmc,
    /// Health and Care Professions Council (paramedics, AHPs, and others).
    Hcpc,
    /// General Pharmaceutical Council.
    Gphc,
    /// General Dental Council.
    Gdc,
    /// General Optical Council.
    Goc,
}

impl RegulatoryBody {
    fn code(self) -> u8 {
        match self {
            RegulatoryBody::Gmc => 1,
            RegulatoryBody::Nmc => 2,
            RegulatoryBody::Hcpc => 3,
            RegulatoryBody::Gphc => 4,
            RegulatoryBody::Gdc => 5,
            RegulatoryBody::Goc => 6,
        }
    }

    fn from_code(code: u8) -> Result<Self> {
        Ok(match code {
            1 => RegulatoryBody::Gmc,
            2 => RegulatoryBody::Nmc,
            3 => RegulatoryBody::Hcpc,
            4 => RegulatoryBody::Gphc,
            5 => RegulatoryBody::Gdc,
            6 => RegulatoryBody::Goc,
            _ => return Err(DecodeError::UnknownKind.into()),
        })
    }
}

/// A professional registration: the register and the number on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    body: RegulatoryBody,
    number: String,
}

impl Registration {
    /// A registration number of 1 to [`MAX_REGISTRATION_NUMBER_LEN`] ASCII
    /// letters and digits.
    ///
    /// Errors: [`LimitError::IdTooLong`] (empty or too long),
    /// [`DecodeError::NonCanonical`] (other characters).
    pub fn new(body: RegulatoryBody, number: &str) -> Result<Self> {
        check_code(number, MAX_REGISTRATION_NUMBER_LEN)?;
        Ok(Registration {
            body,
            number: number.to_owned(),
        })
    }

    /// The register.
    pub fn body(&self) -> RegulatoryBody {
        self.body
    }

    /// The number on the register.
    pub fn number(&self) -> &str {
        &self.number
    }
}

/// Checks an ASCII code: 1..=max letters and digits.
fn check_code(s: &str, max: usize) -> Result<()> {
    check_text(s, max)?;
    if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(DecodeError::NonCanonical.into());
    }
    Ok(())
}

/// Checks free text: 1..=max bytes, no control characters.
fn check_text(s: &str, max: usize) -> Result<()> {
    if s.is_empty() || s.len() > max {
        return Err(LimitError::IdTooLong.into());
    }
    if s.chars().any(char::is_control) {
        return Err(DecodeError::NonCanonical.into());
    }
    Ok(())
}

/// Who the organisation says the key holder is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClinicianDetails {
    display_name: String,
    role: String,
    registration: Registration,
    ods_code: String,
}

impl ClinicianDetails {
    /// Checks and collects the details: a display name (1 to
    /// [`MAX_DISPLAY_NAME_LEN`] bytes), a role (1 to [`MAX_ROLE_LEN`]), both
    /// without control characters, a registration, and the organisation's
    /// ODS code (1 to [`MAX_ODS_CODE_LEN`] ASCII letters and digits).
    ///
    /// Errors: [`LimitError::IdTooLong`] (empty or too long),
    /// [`DecodeError::NonCanonical`] (disallowed characters).
    pub fn new(
        display_name: &str,
        role: &str,
        registration: Registration,
        ods_code: &str,
    ) -> Result<Self> {
        check_text(display_name, MAX_DISPLAY_NAME_LEN)?;
        check_text(role, MAX_ROLE_LEN)?;
        check_code(ods_code, MAX_ODS_CODE_LEN)?;
        Ok(ClinicianDetails {
            display_name: display_name.to_owned(),
            role: role.to_owned(),
            registration,
            ods_code: ods_code.to_owned(),
        })
    }
}

/// An organisation's signed statement that an identity key belongs to a
/// named clinician, for a period.
///
/// Obtain one from [`OrganisationKey::attest`] or
/// [`Attestation::from_bytes`]; either way its signature has been checked
/// against [`Attestation::issuer`]. Whether that issuer is trusted is the
/// trust store's decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    serial: u64,
    issuer: OrganisationPublicKey,
    peer: PeerId,
    subject: [u8; 32],
    not_before: u64,
    not_after: u64,
    details: ClinicianDetails,
    signature: [u8; 64],
}

impl Attestation {
    fn signed_bytes(&self) -> Vec<u8> {
        let d = &self.details;
        let mut out = Vec::with_capacity(
            1 + 8
                + 32
                + 1
                + self.peer.as_str().len()
                + 32
                + 16
                + 4
                + 1
                + d.ods_code.len()
                + d.display_name.len()
                + d.role.len()
                + d.registration.number.len()
                + 64,
        );
        out.push(ATTESTATION_VERSION);
        out.extend_from_slice(&self.serial.to_be_bytes());
        out.extend_from_slice(&self.issuer.to_bytes());
        put_bytes_u8(&mut out, self.peer.as_str().as_bytes());
        out.extend_from_slice(&self.subject);
        out.extend_from_slice(&self.not_before.to_be_bytes());
        out.extend_from_slice(&self.not_after.to_be_bytes());
        put_bytes_u8(&mut out, d.ods_code.as_bytes());
        put_bytes_u8(&mut out, d.display_name.as_bytes());
        put_bytes_u8(&mut out, d.role.as_bytes());
        out.push(d.registration.body.code());
        put_bytes_u8(&mut out, d.registration.number.as_bytes());
        out
    }

    /// The versioned encoding (see `docs/PROTOCOL.md` section 8).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses an attestation and checks its signature strictly against the
    /// issuer key it names.
    ///
    /// Errors: [`crate::Error::Decode`] for malformed bytes, an unknown
    /// version, an unknown register, a validity period that ends before it
    /// begins, or disallowed characters; [`crate::Error::Limit`] for empty
    /// or too-long fields; [`CryptoError::BadSignature`] for a forgery or
    /// any altered byte.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != ATTESTATION_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let serial = r.u64()?;
        let issuer = OrganisationPublicKey::read(&mut r)?;
        let peer = read_text(&mut r, MAX_PEER_ID_LEN)?;
        let peer = PeerId::new(peer).map_err(|_| DecodeError::InvalidLength)?;
        let subject = r.array()?;
        let not_before = r.u64()?;
        let not_after = r.u64()?;
        if not_before > not_after {
            return Err(DecodeError::NonCanonical.into());
        }
        let ods_code = read_text(&mut r, MAX_ODS_CODE_LEN)?;
        let display_name = read_text(&mut r, MAX_DISPLAY_NAME_LEN)?;
        let role = read_text(&mut r, MAX_ROLE_LEN)?;
        let body = RegulatoryBody::from_code(r.u8()?)?;
        let number = read_text(&mut r, MAX_REGISTRATION_NUMBER_LEN)?;
        let signed_len = bytes.len().saturating_sub(r.remaining());
        let signature = r.array()?;
        r.finish()?;
        let details = ClinicianDetails::new(
            &display_name,
            &role,
            Registration::new(body, &number)?,
            &ods_code,
        )?;
        let signed = bytes.get(..signed_len).ok_or(DecodeError::Truncated)?;
        issuer.verify(LABEL_ATTESTATION, signed, &signature)?;
        Ok(Attestation {
            serial,
            issuer,
            peer,
            subject,
            not_before,
            not_after,
            details,
            signature,
        })
    }

    /// The serial number revocation lists refer to.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// The directory id of the clinician it names: the trust store records
    /// the attested key for this peer and no other.
    pub fn peer(&self) -> &PeerId {
        &self.peer
    }

    /// The organisation key that signed it.
    pub fn issuer(&self) -> &OrganisationPublicKey {
        &self.issuer
    }

    /// The Ed25519 identity key bytes it attests.
    pub fn subject_key(&self) -> &[u8; 32] {
        &self.subject
    }

    /// Whether it attests `key`.
    pub fn is_for(&self, key: &IdentityKey) -> bool {
        self.subject == *key.ed25519_bytes()
    }

    /// The clinician's name as the organisation records it.
    pub fn display_name(&self) -> &str {
        &self.details.display_name
    }

    /// The clinician's role.
    pub fn role(&self) -> &str {
        &self.details.role
    }

    /// The clinician's professional registration.
    pub fn registration(&self) -> &Registration {
        &self.details.registration
    }

    /// The organisation's ODS code.
    pub fn ods_code(&self) -> &str {
        &self.details.ods_code
    }

    /// First second of validity (unix seconds).
    pub fn not_before(&self) -> u64 {
        self.not_before
    }

    /// Last second of validity (unix seconds).
    pub fn not_after(&self) -> u64 {
        self.not_after
    }
}

/// A `u8`-length-prefixed UTF-8 string of at most `max` bytes.
fn read_text(r: &mut Reader<'_>, max: usize) -> Result<String> {
    let b = r.bytes_u8(max)?;
    let s = core::str::from_utf8(b).map_err(|_| DecodeError::NonCanonical)?;
    Ok(s.to_owned())
}

/// An organisation's signed list of the attestation serials it has
/// revoked, with its own increasing version number and issue time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevocationList {
    issuer: OrganisationPublicKey,
    list_version: u64,
    issued_at: u64,
    serials: Vec<u64>,
    signature: [u8; 64],
}

impl RevocationList {
    fn signed_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + 32 + 8 + 8 + 4 + 8 * self.serials.len() + 64);
        out.push(REVOCATION_LIST_VERSION);
        out.extend_from_slice(&self.issuer.to_bytes());
        out.extend_from_slice(&self.list_version.to_be_bytes());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        out.extend_from_slice(&crate::wire::codec::len_u32(self.serials.len()));
        for s in &self.serials {
            out.extend_from_slice(&s.to_be_bytes());
        }
        out
    }

    /// The versioned encoding (see `docs/PROTOCOL.md` section 8).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.signed_bytes();
        out.extend_from_slice(&self.signature);
        out
    }

    /// Parses a revocation list and checks its signature strictly against
    /// the issuer key it names.
    ///
    /// Errors: [`crate::Error::Decode`] for malformed bytes, an unknown
    /// version, more than [`MAX_REVOKED_SERIALS`] serials
    /// ([`DecodeError::InvalidLength`]) or serials not strictly ascending
    /// ([`DecodeError::NonCanonical`]); [`CryptoError::BadSignature`] for a
    /// forgery or any altered byte.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        if r.u8()? != REVOCATION_LIST_VERSION {
            return Err(DecodeError::UnknownVersion.into());
        }
        let issuer = OrganisationPublicKey::read(&mut r)?;
        let list_version = r.u64()?;
        let issued_at = r.u64()?;
        let n = r.count_u32(MAX_REVOKED_SERIALS, 8)?;
        let mut serials = Vec::with_capacity(n);
        for _ in 0..n {
            let s = r.u64()?;
            if serials.last().is_some_and(|last| *last >= s) {
                return Err(DecodeError::NonCanonical.into());
            }
            serials.push(s);
        }
        let signed_len = bytes.len().saturating_sub(r.remaining());
        let signature = r.array()?;
        r.finish()?;
        let signed = bytes.get(..signed_len).ok_or(DecodeError::Truncated)?;
        issuer.verify(LABEL_REVOCATION_LIST, signed, &signature)?;
        Ok(RevocationList {
            issuer,
            list_version,
            issued_at,
            serials,
            signature,
        })
    }

    /// The organisation key that signed it.
    pub fn issuer(&self) -> &OrganisationPublicKey {
        &self.issuer
    }

    /// The list's own version number (increases with each list issued).
    pub fn list_version(&self) -> u64 {
        self.list_version
    }

    /// When the organisation issued it (unix seconds).
    pub fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// Whether the attestation with `serial` is revoked.
    pub fn is_revoked(&self, serial: u64) -> bool {
        self.serials.binary_search(&serial).is_ok()
    }

    /// The revoked serials, ascending.
    pub fn serials(&self) -> &[u64] {
        &self.serials
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdentityKeyPair;
    use crate::error::Error;

    fn details() -> ClinicianDetails {
        ClinicianDetails::new(
            "Dr Ada Okafor",
            "Consultant",
            Registration::new(RegulatoryBody::Gmc, "7654321").unwrap(),
            "RRK",
        )
        .unwrap()
    }

    fn attestation() -> (OrganisationKey, IdentityKey, Attestation) {
        let org = OrganisationKey::from_seed_bytes([9; 32]);
        let key = IdentityKeyPair::from_seed_bytes([1; 32]).public().clone();
        let att = org
            .attest(7, &PeerId::new("sam").unwrap(), &key, &details(), 100, 200)
            .unwrap();
        (org, key, att)
    }

    #[test]
    fn attestation_round_trips_and_reports_fields() {
        let (org, key, att) = attestation();
        let bytes = att.to_bytes();
        let back = Attestation::from_bytes(&bytes).unwrap();
        assert_eq!(back, att);
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.serial(), 7);
        assert_eq!(*back.issuer(), org.public_key());
        assert!(back.is_for(&key));
        assert_eq!(back.subject_key(), key.ed25519_bytes());
        assert_eq!(back.role(), "Consultant");
        assert_eq!(back.ods_code(), "RRK");
        assert_eq!(back.registration().body(), RegulatoryBody::Gmc);
        assert_eq!(back.registration().number(), "7654321");
        assert_eq!((back.not_before(), back.not_after()), (100, 200));
        let other = IdentityKeyPair::from_seed_bytes([2; 32]).public().clone();
        assert!(!back.is_for(&other));
    }

    #[test]
    fn every_altered_byte_is_rejected() {
        let (_, _, att) = attestation();
        let bytes = att.to_bytes();
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(Attestation::from_bytes(&b).is_err(), "byte {i}");
        }
        // Flipping a byte of the display name is a forgery.
        let name_at = bytes.windows(3).position(|w| w == b"Ada").unwrap();
        let mut b = bytes.clone();
        b[name_at] = b'E';
        assert_eq!(
            Attestation::from_bytes(&b).unwrap_err(),
            Error::Crypto(CryptoError::BadSignature)
        );
    }

    #[test]
    fn malformed_attestations_are_decode_errors() {
        let (_, _, att) = attestation();
        let bytes = att.to_bytes();
        let mut v = bytes.clone();
        for version in [1, ATTESTATION_VERSION + 1] {
            // Version 1 named no peer: refused like any unknown version.
            v[0] = version;
            assert_eq!(
                Attestation::from_bytes(&v).unwrap_err(),
                Error::Decode(DecodeError::UnknownVersion)
            );
        }
        assert_eq!(
            Attestation::from_bytes(&bytes[..bytes.len() - 1]).unwrap_err(),
            Error::Decode(DecodeError::Truncated)
        );
        let mut long = bytes.clone();
        long.push(0);
        assert_eq!(
            Attestation::from_bytes(&long).unwrap_err(),
            Error::Decode(DecodeError::TrailingBytes)
        );
        assert!(Attestation::from_bytes(&[]).is_err());
    }

    #[test]
    fn details_are_checked() {
        let reg = || Registration::new(RegulatoryBody::Nmc, "12A3456E").unwrap();
        assert!(ClinicianDetails::new("", "Nurse", reg(), "RRK").is_err());
        let long = "x".repeat(MAX_DISPLAY_NAME_LEN + 1);
        assert_eq!(
            ClinicianDetails::new(&long, "Nurse", reg(), "RRK").unwrap_err(),
            Error::Limit(LimitError::IdTooLong)
        );
        assert!(ClinicianDetails::new(&long[1..], "Nurse", reg(), "RRK").is_ok());
        assert_eq!(
            ClinicianDetails::new("A\nB", "Nurse", reg(), "RRK").unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
        assert!(ClinicianDetails::new("A", "Nurse", reg(), "R K").is_err());
        assert!(Registration::new(RegulatoryBody::Hcpc, "PA-123").is_err());
        let (org, key, _) = attestation();
        assert_eq!(
            org.attest(1, &PeerId::new("sam").unwrap(), &key, &details(), 5, 4)
                .unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
    }

    #[test]
    fn revocation_list_round_trips_and_rejects_tampering() {
        let org = OrganisationKey::from_seed_bytes([9; 32]);
        let list = org.revocation_list(3, 1000, &[9, 2, 5, 2]).unwrap();
        assert_eq!(list.serials(), &[2, 5, 9]);
        assert!(list.is_revoked(5) && !list.is_revoked(6));
        assert_eq!((list.list_version(), list.issued_at()), (3, 1000));
        let bytes = list.to_bytes();
        assert_eq!(RevocationList::from_bytes(&bytes).unwrap(), list);
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(RevocationList::from_bytes(&b).is_err(), "byte {i}");
        }
        let mut forged = bytes.clone();
        let last_serial = bytes.len() - 64 - 1;
        forged[last_serial] = 10; // serial 9 -> 10
        assert_eq!(
            RevocationList::from_bytes(&forged).unwrap_err(),
            Error::Crypto(CryptoError::BadSignature)
        );
    }

    #[test]
    fn revocation_list_bounds() {
        let org = OrganisationKey::from_seed_bytes([9; 32]);
        let max: Vec<u64> = (0..MAX_REVOKED_SERIALS as u64).collect();
        let list = org.revocation_list(1, 1, &max).unwrap();
        assert_eq!(
            RevocationList::from_bytes(&list.to_bytes())
                .unwrap()
                .serials()
                .len(),
            MAX_REVOKED_SERIALS
        );
        let over: Vec<u64> = (0..=MAX_REVOKED_SERIALS as u64).collect();
        assert_eq!(
            org.revocation_list(1, 1, &over).unwrap_err(),
            Error::Limit(LimitError::TooManyEntries)
        );
        // A count past the limit, and a count the input cannot hold.
        let mut b = org.revocation_list(1, 1, &[]).unwrap().to_bytes();
        b[49..53].copy_from_slice(&(MAX_REVOKED_SERIALS as u32 + 1).to_be_bytes());
        assert_eq!(
            RevocationList::from_bytes(&b).unwrap_err(),
            Error::Decode(DecodeError::InvalidLength)
        );
        b[49..53].copy_from_slice(&1000u32.to_be_bytes());
        assert_eq!(
            RevocationList::from_bytes(&b).unwrap_err(),
            Error::Decode(DecodeError::Truncated)
        );
    }

    #[test]
    fn unsorted_serials_are_non_canonical() {
        let org = OrganisationKey::from_seed_bytes([9; 32]);
        let mut list = org.revocation_list(1, 1, &[1, 2]).unwrap();
        list.serials = vec![2, 1];
        list.signature = org.sign(LABEL_REVOCATION_LIST, &list.signed_bytes());
        assert_eq!(
            RevocationList::from_bytes(&list.to_bytes()).unwrap_err(),
            Error::Decode(DecodeError::NonCanonical)
        );
    }

    #[test]
    fn weak_organisation_key_is_rejected() {
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(
            OrganisationPublicKey::from_bytes(&identity).unwrap_err(),
            Error::Decode(DecodeError::InvalidKey)
        );
        let org = OrganisationKey::from_seed_bytes([9; 32]);
        let pk = org.public_key();
        assert_eq!(
            OrganisationPublicKey::from_bytes(&pk.to_bytes()).unwrap(),
            pk
        );
        assert!(format!("{pk:?}").starts_with("OrganisationPublicKey("));
    }
}
