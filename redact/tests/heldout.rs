//! Recall on text the rules were not written from.
//!
//! `data/redact_heldout_dev.txt` and `data/redact_heldout_test.txt` were
//! written by someone who had not read the detector code, and frozen before
//! any rule was tuned (see their headers and `docs/REDACTION.md`). The
//! development split may be read and tuned against; the test split must not
//! be: this test prints only its aggregate figures, never a message from it.
//! `data/redact_dev2.txt` and `data/redact_dev3.txt` are two more
//! development sets, generated from templates (`data/gen_redact_dev*.py`)
//! for issue 13's second round and committed before the rules they test
//! changed: structured-identifier formats, staff chatter, hospital-number
//! shapes, follow-up dates. They may be read and tuned against.
//! `data/redact_heldout_dev4.txt` (round three) was written, like the
//! held-out files, by someone who had not read the detector code, and
//! committed unchanged before any rule was tuned on it; it may be read and
//! tuned against. `data/redact_heldout_dev5.txt` and
//! `data/redact_heldout_dev6.txt` (round four) were written the same way,
//! each message on its own, by two people independently, and committed
//! unchanged before any rule was tuned on them; they may be read and tuned
//! against. `data/redact_heldout_dev7.txt` (round five) was written the
//! same way and committed unchanged, alone, before any rule of round five
//! was tuned on it.
//! `data/redact_heldout_test2_{a,b,c,d}.txt` (test set 2, 1,889
//! messages) were written the same way by four writers, each part on its
//! own specialties with its own staff directory, and committed unchanged,
//! alone, before anything was scored on them; like the first test split,
//! only their aggregate figures are ever printed.
//! Set `REDACT_SHOW_MISSES=1` to list the misses and false hits of the
//! development sets and of the original corpus.
//!
//! Figures, as in issue 13:
//! * per label kind, the share of labelled identifiers that some finding (of
//!   any kind) overlaps: "hidden by any overlap";
//! * overall identifiers hidden, and messages with an identifier that still
//!   leak some;
//! * clinical items (`<<…>>`) that a finding overlaps: "destroyed";
//! * staff names redacted: the clinical items that name a member of staff
//!   (a word from the `#! staff:` directory, or a staff or courtesy title
//!   followed by a capitalised word) that a finding overlaps.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

use std::collections::{BTreeMap, BTreeSet};

mod common;
use common::{load, overlaps};

const ORIGINAL: &str = include_str!("data/redact_corpus.txt");
const DEV: &str = include_str!("data/redact_heldout_dev.txt");
const TEST: &str = include_str!("data/redact_heldout_test.txt");
const DEV2: &str = include_str!("data/redact_dev2.txt");
const DEV3: &str = include_str!("data/redact_dev3.txt");
const DEV4: &str = include_str!("data/redact_heldout_dev4.txt");
const DEV5: &str = include_str!("data/redact_heldout_dev5.txt");
const DEV6: &str = include_str!("data/redact_heldout_dev6.txt");
const DEV7: &str = include_str!("data/redact_heldout_dev7.txt");
/// Test set 2, in four parts written separately, each with its own staff
/// directory (a part's staff are not the others').
const TEST2: [&str; 4] = [
    include_str!("data/redact_heldout_test2_a.txt"),
    include_str!("data/redact_heldout_test2_b.txt"),
    include_str!("data/redact_heldout_test2_c.txt"),
    include_str!("data/redact_heldout_test2_d.txt"),
];

/// The kinds that must reach 0.99 each (issue 13's structured types).
const STRUCTURED: [&str; 8] = [
    "nhs", "chi", "hc", "ni", "postcode", "phone", "email", "hosp",
];

const TITLES: [&str; 14] = [
    "dr",
    "mr",
    "mrs",
    "ms",
    "miss",
    "prof",
    "professor",
    "sister",
    "sr",
    "nurse",
    "midwife",
    "matron",
    "consultant",
    "staff",
];

/// Does this clinical item name a member of staff?
fn is_staff(item: &str, staff_words: &BTreeSet<String>) -> bool {
    let words: Vec<&str> = item
        .split(|c: char| !c.is_alphabetic() && c != '\'' && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    if words
        .iter()
        .any(|w| w.len() > 1 && staff_words.contains(&w.to_lowercase()))
    {
        return true;
    }
    words.windows(2).any(|p| {
        TITLES.contains(&p[0].to_lowercase().as_str())
            && p[1].chars().next().is_some_and(char::is_uppercase)
    })
}

/// Aggregate figures for one corpus.
#[derive(Default)]
struct Figures {
    messages: usize,
    /// kind -> (labelled, hidden by any overlap, found as that kind)
    per_kind: BTreeMap<String, (usize, usize, usize)>,
    with_labels: usize,
    leaking: usize,
    clinical: usize,
    destroyed: usize,
    staff: usize,
    staff_redacted: usize,
    /// Clinical items destroyed, by the kind of the finding that hit them.
    destroyed_by: BTreeMap<&'static str, usize>,
    misses: Vec<String>,
    hits: Vec<String>,
}

impl Figures {
    fn recall(&self, kind: &str) -> f64 {
        let (lab, hid, _) = self.per_kind.get(kind).copied().unwrap_or_default();
        if lab == 0 {
            1.0
        } else {
            hid as f64 / lab as f64
        }
    }

    fn overall(&self) -> f64 {
        let (lab, hid) = self
            .per_kind
            .values()
            .fold((0, 0), |(l, h), (a, b, _)| (l + a, h + b));
        hid as f64 / lab.max(1) as f64
    }

    /// Adds another file's counts (the examples are not kept).
    fn add(&mut self, other: Figures) {
        self.messages += other.messages;
        for (kind, (lab, hid, same)) in other.per_kind {
            let e = self.per_kind.entry(kind).or_default();
            e.0 += lab;
            e.1 += hid;
            e.2 += same;
        }
        self.with_labels += other.with_labels;
        self.leaking += other.leaking;
        self.clinical += other.clinical;
        self.destroyed += other.destroyed;
        self.staff += other.staff;
        self.staff_redacted += other.staff_redacted;
        for (kind, n) in other.destroyed_by {
            *self.destroyed_by.entry(kind).or_default() += n;
        }
    }

    fn destroyed_rate(&self) -> f64 {
        self.destroyed as f64 / self.clinical.max(1) as f64
    }

    fn staff_rate(&self) -> f64 {
        self.staff_redacted as f64 / self.staff.max(1) as f64
    }

    fn print(&self, name: &str) {
        println!("== {name}: {} messages", self.messages);
        println!(
            "{:<10} {:>8} {:>8} {:>10}",
            "kind", "labelled", "hidden", "same kind"
        );
        for (kind, (lab, hid, same)) in &self.per_kind {
            println!(
                "{kind:<10} {lab:>8} {:>8.3} {:>10.3}",
                *hid as f64 / *lab as f64,
                *same as f64 / *lab as f64
            );
        }
        println!("identifiers hidden (any overlap): {:.3}", self.overall());
        println!(
            "messages with identifiers that still leak some: {} / {}",
            self.leaking, self.with_labels
        );
        println!(
            "clinical items destroyed: {} / {} ({:.2}%)",
            self.destroyed,
            self.clinical,
            100.0 * self.destroyed_rate()
        );
        println!(
            "clinical items destroyed, by finding kind: {:?}",
            self.destroyed_by
        );
        println!(
            "staff names redacted: {} / {} ({:.2}%)",
            self.staff_redacted,
            self.staff,
            100.0 * self.staff_rate()
        );
    }
}

fn evaluate(src: &str, keep_examples: bool) -> Figures {
    let c = load(src);
    let mut f = Figures {
        messages: c.messages.len(),
        ..Figures::default()
    };
    for m in &c.messages {
        let findings = c.scanner.scan(&m.text);
        let mut leaks = false;
        for (kind, span) in &m.labels {
            let e = f.per_kind.entry(kind.clone()).or_default();
            e.0 += 1;
            let hit = findings.iter().any(|x| overlaps(&x.span(), span));
            if hit {
                e.1 += 1;
            } else {
                leaks = true;
                if keep_examples {
                    f.misses
                        .push(format!("{kind} {:?} in: {}", &m.text[span.clone()], m.text));
                }
            }
            if findings
                .iter()
                .any(|x| x.kind().id() == kind_id(kind) && overlaps(&x.span(), span))
            {
                e.2 += 1;
            }
        }
        if !m.labels.is_empty() {
            f.with_labels += 1;
            f.leaking += usize::from(leaks);
        }
        for item in &m.clinical {
            let staff = is_staff(&m.text[item.clone()], &c.staff_words);
            f.clinical += 1;
            f.staff += usize::from(staff);
            if let Some(x) = findings.iter().find(|x| overlaps(&x.span(), item)) {
                f.destroyed += 1;
                *f.destroyed_by.entry(x.kind().id()).or_default() += 1;
                f.staff_redacted += usize::from(staff);
                if keep_examples {
                    f.hits.push(format!(
                        "{} {:?} by {:?} in: {}",
                        if staff { "staff" } else { "clinical" },
                        &m.text[item.clone()],
                        x.rule(),
                        m.text
                    ));
                }
            }
        }
    }
    f
}

/// The corpus label for a kind, as `Kind::id` spells it.
fn kind_id(label: &str) -> &str {
    match label {
        "hosp" => "hospital",
        other => other,
    }
}

fn show_examples() -> bool {
    std::env::var_os("REDACT_SHOW_MISSES").is_some()
}

fn print_examples(f: &Figures) {
    if show_examples() {
        for m in &f.misses {
            println!("MISS {m}");
        }
        for h in &f.hits {
            println!("HIT {h}");
        }
    }
}

#[test]
fn original_corpus() {
    let f = evaluate(ORIGINAL, true);
    f.print("original corpus (tests/data/redact_corpus.txt)");
    print_examples(&f);
    assert!(
        f.overall() >= 0.999,
        "identifiers hidden {:.3}",
        f.overall()
    );
    assert_eq!(f.destroyed, 0, "clinical items destroyed");
}

#[test]
fn heldout_dev() {
    let f = evaluate(DEV, true);
    f.print("held-out development split");
    print_examples(&f);
    assert!(
        f.overall() >= 0.985,
        "identifiers hidden {:.3}",
        f.overall()
    );
    for kind in STRUCTURED {
        let floor = if kind == "hosp" { 0.93 } else { 0.99 };
        assert!(f.recall(kind) >= floor, "{kind} {:.3}", f.recall(kind));
    }
    // Round six (words no vocabulary knows): 3 of 1,154 destroyed (2 before).
    assert!(
        f.destroyed_rate() <= 0.0026,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.005, "staff {:.4}", f.staff_rate());
}

/// The second development set (issue 13, round two): template messages
/// stressing the formats of structured identifiers and the text that must
/// survive. Written and frozen before the rules of that round changed.
#[test]
fn dev2() {
    let f = evaluate(DEV2, true);
    f.print("second development set (tests/data/redact_dev2.txt)");
    print_examples(&f);
    // Before the rules of round two: 0.882 overall, NHS 0.684, phone
    // 0.830, hospital 0.802, 1.60% of clinical items destroyed.
    assert!(f.overall() >= 0.99, "identifiers hidden {:.3}", f.overall());
    for kind in STRUCTURED {
        assert!(f.recall(kind) >= 0.99, "{kind} {:.3}", f.recall(kind));
    }
    assert!(f.recall("name") >= 0.98, "names {:.3}", f.recall("name"));
    // Round six: 4 of 1,749 destroyed (3 before: `Sertraline 50mg`,
    // `Levetiracetam 500mg` after a name are now read as its end).
    assert!(
        f.destroyed_rate() <= 0.0023,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.005, "staff {:.4}", f.staff_rate());
}

/// The third development set (issue 13, round two): staff chatter that
/// must survive whole, and more hospital-number shapes and follow-up dates.
#[test]
fn dev3() {
    let f = evaluate(DEV3, true);
    f.print("third development set (tests/data/redact_dev3.txt)");
    print_examples(&f);
    // Before: 0.737 overall, hospital numbers 0.440, care dates 0.884,
    // 18.75% of clinical items destroyed; 11.9% at the start of round
    // three, 6.45% after it. Staff chatter with colleagues named without a
    // title or role is still the weak side (goal 0.5%).
    assert!(
        f.overall() >= 0.975,
        "identifiers hidden {:.3}",
        f.overall()
    );
    assert!(f.recall("hosp") >= 0.99, "hosp {:.3}", f.recall("hosp"));
    assert!(f.recall("date") >= 0.99, "dates {:.3}", f.recall("date"));
    assert!(
        f.destroyed_rate() <= 0.065,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.005, "staff {:.4}", f.staff_rate());
}

/// The fourth development set (issue 13, round three): written by someone
/// who had not read the detector code, and committed unchanged before any
/// rule was tuned on it.
#[test]
fn dev4() {
    let f = evaluate(DEV4, true);
    f.print("fourth development set (tests/data/redact_heldout_dev4.txt)");
    print_examples(&f);
    // Before (the scanner at the commit that froze it): 0.876 overall,
    // names 0.780, care dates 0.829, hospital numbers 0.930, addresses
    // 0.888, 3.53% of clinical items destroyed, 3.24% of staff names.
    // After round three: 0.881, names 0.791, 1.00% destroyed, 0.25% staff.
    // After round four: 0.889, names 0.806, care dates 0.837. After round
    // six: 0.935, names 0.898, care dates 0.861, addresses 0.971, 1.13%
    // destroyed.
    assert!(f.overall() >= 0.93, "identifiers hidden {:.3}", f.overall());
    assert!(f.recall("name") >= 0.89, "names {:.3}", f.recall("name"));
    assert!(f.recall("date") >= 0.86, "dates {:.3}", f.recall("date"));
    assert!(
        f.destroyed_rate() <= 0.0114,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.003, "staff {:.4}", f.staff_rate());
}

/// The fifth development set (issue 13, round four): written message by
/// message by someone who had not read the detector code, and committed
/// unchanged before any rule was tuned on it.
#[test]
fn dev5() {
    let f = evaluate(DEV5, true);
    f.print("fifth development set (tests/data/redact_heldout_dev5.txt)");
    print_examples(&f);
    // Before (the scanner at the commit that froze it): 0.740 overall,
    // names 0.601, care dates 0.699, hospital numbers 0.943, addresses
    // 0.924, 3.50% of clinical items destroyed, 0.46% of staff names.
    // After round four: 0.786, names 0.665, care dates 0.777, 1.94%
    // destroyed, no staff name. After round five: 0.793, names 0.680.
    // After round six: 0.919, names 0.899, care dates 0.839, addresses
    // 0.989, 2.12% destroyed.
    assert!(f.overall() >= 0.91, "identifiers hidden {:.3}", f.overall());
    assert!(f.recall("name") >= 0.89, "names {:.3}", f.recall("name"));
    assert!(
        f.recall("date") >= 0.83,
        "care dates {:.3}",
        f.recall("date")
    );
    assert!(f.recall("hosp") >= 0.94, "hosp {:.3}", f.recall("hosp"));
    assert!(
        f.recall("address") >= 0.98,
        "addresses {:.3}",
        f.recall("address")
    );
    for kind in ["nhs", "chi", "hc", "ni", "postcode", "phone", "email"] {
        assert!(f.recall(kind) >= 0.99, "{kind} {:.3}", f.recall(kind));
    }
    assert!(
        f.destroyed_rate() <= 0.0213,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.001, "staff {:.4}", f.staff_rate());
}

/// The sixth development set (issue 13, round four): written like the
/// fifth, independently of it, and committed unchanged before any rule was
/// tuned on it.
#[test]
fn dev6() {
    let f = evaluate(DEV6, true);
    f.print("sixth development set (tests/data/redact_heldout_dev6.txt)");
    print_examples(&f);
    // Before (the scanner at the commit that froze it): 0.677 overall,
    // names 0.550, care dates 0.626, hospital numbers 0.925, addresses
    // 0.857, 2.47% of clinical items destroyed, 0.65% of staff names.
    // After round four: 0.709, names 0.595, care dates 0.673, 1.74%
    // destroyed, 0.32% of staff names. After round five: 0.716, names
    // 0.606, 1.60% destroyed. After round six: 0.889, names 0.867, care
    // dates 0.816, addresses 0.914, 1.82% destroyed.
    assert!(f.overall() >= 0.88, "identifiers hidden {:.3}", f.overall());
    assert!(f.recall("name") >= 0.86, "names {:.3}", f.recall("name"));
    assert!(
        f.recall("date") >= 0.81,
        "care dates {:.3}",
        f.recall("date")
    );
    assert!(f.recall("hosp") >= 0.92, "hosp {:.3}", f.recall("hosp"));
    assert!(
        f.recall("address") >= 0.91,
        "addresses {:.3}",
        f.recall("address")
    );
    for kind in ["nhs", "chi", "hc", "ni", "postcode", "phone", "email"] {
        assert!(f.recall(kind) >= 0.99, "{kind} {:.3}", f.recall(kind));
    }
    assert!(
        f.destroyed_rate() <= 0.0182,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.004, "staff {:.4}", f.staff_rate());
}

/// The seventh development set (issue 13, round five): written message by
/// message by someone who had not read the detector code, and committed
/// unchanged before any rule of round five was tuned on it.
#[test]
fn dev7() {
    let f = evaluate(DEV7, true);
    f.print("seventh development set (tests/data/redact_heldout_dev7.txt)");
    print_examples(&f);
    // Before (the scanner at the commit that froze it): 0.750 overall,
    // names 0.662, care dates 0.699, dates of birth 0.891, hospital numbers
    // 0.704, addresses 0.872, phones 0.980, 1.95% of clinical items
    // destroyed, no staff name. After round five: 0.755, names 0.671,
    // 1.69% destroyed. After round six: 0.868, names 0.853, care dates
    // 0.728, hospital numbers 0.852, addresses 0.904, 1.69% destroyed.
    assert!(f.overall() >= 0.86, "identifiers hidden {:.3}", f.overall());
    assert!(f.recall("name") >= 0.849, "names {:.3}", f.recall("name"));
    assert!(
        f.recall("date") >= 0.72,
        "care dates {:.3}",
        f.recall("date")
    );
    assert!(f.recall("dob") >= 0.89, "dob {:.3}", f.recall("dob"));
    assert!(f.recall("hosp") >= 0.85, "hosp {:.3}", f.recall("hosp"));
    assert!(
        f.recall("address") >= 0.90,
        "addresses {:.3}",
        f.recall("address")
    );
    assert!(f.recall("phone") >= 0.98, "phone {:.3}", f.recall("phone"));
    for kind in ["nhs", "chi", "hc", "ni", "postcode", "email"] {
        assert!(f.recall(kind) >= 0.99, "{kind} {:.3}", f.recall(kind));
    }
    assert!(
        f.destroyed_rate() <= 0.0170,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.001, "staff {:.4}", f.staff_rate());
}

/// The frozen test split: aggregate figures only, and the goal (or, where
/// the goal is not reached, the figure actually reached) as a floor.
#[test]
fn heldout_test() {
    // Never keep or print individual messages from the test split.
    let f = evaluate(TEST, false);
    f.print("held-out TEST split (aggregate only)");
    assert!(f.messages >= 1500, "test split has {} messages", f.messages);
    // Issue 13's goal is 0.95 overall, 0.99 per structured type, at most
    // 0.5% of clinical items destroyed and 2% of staff names redacted. Where
    // the scanner does not reach the goal yet, the floor is the figure it
    // does reach (docs/REDACTION.md), so a change that loses ground fails.
    let goal = |kind: &str| -> f64 {
        match kind {
            // Reached.
            "chi" | "hc" | "postcode" | "email" | "ni" | "nhs" | "phone" => 0.99,
            // Not reached: the measured figure, rounded down.
            "hosp" => 0.95,
            _ => 0.0,
        }
    };
    for kind in STRUCTURED {
        let r = f.recall(kind);
        assert!(r >= goal(kind), "{kind} hidden {r:.3} < {}", goal(kind));
    }
    assert!(f.overall() >= 0.92, "identifiers hidden {:.3}", f.overall());
    assert!(f.recall("name") >= 0.91, "names {:.3}", f.recall("name"));
    assert!(
        f.recall("address") >= 0.98,
        "addresses {:.3}",
        f.recall("address")
    );
    assert!(
        f.recall("date") >= 0.87,
        "care dates {:.3}",
        f.recall("date")
    );
    assert!(
        f.recall("dob") >= 0.97,
        "dates of birth {:.3}",
        f.recall("dob")
    );
    // Not reached: 3.6% of clinical items and 2.2% of staff names are hit
    // after round six (2.7% and 2.2% after rounds four and five; 2.6% and
    // 2.2% after round three, 2.9% and 3.0% before it). Round six's words
    // no vocabulary knows and its other rules lifted names from 0.887 to
    // 0.913 and addresses from 0.956 to 0.989 here.
    assert!(
        f.destroyed_rate() <= 0.0357,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.022, "staff {:.4}", f.staff_rate());
}

/// Test set 2: 1,889 messages in four parts, each written message by
/// message by someone who had not read the detector code, and committed
/// unchanged, alone, before this test or any rule saw them. It replaces the
/// first test split as the honest figure: that split was looked at, pass or
/// fail, while rules were chosen (docs/REDACTION.md). Aggregate figures
/// only; no message from it is ever printed. The floors are the figures
/// the scanner reached at the end of round six (measured once then; the
/// freeze figures before it are in the comment below), rounded, so a
/// change that loses ground fails; issue 13's goal is above them.
#[test]
fn heldout_test2() {
    let mut f = Figures::default();
    for part in TEST2 {
        f.add(evaluate(part, false));
    }
    f.print("held-out TEST set 2 (aggregate only)");
    assert_eq!(f.messages, 1889, "test set 2 is frozen");
    // At the freeze: 0.755 (3,142 of 4,162) identifiers hidden; names
    // 0.672, care dates 0.638, dates of birth 0.902, addresses 0.887,
    // hospital numbers 0.891, CHI 0.972, NHS 0.982, H&C, NI, phone and
    // email 1.000, postcodes 0.995; 2.18% of clinical items destroyed,
    // 0.90% of staff names redacted. After round six (measured once, at
    // its end): 0.891 (3,708 of 4,162); names 0.893, care dates 0.712,
    // addresses 0.915, CHI 0.991, NHS 1.000, dates of birth and hospital
    // numbers unchanged; 3.71% destroyed, 1.50% of staff names.
    let floor = |kind: &str| -> f64 {
        match kind {
            "hc" | "ni" | "phone" | "email" | "postcode" | "nhs" | "chi" => 0.99,
            "hosp" => 0.89,
            _ => 0.0,
        }
    };
    for kind in STRUCTURED {
        let r = f.recall(kind);
        assert!(r >= floor(kind), "{kind} hidden {r:.3} < {}", floor(kind));
    }
    assert!(f.overall() >= 0.89, "identifiers hidden {:.3}", f.overall());
    assert!(f.recall("name") >= 0.89, "names {:.3}", f.recall("name"));
    assert!(
        f.recall("date") >= 0.71,
        "care dates {:.3}",
        f.recall("date")
    );
    assert!(f.recall("dob") >= 0.90, "dob {:.3}", f.recall("dob"));
    assert!(
        f.recall("address") >= 0.91,
        "addresses {:.3}",
        f.recall("address")
    );
    // Not reached: round six traded precision for recall here (2.18% and
    // 0.90% at the freeze).
    assert!(
        f.destroyed_rate() <= 0.0372,
        "destroyed {:.4}",
        f.destroyed_rate()
    );
    assert!(f.staff_rate() <= 0.015, "staff {:.4}", f.staff_rate());
}
