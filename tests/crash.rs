//! A real process, killed with `SIGKILL` at random points, messaging
//! through [`SqliteStore`] files: after every restart nothing committed is
//! lost and nothing is shown twice.
//!
//! The test re-runs its own binary as a child (`--exact` this test, with
//! [`CHILD_DIR`] set). The child opens three devices (Dr Okafor's phone;
//! Nurse Patel's phone and desktop) on SQLite files in one directory and
//! loops: send a text, deliver a queued envelope, send a read receipt,
//! erase or file a message.
//! The transport is a durable queue on disk: one file per envelope, named
//! `{queued at}-{from}-{to}-{id}`, written to a temporary name, synced and
//! renamed, and removed only after `receive` returned and the replies were
//! queued; it delivers any queued envelope, picked uniformly (so some are
//! held back for many ratchet turns). The
//! child appends what the app did to `log` (synced lines): `sent` after
//! `send` returned and before its envelopes are queued, `queued` after;
//! `shown` and `delivered` after `receive` returned; `erase` before erasing
//! or filing. The parent kills the child after a random delay, [`KILLS`]
//! times, then opens the devices itself, delivers everything still queued,
//! and checks the invariant.
//!
//! # The invariant
//!
//! A kill may land anywhere: inside a commit, between a commit and the
//! log line or queue write that follows it, inside a queue write.
//!
//! 1. *Nothing shown twice.* No (receiver, id) is `shown` twice in the log,
//!    and `receive` never returns `Event::Message` for a message the
//!    receiver's vault already holds or the app already erased (the child
//!    checks this before every delivery, by the id in the queue file's
//!    name). A kill between the commit and the `shown` line leaves the
//!    message unlogged but in the vault (the app shows it from there), and
//!    its envelope still queued: redelivered, it must be `Duplicate`.
//! 2. *Nothing committed is lost.* Every message `shown` to a receiver, or
//!    reported `delivered` or read to its sender (a receipt is made from
//!    the committed vault entry), is still in the receiver's vault at the
//!    end, unless the app erased it (`erase` is logged before the call).
//! 3. *Nothing lost, nothing lost silently.* Every `sent` message is, at
//!    the end, in the receiver's vault or erased by the app. The one
//!    exception is a kill between `send` returning and its envelope
//!    reaching the queue (no `queued` line): the envelope is gone, and the
//!    sender must still list the message in `Device::unconfirmed` (the app
//!    shows "not delivered"). So a queued envelope always ends in the
//!    vault: a commit torn between the session and the vault (the session
//!    advanced, the message not stored, the redelivery a `Duplicate`)
//!    fails here.
//! 4. *Only genuine messages.* Every message in a vault was `sent` (an
//!    envelope is queued only after its `sent` line).
//! 5. *No repair needed.* No device loses state, so every `receive`
//!    returns a message, a duplicate or a receipt: an undecryptable message
//!    or a session reset means a commit was lost or torn, and fails the
//!    child.
//! 6. *Nothing wedged.* After the final delivery, a new message each way is
//!    shown.
//!
//! The seed is printed first (`BLEEP_CRASH_SEED=…` reruns it; kill timing
//! still varies). `BLEEP_CRASH_KILLS` changes the number of kills for a
//! longer local run.
#![cfg(unix)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_possible_truncation
)]

mod device_common;

use bleep::store::SqliteStore;
use bleep::*;
use device_common::{addr, device, introduce, key_of, rng};
use rand_chacha::ChaCha20Rng;
use rand_core::Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Set in the child: the directory of the run.
const CHILD_DIR: &str = "BLEEP_CRASH_CHILD_DIR";
/// Set in the child: its seed.
const CHILD_SEED: &str = "BLEEP_CRASH_CHILD_SEED";
/// This test's name, for `--exact`.
const TEST_NAME: &str = "sigkill_at_random_points_loses_nothing_and_shows_nothing_twice";
/// How many times the child is killed (default).
const KILLS: u32 = 20;
/// A child that was not killed stops by itself after this long.
const CHILD_MAX: Duration = Duration::from_secs(20);

const NAMES: [(&str, u32); 3] = [("okafor", 1), ("patel", 1), ("patel", 2)];

type Dev = Device<SqliteStore>;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn below(rng: &mut ChaCha20Rng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

fn hex(id: &MessageId) -> String {
    id.0.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
    }
    out
}

fn db(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("{}-{}.db", NAMES[i].0, NAMES[i].1))
}

fn open_all(dir: &Path) -> Vec<Dev> {
    (0..3)
        .map(|i| {
            let store = SqliteStore::open(db(dir, i)).unwrap();
            Device::open(store, key_of(NAMES[i].0, NAMES[i].1)).unwrap()
        })
        .collect()
}

fn index_of(a: &DeviceAddress) -> usize {
    NAMES
        .iter()
        .position(|(n, d)| a.clinician().as_str() == *n && a.device() == *d)
        .unwrap()
}

fn sync_dir(dir: &Path) {
    File::open(dir).unwrap().sync_all().unwrap();
}

/// The app's own records: an append-only file, one synced line per write.
struct Log(File);

impl Log {
    fn open(dir: &Path) -> Log {
        Log(OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("log"))
            .unwrap())
    }

    fn write(&mut self, lines: &str) {
        // One `write` of whole lines: a kill leaves them or not (a torn last
        // line, without its newline, is ignored when read).
        self.0.write_all(lines.as_bytes()).unwrap();
        self.0.sync_data().unwrap();
    }
}

/// The durable transport: one file per envelope in `queue/`.
struct Queue(PathBuf);

impl Queue {
    fn put(&self, from: usize, to: usize, id: &MessageId, envelope: &[u8]) {
        // Named by when it was queued, so the final delivery goes oldest
        // first.
        let at = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let name = format!("{at:020}-{from}-{to}-{}", hex(id));
        let tmp = self.0.join(format!("{name}.tmp"));
        let mut f = File::create(&tmp).unwrap();
        f.write_all(envelope).unwrap();
        f.sync_all().unwrap();
        fs::rename(&tmp, self.0.join(name)).unwrap();
        sync_dir(&self.0);
    }

    /// Queued envelopes, oldest first: (from, to, id, path).
    fn list(&self) -> Vec<(usize, usize, [u8; 16], PathBuf)> {
        let mut out: Vec<_> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_none())
            .map(|p| {
                let name = p.file_name().unwrap().to_str().unwrap().to_owned();
                let parts: Vec<&str> = name.split('-').collect();
                (
                    parts[1].parse().unwrap(),
                    parts[2].parse().unwrap(),
                    unhex(parts[3]),
                    p,
                )
            })
            .collect();
        out.sort_by(|a, b| a.3.cmp(&b.3));
        out
    }
}

/// What the app did, as read back from the log.
#[derive(Default)]
struct Record {
    /// id -> (from, to, body)
    sent: BTreeMap<[u8; 16], (usize, usize, String)>,
    /// (receiver, id) -> times shown
    shown: BTreeMap<(usize, [u8; 16]), u32>,
    /// (sender, id) reported delivered to the sender
    delivered: BTreeSet<(usize, [u8; 16])>,
    /// (sender, id) whose envelope reached the queue
    queued: BTreeSet<(usize, [u8; 16])>,
    /// (receiver, id) the app erased or filed
    erased: BTreeSet<(usize, [u8; 16])>,
}

fn read_log(dir: &Path) -> Record {
    let text = fs::read_to_string(dir.join("log")).unwrap_or_default();
    let mut r = Record::default();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    for line in complete.lines() {
        let f: Vec<&str> = line.split(' ').collect();
        let (who, id) = (f[1].parse::<usize>().unwrap(), unhex(f[2]));
        match f[0] {
            "sent" => {
                r.sent
                    .insert(id, (who, f[3].parse().unwrap(), f[4].to_owned()));
            }
            "shown" => *r.shown.entry((who, id)).or_default() += 1,
            "delivered" => {
                r.delivered.insert((who, id));
            }
            "queued" => {
                r.queued.insert((who, id));
            }
            "erase" => {
                r.erased.insert((who, id));
            }
            other => panic!("unknown log line {other}"),
        }
    }
    r
}

/// The three devices, the queue and the log, as the app (child or final
/// phase) drives them.
struct App {
    devices: Vec<Dev>,
    queue: Queue,
    log: Log,
    rng: ChaCha20Rng,
    /// (receiver, id) shown or erased, from the log and since: a second
    /// `Event::Message` for one of these is a message shown twice.
    seen: BTreeSet<(usize, [u8; 16])>,
    tag: String,
    counter: u64,
}

impl App {
    fn open(dir: &Path, seed: u64, tag: String) -> App {
        let rec = read_log(dir);
        let mut seen: BTreeSet<(usize, [u8; 16])> = rec.shown.keys().copied().collect();
        seen.extend(rec.erased.iter().copied());
        App {
            devices: open_all(dir),
            queue: Queue(dir.join("queue")),
            log: Log::open(dir),
            rng: rng(seed),
            seen,
            tag,
            counter: 0,
        }
    }

    fn send(&mut self, i: usize) {
        self.counter += 1;
        let body = format!("m{}-{}", self.tag, self.counter);
        let to = PeerId::new(if i == 0 { "patel" } else { "okafor" }).unwrap();
        let sent = self.devices[i]
            .send(&mut self.rng, &to, Outgoing::text(&body), now())
            .unwrap();
        assert!(sent.not_sent.is_empty(), "{:?}", sent.not_sent);
        let mut lines = String::new();
        for e in &sent.envelopes {
            let j = index_of(&e.to);
            lines += &format!("sent {i} {} {j} {body}\n", hex(&e.id));
        }
        self.log.write(&lines);
        lines.clear();
        for e in &sent.envelopes {
            self.queue.put(i, index_of(&e.to), &e.id, &e.envelope);
            lines += &format!("queued {i} {}\n", hex(&e.id));
        }
        self.log.write(&lines);
    }

    /// Delivers one queued envelope and removes it from the queue.
    fn deliver(&mut self, from: usize, to: usize, id: [u8; 16], path: &Path) {
        let bytes = fs::read(path).unwrap();
        let t = now();
        let from_addr = addr(NAMES[from].0, NAMES[from].1);
        let mref = MessageRef::new(self.devices[from].identity_key(), MessageId(id));
        let held = self.devices[to].message(&mref, t).is_some() || self.seen.contains(&(to, id));
        let got = match self.devices[to].receive(&mut self.rng, &from_addr, &bytes, t) {
            Ok(got) => got,
            Err(Error::Limit(LimitError::TooManyEntries)) => {
                // The vault is full: file some messages, deliver later.
                for _ in 0..10 {
                    self.erase_one(to);
                }
                return;
            }
            Err(e) => panic!("receive {from}->{to} {}: {e:?}", hex(&MessageId(id))),
        };
        let mut lines = String::new();
        match &got.event {
            Event::Message { message, .. } => {
                assert!(!held, "{} shown twice at {to}", hex(&MessageId(id)));
                assert_eq!(message.id().0, id);
                self.seen.insert((to, id));
                lines += &format!("shown {to} {}\n", hex(&MessageId(id)));
            }
            // A duplicate may bring a session check back, which a peer in
            // step reads without showing anything.
            Event::Duplicate { .. } | Event::SessionCheck { .. } => {}
            // A read receipt also says the message was stored.
            Event::Delivered { ids, .. } | Event::Read { ids, .. } => {
                for i in ids {
                    lines += &format!("delivered {to} {}\n", hex(i));
                }
            }
            // No device ever loses state here: a reset (or any other
            // event) means a commit was lost or torn.
            other => panic!("unexpected event at {to}: {other:?}"),
        }
        if !lines.is_empty() {
            self.log.write(&lines);
        }
        for r in &got.replies {
            self.queue.put(to, index_of(&r.to), &r.id, &r.envelope);
        }
        fs::remove_file(path).unwrap();
        sync_dir(&self.queue.0);
    }

    /// Erases or files one held message of device `d`, if any.
    fn erase_one(&mut self, d: usize) {
        let held = self.devices[d].awaiting_filing(now());
        if held.is_empty() {
            return;
        }
        let m = held[below(&mut self.rng, held.len())].message;
        self.seen.insert((d, m.id().0));
        self.log.write(&format!("erase {d} {}\n", hex(&m.id())));
        if self.rng.next_u32().is_multiple_of(2) {
            assert!(self.devices[d].erase(&mut self.rng, &m).unwrap());
        } else {
            self.devices[d]
                .file_to_record(&mut self.rng, &m, |_, _| Ok::<(), ()>(()))
                .unwrap()
                .unwrap();
        }
    }

    /// Sends a read receipt for one held message of device `d`, if any.
    fn read_one(&mut self, d: usize) {
        let held = self.devices[d].awaiting_filing(now());
        if held.is_empty() {
            return;
        }
        let m = held[below(&mut self.rng, held.len())].message;
        let from = (0..3)
            .find(|&i| m.is_from(self.devices[i].identity_key()))
            .unwrap();
        let to = addr(NAMES[from].0, NAMES[from].1);
        let sent = self.devices[d]
            .send_to_device(&mut self.rng, &to, Outgoing::read(vec![m.id()]), now())
            .unwrap();
        for e in &sent.envelopes {
            self.queue.put(d, from, &e.id, &e.envelope);
        }
    }

    /// One random step of the app.
    fn step(&mut self) {
        match below(&mut self.rng, 20) {
            0..=3 => {
                let i = below(&mut self.rng, 3);
                self.send(i);
            }
            4..=16 => {
                // Any queued envelope: a copy delivered again after its
                // session retired the chain must still be a duplicate
                // (tests/late_duplicate.rs).
                let q = self.queue.list();
                if !q.is_empty() {
                    let k = below(&mut self.rng, q.len());
                    let (f, t, id, p) = q[k].clone();
                    self.deliver(f, t, id, &p);
                }
            }
            17 => {
                let d = below(&mut self.rng, 3);
                self.read_one(d);
            }
            _ => {
                let d = below(&mut self.rng, 3);
                self.erase_one(d);
            }
        }
    }
}

fn child(dir: &Path, seed: u64) {
    let mut app = App::open(dir, seed, format!("{seed:x}"));
    let start = Instant::now();
    while start.elapsed() < CHILD_MAX {
        app.step();
    }
}

/// Creates the three devices on their SQLite files, introduced and
/// verified, and an empty queue.
fn setup(dir: &Path, seed: u64) {
    fs::create_dir_all(dir.join("queue")).unwrap();
    let mut rng = rng(seed);
    let mut ds: Vec<Dev> = (0..3)
        .map(|i| {
            let store = SqliteStore::open(db(dir, i)).unwrap();
            device(&mut rng, store, NAMES[i].0, NAMES[i].1)
        })
        .collect();
    introduce(&mut rng, &mut ds);
}

#[test]
fn sigkill_at_random_points_loses_nothing_and_shows_nothing_twice() {
    if let Ok(dir) = std::env::var(CHILD_DIR) {
        let seed = std::env::var(CHILD_SEED).unwrap().parse().unwrap();
        child(Path::new(&dir), seed);
        return;
    }
    let seed: u64 = match std::env::var("BLEEP_CRASH_SEED") {
        Ok(s) => s.parse().unwrap(),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
            .into(),
    };
    let kills: u32 = std::env::var("BLEEP_CRASH_KILLS")
        .map(|k| k.parse().unwrap())
        .unwrap_or(KILLS);
    eprintln!("crash test seed {seed} (rerun with BLEEP_CRASH_SEED={seed})");
    let dir = std::env::temp_dir().join(format!("bleep-crash-{}-{seed}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    setup(&dir, seed);
    let mut rng = rng(seed);
    let exe = std::env::current_exe().unwrap();
    let mut killed = 0;
    for round in 0..kills {
        let child_seed = seed
            .wrapping_mul(1_000_003)
            .wrapping_add(u64::from(round) + 1);
        let out = dir.join(format!("child-{round}.err"));
        let mut c = Command::new(&exe)
            .args(["--exact", TEST_NAME, "--nocapture", "--test-threads=1"])
            .env(CHILD_DIR, &dir)
            .env(CHILD_SEED, child_seed.to_string())
            .stdout(Stdio::null())
            .stderr(File::create(&out).unwrap())
            .spawn()
            .unwrap();
        // Child start-up (exec, opening three stores) takes some of this.
        let delay = 100 + below(&mut rng, 500) as u64;
        std::thread::sleep(Duration::from_millis(delay));
        if c.try_wait().unwrap().is_none() {
            c.kill().unwrap();
            killed += 1;
        }
        let status = c.wait().unwrap();
        assert!(
            status.signal() == Some(9) || status.success(),
            "seed {seed}: child {round} failed ({status}):\n{}",
            fs::read_to_string(&out).unwrap_or_default()
        );
    }
    assert!(killed > 0, "seed {seed}: no child was killed");

    // The final phase: the app starts once more and the transport
    // delivers everything still queued, receipts and resets included.
    let mut app = App::open(&dir, seed ^ 0xf1, "final".into());
    for p in fs::read_dir(&app.queue.0).unwrap() {
        let p = p.unwrap().path();
        if p.extension().is_some() {
            fs::remove_file(p).unwrap();
        }
    }
    let mut rounds = 0;
    loop {
        let q = app.queue.list();
        let Some((f, t, id, p)) = q.into_iter().next() else {
            break;
        };
        rounds += 1;
        assert!(rounds < 100_000, "seed {seed}: the queue never empties");
        app.deliver(f, t, id, &p);
    }
    let rec = read_log(&dir);
    let t = now();
    let keys: Vec<IdentityKey> = app
        .devices
        .iter()
        .map(|d| d.identity_key().clone())
        .collect();
    let held = |app: &App, to: usize, from: usize, id: [u8; 16]| {
        app.devices[to]
            .message(&MessageRef::new(&keys[from], MessageId(id)), t)
            .is_some()
    };

    // 1. Nothing shown twice (the child checked every delivery as well).
    for ((to, id), n) in &rec.shown {
        assert_eq!(
            *n,
            1,
            "seed {seed}: {} shown {n} times at {to}",
            hex(&MessageId(*id))
        );
    }
    // 2. Nothing committed is lost.
    for &(to, id) in rec.shown.keys() {
        let (from, to2, body) = rec
            .sent
            .get(&id)
            .unwrap_or_else(|| panic!("seed {seed}: {} shown but never sent", hex(&MessageId(id))));
        assert_eq!(*to2, to, "seed {seed}");
        assert!(
            held(&app, to, *from, id) || rec.erased.contains(&(to, id)),
            "seed {seed}: {body} was shown at {to} and is gone"
        );
    }
    for &(from, id) in &rec.delivered {
        let (from2, to, body) = &rec.sent[&id];
        assert_eq!(*from2, from, "seed {seed}");
        assert!(
            held(&app, *to, from, id) || rec.erased.contains(&(*to, id)),
            "seed {seed}: {body} was reported delivered and is not at {to}"
        );
    }
    // 3. Nothing lost silently.
    let (mut in_vault, mut not_delivered) = (0, 0);
    for (&id, (from, to, body)) in &rec.sent {
        if held(&app, *to, *from, id) || rec.erased.contains(&(*to, id)) {
            in_vault += 1;
            continue;
        }
        let to_addr = addr(NAMES[*to].0, NAMES[*to].1);
        let unconfirmed = app.devices[*from]
            .unconfirmed(&to_addr)
            .iter()
            .any(|(i, _)| i.0 == id);
        assert!(
            !rec.queued.contains(&(*from, id)),
            "seed {seed}: {body} from {from} to {to} reached the queue and was lost"
        );
        assert!(
            unconfirmed,
            "seed {seed}: {body} from {from} to {to} lost silently"
        );
        not_delivered += 1;
    }
    // 4. Only genuine messages in the vaults.
    for (to, d) in app.devices.iter().enumerate() {
        for m in d.awaiting_filing(t) {
            let id = m.message.id().0;
            let ok = rec.sent.get(&id).is_some_and(|(_, t2, _)| *t2 == to);
            assert!(
                ok,
                "seed {seed}: {} in {to}'s vault was never sent",
                hex(&m.message.id())
            );
        }
    }
    // 6. Nothing wedged: a new message each way is shown.
    let before = rec.shown.len();
    app.send(0);
    app.send(1);
    while let Some((f, t, id, p)) = app.queue.list().into_iter().next() {
        app.deliver(f, t, id, &p);
    }
    let after = read_log(&dir);
    assert_eq!(
        after.shown.len(),
        before + 3,
        "seed {seed}: a new message was not shown"
    );
    eprintln!(
        "crash test: {killed} kills, {} sent, {} shown (logged), {in_vault} in a vault or filed, \
         {not_delivered} reported not delivered",
        rec.sent.len(),
        rec.shown.len()
    );
    drop(app);
    fs::remove_dir_all(&dir).unwrap();
}
