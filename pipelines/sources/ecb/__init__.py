"""The European Central Bank's euro reference rates, from FX_RATES_FILE (a path or URL of `eurofxref-hist.csv` or
`.zip`): the whole history, replaced at each sync. Configured by that one Payback setting; the file is read when
the sync runs, never when the code loads. Its rates join those of the `fx_rates` export in `staging.fx`."""

import dlt

from pipelines.sources.declaration import SourceDeclaration
from pipelines.sources.ecb.helpers import COLUMNS, csv_text, read_location, reference_rates

DATASET = "raw_ecb"


@dlt.source(name="ecb", max_table_nesting=0)
def ecb_source(location: str):
    @dlt.resource(name="reference_rates", primary_key=["date", "currency"], write_disposition="replace",
                  columns=COLUMNS)
    def rates():
        """What one euro is worth in each currency, per day, as the ECB published it (no row where it gave none)."""
        yield reference_rates(csv_text(read_location(location), location), location)

    return rates


SOURCE = SourceDeclaration(
    name="ecb",
    title="ECB reference rates",
    dataset=DATASET,
    build=lambda _, settings: ecb_source(settings.fx_rates_file),
    configured_by=("fx_rates_file",),
    default_cron=None,  # daily_refresh reads the file with everything else
)
