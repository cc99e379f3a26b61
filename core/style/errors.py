"""The one error a house style raises to the user: its message says what is wrong and what to do."""


class StyleError(Exception):
    """A style cannot be registered, used or served (wrong base, damaged adapter, Ollama refused)."""
