"""Path and folder filters see every file exactly: names that are not valid UTF-8 (the index shows
them with U+FFFD) and copies of one content (whose passages are stored once, under the first copy's
path). A hit found through a filter is shown under the file that matched. Real files, real index."""

import os

import pytest

from core.search import Filters
from helpers import FACTS, FILLER, synced, write, write_named

GUIDE = "# Pump house\n\nThe Zephyr pump house is inspected by the duty engineer at every shift change.\n"


@pytest.fixture
def shelf(docs, make_archivist):
    """docs/notes/café.md and docs/résumés/plan.md with Latin-1 bytes in their names, and
    docs/rêsumês/refunds.md whose name shows the same as résumés's once decoded with U+FFFD;
    docs/a/guide.md and its copy docs/b/copy.md (one content, so one set of passages)."""
    names = {
        "cafe": write_named(docs / "notes", b"caf\xe9.md", f"# Cat\n\n{FILLER}\n\n{FACTS[3]}\n"),
        "plan": write_named(docs, b"r\xe9sum\xe9s/plan.md", f"# Plan\n\n{FACTS[4]}\n\n{FILLER}\n"),
        "lookalike": write_named(docs, b"r\xeasum\xeas/refunds.md", f"# Refunds\n\n{FACTS[4]} {FACTS[0]}\n"),
        "guide": str(write(docs / "a" / "guide.md", GUIDE)),
        "copy": str(write(docs / "b" / "copy.md", GUIDE)),
        "own": str(write(docs / "b" / "own.md", f"# Invoices\n\n{FACTS[1]}\n")),
    }
    archivist = synced(make_archivist, docs)
    assert archivist.manifest.get(names["guide"]).content_hash == archivist.manifest.get(names["copy"]).content_hash
    return archivist, names


def paths(archivist, query, **filters) -> set[str]:
    hits = archivist.search(query, filters=Filters(**filters)).hits
    assert hits, f"nothing found for {query!r} with {filters}"
    return {h.path for h in hits}


def test_a_file_with_a_non_utf8_name_passes_the_file_and_folder_filters(shelf, docs):
    archivist, names = shelf
    assert paths(archivist, "office cat Marmalade", path=names["cafe"]) == {names["cafe"]}
    assert paths(archivist, "office cat Marmalade", folder=str(docs / "notes")) == {names["cafe"]}
    assert os.path.exists(names["cafe"])  # the real name, which opens the file


def test_a_folder_with_a_non_utf8_name_is_told_apart_from_one_that_shows_the_same(shelf):
    archivist, names = shelf
    resumes, lookalike = os.path.dirname(names["plan"]), os.path.dirname(names["lookalike"])
    assert resumes != lookalike and os.fsencode(resumes).decode("utf-8", "replace") == \
        os.fsencode(lookalike).decode("utf-8", "replace")
    assert paths(archivist, "quarterly board meeting Lisbon", folder=resumes) == {names["plan"]}
    assert paths(archivist, "quarterly board meeting Lisbon", folder=lookalike) == {names["lookalike"]}
    assert paths(archivist, "quarterly board meeting Lisbon", path=names["plan"]) == {names["plan"]}


def test_a_copy_is_found_through_its_own_file_and_folder_and_shown_under_it(shelf, docs):
    archivist, names = shelf
    query = "Who inspects the Zephyr pump house?"
    assert paths(archivist, query, path=names["copy"]) == {names["copy"]}
    assert names["copy"] in paths(archivist, query, folder=str(docs / "b"))
    assert names["guide"] not in paths(archivist, query, folder=str(docs / "b"))
    assert paths(archivist, query, path=names["guide"]) == {names["guide"]}
    assert names["guide"] in paths(archivist, query, folder=str(docs / "a"))
    # Unfiltered, or through a folder holding both copies: the first copy, as before.
    top = archivist.search(query).hits[0]
    assert top.path == names["guide"] and "Zephyr" in top.text
    assert archivist.search(query, filters=Filters(folder=str(docs))).hits[0].path == names["guide"]


def test_filters_still_combine_and_a_file_that_is_not_indexed_finds_nothing(shelf, docs):
    archivist, names = shelf
    query = "Who inspects the Zephyr pump house?"
    assert names["copy"] in paths(archivist, query, folder=str(docs / "b"), kinds=("markdown",))
    assert archivist.search(query, filters=Filters(folder=str(docs / "b"), kinds=("pdf",))).hits == []
    assert archivist.search(query, filters=Filters(path=str(docs / "b" / "nothing.md"))).hits == []
    assert archivist.search(query, filters=Filters(folder=str(docs / "nowhere"))).hits == []
    # A folder whose name only starts like another's is another folder.
    write(docs / "bb" / "copy.md", GUIDE)
    archivist.sync()
    assert str(docs / "bb" / "copy.md") not in paths(archivist, query, folder=str(docs / "b"))


def test_a_copy_keeps_its_place_when_the_first_copy_goes(shelf, docs):
    archivist, names = shelf
    query = "Who inspects the Zephyr pump house?"
    os.remove(names["guide"])
    archivist.sync()
    assert archivist.search(query).hits[0].path == names["copy"]
    assert archivist.search(query, filters=Filters(folder=str(docs / "a"))).hits == []
