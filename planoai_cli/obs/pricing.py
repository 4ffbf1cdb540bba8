"""Pricing: catalogs (models.dev, DigitalOcean) -> per-model rates, the lookup rules, and the cost of a call.

Rates are USD per million tokens. A lookup tries, in order: the config's `model_aliases` entry, the call's
`provider/model`, the name as given, the name without its `provider/` prefix, and each of those without an
date suffix (`-20241022`, `@20241022`, `-2024-08-06`). Names compare case-insensitively, with a dot between digits read
as a dash (`claude-3.5-haiku` = `claude-3-5-haiku`) and Claude's version/family order unified
(`claude-3-5-sonnet` = `claude-sonnet-3-5`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from planoai_cli.obs.calls import Usage

FORMATS = ("models.dev", "digitalocean")
# A bare model name offered by several catalog providers takes the model maker's price, not a reseller's.
_FIRST_PARTY = (
    "openai",
    "anthropic",
    "google",
    "mistral",
    "deepseek",
    "xai",
    "moonshotai",
    "zhipuai",
    "cohere",
    "digitalocean",
)
# Gateway provider prefixes whose catalog provider id is spelled differently.
_PROVIDER_IDS = {"gemini": "google", "together_ai": "togetherai", "zhipu": "zhipuai"}
_DATE = re.compile(r"[-@](?:\d{8}|\d{4}-\d{2}-\d{2})$")  # -20241022, @20241022, -2024-08-06
_DOT_VERSION = re.compile(r"(?<=\d)\.(?=\d)")
_CLAUDE_VERSION_FIRST = re.compile(r"^claude-(\d+(?:-\d+)?)-(opus|sonnet|haiku)\b")


@dataclass(frozen=True)
class Rate:
    """USD per million tokens; a cache rate of None means the catalog does not say."""

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None


@dataclass(frozen=True)
class Entry:
    """One priced model of a catalog."""

    provider: str  # catalog provider id ("" when the catalog has none)
    model: str
    rate: Rate


def cost(usage: Usage, rate: Rate) -> float:
    """USD for one call, rounded to 6 decimals.

    Fresh input (prompt − cached − cache creation) at the input rate, cached input at the cache-read rate and
    cache creation at the cache-write rate (each at the input rate when the catalog has none), completion at the
    output rate. Reasoning tokens are part of the completion count and are not charged twice.
    """
    cached, written = usage.cached, usage.cache_creation
    # OpenAI-style usage counts cached tokens inside prompt_tokens; Anthropic-style counts them apart. When the
    # cache counts exceed the prompt they cannot be part of it, so the prompt is all fresh input.
    fresh = usage.prompt - cached - written if cached + written <= usage.prompt else usage.prompt
    total = (
        fresh * rate.input
        + cached * _or(rate.cache_read, rate.input)
        + written * _or(rate.cache_write, rate.input)
        + usage.completion * rate.output
    )
    return round(total / 1_000_000, 6)


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


@dataclass(frozen=True)
class PriceTable:
    """Every name a catalog's entries answer to, and the lookup rules over them."""

    entries: tuple[Entry, ...]
    aliases: Mapping[str, str] = field(default_factory=dict)  # gateway model name -> catalog model name
    _index: Mapping[str, Rate] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", _build_index(self.entries))

    def __len__(self) -> int:
        return len(self.entries)

    def lookup(self, model: str, provider: str | None = None) -> Rate | None:
        """The rate of `model` as the gateway named it (`provider` from the span helps pick the entry)."""
        for key in candidates(model, provider, self.aliases):
            rate = self._index.get(key)
            if rate is not None:
                return rate
        return None


def normalize(name: str) -> str:
    """The comparison form of a model name (lower case, dashes for dotted versions, Claude family first)."""
    text = _DOT_VERSION.sub("-", name.strip().lower())
    head, slash, tail = text.rpartition("/")
    return head + slash + _CLAUDE_VERSION_FIRST.sub(r"claude-\2-\1", tail)


def candidates(model: str, provider: str | None, aliases: Mapping[str, str] | None = None) -> list[str]:
    """The normalized keys a lookup tries, in order, without repeats."""
    names = []
    if aliases and model in aliases:
        names.append(aliases[model])
    bare = model.split("/", 1)[1] if "/" in model else model
    if provider:
        names.append(f"{_PROVIDER_IDS.get(provider.lower(), provider)}/{bare}")
    names += [model, bare]
    keys = [normalize(n) for n in names]
    keys += [_DATE.sub("", k) for k in keys]
    return list(dict.fromkeys(keys))


def _build_index(entries: Iterable[Entry]) -> dict[str, Rate]:
    # Rank every (key, entry): qualified names beat bare ones, first-party providers beat resellers, exact beats
    # date-stripped; ties go to the provider id that sorts first, so the result never depends on catalog order.
    ranked: dict[str, tuple[tuple[int, int, str], Rate]] = {}
    for entry in entries:
        for key, rank in _keys(entry):
            previous = ranked.get(key)
            if previous is None or rank < previous[0]:
                ranked[key] = (rank, entry.rate)
    return {key: rate for key, (_, rate) in ranked.items()}


def _keys(entry: Entry) -> Iterator[tuple[str, tuple[int, int, str]]]:
    provider = entry.provider.lower()
    party = 0 if provider in _FIRST_PARTY else 1
    forms = [(normalize(f"{provider}/{entry.model}"), 0)] if provider else []
    forms.append((normalize(entry.model), 1 + party))
    for key, level in forms:
        yield key, (level, 0, provider)
        undated = _DATE.sub("", key)
        if undated != key:
            yield undated, (level, 1, provider)


# --- models.dev: {provider_id: {"id", "models": {model_id: {"id", "cost": {input, output, cache_read,
# cache_write}}}}}, costs in USD per million tokens. Models without an input and an output cost are skipped.


def parse_models_dev(data: Any) -> list[Entry]:
    entries: list[Entry] = []
    if not isinstance(data, dict):
        return entries
    for provider_key, provider in data.items():
        models = provider.get("models") if isinstance(provider, dict) else None
        if not isinstance(models, dict):
            continue
        provider_id = _string(provider.get("id")) or str(provider_key)
        for model_key, model in models.items():
            if not isinstance(model, dict) or not isinstance(model.get("cost"), dict):
                continue
            rate = _rate(
                model["cost"],
                {
                    "input": ("input",),
                    "output": ("output",),
                    "cache_read": ("cache_read",),
                    "cache_write": ("cache_write",),
                },
            )
            if rate is not None:
                entries.append(Entry(provider_id, _string(model.get("id")) or str(model_key), rate))
    return entries


# --- DigitalOcean gen-ai catalog. Its shape is not pinned by a published schema we can test against, so the
# parser is deliberately lenient and reads only these fields:
#   the model list: the document itself when it is a list, else the first list under models/data/catalog/items;
#   names: every string among model_id, inference_name, id, name, slug (each becomes a lookup name);
#   provider: `provider` (a string, or an object with `name`/`id`);
#   prices: the first object among pricing/price/prices/cost, else the entry itself, with the keys below; a key
#     ending in _per_thousand/_per_1k is per 1,000 tokens and one ending in _per_token is per token (converted),
#     anything else per million; values are numbers or numeric strings ("0.15", "$0.15").
_DO_LISTS = ("models", "data", "catalog", "items")
_DO_NAMES = ("model_id", "inference_name", "id", "name", "slug")
_DO_PRICES = ("pricing", "price", "prices", "cost")
_DO_RATES = {
    "input": (
        "input_price_per_million",
        "input_cost_per_million",
        "input_price_per_million_tokens",
        "input_per_million",
        "input_price_per_thousand",
        "input_price_per_token",
        "input_price",
        "input",
        "prompt",
    ),
    "output": (
        "output_price_per_million",
        "output_cost_per_million",
        "output_price_per_million_tokens",
        "output_per_million",
        "output_price_per_thousand",
        "output_price_per_token",
        "output_price",
        "output",
        "completion",
    ),
    "cache_read": (
        "cached_input_price_per_million",
        "cache_read_price_per_million",
        "input_cache_read_per_million",
        "cached_input_price",
        "cache_read",
    ),
    "cache_write": ("cache_write_price_per_million", "cache_creation_price_per_million", "cache_write"),
}


def parse_digitalocean(data: Any) -> list[Entry]:
    entries = []
    for item in _do_items(data):
        prices = next((item[k] for k in _DO_PRICES if isinstance(item.get(k), dict)), item)
        rate = _rate(prices, _DO_RATES)
        if rate is None:
            continue
        provider = _do_provider(item.get("provider"))
        names = dict.fromkeys(n for n in (_string(item.get(k)) for k in _DO_NAMES) if n)
        entries += [Entry(provider, name, rate) for name in names]
    return entries


def _do_items(data: Any) -> list[dict[str, Any]]:
    items = data if isinstance(data, list) else None
    if isinstance(data, dict):
        items = next((data[k] for k in _DO_LISTS if isinstance(data.get(k), list)), None)
    return [item for item in items or () if isinstance(item, dict)]


def _do_provider(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("name") or value.get("id")
    return (_string(value) or "").lower()


PARSERS = {"models.dev": parse_models_dev, "digitalocean": parse_digitalocean}


def _rate(prices: Mapping[str, Any], keys: Mapping[str, tuple[str, ...]]) -> Rate | None:
    found = {
        field_: next((v for v in (_per_million(k, prices.get(k)) for k in names) if v is not None), None)
        for field_, names in keys.items()
    }
    if found["input"] is None or found["output"] is None:
        return None
    return Rate(found["input"], found["output"], found["cache_read"], found["cache_write"])


def _per_million(key: str, value: Any) -> float | None:
    if isinstance(value, str):
        value = value.strip().lstrip("$").strip()
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    if not 0 <= number < float("inf"):
        return None
    if key.endswith(("_per_thousand", "_per_1k")):
        return round(number * 1_000, 9)  # 0.0008 * 1000 is 0.8000000000000002 in binary floating point
    return round(number * 1_000_000, 9) if key.endswith("_per_token") else number


def _string(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
