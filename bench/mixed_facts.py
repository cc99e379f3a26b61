"""Known facts for the mixed-folder QA set (bench/mixed_folder.py): sentences made from templates
with names and values drawn by a seed, each with a question worded as a user would ask it (other
words than the sentence's), and the place a right answer must come from.

Names are drawn without replacement within a set (a codename, a city or a person belongs to one
fact or one spreadsheet row), so every question has exactly one right place. Cities are the
time-zone database's, people and companies are combined from common first names and surnames.
"""

from __future__ import annotations

import random
import re
import string
import zoneinfo
from dataclasses import dataclass

FIRST = ["Ana", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hiroshi", "Ines", "Jonas", "Kamala",
         "Lars", "Mei", "Nikolai", "Olga", "Pedro", "Quentin", "Rosa", "Sanjay", "Tomasz", "Ulla", "Viktor",
         "Wanjiru", "Xavier", "Yusuf", "Zofia", "Amara", "Bjorn", "Carmen", "Dario", "Esther", "Felix",
         "Gustavo", "Hana", "Ivan", "Julia", "Kofi", "Leila", "Marek", "Nadia", "Oscar", "Priya"]
LAST = ["Halvorsen", "Okafor", "Novak", "Silva", "Lindqvist", "Moreau", "Kowalski", "Tanaka", "Ferreira",
        "Ozturk", "Brennan", "Castellano", "Dubois", "Eriksen", "Fontaine", "Gallagher", "Horvath", "Ibrahim",
        "Jovanovic", "Kaminski", "Lehmann", "Marchetti", "Nakamura", "Oyelaran", "Petrov", "Quiroga",
        "Rasmussen", "Sandoval", "Tremblay", "Urbanek", "Varga", "Weber", "Yilmaz", "Zielinski", "Abbott",
        "Bianchi", "Costa", "Dimitrov", "Esposito", "Fischer", "Grant", "Hughes"]
FIRMS = ["Logistics", "Marine", "Foods", "Engineering", "Textiles", "Pharma", "Print", "Energy", "Timber",
         "Glassworks", "Analytics", "Dairy", "Freight", "Optics", "Ceramics", "Robotics", "Brewing", "Steel"]
CODENAMES = ["Aurora", "Basalt", "Cormorant", "Dunlin", "Ember", "Fjord", "Garnet", "Heron", "Ibis", "Juniper",
             "Kestrel", "Lumen", "Magpie", "Nimbus", "Obsidian", "Petrel", "Quartz", "Raven", "Sorrel",
             "Tamarisk", "Umber", "Vireo", "Wren", "Xenon", "Yarrow", "Zephyr", "Alder", "Bittern", "Cobalt",
             "Damson", "Egret", "Flint", "Gannet", "Hawthorn", "Indigo", "Jasper", "Kittiwake", "Larch",
             "Merlin", "Nightjar", "Osprey", "Plover", "Rowan", "Saffron", "Teal", "Vesper", "Willow",
             "Bramble", "Curlew", "Dogwood", "Falcon", "Goshawk", "Hazel", "Kingfisher", "Linnet", "Moraine",
             "Nettle", "Oriole", "Pipit", "Redstart", "Sparrow", "Thistle", "Warbler", "Acacia", "Beryl"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

# (sentence, question). The answer is the first slot of the sentence that the question does not name.
T = [
    ("The {code} pilot in {city} starts on {date} with {n} volunteers.", "When does the {code} trial in {city} begin?"),
    ("Our maintenance contract for the {code} line with {company} is worth {money} a year.",
     "What does {company} charge per year to look after the {code} line?"),
    ("The door code for the server room at the {city} office is {digits}.",
     "What's the combination for the server room in our {city} office?"),
    ("{person} will present the {code} results at the {city} workshop.",
     "Who is going to talk about the {code} findings at the workshop in {city}?"),
    ("The lease on the {code} warehouse ends on {date}.", "When does our rental agreement for the {code} storage building expire?"),
    ("A replacement filter for the {code} air handling unit costs {money}.",
     "How much is a new filter for the {code} ventilation unit?"),
    ("The {city} team has a travel budget of {money} for {year}.", "How much can the {city} team spend on trips in {year}?"),
    ("The {code} prototype weighs {n} kilograms without its battery.", "How heavy is the {code} prototype minus the battery?"),
    ("To reach {person} in accounts payable, dial extension {digits}.", "What's {person}'s phone extension?"),
    ("The {code} audit closed with {n} findings still open.", "How many issues were left unresolved after the {code} audit?"),
    ("The board approved {money} for renovating the {city} depot.", "How much was granted for the refurbishment of the {city} depot?"),
    ("Tickets for the {code} conference in {city} cost {money} each.",
     "What does one pass to the {code} conference in {city} cost?"),
    ("Version {ver} of {code} is scheduled for release on {date}.", "When is {code} {ver} coming out?"),
    ("The {city} depot closes at {time} on Saturdays.", "Until what time can I drop things off at the {city} depot on a Saturday?"),
    ("Invoice {inv} from {company} was paid on {date}.", "When did we settle {company}'s bill {inv}?"),
    ("The {code} boiler was last serviced by {company} on {date}.", "Which firm did the most recent service on the {code} boiler?"),
    ("Parking permits for the {city} site are issued by {person}.", "Who do I ask for a parking pass at the {city} site?"),
    ("The {code} study enrolled {n} patients across {m} hospitals.", "How many patients took part in the {code} research?"),
    ("New staff spend {n} days in training on the {code} system.", "How long is the induction course for the {code} system?"),
    ("{company} grants a {n} percent discount on orders above {money}.", "What reduction does {company} give on large orders?"),
    ("The {code} bridge must be inspected every {n} months.", "How often does the {code} bridge need checking?"),
    ("The shuttle bus to the {city} campus leaves the station at {time}.",
     "What time does the bus to the {city} campus depart from the station?"),
    ("The {code} freezer is kept at minus {n} degrees Celsius.", "How cold is the {code} freezer set?"),
    ("{person} signed the {code} agreement on behalf of {company}.", "Who put their signature on the {code} contract for {company}?"),
    ("The Wi-Fi password in the {city} meeting room is {password}.", "What's the wireless key for the conference room in {city}?"),
    ("The deadline of the {code} project has moved to {date}.", "What is the new due date for {code}?"),
    ("The {city} office recycles its printer cartridges through {company}.", "Who takes back used toner from the {city} office?"),
    ("Each {code} pallet holds {n} boxes of {m} units.", "How many boxes fit on one {code} pallet?"),
    ("The insurance for the {code} fleet is policy {policy} with {company}.",
     "What's the policy number covering the {code} vehicles?"),
    ("The fire drill at the {city} office is on the first {weekday} of {month}.", "When is the {city} office's fire drill?"),
]
NAMES = ("code", "city", "person", "company")


@dataclass(frozen=True)
class Fact:
    sentence: str
    question: str
    value: str


@dataclass
class Question:
    label: str  # the kind of place, for the per-kind figures ("pptx notes", "mbox › pdf", …)
    question: str
    value: str  # the known value (shown with a miss)
    file: str  # relative to the folder
    page: int | None = None  # what the hit's page must be (sheet, slide, message, PDF page)
    heading: tuple[str, ...] = ()  # parts the hit's heading must hold (attachment name, "page 2", sheet name)
    row: int | None = None  # a spreadsheet row the hit's "rows a–b" must cover
    sentence: str = ""  # what the place says (checked against the parsed file when not read by OCR)

    def matches(self, hit, root) -> bool:
        if hit.path != str(root / self.file) or (hit.page or None) != self.page:
            return False
        parts = hit.heading.split(" > ") if hit.heading else []
        if any(part not in parts for part in self.heading):
            return False
        return self.row is None or _covers(parts[-1] if parts else "", self.row)


def _covers(rows: str, row: int) -> bool:
    found = re.fullmatch(r"rows? (\d+)(?:–(\d+))?", rows)
    return bool(found) and int(found[1]) <= row <= int(found[2] or found[1])


def cities() -> list[str]:
    """The cities the time-zone database is named after (not "US/Mountain" or "Etc/Zulu")."""
    regions = ("Africa/", "America/", "Asia/", "Atlantic/", "Europe/", "Indian/", "Pacific/")
    names = {zone.rsplit("/", 1)[-1].replace("_", " ") for zone in zoneinfo.available_timezones()
             if zone.startswith(regions)}
    return sorted(n for n in names if re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)*", n))


class Entities:
    """Names drawn without replacement, and values drawn with the set's random generator."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        people = [f"{f} {s}" for f in FIRST for s in LAST]
        companies = [f"{s} {k}" for s in LAST for k in FIRMS]
        self.pools = {"code": CODENAMES[:], "city": cities(), "person": people, "company": companies}
        for pool in self.pools.values():
            rng.shuffle(pool)
        self.invoice = rng.randint(1000, 5000)

    def take(self, slot: str) -> str:
        if not self.pools[slot]:
            raise SystemExit(f"out of distinct {slot} names for a folder this size: lower --scale")
        return self.pools[slot].pop()

    def date(self, year: int | None = None) -> str:
        return f"{self.rng.randint(1, 28)} {self.rng.choice(MONTHS)} {year or self.rng.randint(2024, 2026)}"

    def money(self) -> str:
        return f"{self.rng.randint(12, 900) * 10 ** self.rng.randint(0, 2) + self.rng.randint(0, 9):,} euros"

    def value(self, slot: str) -> str:
        r = self.rng
        if slot in NAMES:
            return self.take(slot)
        if slot == "inv":
            self.invoice += r.randint(3, 40)
            return f"INV-{self.invoice}"
        simple = {
            "date": self.date, "money": self.money, "digits": lambda: str(r.randint(1000, 9999)),
            "n": lambda: str(r.randint(3, 95)), "m": lambda: str(r.randint(2, 12)),
            "time": lambda: f"{r.randint(6, 21)}:{r.choice(['00', '15', '30', '45'])}",
            "year": lambda: str(r.randint(2024, 2026)), "ver": lambda: f"{r.randint(2, 9)}.{r.randint(0, 12)}",
            "password": lambda: f"{r.choice(CODENAMES).lower()}-{r.randint(10, 99)}-{r.choice(CODENAMES).lower()}",
            "policy": lambda: f"{r.choice('HKPRTX')}{r.choice('ABCLMW')}-{r.randint(10000, 99999)}",
            "weekday": lambda: r.choice(WEEKDAYS), "month": lambda: r.choice(MONTHS),
        }
        return simple[slot]()


class FactBank:
    """Facts from the templates, in an order of the seed's choosing (each template once before any twice)."""

    def __init__(self, entities: Entities):
        self.entities = entities
        self.order: list[tuple[str, str]] = []

    def _template(self) -> tuple[str, str]:
        if not self.order:
            self.order = T[:]
            self.entities.rng.shuffle(self.order)
        return self.order.pop()

    def fact(self, template: tuple[str, str] | None = None) -> tuple[Fact, tuple[str, str]]:
        sentence, question = template or self._template()
        slots = [name for _, name, _, _ in string.Formatter().parse(sentence) if name]
        values = {slot: self.entities.value(slot) for slot in dict.fromkeys(slots)}
        asked = {name for _, name, _, _ in string.Formatter().parse(question) if name}
        answer = next(values[s] for s in slots if s not in asked)
        return Fact(sentence.format(**values), question.format(**values), answer), (sentence, question)

    def near_miss(self, template: tuple[str, str]) -> str:
        """The same kind of statement about something else, with another value (a distractor)."""
        return self.fact(template)[0].sentence
