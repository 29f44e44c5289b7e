"""`childx import` on mailboxes and .eml files that the tests write themselves: MIME
(multipart/alternative with HTML, quoted-printable, base64, charsets other than UTF-8),
quotes and signatures removed, threads by Message-ID/In-Reply-To/References, attachments
counted; every round trip ends in conversations that `childx validate` accepts with the
texts exactly as the person wrote them."""

from __future__ import annotations

import email.utils
import mailbox
from datetime import datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

from cli_support import assert_one_line_error
from typer.testing import CliRunner

from childx_research.cli import app
from childx_research.importing import clean_body, html_to_text, import_export, load_mapping
from childx_research.records import read_conversations

runner = CliRunner()
STHLM = ZoneInfo("Europe/Stockholm")
WORKER = "stod@exempel-stod.se"
PERSON = "anon.skribent@example.com"
MAPPING = f"""\
worker_addresses:
  - {WORKER}
boilerplate:
  - "Detta svar skickades från en stödtjänst. Vid akut fara: ring 112."
organisation: exempelorg
"""

# what each person wrote (the expected texts)
FIRST = ("Hej,\n\njag har en fråga som jag inte vågar ställa till någon jag känner.\n"
         "Är det här rätt ställe att skriva till?\n\nMed vänlig hälsning,\nen som undrar")
SECOND = ("Hej och tack för att du skriver till oss!\n\nJa, här kan du skriva om allt. "
          "Du bestämmer själv hur mycket du berättar.")
THIRD = "Okej, då försöker jag förklara vad som hände i våras.\nDet känns jobbigt men skönt att skriva."


def msg(sender: str, to: str, subject: str, when: datetime, body: str | None = None, *, msgid: str | None,
        reply_to: list[str] = (), date: bool = True, charset: str = "utf-8", cte: str | None = None) -> EmailMessage:
    m = EmailMessage(policy=default)
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    if date:
        m["Date"] = email.utils.format_datetime(when)
    if msgid:
        m["Message-ID"] = msgid
    if reply_to:
        m["In-Reply-To"] = reply_to[-1]
        m["References"] = " ".join(reply_to)
    if body is not None:
        m.set_content(body, charset=charset, cte=cte)
    return m


def thread_of_three() -> list[EmailMessage]:
    t0 = datetime(2025, 3, 14, 19, 2, tzinfo=STHLM)
    m1 = msg(f"Anon Skribent <{PERSON}>", WORKER, "En fråga", t0, FIRST, msgid="<m1.abc@example.com>")
    quoted_first = "\n".join("> " + line if line else ">" for line in FIRST.split("\n"))
    body2 = (SECOND + "\n\nDen 14 mars 2025 kl. 19:02 skrev Anon Skribent <" + PERSON + ">:\n" + quoted_first
             + "\n\n-- \nStödmejlen, Exempelorganisationen\nwww.exempel-stod.se\n\n"
             "Detta svar skickades från en stödtjänst.\nVid akut fara: ring 112.")
    m2 = msg(f"Stödmejlen <{WORKER}>", PERSON, "Sv: En fråga", datetime(2025, 3, 15, 9, 30, tzinfo=STHLM),
             body2, msgid="<m2.def@exempel-stod.se>", reply_to=["<m1.abc@example.com>"])
    quoted_second = "\n".join("> " + line for line in body2.split("\n"))
    body3 = (THIRD + "\n\nOn Sat, 15 Mar 2025 at 09:30, Stödmejlen <" + WORKER + "> wrote:\n" + quoted_second)
    m3 = msg(f"Anon Skribent <{PERSON}>", WORKER, "Re: Sv: En fråga", datetime(2025, 3, 15, 21, 0, tzinfo=STHLM),
             body3, msgid="<m3.ghi@example.com>", reply_to=["<m1.abc@example.com>", "<m2.def@exempel-stod.se>"],
             cte="quoted-printable")
    return [m1, m2, m3]


def alternative_html() -> EmailMessage:
    m = msg("Annan Person <annan@example.org>", WORKER, "Hjälp", datetime(2025, 4, 2, 22, 15, tzinfo=STHLM),
            "Jag skriver från mobilen.\nKan ni svara på mejl?", msgid="<alt.1@example.org>")
    m.add_alternative("<html><body><p>Jag skriver från <b>mobilen</b>.</p><p>Kan ni svara på mejl?</p>"
                      "</body></html>", subtype="html")
    return m


HTML_ONLY_TEXT = "Hej!\n\nJag undrar vad som gäller när någon\nhotar att sprida bilder.\n\nTack & hej"


def html_only() -> EmailMessage:
    m = msg("Tredje Person <tredje@example.net>", WORKER, "Bilder", datetime(2025, 5, 6, 16, 0, tzinfo=STHLM),
            None, msgid="<html.1@example.net>")
    m.set_content("<html><head><style>p {color: red}</style></head><body><div>Hej!</div><div><br></div>"
                  "<div>Jag undrar vad som g&auml;ller n&auml;r n&aring;gon<br>hotar att sprida bilder.</div>"
                  "<p>Tack &amp; hej</p><div class=\"gmail_quote\">Den 1 maj 2025 skrev n&aring;gon:"
                  "<blockquote>gammalt mejl</blockquote></div></body></html>", subtype="html", cte="base64")
    return m


LATIN1_TEXT = "Hej. Jag är femton år och känner mig rädd.\nVad ska jag göra?"


def latin1_with_attachment() -> EmailMessage:
    m = msg("Fjarde Person <fjarde@example.se>", WORKER, "Rädd", datetime(2025, 6, 1, 12, 0, tzinfo=STHLM),
            LATIN1_TEXT, msgid="<lat.1@example.se>", charset="iso-8859-1", cte="base64")
    m.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="skarmbild.pdf")
    return m


def write_mbox(path: Path, messages: list[EmailMessage]) -> Path:
    box = mailbox.mbox(path)
    for m in messages:
        box.add(m)
    box.flush()
    box.close()
    return path


def mapping_file(tmp_path: Path, text: str = MAPPING) -> Path:
    p = tmp_path / "mejl.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def run_ok(*args: str):
    res = runner.invoke(app, ["import", *args])
    assert res.exit_code == 0, res.output
    return res


def validated(out: Path):
    res = runner.invoke(app, ["validate", str(out), "--kind", "conversations"])
    assert res.exit_code == 0, res.output
    return read_conversations(out)


def test_mbox_round_trip_threads_cleans_and_decodes(tmp_path):
    thread = thread_of_three()
    assert b"=C3=A4" in thread[2].as_bytes()          # the third mail is quoted-printable
    messages = [thread[1], alternative_html(), thread[0], html_only(), latin1_with_attachment(), thread[2]]
    src = write_mbox(tmp_path / "stod.mbox", messages)
    assert b"iso-8859-1" in src.read_bytes()
    out = tmp_path / "mejl.jsonl"
    res = run_ok("--input", str(src), "--output", str(out), "--mapping", str(mapping_file(tmp_path)),
                 "--no-anonymise")
    assert "attachments not imported: 1" in res.output
    convs = validated(out)
    got = [[(m.role, m.text) for m in c.messages] for c in convs]
    assert got == [
        [("stodsokande", FIRST), ("stodperson", SECOND), ("stodsokande", THIRD)],
        [("stodsokande", "Jag skriver från mobilen.\nKan ni svara på mejl?")],   # text/plain preferred
        [("stodsokande", HTML_ONLY_TEXT)],
        [("stodsokande", LATIN1_TEXT)],
    ]
    assert convs[0].started_at == "2025-03-14T19:02:00+01:00"
    assert all(c.channel == "mejl" and c.organisation == "exempelorg" for c in convs)
    assert all(c.id.startswith("mejl-") for c in convs) and len({c.id for c in convs}) == 4
    raw = out.read_text(encoding="utf-8")
    for gone in ("m1.abc", "skarmbild", "PDF", "gammalt mejl", "wrote:", "skrev", "www.exempel-stod.se", "112"):
        assert gone not in raw


def test_eml_folder_is_one_input_and_threads_the_same(tmp_path):
    folder = tmp_path / "export"
    (folder / "inkorg").mkdir(parents=True)
    for i, m in enumerate(thread_of_three()):
        (folder / ("inkorg" if i % 2 else "") / f"{i:03d}.eml").write_bytes(m.as_bytes())
    out = tmp_path / "mejl.jsonl"
    run_ok("--input", str(folder), "--output", str(out), "--mapping", str(mapping_file(tmp_path)), "--no-anonymise")
    convs = validated(out)
    assert [[m.text for m in c.messages] for c in convs] == [[FIRST, SECOND, THIRD]]
    one = tmp_path / "one.jsonl"
    run_ok("--input", str(folder / "000.eml"), "--output", str(one), "--mapping", str(mapping_file(tmp_path)),
           "--no-anonymise")
    assert [m.text for m in validated(one)[0].messages] == [FIRST]


def test_subject_fallback_when_the_reply_lost_its_headers(tmp_path):
    t0 = datetime(2025, 8, 1, 10, 0, tzinfo=STHLM)
    a = msg(f"<{PERSON}>", WORKER, "Fråga om skolan", t0, "första mejlet", msgid="<s1@example.com>")
    b = msg(WORKER, PERSON, "SV: Fråga om skolan", datetime(2025, 8, 1, 11, 0, tzinfo=STHLM), "svaret",
            msgid="<s2@exempel-stod.se>")
    c = msg("annan@example.org", WORKER, "Fråga om skolan", datetime(2025, 8, 1, 12, 0, tzinfo=STHLM),
            "någon annan med samma ämne", msgid="<s3@example.org>")
    res = import_export(write_mbox(tmp_path / "s.mbox", [c, b, a]), mapping=load_mapping(mapping_file(tmp_path)))
    assert [[(m.role, m.text) for m in conv.messages] for conv in res.conversations] == [
        [("stodsokande", "första mejlet"), ("stodperson", "svaret")],
        [("stodsokande", "någon annan med samma ämne")]]


def test_mail_without_a_date_names_the_mail_and_skip_bad_lists_it(tmp_path):
    t0 = datetime(2025, 9, 1, 8, 0, tzinfo=STHLM)
    good = msg(f"<{PERSON}>", WORKER, "Hej", t0, "ett mejl med datum", msgid="<d1@example.com>")
    dateless = msg(f"<{PERSON}>", WORKER, "Hej igen", t0, "hemligt utan datum", msgid="<d2@example.com>", date=False)
    src = write_mbox(tmp_path / "d.mbox", [good, dateless])
    out = tmp_path / "mejl.jsonl"
    res = runner.invoke(app, ["import", "--input", str(src), "--output", str(out)])
    assert_one_line_error(res, "d.mbox: mail 2: mail without a date")
    assert "hemligt" not in res.output and not out.exists()
    res = run_ok("--input", str(src), "--output", str(out), "--skip-bad")
    assert "note" in res.output and "worker_addresses" in res.output
    skipped = (tmp_path / "mejl.skipped.csv").read_text(encoding="utf-8")
    assert skipped.splitlines() == ["mail,reason", "2,mail without a date (no Date: header)"]
    convs = validated(out)                                     # anonymised by default
    assert len(convs) == 1 and "anonymisation" in out.read_text(encoding="utf-8")


def test_files_that_are_not_mail(tmp_path):
    fake = tmp_path / "stod.mbox"
    fake.write_text("Samtals-ID;Tid;Avsändare\n", encoding="utf-8")
    res = runner.invoke(app, ["import", "--input", str(fake), "--output", str(tmp_path / "o.jsonl")])
    assert_one_line_error(res, "stod.mbox", "not an mbox mailbox")
    eml = tmp_path / "brev.eml"
    eml.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00binary")
    res = runner.invoke(app, ["import", "--input", str(eml), "--output", str(tmp_path / "o.jsonl")])
    assert_one_line_error(res, "brev.eml", "not an e-mail")
    empty = tmp_path / "tom"
    empty.mkdir()
    res = runner.invoke(app, ["import", "--input", str(empty), "--output", str(tmp_path / "o.jsonl")])
    assert_one_line_error(res, "tom", "no .eml files")


def test_clean_body_keeps_own_words_and_removes_earlier_mail():
    own = "Den dagen skrev han till mig:\nkom hit nu\n\nMed vänliga hälsningar\nKim"
    assert clean_body(own) == own
    outlook = ("Tack för svaret.\n\n-----Ursprungligt meddelande-----\nFrån: någon\nSkickat: idag\n"
               "Hej, gammal text")
    assert clean_body(outlook) == "Tack för svaret."
    header_block = "Tack!\n\nFrån: Stödmejlen <stod@exempel-stod.se>\nSkickat: den 3 april 2025 10:00\nTill: mig\n"
    assert clean_body(header_block) == "Tack!"
    wrapped = "Svar här.\n\nDen fre 14 mars 2025 kl 19:02 skrev Någon <\nnagon@example.com>:\n> gammalt\n"
    assert clean_body(wrapped) == "Svar här."
    inline = "> din fråga\nmitt svar\n> nästa fråga\nnästa svar"
    assert clean_body(inline) == "mitt svar\nnästa svar"
    assert clean_body("text\n-- \nsignatur", ("text",)) == ""
    assert html_to_text("<p>a&nbsp;b</p><script>x()</script><blockquote>c</blockquote>") == "a b"
