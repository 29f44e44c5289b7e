"""Against the real Label Studio, started from its own venv on a free port with a temporary
data folder: privacy settings, the guard, push (no duplicates, pre-annotations, order),
annotating through the API as two people, pull (records, dataset, agreement, missed
personal data, idempotence), and the CLI."""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
from pathlib import Path

import httpx
import pytest
from labelstudio_support import ensure_label_studio, round_trip
from typer.testing import CliRunner

from childx_research.annotate import Credentials, NotAnonymised, add_user, pull, push
from childx_research.annotate.server import start_server
from childx_research.anonymize import PersonalDataFound
from childx_research.records import FormRecord, Message, write_jsonl

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def labelstudio(tmp_path_factory):
    """Label Studio from .venv-labelstudio (installed with `make labelstudio` when missing),
    on 127.0.0.1 and a free port, with a temporary data folder and random credentials."""
    ensure_label_studio()
    creds = Credentials("admin@localhost", secrets.token_urlsafe(12), secrets.token_hex(20))
    server = start_server(tmp_path_factory.mktemp("labelstudio-data"), port=None, credentials=creds,
                          env_file=None, timeout=600)
    yield server
    server.stop()


def test_server_is_local_private_and_invitation_only(labelstudio):
    url = labelstudio.url
    assert url.startswith("http://127.0.0.1:")
    port = int(url.rsplit(":", 1)[1])
    # not reachable on any other address of this machine
    try:
        other = {ai[4][0] for ai in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)}
    except socket.gaierror:
        other = set()
    for ip in other - {"127.0.0.1"}:
        if not ip.startswith("127."):
            with socket.socket() as s:
                s.settimeout(2)
                assert s.connect_ex((ip, port)) != 0, f"Label Studio answers on {ip}"
    page = httpx.get(f"{url}/user/login/").text
    assert "sentry.io" not in page and "ingest" not in page
    # sign-up without the invitation link is refused
    with httpx.Client(base_url=url) as s:
        s.get("/user/signup/")
        r = s.post("/user/signup/", data={"email": "x@localhost", "password": "secret-123",
                                          "csrfmiddlewaretoken": s.cookies.get("csrftoken", "")},
                   headers={"Referer": f"{url}/user/signup/"})
        assert r.status_code == 403
    # the fresh data folder started from the repository's migrated empty database
    assert "Initializing database" not in labelstudio.log_path.read_text(encoding="utf-8", errors="replace")
    # and Label Studio does not report this repository's git commits as its version
    version = httpx.get(f"{url}/api/version").json()
    head = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%H"], capture_output=True,
                          text=True).stdout.strip()
    assert not head or head not in json.dumps(version)


def test_guard_refuses_raw_text_and_leftover_personal_data(labelstudio, contacts, anonymised, form):
    client = labelstudio.client()
    title = "Vakttest"
    with pytest.raises(NotAnonymised, match="not anonymised"):
        push(client, [c.conversation() for c in contacts[:3]], form, title=title)
    # anonymised, then a phone number slips back in: refused, naming message index and type
    bad = anonymised[0].model_copy(deep=True)
    bad.messages.append(Message(role="stodsokande", text="ring mig på 070-123 45 67"))
    with pytest.raises(PersonalDataFound) as err:
        push(client, [*anonymised[1:4], bad], form, title=title)
    assert f"message {len(bad.messages) - 1}: TELEFON" in str(err.value)
    assert "070-123" not in str(err.value)
    # nothing at all was imported
    assert not any(p.title == title and p.task_number for p in client.projects.list())


def test_second_form_gives_a_second_valid_project(labelstudio, anonymised, mini_form):
    client = labelstudio.client()
    r = push(client, anonymised[:2], mini_form)
    project = client.projects.get(r.project_id)
    assert "Vad gäller frågan?" in project.label_config and r.created == 2


def test_round_trip_push_annotate_pull(labelstudio, contacts, anonymised, form, tmp_path):
    seconds = round_trip(labelstudio, contacts, anonymised, form, tmp_path / "pulled")
    print(f"\nround trip against Label Studio on SQLite: {seconds:.1f} s "
          f"({len(anonymised)} conversations; server started in {labelstudio.started_in:.1f} s)")


def test_cli_push_and_pull(labelstudio, contacts, anonymised, tmp_path, monkeypatch, mini_form):
    from childx_research.cli import app

    monkeypatch.setenv("LABEL_STUDIO_URL", labelstudio.url)
    monkeypatch.setenv("LABEL_STUDIO_USER_TOKEN", labelstudio.token)
    runner = CliRunner()
    form_path = str(ROOT / "annotation" / "forms" / "exempel-mini.yaml")
    raw = tmp_path / "raw.jsonl"
    write_jsonl(raw, [c.conversation() for c in contacts[:2]])
    res = runner.invoke(app, ["annotate", "push", "--input", str(raw), "--form", form_path,
                              "--project", "CLI-test", "--env-file", str(tmp_path / "none.env")])
    assert res.exit_code == 2
    lines = [l for l in res.output.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("childx: error: ") and "not anonymised" in lines[0]

    good = tmp_path / "anon.jsonl"
    write_jsonl(good, anonymised[:3])
    args = ["--form", form_path, "--project", "CLI-test", "--env-file", str(tmp_path / "none.env")]
    res = runner.invoke(app, ["annotate", "push", "--input", str(good), *args])
    assert res.exit_code == 0, res.output
    assert "3 nya uppgifter" in res.output
    res = runner.invoke(app, ["annotate", "push", "--input", str(good), *args])
    assert "0 nya uppgifter, 3 fanns redan" in res.output
    res = runner.invoke(app, ["annotate", "pull", "--out", str(tmp_path / "out"), *args])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "out" / "dataset" / "parquet").is_dir()
    res = runner.invoke(app, ["annotate", "push", "--input", str(good), "--url", "http://127.0.0.1:9",
                              *args])
    assert res.exit_code == 2 and "does not answer" in res.output


# --- the browser ------------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def _chromium(playwright):
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM),
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it as root)")
def test_annotator_in_the_browser(labelstudio, anonymised, form, tmp_path):
    """An annotator logs in, opens a task, sees the dialogue and the Swedish choices, picks
    options, marks a missed name, submits, and pull returns exactly those choices; every
    request the browser makes goes to this machine."""
    from urllib.parse import urlparse

    from playwright.sync_api import sync_playwright

    client = labelstudio.client()
    conv = next(c for c in anonymised if c.channel == "chatt" and len(c.messages) >= 3)
    title = "Webbläsartest"
    push(client, [conv], form, title=title)
    email, password = "annotator.webb@localhost", secrets.token_urlsafe(10)
    uid, _ = add_user(labelstudio.url, labelstudio.token, email, password)

    requests: list[str] = []
    picks: dict[str, object] = {}
    shots = [tmp_path / "annotate_task.png", ROOT / "runs" / "screenshots" / "annotate_task.png"]
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale="sv-SE")
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"{labelstudio.url}/user/login/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        pid = next(pr.id for pr in client.projects.list() if pr.title == title)
        page.goto(f"{labelstudio.url}/projects/{pid}/data?labeling=1")
        page.wait_for_selector(".childx-field", timeout=90_000)

        # the dialogue, both roles by their Swedish names
        first = conv.messages[0].text.split("\n")[0][:40]
        assert page.get_by_text(first, exact=False).first.is_visible()
        assert page.get_by_text("Stödsökande", exact=True).first.is_visible()
        assert page.get_by_text("Stödperson", exact=True).first.is_visible()

        fields = page.locator(".childx-field")
        for i, f in enumerate(form.fields):
            box = fields.nth(i)
            assert box.locator("h4").first.inner_text().startswith(f.label)
            if f.kind == "text":
                picks[f.key] = "Kort sammanfattning, inga personuppgifter."
                box.locator("textarea").fill(picks[f.key])
                continue
            chosen = [f.options[1]] if f.kind == "single" else [o for o in f.options if not o.exclusive][1:3]
            for o in chosen:
                label = box.locator("label", has_text=o.label).first
                assert label.is_visible()  # Swedish labels
                label.click()
            picks[f.key] = chosen[0].key if f.kind == "single" else [o.key for o in chosen]

        # mark a word in the second message as a missed name
        page.locator(".childx-missed").get_by_text("Namn", exact=True).click()
        page.get_by_text(conv.messages[1].text.split("\n")[0][:30], exact=False).first.dblclick()
        page.wait_for_timeout(500)
        for shot in shots:
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        page.get_by_test_id("bottombar-submit-button").click()
        page.wait_for_selector("text=No More Tasks Left in Queue", timeout=30_000)
        browser.close()

    res = pull(client, form, tmp_path / "pulled", title=title)
    (ann,) = res.annotations
    assert ann.annotator == uid and ann.complete and not ann.was_cancelled
    assert ann.form == picks
    assert [(s.type, s.message) for s in ann.missed_pii] == [("PERSON", 1)]
    assert res.failures[["id", "typ"]].values.tolist() == [[conv.id, "PERSON"]]
    assert ann.lead_time is not None and ann.lead_time > 0

    hosts = {urlparse(u).hostname for u in requests if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    assert requests and hosts <= LOCAL_HOSTS, f"requests left the machine: {sorted(hosts - LOCAL_HOSTS)}"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (make test installs it as root)")
def test_annotator_sees_the_models_evidence_highlighted(labelstudio, anonymised, form, tmp_path):
    """A pre-annotation's evidence is shown as a mark on the words in the dialogue, labelled
    with the field's name, before the annotator accepts anything (screenshot kept)."""
    from playwright.sync_api import sync_playwright

    client = labelstudio.client()
    conv = next(c for c in anonymised if c.channel == "chatt" and len(c.messages) >= 3
                and len(c.messages[0].text.split()) >= 3)
    said = conv.messages[0].text
    end = len(" ".join(said.split(" ")[:3]))  # the first three words of the first message
    field = form.field("kon")
    pred = FormRecord(id=conv.id, form={"kon": field.option_keys[0]}, confidence={"kon": 0.99},
                      evidence={"kon": [{"message": 0, "text": said[:end], "start": 0, "end": end}]})
    title = "Underlagstest"
    push(client, [conv], form, title=title, predictions=[pred], model_version="underlag-1")
    email, password = "annotator.underlag@localhost", secrets.token_urlsafe(10)
    add_user(labelstudio.url, labelstudio.token, email, password)
    shots = [tmp_path / "annotate_evidence.png", ROOT / "runs" / "screenshots" / "annotate_evidence.png"]
    with sync_playwright() as p:
        browser = _chromium(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, locale="sv-SE")
        page.goto(f"{labelstudio.url}/user/login/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        pid = next(pr.id for pr in client.projects.list() if pr.title == title)
        page.goto(f"{labelstudio.url}/projects/{pid}/data?labeling=1")
        page.wait_for_selector(".childx-field", timeout=90_000)
        page.wait_for_timeout(1000)
        # the marked words, with the field's name as the mark's label
        marks = page.locator(".childx-dialog .htx-highlight")
        assert marks.count() >= 1
        assert said[:end] in " ".join(marks.all_inner_texts())
        assert page.get_by_text(f"Underlag: {field.label}", exact=False).first.is_visible()
        for shot in shots:
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        browser.close()
