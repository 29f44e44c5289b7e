"""How Label Studio is configured, without starting it: privacy settings that nothing can
switch back on, credentials from the environment or a git-ignored .env, database pass-through."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from childx_research.annotate.server import (PRIVACY_ENV, Credentials, LabelStudioError, db_settings_from,
                                             load_credentials, read_env_file, server_env)

ROOT = Path(__file__).resolve().parents[1]


def test_privacy_settings_win_over_the_callers_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LABEL_STUDIO_SENTRY_DSN", "https://key@o1.ingest.sentry.io/1")
    monkeypatch.setenv("HEARTEX_COLLECT_ANALYTICS", "true")
    monkeypatch.setenv("LATEST_VERSION_CHECK", "true")
    monkeypatch.setenv("USERNAME", "someone")
    env = server_env(tmp_path, Credentials("admin@localhost", "pw", "token-123456"),
                     extra={"FRONTEND_SENTRY_DSN": "https://x"})
    for key, value in PRIVACY_ENV.items():
        assert env[key] == value
    assert env["SENTRY_DSN"] == "" and env["FRONTEND_SENTRY_DSN"] == ""
    assert "LABEL_STUDIO_SENTRY_DSN" not in env and "HEARTEX_COLLECT_ANALYTICS" not in env
    assert env["LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK"] == "true"
    assert env["COLLECT_ANALYTICS"] == "false" and env["LATEST_VERSION_CHECK"] == "false"
    assert env["LABEL_STUDIO_BASE_DATA_DIR"] == str(tmp_path)
    assert "USERNAME" not in env and env["LABEL_STUDIO_USERNAME"] == "admin@localhost"
    assert env["AZURE_MOUNT_FIX"] == "true"  # SQLite in WAL mode
    assert server_env(tmp_path, None, extra={"DJANGO_DB": "default"}).get("AZURE_MOUNT_FIX") is None


def test_credentials_from_environment_then_env_file_else_created(monkeypatch, tmp_path):
    for k in ("LABEL_STUDIO_USERNAME", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_USER_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    env_file = tmp_path / ".env"
    with pytest.raises(LabelStudioError, match="LABEL_STUDIO_PASSWORD"):
        load_credentials(env_file, create=False)
    created = load_credentials(env_file)
    assert created.username == "admin@localhost" and len(created.password) >= 12 and len(created.token) >= 20
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert load_credentials(env_file) == created  # read back, not made anew
    assert created.password not in repr(created)
    monkeypatch.setenv("LABEL_STUDIO_PASSWORD", "from-the-environment")
    assert load_credentials(env_file).password == "from-the-environment"


def test_database_settings_pass_through_from_env_file(monkeypatch, tmp_path):
    monkeypatch.delenv("POSTGRE_HOST", raising=False)
    env_file = tmp_path / ".env"
    env_file.write_text('# team server\nDJANGO_DB=default\nPOSTGRE_HOST="db.local"\nexport POSTGRE_PORT=5433\n'
                        "SENTRY_DSN=https://nope\n", encoding="utf-8")
    assert read_env_file(env_file)["POSTGRE_HOST"] == "db.local"
    assert db_settings_from(env_file) == {"DJANGO_DB": "default", "POSTGRE_HOST": "db.local", "POSTGRE_PORT": "5433"}


def test_label_studio_data_and_secrets_are_git_ignored():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").split()
    for entry in (".env", "label-studio-data/", ".venv-*/", "runs/", "data/"):
        assert entry in ignored


HOSTILE_ENV = {
    "DEBUG": "true", "LABEL_STUDIO_DEBUG": "1", "HEARTEX_DEBUG": "yes", "DEBUG_MODAL_EXCEPTIONS": "true",
    "SSRF_PROTECTION_ENABLED": "false", "LABEL_STUDIO_SSRF_PROTECTION_ENABLED": "false",
    "USE_DEFAULT_BANNED_SUBNETS": "false", "HEARTEX_USER_ADDITIONAL_BANNED_SUBNETS": "",
    "ALLOWED_HOSTS": "*", "LABEL_STUDIO_ALLOWED_HOSTS": "*,evil.example",
    "ALLOW_ORGANIZATION_WEBHOOKS": "true", "LABEL_STUDIO_ALLOW_ORGANIZATION_WEBHOOKS": "true",
}


def test_hardening_wins_over_a_hostile_environment(monkeypatch, tmp_path):
    import ipaddress

    from childx_research.annotate.server import HARDENING_ENV

    for k, v in HOSTILE_ENV.items():
        monkeypatch.setenv(k, v)
    env = server_env(tmp_path, None, extra={"HEARTEX_SSRF_PROTECTION_ENABLED": "false", "DEBUG": "true"})
    assert env["DEBUG"] == "false" and env["DEBUG_MODAL_EXCEPTIONS"] == "false"
    assert env["SSRF_PROTECTION_ENABLED"] == "true"
    assert env["ALLOWED_HOSTS"].split(",") == ["127.0.0.1", "localhost"]
    assert env["ALLOW_ORGANIZATION_WEBHOOKS"] == "false"
    for k in HARDENING_ENV:  # no prefixed variant survives to win over the plain name
        assert f"LABEL_STUDIO_{k}" not in env and f"HEARTEX_{k}" not in env
    banned = [ipaddress.ip_network(n) for n in env["USER_ADDITIONAL_BANNED_SUBNETS"].split(",")]

    def is_banned(ip: str) -> bool:
        return any(ipaddress.ip_address(ip) in n for n in banned)

    for ip in ("93.184.216.34", "10.0.0.5", "192.168.1.1", "169.254.169.254", "0.0.0.0", "8.8.8.8",
               "2001:4860:4860::8888", "fe80::1", "::ffff:10.0.0.1", "255.255.255.255"):
        assert is_banned(ip), ip
    for ip in ("127.0.0.1", "127.0.1.1", "::1"):
        assert not is_banned(ip), ip


@pytest.mark.slow
def test_live_server_started_from_a_hostile_environment_stays_hardened(monkeypatch, tmp_path):
    """The real Label Studio, started with hostile values in the caller's environment: an
    unknown Host header is refused, no debug page, and webhooks to a public or private
    address are refused while 127.0.0.1 stays allowed."""
    import secrets

    import httpx

    from childx_research.annotate.server import label_studio_bin, start_server

    if label_studio_bin() is None:
        pytest.skip("Label Studio is not installed (make labelstudio)")
    for k, v in HOSTILE_ENV.items():
        monkeypatch.setenv(k, v)
    creds = Credentials("admin@localhost", secrets.token_urlsafe(12), secrets.token_hex(20))
    server = start_server(tmp_path / "ls", port=None, credentials=creds, env_file=None, timeout=600)
    try:
        auth = {"Authorization": f"Token {creds.token}"}
        assert httpx.get(f"{server.url}/api/projects/", headers={**auth, "Host": "evil.example"}).status_code == 400
        missing = httpx.get(f"{server.url}/no-such-page-{secrets.token_hex(4)}/", headers=auth)
        assert missing.status_code == 404 and "Traceback" not in missing.text and "DEBUG" not in missing.text
        for url in ("http://93.184.216.34/hook", "http://10.1.2.3/hook", "http://169.254.169.254/latest"):
            r = httpx.post(f"{server.url}/api/webhooks/", headers=auth, json={"url": url})
            assert r.status_code in (400, 403) and "reserved network" in r.text, url
        local = httpx.post(f"{server.url}/api/webhooks/", headers=auth, json={"url": "http://127.0.0.1:9/hook"})
        assert "reserved network" not in local.text
    finally:
        server.stop()
