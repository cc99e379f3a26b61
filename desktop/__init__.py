"""Archivist's desktop window (PySide6). All document work happens in core/, off the GUI thread."""
