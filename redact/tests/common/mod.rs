//! The labelled corpus format shared by the corpus tests: one message a
//! line, `{{kind:text}}` an identifier, `<<text>>` clinical text that must
//! survive, `#! patient:` and `#! staff:` lines the app's lists, other `#`
//! lines comments.
#![allow(dead_code, clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::ops::Range;

use bleep_redact::Scanner;

pub(crate) struct Message {
    pub(crate) text: String,
    /// Label kind (`nhs`, `name`, …) and span.
    pub(crate) labels: Vec<(String, Range<usize>)>,
    pub(crate) clinical: Vec<Range<usize>>,
}

pub(crate) fn parse_line(line: &str) -> Message {
    let mut text = String::new();
    let mut labels = Vec::new();
    let mut clinical = Vec::new();
    let mut rest = line;
    loop {
        let a = rest.find("{{");
        let c = rest.find("<<");
        let label = match (a, c) {
            (None, None) => break,
            (Some(x), Some(y)) => x < y,
            (x, _) => x.is_some(),
        };
        let at = if label { a.unwrap() } else { c.unwrap() };
        text.push_str(&rest[..at]);
        rest = &rest[at + 2..];
        if label {
            let colon = rest.find(':').unwrap();
            let end = rest.find("}}").unwrap();
            let start = text.len();
            text.push_str(&rest[colon + 1..end]);
            labels.push((rest[..colon].to_string(), start..text.len()));
            rest = &rest[end + 2..];
        } else {
            let end = rest.find(">>").unwrap();
            let start = text.len();
            text.push_str(&rest[..end]);
            clinical.push(start..text.len());
            rest = &rest[end + 2..];
        }
    }
    text.push_str(rest);
    Message {
        text,
        labels,
        clinical,
    }
}

pub(crate) struct Corpus {
    pub(crate) scanner: Scanner,
    /// Every word of the `#! staff:` lines, lowercase.
    pub(crate) staff_words: BTreeSet<String>,
    pub(crate) messages: Vec<Message>,
}

pub(crate) fn load(src: &str) -> Corpus {
    let mut b = Scanner::builder();
    let mut staff_words = BTreeSet::new();
    let mut messages = Vec::new();
    for line in src.lines() {
        if let Some(p) = line.strip_prefix("#! patient: ") {
            b = b.patient_name(p);
        } else if let Some(s) = line.strip_prefix("#! staff: ") {
            b = b.staff_name(s);
            staff_words.extend(s.split_whitespace().map(str::to_lowercase));
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            messages.push(parse_line(line));
        }
    }
    Corpus {
        scanner: b.build(),
        staff_words,
        messages,
    }
}

pub(crate) fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}
