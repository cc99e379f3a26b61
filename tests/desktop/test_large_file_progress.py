"""A long PDF shows its own progress in the window: "manual.pdf: page 50 of 120"."""

from helpers import FILLER, make_pdf


def test_a_long_pdf_shows_its_pages_in_the_progress_bar(window, qtbot, docs):
    make_pdf(docs / "manual.pdf", [f"Page {n} of the manual. {FILLER}" for n in range(1, 121)])
    shown = []
    window.index.file_work.connect(lambda work: shown.append(window.index_progress.format()))
    with qtbot.waitSignal(window.index.sync_finished, timeout=120_000, check_params_cb=lambda f: f.files_done):
        window.add_paths([str(docs)])
    assert [text.split(" · ")[-1] for text in shown] == [
        "manual.pdf: page 50 of 120", "manual.pdf: page 100 of 120", "manual.pdf: page 120 of 120"]
    assert not window.index_progress.isVisible()
