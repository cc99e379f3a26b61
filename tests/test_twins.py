"""The same text in two different files takes one result slot and names both places: a Markdown note
and its HTML rendering, a PDF and the .txt it was made from. Real files, real index."""

from core.twins import collapse_twins
from core.search import Hit
from helpers import make_pdf, write

PUMP_HOUSE = [
    "The pump house sits at the north end of the site, next to the old loading bay. It was rebuilt in 2019 "
    "after the flood, and the new floor is raised half a metre above the previous level. Visitors must sign "
    "in at the gatehouse and wear ear protection inside, because the two main pumps are loud even at idle.",
    "Each pump is inspected by the duty engineer at the start of every shift. The inspection covers the "
    "seals, the bearing temperature and the vibration reading on the local panel. Any reading outside the "
    "green band is written in the logbook and reported to the control room before the pump is restarted.",
]
TRAINING = [
    "Training for new staff takes three weeks. The first week is spent in the classroom, learning the layout "
    "of the plant and the safety rules. In the second and third weeks the trainee shadows an experienced "
    "engineer on every shift pattern, including at least two night shifts.",
    "The control room keeps a daily report of flows, levels and alarms. Reports older than a year are moved "
    "to the archive on the first floor, where they are kept for ten more years. Digital copies are stored on "
    "the plant server and backed up every night to the regional office.",
    "Contractors who work on the electrical panels need a permit signed by the site manager. The permit "
    "lists the circuits that are isolated, the names of the people allowed to work on them and the time the "
    "work must end. A copy of the permit stays on the panel door until the work is finished.",
    "Noise complaints from the houses across the river are rare, but they are taken seriously. The standby "
    "generator is tested on Tuesday mornings only, never at weekends, and the test lasts no longer than "
    "twenty minutes. Each complaint is answered in writing within five working days.",
]
OTHER = TRAINING[3]


def places(hit) -> set:
    return {(hit.path, hit.page), *hit.also_in}


def test_markdown_and_html_of_one_text_take_one_slot_and_keep_both_places(docs, make_archivist):
    write(docs / "guide.md", "# Pump house guide\n\n" + "\n\n".join(PUMP_HOUSE) + "\n")
    write(docs / "site/guide.html", "<html><head><title>Pump house guide</title></head><body>"
          + "".join(f"<p>{p}</p>" for p in PUMP_HOUSE) + "</body></html>")
    write(docs / "noise.md", f"# Noise\n\n{OTHER}\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    result = archivist.search("How often are the pumps inspected?", k=4)
    twins = [h for h in result.hits if "inspected by the duty engineer" in h.text]
    assert len(twins) == 1
    assert places(twins[0]) == {(str(docs / "guide.md"), None), (str(docs / "site/guide.html"), None)}
    assert result.trace["twins_folded"] >= 1
    assert any("Noise complaints" in h.text for h in result.hits)  # the freed slot went to another passage


def test_pdf_and_the_text_it_was_made_from_take_one_slot_per_passage(docs, make_archivist):
    # Two paragraphs a page; the .txt runs on where a page ends, and its second passage starts with
    # the end of the first (the overlap), so that passage holds the PDF's page-2 passage and a little more.
    make_pdf(docs / "manual.pdf", ["\n\n".join(TRAINING[:2]), "\n\n".join(TRAINING[2:])])
    write(docs / "manual.txt", "\n\n".join(TRAINING) + "\n")
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()
    for question, words, page in [("How long is the training for new staff?", "Training for new staff", 1),
                                  ("Who signs the permit for electrical work?", "permit signed", 2)]:
        hits = archivist.search(question, k=4).hits
        holding = [h for h in hits if words in " ".join(h.text.split())]
        assert len(holding) == 1, question
        assert (str(docs / "manual.pdf"), page) in places(holding[0]) and \
            (str(docs / "manual.txt"), None) in places(holding[0])


def hit(doc_id: str, path: str, text: str) -> Hit:
    return Hit(doc_id, path, "markdown", None, "", 0, len(text), text, 0.0)


def test_what_adds_nothing_folds_and_what_adds_a_paragraph_does_not():
    both = " ".join(PUMP_HOUSE)
    quote = PUMP_HOUSE[1].split(". ")[0] + "."
    hits = [hit("a", "/a.md", both), hit("a", "/a.md", PUMP_HOUSE[1]),  # one document: never folded
            hit("b", "/b.md", quote),  # a sentence of the first passage, quoted elsewhere: adds nothing
            hit("c", "/c.md", PUMP_HOUSE[1] + " " + TRAINING[0]),  # holds the second and adds a paragraph
            hit("d", "/d.md", both.upper())]  # the same words in another file
    kept, folded = collapse_twins(hits)
    assert [h.path for h in kept] == ["/a.md", "/a.md", "/c.md"] and folded == 2
    assert kept[0].also_in == (("/b.md", None), ("/d.md", None))


def test_the_command_line_names_where_else_a_folded_passage_is():
    from core.cli_evidence import source_line
    from core.search import Hit

    hit = Hit(doc_id="d1", path="/docs/guide.md", kind="markdown", page=None, heading="Setup", start=0, end=40,
              text="Install the tool.", score=0.03, similarity=0.7, text_rank=1,
              also_in=(("/docs/site/guide.html", None), ("/docs/guide.pdf", 3)))
    assert source_line(1, hit).endswith("also in guide.html, guide.pdf (p. 3)")


def test_one_attachment_sent_twice_in_a_mailbox_takes_one_slot_and_names_both_messages(docs, tmp_path, make_archivist):
    from tests.fixtures import mail_files as mf

    reply = mf.invoice_message(tmp_path)
    reply.replace_header("Subject", "Re: Invoice")
    box = mf.write_mbox(docs / "inbox.mbox", [mf.invoice_message(tmp_path), mf.html_message(), reply])
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()

    hits = archivist.search("When is the Halvorsen invoice 7731 due?").hits
    with_fact = [h for h in hits if mf.PDF_FACT in h.text]
    assert len(with_fact) == 1  # not once per message
    assert places(with_fact[0]) == {(str(box), 1), (str(box), 3)}


def test_a_paragraph_repeated_on_two_pages_of_one_pdf_takes_one_slot(docs, make_archivist):
    make_pdf(docs / "manual.pdf", [PUMP_HOUSE[0], TRAINING[0], PUMP_HOUSE[0]])
    archivist = make_archivist()
    archivist.add_source(docs)
    archivist.sync()

    hits = archivist.search("Where is the pump house and when was it rebuilt?").hits
    pump = [h for h in hits if "rebuilt in 2019" in h.text]
    assert len(pump) == 1 and places(pump[0]) == {(str(docs / "manual.pdf"), 1), (str(docs / "manual.pdf"), 3)}
