"""The documents of bench/qa_fresh.py as blocks (see heldout_render.py for the kinds), plus a Markdown /
plain-text writer of this set's own (real Markdown tables; plain text hard-wrapped like an e-mail) and the
filler-only documents. A string that is a key of S stands for its planted sentence; ("para", [parts])
is one paragraph whose parts (keys or plain sentences) are joined, so facts sit mid-paragraph.
"""

from __future__ import annotations

import textwrap
from pathlib import Path


S: dict[str, str] = {}  # key → planted sentence (facts and near misses); bench/qa_fresh.py fills it

NEWS25 = "school/millbrook-primary-newsletter-2025-03.pdf"
NEWS24 = "school/millbrook-primary-newsletter-2024-06.pdf"
CONTRACT = "business/kettleby-mills-supply-agreement.docx"
CAR = "car/arvesta-marlin-owners-manual-extract.pdf"
MUSEUM = "museum/saltmarsh-quay-exhibition-guide.html"
CLUB = "club/fenwick-park-hockey-club-handbook.md"
TAXLETTER = "tax/2024/notice-of-assessment-2024.pdf"
TAXNOTES = "tax/2024/tax-return-2024-notes.txt"
LAB = "lab/halloran-group-lab-meeting-2025-02-11.docx"
LAB_PREV = "lab/lab-meeting-2025-01-28.md"
CONTRIB = "code/tallyho/CONTRIBUTING.md"
CHANGELOG = "code/tallyho/CHANGELOG.md"
RECIPES = "recipes/Aunt Delphine - baking.docx"
TRIP = "travel/azores-july-2025-itinerary.html"


def newsletter_2025() -> list[list]:
    return [
        [("h1", "Millbrook Primary School - Parent Newsletter, March 2025"),
         ("p", "Issue 7 of this school year. Please read it together with the letters sent home in book bags."),
         ("h2", "From the headteacher"),
         ("p", "Dear families, what a busy half term it has been. Our Year 3 choir sang at the Brackenfield music "
               "festival and came home with a certificate, and the new reading garden behind the hall is finally "
               "finished, thanks to the Friends of Millbrook."),
         ("fill", 1), ("h2", "Staff news"),
         ("para", ["After eleven years at Millbrook, Mrs Gwen Abernathy retires at Easter, and we will say a proper "
                   "goodbye at the assembly on 4 April.", "Her Year 4 class will be taught by Mr Callum Rourke, who "
                   "joins us from Dunmore Academy.", "deputy", "d_forsyth",
                   "We are also pleased to welcome Mrs Hana Sato as our new office manager."]), ("fill", 2)],
        [("h2", "Year 5 trip to Carrow Marsh"),
         ("para", ["On Friday 16 May, Year 5 will spend the day at the Carrow Marsh Wetland Centre as part of their "
                   "science topic on habitats.", "The coach leaves at 8.45am sharp and returns at about 3.30pm, so "
                   "children need a packed lunch, wellies and a waterproof coat.", "trip_cost", "d_helpers",
                   "If the cost is a difficulty for your family, please speak to Mrs Sato in confidence."]),
         ("para", ["Each child has brought home a green consent form in their book bag.", "consent",
                   "Payment is made through the ParentPay app by the same date.", "d_residential",
                   "Late forms cannot be accepted, because the centre needs final numbers for its guides."]),
         ("fill", 2)],
        [("h2", "School meals"),
         ("para", ["Our kitchen team, led by Mr Dev Khatri, now cooks everything on site, and the menu for the "
                   "summer term is on the website.", "d_lunch_old", "lunch_new", "The increase follows the rise in "
                   "food costs in the county catering contract; pupils in Reception to Year 2 continue to receive "
                   "free school meals.", "Packed lunches are of course still welcome."]), ("h2", "Sports day"),
         ("p", "Sports day is planned for Wednesday 11 June on the lower field, starting at 1.15pm, with races for "
               "every class and the parents' egg-and-spoon race. If the weather is against us, it moves to Friday "
               "13 June. Please send children in their house colours and with a named water bottle."), ("fill", 2)],
        [("h2", "Term dates 2025"),
         ("table", ["Event | Date", "Summer term begins | Tuesday 22 April 2025",
                    "May Day bank holiday, school closed | Monday 5 May 2025",
                    "Half term | Monday 26 May - Friday 30 May 2025", "inset",
                    "Last day of the summer term, 1.30pm finish | Wednesday 23 July 2025", "d_inset_sep"]),
         ("fill", 2)],
    ]


def newsletter_2024() -> list[list]:
    return [
        [("h1", "Millbrook Primary School - Parent Newsletter, June 2024"), ("h2", "Year 5 trip to Caer Brannock"),
         ("para", ["On Friday 7 June, Year 5 will visit Caer Brannock Roman fort to finish their topic on Roman "
                   "Britain.", "d_trip_2024", "Children may come dressed as Romans if they wish."]),
         ("h2", "Staff news"), ("para", ["d_acting", "The post will be advertised in the new year."]), ("fill", 2)],
        [("h2", "School meals"),
         ("para", ["We know every penny counts for families at the moment.", "d_lunch_2024",
                   "Menus rotate over three weeks and are checked by the county dietitian."]), ("fill", 3)],
    ]


def contract() -> list:
    return [
        ("h1", "Flour Supply Agreement"),
        ("p", "This agreement is dated 24 January 2025 and is made between Kettleby Mills Ltd, Station Yard, "
              "Kettleby (the Supplier), and Amberley Street Bakery Ltd, 31 Amberley Street (the Buyer)."),
        ("h2", "1. Definitions"), ("fill", 1), ("h2", "2. Supply"),
        ("p", "The Supplier will supply the milled flour and related products listed in Schedule 1 to the Buyer's "
              "bakery. Orders placed by 11:00 on a working day are delivered on the next working day between "
              "05:00 and 08:00. Each delivery must be for at least 8 sacks; smaller orders are accepted but carry "
              "a delivery charge of £19. The Buyer checks each delivery on arrival and reports any shortage or "
              "damage within 48 hours."), ("h2", "3. Price and payment"),
        ("para", ["Prices are those in Schedule 1 and are fixed until 31 January 2026; after that the Supplier may "
                  "change them once a year on eight weeks' notice.", "The Supplier invoices each delivery on the "
                  "day it is made.", "payment", "d_discount", "d_interest"]), ("fill", 2), ("h2", "4. Quality"),
        ("p", "All flour is milled from grain grown in the United Kingdom and tested for moisture, protein and "
              "falling number at the mill. Certificates of analysis are available for each batch on request."),
        ("fill", 1), ("h2", "5. Term and termination"),
        ("para", ["This agreement starts on 1 February 2025 and runs for an initial term of two years, after which "
                  "it continues until ended under this clause.", "termination", "d_breach",
                  "Ending the agreement does not affect orders already accepted or sums already due."]), ("fill", 2),
        ("h2", "Schedule 1 - Products and prices (excluding VAT)"),
        ("table", ["Product | Code | Pack | Price per pack", "Strong white bread flour | KM-210 | 16 kg sack | £14.80",
                   "Stoneground wholemeal flour | KM-305 | 16 kg sack | £16.35", "d_km410", "km412",
                   "Fine semolina | KM-520 | 12.5 kg sack | £18.05"]), ("h2", "Signatures"),
        ("para", ["The agreement was signed in duplicate at Station Yard on 24 January 2025.", "signatory",
                  "d_signatory_buyer"]),
    ]


def car_manual() -> list[list]:
    return [
        [("h1", "Arvesta Marlin Tourer - Owner's Manual (extract)"),
         ("p", "Model years 2022-2025. Chapters 6 (Wheels and tyres), 8 (Maintenance), 9 (Towing) and 11 (Fuses), "
               "copied for the glovebox folder."), ("h2", "Refuelling"),
         ("p", "Use unleaded petrol of at least 95 RON; E10 is permitted. The fuel tank holds 47 litres. The "
               "low-fuel warning lamp comes on when about 6 litres remain, enough for roughly 80 km."), ("fill", 3)],
        [("h2", "6.3 Tyre pressures"),
         ("p", "Check the pressures at least once a month and before long journeys, with the tyres cold. The values "
               "below apply to both the 16-inch and the 17-inch wheels fitted at the factory. A sticker with the "
               "same table is on the driver's door pillar."),
         ("table", ["Load | Front | Rear", "d_tyre_normal", "tyre_full",
                    "Temporary spare wheel | 4.2 bar (61 psi) | 4.2 bar (61 psi)"]),
         ("p", "After inflating the tyres, reset the tyre pressure monitor: hold the TPMS button below the steering "
               "wheel until the lamp flashes three times. The monitor warns when a tyre is more than a fifth below "
               "its set pressure."), ("fill", 2)],
        [("h2", "8.1 Service schedule"),
         ("para", ["Your Marlin tells you when a service is due: a spanner symbol appears in the instrument cluster "
                   "a month beforehand.", "oil", "d_oil_severe", "d_belt", "Keep the stamped service booklet or the "
                   "dealer's printout, because the warranty depends on it."]), ("h2", "8.2 Fluids"),
         ("p", "Engine oil: 4.3 litres with a filter change, SAE 0W-20 to Arvesta standard AS 52. Brake fluid: DOT 4, "
               "renewed every two years. Coolant: Arvesta long-life coolant, checked at every service."),
         ("fill", 2)],
        [("h2", "9. Towing"),
         ("para", ["Before towing for the first time, have the tow bar fitted and coded by a dealer so that the "
                   "stability control recognises the trailer.", "towing", "d_unbraked", "The maximum load on the "
                   "tow ball is 75 kg, and the speed limits for vehicles with trailers apply."]), ("fill", 3)],
        [("h2", "11.2 Fuses in the passenger compartment"),
         ("p", "The fuse box is behind the cover at the left end of the dashboard. Always replace a fuse with one "
               "of the same rating; if a new fuse blows at once, have the circuit checked by a dealer."),
         ("table", ["Fuse | Rating | Protects", "F24 | 10 A | Horn", "F25 | 7.5 A | Rear wiper", "d_f26", "fuse",
                    "F28 | 15 A | 12 V power socket in the boot"]), ("fill", 3)],
    ]


def museum() -> list:
    return [
        ("h1", "Cargo and Compass: the North Sea herring trade, 1600-1900"),
        ("para", ["The exhibition runs from 14 March to 2 November 2025 in the Tidewater Gallery on the second floor "
                  "of the Saltmarsh Quay Museum.", "It brings together more than 300 objects, from salting tubs and "
                  "net needles to ships' logs and trading ledgers.", "curator", "d_prev_curator",
                  "The exhibition is supported by the Harbour Heritage Fund."]), ("h2", "Room 1 - The Catch"),
        ("p", "Herring shoals, drift nets and the buss fleets that followed them down the coast each summer."),
        ("fill", 1), ("h2", "Room 2 - The Cooperage"),
        ("p", "A reconstructed cooper's workshop shows how the barrels were made tight enough to hold brine for a "
              "year; a film shows the last working cooper of the town at his bench."),
        ("h2", "Room 3 - The Curing Yard"), ("fill", 1), ("h2", "Room 4 - The Chart Room"),
        ("para", ["The last room follows the cured herring to its markets in Danzig and Riga and as far as the "
                  "Caribbean.", "Maps, sea charts and a working model of a Dutch buss show how the fleets "
                  "navigated.", "figurehead", "d_replica", "Please do not touch the figurehead; the paint is "
                  "original."]), ("h2", "Tickets"),
        ("p", "Tickets for Cargo and Compass include entry to the permanent galleries."),
        ("table", ["Ticket | Price", "d_adult", "concession", "Child (6-16) | €5.50", "Under 6 | free",
                   "Family (2 adults and up to 3 children) | €31.00"]), ("h2", "Visiting"),
        ("p", "The museum is open Tuesday to Sunday, 10:00 to 17:00, and until 20:30 on Thursdays. The Tidewater "
              "Gallery is reached by lift or by the main stairs. Audio guides in English, Dutch and German can be "
              "borrowed at the desk for €3."), ("fill", 1),
    ]


def club() -> list:
    return [
        ("h1", "Fenwick Park Hockey Club - Members' Handbook 2024/25"),
        ("p", "Welcome to the club. This handbook is agreed by the committee each August; the constitution and the "
              "full code of conduct are on the website."), ("h2", "Membership and fees"),
        ("p", "Subscriptions are due by 1 October and can be paid in three instalments by standing order."),
        ("table", ["Membership | Season fee | Match fee", "Senior playing member | £245 | £7 per game",
                   "d_student_fee", "junior_fee", "Social (non-playing) member | £40 | -"]),
        ("p", "Families with three or more playing members pay no more than £520 in total."), ("fill", 1),
        ("h2", "Kit"),
        ("para", ["All players wear the club kit in league matches; shirts and socks are ordered through the club "
                  "shop, and a second-hand rail is set up at the start of each season.", "home_kit", "d_away_kit",
                  "Goalkeepers wear a contrasting smock, which the club provides for juniors."]), ("h2", "Training"),
        ("p", "Senior training is on Tuesday evenings at the Fenwick Park astro, 19:30 to 21:00, with a fitness "
              "session on Thursdays. Juniors train on Saturday mornings from 09:15 to 10:45 on the same pitch. "
              "Shin pads and mouthguards are compulsory for everyone."), ("fill", 2),
        ("h2", "Welfare and safeguarding"),
        ("para", ["The club follows England Hockey's safeguarding policy, and every coach working with juniors has an "
                  "enhanced DBS check.", "welfare", "d_junior_coord",
                  "Concerns can also be raised anonymously through the form on the website."]), ("fill", 2),
    ]


def tax_letter() -> list[list]:
    return [
        [("h1", "Revenue Service - Northfield District Office"),
         ("p", "Notice of income tax assessment for the tax year 2024. Date of this notice: 14 August 2025."),
         ("p", "Taxpayers: Oskar Brennan and Ruth Brennan, 9 Heron Crescent, Northfield (joint assessment)."),
         ("h2", "Result of the assessment"),
         ("para", ["This assessment is based on the return you submitted electronically and on the information "
                   "supplied by your employers and banks.", "Income tax for 2024 was set at €14,907.00, against "
                   "€16,753.20 withheld from wages and paid in advance.", "refund", "d_refund_2023",
                   "No action is needed on your part."]), ("fill", 2)],
        [("h2", "Explanation of the calculation"),
         ("p", "Work-related expenses, donations and childcare costs were allowed as claimed. The allowance for "
               "working from home was applied to both of you. Interest from savings stayed below the tax-free "
               "amount and is not taxed."), ("fill", 3)],
        [("h2", "Your right to object"),
         ("para", ["Please check this notice carefully.", "objection", "d_correction", "An objection does not "
                   "postpone payment of any amount due, but you may apply for a deferral.",
                   "Objections can be lodged online or by letter to the address above."]), ("fill", 2)],
    ]


def tax_notes() -> list:
    return [
        ("h1", "Tax return 2024 - notes (Ruth)"),
        ("p", "Everything is in the blue folder, second drawer. Scans of all receipts are in the Tax 2024 folder on "
              "the laptop."), ("h2", "Sent"),
        ("ul", ["d_filed_2023", "filed", "Notice of assessment arrived on 18 August 2025; refund as expected."]),
        ("h2", "Deductions claimed"),
        ("ul", ["donations", "d_donations_2023", "Home office: Ruth 137 days, Oskar 92 days, at €6 a day.",
                "Commuting: Oskar 23 km each way, 118 days in the office."]),
        ("p", "Next year: ask the employer for the home-office confirmation in January."), ("fill", 1),
    ]


def lab() -> list:
    return [
        ("h1", "Halloran group - lab meeting minutes, 11 February 2025"),
        ("p", "Present: Fiona Halloran (PI), Mateus Albuquerque, Kasia Wróblewska, Jana Procházková, Tomás Ibarra, "
              "Wen Li. Minutes: Wen."), ("h2", "1. Papers"),
        ("para", ["Fiona congratulated everyone on a good start to the year.", "journal", "d_review", "The editor "
                  "asked for the raw sequencing reads, which Tomás will upload to the archive before the proofs "
                  "arrive."]), ("h2", "2. Equipment and orders"),
        ("para", ["The confocal microscope is now booked for the group on Wednesday afternoons; please use the "
                  "shared calendar.", "The -80 °C freezer in B.214 needs defrosting before the end of the month.",
                  "kits", "d_tips", "Orders above £500 need Fiona's approval in the purchasing system."]),
        ("fill", 1), ("h2", "3. Conferences"),
        ("p", "EcoSoil 2025 takes place in Ghent from 16 to 19 June."),
        ("table", ["Action | Owner | Due", "d_earlybird", "abstract",
                   "Book travel to Ghent as a group | Wen Li | 25.04.2025"]), ("h2", "4. Next meeting"),
        ("para", ["The next meeting is on 25 February at 10:00 in room B.112.", "presenter", "d_after",
                  "Wen will bring coffee."]), ("fill", 1),
    ]


def lab_prev() -> list:
    return [
        ("h1", "Lab meeting 28 January 2025"),
        ("ul", ["Present: Fiona, Mateus, Kasia, Jana, Tomás, Wen", "Minutes: Kasia"]), ("h2", "Papers"),
        ("p", "The biochar paper came back with minor revisions; Fiona will send the response by 31 January."),
        ("h2", "Orders"),
        ("ul", ["d_prev_kits", "Pipette tips are running low; check the cupboard before ordering."]),
        ("h2", "Next meeting"), ("ul", ["d_prev_next"]), ("fill", 1),
    ]


def contributing() -> list:
    return [
        ("h1", "Contributing to tallyho"),
        ("p", "Thanks for your interest in tallyho, the plain-text bookkeeping tool. This guide explains how we "
              "work. By contributing you agree that your work is released under the project's MIT licence."),
        ("h2", "Setting up"),
        ("para", ["Fork the repository, clone your fork and create a virtual environment.", "python_min",
                  "Install the development dependencies with pip install -e .[dev] and run make check before you "
                  "push."]), ("h2", "Documentation"),
        ("p", S_("d_docs_python") + " Preview the site locally with make docs-serve."), ("h2", "Pull requests"),
        ("para", ["Keep pull requests small and focused; one change per pull request is easiest to review.",
                  "Link the issue your change addresses, and add an entry to CHANGELOG.md under Unreleased.",
                  "approvals", "d_docs_approval", "Maintainers merge with a squash commit once CI is green."]),
        ("h2", "Commit messages"),
        ("p", "Write the subject in the imperative mood and keep it under 72 characters; explain the why in the body."),
        ("h2", "Reporting security problems"),
        ("p", "Please report vulnerabilities privately to security@tallyho.dev rather than in the issue tracker."),
        ("fill", 2),
    ]


def changelog() -> list:
    return [
        ("h1", "Changelog"),
        ("p", "All notable changes to tallyho are documented here. The format follows Keep a Changelog, and the "
              "project uses semantic versioning."),
        ("h2", "[2.4.1] - 2025-03-02"), ("h3", "Fixed"),
        ("ul", ["thanks", "d_thanks_1898", "The balance command no longer crashes on an empty ledger (#1902)."]),
        ("h2", "[2.4.0] - 2025-01-20"), ("h3", "Added"),
        ("ul", ["Budgets: tallyho budget compares spending per account with a monthly budget file (#1811).",
                "Reports can be written as HTML with --format=html (#1840)."]), ("h3", "Removed"),
        ("ul", ["python_drop", "The deprecated export --legacy option is gone; use --format=ledger instead."]),
        ("h2", "[2.3.0] - 2024-06-11"), ("h3", "Changed"),
        ("ul", ["Amounts are stored as decimals rather than floats, so rounding errors no longer add up (#1702).",
                "d_py37"]), ("fill", 1),
    ]


def recipes() -> list:
    return [
        ("h1", "Aunt Delphine's baking"),
        ("p", "Copied out from her notebook, with my notes in brackets. Temperatures are for a fan oven."),
        ("h2", "Cardamom knots"),
        ("ul", ["500 g strong white flour", "75 g caster sugar", "2 tsp freshly ground cardamom", "7 g dried yeast",
                "250 ml warm milk", "80 g soft butter"]),
        ("para", ["Knead the dough for ten minutes, then leave it covered in the fridge overnight.", "In the "
                  "morning, roll it out, spread it with cardamom butter, fold, cut into strips and tie each strip "
                  "into a knot.", "oven_knots", "Brush with sugar syrup as soon as they come out."]), ("fill", 1),
        ("h2", "Saffron buns"),
        ("p", "Warm the milk with the saffron and leave it for an hour to colour. " + S_("d_oven_saffron")
         + " (Delphine used raisins; I prefer dried cranberries.)"), ("h2", "Dark rye loaf"),
        ("para", ["This is the loaf Delphine made every Friday, with a starter she kept going for thirty years.",
                  "Mix the scalded rye, starter and treacle in the evening and bake it in a lidded tin the next "
                  "morning, two hours at a low heat.", "rye_rest", "d_rest_wheat",
                  "Slice it thin and serve with butter and cheese."]), ("fill", 1),
    ]


def trip() -> list:
    return [
        ("h1", "São Miguel, 12-19 July 2025"),
        ("p", "Travellers: Oskar, Ruth, Lena (9) and Max (6). We fly to Lisbon the evening before (Fri 11 Jul, see "
              "the separate booking) and sleep at the airport hotel."), ("h2", "Flights"),
        ("table", ["Date | Flight | From | To | Departs | Arrives", "flight_out", "d_flight_back"]),
        ("h2", "Where we stay"),
        ("para", ["Nights 1-3 are in Ponta Delgada at Casa do Ananás, a small guesthouse in the old town with a "
                  "rooftop terrace.", "d_pdl_ref", "Nights 4-7 we move to Furnas, to be near the hot springs.",
                  "hotel_ref", "Breakfast is included in both places."]), ("h2", "Activities"),
        ("para", ["We booked two trips ahead, because they sell out in July.", "whale", "d_canyon",
                  "Both can be cancelled free of charge up to a day before."]), ("h2", "Car"),
        ("p", "Hire car from Ilha Verde at the airport, group B (Renault Clio or similar), €312 for the week with "
              "full insurance; a child seat costs €4 a day."), ("fill", 1),
    ]


def S_(key: str) -> str:
    return S[key]


def resolve(blocks: list) -> list:
    """Keys → sentences; ("para", parts) → ("p", joined parts)."""
    out = []
    for kind, value in blocks:
        if kind == "para":
            out.append(("p", " ".join(S.get(v, v) for v in value)))
        elif isinstance(value, list):
            out.append((kind, [S.get(v, v) for v in value]))
        else:
            out.append((kind, S.get(value, value) if isinstance(value, str) else value))
    return out


def write_plain(path: Path, blocks: list, markdown: bool) -> None:
    """Markdown with real tables, or plain text hard-wrapped at 76 columns with underlined headings."""
    def wrap(text: str, first: str = "", rest: str = "") -> str:
        if markdown:
            return first + text
        return textwrap.fill(text, 76, initial_indent=first, subsequent_indent=rest, break_long_words=False,
                             break_on_hyphens=False)

    out = []
    for kind, value in blocks:
        if kind in ("h1", "h2", "h3"):
            level = int(kind[1])
            out.append("#" * level + " " + value if markdown else value + "\n" + "=-~"[level - 1] * len(value))
        elif kind in ("p", "fill"):
            out.append(wrap(value))
        elif kind == "ul":
            out.append("\n".join(wrap(v, "- " if markdown else "  * ", "" if markdown else "    ") for v in value))
        elif kind == "table":
            rows = [[c.strip() for c in row.split(" | ")] for row in value]
            if markdown:
                lines = ["| " + " | ".join(r) + " |" for r in rows]
                lines.insert(1, "|" + "|".join("---" for _ in rows[0]) + "|")
            else:
                widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
                lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
            out.append("\n".join(lines))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n\n".join(out) + "\n", encoding="utf-8")
