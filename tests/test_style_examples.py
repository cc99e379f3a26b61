"""House-style examples: from a real feedback log on disk, from real files in every layout, grounded in
a real index (fastembed, LanceDB) with the built-in engine's tokenizer; refusals, validation, split."""

from __future__ import annotations

import codecs
import json
import sqlite3

import pytest

from core import layout
from core.answer.check import Evidence, extract_claims
from core.answer.pipeline import Answered, Retrieved, ask
from core.answer.prompt import NOT_FOUND, SYSTEM_PROMPT, NumberedSource, build_prompt, quote, user_turn
from core.conversations import ConversationStore
from core.feedback import FeedbackLog
from core.history import rate_answer, save_answer
from core.llm.base import ChatMessage
from core.llm.embedded_engine import EmbeddedEngine
from core.search import Hit
from core.style.examples import (MIN_EXAMPLES, StyleExample, dataset_sha256, from_feedback, refusals, split,
                                 validate)
from core.style.grounding import ground_imported
from core.style.importing import ImportedPair, read_pairs
from helpers import FACTS, FILLER, synced, write


def words(text: str) -> int:  # a stand-in tokenizer where the real one is not what is tested
    return len(text.split())


def hit(text: str, name: str = "notes.md", n: int = 0) -> Hit:
    return Hit(f"d{n}", f"/docs/{name}", "text", None, "", 0, len(text), text, 0.5)


def app_turn(question: str, *texts: str) -> tuple[list[ChatMessage], tuple[str, ...]]:
    """The prompt as the app builds it for these passages, and the quoted sources in it."""
    prompt = build_prompt(question, [hit(t, n=i) for i, t in enumerate(texts)], 4096, words)
    return prompt.messages, tuple(quote(s) for s in prompt.sources)


def example(i: int, origin: str = "approved") -> StyleExample:
    """The i-th of a set of distinct facts, shaped like a real turn."""
    question = f"What does item {i} cost?"
    messages, sources = app_turn(question, f"Price list. Item {i} costs {100 + i} euros including delivery.")
    return StyleExample(messages[0].content, messages[1].content, f"Item {i} costs {100 + i} euros [1].",
                        question, origin, sources=sources)


# -- from the feedback log -------------------------------------------------------------------------

def save_and_rate(store, log, question, answer, texts, rating, ideal=None, reason=None):
    conversation = store.create()
    store.add_message(conversation.id, "user", question)
    messages, _ = app_turn(question, *texts)
    sources = build_prompt(question, [hit(t, n=i) for i, t in enumerate(texts)], 4096, words).sources
    retrieved = Retrieved(question, sources, [], True, {}, messages)
    saved = save_answer(store, conversation.id, retrieved, Answered(answer, [], "complete", "embedded", "m"))
    return rate_answer(store, log, saved.id, rating, ideal, reason), messages


def test_feedback_gives_approved_and_corrected_examples_with_their_prompts(data_dir):
    store = ConversationStore(layout.conversations_path(data_dir))
    log = FeedbackLog(layout.feedback_path(data_dir))
    try:
        texts = ("Refunds. The refund window for Acme widgets is 30 days from delivery.", FILLER)
        _, up = save_and_rate(store, log, "How long is the refund window?", "30 days [2].", texts, 1)
        save_and_rate(store, log, "What encrypts a Zephyr packet?", "A rotating session key.", (FILLER, FACTS[2]), 1)
        save_and_rate(store, log, "Who sleeps on the rack?", "Nobody.", (FACTS[3],), -1)  # no correction
        save_and_rate(store, log, "Where is the board meeting?", "In Porto.", (FACTS[4],), 0)
        fixed, _ = save_and_rate(store, log, "Who got invoice INV-2024-0042?", "Acme [1].", (FACTS[1],), -1,
                                 ideal="**Globex Corporation**.", reason="wrong customer; bold the name")
    finally:
        store.close()
        log.close()
    log = FeedbackLog(layout.feedback_path(data_dir))  # reopened: all of it was on disk
    try:
        examples = from_feedback(log)
    finally:
        log.close()
    assert [(e.origin, e.answer) for e in examples] == [
        ("approved", "30 days [2]."),  # its markers kept as the model wrote them
        ("approved", "A rotating session key [2]."),  # cited for the source it rests on: the app's answers cite
        ("corrected", "**Globex Corporation** [1].")]
    approved, uncited, corrected = examples
    assert approved.messages() == up  # exactly the prompt the model answered
    assert approved.question == "How long is the refund window?" and approved.original == approved.reason == ""
    assert uncited.original == "A rotating session key."
    assert approved.sources == app_turn(approved.question, *texts)[1] and len(approved.sources) == 2
    assert (corrected.original, corrected.reason) == ("Acme [1].", "wrong customer; bold the name")
    assert corrected.sources == (quote(NumberedSource(1, hit(FACTS[1]))),)
    assert fixed.reason == "wrong customer; bold the name"


def test_a_prompt_of_another_shape_keeps_its_sources_whole(data_dir):
    log = FeedbackLog(layout.feedback_path(data_dir))
    try:
        context = "[1] /docs/report.pdf, p. 3\nThe budget for 2024 was approved in March."
        log.rate("m1", "c1", "When was the budget approved?", "In March [1].", 1, SYSTEM_PROMPT, context)
        (only,) = from_feedback(log)
    finally:
        log.close()
    assert only.sources == (context,) and only.user.startswith(context)


def test_an_answer_rated_under_older_instructions_is_trained_with_todays(data_dir):
    """Training and serving prompts are the same bytes: an answer rated under an older system
    prompt (an earlier version of the app) becomes an example with the one the app sends now."""
    log = FeedbackLog(layout.feedback_path(data_dir))
    try:
        _, sources = app_turn("How long is the refund window?", FACTS[0])
        context = "\n\n".join(sources)
        log.rate("m1", "c1", "How long is the refund window?", "30 days [1].", 1, "Answer from the sources.", context,
                 user_prompt=user_turn(sources, "How long is the refund window?"))
        (only,) = from_feedback(log)
    finally:
        log.close()
    assert only.system == SYSTEM_PROMPT and only.sources == sources


# The feedback table as version 1 made it (before "reason").
V1_SCHEMA = """
CREATE TABLE feedback (message_id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, question TEXT NOT NULL,
    answer TEXT NOT NULL, rating INTEGER NOT NULL CHECK (rating IN (-1, 0, 1)), system_prompt TEXT NOT NULL,
    context TEXT NOT NULL, user_prompt TEXT NOT NULL, citations TEXT NOT NULL DEFAULT '[]', ideal_answer TEXT,
    created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE INDEX feedback_by_conversation ON feedback(conversation_id);
PRAGMA user_version = 1;
"""


def test_the_schema_migration_keeps_old_rows(tmp_path):
    path = tmp_path / "feedback.sqlite"
    old = sqlite3.connect(path)
    old.executescript(V1_SCHEMA)
    old.execute("INSERT INTO feedback VALUES ('m1', 'c1', 'Q?', 'A [1].', -1, 'sys', 'ctx', 'ctx\n\nQuestion: Q?',"
                " '[{\"n\": 1}]', 'Better [1].', 1.0, 2.0)")
    old.commit()
    old.close()
    for _ in range(2):  # migrated once; opening again changes nothing
        log = FeedbackLog(path)
        try:
            row = log.get("m1")
            assert (row.question, row.answer, row.rating, row.ideal_answer, row.citations, row.reason) == \
                   ("Q?", "A [1].", -1, "Better [1].", [{"n": 1}], None)
        finally:
            log.close()
    log = FeedbackLog(path)
    try:
        assert log.set_ideal("m1", "Best [1].", "  too vague ").reason == "too vague"
        assert log.set_ideal("m1", "Best again [1].").reason is None  # the reason belongs to its correction
        assert log.set_ideal("m1", "Once more.", "why").reason == "why"
        assert log.set_ideal("m1", "  ", "why").reason is None  # no correction, no reason
    finally:
        log.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == 2
        assert "reason" in [c[1] for c in db.execute("PRAGMA table_info(feedback)")]


# -- importing ------------------------------------------------------------------------------------

def lines(*records) -> str:
    return "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"


def test_jsonl_in_every_layout_and_each_bad_line_reported_by_number(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text(lines(
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Q1?"},
                      {"role": "assistant", "content": [{"type": "text", "text": "A1."}]}]},
        {"conversations": [{"from": "human", "value": "Q2?"}, {"from": "gpt", "value": "A2."},
                           {"from": "human", "value": "Q3?"}, {"from": "gpt", "value": "A3."}]},
        '{"instruction": "Q4", "output": ',  # cut short
        {"instruction": "Summarise the note", "input": "Ship on Monday.", "output": "Monday."},
        "",
        {"prompt": "Q5?", "completion": "A5.\r\nSecond line."},
        {"prompt": [{"role": "system", "content": "s"}, {"role": "user", "content": "Q6?"}],
         "completion": [{"role": "assistant", "content": "A6."}]},
        [1, 2],
        {"question": "Q?", "reply": "A."},
        {"messages": [{"role": "bot", "content": "Hi"}]},
        {"messages": [{"role": "user", "content": "Q?"}]},
        {"instruction": "Q8", "output": "   "},
        {"prompt": "Q9", "completion": 42},
    ), encoding="utf-8")
    with path.open("ab") as f:
        f.write(b'{"prompt": "Q\xe9?", "completion": "A."}\n{"prompt": "Q10?", "completion": "A10."}\n')
    pairs, problems = read_pairs(path)
    assert [(p.question, p.answer, p.where) for p in pairs] == [
        ("Q1?", "A1.", "pairs.jsonl line 1"),
        ("Q2?", "A2.", "pairs.jsonl line 2, exchange 1"), ("Q3?", "A3.", "pairs.jsonl line 2, exchange 2"),
        ("Summarise the note\n\nShip on Monday.", "Monday.", "pairs.jsonl line 4"),
        ("Q5?", "A5.\nSecond line.", "pairs.jsonl line 6"),
        ("Q6?", "A6.", "pairs.jsonl line 7"),
        ("Q10?", "A10.", "pairs.jsonl line 15")]
    said = {p.where.removeprefix("pairs.jsonl line "): p.message for p in problems}
    assert said.keys() == {"3", "8", "9", "10", "11", "12", "13", "14"}
    assert said["3"].startswith("is not valid JSON: Expecting value at column 33")
    assert said["8"] == "is a JSON list, not an object"
    assert said["9"].startswith('has no known layout') and '"question", "reply"' in said["9"]
    assert said["10"].startswith('"messages" message 1 has the role "bot"')
    assert said["11"] == '"messages" has no user question followed by an assistant answer'
    assert said["12"] == "the answer is empty"
    assert said["13"] == '"completion" is neither text nor a list of messages'
    assert said["14"] == "is not valid JSON: not UTF-8 text (byte 14)"
    assert str(problems[0]) == f"pairs.jsonl line 3: {said['3']}"


def test_a_json_array_and_a_file_that_cannot_be_read(tmp_path):
    path = tmp_path / "alpaca.json"
    path.write_text(json.dumps([{"instruction": "Q1", "input": "", "output": "A1"}, {"output": "A2"}]))
    pairs, problems = read_pairs(path)
    assert [(p.question, p.where) for p in pairs] == [("Q1", "alpaca.json item 1")]
    assert [str(p) for p in problems] == ['alpaca.json item 2: has no known layout: expected "messages" (OpenAI '
                                          'chat), "conversations" (ShareGPT), "instruction" and "output" (Alpaca) '
                                          'or "prompt" and "completion"; its keys are "output"']
    path.write_text('[\n {"prompt": "Q", "completion": "A"},\n {"prompt": }\n]')
    assert [str(p) for p in read_pairs(path)[1]] == [
        "alpaca.json: is not a valid JSON array: Expecting value at column 13 of line 3"]
    path = tmp_path / "pairs.jsonl"  # JSON Lines whose first record is bad: not mistaken for an array
    path.write_text(lines([1, 2], {"prompt": "Q", "completion": "A"}))
    assert [(p.question, p.where) for p in read_pairs(path)[0]] == [("Q", "pairs.jsonl line 2")]
    pairs, problems = read_pairs(tmp_path / "missing.csv")
    assert pairs == [] and [str(p) for p in problems] == ["missing.csv: cannot be read: No such file or directory"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_dialects(tmp_path, delimiter):
    d = delimiter
    text = (f"Question{d}Answer{d}Notes\r\n"
            f'"How long{d} really?"{d}"30 days{d} from ""delivery"".\nSee the policy."{d}x\r\n'
            f"\r\n"
            f"Q2{d}A2\r\n")
    path = tmp_path / "pairs.csv"
    path.write_bytes(text.encode("utf-8"))
    pairs, problems = read_pairs(path)
    assert problems == []
    assert [(p.question, p.answer, p.where) for p in pairs] == [
        (f"How long{d} really?", f'30 days{d} from "delivery".\nSee the policy.', "pairs.csv line 2"),
        ("Q2", "A2", "pairs.csv line 5")]


@pytest.mark.parametrize("encoding, bom", [("utf-8", codecs.BOM_UTF8), ("utf-8", b""), ("cp1252", b""),
                                           ("utf-16-le", codecs.BOM_UTF16_LE)])
def test_csv_encodings(tmp_path, encoding, bom):
    path = tmp_path / "pairs.csv"
    path.write_bytes(bom + "prompt;response\nCafé prices?;Espresso costs 2 € – or £2.\n".encode(encoding))
    pairs, problems = read_pairs(path)
    assert problems == [] and [(p.question, p.answer) for p in pairs] == [("Café prices?",
                                                                          "Espresso costs 2 € – or £2.")]


def test_csv_header_names_and_bad_rows(tmp_path):
    path = tmp_path / "alpaca.csv"
    path.write_text("instruction,input,output\nSummarise,Ship on Monday.,Monday.\nQ2,,A2,extra\n,,A3\nQ4,,\n"
                    "Q5,,A5\n", encoding="utf-8")
    pairs, problems = read_pairs(path)
    assert [(p.question, p.answer, p.where) for p in pairs] == [
        ("Summarise\n\nShip on Monday.", "Monday.", "alpaca.csv line 2"), ("Q5", "A5", "alpaca.csv line 6")]
    assert [str(p) for p in problems] == [
        "alpaca.csv line 3: has 4 fields but the header has 3: is there an unquoted comma in the text? "
        "Put that field in double quotes",
        "alpaca.csv line 4: the question is empty", "alpaca.csv line 5: the answer is empty"]
    path.write_text("id,text\n1,hello\n", encoding="utf-8")
    assert [str(p) for p in read_pairs(path)[1]] == [
        'alpaca.csv: has no question and answer columns (its first line is "id", "text"): name them in a header '
        'row, "question" and "answer" (or "prompt" and "response", "instruction" and "output")']


# -- grounding in the user's index ------------------------------------------------------------------

@pytest.fixture(scope="module")
def engine():
    engine = EmbeddedEngine(n_ctx=2048)
    yield engine
    engine.close()


@pytest.fixture
def indexed(docs, make_archivist):
    write(docs / "policy.md", f"# Policies\n\n{FILLER}\n\n{FACTS[0]}\n\n{FILLER}\n")
    write(docs / "finance.md", f"# Finance\n\n{FILLER}\n\n{FACTS[1]}\n")
    return synced(make_archivist, docs)


def test_grounding_keeps_a_pair_whose_facts_are_in_the_documents_and_drops_the_others(indexed, engine):
    refund = "How long is the refund window for Acme widgets?"
    pairs = [ImportedPair(refund, "You have 30 days from delivery. Happy to help!", "pairs.csv line 2"),
             ImportedPair(refund, "You have 45 days.", "pairs.csv line 3"),
             ImportedPair("Who was invoice INV-2024-0042 issued to?", "Globex Corporation, 1,250 euros [7].",
                          "pairs.csv line 4"),
             ImportedPair("What is the capital of Mongolia?", "Ulaanbaatar.", "pairs.csv line 5")]
    done = []
    kept, dropped = ground_imported(pairs, indexed, engine.count_tokens, engine.context_length(),
                                    progress=done.append)
    assert done == [1, 2, 3, 4]
    assert [str(p) for p in dropped[:1]] == ["pairs.csv line 3: its facts are not in your documents: 45 days"]
    assert dropped[1].where == "pairs.csv line 5" and "nothing on this question" in dropped[1].message
    first, invoice = kept
    assert first.origin == "imported" and first.original == pairs[0].answer
    assert first.answer == "You have 30 days from delivery [1]. Happy to help!"  # cited as the app cites
    assert "30 days from delivery" in first.sources[0]
    assert invoice.answer == "Globex Corporation, 1,250 euros [1]." and "INV-2024-0042" in invoice.sources[0]
    for kept_example in kept:  # the prompt is the one the app sends for this question, to the byte
        events = ask(indexed, engine, kept_example.question)
        retrieved = next(e for e in events if isinstance(e, Retrieved))
        events.close()
        assert kept_example.messages() == retrieved.messages
        assert kept_example.user == user_turn(kept_example.sources, kept_example.question)


# -- refusals --------------------------------------------------------------------------------------

def test_refusals_come_at_the_rate_asked_with_sources_that_lack_the_answer():
    examples = [example(i) for i in range(18)]
    made = refusals(examples, rate=0.1)
    assert len(made) == 2 and made == refusals(examples, rate=0.1)  # 2 of 20: 10 %; the same every time
    assert len(refusals(examples, rate=0.25)) == 6 and refusals(examples, rate=0) == []
    questions = {e.question: e for e in examples}
    for refusal in refusals(examples, rate=0.25):
        asked = questions[refusal.question]  # a real question of the set …
        assert (refusal.origin, refusal.answer, refusal.system) == ("refusal", NOT_FOUND, SYSTEM_PROMPT)
        assert refusal.sources != asked.sources and any(refusal.sources == e.sources for e in examples)
        assert not any(Evidence(*refusal.sources).supports(c) for c in extract_claims(asked.answer))
        assert refusal.user == user_turn(refusal.sources, refusal.question)
    with_one = examples + [StyleExample(SYSTEM_PROMPT, "u", NOT_FOUND, "What is item 99?", "approved")]
    assert len(refusals(with_one, rate=0.1)) == 1  # a refusal already in the set counts


def test_no_refusal_from_sources_that_hold_the_answer():
    first = example(1)
    messages, sources = app_turn("How much is item one, delivered?", "Order form: item 1 costs 101 euros.")
    same_fact = StyleExample(messages[0].content, messages[1].content, "101 euros [1].",
                             "How much is item one, delivered?", "approved", sources=sources)
    assert refusals([first, same_fact], rate=0.5) == []  # each one's sources hold the other's answer
    made = refusals([first, same_fact, example(2)], rate=0.5)
    assert made and all(r.sources == example(2).sources or r.question == example(2).question for r in made)


# -- validation, split, hash ---------------------------------------------------------------------

def test_validation_says_what_is_wrong_and_how_many_more_are_needed(engine):
    good = [example(i) for i in range(5)]
    long_answer = StyleExample(good[0].system, good[0].user, "word " * 3000, "Tell me everything", "approved")
    examples = good + [
        StyleExample(good[0].system, good[0].user, "  ", "What does item 9 cost?", "corrected"),
        StyleExample(*[getattr(good[1], f) for f in ("system", "user", "answer", "question")], "imported"),
        long_answer, *refusals(good, rate=0.5)]
    kept, problems = validate(examples, engine.count_tokens, engine.context_length())
    assert kept == good + examples[-5:]
    messages = [str(p) for p in problems]
    assert messages[:2] == ['example 6 ("What does item 9 cost?"): the answer is empty',
                            'example 7 ("What does item 1 cost?"): the same question and answer as example 2']
    assert messages[2].startswith('example 8 ("Tell me everything"): too long for the model\'s window: ')
    assert messages[2].endswith("tokens, the window holds 2,048 (shorten the answer or the sources)")
    assert messages[3] == (f"5 usable examples (refusals not counted) are too few to learn a style from: "
                           f"{MIN_EXAMPLES - 5} more are needed (at least {MIN_EXAMPLES})")
    assert validate([example(i) for i in range(20)], words, 4096) == ([example(i) for i in range(20)], [])


def test_split_is_deterministic_and_keeps_a_question_on_one_side():
    examples = [example(i) for i in range(20)]
    examples += refusals(examples, rate=0.2)
    train, held = split(examples)
    assert (train, held) == split(examples) and split(examples, seed=1) != (train, held)
    assert len(held) in (5, 6) and len(train) + len(held) == len(examples)
    assert [e for e in examples if e in train] == train  # the given order is kept
    assert not {e.question for e in train} & {e.question for e in held}
    for n, held_out in ((4, 1), (5, 1), (7, 1), (10, 2)):
        assert len(split([example(i) for i in range(n)])[1]) == held_out
    assert split([example(0)]) == ([example(0)], [])


def test_dataset_hash_is_of_the_exact_ordered_set():
    examples = [example(i) for i in range(3)]
    digest = dataset_sha256(examples)
    assert len(digest) == 64 and digest == dataset_sha256([example(i) for i in range(3)])
    assert dataset_sha256(examples[::-1]) != digest
    changed = StyleExample(**{**examples[0].__dict__, "answer": examples[0].answer + " "})
    assert dataset_sha256([changed, *examples[1:]]) != digest


@pytest.mark.parametrize("count", [20, 60, 134])
def test_both_sides_of_the_split_keep_the_refusals_share(count):
    """Training must see refusals at the rate the app makes them: the split once held out exactly
    the questions the refusals had been made for (both drew the same seeded shuffle), so training
    saw none."""
    examples = [example(i) for i in range(count)]
    examples += refusals(examples, rate=0.1)
    made = sum(e.origin == "refusal" for e in examples)
    train, held = split(examples)
    in_train = sum(e.origin == "refusal" for e in train)
    assert made >= 2 and in_train >= round(0.8 * made) - 1, (made, in_train)
    assert sum(e.origin == "refusal" for e in held) <= made - in_train
    assert not {e.question for e in train} & {e.question for e in held}
