"""Writes dictionary_first.xlsx: a workbook whose first sheet is a data dictionary and whose
second holds the customers, ending with a blank row and a "Total" row, the way the Kaggle
e-commerce workbook (sheet "E Comm" after a dictionary sheet) is laid out. Synthetic data,
Python standard library only: `python3 tests/data/make_dictionary_first.py`."""

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

DICTIONARY = [
    ["Data", "Variable", "Description"],
    ["E Comm", "CustomerID", "Unique customer ID"],
    ["E Comm", "Churn", "Churn flag"],
    ["E Comm", "Tenure", "Tenure of the customer in months"],
    ["E Comm", "OrderCount", "Orders placed last month"],
    ["E Comm", "PreferredPaymentMode", "Preferred payment method"],
]

CUSTOMERS = [["CustomerID", "Churn", "Tenure", "OrderCount", "PreferredPaymentMode"]]
for i, (churn, tenure, orders, pay) in enumerate([
    (1, 4, 1, "Debit Card"), (0, 9, 2, "UPI"), (0, 30, 7, "Credit Card"),
    (1, 0, 1, "COD"), (0, 12, 3, "Debit Card"), (0, 18, 4, "E wallet"),
    (1, 2, 1, "UPI"), (0, 25, 5, "Credit Card"), (0, 7, 2, "Debit Card"),
    (0, 15, 3, "COD"),
]):
    CUSTOMERS.append([50001 + i, churn, tenure, orders, pay])
TOTAL_ROW = 13  # row 12 is left empty, as under many exported tables
TOTAL = ["Total", sum(r[1] for r in CUSTOMERS[1:]), sum(r[2] for r in CUSTOMERS[1:]),
         sum(r[3] for r in CUSTOMERS[1:]), None]


def col(i):
    return "ABCDEFGHIJ"[i]


def row_xml(number, cells):
    out = [f'<row r="{number}">']
    for i, v in enumerate(cells):
        ref = f"{col(i)}{number}"
        if v is None:
            continue
        if isinstance(v, str):
            out.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
        else:
            out.append(f'<c r="{ref}"><v>{v}</v></c>')
    out.append("</row>")
    return "".join(out)


def sheet_xml(rows, last_row):
    width = max(len(r) for r, _ in rows)
    body = "".join(row_xml(n, r) for r, n in rows)
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'
            f'<dimension ref="A1:{col(width - 1)}{last_row}"/><sheetData>{body}</sheetData></worksheet>')


sheets = [
    ("Data Dict", sheet_xml([(r, i + 1) for i, r in enumerate(DICTIONARY)], len(DICTIONARY))),
    ("E Comm", sheet_xml([(r, i + 1) for i, r in enumerate(CUSTOMERS)] + [(TOTAL, TOTAL_ROW)], TOTAL_ROW)),
]
content_types = ('<?xml version="1.0" encoding="UTF-8"?>'
                 '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                 '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                 '<Default Extension="xml" ContentType="application/xml"/>'
                 '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                 + "".join(f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
                           'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                           for i in range(len(sheets)))
                 + "</Types>")
root_rels = ('<?xml version="1.0" encoding="UTF-8"?>'
             '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
             f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
workbook = (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            + "".join(f'<sheet name="{escape(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
                      for i, (name, _) in enumerate(sheets))
            + "</sheets></workbook>")
workbook_rels = ('<?xml version="1.0" encoding="UTF-8"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 + "".join(f'<Relationship Id="rId{i + 1}" Type="{REL}/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
                           for i in range(len(sheets)))
                 + "</Relationships>")

out = Path(__file__).with_name("dictionary_first.xlsx")
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for name, data in [("[Content_Types].xml", content_types), ("_rels/.rels", root_rels),
                       ("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", workbook_rels)]:
        z.writestr(zipfile.ZipInfo(name, (2026, 12, 4, 0, 0, 0)), data)
    for i, (_, xml) in enumerate(sheets):
        z.writestr(zipfile.ZipInfo(f"xl/worksheets/sheet{i + 1}.xml", (2026, 12, 4, 0, 0, 0)), xml)
print(out)
