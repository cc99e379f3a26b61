"""A small, realistic document library for screenshots and GUI benches: PDFs with pages and an
outline, Markdown notes, plain text, one damaged and one password-protected file (so the folders
view shows what users see when a file cannot be read), and as many extra notes as asked for."""

from __future__ import annotations

import random
from pathlib import Path

import pymupdf

HANDBOOK = [
    ("Welcome", "Welcome to Acme Widgets. This handbook explains how we work with customers, how orders are "
                "shipped and what every employee should know in the first weeks."),
    ("Orders and shipping", "Orders placed before 2 pm ship the same working day from the Rotterdam warehouse. "
                            "Express delivery within the EU takes two working days; standard delivery takes five."),
    ("Refunds", "The refund window for Acme widgets is 30 days from delivery. Customers return the widget in its "
                "original packaging; the refund is paid to the original payment method within 5 working days "
                "of the return arriving. Custom-engraved widgets cannot be refunded."),
    ("Warranty", "Every widget carries a two-year warranty against manufacturing defects. The warranty does not "
                 "cover damage from misuse or from repairs by third parties."),
    ("Security", "Laptops must use full-disk encryption. Passwords are kept in the company password manager, "
                 "never in documents or e-mail. Report a lost device to IT within one hour."),
]

REPORT = [
    ("Summary", "Revenue in the third quarter was 4.2 million euros, up 12 percent on the same quarter last year. "
                "The new Rotterdam warehouse cut average delivery time from 3.1 to 2.4 days."),
    ("Costs", "Shipping costs rose 8 percent because of higher fuel surcharges. Staff costs were flat."),
    ("Outlook", "The board expects fourth-quarter revenue between 4.4 and 4.7 million euros and will decide on "
                "a second warehouse in Lyon at the December meeting."),
]

NOTES = {
    "meeting-2024-09-12.md": "# Product meeting, 12 September\n\n## Decisions\n\n- Ship the blue widget in "
                             "November.\n- Marmalade, the office cat, is banned from the server room.\n\n"
                             "## Actions\n\n- Priya drafts the launch mail by Friday.\n",
    "zephyr-protocol.md": "# The Zephyr protocol\n\nZephyr encrypts every packet with a rotating session key. "
                          "Keys rotate every 10 minutes or every 1 GB, whichever comes first.\n",
    "supplier-contacts.txt": "Main supplier: Globex Corporation, Lyon. Invoice INV-2024-0042 was issued to "
                             "Globex for 1,250 euros on 3 March 2024.\n",
}

TOPICS = ["budget", "hiring", "roadmap", "customer visit", "support rota", "office move", "training", "audit"]


def _pdf(path: Path, sections: list[tuple[str, str]], title: str) -> None:
    doc = pymupdf.open()
    toc = []
    for n, (heading, text) in enumerate(sections, 1):
        page = doc.new_page()
        page.insert_text((72, 80), heading, fontsize=18)
        page.insert_textbox(pymupdf.Rect(72, 100, 523, 760), text + "\n\n" + _filler(n), fontsize=11)
        toc.append([1, heading, n])
    doc.set_toc(toc)
    doc.set_metadata({"title": title})
    doc.save(str(path))
    doc.close()


def _filler(seed: int) -> str:
    rng = random.Random(seed)
    words = ("team customer order plan week review process quality delivery schedule update report "
             "project meeting budget goal risk owner").split()
    return " ".join(" ".join(rng.choice(words) for _ in range(12)).capitalize() + "." for _ in range(6))


def write_library(root: Path, extra_notes: int = 60) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    _pdf(root / "Employee handbook.pdf", HANDBOOK, "Acme Widgets employee handbook")
    _pdf(root / "Quarterly report Q3.pdf", REPORT, "Quarterly report, third quarter")
    for name, text in NOTES.items():
        (root / name).write_text(text, encoding="utf-8")
    (root / "scanned contract.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")  # damaged
    locked = pymupdf.open()
    locked.new_page().insert_text((72, 72), "Salaries 2024")
    locked.save(str(root / "salaries.pdf"), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret",
                owner_pw="secret")
    locked.close()
    notes = root / "notes"
    notes.mkdir(exist_ok=True)
    rng = random.Random(7)
    for n in range(extra_notes):
        topic = rng.choice(TOPICS)
        (notes / f"note-{n:04d}.md").write_text(f"# Note {n}: {topic}\n\n{_filler(n)}\n\n{_filler(n + 1000)}\n",
                                                encoding="utf-8")
    return root
