"""House style: a LoRA adapter learnt from the user's own answers.

Retrieval keeps the facts (the sources are in every prompt); the adapter teaches only the style:
tone, structure, format. So every training example is a real Archivist turn, the prompt exactly as
the app sends it and the answer the user wants, and no example teaches a fact its sources lack.

Modules:
- examples:   the training examples (from the feedback log, refusals), validation, the split
- importing:  the user's own pairs from JSONL (OpenAI, ShareGPT, Alpaca, prompt–completion) and CSV
- grounding:  sources for imported pairs from the user's index; only the pairs they support are kept
- base_model: the exact GGUF a style is trained on and served with (sha256, prompt format)
- training, train_process, gguf_adapter: the LoRA itself, trained in a background process and
  converted to a GGUF adapter that the built-in engine and Ollama apply
- manifest, registry, verify, digests: kept versions, which one answers, and the checks that an
  adapter is intact and sits on its own base
- ollama_register: a style served by Ollama (created from the pristine base, one adapter)
- studio: the whole flow for the CLI and the window; apply: the active style on the answering engine
- compare, evaluation, gate: base vs styled, style checks, groundedness, the verdict
- side_by_side: one question answered without and with a style, from the same sources (the window's Compare)
"""
