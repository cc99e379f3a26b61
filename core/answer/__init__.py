"""Answering questions from the index: prompt building, streaming, citations, strict mode."""
