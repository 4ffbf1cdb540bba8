"""Where prices come from: the chosen catalog, fetched at most once a day, cached on disk, else a bundled snapshot.

Order: a cache younger than the refresh interval (24 h unless the config's `refresh_interval` says otherwise, in
seconds) is used as is; otherwise the catalog is fetched (5 s limit) and cached. When the fetch fails or returns
something that is not a catalog of the chosen format, the cache is used whatever its age, then the snapshot
shipped with planoai-cli. Nothing here is fatal: the result always says which source it is and how old.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planoai_cli.obs.pricing import FORMATS, PARSERS, Entry, PriceTable, parse_models_dev

if TYPE_CHECKING:
    from planoai_cli.health import Download
    from planoai_cli.model import MetricsSource

DEFAULT_URLS = {
    "models.dev": "https://models.dev/api.json",
    "digitalocean": "https://api.digitalocean.com/v2/gen-ai/models/catalog",
}
DEFAULT_MAX_AGE = 24 * 3600.0
FETCH_TIMEOUT = 5.0
SNAPSHOT = Path(__file__).with_name("pricing_snapshot.json")

Fetch = Callable[[str], "Download"]


@dataclass(frozen=True)
class Choice:
    """The catalog to use, and why (a flag, the config's entry, or the default)."""

    format: str  # one of FORMATS
    url: str
    reason: str
    max_age: float = DEFAULT_MAX_AGE
    aliases: Mapping[str, str] = field(default_factory=dict)


def choose(
    provider: str | None, url: str | None, sources: Sequence[MetricsSource] = (), config_name: str | None = None
) -> Choice:
    """Flags first, then the config's first `model_metrics_sources` entry with `type: cost`, then models.dev."""
    cost = next((s for s in sources if s.type == "cost"), None)
    if cost is not None and cost.provider not in FORMATS:
        cost = None  # the schema allows only these two; anything else was refused before we got here
    fmt = provider or (cost.provider if cost else "models.dev")
    extra: dict[str, Any] = {}
    if cost is not None and cost.provider == fmt:
        extra = {"aliases": dict(cost.model_aliases or {})}
        if cost.refresh_interval:
            extra["max_age"] = float(cost.refresh_interval)
    if provider or url:
        flags = " ".join(f for f, v in (("--pricing-provider", provider), ("--pricing-url", url)) if v)
        return Choice(fmt, url or DEFAULT_URLS[fmt], flags, **extra)
    if cost is not None:
        index = sources.index(cost)
        return Choice(
            fmt, cost.url or DEFAULT_URLS[fmt], f"{config_name or 'config'} model_metrics_sources[{index}]", **extra
        )
    return Choice(fmt, DEFAULT_URLS[fmt], "default")


@dataclass(frozen=True)
class Pricing:
    """The prices in force and the truth about them: where from, as of when, and why if not fresh."""

    table: PriceTable | None
    choice: Choice
    origin: str  # "fetched", "cache", "snapshot" or "none"
    as_of: datetime | None  # when the data was fetched (fetched, cache) or the snapshot's date
    note: str | None = None  # why a fallback was taken

    def to_json(self, now: datetime) -> dict[str, Any]:
        return {
            "format": self.choice.format,
            "url": self.choice.url,
            "chosen_by": self.choice.reason,
            "origin": self.origin,
            "as_of": _iso(self.as_of) if self.as_of else None,
            "age_seconds": round((now - self.as_of).total_seconds()) if self.as_of else None,
            "models": len(self.table) if self.table else 0,
            "note": self.note,
        }


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CACHE_HOME/planoai/pricing`, else `~/.cache/planoai/pricing`."""
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME") or Path.home()) / ".cache")
    return Path(base) / "planoai" / "pricing"


def cache_file(directory: Path, choice: Choice) -> Path:
    """`<format>.json` for the format's own URL; another URL gets a file of its own."""
    if choice.url == DEFAULT_URLS[choice.format]:
        return directory / f"{choice.format}.json"
    return directory / f"{choice.format}-{hashlib.sha256(choice.url.encode()).hexdigest()[:12]}.json"


def load(
    choice: Choice,
    *,
    directory: Path,
    now: datetime,
    refresh: bool = False,
    fetch: Fetch | None = None,
    snapshot: Path = SNAPSHOT,
) -> Pricing:
    """The prices for `choice`, from the freshest source that works (see the module docstring)."""
    path = cache_file(directory, choice)
    cached = _read_cache(path, choice)
    if cached is not None and not refresh and (now - cached[0]).total_seconds() < choice.max_age:
        return Pricing(_table(cached[1], choice), choice, "cache", cached[0])
    entries, document, why = _fetch(choice, fetch or _download)
    if entries:
        _write_cache(path, choice, now, document)
        return Pricing(_table(entries, choice), choice, "fetched", now)
    if cached is not None:
        return Pricing(_table(cached[1], choice), choice, "cache", cached[0], f"refresh failed: {why}")
    return _snapshot(choice, snapshot, f"{choice.format} catalog unavailable: {why}")


def _download(url: str) -> Download:
    from planoai_cli.health import download

    return download(url, timeout=FETCH_TIMEOUT)


def _fetch(choice: Choice, fetch: Fetch) -> tuple[list[Entry], Any, str]:
    """The catalog's entries and document, or no entries and why."""
    result = fetch(choice.url)
    if result.body is None:
        return [], None, result.error or "no answer"
    try:
        document = json.loads(result.body)
    except ValueError:
        return [], None, "the answer is not JSON"
    entries = PARSERS[choice.format](document)
    if not entries:
        return [], None, f"the answer is not a {choice.format} catalog (no model with input and output prices)"
    return entries, document, ""


def _read_cache(path: Path, choice: Choice) -> tuple[datetime, list[Entry]] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fetched = datetime.fromisoformat(data["fetched_at"])
        if data["url"] != choice.url or fetched.tzinfo is None:
            return None
        entries = PARSERS[choice.format](data["catalog"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing or damaged: as if there were none (a good fetch rewrites it)
    return (fetched, entries) if entries else None


def _write_cache(path: Path, choice: Choice, now: datetime, document: Any) -> None:
    text = json.dumps({"url": choice.url, "format": choice.format, "fetched_at": _iso(now), "catalog": document})
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)  # readers see the old file or the new one, never half of one
    except OSError:
        pass  # a read-only cache only costs a fetch next time


def _snapshot(choice: Choice, snapshot: Path, why: str) -> Pricing:
    try:
        data = json.loads(snapshot.read_text(encoding="utf-8"))
        dated = datetime.fromisoformat(data["snapshot_date"]).replace(tzinfo=UTC)
        entries = parse_models_dev(data["catalog"])
    except (OSError, ValueError, KeyError, TypeError):
        return Pricing(None, choice, "none", None, f"{why}; no usable bundled snapshot")
    return Pricing(_table(entries, choice), choice, "snapshot", dated, why)


def _table(entries: list[Entry], choice: Choice) -> PriceTable:
    return PriceTable(tuple(entries), choice.aliases)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
