//! The X3DH handshake: prekeys (the responder's secrets), bundles (their
//! published half) and the key agreement itself.

pub(crate) mod bundle;
pub(crate) mod kem;
pub(crate) mod prekey;
pub(crate) mod x3dh;

pub use bundle::PreKeyBundle;
pub use prekey::PreKeyStore;
