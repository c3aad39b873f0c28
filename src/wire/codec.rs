//! The bounded reader every decoder of untrusted bytes is built on.
//!
//! A `Reader` never allocates and never panics: every read checks the
//! remaining length and reports [`DecodeError::Truncated`]. Integers are
//! big-endian. Callers finish with [`Reader::finish`] so trailing bytes are
//! an error, never silently ignored.

use crate::error::DecodeError;

/// A cursor over untrusted bytes.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    /// The next `n` bytes, without consuming them (`None` if fewer remain).
    pub(crate) fn peek(&self, n: usize) -> Option<&'a [u8]> {
        self.buf.get(..n)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(crate) fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(crate) fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// A `u8` count that must not exceed `max`.
    pub(crate) fn count_u8(&mut self, max: usize) -> Result<usize, DecodeError> {
        let n = usize::from(self.u8()?);
        if n > max {
            return Err(DecodeError::InvalidLength);
        }
        Ok(n)
    }

    /// A `u16` count that must not exceed `max` nor promise more items of
    /// `item_len` bytes than remain (so no allocation outgrows the input).
    pub(crate) fn count_u16(&mut self, max: usize, item_len: usize) -> Result<usize, DecodeError> {
        let n = usize::from(self.u16()?);
        self.check_count(n, max, item_len)
    }

    /// A `u32` count, bounded as [`Reader::count_u16`].
    pub(crate) fn count_u32(&mut self, max: usize, item_len: usize) -> Result<usize, DecodeError> {
        let n = usize::try_from(self.u32()?).map_err(|_| DecodeError::InvalidLength)?;
        self.check_count(n, max, item_len)
    }

    fn check_count(&self, n: usize, max: usize, item_len: usize) -> Result<usize, DecodeError> {
        if n > max {
            return Err(DecodeError::InvalidLength);
        }
        if n.saturating_mul(item_len) > self.buf.len() {
            return Err(DecodeError::Truncated);
        }
        Ok(n)
    }

    /// A byte string with a `u8` length prefix, at most `max` long.
    pub(crate) fn bytes_u8(&mut self, max: usize) -> Result<&'a [u8], DecodeError> {
        let n = self.count_u8(max)?;
        self.take(n)
    }

    /// A byte string with a `u32` length prefix, at most `max` long.
    pub(crate) fn bytes_u32(&mut self, max: usize) -> Result<&'a [u8], DecodeError> {
        let n = self.count_u32(max, 1)?;
        self.take(n)
    }

    /// What has not been read yet.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        core::mem::take(&mut self.buf)
    }

    pub(crate) fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// Succeeds only if every byte was consumed.
    pub(crate) fn finish(self) -> Result<(), DecodeError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingBytes)
        }
    }
}

/// Appends a `u8`-length-prefixed byte string. The caller guarantees the
/// length fits (checked where the value was constructed).
pub(crate) fn put_bytes_u8(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u8::try_from(bytes.len()).unwrap_or(u8::MAX);
    out.push(len);
    out.extend_from_slice(bytes.get(..usize::from(len)).unwrap_or(bytes));
}

/// Appends a `u32`-length-prefixed byte string.
pub(crate) fn put_bytes_u32(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Writes `bytes` as lowercase hex (for public identifiers in `Debug`
/// and `Display`; never for secrets).
pub(crate) fn write_hex(f: &mut core::fmt::Formatter<'_>, bytes: &[u8]) -> core::fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

/// A length as `u16`, saturating (callers bound their lists far below).
pub(crate) fn len_u16(n: usize) -> [u8; 2] {
    u16::try_from(n).unwrap_or(u16::MAX).to_be_bytes()
}

/// A length as `u32`, saturating.
pub(crate) fn len_u32(n: usize) -> [u8; 4] {
    u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_bounds() {
        let mut r = Reader::new(&[1, 0, 2, 0, 0, 0, 3, 9]);
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 2);
        assert_eq!(r.u32().unwrap(), 3);
        assert_eq!(r.remaining(), 1);
        assert_eq!(r.u16(), Err(DecodeError::Truncated));
        assert_eq!(r.u8().unwrap(), 9);
        r.finish().unwrap();
    }

    #[test]
    fn counts_cannot_outgrow_input() {
        let mut r = Reader::new(&[0xFF, 0xFF, 1, 2]);
        assert_eq!(r.count_u16(100_000, 1), Err(DecodeError::Truncated));
        let mut r = Reader::new(&[0, 5]);
        assert_eq!(r.count_u16(4, 0), Err(DecodeError::InvalidLength));
        let r = Reader::new(&[0]);
        assert_eq!(r.finish(), Err(DecodeError::TrailingBytes));
    }

    #[test]
    fn prefixed_bytes_round_trip() {
        let mut out = Vec::new();
        put_bytes_u8(&mut out, b"abc");
        put_bytes_u32(&mut out, b"de");
        let mut r = Reader::new(&out);
        assert_eq!(r.bytes_u8(3).unwrap(), b"abc");
        assert_eq!(r.bytes_u32(2).unwrap(), b"de");
        r.finish().unwrap();
        let mut r = Reader::new(&out);
        assert_eq!(r.bytes_u8(2), Err(DecodeError::InvalidLength));
    }
}
