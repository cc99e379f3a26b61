"""Desktop tests run offscreen with pytest-qt; a Qt warning fails the test (pyproject: qt_log_level_fail)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
