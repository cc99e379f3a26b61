"""A third QA set, for measuring only: same interface as qa_library and qa_heldout (FACTS, DISTRACTORS,
OFF_TOPIC, build), written after the system's parameters were fixed. Nothing is ever tuned on it: do not
change its facts or questions to move a score, only fix genuine build bugs.

How it differs from the other two sets:
- domains: a primary school's parent newsletters, a bakery's flour supply contract, a car owner's manual
  extract, a museum exhibition guide, a hockey club handbook, a household's tax notice and notes, a research
  group's lab-meeting minutes, a software project's CONTRIBUTING and CHANGELOG, a family recipe collection and
  a holiday itinerary; no name, place, product or figure of the other sets;
- most facts sit mid-paragraph among related sentences on the same subject; near misses (last year's figure,
  the adult price beside the concession, the rye flour beside the other rye flour, the other form's deadline)
  sit in the same paragraph, table or list as the fact for most facts, others on another page or file;
- some facts are table rows (PDF, DOCX, HTML and real Markdown tables) or list items; dates come as
  "Friday 2 May", "27.03.2025", "2025-06-03", "Sat 12 Jul"; amounts in GBP and EUR, distances, pressures;
- plain-text files are hard-wrapped at 76 columns; one file name has spaces and capitals;
- filler: both earlier sources mixed (Python's pydoc pages and the manual pages, licences and language
  reference of heldout_filler), cut differently: pydoc pages become multi-page PDFs and raw text files,
  the rest Word files, saved web pages and Markdown notes;
- questions paraphrase their fact (few shared content words), a few name an identifier exactly (KM-412, #1893,
  Margaretha Kühl); off-topic: four plainly unrelated, four naming something the library mentions (the
  Saltmarsh Quay Museum, the Arvesta Marlin, Kettleby Mills, Casa do Ananás) and asking what it never states.

Run it with ``python bench/answer_quality.py --set fresh`` (or ``--retrieval-only --set fresh``).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pymupdf

import fresh_documents as fd
import heldout_render
import planted
from corpus import ParagraphPool, module_texts
from fresh_documents import (CAR, CHANGELOG, CLUB, CONTRACT, CONTRIB, LAB, LAB_PREV, MUSEUM, NEWS24, NEWS25,
                             RECIPES, S, TAXLETTER, TAXNOTES, TRIP)
from heldout_filler import filler_texts, prose
from heldout_render import PAGE_CHARS, Filler, write_docx, write_html, write_pdf
from qa_library import Fact

def _f(key: str, file: str, page: int | None, sentence: str, question: str, answers: tuple[str, ...]) -> Fact:
    S[key] = sentence
    return Fact(file, page, sentence, question, answers)


FACTS = [
    _f("deputy", NEWS25, 1, "Our new deputy headteacher, who starts on 22 April, is Ms Priya Venkataraman, "
       "currently assistant head at Castleford Juniors.",
       "Who will be second in charge at Millbrook after the Easter holidays?", ("Venkataraman", "Priya")),
    _f("trip_cost", NEWS25, 2, "The cost of the trip is £17.40 per pupil, which covers the coach and a guided "
       "pond-dipping session.", "How much do I pay for my child's day out at the wetlands?", ("17.40",)),
    _f("consent", NEWS25, 2, "Signed consent forms for the wetland trip must be back in the school office by "
       "Friday 2 May.", "What is the last day to hand in the permission slip for the Year 5 outing?",
       ("2 May", "May 2", "2nd May", "May 2nd", "02/05/2025", "2/5/2025", "02.05.2025")),
    _f("lunch_new", NEWS25, 3, "From the start of the summer term, a hot lunch will cost £2.85 per day.",
       "What will a school dinner cost once the Easter break is over?", ("2.85",)),
    _f("inset", NEWS25, 4, "Staff training (INSET) day, school closed to pupils | Friday 27 June 2025",
       "On which day in June are the children off because the teachers are being trained?",
       ("27 June", "June 27", "27th June", "June 27th", "27/06/2025", "27.06.2025", "2025-06-27")),
    _f("payment", CONTRACT, None, "The Buyer shall pay each invoice in full within sixty (60) days of the invoice "
       "date.", "How long does the bakery have to settle a bill from the mill?",
       ("60 days", "sixty days", "sixty (60) days", "60 calendar days")),
    _f("termination", CONTRACT, None, "After the initial term, either party may end the agreement by giving the "
       "other not less than 120 days' written notice.",
       "How much warning must we give if we want to stop buying from the mill?",
       ("120 days", "one hundred and twenty days", "one hundred twenty days")),
    _f("km412", CONTRACT, None, "Organic dark rye flour | KM-412 | 16 kg sack | £21.90",
       "What is the price of one pack of KM-412?", ("21.90",)),
    _f("signatory", CONTRACT, None, "Signed for and on behalf of Kettleby Mills Ltd by Oksana Drummond, "
       "Commercial Director.", "Who put their name to the flour contract for the supplier?",
       ("Drummond", "Oksana")),
    _f("tyre_full", CAR, 2, "Full load (4-5 people and luggage) | 2.6 bar (38 psi) | 2.9 bar (42 psi)",
       "How much air do the back tyres need when the car is carrying a full load?", ("2.9", "42 psi", "42")),
    _f("oil", CAR, 3, "Engine oil and the oil filter are changed every 20,000 km or every 12 months, whichever "
       "comes first.", "How far can I normally drive between oil changes?", ("20,000", "20 000", "20000")),
    _f("towing", CAR, 4, "The maximum trailer weight is 1,350 kg for a trailer with its own brakes.",
       "How heavy a caravan fitted with brakes can the Marlin pull?", ("1,350", "1350")),
    _f("fuse", CAR, 5, "F27 | 25 A | Heated rear window",
       "Which fuse looks after the back windscreen demister?", ("F27", "F 27")),
    _f("curator", MUSEUM, None, "It was curated by Dr Eilidh Marchbanks, the museum's keeper of maritime history, "
       "with loans from three Dutch collections.", "Who put together the herring show?", ("Marchbanks", "Eilidh")),
    _f("figurehead", MUSEUM, None, "The original figurehead of the brig Margaretha Kühl, carved around 1780, stands "
       "at the far end of Room 4, the Chart Room, beside the window onto the quay.",
       "Where in the museum can I see the carving from the bow of the Margaretha Kühl?",
       ("Room 4", "Chart Room")),
    _f("concession", MUSEUM, None, "Concession (students, jobseekers, over-65s) | €9.00",
       "How much does it cost for a pensioner to get in?", ("9.00", "€9", "9 euros", "EUR 9")),
    _f("junior_fee", CLUB, None, "Junior (under 16), Saturday training included | £88 | none",
       "What does a year's membership cost for our 12-year-old?", ("88",)),
    _f("home_kit", CLUB, None, "The home shirt is maroon with a white collar, worn with navy shorts or skort and "
       "maroon socks.", "What colour are the jerseys the club plays in on its own ground?", ("maroon",)),
    _f("welfare", CLUB, None, "The club welfare officer is Bronwen Achterberg, who can be contacted in confidence "
       "on 07700 900415 or at welfare@fenwickparkhc.org.uk.",
       "Who should I speak to privately if I am worried about how a child is treated at the club?",
       ("Achterberg", "Bronwen")),
    _f("refund", TAXLETTER, 1, "The overpayment of €1,846.20 will be transferred to your bank account ending 4419 "
       "within six weeks.", "How much tax are we getting back for 2024?", ("1,846.20", "1846.20")),
    _f("objection", TAXLETTER, 3, "If you disagree with this assessment, you can lodge an objection within one "
       "month of the date of this notice.", "How long do we have to challenge the tax office's decision?",
       ("one month", "1 month", "a month")),
    _f("filed", TAXNOTES, None, "Return for 2024 submitted online on 2025-06-03, confirmation no. ELS-7781-3302.",
       "When did we send off our 2024 tax return?",
       ("2025-06-03", "3 June 2025", "June 3 2025", "3 June", "June 3", "03.06.2025", "03/06/2025", "3rd June")),
    _f("donations", TAXNOTES, None, "Donations: €640 in total (Red Cross €250, Médecins Sans Frontières €300, "
       "Northfield food pantry €90).", "How much did we give to good causes altogether in 2024?", ("640",)),
    _f("journal", LAB, None, "The biochar and soil fungi paper was accepted by Soil Biology Reports on 6 February, "
       "after one round of minor revisions.", "Which journal is going to publish the group's biochar manuscript?",
       ("Soil Biology Reports",)),
    _f("kits", LAB, None, "Kasia will order two more PowerSoil Pro DNA extraction kits, since the current batch "
       "runs out in early March.", "Who is restocking the kits we use to pull DNA out of soil?",
       ("Kasia", "Wróblewska", "Wroblewska")),
    _f("abstract", LAB, None, "Submit the EcoSoil 2025 abstract on the biochar field trial | Mateus Albuquerque | "
       "27.03.2025", "By what date must the conference summary about the biochar field experiment be sent in?",
       ("27.03.2025", "27 March", "March 27", "27th March", "27/03/2025", "2025-03-27")),
    _f("presenter", LAB, None, "Jana will present her qPCR results on the nitrogen-cycling genes.",
       "Who is giving the talk at the following group meeting?", ("Jana", "Procházková", "Prochazkova")),
    _f("python_min", CONTRIB, None, "tallyho supports Python 3.10 and newer, and the test suite must pass on 3.10, "
       "3.12 and 3.13 before a release.", "What is the oldest interpreter version tallyho works with?", ("3.10",)),
    _f("approvals", CONTRIB, None, "A pull request is merged only after two maintainers have approved it, at least "
       "one of them from the core team.", "How many sign-offs does a code change need before it can go in?",
       ("two", "2")),
    _f("python_drop", CHANGELOG, None, "As of 2.4.0, tallyho no longer supports Python 3.8 and 3.9; users on older "
       "interpreters should stay on 2.3.x.", "From which release on does tallyho stop working with Python 3.9?",
       ("2.4.0",)),
    _f("thanks", CHANGELOG, None, "CSV import no longer drops rows whose amount uses a comma as the decimal "
       "separator; fixes #1893, thanks to @mirela-k.", "Who contributed the fix for issue #1893?",
       ("mirela-k", "mirela k", "mirelak")),
    _f("oven_knots", RECIPES, None, "Bake the knots at 205 °C for 11 to 13 minutes, until they are deep golden.",
       "How hot should the oven be for the cardamom buns?", ("205",)),
    _f("rye_rest", RECIPES, None, "Once baked, wrap the loaf in a tea towel and leave it to rest for a full 36 "
       "hours before slicing.", "How long should the rye bread sit before I cut into it?",
       ("36 hours", "thirty-six hours", "thirty six hours")),
    _f("flight_out", TRIP, None, "Sat 12 Jul | SP 217 | Lisbon | Ponta Delgada | 09:40 | 11:05",
       "What time does our plane to the Azores take off?", ("09:40", "9:40", "9.40", "09.40")),
    _f("hotel_ref", TRIP, None, "The Furnas hotel booking reference is FRN-60317, with check-in from 15:00.",
       "What confirmation code do we give at the hotel near the hot springs?", ("FRN-60317", "FRN60317", "60317")),
    _f("whale", TRIP, None, "The whale-watching boat with Mar Azul Tours leaves the Ponta Delgada marina at 08:30 on "
       "Tuesday 15 July; we must be at their kiosk 20 minutes earlier.",
       "Which day are we going out to see the whales?", ("15 July", "July 15", "Tuesday", "15/07", "15.07.2025", "2025-07-15")),
]

# Near misses: same subject as a fact, another figure, person, date or status. Most sit in the fact's own
# paragraph, table or list; the rest on another page or in another file. Checked like the facts.
_NEAR = {
    "d_forsyth": (NEWS25, 1, "Mrs Nadia Forsyth, who has been acting deputy head since September, returns to "
                  "full-time teaching in Year 6."),
    "d_helpers": (NEWS25, 2, "Parent helpers pay a reduced entry fee of £6.50 and travel on the coach free of "
                  "charge."),
    "d_residential": (NEWS25, 2, "Forms for the Year 6 residential at Hollin Ghyll are due a week later, on Friday "
                      "9 May, together with the £60 deposit."),
    "d_lunch_old": (NEWS25, 3, "Until Easter, a school lunch costs £2.60 a day."),
    "d_inset_sep": (NEWS25, 4, "Staff training (INSET) day, school closed to pupils | Monday 1 September 2025"),
    "d_trip_2024": (NEWS24, 1, "The cost of the trip is £15.90 per pupil, which covers the coach and entry to the "
                    "fort."),
    "d_acting": (NEWS24, 1, "Mrs Nadia Forsyth will be acting deputy head from September."),
    "d_lunch_2024": (NEWS24, 2, "From the start of the autumn term, a hot lunch will cost £2.60 per day."),
    "d_discount": (CONTRACT, None, "If the Buyer pays within ten (10) days of the invoice date, it may deduct an "
                   "early-payment discount of 2 per cent."),
    "d_interest": (CONTRACT, None, "Overdue sums carry interest at 4 per cent a year above the Bank of England base "
                   "rate from the due date until payment."),
    "d_breach": (CONTRACT, None, "Either party may end it at once by written notice if the other commits a "
                 "material breach and does not put it right within 15 working days of being asked to."),
    "d_km410": (CONTRACT, None, "Organic light rye flour | KM-410 | 16 kg sack | £19.75"),
    "d_signatory_buyer": (CONTRACT, None, "Signed for and on behalf of Amberley Street Bakery Ltd by Rhys Tennant, "
                          "Managing Director."),
    "d_tyre_normal": (CAR, 2, "Normal load (up to 3 people) | 2.4 bar (35 psi) | 2.2 bar (32 psi)"),
    "d_oil_severe": (CAR, 3, "In severe use (frequent towing, mostly short trips or dusty roads), halve that "
                     "interval to 10,000 km or 6 months."),
    "d_belt": (CAR, 3, "The timing belt is replaced at 160,000 km or after ten years."),
    "d_unbraked": (CAR, 4, "A trailer without brakes may weigh no more than 640 kg."),
    "d_f26": (CAR, 5, "F26 | 20 A | Heated front seats"),
    "d_prev_curator": (MUSEUM, None, "The previous show in the Tidewater Gallery, Ice and Oak, was curated by "
                       "Tobias Lindahl of the Bergen maritime archive."),
    "d_replica": (MUSEUM, None, "A painted replica of the same figurehead, made for the 1951 harbour festival, "
                  "greets visitors in the entrance hall."),
    "d_adult": (MUSEUM, None, "Adult | €13.50"),
    "d_student_fee": (CLUB, None, "Student or under-23 | £140 | £4 per game"),
    "d_away_kit": (CLUB, None, "The away shirt is sky blue, worn with white shorts or skort and sky blue socks."),
    "d_junior_coord": (CLUB, None, "Team selection and fixtures for the under-12s are handled by the junior "
                       "coordinator, Sanjay Mehrotra."),
    "d_refund_2023": (TAXLETTER, 1, "For comparison, the refund for 2023 was €1,212.75."),
    "d_correction": (TAXLETTER, 3, "Obvious arithmetic or typing errors can be corrected on request for up to four "
                     "years."),
    "d_filed_2023": (TAXNOTES, None, "Return for 2023 submitted online on 2024-07-29."),
    "d_donations_2023": (TAXNOTES, None, "Donations claimed for 2023 were €515."),
    "d_review": (LAB, None, "The rhizosphere review is still under revision at Plant and Soil Letters, and the "
                 "response to reviewers is due by 10 March."),
    "d_tips": (LAB, None, "Tomás will order filter pipette tips and 50 ml tubes from the usual supplier."),
    "d_earlybird": (LAB, None, "Register for EcoSoil 2025 at the early-bird rate | Kasia Wróblewska | 14.03.2025"),
    "d_after": (LAB, None, "Tomás is down to present on 11 March."),
    "d_prev_kits": (LAB_PREV, None, "Wen ordered the last batch of PowerSoil Pro kits in December."),
    "d_prev_next": (LAB_PREV, None, "At the next meeting, on 11 February, Mateus will present his pilot data from "
                    "the Ardley field site."),
    "d_docs_python": (CONTRIB, None, "Building the documentation needs Python 3.12 or later, because of the Sphinx "
                      "theme we use."),
    "d_docs_approval": (CONTRIB, None, "Changes that touch only documentation need a single approval."),
    "d_thanks_1898": (CHANGELOG, None, "Currency symbols after the amount (12,50 €) are parsed correctly; fixes "
                      "#1898, thanks to @dvoss."),
    "d_py37": (CHANGELOG, None, "As of 2.3.0, tallyho no longer supports Python 3.7; users on Python 3.7 should "
               "stay on 2.2.x."),
    "d_oven_saffron": (RECIPES, None, "The saffron buns want a cooler oven, 175 °C for 15 minutes."),
    "d_rest_wheat": (RECIPES, None, "The seeded wheat loaf, by contrast, can be cut once it has cooled for two "
                     "hours."),
    "d_flight_back": (TRIP, None, "Sat 19 Jul | SP 218 | Ponta Delgada | Lisbon | 12:15 | 15:30"),
    "d_pdl_ref": (TRIP, None, "The guesthouse booking reference is PDL-24458, and check-in there is from 14:00."),
    "d_canyon": (TRIP, None, "The canyoning trip in Ribeira dos Caldeirões is on Thursday 17 July, with pick-up "
                 "from the Furnas hotel at 09:00."),
}
S.update({key: sentence for key, (_, _, sentence) in _NEAR.items()})
DISTRACTORS = [(file, page, sentence) for file, page, sentence in _NEAR.values()]

OFF_TOPIC = [
    "What is the chemical symbol for tungsten?",
    "Which river flows through Budapest?",
    "How do I get rid of aphids on rose bushes?",
    "Who wrote the novel Middlemarch?",
    # These name something the library mentions and ask for what it never says.
    "Who was the architect of the Saltmarsh Quay Museum building?",
    "How much horsepower does the Arvesta Marlin Tourer's engine produce?",
    "In what year was Kettleby Mills founded?",
    "What is the phone number of the Casa do Ananás guesthouse?",
]

_PDFS = {NEWS25: fd.newsletter_2025, NEWS24: fd.newsletter_2024, CAR: fd.car_manual, TAXLETTER: fd.tax_letter}
_DOCX = {CONTRACT: fd.contract, LAB: fd.lab, RECIPES: fd.recipes}
_HTML = {MUSEUM: ("Cargo and Compass - exhibition guide | Saltmarsh Quay Museum", fd.museum),
         TRIP: ("Azores, 12-19 July 2025 - itinerary", fd.trip)}
_MD = {CLUB: fd.club, LAB_PREV: fd.lab_prev, CONTRIB: fd.contributing, CHANGELOG: fd.changelog}
_TXT = {TAXNOTES: fd.tax_notes}
_MIN_CHARS = {CONTRACT: 9000, LAB: 6000, RECIPES: 5000, MUSEUM: 7000, TRIP: 5000, CLUB: 8000, LAB_PREV: 3000,
              CONTRIB: 6000, CHANGELOG: 4000, TAXNOTES: 3000}


def _blocks(make, fill: Filler, min_chars: int = 0) -> list:
    blocks = fd.resolve(make() if callable(make) else make)
    clash = [v for _, v in blocks if isinstance(v, str) and v in heldout_render.SENTENCES]
    if clash:  # heldout_render would swap a text equal to one of qa_heldout's keys for its sentence
        raise RuntimeError(f"block text {clash[0]!r} is a qa_heldout key")
    return fill.expand(blocks, min_chars)


def build(root: Path, seed: int = 0) -> dict:
    """Write the library under ``root``; returns its shape. Checks every planted sentence is in place."""
    rng = random.Random(seed)
    texts = filler_texts()
    rng.shuffle(texts)
    pydoc = module_texts(limit=40, seed=seed + 17)
    # Whole texts make the filler-only documents; the rest, cut into prose paragraphs, pads the others.
    whole = [t for t in texts if len(t[1]) >= 6][:25]
    pool = [p for t in texts if t not in whole for p in t[1]]
    pool += prose([p for t in pydoc[8:] for p in _pydoc_paragraphs(t)])
    fill = Filler(ParagraphPool(pool, rng))

    for file, make in _PDFS.items():
        write_pdf(root / file, [_blocks(page, fill, PAGE_CHARS) for page in make()])
    for file, make in _DOCX.items():
        write_docx(root / file, _blocks(make, fill, _MIN_CHARS[file]))
    for file, (title, make) in _HTML.items():
        write_html(root / file, title, _blocks(make, fill, _MIN_CHARS[file]))
    for file, make in {**_MD, **_TXT}.items():
        fd.write_plain(root / file, _blocks(make, fill, _MIN_CHARS[file]), markdown=file in _MD)
    filler_counts = filler_only(root, whole, pydoc[:8], rng)

    _check(root)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    by_ext: dict[str, int] = {}
    pages = 0
    for p in files:
        by_ext[p.suffix.lstrip(".")] = by_ext.get(p.suffix.lstrip("."), 0) + 1
        if p.suffix == ".pdf":
            with pymupdf.open(str(p)) as doc:
                pages += doc.page_count
    return {"files": len(files), "by_format": by_ext, "pdf_pages": pages, "filler_only": filler_counts,
            "facts": len(FACTS), "distractors": len(DISTRACTORS), "off_topic": len(OFF_TOPIC),
            "filler_sources": len(texts) + len(pydoc)}


def _pydoc_paragraphs(text: str) -> list[str]:
    """A pydoc page's paragraphs, class members included (their lines start with " |  ")."""
    lines = [re.sub(r"^\s*\|(?: |$)", "", line) for line in text.splitlines()]
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", "\n".join(lines)) if p.strip()]


def _check(root: Path) -> None:
    """Each fact and each near miss is on its file and page and nowhere else."""
    planted_sentences = [(f.file, f.page, f.sentence, f.question) for f in FACTS]
    planted_sentences += [(file, page, sentence, f"near miss {key}") for key, (file, page, sentence) in _NEAR.items()]
    planted.check(root, planted_sentences)


def filler_only(root: Path, whole: list[tuple[str, list[str]]], pydoc: list[str], rng: random.Random) -> dict:
    """Documents made of one source each: pydoc pages as multi-page PDFs and raw text files; manual pages,
    licences and language-reference topics as Word files, saved web pages and Markdown notes."""
    counts = {"pdf": 0, "txt": 0, "docx": 0, "html": 0, "md": 0}
    for i, text in enumerate(pydoc):
        m = re.match(r"Python Library Documentation: \w+ ([\w.]+)", text)
        name = m.group(1) if m else f"module-{i}"
        if i < 5:
            paras = [p for p in _pydoc_paragraphs(text) if 60 < len(p) < 2500]
            pages, size = [[("h2", f"{name} - module reference")]], 0
            for p in paras:
                if size > PAGE_CHARS * 0.8:
                    pages.append([])
                    size = 0
                pages[-1].append(("fill", p))
                size += len(p)
            write_pdf(root / "Downloads" / "manuals" / f"{name}-reference.pdf", pages[:8])
            counts["pdf"] += 1
        else:
            path = root / "Downloads" / f"{name}-help.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text[:20000], encoding="utf-8")
            counts["txt"] += 1
    plan = ["docx"] * 5 + ["html"] * 6 + ["md"] * 9 + ["txt"] * 5
    for fmt, (name, paras) in zip(plan, whole):
        title = name.replace("-", " ").replace("_", " ").capitalize()
        blocks = [("h1", title)] + [("fill", p) for p in paras[:rng.randint(5, 14)]]
        if fmt == "docx":
            write_docx(root / "Documents" / f"{title}.docx", blocks)
        elif fmt == "html":
            write_html(root / "saved-pages" / f"{name}.html", title, blocks)
        else:
            folder = "wiki-export" if fmt == "md" else "Downloads"
            fd.write_plain(root / folder / f"{name}.{fmt}", blocks, markdown=fmt == "md")
        counts[fmt] += 1
    return counts
