"""False alarms on correct answers: the bench's facts (bench/qa_library.py), each answered the way
a model tends to write (paraphrased, numbers as words or digits, markers or none) must raise no flag;
the same answer with its value changed must."""

import sys
from pathlib import Path

import pytest

from core.answer.check import Evidence, check_answer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from qa_library import FACTS  # noqa: E402

FILLER = "This section describes the general procedures. It mentions nothing in particular."
CORRECT = [
    "The Halvorsen pump in Ostrava turns at 3450 rpm [1].",
    "The bearings of conveyor line B need fresh grease every 400 operating hours [1].",
    "The Ostrava emergency shutoff valve is checked on the first Monday of each quarter.",
    "The Kestrel lathe uses a 7% emulsion of Cimtech oil as coolant [2].",
    "Staff may book a first-class train ticket for journeys longer than four hours [1].",
    "The meal allowance in Germany is €28 per day [1].",
    "The maximum nightly hotel rate in London is 180 pounds [3].",
    "Expense claims must be handed in within 21 days after returning from a trip.",
    "The Borealis enzyme samples are kept in freezer F12 in room 214 [1].",
    "Protocol P-17 spins in the centrifuge for 12 minutes at 4000 g [1].",
    "Dr. Ingrid Saelen signed off on the changed buffer recipe on March 3, 2023 [1].",
    "The wash buffer's pH must stay between 7.2 and 7.4 [1].",
    "The Nordic division's revenue grew to 48.6 million euros in 2023 [2].",
    "At the close of 2023 the headcount was 1284 people [1].",
    "The Tilburg distribution centre started operating in September 2023 [1].",
    "The directors recommended a dividend of 0.42 euros per share [1].",
    "The wireless network for visitors is called \"Lighthouse-Guest\" [1].",
    "Work laptops are replaced after 4 years of service [1].",
    "The accounting server's backups are retained for 90 days [1].",
    "Marta will hand in the pricing analysis by April 15 [1].",
    "Grandma's cake needs 600 grams of damson plums [1].",
    "The apricot tree was planted in 2017 [1].",
    "Our trusted plumber, Tomasz Wierzbicki, is on extension 4471 [1].",
    "In June the reading group will discuss The Left Hand of Darkness [1].",
    "The Skoda needs a tyre pressure of 2.3 bar [1].",
    "The router's settings page is at 192.168.8.1 [1].",
    "The combination for the blue bike's lock is 5291 [1].",
    "Our home insurance policy number is HX-77812, with Baltic Mutual [1].",
    "The Vesta boiler's exhaust must not exceed 210 degrees Celsius [1].",
    "The engineers who maintain the Vesta boiler come from Thermoprag s.r.o. [1].",
    "Driving your own car on business is reimbursed at 0.30 euros per kilometre [1].",
    "On long-haul flights employees may book premium economy [1].",
    "The company achieved an operating margin of 11.4% in 2023 [1].",
    "In 2023 the company invested 7.9 million euros in total [1].",
    "An employee's password must be at least 14 characters long [1].",
    "The P-17 samples are incubated for 45 minutes at 37 degrees [1].",
    "The gearbox oil of the Halvorsen pump is replaced every 2000 hours [1].",
    "Before it warms up, the Vesta system should read 1.5 bar [1].",
    "Ella needs collecting at 1:30 pm on Fridays [1].",
    "The Skoda's next service is due at 90000 km [1].",
]


@pytest.mark.parametrize("fact, answer", list(zip(FACTS, CORRECT)), ids=[f.answers[0] for f in FACTS])
def test_a_correct_answer_raises_no_flag(fact, answer):
    result = check_answer(answer, Evidence(FILLER, fact.sentence, FILLER), given=fact.question)
    # Every answer states something checkable, except a plain phrase ("premium economy").
    assert result.flagged == () and result.checked >= (1 if any(ch.isdigit() or ch.isupper()
                                                                for ch in fact.answers[0]) else 0)


def with_value_changed(fact, answer):
    """The answer with the last digit of its value changed, when it writes the value as the fact's
    accepted form with digits; else None."""
    value = next((a for a in fact.answers if a in answer and any(ch.isdigit() for ch in a)), None)
    if value is None:
        return None
    digit = max(i for i, ch in enumerate(value) if ch.isdigit())
    changed = value[:digit] + ("8" if value[digit] == "9" else "9") + value[digit + 1:]
    return answer.replace(value, changed, 1)


WRONG = [(f, w) for f, a in zip(FACTS, CORRECT) if (w := with_value_changed(f, a))]


@pytest.mark.parametrize("fact, wrong", WRONG, ids=[w for _, w in WRONG])
def test_the_same_answer_with_its_value_changed_is_flagged(fact, wrong):
    assert check_answer(wrong, Evidence(FILLER, fact.sentence, FILLER), given=fact.question).flagged
