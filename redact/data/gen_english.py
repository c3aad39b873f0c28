#!/usr/bin/env python3
"""Regenerate redact/data/english.txt, the ordinary-English vocabulary that
tells a capitalised name from a capitalised word.

Source: SCOWL (Spell Checker Oriented Word Lists) 2020.12.07, as packaged by
Debian (`scowl` package, /usr/share/dict/scowl). Taken: the `english-words`
and `british-words` lists (and their British spelling variants
`british_variant_1/2-words`) of size 50 or less, words starting with a
lowercase letter and holding no apostrophe; and the `english-upper` and
`british-upper` lists of size 40 or less (nationalities, languages,
religions, months, a few brands), lowercased, without possessives. Licence:
see docs/REDACTION.md (SCOWL's permissive notice, reproduced there).

Usage (on a Debian machine):
    apt-get download scowl && dpkg -x scowl_*.deb /tmp/scowl
    python3 redact/data/gen_english.py /tmp/scowl/usr/share/dict/scowl \
        > redact/data/english.txt
"""
import os
import sys

WORDS_MAX = 50
UPPER_MAX = 40


def main(d):
    vocab = set()
    for name in os.listdir(d):
        base, _, level = name.rpartition(".")
        if not level.isdigit():
            continue
        level = int(level)
        words = base in ("english-words", "british-words",
                         "british_variant_1-words", "british_variant_2-words")
        upper = base in ("english-upper", "british-upper")
        if not ((words and level <= WORDS_MAX) or (upper and level <= UPPER_MAX)):
            continue
        with open(os.path.join(d, name), encoding="utf-8") as f:
            for w in f:
                w = w.strip()
                if not w or "'" in w:
                    continue
                if words and not w[0].islower():
                    continue
                if upper and not w[0].isupper():
                    continue
                vocab.add(w.lower())
    sys.stdout.write("".join(w + "\n" for w in sorted(vocab)))


if __name__ == "__main__":
    main(sys.argv[1])
