"""Settings from the environment and `.env`, validated once at start, with pydantic-settings.

`Settings` holds Payback's own variables; each source declares its variables in a `SourceSettings` class of its
own package (`pipelines/sources/<name>/settings.py`, under the source's prefix), and `Settings.from_env` reads
every declared source's too. A bad value stops the program with a message naming the variable, before anything
is read or written. Secrets are `SecretStr`: never in a repr, a log or an error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, Self
from urllib.parse import urlsplit
from urllib.request import url2pathname
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv
from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict
from pydantic_settings.sources.utils import parse_env_vars

from pipelines.exports.contract import DEFAULT_MAX_FUTURE_YEARS, DEFAULT_MIN_DATE, DateWindow


class ConfigError(ValueError):
    """A configuration variable has a value Payback cannot use."""


def _iso_date(value: Any) -> Any:
    """Dates are YYYY-MM-DD only (pydantic alone would read `1990` as seconds after 1970)."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("is not a date (YYYY-MM-DD)") from None
    return value


def _currency(value: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", value):
        raise ValueError("is not a three-letter ISO 4217 code")
    return value


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("is not an IANA time zone (e.g. Europe/Paris)") from None
    return value


def _file_or_url(value: str) -> str:
    """An http(s) URL, or a local file (a path or a file:// URL) that exists."""
    scheme = urlsplit(value).scheme.lower()
    if scheme in ("http", "https"):
        if not urlsplit(value).netloc:
            raise ValueError("is not a URL (http(s)://host/path)")
        return value
    path = Path(url2pathname(urlsplit(value).path)) if scheme == "file" else Path(value)
    if not path.is_file():
        raise ValueError("is not a file (a path, a file:// URL or an http(s) URL)")
    return value


def _channel_map(value: Path) -> Path:
    from pipelines.channel_map import check

    if not value.is_file():
        raise ValueError("is not a file")
    try:
        check(value)
    except ValueError as error:
        raise ValueError(f"is not a channel map: {error} (docs/channels.md)") from None
    return value


IsoDate = Annotated[date, BeforeValidator(_iso_date)]
CRON = "cron"  # marks a field that is a cron schedule: `check_crons` checks it by Dagster's own rule
Cron = Annotated[str, CRON]
Currency = Annotated[str, BeforeValidator(lambda value: value.upper() if isinstance(value, str) else value),
                     AfterValidator(_currency)]
TimeZone = Annotated[str, AfterValidator(_timezone)]


# The attribution models of marts.attribution (METRICS: Attribution), any of which ATTRIBUTION_MODEL may name.
AttributionModel = Literal["first_touch", "last_touch", "linear", "position_based", "w_shaped", "time_decay", "markov"]
# Time decay weighs a touch 2^-(days before the conversion / half-life): past ~1000 half-lives a double is 0.
MAX_DECAY_HALF_LIVES = 1000


class Variable(NamedTuple):
    """One environment variable as documented: `.env.example` and the README's table are generated from these."""

    name: str
    description: str
    default: str | None  # as shown; None: no default
    secret: bool
    required: bool  # one of the variables that configure its source
    computed: bool = False  # the default is computed (today, from another variable): shown in words, not a value


class _Variables(EnvSettingsSource):
    """pydantic-settings' own reading of environment variables (prefixes, aliases, case), from a given mapping
    instead of the process environment. A value is stripped; one that is empty is unset."""

    def __init__(self, settings_cls: type[BaseSettings], variables: Mapping[str, str]):
        self.variables = {name: value.strip() for name, value in variables.items()
                          if isinstance(value, str) and value.strip()}
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self.variables, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


class EnvSettings(BaseSettings):
    """Settings read from exactly one mapping of variables (the environment, or the dict a test gives), never from
    anywhere else."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", allow_inf_nan=False)

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings,)

    @classmethod
    def read(cls, env: Mapping[str, str], check_crons: bool = True) -> Self:
        try:
            settings = cls(**_Variables(cls, env)())
        except ValidationError as error:
            raise ConfigError("; ".join(cls._explain(detail) for detail in error.errors())) from None
        if check_crons:
            settings.check_crons()
        return settings

    def check_crons(self) -> None:
        """Each cron schedule as Dagster will read it. Apart from the other checks, as it imports Dagster (seconds),
        which a command that only reads the database does without."""
        from dagster._utils.schedules import is_valid_cron_string

        for field, info in type(self).model_fields.items():
            value = getattr(self, field)
            if CRON in info.metadata and value is not None and not is_valid_cron_string(value):
                raise ConfigError(f"{self.variable(field)}={value!r} is not a cron schedule (five fields: minute, "
                                  "hour, day of month, month, day of week, e.g. '0 6 * * *')")

    @classmethod
    def variable(cls, field: str) -> str:
        """The environment variable of a field (its alias, else the prefix and its name)."""
        info = cls.model_fields[field]
        alias = info.validation_alias if isinstance(info.validation_alias, str) else None
        return alias or (cls.model_config.get("env_prefix", "") + field).upper()

    @classmethod
    def variables(cls) -> list[Variable]:
        return [cls._documented(field) for field in cls.model_fields]

    @classmethod
    def _documented(cls, field: str) -> Variable:
        info = cls.model_fields[field]
        computed = (info.json_schema_extra or {}).get("shown_default")
        default = computed or (None if info.is_required() or info.default_factory else info.default)
        if isinstance(default, float):
            default = f"{default:g}"
        shown = None if default in (None, ()) else str(default)
        return Variable(cls.variable(field), info.description or "", shown, _is_secret(info.annotation), False,
                        computed=bool(computed))

    @classmethod
    def _field_of(cls, key: str) -> str | None:
        for field, info in cls.model_fields.items():
            if key in (field, info.validation_alias):
                return field
        return None

    @classmethod
    def _explain(cls, detail: dict) -> str:
        """`VARIABLE='value' is not …` from one pydantic error (the value left out for a secret)."""
        reason = detail.get("ctx", {}).get("error")
        field = cls._field_of(detail["loc"][0]) if detail["loc"] else None
        if field is None or isinstance(reason, ConfigError):
            return str(reason) if reason else detail["msg"]
        info = cls.model_fields[field]
        named = cls.variable(field) if _is_secret(info.annotation) else f"{cls.variable(field)}={detail['input']!r}"
        return f"{named} {reason or _reason(detail, info.metadata)}"


def _is_secret(annotation) -> bool:
    return annotation is SecretStr or SecretStr in getattr(annotation, "__args__", ())


def _reason(detail: dict, constraints: list) -> str:
    kind = detail["type"]
    if kind in ("int_parsing", "int_from_float"):
        return "is not a whole number"
    if kind == "float_parsing":
        return "is not a number"
    if kind == "finite_number":
        return "is not a finite number"
    if kind == "literal_error":
        return f"must be {detail['ctx']['expected']}"
    bounds = {name: getattr(c, name) for c in constraints for name in ("ge", "gt", "le", "lt") if hasattr(c, name)}
    low = bounds.get("ge", bounds.get("gt"))
    high = bounds.get("le", bounds.get("lt"))
    if low is not None and high is not None:
        return f"must be between {low:g} and {high:g}"
    if low is not None:
        return f"must be {'at least' if 'ge' in bounds else 'above'} {low:g}"
    if high is not None:
        return f"must be {'at most' if 'le' in bounds else 'below'} {high:g}"
    return detail["msg"][0].lower() + detail["msg"][1:]


class SourceSettings(EnvSettings):
    """One source's variables, under its prefix (`model_config = SettingsConfigDict(env_prefix="HUBSPOT_")`).

    `requires` lists the sets of fields that configure the source, any one of which will do. None set: the source
    is simply not used. Some set but no whole set: an error at start, naming what to set."""

    requires: ClassVar[tuple[tuple[str, ...], ...]] = ()
    schedule_cron: Annotated[str | None, CRON] = Field(None, description="cron of the sync")

    @property
    def configured(self) -> bool:
        return any(all(getattr(self, f) not in (None, "", ()) for f in fields) for fields in self.requires)

    @classmethod
    def requirement(cls) -> str:
        """What configures the source: `A and B`, or with alternatives `A and B (or C)`, where C replaces what is
        not common to every set."""
        if not cls.requires:
            return ""
        sets = [[cls.variable(f) for f in fields] for fields in cls.requires]
        shared = [name for name in sets[0] if all(name in other for other in sets)]
        rest = [" and ".join(name for name in names if name not in shared) for names in sets]
        return " and ".join([*shared, rest[0]] if rest[0] else shared) + "".join(f" (or {r})" for r in rest[1:])

    @classmethod
    def _documented(cls, field: str) -> Variable:
        return super()._documented(field)._replace(required=any(field in fields for fields in cls.requires))

    @model_validator(mode="after")
    def _configured_or_untouched(self) -> Self:
        named = {f for fields in self.requires for f in fields}
        given = [self.variable(f) for f in self.model_fields if f in named and getattr(self, f) not in (None, "")]
        if given and not self.configured:
            raise ConfigError(f"{' and '.join(given)} {'is' if len(given) == 1 else 'are'} set, but not all "
                              f"that is needed: set {self.requirement()}")
        return self


class Settings(EnvSettings):
    """Payback's own settings, and each declared source's (`source(name)`)."""

    duckdb_path: Path = Field(Path("data/payback.duckdb"), validation_alias="PAYBACK_DUCKDB_PATH",
                              description="the database file (created if missing)")
    exports_dir: Path = Field(Path("data/exports"), validation_alias="PAYBACK_EXPORTS_DIR",
                              description="the drop folder of CSV, Parquet and JSON-lines exports")
    reporting_currency: Currency = Field("EUR", validation_alias="REPORTING_CURRENCY",
                                    description="currency of every published amount (ISO 4217)")
    reporting_timezone: TimeZone = Field("UTC", validation_alias="REPORTING_TIMEZONE",
                                    description="time zone that decides an event's day, month, quarter (IANA name)")
    fiscal_year_start_month: int = Field(1, ge=1, le=12, validation_alias="FISCAL_YEAR_START_MONTH",
                                         description="first month of the fiscal year; other than 1 adds "
                                                     "`fiscal_quarter` and `fiscal_year` periods")
    active_window_days: int = Field(365, ge=1, validation_alias="ACTIVE_WINDOW_DAYS",
                                    description="a transactional customer is lost after this many days without "
                                                "buying")
    gross_margin: float = Field(1.0, gt=0, le=1, validation_alias="GROSS_MARGIN",
                                description="share of revenue kept, for LTV and payback (0 < x ≤ 1)")
    ltv_cac_target: float = Field(3.0, gt=0, validation_alias="LTV_CAC_TARGET",
                                  description="target LTV:CAC for `ltv_to_cac_status`")
    payback_target_months: float = Field(12.0, gt=0, validation_alias="PAYBACK_TARGET_MONTHS",
                                         description="target CAC payback in months for `payback_status`")
    as_of: IsoDate = Field(default_factory=date.today, validation_alias="PAYBACK_AS_OF",
                           json_schema_extra={"shown_default": "today"},
                           description="the day every \"to date\", \"active\" and \"has passed\" is judged at "
                                       "(YYYY-MM-DD): a rebuild on the same data gives the same numbers on any day")
    min_date: IsoDate = Field(DEFAULT_MIN_DATE, validation_alias="PAYBACK_MIN_DATE",
                              description="an export's date or timestamp before it is rejected")
    max_future_years: int = Field(DEFAULT_MAX_FUTURE_YEARS, ge=0, le=1000, validation_alias="PAYBACK_MAX_FUTURE_YEARS",
                                  description="an export's date more than this many years after the as-of date is "
                                              "rejected")
    overhead_allocation: Literal["proportional", "unallocated"] = Field(
        "proportional", validation_alias="OVERHEAD_ALLOCATION",
        description="costs no campaign carries in `cac_by_segment`: `proportional` to attributed spend, or "
                    "`unallocated`")
    schedule_cron: Cron = Field("0 6 * * *", validation_alias="PAYBACK_SCHEDULE_CRON",
                                description="cron of the daily refresh of everything in Dagster")
    attribution_lookback_days: int = Field(90, ge=1, validation_alias="ATTRIBUTION_LOOKBACK_DAYS",
                                           description="touches older than this many days before a conversion are "
                                                       "left out of its path")
    attribution_half_life_days: float = Field(7.0, gt=0, validation_alias="ATTRIBUTION_HALF_LIFE_DAYS",
                                              description="time decay halves a touch's weight every this many days")
    attribution_markov_order: int = Field(1, ge=1, le=4, validation_alias="ATTRIBUTION_MARKOV_ORDER",
                                          description="how many last channels a Markov state holds")
    attribution_model: AttributionModel | None = Field(
        None, validation_alias="ATTRIBUTION_MODEL", json_schema_extra={"shown_default": "markov, else linear"},
        description="the model that spreads each campaign's spend in `cac_by_segment`; unset: markov when there are "
                    "enough converting paths, else linear")
    fx_rates_file: Annotated[str, AfterValidator(_file_or_url)] | None = Field(
        None, validation_alias="FX_RATES_FILE",
        description="the ECB's reference rates (`eurofxref-hist.csv` or `.zip`: a path or an http(s) URL such as "
                    "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip), loaded with each run beside the "
                    "`fx_rates` export")
    channel_map_file: Annotated[Path, AfterValidator(_channel_map)] | None = Field(
        None, validation_alias="CHANNEL_MAP_FILE", json_schema_extra={"shown_default": "the shipped map"},
        description="your own channel map (CSV of the columns of transforms/channel_map.csv, docs/channels.md), "
                    "instead of the shipped one")
    _sources: dict[str, SourceSettings] | None = PrivateAttr(None)  # by source name, once read

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, for_reading: bool = False) -> Settings:
        """Read the settings and every declared source's; `.env` in the working directory fills what the
        environment does not set. Given `env`, read only that. `for_reading`: for a command that only reads the
        database, Payback's own settings without the crons nor the sources', which would import Dagster, dlt
        and every source (seconds)."""
        if env is None:
            load_dotenv(Path.cwd() / ".env", override=False)
            env = dict(os.environ)
        settings = cls.read(env, check_crons=not for_reading)
        if not for_reading:
            from pipelines.sources.registry import declared_sources

            settings._sources = {declaration.name: declaration.settings.read(env)
                                 for declaration in declared_sources() if declaration.settings}
        return settings

    @model_validator(mode="after")
    def _decay_within_a_double(self) -> Self:
        if self.attribution_lookback_days / self.attribution_half_life_days > MAX_DECAY_HALF_LIVES:
            raise ConfigError(f"ATTRIBUTION_LOOKBACK_DAYS={self.attribution_lookback_days} is more than "
                              f"{MAX_DECAY_HALF_LIVES} half-lives (ATTRIBUTION_HALF_LIFE_DAYS="
                              f"{self.attribution_half_life_days:g}): time decay would weigh the oldest touches below "
                              "2^-1000; shorten the lookback or lengthen the half-life")
        return self

    @model_validator(mode="after")
    def _min_date_before_as_of(self) -> Self:
        if self.min_date > self.as_of:
            raise ConfigError(f"PAYBACK_MIN_DATE={self.min_date.isoformat()!r} is after the as-of date {self.as_of} "
                              "(PAYBACK_AS_OF)")
        return self

    def source(self, name: str) -> SourceSettings | None:
        """A declared source's own settings (None for one without variables, such as the exports)."""
        return self._read_sources().get(name)

    @property
    def sources(self) -> tuple[str, ...]:
        """The configured sources, in declaration order: the export folder always, each other source when its
        variables (or the Payback settings it depends on) are set."""
        from pipelines.sources.registry import declared_sources

        return tuple(d.name for d in declared_sources() if d.is_configured(self))

    def _read_sources(self) -> dict[str, SourceSettings]:
        if self._sources is None:
            raise RuntimeError("these settings were read without the sources' (Settings.from_env(for_reading=True))")
        return self._sources

    @property
    def export_date_window(self) -> DateWindow:
        """The days a date in an export may fall on."""
        return DateWindow.around(self.as_of, self.min_date, self.max_future_years)

    @property
    def channel_map_path(self) -> Path:
        """The channel map in use: CHANNEL_MAP_FILE, else the shipped one."""
        from pipelines.channel_map import SHIPPED

        return (self.channel_map_file or SHIPPED).resolve()

    def sql_variables(self) -> dict[str, object]:
        """The values the SQL transforms read with `getvariable(...)`."""
        return {
            "reporting_currency": self.reporting_currency,
            "reporting_timezone": self.reporting_timezone,
            "fiscal_year_start_month": self.fiscal_year_start_month,
            "active_window_days": self.active_window_days,
            "gross_margin": self.gross_margin,
            "ltv_cac_target": self.ltv_cac_target,
            "payback_target_months": self.payback_target_months,
            "overhead_allocation": self.overhead_allocation,
            "as_of": self.as_of,
            "attribution_lookback_days": self.attribution_lookback_days,
            "attribution_half_life_days": self.attribution_half_life_days,
            "attribution_markov_order": self.attribution_markov_order,
            "attribution_model": self.attribution_model or "",  # '': the default (markov, else linear)
            "channel_map_file": str(self.channel_map_path),
        }
