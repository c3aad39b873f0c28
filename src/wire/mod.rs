//! Byte formats: the bounded codec, the envelope and the encrypted payload.
//! This is the surface that untrusted bytes reach first, and it is fuzzed.

pub(crate) mod codec;
pub(crate) mod envelope;
pub(crate) mod payload;

pub use envelope::{ENVELOPE_VERSION, Envelope};
pub use payload::{MessageId, MessageInfo, OutgoingMessage, ReceivedMessage};
