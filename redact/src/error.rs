//! Errors from configuring redaction. Scanning itself cannot fail: any UTF-8
//! text can be scanned.

/// Why an app-supplied redaction setting was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedactError {
    /// The hospital-number pattern is empty.
    EmptyPattern,
    /// The hospital-number pattern is longer than
    /// [`MAX_PATTERN_LEN`](super::detect::hospital::MAX_PATTERN_LEN).
    PatternTooLong,
    /// The hospital-number pattern contains a non-ASCII or whitespace character.
    PatternNotPrintableAscii,
    /// The hospital-number pattern has fewer than four digit slots (`#`), so
    /// it would match ordinary words and numbers.
    PatternTooWeak,
}

impl core::fmt::Display for RedactError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RedactError::EmptyPattern => "hospital-number pattern is empty",
            RedactError::PatternTooLong => "hospital-number pattern is too long",
            RedactError::PatternNotPrintableAscii => {
                "hospital-number pattern must be printable ASCII without spaces"
            }
            RedactError::PatternTooWeak => "hospital-number pattern needs at least four '#' digits",
        })
    }
}

impl std::error::Error for RedactError {}
