"""`childx import` on tables (CSV, TSV, XLSX) and JSON that the tests write themselves:
every round trip ends in conversations that `childx validate` accepts, with the texts
exactly as written."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from cli_support import assert_one_line_error
from typer.testing import CliRunner

from childx_research.cli import app
from childx_research.importing import import_export, load_mapping
from childx_research.records import read_conversations

runner = CliRunner()

MAPPING = """\
# a chat tool's export
columns:
  conversation: Samtals-ID
  time: Tid
  role: Avsändare
  text: Meddelande
roles:
  Besökare: stodsokande
  Volontär: stodperson
organisation: tjejzonen
channel: chatt
"""
HEADER = ["Samtals-ID", "Tid", "Avsändare", "Meddelande"]
# rows of two conversations, spread over the file and out of time order
ROWS = [
    ["1001", "2025-03-14 19:02", "Besökare", "hallå, funkar den här chatten på kvällen också"],
    ["1002", "2025-03-15 08:30", "Besökare", "Godmorgon, jag har en fråga om en kompis"],
    ["1001", "2025-03-14 19:04", "Volontär", "Hej, välkommen in i chatten. Skriv när du är redo."],
    ["1001", "2025-03-14 19:03", "Besökare", "okej; det är lite svårt\nmen jag försöker"],
    ["1002", "2025-03-15 08:31", "Volontär", "Hej och välkommen. Berätta gärna mer om kompisen."],
]
EXPECTED = {
    "1001": ("2025-03-14T19:02:00+01:00",
             [("stodsokande", ROWS[0][3]), ("stodsokande", ROWS[3][3]), ("stodperson", ROWS[2][3])]),
    "1002": ("2025-03-15T08:30:00+01:00", [("stodsokande", ROWS[1][3]), ("stodperson", ROWS[4][3])]),
}


def write_csv(path: Path, rows, *, delimiter=";", encoding="cp1252", header=HEADER) -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delimiter, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
    return path


def mapping_file(tmp_path: Path, text: str = MAPPING) -> Path:
    p = tmp_path / "mapping.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def import_ok(*args: str) -> None:
    res = runner.invoke(app, ["import", *args])
    assert res.exit_code == 0, res.output


def assert_valid_and_exact(out: Path, expected=EXPECTED) -> list:
    res = runner.invoke(app, ["validate", str(out), "--kind", "conversations"])
    assert res.exit_code == 0, res.output
    convs = read_conversations(out)
    got = {c.id: (c.started_at, [(m.role, m.text) for m in c.messages]) for c in convs}
    assert got == expected
    return convs


def test_windows_1252_csv_with_semicolons_round_trip(tmp_path):
    src = write_csv(tmp_path / "export.csv", ROWS)
    assert "ä".encode("cp1252") in src.read_bytes()
    out = tmp_path / "samtal.jsonl"
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(out),
                              "--mapping", str(mapping_file(tmp_path)), "--no-anonymise"])
    assert res.exit_code == 0, res.output
    assert "warning" in res.output and "NOT anonymised" in res.output
    convs = assert_valid_and_exact(out)
    assert [c.id for c in convs] == ["1001", "1002"]
    assert {c.organisation for c in convs} == {"tjejzonen"} and {c.channel for c in convs} == {"chatt"}


def test_utf8_bom_csv_and_tsv_without_mapping(tmp_path):
    rows = [[r[0], r[1], {"Besökare": "stodsokande", "Volontär": "stodperson"}[r[2]], r[3]] for r in ROWS]
    header = ["conversation", "time", "role", "text"]
    src = write_csv(tmp_path / "export.csv", rows, delimiter=",", encoding="utf-8-sig", header=header)
    assert src.read_bytes().startswith(b"\xef\xbb\xbf")
    out = tmp_path / "a.jsonl"
    import_ok("--input", str(src), "--output", str(out), "--no-anonymise")
    assert_valid_and_exact(out)
    hinted = tmp_path / "hint.csv"
    hinted.write_bytes(b"sep=;\r\n" + write_csv(tmp_path / "x.csv", ROWS).read_bytes())
    out3 = tmp_path / "c.jsonl"
    import_ok("--input", str(hinted), "--output", str(out3), "--mapping", str(mapping_file(tmp_path)), "--no-anonymise")
    assert_valid_and_exact(out3)
    tsv = write_csv(tmp_path / "export.tsv", rows, delimiter="\t", encoding="utf-8", header=header)
    out2 = tmp_path / "b.jsonl"
    import_ok("--input", str(tsv), "--output", str(out2), "--no-anonymise")
    assert_valid_and_exact(out2)


def test_xlsx_with_two_sheets_sheet_by_name(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    other = wb.active
    other.title = "Statistik"
    other.append(["Vecka", "Antal"])
    other.append([11, 42])
    ws = wb.create_sheet("Samtal")
    ws.append(HEADER)
    for r in ROWS:
        # Excel keeps ids as numbers and times as dates
        ws.append([int(r[0]), datetime.strptime(r[1], "%Y-%m-%d %H:%M"), r[2], r[3]])
    src = tmp_path / "export.xlsx"
    wb.save(src)
    out = tmp_path / "samtal.jsonl"
    mapping = mapping_file(tmp_path, MAPPING + "sheet: Samtal\n")
    import_ok("--input", str(src), "--output", str(out), "--mapping", str(mapping), "--no-anonymise")
    assert_valid_and_exact(out)
    # the first sheet is not the messages: its header lacks the mapped columns
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(out),
                              "--mapping", str(mapping_file(tmp_path)), "--no-anonymise"])
    assert_one_line_error(res, "export.xlsx[sheet 1]:1", "'Samtals-ID'", "not in the header")
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(out),
                              "--mapping", str(mapping_file(tmp_path, MAPPING + "sheet: Chatt\n"))])
    assert_one_line_error(res, "no sheet named 'Chatt'", "(2 sheets)")
    assert "Statistik" not in res.output
    assert_valid_and_exact(out)  # the failed runs left the earlier output as it was


def test_xlsx_cell_that_is_not_text_names_the_row(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Samtal"
    ws.append(HEADER)
    ws.append([1, "2025-03-14 19:02", "Besökare", "hej"])
    ws.append([1, "2025-03-14 19:03", "Besökare", 4711])
    src = tmp_path / "export.xlsx"
    wb.save(src)
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                              "--mapping", str(mapping_file(tmp_path))])
    assert_one_line_error(res, "export.xlsx[sheet 1]: row 3: text cell is not text (a number)")
    assert "4711" not in res.output
    assert not (tmp_path / "o.jsonl").exists()


def test_json_list_and_json_lines_with_nested_keys(tmp_path):
    records = [{"chat": {"id": r[0]}, "sent": r[1].replace(" ", "T") + ":00", "from": r[2], "body": r[3]}
               for r in ROWS]
    mapping = mapping_file(tmp_path, MAPPING.replace("Samtals-ID", "chat.id").replace("Tid", "sent")
                           .replace("Avsändare", "from").replace("Meddelande", "body"))
    src = tmp_path / "export.json"
    src.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "a.jsonl"
    import_ok("--input", str(src), "--output", str(out), "--mapping", str(mapping), "--no-anonymise")
    assert_valid_and_exact(out)
    lines = tmp_path / "export.jsonl"
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    out2 = tmp_path / "b.jsonl"
    import_ok("--input", str(lines), "--output", str(out2), "--mapping", str(mapping), "--no-anonymise")
    assert_valid_and_exact(out2)
    records[2]["body"] = {"rich": "text"}
    lines.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    res = runner.invoke(app, ["import", "--input", str(lines), "--output", str(out2), "--mapping", str(mapping)])
    assert_one_line_error(res, "export.jsonl:3: text cell is not text (an object)")


def test_json_conversations_with_nested_message_lists(tmp_path):
    convs = {}
    for r in ROWS:
        convs.setdefault(r[0], {"ticket": r[0], "org": "exempelorg", "chat": []})["chat"].append(
            {"at": r[1], "author": r[2], "body": r[3]})
    src = tmp_path / "export.json"
    src.write_text(json.dumps({"exported": "2025", "conversations": list(convs.values())}, ensure_ascii=False,
                              indent=2), encoding="utf-8")
    mapping = mapping_file(tmp_path, "columns: {conversation: ticket, time: at, role: author, text: body, "
                                     "organisation: org}\nmessages: chat\n"
                                     "roles: {Besökare: stodsokande, Volontär: stodperson}\n")
    out = tmp_path / "a.jsonl"
    import_ok("--input", str(src), "--output", str(out), "--mapping", str(mapping), "--no-anonymise")
    convs_out = assert_valid_and_exact(out)
    assert {c.organisation for c in convs_out} == {"exempelorg"}
    data = json.loads(src.read_text(encoding="utf-8"))
    data["conversations"][1]["chat"][1]["at"] = None
    src.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(out), "--mapping", str(mapping)])
    assert_one_line_error(res, "export.json: record 2: message 1: empty time")


def test_time_zone_offsets_and_excel_serial_with_decimal_comma(tmp_path):
    rows = [["5", "2025-07-01T12:00:00+00:00", "Besökare", "första"],
            ["5", "45839,625", "Volontär", "andra"],        # 2025-07-01 15:00 local, 13:00 UTC
            ["6", "2025-12-01 09:00", "Besökare", "vinter"]]
    m = load_mapping(mapping_file(tmp_path))
    res = import_export(write_csv(tmp_path / "t.csv", rows), mapping=m)
    by_id = {c.id: c for c in res.conversations}
    assert by_id["5"].started_at == "2025-07-01T12:00:00+00:00"
    assert [msg.text for msg in by_id["5"].messages] == ["första", "andra"]
    rows[1][1] = "45839,5"                                    # 12:00 local, before the first row
    res = import_export(write_csv(tmp_path / "t.csv", rows), mapping=m)
    assert [msg.text for msg in res.conversations[0].messages] == ["andra", "första"]
    assert res.conversations[0].started_at == "2025-07-01T12:00:00+02:00"
    assert by_id["6"].started_at == "2025-12-01T09:00:00+01:00"
    rows = [["7", "2025-03-14 19.02", "Besökare", "punkt mellan timmar och minuter"],
            ["8", "14/3/2025 kl 19:03", "Besökare", "eget format"]]
    m = load_mapping(mapping_file(tmp_path, MAPPING + 'time_format: "%d/%m/%Y kl %H:%M"\n'))
    res = import_export(write_csv(tmp_path / "t.csv", rows), mapping=m)
    assert [c.started_at for c in res.conversations] == ["2025-03-14T19:02:00+01:00", "2025-03-14T19:03:00+01:00"]


def test_default_run_anonymises_and_reports_counts_only(tmp_path):
    rows = [["1", "2025-03-14 19:02", "Besökare", "ring mig på 070-123 45 67 ikväll"],
            ["1", "2025-03-14 19:03", "Volontär", "Tack, jag hör av mig."]]
    src = write_csv(tmp_path / "export.csv", rows)
    out = tmp_path / "samtal.jsonl"
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(out),
                              "--mapping", str(mapping_file(tmp_path))])
    assert res.exit_code == 0, res.output
    assert "NOT anonymised" not in res.output
    text = out.read_text(encoding="utf-8")
    assert "070-123 45 67" not in text and "ikväll" in text
    assert runner.invoke(app, ["validate", str(out), "--kind", "conversations"]).exit_code == 0
    from childx_research.anonymize import require_sealed

    require_sealed(read_conversations(out), path=out)   # what push, report and train accept
    report = json.loads((tmp_path / "samtal.report.json").read_text(encoding="utf-8"))
    assert report["import"]["conversations"] == 1 and report["import"]["messages"] == 2
    assert report["total"]["TELEFON"] == 1
    assert "070" not in json.dumps(report)
    tags = tmp_path / "taggat.jsonl"
    import_ok("--input", str(src), "--output", str(tags), "--mapping", str(mapping_file(tmp_path)), "--style", "tags")
    assert "[TELEFON]" in tags.read_text(encoding="utf-8")


def test_skip_roles_leaves_out_system_lines(tmp_path):
    rows = list(ROWS) + [["1001", "2025-03-14 19:10", "System", "Besökaren lämnade chatten"]]
    src = write_csv(tmp_path / "export.csv", rows)
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                              "--mapping", str(mapping_file(tmp_path))])
    assert_one_line_error(res, "export.csv:8:", "sender value not listed under roles:")
    assert "System" not in res.output
    out = tmp_path / "samtal.jsonl"
    import_ok("--input", str(src), "--output", str(out), "--mapping",
              str(mapping_file(tmp_path, MAPPING + "skip_roles: [system]\n")), "--no-anonymise")
    assert_valid_and_exact(out)


def test_unknown_column_names_file_line_and_column(tmp_path):
    src = write_csv(tmp_path / "export.csv", ROWS, header=["Samtals-ID", "Tidpunkt", "Avsändare", "Meddelande"])
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                              "--mapping", str(mapping_file(tmp_path))])
    assert_one_line_error(res, "export.csv:1:", "'Tid'", "not in the header")
    # an export without a header row: its first message is never shown
    headless = tmp_path / "utan_rubrik.csv"
    headless.write_text("1001;2025-03-14 19:02;Besökare;min hemliga första rad\n", encoding="utf-8")
    res = runner.invoke(app, ["import", "--input", str(headless), "--output", str(tmp_path / "o.jsonl"),
                              "--mapping", str(mapping_file(tmp_path))])
    assert_one_line_error(res, "utan_rubrik.csv:1:", "not in the header (4 columns)")
    assert "hemliga" not in res.output and "1001" not in res.output


def test_bad_rows_fail_or_are_skipped_and_listed_without_text(tmp_path):
    rows = list(ROWS) + [
        # file lines 8-10 (the header is line 1, and row 4 holds a line break)
        ["1003", "igår vid sju", "Besökare", "hemlig text ett"],          # line 8: time
        ["1003", "2025-03-16 10:00", "Okänd", "hemlig text två"],         # line 9: sender value
        ["1003", "2025-03-16 10:01", "Besökare"],                         # line 10: too few fields
    ]
    src = write_csv(tmp_path / "export.csv", rows)
    out = tmp_path / "samtal.jsonl"
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(out),
                              "--mapping", str(mapping_file(tmp_path))])
    assert_one_line_error(res, "export.csv:8:", "time is not a date")
    assert "igår" not in res.output and not out.exists()
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(out),
                              "--mapping", str(mapping_file(tmp_path)), "--skip-bad", "--no-anonymise"])
    assert res.exit_code == 0, res.output
    assert_valid_and_exact(out)
    skipped = (tmp_path / "samtal.skipped.csv").read_text(encoding="utf-8")
    lines = skipped.splitlines()
    assert lines[0] == "line,reason" and [x.split(",")[0] for x in lines[1:]] == ["8", "9", "10"]
    assert "roles:" in lines[2] and "4 fields" not in lines[3] and "3 fields" in lines[3]
    assert "hemlig" not in skipped and "Okänd" not in skipped and "igår" not in skipped


def test_a_file_that_is_not_what_its_extension_says(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    wb.save(tmp_path / "real.xlsx")
    fake_csv = tmp_path / "export.csv"
    fake_csv.write_bytes((tmp_path / "real.xlsx").read_bytes())
    res = runner.invoke(app, ["import", "--input", str(fake_csv), "--output", str(tmp_path / "o.jsonl")])
    assert_one_line_error(res, "export.csv", "ZIP/Excel file, not CSV")
    fake_xlsx = write_csv(tmp_path / "export.xlsx", ROWS)
    res = runner.invoke(app, ["import", "--input", str(fake_xlsx), "--output", str(tmp_path / "o.jsonl")])
    assert_one_line_error(res, "export.xlsx", "not an Excel .xlsx workbook")
    fake_json = tmp_path / "export.json"
    fake_json.write_text("Samtals-ID;Tid\n", encoding="utf-8")
    res = runner.invoke(app, ["import", "--input", str(fake_json), "--output", str(tmp_path / "o.jsonl")])
    assert_one_line_error(res, "export.json", "not JSON")
    res = runner.invoke(app, ["import", "--input", str(tmp_path / "export.doc"), "--output", str(tmp_path / "o.jsonl")])
    assert_one_line_error(res, "export.doc")


def test_refuses_output_equal_to_input_and_bad_mapping_keys(tmp_path):
    src = write_csv(tmp_path / "export.csv", ROWS)
    before = src.read_bytes()
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(src), "--format", "csv"])
    assert_one_line_error(res, "must not be the input")
    assert src.read_bytes() == before
    bad = mapping_file(tmp_path, MAPPING + "kolumner: {}\n")
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                              "--mapping", str(bad)])
    assert_one_line_error(res, "mapping.yaml", "kolumner", "unknown key")
    bad = mapping_file(tmp_path, MAPPING.replace("stodperson", "volontar"))
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                              "--mapping", str(bad)])
    assert_one_line_error(res, "mapping.yaml", "roles[2]", "'stodsokande' or 'stodperson'")
    assert "Volontär" not in res.output
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                              "--format", "pdf"])
    assert_one_line_error(res, "unknown --format 'pdf'")


@pytest.mark.parametrize("name", ["tabell.yaml", "mejl.yaml"])
def test_the_shipped_example_mappings_load(name):
    root = Path(__file__).resolve().parents[1]
    m = load_mapping(root / "annotation" / "import" / name)
    assert m.timezone == "Europe/Stockholm"


def test_a_message_too_long_to_be_one_is_a_bad_row(tmp_path):
    rows = [ROWS[0], ["1001", "2025-03-14 19:03", "Besökare", "x" * 2_000_001]]
    src = write_csv(tmp_path / "export.csv", rows)
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(tmp_path / "o.jsonl"),
                              "--mapping", str(mapping_file(tmp_path))])
    assert_one_line_error(res, "export.csv:3:", "message longer than 2 000 000 characters")
