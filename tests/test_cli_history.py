"""archivist-cli summarize, conversations and feedback, as a user runs them (built-in engine)."""

import json

import pytest

from test_cli_answers import cli, indexed, odd_names  # noqa: F401 - the same indexed folder fixtures


def run_json(*args, data_dir):
    out = cli(*args, "--json", data_dir=data_dir)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return json.loads(out.stdout)


def test_an_answer_is_saved_rated_corrected_and_exported_as_a_training_pair(indexed, data_dir, tmp_path):
    asked = run_json("ask", "--engine", "embedded", "Who was invoice INV-2024-0042 issued to?", data_dir=data_dir)
    message = asked["message_id"]
    assert run_json("feedback", "down", message[:6], data_dir=data_dir)["rating"] == -1
    fixed = cli("feedback", "ideal", message[:6], "Globex Corporation [1].", data_dir=data_dir)
    assert fixed.returncode == 0 and b"ideal answer saved" in fixed.stdout

    pairs = tmp_path / "pairs.jsonl"
    assert cli("feedback", "export", pairs, data_dir=data_dir).returncode == 0
    (pair,) = [json.loads(line) for line in pairs.read_text().splitlines()]
    system, user, assistant = pair["messages"]
    assert system["role"] == "system" and "numbered sources" in system["content"]
    assert "INV-2024-0042" in user["content"] and '<source id="1"' in user["content"]  # the prompt as sent
    assert assistant == {"role": "assistant", "content": "Globex Corporation [1]."}


def test_conversations_are_listed_renamed_exported_and_deleted(indexed, data_dir, tmp_path):
    cli("ask", "--engine", "embedded", "How long is the refund window for Acme widgets?", data_dir=data_dir)
    (listed,) = run_json("conversations", data_dir=data_dir)
    assert listed["title"].startswith("How long is the refund window") and listed["message_count"] == 2
    short = listed["id"][:6]
    assert cli("conversations", "rename", short, "Refund rules", data_dir=data_dir).returncode == 0
    md = tmp_path / "refunds.md"
    assert cli("conversations", "export", short, "-o", md, data_dir=data_dir).returncode == 0
    text = md.read_text()
    assert text.startswith("# Refund rules") and "handbook.pdf, p. 2" in text
    exported = run_json("conversations", "export", short, "--format", "json", data_dir=data_dir)
    assert exported["messages"][1]["citations"][0]["page"] == 2
    assert cli("conversations", "delete", short, data_dir=data_dir).returncode == 0
    assert run_json("conversations", data_dir=data_dir) == []
    missing = cli("conversations", "show", short, data_dir=data_dir)
    assert missing.returncode == 1 and b"no conversation id starts with" in missing.stderr


def test_an_answer_citing_a_name_that_is_not_utf8_is_exported_with_it(odd_names, data_dir, tmp_path):
    cafe, _ = odd_names
    asked = run_json("ask", "--engine", "embedded", "How long is the refund window for Acme widgets?",
                     data_dir=data_dir)
    short = asked["conversation_id"][:6]
    exported = run_json("conversations", "export", short, "--format", "json", data_dir=data_dir)
    assert exported["messages"][1]["citations"][0]["path"] == cafe  # exact: it opens the file
    md = tmp_path / "answer.md"
    assert cli("conversations", "export", short, "-o", md, data_dir=data_dir).returncode == 0
    assert "caf\ufffd.md" in md.read_text(encoding="utf-8")  # readable text, one mark per odd byte
    assert run_json("feedback", "up", asked["message_id"][:6], data_dir=data_dir)["rating"] == 1
    pairs = tmp_path / "pairs.jsonl"
    assert cli("feedback", "export", pairs, data_dir=data_dir).returncode == 0
    (pair,) = [json.loads(line) for line in pairs.read_text(encoding="utf-8").splitlines()]
    assert 'from="caf\ufffd.md, section' in pair["messages"][1]["content"]  # the prompt as the model read it


def test_summarize_reads_the_whole_file_and_names_unindexed_ones(indexed, data_dir):
    result = run_json("summarize", "--engine", "embedded", indexed / "handbook.pdf", data_dir=data_dir)
    assert result["status"] == "complete" and result["task"] == "summary" and result["text"]
    assert result["passages"] >= 1 and result["files"] == [str(indexed / "handbook.pdf")]
    out = cli("summarize", indexed / "nowhere.pdf", data_dir=data_dir)
    assert out.returncode == 1 and b"not indexed" in out.stderr and b"nowhere.pdf" in out.stderr


def test_an_answer_saved_without_its_prompt_cannot_be_rated(tmp_path):
    from core.conversations import ConversationStore
    from core.feedback import FeedbackLog
    from core.history import NotRateable, rate_answer

    store, log = ConversationStore(tmp_path / "c.sqlite"), FeedbackLog(tmp_path / "f.sqlite")
    conv = store.create()
    question = store.add_message(conv.id, "user", "Old question?")
    answer = store.add_message(conv.id, "assistant", "Old answer.", trace={"query": "Old question?"})
    with pytest.raises(NotRateable, match="without the prompt"):
        rate_answer(store, log, answer.id, 1)
    with pytest.raises(NotRateable, match="only answers"):
        rate_answer(store, log, question.id, 1)
    with pytest.raises(KeyError):
        rate_answer(store, log, "no-such-id", 1)
    store.close()
    log.close()
