"""The import mapping (``childx import --mapping F``): how an export maps onto conversations.

The contract is the "Import mapping" section of ``shared/spec/formats.md``; every key is
optional, a misspelt key is an error. Keys added here (beyond the contract): ``channels``
(the export's channel values -> chatt/mejl), ``skip_roles`` (sender values whose rows are
left out, such as a chat tool's "System" lines), ``encoding`` and ``delimiter`` (CSV/TSV;
default: detected), ``time_format`` (a ``strptime`` format for times that are not ISO 8601)
``boilerplate`` (mail: fixed texts, such as a disclaimer, removed wherever they appear) and
``messages`` (JSON: the key of each record's list of messages, when a record is a whole
conversation).
"""

from __future__ import annotations

import codecs
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..errors import InputError
from ..records import Channel, Role
from ..yamlio import read_yaml

ROLES: tuple[Role, ...] = ("stodsokande", "stodperson")
CHANNELS: tuple[Channel, ...] = ("chatt", "mejl")


class Columns(BaseModel):
    """Column names of a table (or keys of a JSON record; ``a.b`` reaches into a nested object)."""

    model_config = ConfigDict(extra="forbid")

    conversation: str = "conversation"
    time: str = "time"
    role: str = "role"
    text: str = "text"
    organisation: str | None = None
    channel: str | None = None


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")

    columns: Columns = Field(default_factory=Columns)
    roles: dict[str, Role] = Field(default_factory=dict)
    skip_roles: list[str] = Field(default_factory=list)
    channels: dict[str, Channel] = Field(default_factory=dict)
    organisation: str | None = None
    channel: Channel | None = None
    timezone: str = "Europe/Stockholm"
    time_format: str | None = None
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = Field(default=None, min_length=1, max_length=1)
    worker_addresses: list[str] = Field(default_factory=list)
    boilerplate: list[str] = Field(default_factory=list)
    messages: str | None = None

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (e.g. Europe/Stockholm)") from None
        return v

    @field_validator("encoding")
    @classmethod
    def _enc(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"unknown encoding {v!r} (e.g. utf-8, cp1252)") from None
        return v

    @field_validator("worker_addresses")
    @classmethod
    def _addresses(cls, v: list[str]) -> list[str]:
        return [a.strip().lower() for a in v if a.strip()]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def role_of(self, value: str) -> Role | None:
        """The role for an export's sender value: the mapping's ``roles`` (exact, then ignoring
        case and surrounding space), or the value itself when it already is a role."""
        if value in self.roles:
            return self.roles[value]
        folded = value.strip().casefold()
        for k, r in self.roles.items():
            if k.strip().casefold() == folded:
                return r
        return folded if folded in ROLES else None  # type: ignore[return-value]

    def skips(self, value: str) -> bool:
        folded = value.strip().casefold()
        return any(folded == s.strip().casefold() for s in self.skip_roles)

    def channel_of(self, value: str) -> Channel | None:
        if value in self.channels:
            return self.channels[value]
        folded = value.strip().casefold()
        for k, c in self.channels.items():
            if k.strip().casefold() == folded:
                return c
        return folded if folded in CHANNELS else None  # type: ignore[return-value]

    def is_worker(self, address: str) -> bool:
        """An address in ``worker_addresses``; an entry ``@domain.se`` matches the whole domain."""
        a = address.strip().lower()
        return any(a == w or (w.startswith("@") and a.endswith(w)) for w in self.worker_addresses)


def load_mapping(path: str | Path | None) -> Mapping:
    """The mapping in ``path`` (YAML), or the defaults of formats.md when ``path`` is None."""
    if path is None:
        return Mapping()
    data = read_yaml(path, "mapping file")
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = list(err["loc"])
        if len(loc) >= 2 and loc[0] in ("roles", "channels") and isinstance(data.get(loc[0]), dict):
            # an export's sender value can be a person's name: name its place, not the value
            keys = list(data[loc[0]])
            loc[1] = f"[{keys.index(loc[1]) + 1}]" if loc[1] in keys else "[?]"
        key = ".".join(str(p) for p in loc).replace(".[", "[")
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown key (see annotation/import/ for the keys)"
        raise InputError(msg, path=path, key=key) from None


__all__ = ["Mapping", "Columns", "load_mapping", "ROLES", "CHANNELS"]
