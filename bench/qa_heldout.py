"""A second, held-out QA set: same interface as qa_library (FACTS, OFF_TOPIC, build), made differently.

Nobody tunes thresholds or ranking on this set; report it beside qa_library's figures. It differs from
qa_library on purpose:
- formats: DOCX (body paragraphs and tables), HTML pages, Markdown with headings and bullet lists,
  plain text, and PDFs laid out with headings, bullet lists, dot-leader lines, tables and two columns
  (pymupdf's HTML box), not one text box per page;
- domains: a tenancy agreement, a charity's committee minutes, an IT runbook and incident log, release
  notes, a clinical study summary, a municipal budget, a product datasheet, a housing cooperative's
  minutes, a course programme and personal notes; names, dates in several formats, amounts in GBP,
  USD, EUR, CHF and NOK, percentages, codes (INC0082, KB-6203, ORC-1187, A-17, P-12), durations;
- facts sit in table rows, bullet items, dot-leader lines, mid-paragraph among related sentences,
  two to a page in different sections, not only as a paragraph of their own;
- filler: Debian manual pages (roff source stripped to text), the licence texts under
  /usr/share/common-licenses, and the Python language reference (``pydoc_data.topics``), whichever
  exist; never the module docstrings qa_library uses. Deterministic for a given machine and seed;
  which manual pages exist decides the exact filler, never where a fact is (``_check`` verifies);
- near misses (same subject, another figure, person, date or status) for most facts, some in a
  different file than the fact;
- questions: some share no content word with their fact, some name an identifier exactly (full-text
  search should find them), many "who", "when" and "how much"; off-topic questions include two that
  share a rare word (VX-220, Aarbrücke) with the library but ask what it does not say.

The PDFs' font sets ligatures, so their extracted text holds "ﬁ"/"ﬂ" as real PDFs often do; the
checks compare NFKC-normalised text, the index gets the text as MuPDF extracts it.

``python bench/qa_heldout.py`` builds the set in a temporary folder, indexes it with the real pipeline
and prints retrieval only (rank of the expected file and page per question, hit@1, hit@5, and what
strict mode's gate would do). No model.
"""

from __future__ import annotations

import random
import unicodedata
from pathlib import Path

import docx
import pymupdf
from lxml import html as lxml_html

from corpus import ParagraphPool
from heldout_filler import filler_texts
from heldout_render import (PAGE_CHARS, SENTENCES, Filler, filler_documents, write_docx, write_html, write_pdf,
                            write_text)
from qa_library import Fact

_S = SENTENCES  # key → planted sentence, so documents and FACTS share one spelling


def _f(key: str, file: str, page: int | None, sentence: str, question: str, answers: tuple[str, ...]) -> Fact:
    _S[key] = sentence
    return Fact(file, page, sentence, question, answers)


TENANCY = "contracts/tenancy-agreement-larkspur-road.docx"
FOODBANK = "minutes/foodbank-steering-committee-2024-09-18.docx"
RUNBOOK = "it/runbook-payments-gateway.html"
COURSES = "web/hartwell-autumn-courses-2024.html"
INCIDENTS = "it/incident-log-2024.txt"
RELEASES = "projects/orchard/RELEASE-NOTES.txt"
STUDY = "health/cardio7-study-summary.pdf"
BUDGET = "finance/lindenfeld-budget-2025.pdf"
DATASHEET = "products/vx220-datasheet.pdf"
COOP_MAY = "minutes/oakridge-coop-2024-05-07.md"
COOP_FEB = "minutes/oakridge-coop-2024-02-13.md"
PASSPORTS = "notes/passports.txt"
METERS = "notes/meter-readings.txt"
VET = "notes/biscuit-vet.md"
MOVING = "notes/moving-house.md"

FACTS = [
    # DOCX: a tenancy agreement (body paragraphs and a table of charges)
    _f("rent", TENANCY, None,
       "The rent for Flat 4B is £1,375 per calendar month, payable in advance on the first day of each month.",
       "How much do we pay each month to live at Larkspur Road?", ("1,375", "1,375.00")),
    _f("landlord", TENANCY, None,
       "The landlord is Philippa Ashdown-Reyes, trading as Ashdown Lettings, 4 Cotham Vale, Bristol.",
       "Who is the owner we lease our home from?", ("Ashdown-Reyes", "Ashdown Reyes", "Philippa", "Ashdown Lettings")),
    _f("deposit", TENANCY, None,
       "The deposit of £2,062.50 is protected with the Deposit Protection Service under certificate number "
       "DPS-5583019.",
       "What reference number does our tenancy deposit have with the protection scheme?",
       ("DPS-5583019", "DPS5583019", "5583019")),
    _f("notice", TENANCY, None,
       "After the fixed term ends, the tenant may end the tenancy by giving the landlord at least two months' "
       "notice in writing.",
       "How much warning must we give before we move out?", ("two months", "2 months")),
    _f("parking", TENANCY, None, "Parking space P-12 (rear courtyard) | £45.00 | monthly, with the rent",
       "What is the monthly charge for parking space P-12?", ("45", "45.00")),
    # DOCX: committee minutes (paragraphs and an action table)
    _f("grant", FOODBANK, None,
       "The Hollis Foundation confirmed a grant of $48,500 for the 2025 cold-storage project.",
       "How much is the Hollis Foundation grant worth?", ("48,500", "48,500.00")),
    _f("action", FOODBANK, None,
       "A-17 | Send the quarterly report to the Hollis Foundation | Grace Mwangi | 31 Oct 2024",
       "Who owns action item A-17?", ("Grace Mwangi", "Mwangi")),
    # HTML: an IT runbook (bullet list, paragraphs, a table)
    _f("oncall", RUNBOOK, None,
       "Escalation: the on-call lead for the payments gateway is Deepa Raghunathan, pager 0711.",
       "Who do I phone if card checkout breaks out of office hours?", ("Raghunathan", "Deepa")),
    _f("failover", RUNBOOK, None,
       "Failover to the standby database in Rotterdam (db-rtm-02) must complete within 15 minutes.",
       "How quickly must we switch over to the backup database?", ("15 minutes", "15 min", "fifteen minutes")),
    _f("inc0082", RUNBOOK, None,
       "INC0082 | 2024-02-08 | Nightly settlement batch failed: expired SFTP certificate | Resolved",
       "What is the status of ticket INC0082?", ("resolved",)),
    _f("kb6203", RUNBOOK, None,
       "KB-6203 describes rotating the gateway's API signing keys, which must be done every 180 days.",
       "According to KB-6203, how often do the signing keys have to be rotated?", ("180 days", "180")),
    # HTML: a course programme
    _f("pottery", COURSES, None,
       "Pottery for beginners: eight Tuesday evenings from 1 October, 19:00-21:00, €95 including clay and firing.",
       "What does the introductory ceramics class cost?", ("95", "95.00")),
    # plain text: an incident log and release notes
    _f("inc0091", INCIDENTS, None,
       "INC0091 | 14.03.2024 | VPN concentrator in Leeds rebooted twice overnight | K. Osei | monitoring",
       "Who is handling incident INC0091?", ("Osei",)),
    _f("orc1187", RELEASES, None,
       "Version 3.8.2 (2024-06-03): fixes ORC-1187, a crash when importing HEIC photos on Windows.",
       "Which release fixed ORC-1187?", ("3.8.2",)),
    # PDF: a clinical study summary (two facts per page in different sections; a bullet list of dates)
    _f("participants", STUDY, 1,
       "A total of 412 participants were randomised at 9 hospitals in the Netherlands and Belgium.",
       "How many people took part in the CARDIO-7 trial?", ("412",)),
    _f("investigator", STUDY, 1,
       "The principal investigator is Prof. Olufemi Adeyemi-Hart of Leiden University Medical Center.",
       "Who led the CARDIO-7 study?", ("Adeyemi-Hart", "Adeyemi Hart", "Olufemi")),
    _f("endpoint", STUDY, 3,
       "The primary endpoint, a fall in systolic blood pressure of at least 10 mmHg by week 12, was reached by "
       "38.5% of the treatment group and 21.0% of the placebo group.",
       "What proportion of patients on the active drug hit the main target?", ("38.5%", "38.5")),
    _f("adverse", STUDY, 3,
       "Dizziness was the most frequent adverse event, reported by 27 participants (6.6%).",
       "Which side effect did patients report most often?", ("dizziness", "dizzy")),
    _f("lastvisit", STUDY, 5, "Last participant's final visit: 14/11/2023",
       "When did the last patient finish follow-up in the trial?",
       ("14/11/2023", "14 November 2023", "November 14 2023", "14.11.2023", "2023-11-14")),
    # PDF: a municipal budget (dot-leader lines, a long paragraph, a bullet list)
    _f("libraries", BUDGET, 2, "Libraries and archives | CHF 2.15 million",
       "What is the town's 2025 spending on its libraries?", ("2.15",)),
    _f("taxrate", BUDGET, 4,
       "For 2025 the council set the municipal tax multiplier at 1.65 times the cantonal base rate.",
       "At what level was Lindenfeld's local tax multiplier fixed for 2025?", ("1.65",)),
    _f("footbridge", BUDGET, 6,
       "Replacement of the Aarbrücke footbridge: CHF 3.4 million, construction from April 2025",
       "When does building work on the new pedestrian bridge start?", ("April 2025",)),
    _f("netdebt", BUDGET, 7, "Net debt per inhabitant is expected to reach CHF 2,340 by the end of 2025.",
       "How much will Lindenfeld owe per resident at the end of 2025?", ("2,340",)),
    # PDF: a product datasheet (two columns of spec lines; an ordering table)
    _f("ip", DATASHEET, 1, "Ingress protection: IP67 (dust-tight, immersion to 1 m for 30 minutes)",
       "How well is the VX-220 sealed against water and dust?", ("IP67", "IP 67")),
    _f("battery", DATASHEET, 1, "Battery life: up to 14 months at one reading per minute",
       "How long does a VX-220 run before its battery needs replacing?", ("14 months", "fourteen months")),
    _f("price", DATASHEET, 3,
       "VX-220 starter kit (logger, magnetic mount, USB-C cable) | USD 1,249.00 | EUR 1,159.00",
       "What is the price of one VX-220 kit?", ("1,249", "1,249.00", "1,159", "1,159.00")),
    # Markdown: a housing cooperative's minutes (headings and bullets)
    _f("reserve", COOP_MAY, None,
       "Treasurer Henrik Solvang reported a reserve fund balance of NOK 684,300 on 30 April.",
       "How much was in the cooperative's savings reserve at the end of April?", ("684,300",)),
    _f("roof", COOP_MAY, None,
       "Decision: the roof repair contract goes to Takverk Nord AS for NOK 1.2 million, work to start in June.",
       "Which contractor was chosen to fix the roof?", ("Takverk Nord", "Takverk")),
    _f("autumn", COOP_MAY, None,
       "The autumn general meeting will be held on Thursday 19 September 2024 at 18:30 in the community room.",
       "When is the cooperative's autumn assembly?", ("19 September", "September 19", "19/09/2024", "2024-09-19")),
    # personal notes
    _f("passport", PASSPORTS, None, "Aiko's passport (no. TR4820937) expires on 08.03.2031.",
       "When does Aiko's passport run out?", ("08.03.2031", "8 March 2031", "March 8 2031", "8.3.2031")),
    _f("meter", METERS, None, "Electricity meter, 31 Dec 2023: 48,217 kWh",
       "What did the power meter read at the end of 2023?", ("48,217",)),
    _f("rabies", VET, None,
       "Biscuit's next rabies booster is due in February 2027 at the Lindqvist veterinary clinic.",
       "When does the cat need her next rabies jab?", ("February 2027", "Feb 2027")),
]

# Near misses: same subject as a fact, another figure, person, date or status; keys name them in the
# documents below. Their places (_NEAR_MISS_AT) are checked like the facts'.
_S.update({
    "d_oldrent": "Our old flat on Quayside Street cost £1,120 a month, bills included.",
    "d_landlord_notice": "The landlord must give the tenant at least four months' notice and may not end the "
                         "tenancy during the first twelve months.",
    "d_marlow": "The Marlow Trust declined our application for $30,000 towards a delivery van.",
    "d_portal": "Escalation: the on-call lead for the customer portal is Marek Zieliński, pager 0714.",
    "d_frankfurt": "Failover of the reporting database in Frankfurt (db-fra-07) may take up to 2 hours.",
    "d_inc0083": "INC0083 | 09.02.2024 | Settlement batch delayed by a full disk on sftp-02 | M. Zieliński | open",
    "d_kb6230": "KB-6230 describes renewing the TLS certificates on the VPN concentrators, which must be done "
                "every 90 days.",
    "d_improvers": "Pottery for improvers: ten Thursday evenings from 3 October, 19:00-21:30, €120 including clay "
                   "and firing.",
    "d_inc0019": "INC0019 | 11.01.2024 | VPN concentrator in Leeds lost its licence | P. Lindgren | closed",
    "d_orc1179": "Version 3.8.1 (2024-05-21): fixes ORC-1179, wrong thumbnails for portrait photos.",
    "d_cardio5": "In the earlier CARDIO-5 study, 298 participants were randomised at 6 hospitals.",
    "d_week4": "At week 4, 12.2% of the treatment group had already reached the blood pressure target.",
    "d_headache": "Headache was reported by 19 participants (4.6%), mostly in the first two weeks.",
    "d_libraries2024": "In the 2024 budget, libraries and archives received CHF 1.98 million.",
    "d_debt2023": "Net debt per inhabitant stood at CHF 2,115 at the end of 2023.",
    "d_vx200": "The VX-200 is rated IP54 and its battery lasts up to 9 months at one reading per minute.",
    "d_reserve_feb": "Treasurer Henrik Solvang reported a reserve fund balance of NOK 611,900 on 31 January.",
    "d_spring": "The spring general meeting will be held on Tuesday 7 May 2024 at 18:30 in the community room.",
    "d_kenji": "Kenji's passport (no. TR3391045) expires on 21.10.2028.",
    "d_meter_jun": "Electricity meter, 30 Jun 2023: 46,902 kWh",
})
_NEAR_MISS_AT = {
    "d_oldrent": (MOVING, None), "d_landlord_notice": (TENANCY, None), "d_marlow": (FOODBANK, None),
    "d_portal": (RUNBOOK, None), "d_frankfurt": (RUNBOOK, None), "d_inc0083": (INCIDENTS, None),
    "d_kb6230": (INCIDENTS, None), "d_improvers": (COURSES, None), "d_inc0019": (INCIDENTS, None),
    "d_orc1179": (RELEASES, None), "d_cardio5": (STUDY, 2), "d_week4": (STUDY, 4), "d_headache": (STUDY, 4),
    "d_libraries2024": (BUDGET, 3), "d_debt2023": (BUDGET, 3), "d_vx200": (DATASHEET, 4),
    "d_reserve_feb": (COOP_FEB, None), "d_spring": (COOP_FEB, None), "d_kenji": (PASSPORTS, None),
    "d_meter_jun": (METERS, None),
}
# Same shape as qa_library.DISTRACTORS: (file, page, sentence). Besides these, the documents hold
# neighbouring table rows, list items and figures (other tickets, actions, departments, bids, models).
DISTRACTORS = [(file, page, _S[key]) for key, (file, page) in _NEAR_MISS_AT.items()]

OFF_TOPIC = [
    "What is the boiling point of water at the top of Mount Everest?",
    "How do I renew my driving licence online?",
    "Who won the men's football World Cup in 2018?",
    "What is a good recipe for a sourdough starter?",
    "How many bones are there in an adult human skeleton?",
    "When does the car's MOT certificate expire?",
    # These share a rare word with the library and ask what it does not say.
    "What colour is the casing of the VX-220 logger?",
    "Who designed the Aarbrücke footbridge?",
]

# ---------------------------------------------------------------------------------------------
# Documents as blocks: ("h1"|"h2"|"p", text), ("ul", [items]), ("table", [rows "a | b"]),
# ("leaders", [rows "label | value"]), ("lines", [lines]), ("fill", n). A key in _S stands for its sentence.


def tenancy() -> list:
    return [
        ("h1", "Assured Shorthold Tenancy Agreement"),
        ("p", "This agreement is made on 28 June 2024 for the letting of Flat 4B, 17 Larkspur Road, Bristol "
              "BS6 5QT, for a fixed term of twelve months from 1 July 2024."),
        ("h2", "1. The parties"),
        ("p", "landlord"),
        ("p", "The tenants are Daniel Okafor and Aiko Tanaka, who are jointly and severally liable for the "
              "obligations in this agreement."),
        ("fill", 1),
        ("h2", "2. Rent and deposit"),
        ("p", "rent"),
        ("p", "deposit"),
        ("p", "The rent will be reviewed once a year, on the anniversary of the start date, and any increase "
              "will be notified in writing at least one month in advance."),
        ("fill", 2),
        ("h2", "3. Ending the tenancy"),
        ("p", "notice"),
        ("p", "d_landlord_notice"),
        ("fill", 2),
        ("h2", "Schedule 2 - Charges payable by the tenant"),
        ("table", ["Item | Amount | When due", "Rent | £1,375.00 | 1st of each month", "parking",
                   "Council tax (Band D, Bristol City Council) | paid by the tenant directly | as billed",
                   "Garden maintenance contribution | £180.00 | once a year, in April"]),
        ("h2", "4. General terms"),
        ("fill", 3),
    ]


def foodbank() -> list:
    return [
        ("h1", "Riverside Food Bank - Steering Committee minutes"),
        ("p", "Meeting of 18 September 2024, 18:00, St Columba's church hall."),
        ("p", "Present: Rania Haddad (chair), Tobias Engström, Grace Mwangi, Luis Ferreira. Apologies: Helen Pryce."),
        ("h2", "1. Funding"),
        ("p", "grant"),
        ("p", "d_marlow"),
        ("fill", 2),
        ("h2", "2. Operations"),
        ("p", "Volunteer numbers are stable at about 45 a week; the Wednesday evening session still needs two "
              "more people to sort donations."),
        ("fill", 2),
        ("h2", "3. Actions"),
        ("table", ["Action | Description | Owner | Due",
                   "A-15 | Renew the food hygiene certificate | Luis Ferreira | 15 Oct 2024", "action",
                   "A-18 | Recruit two drivers for the Saturday rounds | Tobias Engström | 30 Nov 2024"]),
        ("fill", 1),
    ]


def runbook() -> list:
    return [
        ("h1", "Payments gateway runbook"),
        ("p", "Owner: Payments Platform team. Last reviewed 2024-04-02. Applies to PGW 5.x in both data centres."),
        ("h2", "Contacts and escalation"),
        ("ul", ["oncall", "d_portal", "Service desk: extension 2200, staffed 07:00-19:00 on weekdays."]),
        ("h2", "Background"),
        ("fill", 2),
        ("h2", "Database failover"),
        ("p", "failover"),
        ("p", "d_frankfurt"),
        ("fill", 1),
        ("h2", "Known incidents"),
        ("table", ["Ticket | Opened | Summary | Status",
                   "INC0076 | 2024-01-22 | Slow card authorisations after a network change | Closed",
                   "inc0082",
                   "INC0087 | 2024-03-02 | Duplicate refunds for two merchants | Open"]),
        ("h2", "Key rotation"),
        ("p", "kb6203"),
        ("fill", 2),
        ("p", "Internal - do not share outside the company."),
    ]


def courses() -> list:
    return [
        ("h1", "Hartwell Community Centre - Autumn courses 2024"),
        ("p", "All courses take place at the centre on Lough Atalia Road, Galway. Fees include materials unless "
              "stated otherwise."),
        ("h2", "Arts and crafts"),
        ("ul", ["pottery", "d_improvers",
                "Watercolour landscapes: six Saturday mornings from 5 October, 10:00-12:30, €70 (bring your own "
                "paints)."]),
        ("h2", "Languages"),
        ("ul", ["Conversational Irish: ten Monday evenings from 30 September, 19:30-21:00, €80.",
                "Spanish for travellers: eight Wednesday evenings from 2 October, 18:30-20:00, €85."]),
        ("h2", "About the centre"),
        ("fill", 2),
        ("h2", "Booking"),
        ("p", "Book at the front desk or by phone; we take cards and cash. Courses with fewer than six "
              "bookings a week before the start are cancelled and refunded in full."),
        ("fill", 1),
    ]


def incidents() -> list:
    return [
        ("p", "Infrastructure incident log 2024 (export from the service desk, 15 April 2024)"),
        ("lines", ["Ticket | Opened | Summary | Owner | Status", "d_inc0019",
                   "INC0047 | 30.01.2024 | Printer queue on floor 3 stuck | J. Brandt | closed",
                   "d_inc0083", "inc0091",
                   "INC0096 | 02.04.2024 | Backup job for the HR share timed out | T. Varga | closed"]),
        ("p", "Notes"),
        ("p", "d_kb6230"),
        ("fill", 3),
    ]


def releases() -> list:
    return [
        ("p", "Orchard photo manager - release notes"),
        ("lines", ["Version 3.9.0 (2024-07-15): adds album sharing links and drops support for Android 8.",
                   "orc1187", "d_orc1179",
                   "Version 3.8.0 (2024-05-02): new map view; faster duplicate detection."]),
        ("p", "Known issues"),
        ("fill", 2),
    ]


def study() -> list[list]:
    return [
        [("h1", "CARDIO-7 clinical study summary"),
         ("p", "Velnoprazine 20 mg once daily versus placebo in adults with resistant hypertension. Summary "
               "prepared for the hospital research committee, March 2024."),
         ("h2", "Study population"), ("p", "participants"),
         ("p", "Participants were adults aged 40 to 80 whose blood pressure stayed above 140/90 mmHg despite "
               "three antihypertensive drugs."),
         ("fill", 1),
         ("h2", "Investigators and sponsor"), ("p", "investigator"),
         ("p", "The study was sponsored by Corvane Therapeutics B.V. and overseen by an independent data safety "
               "monitoring board."),
         ("fill", 2)],
        [("h2", "Background"), ("fill", 2), ("p", "d_cardio5"), ("fill", 2)],
        [("h2", "Efficacy"), ("p", "endpoint"), ("fill", 1), ("h2", "Safety"), ("p", "adverse"), ("fill", 2)],
        [("h2", "Secondary results"), ("p", "d_week4"), ("p", "d_headache"), ("fill", 3)],
        [("h2", "Key dates"),
         ("ul", ["First participant enrolled: 02/03/2022", "lastvisit", "Database lock: 19/01/2024",
                 "Clinical study report approved: 28/03/2024"]),
         ("fill", 3)],
        [("h2", "Discussion"), ("fill", 4)],
    ]


def budget() -> list[list]:
    tax = (
        "The debate on the municipal tax multiplier took up most of the council's November session. The "
        "finance committee had proposed raising the multiplier to 1.72 to pay for the school building "
        "programme without new borrowing, while two parties argued for keeping the rate of 1.58 that had "
        "applied since 2019 and financing the programme with a loan. Neighbouring Altdorf am See levies 1.49 "
        "and Grünach 1.61, figures that were cited repeatedly during the debate. " + _S["taxrate"] + " The "
        "compromise is expected to bring in CHF 3.1 million more than in 2024 and will be reviewed when the "
        "2026 budget is prepared. Property owners will also see the sewage connection charge rise from CHF 2.40 "
        "to CHF 2.65 per cubic metre of water used.")
    return [
        [("h1", "Municipality of Lindenfeld - Budget 2025"),
         ("p", "Adopted by the municipal council on 26 November 2024. All figures in Swiss francs."),
         ("h2", "Summary"),
         ("p", "Operating expenditure totals CHF 80.02 million and operating revenue CHF 79.40 million; the "
               "deficit of CHF 0.62 million is covered from the equalisation reserve."),
         ("fill", 3)],
        [("h2", "Operating expenditure by department, 2025"),
         ("leaders", ["Education and schools | CHF 38.60 million", "Social services | CHF 21.45 million",
                      "Roads and transport | CHF 9.70 million", "Parks and green spaces | CHF 4.82 million",
                      "libraries", "Culture and sport | CHF 3.30 million"]),
         ("p", "Department figures include staff costs and internal charges between departments."),
         ("fill", 2)],
        [("h2", "Comparison with the 2024 budget"), ("p", "d_libraries2024"), ("p", "d_debt2023"), ("fill", 3)],
        [("h2", "Tax rate"), ("p", tax), ("fill", 4)],
        [("h2", "Staff"), ("fill", 3)],
        [("h2", "Investment programme"), ("p", "The council approved the following projects for 2025-2027:"),
         ("ul", ["footbridge",
                 "Renovation of the Schützenmatt swimming pool: CHF 6.1 million, construction from August 2026",
                 "District heating connection for the Lindenhof school: CHF 1.9 million, construction from "
                 "October 2025"]),
         ("fill", 2)],
        [("h2", "Debt and financing"), ("p", "netdebt"), ("fill", 3)],
        [("h2", "Annex: notes to the accounts"), ("fill", 4)],
    ]


def datasheet() -> list:
    """Pages as (top blocks, left column, right column)."""
    specs = ["Model: VX-220 wireless vibration logger", "Measurement range: ±16 g on 3 axes",
             "Sampling rate: up to 25.6 kHz", "Radio: Bluetooth LE 5.2 and LoRaWAN (EU868, US915)", "ip",
             "battery", "Operating temperature: -30 °C to +70 °C", "Dimensions: 52 × 52 × 31 mm",
             "Weight: 185 g", "Warranty: 36 months"]
    return [
        ([("h1", "Norvik Instruments VX-220 wireless vibration logger")],
         [("h2", "Technical specifications"), ("lines", specs)], [("h2", "Overview"), ("fill", 3)]),
        ([], [("h2", "Installation"), ("fill", 3)], [("h2", "Data and software"), ("fill", 3)]),
        ([("h2", "Ordering information"),
          ("table", ["Item | Price (USD) | Price (EUR)", "price",
                     "VX-200 basic logger (previous generation) | USD 899.00 | EUR 835.00",
                     "Spare battery pack BP-3 | USD 64.00 | EUR 59.00"])],
         [("fill", 2)], [("fill", 2)]),
        ([("h2", "Comparison with the VX-200"), ("p", "d_vx200")], [("fill", 2)], [("fill", 2)]),
    ]


def coop(may: bool) -> list:
    if may:
        return [
            ("h1", "Oakridge Housing Cooperative - general meeting, 7 May 2024"),
            ("h2", "Attendance"), ("ul", ["23 of 40 households represented; quorum reached.",
                                          "Chair: Ingeborg Lunde. Minutes: Farid Haddou."]),
            ("h2", "Finances"), ("ul", ["reserve", "The 2023 accounts were approved without changes."]),
            ("h2", "Roof repair"),
            ("ul", ["roof", "Two other bids were received: Bygg og Tak Vest AS (NOK 1.45 million) and Hansen "
                            "Tak (NOK 1.31 million)."]),
            ("h2", "Other business"), ("fill", 2),
            ("h2", "Next meeting"), ("ul", ["autumn"]),
        ]
    return [
        ("h1", "Oakridge Housing Cooperative - general meeting, 13 February 2024"),
        ("h2", "Finances"), ("ul", ["d_reserve_feb", "Heating costs were 12% lower than a year earlier."]),
        ("h2", "Roof"), ("ul", ["Three contractors will be asked for quotes before the spring meeting."]),
        ("h2", "Other business"), ("fill", 2),
        ("h2", "Next meeting"), ("ul", ["d_spring"]),
    ]


def notes() -> dict[str, list]:
    return {
        PASSPORTS: [("p", "Travel documents"),
                    ("lines", ["passport", "d_kenji",
                               "Aiko's residence card: apply for renewal 3 months before 30.06.2026."]),
                    ("fill", 1)],
        METERS: [("p", "Meter readings (Larkspur Road)"),
                 ("lines", ["d_meter_jun", "meter", "Gas meter, 31 Dec 2023: 9,804 m³",
                            "Water meter, 31 Dec 2023: 212 m³"]),
                 ("fill", 1)],
        VET: [("h1", "Biscuit - vet visits"),
              ("p", "Biscuit is our tabby; Dr. Lindqvist's clinic is at Mølleveien 14."),
              ("ul", ["2 Feb 2024: rabies booster and yearly check-up, weight 4.1 kg.", "rabies",
                      "Worming tablets every 3 months (last given 12 May 2024)."]),
              ("fill", 1)],
        MOVING: [("h1", "Moving house"),
                 ("ul", ["d_oldrent", "Broadband at the new flat: order 3 weeks before the move.",
                         "Redirect post for 6 months (Royal Mail)."]),
                 ("fill", 2)],
    }


def build(root: Path, seed: int = 0) -> dict:
    """Write the library under ``root``; returns its shape. Checks every planted sentence is in place."""
    rng = random.Random(seed)
    texts = filler_texts()
    rng.shuffle(texts)
    # Whole source texts become the filler-only documents (the long ones: a manual page, a licence);
    # the rest is cut into paragraphs that pad the documents holding facts.
    long_texts = [t for t in texts if len(t[1]) >= 8][:27]
    rest = [p for t in texts if t not in long_texts for p in t[1]]
    fill = Filler(ParagraphPool(rest, rng))

    write_docx(root / TENANCY, fill.expand(tenancy()))
    write_docx(root / FOODBANK, fill.expand(foodbank()))
    write_html(root / RUNBOOK, "Runbook: Payments Gateway (PGW)", fill.expand(runbook()))
    write_html(root / COURSES, "Autumn courses 2024 - Hartwell Community Centre", fill.expand(courses()))
    write_text(root / INCIDENTS, fill.expand(incidents()), markdown=False)
    write_text(root / RELEASES, fill.expand(releases()), markdown=False)
    write_pdf(root / STUDY, [fill.expand(p, PAGE_CHARS) for p in study()])
    write_pdf(root / BUDGET, [fill.expand(p, PAGE_CHARS) for p in budget()])
    write_pdf(root / DATASHEET, [(fill.expand(top), fill.expand(left, PAGE_CHARS // 2),
                                   fill.expand(right, PAGE_CHARS // 2)) for top, left, right in datasheet()],
               columns=True)
    write_text(root / COOP_MAY, fill.expand(coop(may=True)), markdown=True)
    write_text(root / COOP_FEB, fill.expand(coop(may=False)), markdown=True)
    for file, blocks in notes().items():
        write_text(root / file, fill.expand(blocks), markdown=file.endswith(".md"))
    filler_counts = filler_documents(root, long_texts, rng)

    _check(root)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    by_ext: dict[str, int] = {}
    for p in files:
        by_ext[p.suffix.lstrip(".")] = by_ext.get(p.suffix.lstrip("."), 0) + 1
    pages = 0
    for p in files:
        if p.suffix == ".pdf":
            with pymupdf.open(str(p)) as doc:
                pages += doc.page_count
    return {"files": len(files), "by_format": by_ext, "pdf_pages": pages, "filler_only": filler_counts,
            "facts": len(FACTS), "distractors": len(DISTRACTORS), "off_topic": len(OFF_TOPIC),
            "filler_sources": len(texts)}


def _text_of(path: Path, page: int | None) -> str:
    if path.suffix == ".docx":
        d = docx.Document(str(path))
        text = "\n".join([p.text for p in d.paragraphs]
                         + [c.text for t in d.tables for row in t.rows for c in row.cells])
    elif path.suffix == ".html":
        text = lxml_html.fromstring(path.read_text(encoding="utf-8")).text_content()
    else:
        text = path.read_text(encoding="utf-8")
    return _flat(text)


def _flat(text: str) -> str:
    """Whitespace collapsed, and ligatures (the PDF font writes "ﬁ" for "fi") expanded for comparing."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _texts(root: Path) -> dict[tuple[Path, int | None], str]:
    """Flattened text per (file, page) of everything under root (page None for formats without pages)."""
    texts = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.suffix == ".pdf":
            with pymupdf.open(str(path)) as doc:
                for i, page in enumerate(doc, 1):
                    texts[(path.relative_to(root), i)] = _flat(page.get_text())
        else:
            texts[(path.relative_to(root), None)] = _text_of(path, None)
    return texts


def _where(key: str, texts: dict) -> list[tuple[Path, int | None]]:
    """Every (file, page) whose text holds every part of a planted sentence."""
    parts = [_flat(p) for p in _S[key].split(" | ")]
    return [where for where, text in texts.items() if all(part in text for part in parts)]


def _check(root: Path) -> None:
    """Each fact is on its file and page and nowhere else; each near miss is somewhere."""
    texts = _texts(root)
    for fact in FACTS:
        key = next(k for k, s in _S.items() if s == fact.sentence)
        where = _where(key, texts)
        if where != [(Path(fact.file), fact.page)]:
            raise RuntimeError(f"{fact.question!r}: planted sentence found at {where}, "
                               f"expected {fact.file} page {fact.page}")
    for key, (file, page) in _NEAR_MISS_AT.items():
        where = _where(key, texts)
        if where != [(Path(file), page)]:
            raise RuntimeError(f"near miss {key!r} found at {where}, expected {file} page {page}")


def _retrieval_check() -> None:
    """Build, index with the real pipeline, and print retrieval figures (no model)."""
    import sys
    import tempfile
    import time

    from common import open_archivist

    work = Path(tempfile.mkdtemp(prefix="archivist-heldout-"))
    root = (work / "docs").resolve()
    started = time.perf_counter()
    shape = build(root)
    print(f"built in {time.perf_counter() - started:.1f} s: {shape}")
    archivist = open_archivist(work / "data")
    try:
        archivist.add_source(root)
        started = time.perf_counter()
        archivist.sync()
        print(f"synced in {time.perf_counter() - started:.1f} s")
        statuses: dict[str, int] = {}
        for record in archivist.files():
            statuses[record.status] = statuses.get(record.status, 0) + 1
            if record.status != "indexed" or record.reason:
                print(f"  {record.status}: {Path(record.path).relative_to(root)} {record.reason}")
        print(f"file statuses: {statuses}")
        # The indexed text (not just the written file) holds every fact on its page.
        ligatures = 0
        for fact in FACTS:
            passages = [h for h in archivist.passages(str(root / fact.file))
                        if fact.page is None or h.page == fact.page]
            raw = " ".join(h.text for h in passages)
            flat = _flat(raw)
            missing = [p for p in fact.sentence.split(" | ") if _flat(p) not in flat]
            if missing:
                print(f"  NOT IN INDEXED TEXT: {fact.file} p{fact.page}: {missing}")
            ligatures += any(_flat(p) not in " ".join(raw.split()) for p in fact.sentence.split(" | "))
        print(f"facts whose indexed text differs from the sentence only by ligatures (ﬁ, ﬂ): {ligatures}")
        try:  # strict mode's gate, which needs no model
            from core.answer.relevance import judge
        except ImportError:
            judge = None
        ranks, refused = [], 0
        for fact in FACTS:
            result = archivist.search(fact.question, k=8)
            refused += bool(judge and not judge(fact.question, result.hits).relevant)
            rank, hit = next(((n, h) for n, h in enumerate(result.hits, 1)
                              if Path(h.path).resolve() == root / fact.file
                              and (fact.page is None or h.page == fact.page)), (None, None))
            ranks.append(rank)
            top = result.hits[0] if result.hits else None
            detail = (f"sim {hit.similarity or 0:.2f} via {'+'.join(hit.found_by)}" if hit else
                      f"top: {Path(top.path).name} p{top.page}" if top else "no hits")
            print(f"  rank {rank if rank else '-':>2}  {detail:34}  {fact.question}")
        n = len(FACTS)
        hit1 = sum(r == 1 for r in ranks) / n
        hit5 = sum(r is not None and r <= 5 for r in ranks) / n
        hit8 = sum(r is not None for r in ranks) / n
        print(f"retrieval, {n} questions: hit@1 {hit1:.3f}, hit@5 {hit5:.3f}, hit@8 {hit8:.3f}")
        passed = 0
        for question in OFF_TOPIC:
            hits = archivist.search(question, k=8).hits
            best = max(hits, key=lambda h: h.similarity or 0.0, default=None)
            verdict = judge(question, hits) if judge else None
            passed += bool(verdict and verdict.relevant)
            gate = f"[{'PASSES' if verdict.relevant else 'refused'}: {verdict.reason}]" if verdict else ""
            print(f"  off-topic best similarity {best.similarity or 0:.2f} "
                  f"({Path(best.path).name}, text rank {best.text_rank})  {question}  {gate}" if best else
                  f"  off-topic: no hits  {question}")
        if judge:
            print(f"strict-mode gate (core.answer.relevance.judge, k=8): answerable refused {refused}/{n}, "
                  f"off-topic let through {passed}/{len(OFF_TOPIC)}")
    finally:
        archivist.close()
    sys.stdout.flush()


if __name__ == "__main__":
    _retrieval_check()
