"""The exports folder as a source: always configured (by Payback's own PAYBACK_EXPORTS_DIR and date window), no
schedule of its own (`daily_refresh` and the `exports_changed` sensor sync it), and its own sync."""

from pipelines.exports.source import DATASET, declared_tables, exports_source, folder_version, sync_exports
from pipelines.sources.declaration import SourceDeclaration


def _sync(run, say, settings):
    return sync_exports(run, say, exports_dir=settings.exports_dir, reporting_timezone=settings.reporting_timezone,
                        date_window=settings.export_date_window)


SOURCE = SourceDeclaration(
    name="exports",
    title="Exports folder",
    dataset=DATASET,
    build=lambda _, settings: exports_source(settings.exports_dir, settings.reporting_timezone,
                                             settings.export_date_window),
    default_cron=None,
    loader_file_format=None,
    tables=lambda _: declared_tables(),
    sync=_sync,
    version=lambda settings: folder_version(settings.exports_dir),
)
