//! Every bound `bleep` enforces, named once, with where its number comes from.
//!
//! Each limit is tested at the limit and one past it. Exceeding a limit is a
//! typed [`crate::Error::Limit`] (or [`crate::Error::Decode`] for parsers),
//! never a panic, and never changes state.

/// Most message keys one incoming message may make a receiving chain skip.
///
/// A sender that is offline for a shift may queue many messages, and any of
/// them may be lost; 1000 covers a day of busy ward traffic from one sender
/// on one chain. The bound exists because each skipped key costs two
/// HMAC-SHA256 calls (about 0.3 µs) and 40 bytes of state, and a forged
/// counter must not buy unbounded work: the worst case is about 0.3 ms.
///
/// If a new ratchet key arrives whose `previous_counter` says more than this
/// many messages of the old chain are missing, none of the old chain's
/// missing keys are stored (those messages are reported as
/// [`crate::ProtocolError::DuplicateMessage`] if they arrive later) and the
/// new chain is used: the session keeps working rather than getting stuck.
pub const MAX_SKIP_PER_CHAIN: u32 = 1000;

/// Most skipped message keys one session stores, over all chains.
///
/// 2000 keys are about 80 KiB of state. When the total is reached the
/// oldest stored keys are evicted (those messages are then lost), rather
/// than refusing new messages.
pub const MAX_SKIPPED_TOTAL: usize = 2000;

/// Previous receiving ratchet keys a session remembers, so that a late or
/// replayed message on a retired chain is reported as a duplicate instead
/// of being tried as a new ratchet step.
pub const MAX_RETIRED_CHAINS: usize = 8;

/// Ratchet keys a [`crate::Device`] remembers per peer device, across all
/// its sessions with it, so that a copy of an envelope delivered again long
/// after its session retired the chain (more than [`MAX_RETIRED_CHAINS`]
/// turns later) is reported as a duplicate, not taken for lost state. The
/// oldest is forgotten first.
pub const MAX_RECEIVED_RATCHET_KEYS: usize = 128;

/// Largest message body, in bytes, before padding (64 KiB).
///
/// Clinical messages are text; attachments are out of scope and belong in
/// a separate encrypted blob. The bound keeps a hostile envelope from
/// asking for a large allocation.
pub const MAX_BODY_LEN: usize = 64 * 1024;

/// Most one-time prekeys a published bundle may carry.
///
/// Matches the batch size a server is typically given per upload.
pub const MAX_BUNDLE_ONE_TIME_PREKEYS: usize = 100;

/// Most one-time prekeys a [`crate::PreKeyStore`] keeps at once.
pub const MAX_STORED_ONE_TIME_PREKEYS: usize = 10_000;

/// Most one-time ML-KEM prekeys a published bundle may carry.
///
/// Each costs 1636 bytes in a bundle (id, 1568-byte encapsulation key,
/// signature), so a bundle at the limit is about 160 KiB: the size of an
/// upload batch to a server, never what one initiator is handed (one).
pub const MAX_BUNDLE_KEM_ONE_TIME_PREKEYS: usize = 100;

/// Most one-time ML-KEM prekeys a [`crate::PreKeyStore`] keeps at once.
///
/// Each is kept as a 64-byte seed plus its 1568-byte public half and
/// signature, and, in memory, the decapsulation key expanded from the seed
/// (4226 bytes, so a handshake need not expand it again); loading a store
/// derives every key again from its seed (ML-KEM-1024 key generation,
/// about 0.1 ms with `ml-kem` 0.3): 1000 keys are about 6 MB in memory
/// and 0.1 s to load. One-time KEM prekeys are a
/// refinement (the last-resort KEM prekey always exists), so a smaller
/// pool than the X25519 one suffices.
pub const MAX_STORED_KEM_ONE_TIME_PREKEYS: usize = 1000;

/// Base keys of accepted first messages a [`crate::PreKeyStore`] remembers
/// per signed prekey, to refuse a replayed first message
/// ([`crate::ProtocolError::ReplayedPreKeyMessage`]).
///
/// A handshake made without a one-time prekey can otherwise be replayed
/// to start a second session. 32 bytes each: with
/// [`MAX_SIGNED_PREKEYS`] signed prekeys kept, the record is at most
/// 3 × 1024 × 32 = 96 KiB. 1024 covers a month of a signed prekey's life at
/// thirty new conversations a day; past it the oldest base key is
/// forgotten (that handshake's first message could then be replayed, as
/// it can once its signed prekey is rotated out, which refuses it anyway).
pub const MAX_ACCEPTED_BASE_KEYS: usize = 1024;

/// Signed prekeys kept after rotation (current included), so that a
/// handshake begun from a bundle fetched just before a rotation completes.
pub const MAX_SIGNED_PREKEYS: usize = 3;

/// Longest peer id (an app's stable user id), in bytes.
pub const MAX_PEER_ID_LEN: usize = 255;

/// Most peers one [`crate::TrustStore`] records.
///
/// A large NHS trust employs around 20,000 staff; 100,000 leaves room for a
/// national directory's worth of regular contacts while bounding a decoded
/// store (each record is at least 133 bytes) to about 13 MB.
pub const MAX_TRUSTED_PEERS: usize = 100_000;

/// Most organisation keys one [`crate::TrustStore`] trusts.
///
/// There are about 220 NHS trusts in England plus national directories;
/// 1024 covers the four nations with room to spare.
pub const MAX_TRUSTED_ORGANISATIONS: usize = 1024;

/// Most attestation serials one [`crate::RevocationList`] names.
///
/// An organisation revokes an attestation when a clinician leaves, changes
/// role or loses a phone; 65,535 (the largest `u16` count) covers years of
/// staff turnover at the largest trust, and bounds a list to about 512 KiB.
pub const MAX_REVOKED_SERIALS: usize = 65_535;

/// Longest display name in an [`crate::Attestation`], in bytes of UTF-8.
///
/// NHS directories allow names of up to about 100 characters; 128 bytes
/// keeps every name that fits on a phone's screen.
pub const MAX_DISPLAY_NAME_LEN: usize = 128;

/// Longest role in an [`crate::Attestation`] (for example "Consultant
/// Anaesthetist"), in bytes of UTF-8.
pub const MAX_ROLE_LEN: usize = 64;

/// Longest professional registration number, in bytes (GMC numbers are 7
/// digits, NMC PINs 8 characters, HCPC numbers 2 letters and up to 6
/// digits; 16 allows for other registers).
pub const MAX_REGISTRATION_NUMBER_LEN: usize = 16;

/// Longest ODS (Organisation Data Service) code, in bytes. ODS codes are
/// 3 to 6 characters for organisations and up to 10 for sites; 12 leaves
/// room for future formats.
pub const MAX_ODS_CODE_LEN: usize = 12;

/// Most received messages a [`crate::MessageVault`] holds unfiled.
///
/// A ward phone that receives a message a minute for a 12-hour shift
/// without filing any reaches 720; 1000 leaves headroom while bounding the
/// vault to about 64 MiB in the worst case (every body at
/// [`MAX_BODY_LEN`]). When full, new messages are refused (never evicted:
/// an unfiled clinical message must not vanish silently), so the app must
/// file or erase some first.
pub const MAX_VAULT_MESSAGES: usize = 1000;

/// Ids of filed, erased or purged messages a [`crate::MessageVault`]
/// remembers, so that a message delivered again (after a crash or a
/// restored backup) is recognised and not shown twice.
///
/// Four vaults' worth of messages, 16 bytes each (64,000 bytes); the
/// oldest ids are forgotten first.
pub const MAX_VAULT_HANDLED_IDS: usize = 4 * MAX_VAULT_MESSAGES;

/// Most members a group roster may hold, the coordinator included.
///
/// A major incident brings in tens to hundreds of staff; 1000 leaves room
/// for a whole site's response. Each member costs one receiving chain in
/// every other member's state (about 110 bytes plus skipped keys), and a
/// removal makes every remaining member send one distribution message to
/// every other, so a removal costs O(n²) pairwise messages group-wide
/// (about a million at this limit) — the bound keeps that finite.
pub const MAX_GROUP_MEMBERS: usize = 1000;

/// Most message keys one group message may make a sender's chain skip,
/// and most skipped keys kept per sender (the oldest are evicted).
///
/// Group traffic from one sender is bursty but each member reads every
/// sender, so the per-sender bound multiplies by the group size: at 256
/// keys (36 bytes each in state) a 1000-member group holds at most about
/// 9 MiB of skipped keys, and a forged counter buys at most 256 HMAC pairs
/// (about 80 µs). Messages that fall outside are reported, not decrypted.
pub const MAX_GROUP_SKIP: u32 = 256;

/// Most groups one [`crate::Device`] keeps a session for.
///
/// Every group session is loaded when the device opens; a clinician is in a
/// handful of ward and incident groups at a time, and 256 leaves room for
/// years of incidents that were never closed. A roster for a new group
/// beyond this is refused ([`crate::LimitError::TooManyEntries`]).
pub const MAX_DEVICE_GROUPS: usize = 256;

/// Most sender keys one [`crate::Device`] keeps while waiting for the
/// roster they belong to (a key that overtook its roster on the network).
///
/// Each costs one sealed row of under 500 bytes. Keys only wait for the
/// roster in flight with them, so 64 covers a removal in a large group
/// arriving out of order several times over; beyond it the oldest is
/// dropped and reported ([`crate::GroupEvent::KeyPending`]).
pub const MAX_PENDING_GROUP_KEYS: usize = 64;

/// Most group messages one [`crate::Device`] keeps for one group while
/// waiting for their senders' keys (a message that overtook its sender
/// key on the network).
///
/// A sender key follows its roster, so messages wait for about one
/// delivery delay; 64 covers a busy ward group's burst. Beyond it (or
/// beyond [`MAX_WAITING_GROUP_MESSAGE_BYTES_PER_GROUP`]) the group's
/// oldest waiting message is dropped and reported
/// ([`crate::GroupEvent::MessageWaiting`]).
pub const MAX_WAITING_GROUP_MESSAGES_PER_GROUP: usize = 64;

/// Most bytes of group messages one [`crate::Device`] keeps for one group
/// while waiting for their senders' keys: 1 MiB, at least fifteen
/// messages of the largest size.
pub const MAX_WAITING_GROUP_MESSAGE_BYTES_PER_GROUP: usize = 1024 * 1024;

/// Most group messages one [`crate::Device`] keeps, over all its groups,
/// while waiting for their senders' keys. All of them are loaded when the
/// device opens; beyond this (or [`MAX_WAITING_GROUP_MESSAGE_BYTES`]) the
/// device's oldest waiting message is dropped and reported.
pub const MAX_WAITING_GROUP_MESSAGES: usize = 256;

/// Most bytes of group messages one [`crate::Device`] keeps, over all its
/// groups, while waiting for their senders' keys: 4 MiB.
pub const MAX_WAITING_GROUP_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// Previous sessions a [`crate::Device`] keeps per peer device, tried in
/// turn when the current session cannot decrypt a message.
///
/// libsignal keeps 40 previous session states per address; bleep does the
/// same. A previous session is needed while messages sent on it are still
/// in flight (simultaneous initiation, a peer's re-handshake after losing
/// state); 40 covers many re-handshakes within one delivery delay, and a
/// session without skipped keys is under 500 bytes, so the archive costs at
/// most about 20 KiB per peer device (more if the archived sessions hold
/// skipped keys). The oldest is dropped first.
pub const MAX_ARCHIVED_SESSIONS: usize = 40;

/// Most peer devices one [`crate::Device`] keeps records for.
///
/// Each clinician the device talks to has one to a few devices; 10,000
/// covers every regular contact at the largest trust ([`MAX_TRUSTED_PEERS`]
/// is the bound of the trust store). Every record is loaded when the device
/// opens, so the bound also bounds memory and start-up time.
pub const MAX_DEVICE_PEERS: usize = 10_000;

/// Sent messages a [`crate::Device`] remembers per peer device until the
/// peer's delivery receipt arrives, so it can say which messages a peer
/// that lost its state may not have read. The oldest are forgotten first.
///
/// 256 unconfirmed messages to one device is well beyond a shift of ward
/// traffic to an offline colleague; each costs 24 bytes of state.
pub const MAX_UNCONFIRMED_SENT: usize = 256;

/// Most message ids one receipt names (a read receipt for a whole
/// conversation screen). Bounds the decoder: 64 ids are 1 KiB.
pub const MAX_RECEIPT_IDS: usize = 64;

/// Shortest time, in seconds, between two session resets a device starts
/// towards the same peer device.
///
/// A peer that lost its state makes every message from it undecryptable;
/// without a bound each one would start a new handshake (and each reset
/// message that fails would start another). Matrix's unwedging waits an
/// hour between attempts per device; bleep waits 5 minutes, because on a
/// ward an unreadable conversation is a clinical risk, and a handshake
/// costs only a few X25519 operations.
pub const MIN_RESET_INTERVAL_SECS: u64 = 5 * 60;

/// How often, in seconds, the signed prekey is rotated (2 days).
///
/// Signal's clients rotate their signed prekey every few days; with
/// [`MAX_SIGNED_PREKEYS`] kept, a bundle fetched just before a rotation stays
/// usable for 4 more days, which covers a phone that is off over a weekend.
pub const SIGNED_PREKEY_ROTATION_SECS: u64 = 2 * 24 * 60 * 60;

/// When fewer one-time prekeys than this are left, the device asks the app
/// to upload more ([`crate::Device::needs_prekey_refill`]).
///
/// A quarter of a [`MAX_BUNDLE_ONE_TIME_PREKEYS`] batch: enough first
/// contacts to last until the next time the app is online.
pub const ONE_TIME_PREKEY_REFILL_BELOW: usize = MAX_BUNDLE_ONE_TIME_PREKEYS / 4;

/// One-time ML-KEM prekeys a device keeps published (PQXDH): each is 1,636
/// bytes in a bundle (against 36 for an X25519 one), so a batch of 10 keeps
/// an upload near 16 KiB; when they run out, initiators use the
/// last-resort ML-KEM prekey, which keeps the handshake post-quantum.
pub const KEM_ONE_TIME_PREKEY_BATCH: usize = 10;

/// When fewer one-time ML-KEM prekeys than this are left, the device asks
/// for a refill: a quarter of [`KEM_ONE_TIME_PREKEY_BATCH`], rounded up.
pub const KEM_ONE_TIME_PREKEY_REFILL_BELOW: usize = KEM_ONE_TIME_PREKEY_BATCH.div_ceil(4);
