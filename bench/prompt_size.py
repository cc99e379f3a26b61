"""How small can the prompt be and still hold the answer? No answer model runs, only its tokenizer.

    python bench/prompt_size.py [--set main|heldout|fresh] [--model qwen2.5-coder-1.5b]

For each question of a QA set, the real pipeline builds its prompt (retrieval, re-ranking, evidence
sentences, excerpts) and stops before the model is called. Reported per prompt shape: prompt tokens
(mean, p95) in the model's own tokenizer, and how often the expected value is in the prompt, inside
a source from the expected file and page ("answer in prompt"): the ceiling for answer quality.
Shapes are tuned on the main set only; the held-out set is measured, never tuned on.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from answer_quality import SETS, at, contains_answer
from common import percentile
from core.answer import excerpts as excerpts_module
from core.answer import pipeline
from core.answer.pipeline import Retrieved, ask
from core.llm.embedded_engine import EmbeddedEngine
from qa_library import indexed_library

# (label, prompt style, passages read, best sentences kept per passage by rank: see core/answer/excerpts.py)
SHAPES = [("whole passages (k=8)", "passages", 8, (2,)), ("evidence 6 × 2", "evidence", 6, (2,)),
          ("evidence 4 × 2", "evidence", 4, (2,)), ("evidence 4 × 2+2+1", "evidence", 4, (2, 2, 1)),
          ("evidence 4 × 2+1", "evidence", 4, (2, 1)), ("evidence 3 × 2", "evidence", 3, (2,)),
          ("evidence 6 × 1", "evidence", 6, (1,)), ("evidence 4 × 1", "evidence", 4, (1,)),
          ("evidence 3 × 1", "evidence", 3, (1,))]


class TokenizerOnly:
    """The model's tokenizer and window; answering is not part of this bench."""

    def __init__(self, engine: EmbeddedEngine):
        self.engine, self.name, self.model = engine, engine.name, engine.model

    def context_length(self) -> int:
        return self.engine.context_length()

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def stream_chat(self, *_, **__):
        raise AssertionError("no answer model in this bench")


def prompt_for(archivist, engine, question: str) -> Retrieved:
    events = ask(archivist, engine, question, strict=False, k=8, max_answer_tokens=160,
                 prompt_style=pipeline_style[0])
    for event in events:
        if isinstance(event, Retrieved):
            events.close()
            return event
    raise AssertionError("no prompt was built")


pipeline_style = ["evidence"]


def measure(archivist, engine, root: Path, facts, style: str, passages: int, per_passage: tuple) -> dict:
    pipeline_style[0] = style
    pipeline.PROMPT_PASSAGES = passages
    excerpts_module.SENTENCES_PER_PASSAGE = per_passage
    tokens, held = [], 0
    for fact in facts:
        retrieved = prompt_for(archivist, engine, fact.question)
        tokens.append(retrieved.trace["prompt_tokens"])
        held += any(at(s.hit.path, s.hit.page, root, fact) and contains_answer(s.excerpt or s.hit.text, fact.answers)
                    for s in retrieved.sources)
    return {"tokens_mean": round(statistics.fmean(tokens)), "tokens_p95": round(percentile(tokens, 95)),
            "answer_in_prompt": round(held / len(facts), 3)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--set", dest="qa_set", default="main", choices=sorted(SETS))
    parser.add_argument("--model", default="qwen2.5-coder-1.5b", help="whose tokenizer counts")
    args = parser.parse_args()
    library = SETS[args.qa_set]
    engine = EmbeddedEngine(args.model)
    archivist, root, shape, sync_s = indexed_library(build_library=library.build)
    defaults = (pipeline.PROMPT_PASSAGES, excerpts_module.SENTENCES_PER_PASSAGE)
    try:
        print(f"QA set {args.qa_set} ({len(library.FACTS)} questions), tokens of {engine.model}; synced in {sync_s} s")
        for label, style, passages, per_passage in SHAPES:
            row = measure(archivist, TokenizerOnly(engine), root, library.FACTS, style, passages, per_passage)
            print(f"  {label:22} prompt tokens mean {row['tokens_mean']:5}, p95 {row['tokens_p95']:5}; "
                  f"answer in prompt {100 * row['answer_in_prompt']:.1f}%", flush=True)
        print(f"(the pipeline's default: {defaults[0]} passages × {'+'.join(map(str, defaults[1]))} sentences)")
    finally:
        archivist.close()
        engine.close()


if __name__ == "__main__":
    main()
