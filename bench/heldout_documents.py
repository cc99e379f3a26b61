"""The documents of bench/qa_heldout.py, as blocks (see heldout_render.py): where each one goes, and
what it says around its planted sentences (a key of heldout_render.SENTENCES stands for one)."""

from __future__ import annotations

from heldout_render import SENTENCES as _S

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
