//! Email addresses.
//!
//! # Rules
//! `local@domain`, where
//! * the local part is 1–64 ASCII letters, digits or `. _ % + -`, starting
//!   with a letter or digit at a token start;
//! * the domain is two or more labels of ASCII letters, digits and `-`
//!   joined by single dots, the last label being two or more letters.
//!
//! A trailing full stop is not part of the address, and the address ends
//! where the last label stops being letters (`a@example.com-ward` ends at
//! `com`). Internationalised
//! addresses (non-ASCII local parts or domains) are not recognised.

use super::byte;

fn local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
}

/// Does a local part starting at `s` reach an `@` within 64 bytes? A word
/// followed by `.` or `-` may still be the start of an address
/// (`a--x@example.com`, `j.smith@nhs.net`); the word fast path asks this
/// before treating such a word as ordinary.
pub(crate) fn local_reaches_at(b: &[u8], s: usize) -> bool {
    let mut p = s;
    while local_char(byte(b, p)) {
        p += 1;
        if p - s > 64 {
            return false;
        }
    }
    p > s && byte(b, p) == b'@'
}

/// An email address starting at `s`: returns its end.
pub(crate) fn at(b: &[u8], s: usize) -> Option<usize> {
    let mut p = s;
    while local_char(byte(b, p)) {
        p += 1;
        if p - s > 64 {
            return None;
        }
    }
    if p == s || byte(b, p) != b'@' {
        return None;
    }
    p += 1;
    let mut labels = 0;
    let mut best = None;
    loop {
        let ls = p;
        while byte(b, p).is_ascii_alphanumeric() || byte(b, p) == b'-' {
            p += 1;
        }
        if p == ls {
            break;
        }
        labels += 1;
        // The top-level domain is the letters at the start of a label, up
        // to something that cannot continue a word ("example.com-AB").
        let mut q = ls;
        while byte(b, q).is_ascii_alphabetic() {
            q += 1;
        }
        if labels >= 2 && q - ls >= 2 && !byte(b, q).is_ascii_alphanumeric() {
            best = Some(q);
        }
        if byte(b, p) == b'.' && byte(b, p + 1).is_ascii_alphanumeric() {
            p += 1;
        } else {
            break;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use crate::Kind;

    fn spans(t: &str) -> Vec<&str> {
        super::super::spans_of(Kind::Email, t)
    }

    #[test]
    fn addresses() {
        assert_eq!(
            spans("email jane.doe@example.com."),
            vec!["jane.doe@example.com"]
        );
        assert_eq!(
            spans("a_b+c@mail.example.co.uk x"),
            vec!["a_b+c@mail.example.co.uk"]
        );
        assert_eq!(spans("son: 07a@x-y.org"), vec!["07a@x-y.org"]);
        assert_eq!(spans("a.b@example.com-AB x"), vec!["a.b@example.com"]);
    }

    #[test]
    fn not_addresses() {
        for t in [
            "@handle",
            "x@localhost",
            "a@b.c",
            "email me @ 14:30",
            "a@1.23",
        ] {
            assert!(spans(t).is_empty(), "{t}");
        }
    }
}
