//! Recall and precision of the redaction detectors on the labelled synthetic
//! corpus in `tests/data/redact_corpus.txt` (format described at its top).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::BTreeMap;
use std::ops::Range;

use bleep_redact::{Action, Kind, Scanner};

mod common;
use common::overlaps;

const CORPUS: &str = include_str!("data/redact_corpus.txt");

fn kind_of(tag: &str) -> Kind {
    match tag {
        "nhs" => Kind::NhsNumber,
        "chi" => Kind::ChiNumber,
        "hc" => Kind::HealthAndCareNumber,
        "dob" => Kind::DateOfBirth,
        "date" => Kind::CareDate,
        "postcode" => Kind::Postcode,
        "phone" => Kind::Phone,
        "email" => Kind::Email,
        "ni" => Kind::NiNumber,
        "hosp" => Kind::HospitalNumber,
        "name" => Kind::PersonName,
        other => panic!("unknown label {other}"),
    }
}

struct Message {
    text: String,
    labels: Vec<(Kind, Range<usize>)>,
    clinical: Vec<Range<usize>>,
}

fn corpus() -> (Scanner, Vec<Message>) {
    let c = common::load(CORPUS);
    let msgs = c
        .messages
        .into_iter()
        .map(|m| Message {
            text: m.text,
            labels: m
                .labels
                .into_iter()
                .map(|(k, span)| (kind_of(&k), span))
                .collect(),
            clinical: m.clinical,
        })
        .collect();
    (c.scanner, msgs)
}

#[test]
fn corpus_recall_and_precision() {
    let (scanner, msgs) = corpus();
    assert!(msgs.len() >= 150, "corpus has {} messages", msgs.len());
    // kind -> (labelled, found, reported, correct reports)
    let mut stats: BTreeMap<Kind, [usize; 4]> = BTreeMap::new();
    let mut clinical_hits = Vec::new();
    let mut misses = Vec::new();
    let mut false_pos = Vec::new();
    for m in &msgs {
        let findings = scanner.scan(&m.text);
        for (kind, span) in &m.labels {
            let s = stats.entry(*kind).or_default();
            s[0] += 1;
            if findings
                .iter()
                .any(|f| f.kind() == *kind && overlaps(&f.span(), span))
            {
                s[1] += 1;
            } else {
                misses.push(format!(
                    "{kind:?} {:?} in: {}",
                    &m.text[span.clone()],
                    m.text
                ));
            }
        }
        for f in &findings {
            let s = stats.entry(f.kind()).or_default();
            s[2] += 1;
            if m.labels
                .iter()
                .any(|(k, span)| *k == f.kind() && overlaps(&f.span(), span))
            {
                s[3] += 1;
            } else {
                false_pos.push(format!(
                    "{:?} {:?} in: {}",
                    f.kind(),
                    &m.text[f.span()],
                    m.text
                ));
            }
            for c in &m.clinical {
                if overlaps(&f.span(), c) {
                    clinical_hits.push(format!(
                        "{:?} hit {:?} in: {}",
                        f.kind(),
                        &m.text[c.clone()],
                        m.text
                    ));
                }
            }
        }
        // The redacted text keeps every clinical value verbatim.
        let r = scanner.redact(&m.text, &Action::Mask);
        for c in &m.clinical {
            if !r.expose().contains(&m.text[c.clone()]) {
                clinical_hits.push(format!("{:?} lost from {}", &m.text[c.clone()], m.text));
            }
        }
    }
    let clinical_total: usize = msgs.iter().map(|m| m.clinical.len()).sum();
    println!(
        "corpus: {} messages, {} clinical hard negatives",
        msgs.len(),
        clinical_total
    );
    println!(
        "{:<22} {:>8} {:>8} {:>8} {:>9}",
        "kind", "labelled", "recall", "reported", "precision"
    );
    for (kind, [lab, found, rep, ok]) in &stats {
        let recall = if *lab == 0 {
            1.0
        } else {
            *found as f64 / *lab as f64
        };
        let precision = if *rep == 0 {
            1.0
        } else {
            *ok as f64 / *rep as f64
        };
        println!(
            "{:<22} {lab:>8} {recall:>8.3} {rep:>8} {precision:>9.3}",
            format!("{kind:?}")
        );
    }
    for m in &misses {
        println!("MISS {m}");
    }
    for f in &false_pos {
        println!("FALSE POSITIVE {f}");
    }
    assert!(
        clinical_hits.is_empty(),
        "clinical values redacted:\n{}",
        clinical_hits.join("\n")
    );
    let recall = |k: Kind| {
        let [lab, found, _, _] = stats.get(&k).copied().unwrap_or_default();
        assert!(lab > 0, "no {k:?} labels in the corpus");
        found as f64 / lab as f64
    };
    let precision = |k: Kind| {
        let [_, _, rep, ok] = stats.get(&k).copied().unwrap_or_default();
        if rep == 0 {
            1.0
        } else {
            ok as f64 / rep as f64
        }
    };
    for k in [
        Kind::NhsNumber,
        Kind::Postcode,
        Kind::Phone,
        Kind::Email,
        Kind::NiNumber,
    ] {
        assert!(recall(k) >= 0.99, "{k:?} recall {}", recall(k));
    }
    for k in [Kind::DateOfBirth, Kind::HospitalNumber] {
        assert!(recall(k) >= 0.95, "{k:?} recall {}", recall(k));
    }
    for k in [
        Kind::ChiNumber,
        Kind::HealthAndCareNumber,
        Kind::CareDate,
        Kind::PersonName,
    ] {
        assert!(recall(k) >= 0.90, "{k:?} recall {}", recall(k));
    }
    for k in Kind::ALL {
        assert!(precision(k) >= 0.95, "{k:?} precision {}", precision(k));
    }
}
