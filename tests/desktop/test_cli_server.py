"""The window answers archivist-cli's searches from the index it holds open (core/ipc)."""

from core.config import Settings
from core.ipc import channel
from core.ipc.client import ask_instance
from helpers import FACTS, write


def test_the_window_answers_the_command_line_while_open(qtbot, data_dir, docs, embedder):
    from desktop.index_backend import IndexBackend
    from desktop.tasks import Tasks

    write(docs / "finance.md", f"# Finance\n\n{FACTS[1]}")
    tasks = Tasks()
    index = IndexBackend(tasks, Settings(data_dir=data_dir), embedder=embedder)
    with qtbot.waitSignal(index.opened, timeout=60_000):
        index.open()
    try:
        with qtbot.waitSignal(index.sync_finished, timeout=120_000, check_params_cb=lambda f: f.files_done):
            index.add_paths([str(docs)])
        reply = ask_instance(data_dir, ["search", "Globex invoice"], str(docs))
    finally:
        index.stop_work()
        tasks.shutdown()
        index.close()
    assert reply is not None and reply.exit_code == 0
    assert reply.served_by.startswith("the Archivist window") and "finance.md" in reply.stdout
    assert not channel.socket_path(data_dir).exists()  # gone with the window
