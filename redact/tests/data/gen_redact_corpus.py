#!/usr/bin/env python3
"""Writes tests/data/redact_corpus.txt: synthetic clinical messages for the
redaction corpus test. Every person, number and address here is invented.
Run from the repository root; the output is deterministic (fixed seed)."""
import random

R = random.Random(20261124)

def mod11(d9):
    s = sum(int(c) * (10 - i) for i, c in enumerate(d9))
    c = 11 - s % 11
    return None if c == 10 else (0 if c == 11 else c)

def ten(prefix_fn):
    while True:
        d9 = prefix_fn()
        c = mod11(d9)
        if c is not None:
            return d9 + str(c)

SEPS = [" ", " ", "-", "\u00a0", "\u2013", "\u202f", ""]
def grouped(d, sep=None):
    sep = R.choice(SEPS) if sep is None else sep
    return d if sep == "" else d[:3] + sep + d[3:6] + sep + d[6:]

def nhs():
    return grouped(ten(lambda: R.choice("4679") + "".join(R.choice("0123456789") for _ in range(8))))
def chi():
    return ten(lambda: "%02d%02d%02d" % (R.randint(1, 28), R.randint(1, 12), R.randint(30, 99)) + "".join(R.choice("0123456789") for _ in range(3)))
def hc():
    return grouped(ten(lambda: "3" + str(R.randint(2, 9)) + "".join(R.choice("0123456789") for _ in range(7))))
def bad_nhs():
    while True:
        d9 = R.choice("4679") + "".join(R.choice("0123456789") for _ in range(8))
        c = mod11(d9)
        wrong = [x for x in range(10) if x != c]
        return grouped(d9 + str(R.choice(wrong)))

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"]
FULL = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
def ordinal(d):
    return str(d) + ("th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th"))
def date_str(y, two_digit_ok=True):
    d, m = R.randint(1, 28), R.randint(1, 12)
    f = R.randint(0, 6)
    if f == 0: return "%02d/%02d/%d" % (d, m, y)
    if f == 1 and two_digit_ok: return "%d.%d.%02d" % (d, m, y % 100)
    if f == 2: return "%d %s %d" % (d, MONTHS[m - 1], y)
    if f == 3: return "%s %s %d" % (ordinal(d), FULL[m - 1], y)
    if f == 4: return "%d-%02d-%02d" % (y, m, d)
    if f == 5 and two_digit_ok: return "%02d/%02d/%02d" % (d, m, y % 100)
    return "%d/%d/%d" % (d, m, y)
def dob_year():
    return R.randint(1931, 1999)
def dob():
    cue = R.choice(["DOB ", "DOB: ", "D.O.B. ", "dob ", "born ", "DOB\u00a0", ""])
    if cue == "":
        return "{{dob:%s}}" % date_str(dob_year())
    if R.random() < 0.2:
        y = R.randint(2008, 2023)  # children: only the cue says it is a birth date
        return cue + "{{dob:%s}}" % date_str(y, two_digit_ok=False)
    return cue + "{{dob:%s}}" % date_str(dob_year())
def care_date():
    cue = R.choice(["admitted ", "adm ", "surgery ", "op ", "died ", "discharged ", "DOD "])
    d = R.choice([date_str(2026, False), "%d %s" % (R.randint(1, 28), R.choice(MONTHS))])
    return cue + "{{date:%s}}" % d

POSTCODES = ["SW1A 2AA", "M1 1AE", "LS1 4DY", "B33 8TH", "CR2 6XH", "DN55 1PT", "EC1A 1BB", "W1A 0AX",
             "NE1 7RU", "BS8 1TH", "EH3 9HA", "G12 8QQ", "CF10 3AT", "BT9 7AB", "L69 3GA", "OX3 9DU",
             "CB2 0QQ", "PL6 8DH", "S10 2JF", "NG7 2UH", "SE1 7EH", "N19 5NF", "TR1 3LJ", "YO31 8HE"]
def postcode():
    p = R.choice(POSTCODES)
    v = R.random()
    if v < 0.15: p = p.lower()
    elif v < 0.3: p = p.replace(" ", "")
    return "{{postcode:%s}}" % p
def phone():
    n = "%03d" % R.randint(0, 999)
    p = R.choice(["07700 900" + n, "07700900" + n, "+44 7700 900" + n, "+447700900" + n, "020 7946 0" + n,
                  "0161 496 0" + n, "0113 496 0" + n, "01632 960" + n, "+44 (0)20 7946 0" + n, "07700-900-" + n,
                  "07700\u00a0900\u00a0" + n])
    return "{{phone:%s}}" % p
FIRST = ["jane", "sam", "mo", "priya", "tom", "aoife", "kwame", "lucy", "dev", "ella"]
LAST = ["doe", "smith", "khan", "evans", "nowak", "okoro", "reid", "patel", "hughes", "ali"]
def email():
    e = "%s.%s%d@%s" % (R.choice(FIRST), R.choice(LAST), R.randint(1, 99), R.choice(["example.com", "example.org", "mail.example.co.uk"]))
    return "{{email:%s}}" % e
NI_A = "ABCEGHJKLMNOPRSTWXYZ"
NI_B = "ABCEGHJKLMNPRSTWXYZ"
def ni():
    while True:
        a, b = R.choice(NI_A), R.choice(NI_B)
        if a + b not in ("BG", "GB", "KN", "NK", "NT", "TN", "ZZ"):
            break
    d = "".join(R.choice("0123456789") for _ in range(6))
    s = R.choice("ABCD")
    return "{{ni:%s}}" % (a + b + d + s if R.random() < 0.5 else "%s%s %s %s %s %s" % (a, b, d[:2], d[2:4], d[4:], s))
def hosp():
    d7 = "%07d" % R.randint(0, 9999999)
    f = R.randint(0, 5)
    if f == 0: return "MRN {{hosp:0%s}}" % d7
    if f == 1: return "hosp no {{hosp:K%s}}" % d7[1:]
    if f == 2: return "Hospital No: {{hosp:RXH%s}}" % d7
    if f == 3: return "{{hosp:K%s}}" % d7[1:]
    if f == 4: return "unit no {{hosp:%s}}" % d7
    return "MRN: {{hosp:RTH%s}}" % d7

PATIENTS = ["Margaret Thornton", "Harold Pike", "Zoë Müller", "Siân Pritchard", "José García", "Wojciech Nowak",
            "Grace O'Connor", "Oluwaseun Adebayo", "Fatima Begum", "Iain MacLeod", "Chloé Dubois", "Edith Crawley"]
RELATIVES = ["Peter Thornton", "Ruth Pike", "Amira Begum", "Colin MacLeod"]
NEW_NAMES = ["Jean Harris", "Bill Archer", "Aisha Rahman", "Declan Byrne", "Noor Hussain", "Ewa Kowalska",
             "Agnieszka Wróbel", "Ngozi Eze", "Mairéad Walsh", "Rhys Morgan", "Beatriz Sousa", "Kofi Boateng"]
def pname():
    return R.choice(PATIENTS)
def title_name():
    t = R.choice(["Mrs", "Mr", "Ms", "Miss", "Mrs", "Mr"])
    n = R.choice(NEW_NAMES + PATIENTS)
    parts = n.split()
    return t + " {{name:%s}}" % (parts[-1] if R.random() < 0.6 else n)
def listed():
    n = pname()
    parts = n.split()
    return "{{name:%s}}" % (n if R.random() < 0.5 else R.choice(parts))
def cue_name():
    n = R.choice(NEW_NAMES)
    c = R.choice(["pt ", "Pt ", "patient ", "name: ", "Name: "])
    if c.startswith("name") or c.startswith("Name"):
        n = n.lower() if R.random() < 0.5 else n
    return c + "{{name:%s}}" % n
def relation():
    n = R.choice(NEW_NAMES + RELATIVES)
    c = R.choice(["NOK ", "NOK: ", "wife ", "husband ", "daughter ", "son ", "carer ", "next of kin: "])
    if c.endswith(": ") and R.random() < 0.4:
        n = n.lower()
    return c + "{{name:%s}}" % n
def staff():
    return "<<%s>>" % R.choice(["Dr Okafor", "Sister Lee", "Charge Nurse Patel", "Prof Whitfield", "Dr Nowak",
                                "Matron Hughes", "Dr Thornton", "Nurse Adeyemi", "Sister Mensah"])
def surgeon():
    return R.choice(["under <<Mr Shah>>", "<<Mr Shah's>> list", "<<Ms Adeyemi (consultant)>>", "cc <<Ms Adeyemi>>",
                     "<<Miss Grant, registrar>>", "cons <<Mr Ferreira>>", "<<Mr Ferreira's>> team"])

CLIN = ["84F", "76M", "BP 120/80", "HR 110", "SpO2 94%", "GCS 14/15", "Hb 98", "K+ 5.9", "Na 131", "CRP 150",
        "WCC 12.3", "eGFR 45", "lactate 4.2", "temp 38.5", "RR 24", "NEWS 7", "10mg", "0.5 mg/kg", "5mg IV",
        "B12 1mg IM", "bay 4 bed 2", "side room 3", "bed 12", "Nightingale Ward", "Florence Ward", "Victoria Ward",
        "Ward 7B", "Parkinson's", "Glasgow Coma Scale", "Crohn's", "Addison's", "Bell's palsy", "bleep 1234",
        "bleep 4471", "ext 4567", "x2231", "14:30", "08:15", "22:00", "4/52", "3/12", "T2DM", "INR 3.4",
        "troponin 56", "pH 7.28", "BM 18.2", "FiO2 0.4", "2L O2", "100ml/hr", "CT head", "A&E", "MEWS 3",
        "teaching 14/03/2026", "on call 12/12/2026", "rota 01/12/2026", "MDT 03/12/2026", "the reg", "FY1",
        "Hartmann's", "Whipple's", "Mallory-Weiss", "Hodgkin's", "Down's"]
def clin():
    return "<<%s>>" % R.choice(CLIN)
EMOJI = ["👍", "🙏", "🚑", "⚠️", "✅", "😬", "🩺", ""]

TEMPLATES = [
    # handovers
    "Handover {c}: {title}, {c}, {dob}, NHS {nhs}. {c}, {c}. Needs bloods {c} {e}",
    "Ward round: {listed} {c} {c}. Plan: repeat {c} at {c}. {staff} aware.",
    "{title} in {c} — {c}, {c}. NEWS 5. Please review before {c} {e}",
    "Night handover: {cue} ({c}), {hosp}, {c}, {c}. Family: {rel} on {phone}.",
    "{staff}: {title} {c}, {c}. Query sepsis, started abx. {c}",
    "handover - {cue} {c} {c} {nhs} sats ok on {c}",
    "Hi, {listed} in {c} had a fall at {c}, {c}. {staff} reviewed, no injury {e}",
    "{title} for d/c today, TTOs done, {c}. NOK {relname} aware.",
    # referrals
    "Referral to {surgeon}: {title}, {dob}, {hosp}, NHS no {nhs}. {c}, {c}.",
    "Could you see {title} ({c}) {dob} re {c}? {c}, {c}. {staff}",
    "Ortho referral: {cue}, {c}, NOF #. Lives at {pc}. {c}",
    "GP letter to {email} re {title}, {dob}, {pc}.",
    "Please refer {title} {nhs} to {surgeon}; {c}",
    "Community referral: {cue}, address postcode {pc}, contact {phone}. {c}",
    "Safeguarding: {cue}, {dob}, NI {ni}, carer {relname} {phone}. {staff} informed.",
    # bed requests
    "Bed request: {title}, {c}, {c}, needs {c}. From {c} to {c}. {e}",
    "Need a side room for {listed} ({c}), C diff +ve. {staff} {e}",
    "Any beds on {c}? {c} waiting in ED since {c}. {c}",
    "Bed manager: {c} and {c} free after {c}. {staff}",
    "Bed for {cue} please: {c}, {c}, {hosp}.",
    # results
    "Results for {title} {hosp}: {c}, {c}, {c}. Repeat {c}.",
    "Urgent: {listed} {c} — {c}. ECG done {c}. {staff} to review.",
    "Micro called: {cue} {nhs}, blood cultures growing GNRs. {c}",
    "Lab: {c}, {c}, {c} for bed {c}",
    "{title} {dob} bloods back: {c}, {c}, {c} {e}",
    "Histology for {title} ({hosp}) discussed at {c}. {surgeon} to see.",
    # major incident coordination
    "MAJOR INCIDENT declared {c}. All {c} staff to {c}. {staff} coordinating. {e}",
    "MI update: casualty P1 {cue} {c}, {c}, to resus. NOK {relname} {phone}.",
    "MI: unknown male, approx 40, {c}, {c}. ID found: {ni}, address {pc}.",
    "Casualty list: {cue} {nhs}; {title} {dob}; {cue} {hosp}.",
    "MI stand-down {c}. Debrief {c}. Thanks all {e}",
    "Major incident: {c} beds free on {c}, {c} on {c}. {staff}",
    # misc / care events
    "{title} {care}, {c}. Family informed via {phone}.",
    "{cue} {care} with CAP, {c}, {c}.",
    "RIP {title}, {care}, {c}. Verified by {staff}.",
    "Post-op: {title} {care}, {c}, {c}. {surgeon}.",
    "CHI {chi} — {title}, transferred from Glasgow, {c}.",
    "NI patient: H&C {hc}, {title}, {c}.",
    "Not an NHS number: ref {bad} in {c}. {c}",
    "Clinic code {bad} for {c} {c}",
    "Relative email {email}, phone {phone}. {rel}.",
    "{rel} called, wants update, {phone}. {c}",
    "Teaching today {c}, {c} in seminar room. {staff} {e}",
    "Rota swap: {c} with {c}. {staff}",
    "{staff} please call {c} re {c} {c}",
    "{listed}'s daughter on {phone} {e}",
    "Postcode {pc} for ambulance, {title}, {c}.",
    "Pt {cuename} {dob} {nhs} {pc} {phone} {c}",
    "pt's NI number {ni} for benefits form, {c}",
]

def fill(t):
    def rep(key):
        return {
            "c": clin, "nhs": lambda: "{{nhs:%s}}" % nhs(), "chi": lambda: "{{chi:%s}}" % chi(),
            "hc": lambda: "{{hc:%s}}" % hc(), "bad": lambda: "<<%s>>" % bad_nhs(), "dob": dob, "care": care_date,
            "pc": postcode, "phone": phone, "email": email, "ni": ni, "hosp": hosp, "title": title_name,
            "listed": listed, "cue": cue_name, "cuename": lambda: "{{name:%s}}" % R.choice(NEW_NAMES),
            "rel": relation, "relname": lambda: "{{name:%s}}" % R.choice(NEW_NAMES + RELATIVES),
            "staff": staff, "surgeon": surgeon, "e": lambda: R.choice(EMOJI),
        }[key]()
    out, i = [], 0
    while i < len(t):
        if t[i] == "{":
            j = t.index("}", i)
            out.append(rep(t[i + 1:j]))
            i = j + 1
        else:
            out.append(t[i])
            i += 1
    return "".join(out)

lines = []
for rnd in range(5):
    for t in TEMPLATES:
        lines.append(fill(t).strip())

HEADER = """# Synthetic clinical messages for the redaction corpus test
# (tests/redact_corpus.rs). Every name, number and address is invented; NHS,
# CHI and H&C numbers that are labelled positives pass the modulus 11 check.
# Produced from hand-written templates by tests/data/gen_redact_corpus.py.
#
# Format: one message per line. Lines starting with `#` are comments;
# `#! patient: NAME` and `#! staff: NAME` lines configure the scanner.
#   {{kind:text}}  an identifier the scanner must find, kind one of
#                  nhs chi hc dob date postcode phone email ni hosp name
#   <<text>>       clinical text (values, staff, wards, eponyms, rota dates,
#                  numbers failing the check digit) that must survive
# The test strips the markers to get the message and the expected spans.
"""
with open("tests/data/redact_corpus.txt", "w") as f:
    f.write(HEADER)
    for p in PATIENTS + RELATIVES:
        f.write("#! patient: %s\n" % p)
    for s in ["Adaeze Okafor", "Mei Lee", "Grace Mensah", "Tomasz Nowak"]:
        f.write("#! staff: %s\n" % s)
    for l in lines:
        f.write(l + "\n")
print(len(lines))
