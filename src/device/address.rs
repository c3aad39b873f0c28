//! Device addresses: (clinician, device).

use crate::error::{LimitError, Result};
use crate::identity::PeerId;
use crate::limits::MAX_PEER_ID_LEN;
use crate::wire::codec::{Reader, put_bytes_u8};
use core::fmt;

/// One device of one clinician: the clinician's [`PeerId`] and a device
/// number the app assigns (for example 1 for the phone, 2 for the desktop).
///
/// Each device has its own identity key, is verified on its own and has its
/// own session. In the trust store a device is the peer
/// [`DeviceAddress::peer_id`]: `clinician` and `/` and the device number in
/// decimal.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceAddress {
    clinician: PeerId,
    device: u32,
    /// [`DeviceAddress::peer_id`], built once: every send and receive asks
    /// the trust store under it. A function of the two fields above, so
    /// the derived comparisons are unchanged.
    trust_name: PeerId,
}

impl DeviceAddress {
    /// The address of `clinician`'s device number `device`.
    ///
    /// Errors: [`LimitError::IdTooLong`] if the trust-store name
    /// ([`DeviceAddress::peer_id`]) would be longer than
    /// [`MAX_PEER_ID_LEN`] bytes.
    pub fn new(clinician: &PeerId, device: u32) -> Result<Self> {
        if clinician.as_str().len() + 11 > MAX_PEER_ID_LEN {
            return Err(LimitError::IdTooLong.into());
        }
        // Within MAX_PEER_ID_LEN by the check above; never empty.
        let trust_name = PeerId::new(format!("{}/{}", clinician.as_str(), device))?;
        Ok(DeviceAddress {
            clinician: clinician.clone(),
            device,
            trust_name,
        })
    }

    /// The clinician.
    pub fn clinician(&self) -> &PeerId {
        &self.clinician
    }

    /// The device number.
    pub fn device(&self) -> u32 {
        self.device
    }

    /// The name this device has in a [`crate::TrustStore`]:
    /// `"{clinician}/{device}"`.
    pub fn peer_id(&self) -> PeerId {
        self.trust_name.clone()
    }

    /// [`DeviceAddress::peer_id`], borrowed.
    pub(crate) fn trust_name(&self) -> &PeerId {
        &self.trust_name
    }

    pub(crate) fn encoded_len(&self) -> usize {
        1 + self.clinician.as_str().len() + 4
    }

    /// `len (1) || clinician (UTF-8) || device (4)`.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        put_bytes_u8(out, self.clinician.as_str().as_bytes());
        out.extend_from_slice(&self.device.to_be_bytes());
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self> {
        let name = r.bytes_u8(MAX_PEER_ID_LEN)?;
        let name =
            core::str::from_utf8(name).map_err(|_| crate::error::DecodeError::NonCanonical)?;
        let device = r.u32()?;
        DeviceAddress::new(&PeerId::new(name)?, device)
    }
}

impl fmt::Debug for DeviceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A clinician id is not patient data; it is what the app shows.
        write!(
            f,
            "DeviceAddress({}/{})",
            self.clinician.as_str(),
            self.device
        )
    }
}
