//! Email addresses.
//!
//! # Rules
//! `local@domain`, where
//! * the local part is 1–64 ASCII letters, digits or `. _ % + -`, starting
//!   with a letter or digit at a token start;
//! * the domain is two or more labels of ASCII letters, digits and `-`
//!   joined by single dots, the last label being two or more letters.
//!
//! A trailing full stop is not part of the address. Internationalised
//! addresses (non-ASCII local parts or domains) are not recognised.

use super::byte;

fn local_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-')
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
    let mut end = 0;
    let mut last_alpha = false;
    loop {
        let ls = p;
        let mut alpha = true;
        while byte(b, p).is_ascii_alphanumeric() || byte(b, p) == b'-' {
            alpha &= byte(b, p).is_ascii_alphabetic();
            p += 1;
        }
        if p == ls {
            break;
        }
        labels += 1;
        end = p;
        last_alpha = alpha && p - ls >= 2;
        if byte(b, p) == b'.' && byte(b, p + 1).is_ascii_alphanumeric() {
            p += 1;
        } else {
            break;
        }
    }
    (labels >= 2 && last_alpha).then_some(end)
}

#[cfg(test)]
mod tests {
    use crate::redact::{Kind, Scanner};

    fn spans(t: &str) -> Vec<&str> {
        Scanner::new()
            .scan(t)
            .iter()
            .filter(|f| f.kind() == Kind::Email)
            .map(|f| &t[f.span()])
            .collect()
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
