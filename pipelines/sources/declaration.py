"""What a source declares about itself, in its own package (`SOURCE = SourceDeclaration(...)`): everything the
settings, the raw assets, the schedules, the CLI and the configuration docs need to know about it. Nothing
outside the package names a source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.warehouse import TRANSFORMS_DIR

if TYPE_CHECKING:
    from dlt.sources import DltSource

    from pipelines.config import Settings, SourceSettings


def resource_tables(source: DltSource) -> dict[str, dict[str, dict]]:
    """The tables an API source declares: one per resource, with the columns set in its hints."""
    return {resource.name: resource.columns or {} for resource in source.resources.values()}


@dataclass(frozen=True)
class SourceDeclaration:
    name: str  # `payback run --select <name>`, the schedule `<name>_daily`, `transforms/staging/<name>/`
    title: str  # how people write it ("HubSpot"): headers of `.env.example` and of the README's table
    dataset: str  # the raw schema its tables land in, `raw_<name>`
    # `build(config, settings)`: the dlt source, from the source's own settings (an instance of `settings`) and
    # Payback's. Called when the code location loads: it must not touch the network (tokens are fetched by the
    # first request, when the asset runs).
    build: Callable[[SourceSettings | None, Settings], DltSource]
    settings: type[SourceSettings] | None = None  # its variables; None: configured by Payback's own (`configured_by`)
    # Without variables of its own: the fields of Payback's `Settings` that configure it, all of them needed (the ECB
    # rates: `fx_rates_file`); none: always configured (the exports).
    configured_by: tuple[str, ...] = ()
    default_cron: str | None = "0 5 * * *"  # its own schedule (`<PREFIX>SCHEDULE_CRON` overrides); None: none
    loader_file_format: str | None = "parquet"  # API records arrive as dicts: parquet, never INSERT VALUES
    test_server: str | None = None  # "module:Class" of the local server speaking its API, for tests and bench
    tables: Callable[[DltSource], dict[str, dict[str, dict]]] = resource_tables  # created empty before a sync
    # `sync(run, say, settings)`, when given, decides which source `run` loads and how often (the exports: a
    # second pass when a file repeats a key); by default the built source is run once.
    sync: Callable[..., Any] | None = None
    # `version(settings)`, when given: what the source holds, known without syncing it (the exports folder's files).
    # Recorded with each sync, so that a sync of the same content can be told apart and skipped.
    version: Callable[[Settings], str] | None = None

    @property
    def staging_dir(self) -> Path:
        """Its staging models: `transforms/staging/<name>/<model>.sql` maps its raw tables onto `staging.<model>`."""
        return TRANSFORMS_DIR / "staging" / self.name

    def is_configured(self, settings: Settings) -> bool:
        if self.settings is not None:
            return settings.source(self.name).configured
        return all(getattr(settings, field) not in (None, "") for field in self.configured_by)

    def requirement(self) -> str:
        """The variables that configure it: `A and B (or C)`."""
        if self.settings is not None:
            return self.settings.requirement()
        from pipelines.config import Settings

        return " and ".join(Settings.variable(field) for field in self.configured_by)

    def cron(self, settings: Settings) -> str | None:
        """Its schedule: the cron variable when set, else its default."""
        config = settings.source(self.name)
        return (config.schedule_cron if config else None) or self.default_cron
