# PyInstaller runtime hook (build.spec): runs in the frozen `archivist` and `archivist-cli`, and in
# every process they start, before the program's own code, so no library can phone home even before
# the entry point's first import (see core/privacy.py).
import core.privacy  # noqa: F401
