"""Light, dark, or follow the system. Fusion with explicit palettes looks the same on every desktop."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")


def _palette(dark: bool) -> QPalette:
    p = QPalette()
    if dark:
        colors = {"Window": "#202124", "WindowText": "#e8eaed", "Base": "#17181a", "AlternateBase": "#26272b",
                  "Text": "#e8eaed", "Button": "#2d2e31", "ButtonText": "#e8eaed", "ToolTipBase": "#2d2e31",
                  "ToolTipText": "#e8eaed", "Highlight": "#4f7fd6", "HighlightedText": "#ffffff",
                  "Link": "#8ab4f8", "PlaceholderText": "#9aa0a6", "Mid": "#3c4043", "Dark": "#111111"}
    else:
        colors = {"Window": "#f6f7f9", "WindowText": "#1f2328", "Base": "#ffffff", "AlternateBase": "#f0f2f5",
                  "Text": "#1f2328", "Button": "#eceef1", "ButtonText": "#1f2328", "ToolTipBase": "#ffffff",
                  "ToolTipText": "#1f2328", "Highlight": "#2f6fde", "HighlightedText": "#ffffff",
                  "Link": "#1a56c4", "PlaceholderText": "#6e7781", "Mid": "#c9ced6", "Dark": "#a0a7b1"}
    for role, color in colors.items():
        p.setColor(getattr(QPalette.ColorRole, role), QColor(color))
    for role in ("Text", "WindowText", "ButtonText"):
        p.setColor(QPalette.ColorGroup.Disabled, getattr(QPalette.ColorRole, role), QColor("#80868b"))
    return p


def system_is_dark() -> bool:
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply(app: QApplication, theme: str) -> None:
    dark = system_is_dark() if theme not in ("light", "dark") else theme == "dark"
    app.setStyle("Fusion")
    app.setPalette(_palette(dark))
