//! Errors across the boundary: one exception per category of
//! [`bleep::Error`].

use core::fmt;

/// Every failure the binding reports, thrown as a typed exception
/// (`BleepException.Trust` in Kotlin, `BleepError.Trust` in Swift and
/// Python).
///
/// `reason` is the name of the core's variant inside the category (see
/// `bleep::error`): for example `Crypto("DecryptFailed")` for a tampered
/// envelope, `State("Unseal")` for the wrong storage key, `Trust("KeyChanged")`,
/// `Trust("AttestationRevoked")`, `Protocol("DuplicateMessage")`. Reasons
/// are fixed names: never key material, plaintext or a patient identifier.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
pub enum BleepError {
    /// Bytes that do not parse (truncated, trailing, unknown version, a
    /// key or handle of the wrong length).
    Decode {
        /// The core's `DecodeError` variant.
        reason: String,
    },
    /// A signature or AEAD tag was rejected: tampered or forged input.
    Crypto {
        /// The core's `CryptoError` variant.
        reason: String,
    },
    /// Well-formed input the protocol state does not allow (a replay).
    Protocol {
        /// The core's `ProtocolError` variant.
        reason: String,
    },
    /// The trust policy does not accept the identity.
    Trust {
        /// The core's `TrustError` variant.
        reason: String,
    },
    /// A documented limit would be exceeded.
    Limit {
        /// The core's `LimitError` variant.
        reason: String,
    },
    /// Sealed state did not open: the wrong storage key or altered rows.
    State {
        /// The core's `StateError` variant.
        reason: String,
    },
    /// A group message, roster or distribution was refused.
    Group {
        /// The core's `GroupError` variant.
        reason: String,
    },
    /// The store failed; nothing was written.
    Store {
        /// The core's `StoreError` variant.
        reason: String,
    },
    /// A device-level request the device cannot serve.
    Device {
        /// The core's `DeviceError` variant.
        reason: String,
    },
    /// A redaction setting was refused (a hospital-number pattern).
    Redact {
        /// The `RedactError` variant.
        reason: String,
    },
    /// A category added to the core after this binding was written.
    Other {
        /// The core's description.
        reason: String,
    },
}

impl fmt::Display for BleepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (category, reason) = self.parts();
        write!(f, "{category} error: {reason}")
    }
}

impl std::error::Error for BleepError {}

impl BleepError {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            BleepError::Decode { reason } => ("decode", reason),
            BleepError::Crypto { reason } => ("crypto", reason),
            BleepError::Protocol { reason } => ("protocol", reason),
            BleepError::Trust { reason } => ("trust", reason),
            BleepError::Limit { reason } => ("limit", reason),
            BleepError::State { reason } => ("state", reason),
            BleepError::Group { reason } => ("group", reason),
            BleepError::Store { reason } => ("store", reason),
            BleepError::Device { reason } => ("device", reason),
            BleepError::Redact { reason } => ("redact", reason),
            BleepError::Other { reason } => ("other", reason),
        }
    }
}

/// The name of a fieldless enum variant (its `Debug`), which is all the
/// core's error variants are.
fn name(v: &impl fmt::Debug) -> String {
    format!("{v:?}")
}

impl From<bleep::Error> for BleepError {
    fn from(e: bleep::Error) -> Self {
        use bleep::Error as E;
        match e {
            E::Decode(r) => BleepError::Decode { reason: name(&r) },
            E::Crypto(r) => BleepError::Crypto { reason: name(&r) },
            E::Protocol(r) => BleepError::Protocol { reason: name(&r) },
            E::Trust(r) => BleepError::Trust { reason: name(&r) },
            E::Limit(r) => BleepError::Limit { reason: name(&r) },
            E::State(r) => BleepError::State { reason: name(&r) },
            E::Group(r) => BleepError::Group { reason: name(&r) },
            E::Store(r) => BleepError::Store { reason: name(&r) },
            E::Device(r) => BleepError::Device { reason: name(&r) },
            other => BleepError::Other {
                reason: other.to_string(),
            },
        }
    }
}

impl From<bleep::StoreError> for BleepError {
    fn from(e: bleep::StoreError) -> Self {
        bleep::Error::from(e).into()
    }
}

impl From<bleep::DeviceError> for BleepError {
    fn from(e: bleep::DeviceError) -> Self {
        bleep::Error::from(e).into()
    }
}

impl From<bleep::redact::RedactError> for BleepError {
    fn from(e: bleep::redact::RedactError) -> Self {
        BleepError::Redact { reason: name(&e) }
    }
}

/// An error reported inside a result rather than thrown (a device that was
/// skipped, a refused roster, one envelope of a batch): the same category
/// and reason as [`BleepError`].
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Failure {
    /// `decode`, `crypto`, `protocol`, `trust`, `limit`, `state`, `group`,
    /// `store`, `device`, `redact` or `other`.
    pub category: String,
    /// The core's variant name, as in [`BleepError`].
    pub reason: String,
}

impl From<bleep::Error> for Failure {
    fn from(e: bleep::Error) -> Self {
        let e = BleepError::from(e);
        let (category, reason) = e.parts();
        Failure {
            category: category.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// Shorthand for the binding's results.
pub(crate) type Result<T> = core::result::Result<T, BleepError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_and_reasons_follow_the_core() {
        let e: BleepError = bleep::Error::from(bleep::TrustError::KeyChanged).into();
        assert_eq!(
            e,
            BleepError::Trust {
                reason: "KeyChanged".into()
            }
        );
        assert_eq!(e.to_string(), "trust error: KeyChanged");
        let f: Failure = bleep::Error::from(bleep::StateError::Unseal).into();
        assert_eq!(
            (f.category.as_str(), f.reason.as_str()),
            ("state", "Unseal")
        );
    }
}
