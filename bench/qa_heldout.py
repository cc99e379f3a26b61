"""A second, held-out QA set: same interface as qa_library (FACTS, OFF_TOPIC, build), made differently.

It was measured once before anything was chosen on it (bench/RESULTS.md, 2026-12-01); its failures
were then studied, so it is now a second development set, and bench/qa_fresh.py is the set that is
only measured. It differs from qa_library on purpose:
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
from pathlib import Path

import pymupdf

import planted
from corpus import ParagraphPool
from heldout_documents import (BUDGET, COOP_FEB, COOP_MAY, COURSES, DATASHEET, FOODBANK, INCIDENTS, METERS,
                               MOVING, PASSPORTS, RELEASES, RUNBOOK, STUDY, TENANCY, VET, budget, coop, courses,
                               datasheet, foodbank, incidents, notes, releases, runbook, study, tenancy)
from heldout_filler import filler_texts
from heldout_render import (PAGE_CHARS, SENTENCES, Filler, filler_documents, write_docx, write_html, write_pdf,
                            write_text)
from qa_library import Fact

_S = SENTENCES  # key → planted sentence, so documents and FACTS share one spelling


def _f(key: str, file: str, page: int | None, sentence: str, question: str, answers: tuple[str, ...]) -> Fact:
    _S[key] = sentence
    return Fact(file, page, sentence, question, answers)


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


def _check(root: Path) -> None:
    """Each fact and each near miss is on its file and page and nowhere else."""
    planted.check(root, [(f.file, f.page, f.sentence, f.question) for f in FACTS]
                  + [(file, page, _S[key], f"near miss {key}") for key, (file, page) in _NEAR_MISS_AT.items()])


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
            flat = planted.flat(raw)
            missing = [p for p in fact.sentence.split(" | ") if planted.flat(p) not in flat]
            if missing:
                print(f"  NOT IN INDEXED TEXT: {fact.file} p{fact.page}: {missing}")
            ligatures += any(planted.flat(p) not in " ".join(raw.split()) for p in fact.sentence.split(" | "))
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
