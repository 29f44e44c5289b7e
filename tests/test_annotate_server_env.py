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
