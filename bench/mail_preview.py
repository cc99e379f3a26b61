"""Preview of a cited message in a big mailbox: time from a citation click to the message on
screen (the real PreviewPane, offscreen), in an MBOX of 3,000 messages (~30 MB, every tenth with
a PDF attached). Cold: the mailbox never seen (its messages' offsets scanned, the message parsed);
warm: another message of the same mailbox, the next message, the first one clicked again. For
comparison, the mailbox's whole parsed text as the preview showed mail before (preview_jobs.load_text).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures import mail_files as mf  # noqa: E402

WORDS = ("invoice lease shipment harbour meeting budget quarter rowing club office report notes "
         "the a of and to").split()


def write_mailbox(path: Path, count: int, cited: int) -> None:
    rng = random.Random(1)
    pdf = mf.pdf_bytes(["Cover page.", "Nothing to see on this page either."])
    messages = []
    for n in range(1, count + 1):
        paragraphs = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(40, 120))) + "."
                      for _ in range(rng.randint(10, 29))]
        msg = mf.invoice_message(path.parent) if n == cited else mf.message(f"Message {n}", "\n\n".join(paragraphs))
        if n % 10 == 0 and n != cited:
            msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"doc{n}.pdf")
        messages.append(msg)
    mf.write_mbox(path, messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    args = parser.parse_args()
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from core.parsing import parse_file
    from desktop.preview import PreviewPane
    from desktop.preview_jobs import load_text

    app = QApplication([])
    folder = Path(tempfile.mkdtemp(prefix="archivist-mail-preview-"))
    box, cited = folder / "big.mbox", args.messages - 100
    write_mailbox(box, args.messages, cited)
    started = time.perf_counter()
    sections = parse_file(str(box), ocr=False).sections  # the offsets the index has
    parse_s = time.perf_counter() - started

    def citation(text: str) -> dict:
        s = next(s for s in sections if s.text == text or s.text.endswith(text))
        return dict(path=str(box), kind="mail", page=s.page, heading=" > ".join(s.heading), start=s.start,
                    end=s.start + len(s.text), text=s.text, score=0.0)

    pane = PreviewPane()
    pane.resize(700, 800)
    pane.show()

    def timed(action) -> float:
        loop = QEventLoop()
        pane.rendered.connect(loop.quit)
        QTimer.singleShot(60_000, loop.quit)
        started = time.perf_counter()
        action()
        loop.exec()
        pane.rendered.disconnect(loop.quit)
        return (time.perf_counter() - started) * 1000

    invoice = citation(mf.PDF_FACT)
    other = citation(next(s.text for s in sections if s.page == args.messages // 2))
    cold = timed(lambda: pane.show_citation(invoice))
    assert pane.highlighted_text == mf.PDF_FACT and pane.current_page == cited, pane.message
    another = timed(lambda: pane.show_citation(other))
    following = timed(pane.next_page)
    again = timed(lambda: pane.show_citation(invoice))
    started = time.perf_counter()
    load_text(str(box), [(invoice["start"], invoice["end"], invoice["text"])])
    whole_text = (time.perf_counter() - started) * 1000
    print(f"mailbox: {args.messages} messages, {box.stat().st_size / 1e6:.1f} MB; cited message {cited} "
          f"(parse of the whole file, as the indexer does: {parse_s:.2f} s)")
    print(f"cited message on screen, cold: {cold:.0f} ms; another message of it: {another:.0f} ms; "
          f"next message: {following:.0f} ms; the first clicked again: {again:.0f} ms")
    print(f"before (the mailbox's whole parsed text, cold): {whole_text:.0f} ms")
    pane.close()
    app.processEvents()


if __name__ == "__main__":
    main()
