#!/usr/bin/env python3
"""Writes tests/data/redact_dev2.txt: a second development set for the
redaction rules, written for issue 13's second round before any rule of that
round was changed, and frozen (committed unchanged) before the first rule
change. It stresses the formats clinicians type for structured identifiers
(NHS, hospital numbers, phones, postcodes), and the text that must survive
(clinical words, drug names, staff named with roles, ward names, bleeps).
Every person, number and address is invented; phones are from Ofcom's drama
ranges. Run from the repository root; the output is deterministic."""
import random

R = random.Random(20261130)

def mod11(d9):
    s = sum(int(c) * (10 - i) for i, c in enumerate(d9))
    c = 11 - s % 11
    return None if c == 10 else (0 if c == 11 else c)

def ten(prefix):
    while True:
        d9 = prefix()
        c = mod11(d9)
        if c is not None:
            return d9 + str(c)

def dig(n):
    return "".join(R.choice("0123456789") for _ in range(n))

def nhs_digits():
    return ten(lambda: R.choice("4679") + dig(8))

def bad_nhs_digits():
    d9 = R.choice("4679") + dig(8)
    c = mod11(d9)
    return d9 + str(R.choice([x for x in range(10) if x != c]))

def group(d, style):
    if style == "plain": return d
    if style == "334 ": return d[:3] + " " + d[3:6] + " " + d[6:]
    if style == "334-": return d[:3] + "-" + d[3:6] + "-" + d[6:]
    if style == "334.": return d[:3] + "." + d[3:6] + "." + d[6:]
    if style == "433": return d[:4] + " " + d[4:7] + " " + d[7:]
    if style == "55": return d[:5] + " " + d[5:]
    if style == "3 3 4 nbsp": return d[:3] + "\u00a0" + d[3:6] + "\u00a0" + d[6:]
    raise ValueError(style)

NHS_STYLES = ["plain", "plain", "334 ", "334 ", "334-", "334.", "433", "55", "3 3 4 nbsp"]
NHS_CUES = ["NHS ", "NHS no ", "NHS no. ", "NHS number ", "NHS#", "NHS: ", "nhs no:", "NHSno ", "nhs num ",
            "NHS No: ", "(NHS ", "NHS-", "NHS No.", "nhs "]

def nhs():
    cue = R.choice(NHS_CUES)
    v = "{{nhs:%s}}" % group(nhs_digits(), R.choice(NHS_STYLES))
    return cue + v + (")" if cue.startswith("(") else "")

HOSP = [
    lambda: "MRN " + "{{hosp:%s}}" % dig(8),
    lambda: "MRN: " + "{{hosp:%s}}" % dig(7),
    lambda: "mrn " + "{{hosp:%s}}" % (R.choice("KMRJ") + dig(7)),
    lambda: "MRN#" + "{{hosp:%s}}" % dig(8),
    lambda: "hosp no " + "{{hosp:%s}}" % (R.choice("ABKM") + dig(6)),
    lambda: "Hosp No. " + "{{hosp:%s}}" % dig(7),
    lambda: "hospital number " + "{{hosp:%s}}" % (R.choice(["RM", "RX", "GH"]) + dig(6)),
    lambda: "H/No " + "{{hosp:%s}}" % dig(7),
    lambda: "hosp# " + "{{hosp:%s}}" % dig(8),
    lambda: "Unit no " + "{{hosp:%s}}" % dig(6),
    lambda: "PAS no " + "{{hosp:%s}}" % dig(7),
    lambda: "PAS " + "{{hosp:%s}}" % (R.choice("ABCDK") + dig(6)),
    lambda: "CRN " + "{{hosp:%s}}" % (R.choice(["RXH", "RBB"]) + dig(7)),
    lambda: "hospital ID " + "{{hosp:%s}}" % dig(8),
    lambda: "Hosp no: " + "{{hosp:%s}}" % (R.choice(["RM", "AB", "QE"]) + " " + dig(6)),
    lambda: "{{hosp:%s}}" % (R.choice("KMJ") + dig(7)),
    lambda: "{{hosp:%s}}" % (R.choice(["RX1", "RQ6", "RBN"]) + dig(7)),
    lambda: "MRN " + "{{hosp:%s}}" % (dig(3) + " " + dig(4)),
    lambda: "hosp no " + "{{hosp:%s}}" % (R.choice("KM") + "/" + dig(6)),
    lambda: "RN " + "{{hosp:%s}}" % dig(7),
    lambda: "MRN-" + "{{hosp:%s}}" % dig(8),
    lambda: "case no. " + "{{hosp:%s}}" % dig(7),
    lambda: "Trust no " + "{{hosp:%s}}" % dig(8),
]
def hosp():
    return R.choice(HOSP)()

def phone_value():
    n3, n4 = "%03d" % R.randint(0, 999), "%03d" % R.randint(0, 999)
    return R.choice([
        "07700 900" + n3, "07700900" + n3, "07700 900 " + n3, "07700-900" + n3, "07700 900" + n3,
        "(020) 7946 0" + n3, "(0161) 496 0" + n3, "(0113) 496 0" + n3, "(01632) 960" + n3,
        "020 7946 0" + n3, "0207 946 0" + n3, "0161 4960" + n3, "0161-496-0" + n3, "0113 496 0" + n3,
        "01632 960 " + n3, "01632960" + n3, "+44 7700 900" + n3, "+44 (0) 7700 900" + n3,
        "+44 (0)161 496 0" + n3, "+44 7700-900-" + n3, "0044 20 7946 0" + n3, "0131 496 0" + n3,
        "028 9649 6" + n4, "029 2018 0" + n3, "0117 496 0" + n3, "07700 900 " + n3,
    ])
PHONE_CUES = ["on ", "tel ", "Tel: ", "mob ", "mobile: ", "ring ", "call ", "contact no ", "T: ", "tel:", "ph ", "number is "]
def phone():
    return R.choice(PHONE_CUES) + "{{phone:%s}}" % phone_value()

POSTCODES = ["LS6 2QR", "M14 5RB", "B15 2TH", "SW1A 1AA", "EH16 4SA", "G51 4TF", "CF14 4XW", "BT12 6BA",
             "NE7 7DN", "S5 7AU", "L7 8XP", "BS10 5NB", "PL6 8DH", "OX3 9DU", "CB2 0QQ", "NG5 1PB",
             "E1 1BB", "N18 1QX", "SE5 9RS", "W12 0HS", "DN2 5LT", "HU3 2JZ", "LE5 4PW", "CV2 2DX",
             "WV10 0QP", "ST4 6QG", "TS4 3BW", "DH1 5TW", "YO31 8HE", "AB25 2ZN", "IV2 3UJ", "DD1 9SY"]
def postcode_value():
    p = R.choice(POSTCODES)
    v = R.random()
    if v < 0.15: return p.lower()
    if v < 0.25: return p.replace(" ", "")
    if v < 0.32: return p.replace(" ", "  ")
    return p
def postcode():
    return "{{postcode:%s}}" % postcode_value()

FIRST = ["Margaret", "Doreen", "Harold", "Kwame", "Aisha", "Bartosz", "Siobhan", "Dylan", "Precious", "Tariq",
         "Mehmet", "Oksana", "Eilidh", "Callum", "Rukhsana", "Tendai", "Joao", "Chiamaka", "Wojciech", "Hamza",
         "Fatuma", "Bogdan", "Rhys", "Carys", "Gurpreet", "Nkechi", "Shona", "Lachlan", "Mei", "Thi Lan",
         "Ewa", "Olumide", "Yusuf", "Brenda", "Cyril", "Ivy", "Winston", "Marlene", "Reuben", "Zainab",
         "Declan", "Orla", "Pawel", "Lindiwe", "Imran", "Hollie", "Kayden", "Maisie", "Tahmina", "Desmond"]
LAST = ["Whitehead", "Asante", "Kowalczyk", "O'Donnell", "Rahman", "Pryce", "Okonkwo", "Gallacher", "Sandhu",
        "Nguyen", "Yilmaz", "Mensah", "Shevchenko", "McAllister", "Begum", "Chikwanha", "Ferreira", "Obi",
        "Nowak", "Hussain", "Warsame", "Popescu", "Llewellyn", "Griffiths", "Dhaliwal", "Eze", "Munro",
        "Fraser", "Chen", "Tran", "Zielinska", "Adeyemi", "Mahmood", "Blackburn", "Pickering", "Dacosta",
        "Reid", "Hamilton", "Lynch", "Murphy", "Kaczmarek", "Ndlovu", "Aziz", "Haworth", "Sutcliffe",
        "Choudhury", "Robertson", "Mwangi", "Duffy", "Stewart"]
def pname(style=None):
    f, l = R.choice(FIRST), R.choice(LAST)
    style = style or R.choice(["full", "full", "title", "title", "surname_first", "caps"])
    if style == "full": return "{{name:%s %s}}" % (f, l)
    if style == "title": return "%s {{name:%s}}" % (R.choice(["Mr", "Mrs", "Ms", "Miss"]), l)
    if style == "surname_first": return "{{name:%s, %s}}" % (l.upper(), f)
    return "{{name:%s %s}}" % (f, l.upper())

STAFF_DIR = ["Helen Marsh", "Obinna Eze", "Katarzyna Wolska", "Rajesh Iyer", "Fiona Drummond", "Gareth Pugh",
             "Amara Nwosu", "Liam Doherty", "Sadia Karim", "Tomasz Lis", "Joy Adjei", "Hamish Ross"]
STAFF_OFF = ["Bea Lawson", "Kofi Boakye", "Nina Petrova", "Owain Rees", "Suki Bains", "Ciaran Quinn"]
def staff_name():
    return R.choice(STAFF_DIR + STAFF_DIR + STAFF_OFF)
def staff_ref():
    n = staff_name()
    first, last = n.split(" ", 1)
    return R.choice([
        "<<Dr %s>>" % last, "<<Dr %s>>" % n, "<<Sister %s>>" % last, "<<%s (SHO)>>" % first,
        "<<%s>> the reg" % n, "<<Mr %s>> (cons)" % last, "<<%s, CNS>>" % n, "<<SN %s>>" % last,
        "<<%s>> on bleep <<%d>>" % (n, R.randint(1000, 9999)), "<<Charge Nurse %s>>" % last,
        "<<%s (pharmacist)>>" % n, "<<Staff Nurse %s>>" % n, "<<%s>> the F1" % first,
        "<<Midwife %s>>" % last, "<<%s>> from the outreach team" % n, "<<Matron %s>>" % last,
    ])

WARDS = ["Ward 7B", "Tennyson Ward", "Nightingale ward", "AMU", "Ward 24", "Cavell ward", "CCU", "SDEC",
         "Jubilee Ward", "Ward 3 (resp)", "Fleming Unit", "HDU", "Elgar ward", "Ward 12", "Seacole ward", "Labour ward"]
def ward():
    return "<<%s>>" % R.choice(WARDS)

DRUGS = ["Tazocin 4.5g tds", "Augmentin 1.2g", "Clexane 40mg", "Oramorph 5mg prn", "Co-codamol 30/500",
         "Lansoprazole 30mg", "Apixaban 5mg bd", "Furosemide 40mg iv", "Ramipril 2.5mg", "Metformin 500mg",
         "Gentamicin 5mg/kg", "Levetiracetam 500mg", "Sando-K 2 tabs", "Movicol 1 sachet", "Adcal D3",
         "Tramadol 50mg", "Insulin Humulin I 12 units", "Vancomycin 1g", "Paracetamol 1g qds", "Sertraline 50mg",
         "Olanzapine 5mg", "Haloperidol 500mcg", "Buscopan 20mg", "Dexamethasone 6.6mg", "Fragmin 5000 units"]
def drug():
    return "<<%s>>" % R.choice(DRUGS)

CLIN = ["Bloods", "CRP 145", "Hb 82", "eGFR 38", "K+ 6.1", "Na 128", "INR 4.2", "troponin 54", "lactate 3.1",
        "BP 92/60", "HR 118", "RR 26", "SpO2 91% on 2L", "NEWS 6", "GCS 13/15", "temp 38.4", "BM 2.9",
        "CURB-65 of 3", "Wells score 5", "MUST 2", "Waterlow 18", "Rockall 4", "ECG", "CXR", "CT head",
        "Echo", "Doppler", "FBC", "U&Es", "LFTs", "Gram negative rods", "MRSA screen", "C diff", "Parkinson's",
        "Addison's", "Crohn's", "Bell's palsy", "Alzheimer's", "Hartmann's", "Whipple's", "Glasgow Coma Scale",
        "Barthel 45", "Braden 14", "Apgar 9", "Bishop score 6", "Hep B", "Down's syndrome", "Guillain-Barre",
        "Cushing's", "Graves'", "Raynaud's", "Hodgkin's", "Wernicke's", "Korsakoff", "Marfan", "Stevens-Johnson"]
def clin():
    return "<<%s>>" % R.choice(CLIN)

def bleep():
    return "<<bleep %d>>" % R.randint(1000, 9999)

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
FULL = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
def ordinal(d):
    return str(d) + ("th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th"))
def dob():
    y = R.randint(1930, 2015); d, m = R.randint(1, 28), R.randint(1, 12)
    v = R.choice(["%02d/%02d/%d" % (d, m, y), "%d.%d.%d" % (d, m, y), "%d %s %d" % (d, MONTHS[m-1], y),
                  "%s %s %d" % (ordinal(d), FULL[m-1], y), "%d-%02d-%02d" % (y, m, d), "%02d/%02d/%02d" % (d, m, y % 100)])
    return R.choice(["DOB ", "dob: ", "D.O.B ", "born ", "DoB "]) + "{{dob:%s}}" % v
def care_date():
    d, m = R.randint(1, 28), R.randint(1, 12)
    v = R.choice(["%d/%d" % (d, m), "%02d/%02d/2026" % (d, m), "%d %s" % (d, MONTHS[m-1]), "%s %s" % (ordinal(d), FULL[m-1]),
                  "%d.%d.26" % (d, m)])
    return R.choice(["admitted ", "adm ", "discharged ", "seen in ED ", "op on ", "fell on ", "LMP ", "EDD ",
                     "delivered ", "died ", "attended ", "last seen ", "booked ", "onset "]) + "{{date:%s}}" % v
def rota_date():
    d, m = R.randint(1, 28), R.randint(1, 12)
    return R.choice(["rota for <<%d/%d>>" % (d, m), "teaching on <<%s %s>>" % (ordinal(d), FULL[m-1]),
                     "MDT <<%d/%d>>" % (d, m), "audit deadline <<%d %s>>" % (d, MONTHS[m-1]),
                     "night shift <<%d/%d>>" % (d, m), "induction <<%d.%d.26>>" % (d, m)])
def address():
    n = R.randint(1, 220)
    st = R.choice(["Mill Lane", "Hollybank Road", "Kestrel Close", "Victoria Street", "Orchard Grove", "Beech Avenue",
                   "Cairn Terrace", "Marsh Way", "Albion Crescent", "Heol y Coed", "Ffordd Las", "Rowan Drive"])
    return "{{address:%d %s}}" % (n, st)
def age():
    return "<<%d%s>>" % (R.randint(19, 97), R.choice(["F", "M", "yo", "y/o", "f", "m"]))

T = [
    lambda: "Pt %s %s %s on %s, %s - %s please review" % (pname("full"), nhs(), age(), ward(), clin(), staff_ref()),
    lambda: "%s %s: %s due, %s. Ask %s" % (pname("surname_first"), hosp(), drug(), clin(), staff_ref()),
    lambda: "GP query re %s, %s. Daughter %s, can someone call back?" % (pname(), nhs(), phone()),
    lambda: "Pharmacy: %s for %s (%s) - %s says hold. %s" % (drug(), pname("title"), hosp(), staff_ref(), bleep()),
    lambda: "can u ring %s re %s %s, %s on %s" % (pname("title"), drug(), clin(), phone(), ward()),
    lambda: "Safeguarding: %s, %s, lives at %s %s. SW informed, %s aware" % (pname("full"), dob(), address(), postcode(), staff_ref()),
    lambda: "Ambulance pre-alert: %s %s, %s, %s, ETA 10 min. %s" % (age(), pname("full"), clin(), clin(), nhs()),
    lambda: "maternity: %s %s G2P1 %s, %s. %s to review on %s" % (pname("full"), hosp(), care_date(), clin(), staff_ref(), ward()),
    lambda: "Paeds: %s %s, mum on %s. %s %s" % (pname("full"), dob(), phone(), clin(), staff_ref()),
    lambda: "DN visit: %s, %s %s, %s. Key safe. %s" % (pname("title"), address(), postcode(), drug(), nhs()),
    lambda: "CMHT: %s %s %s, %s, depot %s. %s to visit" % (pname("full"), hosp(), care_date(), drug(), clin(), staff_ref()),
    lambda: "Handover from %s: %s on %s, %s, %s. %s" % (staff_ref(), pname("title"), ward(), clin(), clin(), rota_date()),
    lambda: "%s - %s. %s. %s please" % (ward(), clin(), clin(), staff_ref()),
    lambda: "%s and %s both on %s today, %s. %s" % (staff_ref(), staff_ref(), ward(), rota_date(), bleep()),
    lambda: "Lab: %s %s %s - %s, %s. Phoned to %s" % (pname("caps"), hosp(), nhs(), clin(), clin(), staff_ref()),
    lambda: "referral for %s, %s, %s, %s. %s" % (pname("full"), dob(), nhs(), postcode(), clin()),
    lambda: "Discharge: %s %s %s, TTO %s + %s. Contact %s" % (pname("title"), hosp(), care_date(), drug(), drug(), phone()),
    lambda: "%s asks re %s on %s - %s in %s" % (staff_ref(), drug(), ward(), clin(), clin()),
    lambda: "Theatre list %s: 1) %s %s lap chole, 2) %s %s. Surgeon <<Mr %s>>" % (rota_date(), pname("surname_first"), hosp(), pname("title"), hosp(), R.choice(["Banerjee", "Okoye", "Harland"])),
    lambda: "NOK for %s is %s, %s, %s" % (pname("title"), pname("full"), phone(), postcode()),
    lambda: "hi, %s here from %s, re %s %s - %s. %s" % (staff_ref(), ward(), pname("full"), nhs(), clin(), bleep()),
    lambda: "Xray: %s %s %s %s. %s. Reported by %s" % (pname("surname_first"), hosp(), dob(), clin(), clin(), staff_ref()),
    lambda: "%s. %s. Plan %s, recheck %s. %s" % (clin(), clin(), drug(), clin(), staff_ref()),
    lambda: "Bed mgmt: %s for %s, %s to %s after %s review" % (pname("title"), ward(), hosp(), ward(), staff_ref()),
    lambda: "111 callback: %s %s %s, %s, %s" % (pname("full"), dob(), phone(), postcode(), clin()),
    lambda: "Rx %s for %s %s, email %s" % (drug(), pname("full"), nhs(), "{{email:%s.%s@example.nhs.uk}}" % (R.choice(FIRST).lower().replace(" ", ""), R.choice(LAST).lower().replace("'", ""))),
    lambda: "%s covering %s tonight, %s. %s on %s" % (staff_ref(), ward(), bleep(), clin(), drug()),
]

out = [
    "# Second development set (issue 13, round two): written from templates by",
    "# tests/data/gen_redact_dev2.py and frozen before any rule of that round",
    "# changed. Formats of structured identifiers as clinicians type them, and",
    "# text that must survive. Every identifier is invented. Same format as the",
    "# held-out files: {{kind:text}} identifiers, <<text>> must survive.",
]
for s in STAFF_DIR:
    out.append("#! staff: " + s)
seen = set()
while len(out) < 5 + len(STAFF_DIR) + 600:
    m = R.choice(T)()
    if m not in seen:
        seen.add(m)
        out.append(m)
with open("redact/tests/data/redact_dev2.txt", "w") as f:
    f.write("\n".join(out) + "\n")
