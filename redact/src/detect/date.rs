//! Dates of birth and dates of events in a patient's care.
//!
//! # Shapes
//! * Numeric, day first: `D/M/Y`, `D.M.Y` or `D-M-Y` with the same separator
//!   twice; day 1–31, month 1–12 (one or two digits each), year of two or four
//!   digits: `12/03/1954`, `12.3.54`, `1-3-2026`.
//! * ISO: `YYYY-MM-DD` (also with `/` or `.`): `1954-03-12`.
//! * Month name: a day of one or two digits, an optional ordinal suffix
//!   (`st`, `nd`, `rd`, `th`), an optional ` of`, one separator (space,
//!   no-break space, `-`, `.`, `/`), a month (`Jan`…`Dec`, `Sept`, or the full
//!   name, any case, optional `.`), then optionally a separator and a two- or
//!   four-digit year: `12 Mar 1954`, `12th March 1954`, `12-Mar-54`.
//!   Without a year it is only reported after a cue (`admitted 12 Mar`).
//!
//! A two-digit year `yy` is read as 20`yy` when `yy` ≤ 30 and 19`yy`
//! otherwise.
//!
//! # When a date is reported
//! A date is not patient data by itself (rota, teaching and clinic dates must
//! survive), so a date is reported only when:
//! * **birth cue** ([`Rule::DateAfterBirthCue`]): it is the first date after
//!   `DOB`, `D.O.B`, `born` or `birth` in the same sentence → date of birth;
//! * **event cue** ([`Rule::DateAfterEventCue`]): it is the first date after
//!   `admitted`, `adm`, `admission`, `surgery`, `op`, `operation`,
//!   `operated`, `died`, `death`, `DOD`, `deceased`, `RIP`, `discharged`,
//!   `d/c` in the same sentence → care date;
//! * **historic year** ([`Rule::DateHistoricYear`]): otherwise, a full date
//!   with a year before 2000 → date of birth (rotas and teaching are never
//!   that old).
//!
//! Words that introduce staff or service dates (`rota`, `teaching`,
//! `meeting`, `shift`, `clinic`, `session`, `training`, `induction`,
//! `audit`, `MDT`, `call`, `leave`, `exam`, `deadline`) cancel a pending cue.
//! A sentence ends at `.` followed by whitespace, a newline, `;`, `!` or `?`.
//!
//! Not recognised: month-first dates (`March 12 1954`), dates in words
//! (`twelfth of March`), and day/month pairs without a year and without a cue
//! (`12/03`), which are usually ward dates.

use super::{DateCue, Run, Sep, byte, sep_at};
use crate::{Kind, Rule};

/// A recognised date: where it ends and its year if written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Date {
    pub(crate) end: usize,
    pub(crate) year: Option<u16>,
}

/// The cue a (lowercase ASCII) word sets, if it is a date cue word.
pub(crate) fn cue_word(w: &[u8]) -> Option<DateCue> {
    Some(match w {
        b"dob" | b"born" | b"birth" => DateCue::Birth,
        b"admitted" | b"adm" | b"admission" | b"surgery" | b"op" | b"operation" | b"operated"
        | b"died" | b"death" | b"dod" | b"deceased" | b"rip" | b"discharged" => DateCue::Event,
        // Care events the first rules did not know (issue 13): arrival,
        // time since, samples, appointments and follow-up, obstetric dates.
        b"since" | b"seen" | b"attended" | b"appt" | b"appointment" | b"arrived" | b"arrival"
        | b"transferred" | b"fell" | b"collapsed" | b"delivered" | b"delivery" | b"edd"
        | b"lmp" | b"sample" | b"samples" | b"taken" | b"dated" | b"booked" | b"visit" | b"due"
        | b"until" | b"expiring" | b"expires" | b"started" | b"stopped" | b"scan"
        | b"procedure" | b"discharge" | b"fu" | b"followup" | b"transfer" => DateCue::Event,
        b"on" | b"home" | b"booking" | b"cultures" | b"seizure" | b"cxr" | b"ct" | b"mri"
        | b"echo" | b"xray" => DateCue::Event,
        // Onset and follow-up (round two): `onset 24/12`, `follow up 12/12`,
        // `removal of sutures 7/8`, `TWOC 27 Apr`, `OPA 5 Jun`.
        b"onset" | b"follow" | b"review" | b"twoc" | b"opa" | b"sutures" | b"repeat"
        | b"recheck" => DateCue::Event,
        b"rota" | b"teaching" | b"meeting" | b"shift" | b"shifts" | b"session" | b"training"
        | b"induction" | b"audit" | b"mdt" | b"call" | b"leave" | b"exam" | b"deadline"
        | b"panel" | b"huddle" | b"governance" | b"mortality" | b"round" | b"journal"
        | b"interview" | b"appraisal" | b"course" | b"study" | b"conference" | b"supervision"
        | b"drill" | b"inspection" | b"cqc" | b"locum" | b"nights" | b"holiday" | b"wedding"
        | b"party" | b"birthday" | b"exp" | b"expiry" | b"launch" | b"downtime" | b"rotation"
        | b"changeover" | b"workshop" | b"seminar" | b"lecture" | b"webinar" | b"swap"
        | b"staffing" | b"strike" | b"strikes" | b"permits" | b"permit" | b"parking" | b"arcp"
        | b"portfolio" | b"oncall" | b"lates" | b"earlies" => DateCue::Staff,
        // Round three: cover and new starters.
        b"covering" | b"starters" => DateCue::Staff,
        _ => return None,
    })
}

/// Decide whether a date is reported, given the pending cue and its year.
pub(crate) fn classify(cue: DateCue, year: Option<u16>) -> Option<(Kind, Rule)> {
    match cue {
        DateCue::Birth => Some((Kind::DateOfBirth, Rule::DateAfterBirthCue)),
        DateCue::Event => Some((Kind::CareDate, Rule::DateAfterEventCue)),
        DateCue::None => match year {
            Some(y) if y < 2000 => Some((Kind::DateOfBirth, Rule::DateHistoricYear)),
            Some(_) => Some((Kind::CareDate, Rule::DateFullNoCue)),
            None => None,
        },
        DateCue::Staff => None,
    }
}

fn year_of(v: u32, digits: usize) -> Option<u16> {
    let v = u16::try_from(v).ok()?;
    match digits {
        2 if v <= 30 => Some(2000 + v),
        2 => Some(1900 + v),
        4 if (1850..=2100).contains(&v) => Some(v),
        _ => None,
    }
}

/// Try the run's first group as the start of a date.
pub(crate) fn at(text: &str, run: &Run) -> Option<Date> {
    let b = text.as_bytes();
    numeric(b, run).or_else(|| named(text, run))
}

/// Day and month without a year, `D/M` or `D.M` (`died 22/07`, `d/c 5.9`):
/// only taken when a care cue ends at most a few bytes before it, because
/// `BM 2.1`, `GNR in 2/2 bottles` and `Barthel 8/20` look the same.
pub(crate) fn day_month(b: &[u8], run: &Run) -> Option<Date> {
    if run.len != 2 || !matches!(run.sep(0), Some(Sep::Slash | Sep::Dot)) {
        return None;
    }
    let (l0, l1) = (run.glen(0), run.glen(1));
    let (d, m) = (run.value(b, 0), run.value(b, 1));
    let end = run.group(1).1;
    // `10.05`, `08.12`, `11.30am`: a time, not a date.
    let zero = |k: usize| byte(b, run.group(k).0) == b'0' && run.glen(k) == 2;
    if run.sep(0) == Some(Sep::Dot) && (zero(0) || zero(1)) {
        return None;
    }
    let ok = (1..=2).contains(&l0)
        && (1..=2).contains(&l1)
        && (1..=31).contains(&d)
        && (1..=12).contains(&m)
        && !byte(b, end).is_ascii_alphanumeric()
        && !matches!(byte(b, end), b'%' | b'/')
        && !unit_after(b, end);
    ok.then_some(Date { end, year: None })
}

/// Is the day/month at `s` close to the cue that ended at `cue_end`: only
/// spaces, `:` and `,`, and at most the words `on`, `the` or `of`, between
/// them (`died 22/07`, `seen on 3/11`, but not `on INR 3.4`)?
pub(crate) fn close_to_cue(b: &[u8], cue_end: usize, s: usize) -> bool {
    let Some(gap) = b.get(cue_end..s) else {
        return false;
    };
    if gap.len() > 8 {
        return false;
    }
    gap.split(|c| matches!(c, b' ' | b':' | b',' | b'('))
        .all(|w| w.is_empty() || matches!(w, b"on" | b"the" | b"of" | b"On" | b"up"))
}

/// Is the day/month at `s` written as a clinical duration (`since 2/7`,
/// `for 3/12`: days of a week, months of a year) rather than a date? Only
/// `on` before it (`on 4/12`) makes such a pair a date.
pub(crate) fn duration(b: &[u8], run: &Run, cue_end: usize, s: usize) -> bool {
    let (d, m) = (run.value(b, 0), run.value(b, 1));
    let short = (m == 7 && d <= 6) || (m == 12 && d <= 11);
    let on = b.get(cue_end.saturating_sub(2)..s).is_some_and(|g| {
        g.split(|c| *c == b' ')
            .any(|w| w.eq_ignore_ascii_case(b"on"))
    });
    short && run.sep(0) == Some(Sep::Slash) && !on
}

/// Is the number ending at `e` followed by a unit (`2.5 mg`, `1.5 L`)?
fn unit_after(b: &[u8], e: usize) -> bool {
    let s = if byte(b, e) == b' ' { e + 1 } else { e };
    let mut p = s;
    while byte(b, p).is_ascii_alphabetic() {
        p += 1;
    }
    let w = b.get(s..p).unwrap_or(&[]).to_ascii_lowercase();
    matches!(
        w.as_slice(),
        b"mg"
            | b"mcg"
            | b"g"
            | b"kg"
            | b"ml"
            | b"mls"
            | b"l"
            | b"litres"
            | b"units"
            | b"u"
            | b"iu"
            | b"mmol"
            | b"mm"
            | b"cm"
            | b"hrs"
            | b"hours"
            | b"kpa"
            | b"c"
    )
}

fn numeric(b: &[u8], run: &Run) -> Option<Date> {
    if run.len < 3 {
        return None;
    }
    let sep = run.sep(0)?;
    if run.sep(1) != Some(sep) || !matches!(sep, Sep::Slash | Sep::Dot | Sep::Dash) {
        return None;
    }
    let (l0, l1, l2) = (run.glen(0), run.glen(1), run.glen(2));
    let (v0, v1, v2) = (run.value(b, 0), run.value(b, 1), run.value(b, 2));
    let end = run.group(2).1;
    if byte(b, end).is_ascii_alphanumeric() {
        return None;
    }
    let ok_dm = |d: u32, m: u32| (1..=31).contains(&d) && (1..=12).contains(&m);
    if (1..=2).contains(&l0) && (1..=2).contains(&l1) && ok_dm(v0, v1) {
        let year = year_of(v2, l2)?;
        return Some(Date {
            end,
            year: Some(year),
        });
    }
    if l0 == 4 && (1..=2).contains(&l1) && (1..=2).contains(&l2) && ok_dm(v2, v1) {
        let year = year_of(v0, 4)?;
        return Some(Date {
            end,
            year: Some(year),
        });
    }
    None
}

const MONTHS: [&[u8]; 12] = [
    b"january",
    b"february",
    b"march",
    b"april",
    b"may",
    b"june",
    b"july",
    b"august",
    b"september",
    b"october",
    b"november",
    b"december",
];

/// Is the lowercase word a month name or its abbreviation?
fn is_month(w: &[u8]) -> bool {
    if w == b"sept" {
        return true;
    }
    w.len() >= 3
        && MONTHS
            .iter()
            .any(|m| m.len() >= w.len() && m.starts_with(w) && (w.len() == 3 || w.len() == m.len()))
}

fn named(text: &str, run: &Run) -> Option<Date> {
    let b = text.as_bytes();
    let (_, mut p) = run.group(0);
    let day = run.value(b, 0);
    if !(1..=2).contains(&run.glen(0)) || !(1..=31).contains(&day) {
        return None;
    }
    let lower = |i: usize| byte(b, i).to_ascii_lowercase();
    if matches!(
        (lower(p), lower(p + 1)),
        (b's', b't') | (b'n', b'd') | (b'r', b'd') | (b't', b'h')
    ) {
        p += 2;
    }
    if byte(b, p) == b' ' && lower(p + 1) == b'o' && lower(p + 2) == b'f' && byte(b, p + 3) == b' '
    {
        p += 3;
    }
    let (sep, n) = sep_at(b, p)?;
    if sep == Sep::Slash && !byte(b, p + n).is_ascii_alphabetic() {
        return None;
    }
    p += n;
    let ms = p;
    let mut w = [0u8; 9];
    while byte(b, p).is_ascii_alphabetic() {
        if let Some(x) = w.get_mut(p - ms) {
            *x = lower(p);
        } else {
            return None;
        }
        p += 1;
    }
    if !is_month(w.get(..p - ms)?) {
        return None;
    }
    // `8 Sep. 2025` takes the `.`; `8 Sep. Lucy`, where it ends the
    // sentence, does not, so the sentence still ends there.
    let end = p;
    if byte(b, p) == b'.' {
        p += 1;
    }
    if byte(b, p) == b',' {
        p += 1;
    }
    if let Some((_, n)) = sep_at(b, p) {
        let ys = p + n;
        let mut ye = ys;
        while byte(b, ye).is_ascii_digit() {
            ye += 1;
        }
        // `18 September 07:55h`, `9 May 12.50am`: a time, not a year.
        let time =
            ye - ys == 2 && matches!(byte(b, ye), b':' | b'.') && byte(b, ye + 1).is_ascii_digit();
        if !byte(b, ye).is_ascii_alphanumeric() && !time {
            let v = b.get(ys..ye)?.iter().fold(0u32, |v, d| {
                v.saturating_mul(10).saturating_add(u32::from(d - b'0'))
            });
            if let Some(year) = year_of(v, ye - ys) {
                return Some(Date {
                    end: ye,
                    year: Some(year),
                });
            }
        }
    }
    if super::word_after(text, end) {
        return None;
    }
    Some(Date { end, year: None })
}

#[cfg(test)]
mod tests {
    use crate::{Kind, Rule, Scanner};

    fn found(t: &str) -> Vec<(Kind, String)> {
        Scanner::new()
            .scan(t)
            .iter()
            .map(|f| (f.kind(), t[f.span()].to_string()))
            .collect()
    }

    #[test]
    fn birth_dates_in_typed_formats() {
        for (t, d) in [
            ("DOB 12/03/1954", "12/03/1954"),
            ("dob: 12.3.54", "12.3.54"),
            ("D.O.B. 12 Mar 1954", "12 Mar 1954"),
            ("born 12th March 1954", "12th March 1954"),
            ("DOB 1954-03-12", "1954-03-12"),
            ("DOB 12/03/54", "12/03/54"),
            ("date of birth 3rd of Sept 2019", "3rd of Sept 2019"),
            ("DOB 12-Mar-54", "12-Mar-54"),
        ] {
            assert_eq!(found(t), vec![(Kind::DateOfBirth, d.to_string())], "{t}");
        }
    }

    #[test]
    fn historic_year_without_cue_is_a_birth_date() {
        let f = Scanner::new().scan("84F, 12/03/1954, bay 4");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule(), Rule::DateHistoricYear);
    }

    #[test]
    fn event_dates_need_a_cue() {
        assert_eq!(
            found("admitted 03/11/2026 with CAP"),
            vec![(Kind::CareDate, "03/11/2026".to_string())]
        );
        assert_eq!(
            found("died 4 Nov"),
            vec![(Kind::CareDate, "4 Nov".to_string())]
        );
        assert!(found("teaching 14/03/2026 in the seminar room").is_empty());
        assert!(found("on call 12/03/2026, rota attached").is_empty());
        // A follow-up date is patient data (issue 13); a teaching date is not.
        assert_eq!(
            found("review on 4 Nov"),
            vec![(Kind::CareDate, "4 Nov".to_string())]
        );
        assert!(found("teaching 4 Nov").is_empty());
        assert!(found("teaching on 24th February").is_empty());
        for (t, want) in [
            ("onset 24/12", "24/12"),
            ("follow up 12/12", "12/12"),
            ("removal of sutures 7/8", "7/8"),
            ("TWOC 27 Apr", "27 Apr"),
            ("review on 4/9", "4/9"),
        ] {
            assert_eq!(found(t), vec![(Kind::CareDate, want.to_string())], "{t}");
        }
        // A month's full stop that ends the sentence is not the date's.
        assert_eq!(
            found("admitted 8 Sep. Then home"),
            vec![(Kind::CareDate, "8 Sep".to_string())]
        );
        assert_eq!(
            found("admitted 8 Sep. 2025"),
            vec![(Kind::CareDate, "8 Sep. 2025".to_string())]
        );
        // A duration after a review cue is not a date.
        assert!(found("review 3/7").is_empty());
        assert!(found("MDT on 3 Mar").is_empty());
        assert_eq!(
            found("teaching, then admitted on 4 Nov"),
            vec![(Kind::CareDate, "4 Nov".to_string())]
        );
        assert!(found("died 12th March 5400000000 ").len() == 1);
    }

    #[test]
    fn cue_is_consumed_and_ends_with_the_sentence() {
        // The birth cue is used up by the first date; the second is a care
        // date (a full date outside rota and teaching sentences).
        let f = found("DOB 12/03/54, seen 14/03/2026");
        assert_eq!(
            f,
            vec![
                (Kind::DateOfBirth, "12/03/54".to_string()),
                (Kind::CareDate, "14/03/2026".to_string())
            ]
        );
        assert!(found("DOB unknown. Teaching 14/03/2026").is_empty());
    }

    #[test]
    fn clinical_numbers_are_not_dates() {
        for t in [
            "BP 120/80",
            "GCS 14/15",
            "4/52",
            "3/12 history",
            "Hb 98",
            "K+ 5.9",
            "14:30",
            "1/2/3",
        ] {
            assert!(found(t).is_empty(), "{t}");
        }
    }
}
