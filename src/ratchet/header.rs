//! The Double Ratchet message header: the sender's current ratchet public
//! key, the length of its previous sending chain (`pn`) and the message's
//! number in the current chain (`n`). 40 bytes, integers big-endian.

use crate::error::DecodeError;
use crate::wire::codec::Reader;

/// Encoded header length.
pub(crate) const HEADER_LEN: usize = 32 + 4 + 4;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) ratchet_key: [u8; 32],
    pub(crate) previous_counter: u32,
    pub(crate) counter: u32,
}

impl Header {
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.ratchet_key);
        out.extend_from_slice(&self.previous_counter.to_be_bytes());
        out.extend_from_slice(&self.counter.to_be_bytes());
    }

    pub(crate) fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Header {
            ratchet_key: r.array()?,
            previous_counter: r.u32()?,
            counter: r.u32()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let h = Header {
            ratchet_key: [9; 32],
            previous_counter: 7,
            counter: 0x0102_0304,
        };
        let mut out = Vec::new();
        h.write(&mut out);
        assert_eq!(out.len(), HEADER_LEN);
        assert_eq!(&out[36..], &[1, 2, 3, 4]);
        let mut r = Reader::new(&out);
        assert_eq!(Header::read(&mut r).unwrap(), h);
        r.finish().unwrap();
    }
}
