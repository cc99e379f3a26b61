"""The question box: Enter sends, Shift+Enter breaks the line, Esc and the button stop an answer."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.composer import PLACEHOLDER, Composer

# The offscreen platform warns whenever a window's size constraints change, as they do when the
# input grows; on a real desktop they simply go to the window manager.
pytestmark = pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints")


@pytest.fixture
def composer(qtbot):
    widget = Composer()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_enter_sends_and_clears(qtbot, composer):
    qtbot.keyClicks(composer.input, "What changed in 2023?")
    with qtbot.waitSignal(composer.submitted) as signal:
        qtbot.keyClick(composer.input, Qt.Key.Key_Return)
    assert signal.args == ["What changed in 2023?"]
    assert composer.text() == ""


def test_shift_enter_inserts_a_new_line(qtbot, composer):
    qtbot.keyClicks(composer.input, "first")
    with qtbot.assertNotEmitted(composer.submitted):
        qtbot.keyClick(composer.input, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.input, "second")
    assert composer.text() == "first\nsecond"
    with qtbot.waitSignal(composer.submitted) as signal:
        qtbot.keyClick(composer.input, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert signal.args == ["first\nsecond"]


def test_blank_input_is_not_sent(qtbot, composer):
    qtbot.keyClicks(composer.input, "   ")
    assert not composer.send_button.isEnabled()
    with qtbot.assertNotEmitted(composer.submitted):
        qtbot.keyClick(composer.input, Qt.Key.Key_Return)
        composer.send_button.click()
    assert composer.text() == "   "


def test_the_input_grows_up_to_six_lines(qtbot, composer):
    one_line = composer.input.height()
    composer.set_text("line\n" * 3 + "line")
    qtbot.wait(10)
    four_lines = composer.input.height()
    composer.set_text("line\n" * 30)
    qtbot.wait(10)
    capped = composer.input.height()
    line = composer.input.fontMetrics().lineSpacing()
    assert four_lines >= one_line + 3 * line - 2
    assert capped <= one_line + 5 * line + 4
    assert capped > four_lines


def test_busy_turns_send_into_stop(qtbot, composer):
    assert composer.send_button.text() == "Send"
    composer.set_busy(True)
    assert composer.send_button.text() == "Stop" and composer.send_button.isEnabled()
    assert composer.send_button.accessibleName() and composer.send_button.toolTip()
    with qtbot.waitSignal(composer.stop_requested):
        composer.send_button.click()
    # Typing the next question is allowed, sending it is not until the answer ends.
    qtbot.keyClicks(composer.input, "next question")
    with qtbot.assertNotEmitted(composer.submitted):
        qtbot.keyClick(composer.input, Qt.Key.Key_Return)
    assert composer.text() == "next question"
    composer.set_busy(False)
    assert composer.send_button.text() == "Send"
    with qtbot.waitSignal(composer.submitted):
        composer.send_button.click()


def test_escape_stops_only_while_busy(qtbot, composer):
    with qtbot.assertNotEmitted(composer.stop_requested):
        qtbot.keyClick(composer.input, Qt.Key.Key_Escape)
    composer.set_busy(True)
    with qtbot.waitSignal(composer.stop_requested):
        qtbot.keyClick(composer.input, Qt.Key.Key_Escape)


def test_placeholder_and_accessible_names(composer):
    assert composer.input.placeholderText() == PLACEHOLDER == "Ask about your documents…"
    assert composer.input.accessibleName() and composer.send_button.accessibleName()
