#!/usr/bin/env python3
"""Writes tests/data/redact_dev3.txt: a third development set for the
redaction rules (issue 13, round two), frozen before the rules it was
written to test changed. Two halves: staff-only chatter (rota swaps, leave,
teaching, meetings, IT, social; colleagues named without titles, dates that
are not patient data) that must survive whole, and patient messages with
hospital numbers written in more shapes and follow-up dates. Every person
and number is invented. Run from the repository root; deterministic."""
import random

R = random.Random(20261131)

def dig(n):
    return "".join(R.choice("0123456789") for _ in range(n))

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
FULL = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
DAYS = ["Mon", "Tues", "Wed", "Weds", "Thurs", "Fri", "Sat", "Sun", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
def ordinal(d):
    return str(d) + ("th" if 11 <= d <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th"))
def a_date():
    d, m = R.randint(1, 28), R.randint(1, 12)
    return R.choice(["%d/%d" % (d, m), "%02d/%02d/2026" % (d, m), "%d %s" % (d, MONTHS[m-1]), "%s %s" % (ordinal(d), FULL[m-1]),
                     "%s %s" % (R.choice(DAYS), ordinal(d)), "%s %d/%d" % (R.choice(DAYS), d, m), "%s the %s" % (R.choice(DAYS), ordinal(d)),
                     "%s %d %s" % (R.choice(DAYS), d, MONTHS[m-1]), "%s %s" % (FULL[m-1], ordinal(d)), "%d.%d.26" % (d, m)])

STAFF = ["Priya Sharma", "Tom Whitfield", "Ngozi Eze", "Hannah Price", "Marek Zielinski", "Aoife Kelly", "Sam Patel",
         "Fatima Begum", "Gethin Morgan", "Chloe Barker", "Yusuf Ali", "Rebecca Hughes", "Kwame Mensah", "Lucy Wright",
         "Daniel O'Neill", "Sunita Rao", "Ewan Campbell", "Grace Okafor", "Olivia Turner", "Mohammed Iqbal"]
STAFF_DIR = STAFF[:13]
def st_full():
    return "<<%s>>" % R.choice(STAFF)
def st_first():
    return "<<%s>>" % R.choice(STAFF).split()[0]
def sd():
    return "<<%s>>" % a_date()

STAFF_T = [
    lambda: "Hi all, can anyone swap my night shift on %s? %s" % (sd(), st_first()),
    lambda: "%s is on AL from %s to %s, %s covering" % (st_full(), sd(), sd(), st_full()),
    lambda: "Reminder: teaching %s at 1pm in the seminar room, %s presenting" % (sd(), st_full()),
    lambda: "Rota for %s is out, %s has put you on nights" % (sd(), st_first()),
    lambda: "anyone free %s for a swap? I'll do your %s - %s" % (sd(), sd(), st_first()),
    lambda: "Thanks %s for covering %s, owe you one" % (st_first(), sd()),
    lambda: "%s off sick today, %s and %s please split the bay" % (st_full(), st_first(), st_first()),
    lambda: "Study day %s - %s and %s attending, ward short" % (sd(), st_full(), st_full()),
    lambda: "Leaving do for %s on %s at the Crown, all welcome" % (st_full(), sd()),
    lambda: "M&M meeting moved to %s, %s to present the case" % (sd(), st_full()),
    lambda: "%s starts with us %s as the new F1, please make welcome" % (st_full(), sd()),
    lambda: "IT downtime %s 02:00-04:00, paper notes. %s" % (sd(), st_first()),
    lambda: "Mandatory training deadline %s - %s says 3 of us overdue" % (sd(), st_full()),
    lambda: "Can I take %s as AL? %s has agreed to cover. %s" % (sd(), st_first(), st_first()),
    lambda: "Bank shift available %s long day, contact %s" % (sd(), st_full()),
    lambda: "%s and %s are both away %s, need a second on call" % (st_first(), st_first(), sd()),
    lambda: "Happy birthday %s!! cake in the staff room %s" % (st_first(), sd()),
    lambda: "Induction for new starters %s, %s leading, %s doing the IT bit" % (sd(), st_full(), st_first()),
    lambda: "Strike days %s and %s - consultants covering. %s" % (sd(), sd(), st_full()),
    lambda: "ARCP panel %s, %s please upload your portfolio by %s" % (sd(), st_first(), sd()),
    lambda: "Christmas rota: %s wants %s off, %s wants %s. Sort between you pls" % (st_first(), sd(), st_first(), sd()),
    lambda: "%s presenting at grand round %s, do come" % (st_full(), sd()),
    lambda: "I'm off %s, %s has my bleep" % (sd(), st_full()),
    lambda: "Audit meeting %s - %s, %s and %s presenting" % (sd(), st_first(), st_first(), st_first()),
    lambda: "%s back from mat leave %s, phased return" % (st_full(), sd()),
    lambda: "Interview panel %s for the band 6 post, %s and %s on it" % (sd(), st_full(), st_full()),
    lambda: "Parking permits renew by %s, %s has forms" % (sd(), st_full()),
    lambda: "Fire drill %s 10:30. %s is fire warden" % (sd(), st_first()),
    lambda: "Night team %s: %s (med reg), %s (SHO), %s (F1)" % (sd(), st_full(), st_full(), st_full()),
    lambda: "%s - are you still ok to do my on call %s? Ta, %s" % (st_first(), sd(), st_first()),
]

def hosp():
    return R.choice([
        "MRN no. {{hosp:%s}}" % dig(7), "MRN number {{hosp:%s}}" % dig(8), "hosp.no. {{hosp:%s}}" % dig(7),
        "HN {{hosp:%s}}" % dig(7), "H No {{hosp:%s}}" % dig(7), "Pt no {{hosp:%s}}" % dig(7), "patient ID {{hosp:%s}}" % dig(8),
        "patient number {{hosp:%s}}" % dig(7), "MRN {{hosp:%s-%s}}" % (dig(3), dig(4)), "hosp no {{hosp:%s %s}}" % (dig(4), dig(3)),
        "Hospital No {{hosp:%s%s}}" % (R.choice(["k", "m", "rx"]), dig(7)), "MRN: {{hosp:%s-%s}}" % (R.choice(["RTH", "RBB", "QEH"]), dig(6)),
        "mrn {{hosp:%s %s}}" % (R.choice(["rm", "gh", "k"]), dig(6)), "Hosp Number - {{hosp:%s}}" % dig(8),
        "CRN: {{hosp:%s}}" % dig(8), "unit number {{hosp:%s}}" % (R.choice("ABK") + dig(6)), "hospital no. {{hosp:%s}}" % dig(7),
        "{{hosp:%s}}" % (R.choice(["RTH", "RBB", "QEH"]) + "-" + dig(6)), "({{hosp:%s}})" % (R.choice("KMJ") + dig(6)),
        "case note no {{hosp:%s}}" % dig(7), "hosp ref {{hosp:%s}}" % dig(7), "NHS no not known, hosp no {{hosp:%s}}" % dig(7),
    ])
PT = ["Winifred Ashby", "Jaroslav Novak", "Adaeze Nwachukwu", "Gordon McLeod", "Shabana Akhtar", "Keith Lomax", "Aurelia Costa",
      "Tomasz Wiśniewski", "Blessing Okeke", "Eileen Farrelly", "Rashid Khan", "Dorothy Lamb", "Ifeoma Obi", "Stanley Kerr"]
def pt():
    n = R.choice(PT)
    return R.choice(["{{name:%s}}" % n, "Mrs {{name:%s}}" % n.split()[1], "Mr {{name:%s}}" % n.split()[1], "{{name:%s, %s}}" % (n.split()[1].upper(), n.split()[0])])
def fu():
    return R.choice(["f/u clinic ", "follow up ", "review in clinic ", "OPA ", "clinic appt ", "TWOC ", "fracture clinic ",
                     "next depot due ", "bloods repeat ", "removal of sutures "]) + "{{date:%s}}" % a_date()

PT_T = [
    lambda: "%s %s for TTO, %s. %s" % (pt(), hosp(), fu(), st_full()),
    lambda: "Can you chase bloods for %s %s pls - %s" % (pt(), hosp(), st_first()),
    lambda: "%s (%s) discharged, %s, letter to GP" % (pt(), hosp(), fu()),
    lambda: "New admission: %s %s, <<CAP>>, <<CURB 2>>. %s to clerk" % (pt(), hosp(), st_full()),
    lambda: "Pharmacy query %s %s re <<apixaban 5mg bd>>, %s" % (pt(), hosp(), fu()),
    lambda: "%s: %s needs <<Hb>> rechecked, %s" % (st_first(), pt(), hosp()),
]

out = [
    "# Third development set (issue 13, round two): written from templates by",
    "# tests/data/gen_redact_dev3.py and frozen before the rules it was written",
    "# for changed. Staff chatter that must survive whole (names without",
    "# titles, rota and leave dates), and patient messages with hospital",
    "# numbers in more shapes and follow-up dates. Every identifier is invented.",
]
for s in STAFF_DIR:
    out.append("#! staff: " + s)
seen = set()
msgs = []
while len(msgs) < 300:
    m = R.choice(STAFF_T)()
    if m not in seen:
        seen.add(m); msgs.append(m)
while len(msgs) < 450:
    m = R.choice(PT_T)()
    if m not in seen:
        seen.add(m); msgs.append(m)
R.shuffle(msgs)
out += msgs
with open("redact/tests/data/redact_dev3.txt", "w") as f:
    f.write("\n".join(out) + "\n")
