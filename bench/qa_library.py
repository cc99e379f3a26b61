"""A generated library with known answers: each fact is one distinctive sentence on a known page of a
known file, amid filler text (the standard library's documentation), next to near-miss distractors
(same subject, other place or figure) so that retrieval has to pick the right passage; some facts are
told mid-paragraph beside a near miss, so the prompt has to keep the right sentence of the passage.

Questions paraphrase their fact rather than copy it, so full-text search alone does not find it.
"""

from __future__ import annotations

import random
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pymupdf

from corpus import ParagraphPool, module_texts, pages_from, paragraphs, write_pdf


@dataclass(frozen=True)
class Fact:
    file: str  # relative to the library root
    page: int | None  # 1-based PDF page; None for notes (no pages)
    sentence: str
    question: str
    answers: tuple[str, ...]  # accepted forms of the answer (any one, normalised)


F = Fact
FACTS = [
    F("manuals/plant-maintenance.pdf", 3, "The Halvorsen pump at the Ostrava plant runs at 3,450 rpm.",
      "How fast does the Halvorsen pump in Ostrava turn?", ("3,450",)),
    F("manuals/plant-maintenance.pdf", 5,
      "Bearings on conveyor line B must be regreased every 400 operating hours.",
      "How often do the bearings of conveyor line B need fresh grease?", ("400",)),
    F("manuals/plant-maintenance.pdf", 8,
      "The emergency shutdown valve in Ostrava is tested on the first Monday of each quarter.",
      "When is the Ostrava emergency shutoff valve checked?", ("first Monday",)),
    F("manuals/plant-maintenance.pdf", 11,
      "Coolant for the Kestrel lathe is a 7 percent emulsion of Cimtech oil.",
      "What concentration of coolant does the Kestrel lathe use?", ("7 percent", "7%")),
    F("policies/travel-policy-2024.pdf", 2,
      "Employees travelling by rail may book first class for journeys longer than 4 hours.",
      "When are staff allowed a first-class train ticket?", ("4 hours", "four hours")),
    F("policies/travel-policy-2024.pdf", 4, "The daily meal allowance for trips within Germany is 28 euros.",
      "How much money per day is allowed for food on business trips in Germany?", ("28",)),
    F("policies/travel-policy-2024.pdf", 6, "Hotel bookings in London are capped at 180 pounds per night.",
      "What is the maximum nightly hotel rate in London?", ("180",)),
    F("policies/travel-policy-2024.pdf", 7,
      "Expense reports must be submitted within 21 days of returning from a trip.",
      "What is the deadline for handing in expense claims after travelling?", ("21 days", "21")),
    F("lab/enzyme-protocols.pdf", 2, "Samples of the Borealis enzyme are stored in freezer F-12 in room 214.",
      "Where are the Borealis enzyme samples kept?", ("F-12", "F12")),
    F("lab/enzyme-protocols.pdf", 4, "The centrifuge step of protocol P-17 lasts 12 minutes at 4,000 g.",
      "How long does protocol P-17 spin in the centrifuge?", ("12 minutes",)),
    F("lab/enzyme-protocols.pdf", 7, "Dr. Ingrid Saelen approved the revised buffer recipe on 3 March 2023.",
      "Who signed off on the changed buffer recipe?", ("Saelen",)),
    F("lab/enzyme-protocols.pdf", 9, "The pH of the wash buffer must stay between 7.2 and 7.4.",
      "What acidity range is required for the wash buffer?", ("7.2",)),
    F("reports/annual-report-2023.pdf", 3,
      "Revenue of the Nordic division grew to 48.6 million euros in 2023.",
      "How much did the Nordic division earn last year?", ("48.6",)),
    F("reports/annual-report-2023.pdf", 5, "The company employed 1,284 people at the end of 2023.",
      "What was the headcount at the close of 2023?", ("1,284",)),
    F("reports/annual-report-2023.pdf", 9, "The new warehouse in Tilburg opened in September 2023.",
      "When did the Tilburg distribution centre start operating?", ("September",)),
    F("reports/annual-report-2023.pdf", 12, "The board proposed a dividend of 0.42 euros per share.",
      "What payout per share did the directors recommend?", ("0.42",)),
    F("it/it-handbook.pdf", 2,
      "The guest Wi-Fi network is called Lighthouse-Guest and its password changes every Friday.",
      "What is the name of the wireless network for visitors?", ("Lighthouse-Guest", "Lighthouse Guest")),
    F("it/it-handbook.pdf", 5, "Company laptops are replaced after four years of service.",
      "How long do we keep a work notebook computer before swapping it for a new one?", ("four years", "4 years")),
    F("it/it-handbook.pdf", 8, "Backups of the finance server are kept for 90 days.",
      "For how long are the accounting server's backups retained?", ("90 days", "90")),
    F("notes/meeting-2024-03-12.md", None, "Marta agreed to deliver the pricing study by 15 April.",
      "By when will Marta hand in the pricing analysis?", ("15 April", "April 15")),
    F("notes/recipes.md", None, "Grandma's plum cake needs 600 grams of damson plums.",
      "How many grams of plums go into grandma's cake?", ("600",)),
    F("notes/garden.md", None, "The apricot tree in the back garden was planted in 2017.",
      "What year was the apricot tree put in the ground?", ("2017",)),
    F("notes/contacts.md", None, "The plumber we trust is Tomasz Wierzbicki, reachable on extension 4471.",
      "Which phone extension reaches our trusted plumber?", ("4471",)),
    F("notes/book-club.md", None, "The book club chose The Left Hand of Darkness for June.",
      "Which novel will the reading group discuss in June?", ("Left Hand of Darkness",)),
    F("notes/car.md", None, "The Skoda's tyres should be inflated to 2.3 bar.",
      "What tyre pressure does the Skoda need?", ("2.3",)),
    F("notes/home-network.txt", None, "The home router's admin page is at 192.168.8.1.",
      "What address opens the settings page of the router at home?", ("192.168.8.1",)),
    F("notes/bicycle.txt", None, "The lock on the blue bicycle opens with the code 5291.",
      "What is the combination for the blue bike's lock?", ("5291",)),
    F("notes/insurance.txt", None, "The household insurance policy number is HX-77812 with Baltic Mutual.",
      "What is our home insurance policy number?", ("HX-77812", "HX77812")),
    F("manuals/boiler-service.pdf", 4,
      "The Vesta boiler's flue gas temperature must not exceed 210 degrees Celsius.",
      "What is the upper limit for the Vesta boiler's exhaust temperature?", ("210",)),
    F("manuals/boiler-service.pdf", 6,
      "Service technicians for the Vesta boiler are supplied by Thermoprag s.r.o.",
      "Which firm sends the engineers who maintain the Vesta boiler?", ("Thermoprag",)),
]

# Facts told mid-paragraph beside a near miss on the same subject (last year's rate, another group's
# figure): the best sentence of the passage is not always the fact, so a prompt cut to one sentence
# can lose it. Each paragraph holds its fact's sentence word for word.
_PARAGRAPHS = [
    (F("policies/travel-policy-2024.pdf", 3, "Staff using a private car are reimbursed 0.30 euros per kilometre.",
       "What is the current rate per kilometre for driving your own car on business?", ("0.30", "0.3")),
     "Until March 2024 the rate was 0.25 euros per kilometre. {} Motorcycles are reimbursed at 0.20 euros per "
     "kilometre, and car sharing is preferred when three or more colleagues travel together."),
    (F("policies/travel-policy-2024.pdf", 1, "Longer flights may be booked in premium economy.",
       "Which cabin class may employees book on long-haul flights?", ("premium economy",)),
     "Flights shorter than six hours are booked in economy class. {} Business class always needs the written "
     "approval of a director."),
    (F("reports/annual-report-2023.pdf", 7, "Operating margin reached 11.4 percent in 2023.",
       "What operating margin did the company achieve in 2023?", ("11.4",)),
     "In 2022 the operating margin had been 9.8 percent. {} The board's target for 2025 is 13 percent, "
     "helped by lower freight costs."),
    (F("reports/annual-report-2023.pdf", 11, "Capital expenditure came to 7.9 million euros in 2023.",
       "How much did the company invest in total during 2023?", ("7.9",)),
     "{} Of this, 3.1 million euros went to the new warehouse. For 2024 the board has approved a budget of "
     "6.5 million euros."),
    (F("it/it-handbook.pdf", 3, "Passwords for staff accounts must be at least 14 characters long.",
       "What is the minimum length of an employee's password?", ("14",)),
     "Service accounts need passwords of 24 characters. {} Passwords expire after 180 days, and the last "
     "five may not be reused."),
    (F("lab/enzyme-protocols.pdf", 6, "Samples of protocol P-17 are incubated at 37 degrees for 45 minutes.",
       "For how long are the P-17 samples kept in the incubator?", ("45 minutes",)),
     "Control samples are incubated at 25 degrees for 30 minutes. {} Plates are then cooled on ice for "
     "5 minutes before reading."),
    (F("manuals/plant-maintenance.pdf", 2, "The oil in the Halvorsen pump's gearbox is changed every 2,000 hours.",
       "How often is the gearbox oil of the Halvorsen pump replaced?", ("2,000",)),
     "The pump's filter is swapped every 500 hours and its seals are inspected every 1,000 hours. {}"),
    (F("manuals/boiler-service.pdf", 2, "When cold, the Vesta heating system should show 1.5 bar.",
       "What pressure should the Vesta system read before it warms up?", ("1.5",)),
     "The Vesta boiler is serviced once a year, and its expansion vessel is recharged to 1.0 bar every two "
     "years. {} Above 2.5 bar the safety valve opens."),
    (F("notes/school.md", None, "On Fridays Ella is picked up at 13:30.",
       "What time does Ella need collecting at the end of the week?", ("13:30", "1:30")),
     "Ella's school day starts at 8:10 and ends at 15:15 from Monday to Thursday. {} Swimming lessons are on "
     "Wednesdays, so she needs her kit that day."),
    (F("notes/car.md", None, "The Skoda's next service is due at 90,000 km.",
       "At what mileage does the Skoda have to go in for servicing again?", ("90,000",)),
     "The timing belt was replaced at 60,000 km, and the winter tyres went on at 74,500 km. {}"),
]
FACTS += [fact for fact, _ in _PARAGRAPHS]
PARAGRAPH_OF = {fact.sentence: paragraph.format(fact.sentence) for fact, paragraph in _PARAGRAPHS}

# Near misses: same subject as a fact, other place or figure, on other pages.
DISTRACTORS = [
    ("manuals/plant-maintenance.pdf", 6, "The Halvorsen pump at the Brno plant runs at 2,900 rpm."),
    ("manuals/plant-maintenance.pdf", 9, "Bearings on conveyor line C must be regreased every 250 operating hours."),
    ("policies/travel-policy-2024.pdf", 5, "The daily meal allowance for trips within Austria is 32 euros."),
    ("policies/travel-policy-2024.pdf", 8, "Hotel bookings in Paris are capped at 160 euros per night."),
    ("reports/annual-report-2023.pdf", 10, "Revenue of the Iberian division fell to 31.2 million euros in 2023."),
    ("reports/annual-report-2023.pdf", 6, "The company employed 1,190 people at the end of 2022."),
    ("lab/enzyme-protocols.pdf", 5, "The centrifuge step of protocol P-12 lasts 8 minutes at 3,000 g."),
    ("it/it-handbook.pdf", 9, "Backups of the HR server are kept for 30 days."),
    ("notes/meeting-2024-02-20.md", None, "Jonas agreed to deliver the market survey by 2 May."),
    ("notes/garden.md", None, "The pear tree by the fence was planted in 2019."),
]

OFF_TOPIC = [
    "What is the population of Mongolia?",
    "Which planet in the solar system has the most moons?",
    "Who painted the ceiling of the Sistine Chapel?",
    "How do I teach a puppy to sit on command?",
    "How tall is Mount Kilimanjaro?",
    # These name something the library mentions, and ask what it does not say.
    "What colour is the Halvorsen pump in Ostrava painted?",
    "How many square metres does the Tilburg warehouse cover?",
    "How long does grandma's plum cake bake in the oven?",
    "Which hotel chain does the travel policy prefer in London?",
    "What download speed does the Lighthouse-Guest network offer?",
]

PDF_PAGES = {"manuals/plant-maintenance.pdf": 12, "policies/travel-policy-2024.pdf": 8,
             "lab/enzyme-protocols.pdf": 10, "reports/annual-report-2023.pdf": 14,
             "it/it-handbook.pdf": 9, "manuals/boiler-service.pdf": 7}
FILLER_PDFS, FILLER_PAGES, FILLER_NOTES = 5, 8, 20


def _with_sentences(filler: str, sentences: list[str], rng: random.Random) -> str:
    """Filler paragraphs with the sentences inserted as paragraphs near the top (so a page that is
    shortened to fit cannot lose them)."""
    paras = filler.split("\n\n")
    for sentence in sentences:
        paras.insert(rng.randint(1, min(2, len(paras))), sentence)
    return "\n\n".join(paras)


def build(root: Path, seed: int = 0) -> dict:
    """Write the library under ``root``; returns its shape. Checks every fact is where it claims."""
    rng = random.Random(seed)
    pool = ParagraphPool(paragraphs(module_texts(limit=200, seed=seed)), rng)
    planted: dict[tuple[str, int | None], list[str]] = {}
    for file, page, sentence in [(f.file, f.page, f.sentence) for f in FACTS] + DISTRACTORS:
        planted.setdefault((file, page), []).append(PARAGRAPH_OF.get(sentence, sentence))

    for file, n_pages in PDF_PAGES.items():
        pages = pages_from(pool, n_pages, rng, chars_per_page=2000)
        pages = [_with_sentences(text, planted.get((file, i), []), rng) for i, text in enumerate(pages, 1)]
        write_pdf(root / file, pages)
    for i in range(FILLER_PDFS):
        write_pdf(root / "archive" / f"document-{i:02}.pdf", pages_from(pool, FILLER_PAGES, rng))
    notes = {file for file, page in planted if page is None}
    for file in sorted(notes):
        body = "\n\n".join(pool.draw() for _ in range(rng.randint(2, 5)))
        text = _with_sentences(body, planted[(file, None)], rng)
        title = Path(file).stem.replace("-", " ").capitalize()
        header = f"# {title}\n\n" if file.endswith(".md") else f"{title}\n\n"
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        (root / file).write_text(header + text + "\n", encoding="utf-8")
    for i in range(FILLER_NOTES):
        body = "\n\n".join(pool.draw() for _ in range(rng.randint(3, 8)))
        (root / "notes" / f"note-{i:03}.md").write_text(f"# Note {i}\n\n{body}\n", encoding="utf-8")
    _check(root, planted)
    return {"pdfs": len(PDF_PAGES) + FILLER_PDFS,
            "pdf_pages": sum(PDF_PAGES.values()) + FILLER_PDFS * FILLER_PAGES,
            "notes": len(notes) + FILLER_NOTES, "facts": len(FACTS), "distractors": len(DISTRACTORS),
            "near_misses_in_paragraph": len(PARAGRAPH_OF)}


def indexed_library(prefix: str = "archivist-qa-", build_library=None):
    """Build the library in a new temporary folder and index it with a fresh Archivist:
    (archivist, library root, library shape, seconds the sync took). The caller closes the archivist."""
    from common import open_archivist

    work = Path(tempfile.mkdtemp(prefix=prefix))
    root = work / "docs"
    shape = (build_library or build)(root)
    archivist = open_archivist(work / "data")
    try:
        archivist.add_source(root)
        started = time.perf_counter()
        archivist.sync()
    except BaseException:
        archivist.close()
        raise
    return archivist, root.resolve(), shape, round(time.perf_counter() - started, 1)


def _check(root: Path, planted: dict) -> None:
    """write_pdf shortens overfull pages: make sure no planted sentence was cut off."""
    for (file, page), sentences in planted.items():
        if page is None:
            text = (root / file).read_text(encoding="utf-8")
        else:
            with pymupdf.open(str(root / file)) as doc:
                text = doc[page - 1].get_text()
        flat = " ".join(text.split())
        for sentence in sentences:
            if sentence not in flat:
                raise RuntimeError(f"{file} page {page}: planted sentence missing: {sentence}")
