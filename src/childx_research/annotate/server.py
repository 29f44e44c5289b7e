"""Starting and stopping the real Label Studio, on this machine only.

Label Studio runs from its own virtual environment (``.venv-labelstudio``, installed by
``make labelstudio`` from ``annotation/labelstudio-requirements.txt``): it pins its own
Django stack. The server

- listens on 127.0.0.1 only, and keeps its SQLite database and files in a data folder
  outside git (``label-studio-data/`` by default; the whole folder is git-ignored);
- sends nothing anywhere: Sentry (backend and frontend), usage analytics, the PyPI
  version check and remote feature flags are switched off, and git is kept from
  reporting this repository's commits as Label Studio's version;
- is hardened whatever the caller's environment says: no debug pages, SSRF protection on,
  only 127.0.0.1/localhost accepted as host, no webhook or other outgoing request to
  anything but 127.0.0.1 (:data:`HARDENING_ENV`);
- refuses sign-up without the organisation's invitation link;
- creates its first admin user and API token without prompts, from the environment or a
  local git-ignored ``.env`` (``LABEL_STUDIO_USERNAME``, ``LABEL_STUDIO_PASSWORD``,
  ``LABEL_STUDIO_USER_TOKEN``); when neither has them, random ones are written to ``.env``.

A team that outgrows one laptop points Label Studio at PostgreSQL with its own settings
(``DJANGO_DB=default``, ``POSTGRE_NAME`` ...; see the README): they are passed through.
"""

from __future__ import annotations

import gzip
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..records import atomic_open as atomic_write

REPO_ROOT = Path(__file__).resolve().parents[3]
LS_VENV = Path(os.environ.get("CHILDX_LABEL_STUDIO_VENV", REPO_ROOT / ".venv-labelstudio"))
REQUIREMENTS = REPO_ROOT / "annotation" / "labelstudio-requirements.txt"
DEFAULT_DATA_DIR = REPO_ROOT / "label-studio-data"
DEFAULT_ENV_FILE = REPO_ROOT / ".env"
DEFAULT_PORT = 8080
HOST = "127.0.0.1"
DEFAULT_USERNAME = "admin@localhost"
#: A migrated, empty database, copied into new data folders so that a fresh server starts
#: in seconds instead of running every migration again (kept inside the Label Studio venv,
#: so it is rebuilt whenever that venv is).
DB_TEMPLATE = LS_VENV / "childx-db-template" / "label_studio.sqlite3"
DB_NAME = "label_studio.sqlite3"

#: Settings that keep everything on this machine (names as Label Studio's settings read them).
PRIVACY_ENV = {
    "SENTRY_DSN": "",
    "FRONTEND_SENTRY_DSN": "",
    "COLLECT_ANALYTICS": "false",
    "LATEST_VERSION_CHECK": "false",
    "FEATURE_FLAGS_OFFLINE": "true",
    "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
    "LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED": "false",
    # show each option's guideline as a hover hint on the choice
    "fflag_feat_front_prod_309_choice_hint_080523_short": "true",
}




def _all_but_loopback() -> str:
    """Every IPv4 and IPv6 network except 127.0.0.0/8 and ::1, as Label Studio's
    comma-separated ``USER_ADDITIONAL_BANNED_SUBNETS``: with SSRF protection on, a webhook,
    URL import or storage endpoint can reach this machine's own services and nothing else."""
    import ipaddress

    v4 = ipaddress.ip_network("0.0.0.0/0").address_exclude(ipaddress.ip_network("127.0.0.0/8"))
    v6 = ipaddress.ip_network("::/0").address_exclude(ipaddress.ip_network("::1/128"))
    return ",".join(str(n) for n in sorted(v4) + sorted(v6))


#: Settings that harden the server whatever the caller's environment says (applied last, with
#: the privacy settings): no debug pages (they show settings and tracebacks with data in
#: them), SSRF protection on, only this machine's host names accepted, and no outgoing
#: request (webhooks included) to anything but 127.0.0.1. Label Studio's own default list
#: of banned subnets is switched off only because the list here bans everything it bans
#: except loopback.
HARDENING_ENV = {
    "DEBUG": "false",
    "DEBUG_MODAL_EXCEPTIONS": "false",
    "SSRF_PROTECTION_ENABLED": "true",
    "USE_DEFAULT_BANNED_SUBNETS": "false",
    "USER_ADDITIONAL_BANNED_SUBNETS": _all_but_loopback(),
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "ALLOW_ORGANIZATION_WEBHOOKS": "false",
}


class LabelStudioError(InputError):
    """Label Studio is missing, would not start, or refused a request."""


# --- credentials ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    token: str = field(repr=False)


def read_env_file(path: str | Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a ``.env`` file (comments, blank lines and quotes allowed)."""
    out: dict[str, str] = {}
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return out
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip().removeprefix("export ").strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        out[key] = value
    return out


def load_credentials(env_file: str | Path | None = DEFAULT_ENV_FILE, *, create: bool = True) -> Credentials:
    """The admin's credentials: the environment first, then ``env_file``; when neither
    has them and ``create`` is set, random ones are appended to ``env_file`` (mode 0600)."""
    file_env = read_env_file(env_file) if env_file else {}

    def get(key: str) -> str | None:
        return os.environ.get(key) or file_env.get(key) or None

    username = get("LABEL_STUDIO_USERNAME")
    password = get("LABEL_STUDIO_PASSWORD")
    token = get("LABEL_STUDIO_USER_TOKEN")
    if username and password and token:
        return Credentials(username, password, token)
    if not create or env_file is None:
        missing = [k for k, v in (("LABEL_STUDIO_USERNAME", username), ("LABEL_STUDIO_PASSWORD", password),
                                  ("LABEL_STUDIO_USER_TOKEN", token)) if not v]
        raise LabelStudioError(f"missing {', '.join(missing)} (set them in the environment or in .env)")
    new = {
        "LABEL_STUDIO_USERNAME": username or DEFAULT_USERNAME,
        "LABEL_STUDIO_PASSWORD": password or secrets.token_urlsafe(12),
        "LABEL_STUDIO_USER_TOKEN": token or secrets.token_hex(20),
    }
    lines = [f"{k}={v}" for k, v in new.items() if not file_env.get(k) and not os.environ.get(k)]
    path = Path(env_file)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as fh:
        fh.write("# Label Studio's first admin user and API token (created by childx annotate; never commit)\n")
        fh.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return Credentials(new["LABEL_STUDIO_USERNAME"], new["LABEL_STUDIO_PASSWORD"], new["LABEL_STUDIO_USER_TOKEN"])


# --- the Label Studio installation -----------------------------------------------------------


def label_studio_bin() -> Path | None:
    """The ``label-studio`` executable of the project's Label Studio venv, if installed."""
    exe = LS_VENV / "bin" / "label-studio"
    return exe if exe.exists() else None


def pinned_version() -> str | None:
    m = re.search(r"^label-studio==(\S+)", REQUIREMENTS.read_text(encoding="utf-8"), re.M) \
        if REQUIREMENTS.exists() else None
    return m.group(1) if m else None


def require_label_studio() -> Path:
    exe = label_studio_bin()
    if exe is None:
        raise LabelStudioError(f"Label Studio is not installed in {LS_VENV} (run `make labelstudio`)")
    return exe


def server_env(data_dir: Path, credentials: Credentials | None, extra: dict[str, str] | None = None
               ) -> dict[str, str]:
    """The environment Label Studio runs with (the caller's, plus the privacy and hardening
    settings, which win over both the caller's environment and ``extra``)."""
    env = dict(os.environ)
    env.update(extra or {})
    for k in {**PRIVACY_ENV, **HARDENING_ENV}:
        # Label Studio reads LABEL_STUDIO_<KEY>, then HEARTEX_<KEY>, then <KEY>: drop every
        # variant of the privacy settings so nothing inherited can switch one back on
        base = k.removeprefix("LABEL_STUDIO_")
        for variant in (f"LABEL_STUDIO_{base}", f"HEARTEX_{base}", base):
            env.pop(variant, None)
    env.update(PRIVACY_ENV)  # last: nothing passed in switches them back on
    env.update(HARDENING_ENV)
    env.update({
        "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir),
        "DO_NOT_TRACK": "1",
        # Label Studio asks git for "its" version from its package folder, which lies inside
        # this repository: stop git at the venv so no commit message of ours is reported
        "GIT_CEILING_DIRECTORIES": str(LS_VENV),
        "PYTHONUNBUFFERED": "1",
    })
    for k in ("LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_USER_TOKEN", "USERNAME", "PASSWORD",
              "USER_TOKEN", "HEARTEX_USERNAME", "HEARTEX_PASSWORD", "HEARTEX_USER_TOKEN"):
        env.pop(k, None)
    if _uses_sqlite(env):
        # Label Studio's own switch for SQLite's write-ahead log: saving an annotation
        # takes about 0.1 s instead of 0.25 s, and readers no longer block the writer
        env["AZURE_MOUNT_FIX"] = "true"
    if credentials is not None:
        env.update({"LABEL_STUDIO_USERNAME": credentials.username, "LABEL_STUDIO_PASSWORD": credentials.password,
                    "LABEL_STUDIO_USER_TOKEN": credentials.token})
    return env


#: Label Studio's own database settings, passed through from the environment or ``.env``.
DB_KEYS = ("DJANGO_DB", "POSTGRE_NAME", "POSTGRE_USER", "POSTGRE_PASSWORD", "POSTGRE_HOST", "POSTGRE_PORT")


def _uses_sqlite(env: dict[str, str]) -> bool:
    value = env.get("LABEL_STUDIO_DJANGO_DB") or env.get("HEARTEX_DJANGO_DB") or env.get("DJANGO_DB")
    return value in (None, "", "sqlite")


def db_settings_from(env_file: str | Path | None) -> dict[str, str]:
    """The database settings in ``env_file`` that the environment does not already set."""
    file_env = read_env_file(env_file) if env_file else {}
    return {k: v for k, v in file_env.items()
            if k.removeprefix("LABEL_STUDIO_") in DB_KEYS and k not in os.environ}


def installed_version() -> str | None:
    """The version of Label Studio installed in its venv (from its dist-info folder)."""
    for d in sorted(LS_VENV.glob("lib/python*/site-packages/label_studio-*.dist-info")):
        return d.name.removeprefix("label_studio-").removesuffix(".dist-info")
    return None


def shipped_db_template(version: str | None = None) -> Path:
    """Where the repository keeps the migrated empty database for a Label Studio version:
    running its ~400 migrations takes most of a minute on a laptop, copying takes nothing."""
    return REPO_ROOT / "annotation" / f"labelstudio-{version or installed_version()}-empty-db.sqlite3.gz"


def _migrate_into(db_path: Path, timeout: float) -> None:
    exe = require_label_studio()
    with tempfile.TemporaryDirectory(prefix="migrate-", dir=db_path.parent) as tmp:
        env = server_env(Path(tmp), None)
        proc = subprocess.run([str(exe), "version", "--data-dir", tmp], env=env, cwd=tmp, timeout=timeout,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        db = Path(tmp) / DB_NAME
        if proc.returncode != 0 or not db.exists():
            raise LabelStudioError("Label Studio could not create its database:\n" + proc.stdout[-2000:])
        os.replace(db, db_path)


def ensure_db_template(timeout: float = 600) -> Path:
    """The migrated empty SQLite database: the repository's copy for the installed version,
    or else built once by running the migrations (about a minute). Label Studio still runs
    any migration a copy lacks when it starts, so a stale copy is slow, never wrong."""
    if DB_TEMPLATE.exists():
        return DB_TEMPLATE
    require_label_studio()
    DB_TEMPLATE.parent.mkdir(parents=True, exist_ok=True)
    shipped = shipped_db_template()
    if shipped.exists():
        fd, tmp = tempfile.mkstemp(prefix=".template-", dir=DB_TEMPLATE.parent)
        with os.fdopen(fd, "wb") as out, gzip.open(shipped, "rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(tmp, DB_TEMPLATE)
    else:
        _migrate_into(DB_TEMPLATE, timeout)
    return DB_TEMPLATE


def write_shipped_db_template(timeout: float = 600) -> Path:
    """Run the migrations of the installed Label Studio into a fresh database and store it,
    gzipped, in ``annotation/`` (`make labelstudio-template`, after changing the pin)."""
    require_label_studio()
    target = shipped_db_template()
    with tempfile.TemporaryDirectory(prefix="template-") as tmp:
        db = Path(tmp) / DB_NAME
        _migrate_into(db, timeout)
        with atomic_write(target, "wb") as out, open(db, "rb") as src, \
                gzip.GzipFile(filename="", mode="wb", fileobj=out, compresslevel=9, mtime=0) as gz:
            shutil.copyfileobj(src, gz)
    os.chmod(target, 0o644)
    return target


# --- the server ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex((HOST, port)) == 0


@dataclass
class LabelStudioServer:
    """A running Label Studio (started here, or found already running at ``url``)."""

    url: str
    credentials: Credentials
    data_dir: Path | None = None
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    started_in: float | None = None

    @property
    def token(self) -> str:
        return self.credentials.token

    def client(self):
        return connect(self.url, self.token)

    def login_help(self, env_file: Path | None = DEFAULT_ENV_FILE) -> str:
        where = f" (lösenordet står i {env_file} som LABEL_STUDIO_PASSWORD)" if env_file else ""
        return (f"Label Studio: {self.url}\n"
                f"Logga in med e-post {self.credentials.username}{where}.\n"
                f"Annotatörer: som admin, öppna Organization → Add People och skicka inbjudningslänken; "
                f"registrering utan länk är avstängd.")

    def stop(self, timeout: float = 20) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=timeout)

    def __enter__(self) -> "LabelStudioServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def connect(url: str, token: str):
    """A label-studio-sdk client for ``url`` with a legacy API token."""
    from label_studio_sdk import LabelStudio

    return LabelStudio(base_url=url.rstrip("/"), api_key=token, timeout=120)


def is_ready(url: str, token: str | None = None) -> bool:
    """Label Studio answers at ``url`` (and accepts ``token``, when given)."""
    import httpx

    try:
        if httpx.get(f"{url}/health", timeout=2).status_code != 200:
            return False
        if token is None:
            return True
        r = httpx.get(f"{url}/api/current-user/whoami", headers={"Authorization": f"Token {token}"}, timeout=5)
        return r.status_code == 200
    except httpx.HTTPError:
        return False


def start_server(data_dir: str | Path | None = None, port: int | None = DEFAULT_PORT, *,
                 credentials: Credentials | None = None, env_file: str | Path | None = DEFAULT_ENV_FILE,
                 timeout: float = 300, log_path: str | Path | None = None,
                 extra_env: dict[str, str] | None = None) -> LabelStudioServer:
    """Start Label Studio on 127.0.0.1 and wait until it answers with the admin's token.

    ``port=None`` takes a free port. A fresh SQLite data folder gets a copy of the
    migrated empty database, so only the very first start runs the migrations.
    """
    exe = require_label_studio()
    data_dir = Path(data_dir or DEFAULT_DATA_DIR).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    credentials = credentials or load_credentials(env_file)
    port = port or free_port()
    url = f"http://{HOST}:{port}"
    if port_in_use(port):
        if is_ready(url, credentials.token):
            return LabelStudioServer(url=url, credentials=credentials, data_dir=None)
        raise LabelStudioError(f"port {port} on {HOST} is already in use by something else (try --port)")
    env = server_env(data_dir, credentials, {**db_settings_from(env_file), **(extra_env or {})})
    if _uses_sqlite(env) and not (data_dir / DB_NAME).exists():
        shutil.copyfile(ensure_db_template(), data_dir / DB_NAME)
    log_path = Path(log_path) if log_path else data_dir / "label-studio.log"
    t0 = time.perf_counter()
    log = open(log_path, "ab")
    try:
        proc = subprocess.Popen(
            [str(exe), "start", "--no-browser", "--internal-host", HOST, "--port", str(port),
             "--data-dir", str(data_dir), "--enable-legacy-api-token", "--log-level", "WARNING"],
            env=env, cwd=str(data_dir), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    finally:
        log.close()
    server = LabelStudioServer(url=url, credentials=credentials, data_dir=data_dir, process=proc, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        if is_ready(url, credentials.token):
            server.started_in = time.perf_counter() - t0
            return server
        time.sleep(0.5)
    server.stop()
    tail = log_path.read_text(encoding="utf-8", errors="replace")[-3000:] if log_path.exists() else ""
    why = "exited" if proc.returncode is not None else f"did not answer within {timeout:.0f} s"
    raise LabelStudioError(f"Label Studio {why}; its log ({log_path}) ends:\n{tail}")


def add_user(url: str, admin_token: str, email: str, password: str) -> tuple[int, str]:
    """Create an annotator account the way people do (the organisation's invitation link)
    and return its user id and API token."""
    import httpx

    headers = {"Authorization": f"Token {admin_token}"}
    invite = httpx.get(f"{url}/api/invite", headers=headers, timeout=30)
    invite.raise_for_status()
    link = invite.json()["invite_url"]
    with httpx.Client(base_url=url, follow_redirects=True, timeout=60) as s:
        s.get(link).raise_for_status()
        r = s.post(link, data={"email": email, "password": password,
                               "csrfmiddlewaretoken": s.cookies.get("csrftoken", "")},
                   headers={"Referer": url + link})
        r.raise_for_status()
        who = s.get("/api/current-user/whoami")
        if who.status_code != 200:
            raise LabelStudioError(f"could not create the user {email} (sign-up refused)")
        token = s.get("/api/current-user/token").json()["token"]
        return int(who.json()["id"]), token
