"""Distinct real text for the mixed folder: paragraphs of the standard library's docstrings and of the
Python reference's help topics that ship with it (pydoc_data), each used once; and rows of tabular
data whose values are drawn so that no two rows are alike."""

from __future__ import annotations

import importlib
import io
import random
import re
import warnings
from contextlib import redirect_stderr, redirect_stdout

from corpus import MODULES
from mixed_facts import LAST, Entities
from ocr import english_paragraphs

_NOT_IMPORTED = {"antigravity", "this", "idlelib", "tkinter", "turtle", "turtledemo"}  # side effects or a GUI


def stdlib_modules() -> list[str]:
    names = []
    for name in MODULES:
        if name in _NOT_IMPORTED:
            continue
        try:
            with warnings.catch_warnings(), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                warnings.simplefilter("ignore")
                importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - a module this platform lacks
            continue
        names.append(name)
    return names


def reference_paragraphs(min_words: int = 12) -> list[str]:
    """Prose paragraphs of the language reference's help topics (no code blocks, no lists)."""
    from pydoc_data.topics import topics

    found = []
    for text in topics.values():
        for block in re.split(r"\n\s*\n", text):
            lines = block.split("\n")
            if any(line.startswith("   ") for line in lines) and not all(line.startswith("   ") for line in lines):
                continue  # a code block or a nested list
            words = block.split()
            if (len(words) >= min_words and ">>>" not in block and not block.rstrip().endswith("::")
                    and sum(c.isalpha() for c in block) > 0.75 * len("".join(words))
                    and all(ord(c) < 256 for c in block)):  # Helvetica (WinAnsi) renders it: scans stay exact
                found.append(" ".join(words))
    return found


class Prose:
    """Paragraphs drawn without replacement; raises when the folder asks for more than there is."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        paras = english_paragraphs(stdlib_modules(), min_words=12) + reference_paragraphs()
        self.paras = list(dict.fromkeys(paras))
        rng.shuffle(self.paras)
        self.spare: list[str] = []

    def para(self, max_chars: int = 1200) -> str:
        for i in range(len(self.paras) - 1, -1, -1):
            if len(self.paras[i]) <= max_chars:
                return self.paras.pop(i)
        raise SystemExit("not enough distinct text for a folder this size: lower --scale")

    def text(self, chars: int) -> list[str]:
        """Paragraphs adding up to about ``chars`` characters."""
        out: list[str] = []
        while sum(map(len, out)) < chars:
            out.append(self.para(max(200, chars - sum(map(len, out)) + 200)))
        return out

    def sentences(self, count: int, max_chars: int = 160) -> list[str]:
        """Short sentences (bullets, notes), taken in turn from fresh paragraphs."""
        while len(self.spare) < count:
            self.spare += [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", self.para())
                           if 20 <= len(s) <= max_chars and s.endswith(".")]
        out, self.spare = self.spare[:count], self.spare[count:]
        return out


WORKS = ["roof survey", "network upgrade", "kitchen refit", "boiler replacement", "facade cleaning",
         "lift inspection", "window repairs", "parking resurfacing", "solar panels", "fire alarm test",
         "server move", "floor sanding", "garden design", "security audit", "data migration"]
STREETS = ["Street", "Road", "Lane", "Avenue", "Quay", "Square", "Hill", "Row"]
MATERIALS = ["Copper", "Brass", "Galvanised steel", "Stainless steel", "PVC", "Aluminium", "Cast iron", "Oak",
             "Polyethylene", "Nylon", "Ceramic", "Rubber"]
THINGS = ["elbow", "valve", "bracket", "hinge", "flange", "gasket", "coupling", "bolt", "clamp", "pipe",
          "washer", "tee joint", "end cap", "spacer"]
ROLES = ["buyer", "site manager", "accountant", "lawyer", "account manager", "engineer", "HR contact",
         "project lead", "quality inspector", "dispatcher"]


class Rows:
    """Tabular data with distinct values (a row is never a copy of another)."""

    def __init__(self, entities: Entities):
        self.e, self.rng = entities, entities.rng
        self.used: set = set()

    def _unique(self, make):
        for _ in range(1000):
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value
        raise SystemExit("the tables ran out of distinct values for a folder this size: lower --scale")

    def invoice(self, customers: list[str]) -> dict:
        r = self.rng
        customer, project = self._unique(lambda: (r.choice(customers),
                                                  f"{r.choice(WORKS)} at {r.choice(LAST)} {r.choice(STREETS)}"))
        self.e.invoice += r.randint(1, 9)
        return {"Invoice": f"INV-{self.e.invoice}", "Customer": customer, "Project": project,
                "Hours": r.randint(2, 160), "Rate": r.choice([45, 60, 72.5, 85, 95, 110, 125]),
                "Due": self.e.date(2025)}

    def contact(self, companies: list[str]) -> dict:
        r = self.rng
        name, company = self.e.take("person"), r.choice(companies)
        first, last = name.lower().split(" ", 1)
        domain = re.sub(r"[^a-z]", "", company.lower().split()[0]) + ".example"
        return {"Name": name, "Company": company, "Role": r.choice(ROLES),
                "Phone": f"+{r.randint(30, 49)} {r.randint(100, 999)} {r.randint(100, 999)} {r.randint(1000, 9999)}",
                "Email": f"{first}.{last}@{domain}"}

    def item(self) -> str:
        r = self.rng
        return self._unique(lambda: f"{r.choice(MATERIALS)} {r.choice(THINGS)} {r.choice([6, 8, 10, 12, 15, 20, 25, 32, 40, 50])} mm")

    def shelf(self) -> str:
        r = self.rng
        return self._unique(lambda: f"{r.choice('ABCDEFGH')}-{r.randint(1, 40):02d}-{r.randint(1, 6)}")

    def shipment(self, senders: list[str], cities: list[str]) -> dict:
        r = self.rng
        sender, city = self._unique(lambda: (r.choice(senders), r.choice(cities)))
        return {"Tracking": self._unique(lambda: f"TR{r.randint(10 ** 9, 10 ** 10 - 1)}"), "Sender": sender,
                "Destination": city, "Weight (kg)": round(r.uniform(0.2, 48), 1), "Shipped": self.e.date(2025)}
