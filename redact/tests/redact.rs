//! Integration tests for `bleep_redact` through the public API only.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use bleep_redact::{
    Action, Finding, Kind, LockScreenPreview, PreviewPolicy, PseudonymKey, RedactError, Redacted,
    Rule, Scanner,
};
use proptest::prelude::*;

fn scanner() -> Scanner {
    Scanner::builder()
        .patient_name("Margaret Thornton")
        .patient_name("Peter Thornton")
        .staff_name("Adaeze Okafor")
        .hospital_pattern("RQ#######")
        .unwrap()
        .build()
}

fn found(sc: &Scanner, t: &str) -> Vec<(Kind, String)> {
    sc.scan(t)
        .iter()
        .map(|f| (f.kind(), t[f.span()].to_string()))
        .collect()
}

const HANDOVER: &str = "Handover bay 4 bed 2: Mrs Margaret Thornton, 84F, DOB 12/03/1954, NHS 943 476 5919, \
MRN 00123456, lives SW1A 2AA. NOK son Peter Thornton 07700 900123, peter.t@example.com. \
BP 120/80, HR 110, SpO2 94%, GCS 14/15, K+ 5.9, Hb 98. Dr Okafor aware, bleep 1234. Under Mr Shah.";

#[test]
fn handover_findings() {
    let sc = scanner();
    let f = found(&sc, HANDOVER);
    let want = [
        (Kind::PersonName, "Margaret Thornton"),
        (Kind::DateOfBirth, "12/03/1954"),
        (Kind::NhsNumber, "943 476 5919"),
        (Kind::HospitalNumber, "00123456"),
        (Kind::Postcode, "SW1A 2AA"),
        (Kind::PersonName, "Peter Thornton"),
        (Kind::Phone, "07700 900123"),
        (Kind::Email, "peter.t@example.com"),
    ];
    let want: Vec<(Kind, String)> = want.iter().map(|(k, s)| (*k, s.to_string())).collect();
    assert_eq!(f, want);
}

/// Inputs the fuzz target found where a placeholder revealed what the
/// text it replaced had hidden (a name or date found on a second pass):
/// redacting twice must equal redacting once, and nothing found survives.
#[test]
fn masking_reveals_nothing_on_a_second_pass() {
    let sc = scanner();
    let key = PseudonymKey::from_bytes([3; 32]);
    for text in [
        "H Hu 7/4 7/4",
        "ada bt@H Hu",
        "Q Hu//6/4/6/4'//6/4",
        "ss\0ada bfteo irthS@H Hu@",
    ] {
        for action in [
            Action::Mask,
            Action::PartialMask,
            Action::Pseudonymise {
                key: &key,
                conversation: b"t",
            },
        ] {
            let once = sc.redact(text, &action);
            let twice = sc.redact(once.expose(), &action);
            assert_eq!(once.expose(), twice.expose(), "{text:?}");
        }
        let masked = sc.redact(text, &Action::Mask);
        assert!(sc.scan(masked.expose()).is_empty(), "{text:?}");
    }
}

#[test]
fn mask_keeps_clinical_content() {
    let r = scanner().redact(HANDOVER, &Action::Mask);
    assert_eq!(
        r.expose(),
        "Handover bay 4 bed 2: Mrs [name], 84F, DOB [date of birth], NHS [NHS number], \
MRN [hospital number], lives [postcode]. NOK son [name] [phone], [email]. \
BP 120/80, HR 110, SpO2 94%, GCS 14/15, K+ 5.9, Hb 98. Dr Okafor aware, bleep 1234. Under Mr Shah."
    );
    assert_eq!(r.findings().len(), 8);
}

#[test]
fn partial_mask_keeps_last_three_digits() {
    let r = Scanner::new().redact(
        "NHS 943 476 5919, call 07700 900123, AB 12 34 56 C",
        &Action::PartialMask,
    );
    assert_eq!(
        r.expose(),
        "NHS [NHS number ending 919], call [phone ending 123], [NI number ending 456]"
    );
}

#[test]
fn pseudonyms_are_stable_within_a_conversation() {
    let sc = scanner();
    let key = PseudonymKey::from_bytes([42; 32]);
    let a = Action::Pseudonymise {
        key: &key,
        conversation: b"ward-7-handover",
    };
    let one = sc.redact("Margaret Thornton bloods", &a);
    let two = sc.redact("mrs margaret thornton for d/c, Margaret's bloods", &a);
    let tag = &one.expose()[..16];
    assert!(tag.starts_with("[patient ") && tag.ends_with(']'), "{tag}");
    assert!(
        two.expose().contains(tag),
        "{} vs {}",
        one.expose(),
        two.expose()
    );
    // Same NHS number in two spellings: one pseudonym.
    let x = sc.redact("9434765919", &a);
    let y = sc.redact("943-476-5919", &a);
    assert_eq!(x.expose(), y.expose());
    // Another conversation or key: different pseudonyms.
    let b = Action::Pseudonymise {
        key: &key,
        conversation: b"other",
    };
    assert_ne!(sc.redact("9434765919", &b).expose(), x.expose());
    let key2 = PseudonymKey::from_bytes([43; 32]);
    let c = Action::Pseudonymise {
        key: &key2,
        conversation: b"ward-7-handover",
    };
    assert_ne!(sc.redact("9434765919", &c).expose(), x.expose());
}

#[test]
fn debug_output_is_pinned_and_leaks_nothing() {
    let sc = scanner();
    let text = "Mrs Thornton 943 476 5919";
    let r = sc.redact(text, &Action::Mask);
    let dbg = format!("{r:?}");
    assert_eq!(
        dbg,
        "Redacted { len: 23, findings: [\
Finding { kind: PersonName, span: 4..12, rule: NameAfterTitle }, \
Finding { kind: NhsNumber, span: 13..25, rule: NhsModulus11 }] }"
    );
    assert_eq!(
        format!("{sc:?}"),
        "Scanner { patient_names: 2, staff_names: 1, hospital_patterns: 1 }"
    );
    let key = PseudonymKey::from_bytes([0x5a; 32]);
    assert_eq!(format!("{key:?}"), "PseudonymKey(<redacted>)");
    let p = LockScreenPreview::for_sender("Dr A. Okafor");
    for s in [
        dbg,
        format!("{sc:?}"),
        format!("{key:?}"),
        format!("{p:?}"),
        format!("{:?}", sc.scan(text)),
    ] {
        for leak in ["Thornton", "thornton", "943", "5919", "5a5a", "90"] {
            assert!(!s.contains(leak), "{leak} in {s}");
        }
    }
}

#[test]
fn scan_does_not_rewrite_and_reports_rules() {
    let sc = scanner();
    let t = "pt Jean Harris RQ1234567 ok";
    let f: Vec<Finding> = sc.scan(t);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0].rule(), Rule::NameAfterPatientCue);
    assert_eq!(f[0].rule().id(), "name.patient-cue");
    assert_eq!(f[1].rule(), Rule::HospitalAppPattern);
    assert_eq!(f[1].kind().label(), "hospital number");
}

#[test]
fn names_no_vocabulary_knows_are_masked_and_drugs_are_not() {
    let sc = Scanner::new();
    let t = "Otieno in cubicle 4, Humira due. Karimi and Nowak on ward 9, started Jardiance";
    let f = sc.scan(t);
    let names: Vec<&str> = f
        .iter()
        .filter(|f| f.kind() == Kind::PersonName)
        .map(|f| &t[f.span()])
        .collect();
    assert_eq!(names, ["Otieno", "Karimi", "Nowak"]);
    assert_eq!(f[0].rule(), Rule::NameUnknownWord);
    assert_eq!(f[0].rule().id(), "name.unknown");
    let once = sc.redact(t, &Action::Mask);
    assert_eq!(
        once.expose(),
        "[name] in cubicle 4, Humira due. [name] and [name] on ward 9, started Jardiance"
    );
    assert_eq!(
        sc.redact(once.expose(), &Action::Mask).expose(),
        once.expose()
    );
}

#[test]
fn staff_and_clinical_content_survive() {
    let sc = scanner();
    for t in [
        "Dr Okafor and Sister Lee reviewed, the reg aware",
        "under Mr Shah, on Mr Shah's list tomorrow",
        "Ms Adeyemi (consultant) happy; Miss Grant, registrar, to see",
        "Mr Okafor happy",
        "84F, 76M, bay 4 bed 2, side room 3, Nightingale Ward, Florence Ward, Thornton Ward",
        "Parkinson's disease, Glasgow Coma Scale 14, Crohn's, Bell's palsy",
        "teaching 14/03/2026, rota 01/12/2026, on call 12/12/2026, MDT 03/12/2026",
        "10mg, 0.5 mg/kg, 5mg IV, B12 1mg IM, 100ml/hr, 2L O2, FiO2 0.4",
        "BP 120/80, HR 110, RR 24, SpO2 94%, GCS 14/15, temp 38.5, NEWS 7",
        "Hb 98, K+ 5.9, Na 131, CRP 150, WCC 12.3, eGFR 45, lactate 4.2, INR 3.4, pH 7.28",
        "14:30, 08:15, bleep 1234, ext 4567, x2231, 4/52, 3/12",
        "Ref 943 476 5918 fails its check digit",
    ] {
        assert!(found(&sc, t).is_empty(), "{t}: {:?}", found(&sc, t));
    }
}

#[test]
fn every_kind_is_found() {
    let sc = scanner();
    let t = "CHI 1203541236, H&C 320 000 0015, admitted 4 Nov, NI AB 12 34 56 C, +44 20 7946 0000";
    let kinds: Vec<Kind> = sc.scan(t).iter().map(|f| f.kind()).collect();
    assert_eq!(
        kinds,
        [
            Kind::ChiNumber,
            Kind::HealthAndCareNumber,
            Kind::CareDate,
            Kind::NiNumber,
            Kind::Phone
        ]
    );
}

#[test]
fn hospital_pattern_errors() {
    assert!(matches!(
        Scanner::builder().hospital_pattern(""),
        Err(RedactError::EmptyPattern)
    ));
    assert!(matches!(
        Scanner::builder().hospital_pattern("X##"),
        Err(RedactError::PatternTooWeak)
    ));
    assert_eq!(
        RedactError::PatternTooWeak.to_string(),
        "hospital-number pattern needs at least four '#' digits"
    );
}

#[test]
fn lock_screen_previews_carry_no_content() {
    let p = LockScreenPreview::from_policy(
        PreviewPolicy::SenderAndGroup,
        "Sister Lee",
        Some("Bay 4 - Mrs Thornton"),
    );
    assert_eq!(p.title(), "Sister Lee in Bay 4 - Mrs [name]");
    assert_eq!(p.body(), LockScreenPreview::BODY);
    assert_eq!(
        LockScreenPreview::nothing().title(),
        LockScreenPreview::ANONYMOUS_TITLE
    );
}

#[test]
fn public_types_are_thread_safe() {
    fn check<T: Send + Sync>() {}
    check::<Scanner>();
    check::<Redacted>();
    check::<Finding>();
    check::<PseudonymKey>();
    check::<LockScreenPreview>();
}

#[test]
fn dates_in_every_typed_format() {
    let sc = Scanner::new();
    for (t, kind) in [
        ("DOB 12/03/1954", Kind::DateOfBirth),
        ("dob 12.3.54", Kind::DateOfBirth),
        ("DOB 12 Mar 1954", Kind::DateOfBirth),
        ("DOB 12th March 1954", Kind::DateOfBirth),
        ("DOB 1954-03-12", Kind::DateOfBirth),
        ("DOB 12/03/54", Kind::DateOfBirth),
        ("12/03/1954", Kind::DateOfBirth),
        ("died 02/11/2026", Kind::CareDate),
        ("surgery 5 Nov", Kind::CareDate),
    ] {
        let f = sc.scan(t);
        assert_eq!(f.len(), 1, "{t}");
        assert_eq!(f[0].kind(), kind, "{t}");
    }
}

// ---- property tests ----

fn nhs_number() -> impl Strategy<Value = String> {
    (proptest::collection::vec(0u8..10, 9), 0usize..5).prop_filter_map(
        "check digit 10",
        |(d, style)| {
            let mut d = d;
            d[0] = 4 + d[0] % 6;
            let sum: u32 = d
                .iter()
                .zip((2..=10u32).rev())
                .map(|(x, w)| u32::from(*x) * w)
                .sum();
            let c = match 11 - sum % 11 {
                11 => 0,
                10 => return None,
                c => c,
            };
            let s: String = d
                .iter()
                .map(|x| char::from(b'0' + x))
                .chain(std::iter::once(char::from_digit(c, 10).unwrap()))
                .collect();
            let sep = ["", " ", "-", "\u{a0}", "\u{2013}"][style];
            Some(if sep.is_empty() {
                s
            } else {
                format!("{}{sep}{}{sep}{}", &s[..3], &s[3..6], &s[6..])
            })
        },
    )
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        nhs_number(),
        Just("DOB".to_string()),
        Just("12/03/1954".to_string()),
        Just("12th March 54".to_string()),
        Just("admitted".to_string()),
        Just("teaching".to_string()),
        Just("14/03/2026".to_string()),
        Just("SW1A 2AA".to_string()),
        Just("m11ae".to_string()),
        Just("07700 900123".to_string()),
        Just("+44 (0)20 7946 0000".to_string()),
        Just("a.b@example.com".to_string()),
        Just("AB 12 34 56 C".to_string()),
        Just("MRN".to_string()),
        Just("hosp no".to_string()),
        Just("K123456".to_string()),
        Just("Mrs".to_string()),
        Just("Mr".to_string()),
        Just("Dr".to_string()),
        Just("under".to_string()),
        Just("pt".to_string()),
        Just("NOK:".to_string()),
        Just("son".to_string()),
        Just("Margaret".to_string()),
        Just("Thornton".to_string()),
        Just("Zoë".to_string()),
        Just("Ward".to_string()),
        Just("list".to_string()),
        Just("[NHS number]".to_string()),
        Just("[patient 0a1b2c]".to_string()),
        Just("BP 120/80".to_string()),
        Just("K+ 5.9".to_string()),
        Just("84F".to_string()),
        Just("bleep 1234".to_string()),
        Just("🚑".to_string()),
        "[a-zA-Z]{1,8}",
        "[0-9]{1,11}",
        "\\PC{0,6}",
    ]
}

fn separator() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just(" "),
        Just(" "),
        Just(", "),
        Just(": "),
        Just(". "),
        Just("\n"),
        Just("\u{a0}"),
        Just("-"),
        Just("/"),
        Just("'s "),
        Just("["),
        Just(""),
    ]
}

fn clinical_text() -> impl Strategy<Value = String> {
    proptest::collection::vec((fragment(), separator()), 0..16)
        .prop_map(|v| v.into_iter().map(|(f, s)| f + s).collect())
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![clinical_text(), any::<String>()]
}

fn check_spans(text: &str, findings: &[Finding]) {
    let mut last = 0;
    for f in findings {
        let s = f.span();
        assert!(s.start >= last, "overlap or unsorted: {findings:?}");
        assert!(s.start < s.end, "empty span");
        assert!(
            text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
            "not on char boundary"
        );
        last = s.end;
    }
    assert!(last <= text.len());
}

proptest! {
    #[test]
    fn spans_are_sorted_disjoint_and_on_char_boundaries(t in any_text()) {
        let sc = scanner();
        check_spans(&t, &sc.scan(&t));
    }

    #[test]
    fn redacting_twice_equals_redacting_once(t in any_text()) {
        let sc = scanner();
        let key = PseudonymKey::from_bytes([9; 32]);
        for action in [Action::Mask, Action::PartialMask, Action::Pseudonymise { key: &key, conversation: b"c" }] {
            let once = sc.redact(&t, &action);
            let twice = sc.redact(once.expose(), &action);
            prop_assert_eq!(once.expose(), twice.expose(), "input {:?}", t);
        }
    }

    #[test]
    fn nothing_found_survives_masking(t in any_text()) {
        let sc = scanner();
        let r = sc.redact(&t, &Action::Mask);
        let again = sc.scan(r.expose());
        prop_assert!(again.is_empty(), "{:?} left {:?} in {:?}", t, again, r.expose());
        // The output is the input with exactly the found spans replaced.
        let mut want = String::new();
        let mut last = 0;
        for f in r.findings() {
            want.push_str(&t[last..f.span().start]);
            want.push_str(&format!("[{}]", f.kind().label()));
            last = f.span().end;
        }
        want.push_str(&t[last..]);
        prop_assert_eq!(r.expose(), want.as_str());
    }

    #[test]
    fn valid_nhs_numbers_are_always_found(n in nhs_number(), pre in "[a-z ]{0,5}") {
        let t = format!("{pre} {n} ok");
        let f = Scanner::new().scan(&t);
        prop_assert!(f.iter().any(|f| f.kind() == Kind::NhsNumber && t[f.span()] == n), "{:?}", t);
    }
}

/// A number right after a name the second pass found is treated as after a
/// first-pass name or a `[name]` placeholder, so redacting twice equals
/// redacting once (found by proptest: `Zoë's Mrs's 0000000`).
#[test]
fn number_after_a_lexicon_name_is_found_in_one_pass() {
    let s = Scanner::new();
    let t = "Zoë's Mrs's 0000000 ";
    let kinds: Vec<_> = s.scan(t).iter().map(|f| (f.kind(), &t[f.span()])).collect();
    assert_eq!(
        kinds,
        [
            (Kind::PersonName, "Zoë's Mrs's"),
            (Kind::HospitalNumber, "0000000")
        ]
    );
    let once = s.redact(t, &Action::Mask);
    let twice = s.redact(once.expose(), &Action::Mask);
    assert_eq!(once.expose(), twice.expose());
}

/// A group name is masked before it is shortened for the lock screen, so a
/// number the shortening would cut (`… pt 943 476`) is never shown in part.
#[test]
fn lock_screen_masks_before_it_shortens() {
    let name = "AA aAaaa  AaA AAA aaa aA A AAaAAAAaaAa AaAaaaaAAaAA aA 943 476 5919 ";
    let p = LockScreenPreview::for_sender_in_group("Sister Lee", name);
    assert!(!p.title().contains("943"), "{}", p.title());
    assert!(
        !p.title().chars().any(|c| c.is_ascii_digit()),
        "{}",
        p.title()
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Wherever the title's cut falls, no digit of an NHS number in the
    /// group name reaches the lock screen.
    #[test]
    fn lock_screen_never_shows_part_of_a_number(
        prefix in "[a-zA-Z ]{0,90}",
        suffix in "[a-zA-Z ]{0,20}",
        sep in prop::sample::select(vec![" ", "-", ""]),
    ) {
        let number = ["943", "476", "5919"].join(sep);
        let name = format!("{prefix} {number} {suffix}");
        let p = LockScreenPreview::for_sender_in_group("Sister Lee", &name);
        prop_assert!(
            !p.title().chars().any(|c| c.is_ascii_digit()),
            "{:?} -> {:?}", name, p.title()
        );
    }
}
