"""Spreadsheets (XLSX, ODS, CSV) and decks (PPTX with speaker notes, ODP) for the mixed folder.

Spreadsheet questions ask about one row by the values that single it out (a customer and a
project, a person, an item and a warehouse) and want another of its values; the right place is
the sheet and a passage whose rows cover that row."""

from __future__ import annotations

import csv
import datetime as dt
from xml.sax.saxutils import escape

import openpyxl
from pptx import Presentation

from fixtures import office_files as of
from fixtures import sheet_files as sf
from mixed_facts import MONTHS, Question

INVOICE_Q = [("How much did we bill {Customer} for the {Project}?", "Amount"),
             ("When is {Customer}'s payment for the {Project} due?", "Due"),
             ("Which invoice number did {Customer} get for the {Project}?", "Invoice")]
CONTACT_Q = [("What's {Name}'s phone number?", "Phone"), ("Which company does {Name} work for?", "Company"),
             ("What does {Name} do at their company?", "Role")]
STOCK_Q = [("How many {item} do we have in the {Warehouse} warehouse?", "Count"),
           ("On which shelf in {Warehouse} are the {item} kept?", "Shelf")]
REORDER_Q = [("Who supplies our {item}?", "Supplier"), ("How many days does it take to get more {item}?", "Lead time (days)")]
SHIP_Q = [("How heavy was the parcel {Sender} sent to {Destination}?", "Weight (kg)"),
          ("When did the {Sender} shipment to {Destination} go out?", "Shipped"),
          ("What's the tracking number of the package from {Sender} to {Destination}?", "Tracking")]
DECK_TOPICS = ["Quarterly review", "Operations update", "Procurement", "Facilities", "Research programme",
               "Customer service", "IT roadmap", "Sustainability", "Logistics", "Training plan"]
SLIDE_TITLES = ["Agenda", "Highlights", "Budget", "Risks", "Timeline", "Staffing", "Open questions",
                "Next steps", "Lessons learned", "Suppliers", "Customers", "Quality", "Summary"]


def _date(b) -> dt.date:
    return dt.date(b.rng.choice([2024, 2025]), b.rng.randint(1, 12), b.rng.randint(1, 28))


def _shown(value) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}" if isinstance(value, dt.date) else f"{value}"


class RowQuestions:
    """Every row is a candidate; the set asks about ``per_place`` of each label's rows."""

    def __init__(self):
        self.candidates: dict[str, list[Question]] = {}

    def add(self, label: str, rel: str, sheet: int, sheet_name: str, row: int, values: dict, asks, key: str):
        q_text, wanted = asks
        words = {k: (v[0].lower() + v[1:] if k == "Item" else v) for k, v in values.items() if isinstance(v, str)}
        words["item"] = words.get("Item", "")
        self.candidates.setdefault(label, []).append(Question(
            label, q_text.format(**words), _shown(values[wanted]), rel, sheet, (sheet_name,), row, key))

    def choose(self, b) -> None:
        for label, found in self.candidates.items():
            b.questions += b.rng.sample(found, min(b.per_place, len(found)))


def sheets(b) -> None:
    asked = RowQuestions()
    _xlsx(b, asked)
    _ods(b, asked)
    _csv(b, asked)
    asked.choose(b)


def _xlsx(b, asked: RowQuestions) -> None:
    for f in range(b.count("xlsx")):
        rel = f"finance/accounts-{2022 + f}.xlsx"
        wb = openpyxl.Workbook()
        summary = wb.active
        summary.title = "Summary"
        for line in b.prose.sentences(3):
            summary.append([line])
        sheet = wb.create_sheet("Invoices")
        sheet.append([f"Invoices issued in {2022 + f}"])
        sheet.append([])
        header = ["Invoice", "Customer", "Project", "Hours", "Rate", "Amount", "Due"]
        sheet.append(header)
        customers = [b.entities.take("company") for _ in range(12)]
        cached = {}
        for _ in range(b.sized(60)):
            row = sheet.max_row + 1
            v = b.rows.invoice(customers)
            v["Due"] = _date(b)
            sheet.append([v["Invoice"], v["Customer"], v["Project"], v["Hours"], v["Rate"], f"=D{row}*E{row}", v["Due"]])
            cached[f"F{row}"] = v["Amount"] = v["Hours"] * v["Rate"]
            sheet[f"E{row}"].number_format = sheet[f"F{row}"].number_format = "#,##0.00"
            sheet[f"G{row}"].number_format = "d mmmm yyyy"
            asked.add("xlsx row", rel, 2, "Invoices", row, v, b.rng.choice(INVOICE_Q), v["Invoice"])
        people = wb.create_sheet("Contacts")
        people.append(["Name", "Company", "Role", "Phone", "Email"])
        for _ in range(b.sized(40)):
            v = b.rows.contact(customers)  # people at the customers
            people.append(list(v.values()))
            asked.add("xlsx row", rel, 3, "Contacts", people.max_row, v, b.rng.choice(CONTACT_Q), v["Email"])
        path = b.path(rel, "xlsx")
        wb.save(path)
        sf.with_cached_values(path, "xl/worksheets/sheet2.xml", cached)  # as Excel saves formula results


def _ods(b, asked: RowQuestions) -> None:
    for f in range(b.count("ods")):
        rel = f"stock/warehouse-stock-{f + 1}.ods"
        warehouses = [b.entities.take("city") for _ in range(4)]
        suppliers = [b.entities.take("company") for _ in range(8)]
        stock, reorder = [sf.ods_row("Item", "Warehouse", "Shelf", "Count", "Checked")], [
            sf.ods_row("Item", "Supplier", "Lead time (days)", "Minimum order")]
        for _ in range(b.sized(70)):
            v = {"Item": b.rows.item(), "Warehouse": b.rng.choice(warehouses), "Shelf": b.rows.shelf(),
                 "Count": b.rng.randint(0, 2500), "Checked": _date(b)}
            stock.append(sf.ods_row(*v.values()))
            asked.add("ods row", rel, 1, "Stock", len(stock), v, b.rng.choice(STOCK_Q), v["Item"])
            if b.rng.random() < 0.5:
                w = {"Item": v["Item"], "Supplier": b.rng.choice(suppliers),
                     "Lead time (days)": b.rng.randint(2, 90), "Minimum order": b.rng.choice([10, 25, 50, 100, 250])}
                reorder.append(sf.ods_row(*w.values()))
                asked.add("ods row", rel, 2, "Reorder", len(reorder), w, b.rng.choice(REORDER_Q), w["Item"])
        sf.write_ods(b.path(rel, "ods"), {"Stock": stock, "Reorder": reorder}, title=f"Stock {f + 1}")


def _csv(b, asked: RowQuestions) -> None:
    for f in range(b.count("csv")):
        rel = f"exports/shipments-{f + 1:02}.csv"
        rows = b.sized(100)
        senders = [b.entities.take("company") for _ in range(max(10, rows // 8))]  # enough pairs for the rows
        cities = [b.entities.take("city") for _ in range(max(12, rows // 6))]
        semicolon = f % 2 == 1  # a European export: ';' and Windows-1252
        path = b.path(rel, "csv")
        with open(path, "w", newline="", encoding="cp1252" if semicolon else "utf-8") as fh:
            out = csv.writer(fh, delimiter=";" if semicolon else ",")
            out.writerow(["Tracking", "Sender", "Destination", "Weight (kg)", "Shipped"])
            for row in range(2, rows + 2):
                v = b.rows.shipment(senders, cities)
                v["Shipped"] = _date(b)
                weight = f"{v['Weight (kg)']}".replace(".", ",") if semicolon else v["Weight (kg)"]
                out.writerow([v["Tracking"], v["Sender"], v["Destination"], weight, v["Shipped"].isoformat()])
                asked.add("csv row", rel, 1, path.stem, row, v, b.rng.choice(SHIP_Q), v["Tracking"])


# -- decks ------------------------------------------------------------------------------------------

def decks(b) -> None:
    for kind, write in (("pptx", _pptx), ("odp", _odp)):
        n, slides = b.count(kind), b.sized(8)
        spots = b.spots(n, slides, 2 * b.per_place)  # notes facts on other slides than body facts
        body, notes = set(spots[:b.per_place]), set(spots[b.per_place:])
        for f in range(n):
            rel = f"decks/{b.rng.choice(DECK_TOPICS).lower().replace(' ', '-')}-{f + 1:02}.{kind}"
            deck = []
            for s in range(slides):
                bullets = b.prose.sentences(b.rng.randint(2, 4))
                said = b.prose.sentences(1)
                if (f, s) in body:
                    bullets[b.rng.randrange(len(bullets))] = b.fact(f"{kind} slide", rel, page=s + 1)
                if (f, s) in notes:
                    said.insert(b.rng.randint(0, 1), b.fact(f"{kind} notes", rel, page=s + 1))
                deck.append((b.rng.choice(SLIDE_TITLES), bullets, " ".join(said)))
            write(b.path(rel, kind), deck)


def _pptx(path, deck) -> None:
    prs = Presentation()
    for title, bullets, said in deck:
        slide = prs.slides.add_slide(prs.slide_layouts[1])  # title and content
        slide.shapes.title.text = title
        frame = slide.placeholders[1].text_frame
        frame.text = bullets[0]
        for bullet in bullets[1:]:
            frame.add_paragraph().text = bullet
        slide.notes_slide.notes_text_frame.text = said
    prs.save(path)


def _odp(path, deck) -> None:
    pages = []
    for n, (title, bullets, said) in enumerate(deck, 1):
        notes = ('<presentation:notes><draw:page-thumbnail svg:x="1cm" svg:y="1cm"/>'
                 + of.frame("notes", "1cm", "12cm", of.text_box(escape(said))) + "</presentation:notes>")
        pages.append(f'<draw:page draw:name="page{n}" draw:style-name="dp1">'
                     + of.frame("title", "1cm", "1cm", of.text_box(escape(title)))
                     + of.frame("outline", "1cm", "5cm", of.text_box(*map(escape, bullets)))
                     + notes + "</draw:page>")
    of.odf_package(path, "presentation", "".join(pages), styles='<style:style style:name="dp1" style:family="drawing-page"/>')
