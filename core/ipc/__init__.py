"""The command line talking to a running Archivist (a window or `archivist-cli watch`).

The process that writes an index keeps it open, with its libraries and model loaded; a search
there takes milliseconds, where a fresh process spends seconds importing LanceDB and loading the
model. So that process listens on a Unix socket only its user can reach (``server``), and the CLI
asks it first (``client``), falling back to opening the index itself when nobody answers.
"""
