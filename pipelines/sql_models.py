"""SQL models: one file under `transforms/<layer>/` is one table `<layer>.<name>`.

Staging is per source: `transforms/staging/<source>/<model>.sql` is the table `staging.<source>_<model>`, which
maps that source's raw tables onto the canonical model. The canonical table `staging.<model>` is the union of
those of every configured source, so adding a CRM adds staging files and nothing else. A file at the staging root,
`transforms/staging/<model>.sql`, is a canonical model of its own; when sources have files of that name too, their
union is `staging.all_<model>` and the root file finishes it into `staging.<model>` (the channel map applied to
every source's spend, touchpoints and contacts in one place).

A model's upstream tables are read from its SQL (sqlglot), never listed by hand; its description and column
definitions come from the comment at the top of the file; its code version is the hash of its text.

The first lines of a staging file declare what every row of its model holds, before its description (as SQLMesh's
MODEL block comes first); `pipelines/checks.py` generates the model's checks from them, as dbt's unique and
not_null tests:

    -- key: spend_date, platform, campaign_id
    -- required: spend, currency

- `key`: the columns that identify a row: never NULL, and no two rows share them (check
  `primary_key_unique_not_null`).
- `required`: the other columns no row may leave NULL (check `required_fields_present`).

Both are ERROR checks, so declare only what makes a published number wrong when a row breaks it. The canonical
`staging.<model>` carries what its sources' files declare, and the checks test it there, where the rows of every
source meet: each source's `<model>.sql` declares the same lines (loading the checks fails otherwise, naming the
files), so that a new source's mapping states the contract it fulfils.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from pipelines.warehouse import TRANSFORMS_DIR

LAYERS = ("staging", "intermediate", "marts")
# Canonical models whose rows a source's own sync and the exports folder may both hold, by the key they meet on.
# Spend: a platform's API sync is the platform's own record of a campaign's day (restated at each sync); the same
# platform, campaign and day from the exports folder (a UI report, an ad_spend row) gives way to it, so that spend
# loaded both ways is counted once.
EXPORTS_GIVE_WAY = {"spend": ("platform", "campaign_id", "spend_date")}
EXPORTS = "exports"
DECLARATION = re.compile(r"^ (key|required):(.*)$")  # a header line `-- key: a, b` (columns are indented deeper)
COLUMN = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class SqlModel:
    schema: str
    name: str
    sql: str
    path: Path | None = None  # None for the generated canonical unions
    union_of: tuple[str, ...] = ()  # for a canonical union: the per-source staging tables it unites
    unites: str = ""  # for a canonical union: the canonical model (`spend`), whatever its table's name

    @classmethod
    def from_file(cls, schema: str, name: str, path: Path) -> SqlModel:
        return cls(schema, name, path.read_text(), path)

    @property
    def code_version(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()[:16]

    @cached_property
    def upstream(self) -> list[tuple[str, str]]:
        """(schema, table) of every schema-qualified table the SQL reads."""
        tree = sqlglot.parse_one(self.sql, read="duckdb")
        return sorted({(t.db, t.name) for t in tree.find_all(exp.Table) if t.db})

    @cached_property
    def _header(self) -> list[str]:
        lines = []
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            lines.append(line[2:].rstrip())
        return lines

    @property
    def shown_path(self) -> str:
        """Where the model is written, for messages: `staging/<source>/<model>.sql`, or the table it builds."""
        return str(Path(*self.path.parts[-3:])) if self.path else f"{self.schema}.{self.name}"

    @property
    def description(self) -> str:
        """The header comment up to its `columns:` section, without the key and required declarations."""
        text = []
        for line in self._header:
            if line.strip() == "columns:":
                break
            if not DECLARATION.match(line):
                text.append(line.strip())
        return " ".join(text).strip()

    @cached_property
    def _declarations(self) -> dict[str, tuple[str, ...]]:
        declared: dict[str, tuple[str, ...]] = {}
        for line in self._header:
            match = DECLARATION.match(line)
            if not match:
                continue
            rule, columns = match.group(1), tuple(c.strip() for c in match.group(2).split(","))
            if rule in declared or not all(COLUMN.match(c) for c in columns):
                raise ValueError(f"{self.shown_path}: `--{line}` must be one `-- {rule}: column, column` line of "
                                 "the columns' names")
            declared[rule] = columns
        return declared

    @property
    def key(self) -> tuple[str, ...]:
        """The declared key columns (`-- key:`); empty when undeclared."""
        return self._declarations.get("key", ())

    @property
    def required(self) -> tuple[str, ...]:
        """The declared required columns (`-- required:`); empty when undeclared."""
        return self._declarations.get("required", ())

    @property
    def declarations(self) -> str:
        """The key and required declarations, as header lines."""
        return "".join(f"-- {rule}: {', '.join(columns)}\n" for rule, columns in
                       (("key", self.key), ("required", self.required)) if columns)

    @property
    def documentation(self) -> str:
        """The whole header as Markdown, for the asset's description: the definition, what every row holds, then
        each column's."""
        text = self.description
        if self.key:
            text += "\n\n" + "; ".join(f"**{rule.capitalize()}**: " + ", ".join(f"`{c}`" for c in columns)
                                      for rule, columns in (("key", self.key), ("required", self.required)) if columns)
        columns = "\n".join(f"- `{name}`: {meaning}" for name, meaning in self.column_descriptions.items())
        return f"{text}\n\n**Columns**\n\n{columns}" if columns else text

    @property
    def column_descriptions(self) -> dict[str, str]:
        """`--   name: meaning` lines after `-- columns:`; deeper-indented lines continue the previous one."""
        columns: dict[str, str] = {}
        in_columns, current = False, None
        for line in self._header:
            if line.strip() == "columns:":
                in_columns = True
                continue
            if not in_columns:
                continue
            match = re.match(r"^\s{1,3}([a-z0-9_]+): (.*)$", line)
            if match:
                current = match.group(1)
                columns[current] = match.group(2).strip()
            elif current:
                columns[current] += " " + line.strip()
        return columns

    def _runnable_sql(self, con: duckdb.DuckDBPyConnection) -> str:
        """A canonical union unites the source tables that exist: syncing one source before the others have
        ever been built still gives a complete picture of what is loaded."""
        if not self.union_of:
            return self.sql
        existing = {name for (name,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'staging'").fetchall()}
        present = [table for table in self.union_of if table in existing]
        if not present:
            raise ValueError(f"staging.{self.name}: none of {', '.join(self.union_of)} is built yet")
        return _union_sql(self.unites, present)

    def materialize(self, con: duckdb.DuckDBPyConnection) -> int:
        """Rebuild the table in one transaction, with its definition as table and column comments."""
        sql = self._runnable_sql(con)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {self.schema}")
            con.execute(f"CREATE OR REPLACE TABLE {self.schema}.{self.name} AS\n{sql}")
            con.execute(f"COMMENT ON TABLE {self.schema}.{self.name} IS {_literal(self.description)}")
            for column, meaning in self.column_descriptions.items():
                con.execute(f'COMMENT ON COLUMN {self.schema}.{self.name}."{column}" IS {_literal(meaning)}')
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        return con.execute(f"SELECT count(*) FROM {self.schema}.{self.name}").fetchall()[0][0]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def canonical_union(model: str, sources: list[str], name: str | None = None) -> SqlModel:
    """`staging.<model>` (or `name`): the rows of every configured source's `staging.<source>_<model>`, matched by
    name."""
    name = name or model
    header = (f"-- staging.{name}: the {model} of every configured source ({', '.join(sources)}), as each gives "
              "them; source_system tells them apart.\n")
    tables = tuple(f"{source}_{model}" for source in sources)
    return SqlModel("staging", name, header + _union_sql(model, list(tables)) + "\n", union_of=tables, unites=model)


def _union_sql(model: str, tables: list[str]) -> str:
    """The rows of `tables`; for a model of EXPORTS_GIVE_WAY, the exports' rows whose key another source holds
    left out."""
    exports = f"{EXPORTS}_{model}"
    key = EXPORTS_GIVE_WAY.get(model)
    others = [table for table in tables if table != exports]
    selects = [f"select * from staging.{table}" for table in tables]
    if key and exports in tables and others:
        synced = " union all ".join(f"select {', '.join(key)} from staging.{table}" for table in others)
        same = " and ".join(f"synced.{column} = {exports}.{column}" for column in key)
        selects[tables.index(exports)] = (f"select * from staging.{exports} where not exists "
                                          f"(select 1 from ({synced}) as synced where {same})")
    return "\nunion all by name\n".join(selects)


def discover_models(sources: tuple[str, ...] = ("exports",), transforms_dir: Path = TRANSFORMS_DIR) -> list[SqlModel]:
    """Every model of the configured sources, in an order where each comes after the models it reads."""
    models: dict[tuple[str, str], SqlModel] = {}
    canonical: dict[str, list[str]] = {}
    for source in sources:
        for path in sorted((transforms_dir / "staging" / source).glob("*.sql")):
            name = f"{source}_{path.stem}"
            models[("staging", name)] = SqlModel.from_file("staging", name, path)
            canonical.setdefault(path.stem, []).append(source)
    finished = {path.stem: path for path in (transforms_dir / "staging").glob("*.sql")}
    for model, model_sources in sorted(canonical.items()):
        name = f"all_{model}" if model in finished else model
        models[("staging", name)] = canonical_union(model, model_sources, name)
    for model, path in sorted(finished.items()):
        models[("staging", model)] = SqlModel.from_file("staging", model, path)
    for layer in LAYERS[1:]:
        for path in sorted((transforms_dir / layer).glob("*.sql")):
            models[(layer, path.stem)] = SqlModel.from_file(layer, path.stem, path)
    ordered: list[SqlModel] = []

    def visit(key: tuple[str, str], path: tuple = ()) -> None:
        if key in path:
            raise ValueError(f"transforms read each other in a cycle: {' -> '.join('.'.join(k) for k in path)}")
        model = models[key]
        if model in ordered:
            return
        for upstream in model.upstream:
            if upstream in models:
                visit(upstream, (*path, key))
        ordered.append(model)

    for key in models:
        visit(key)
    return ordered


def staging_declarations(sources: tuple[str, ...],
                         transforms_dir: Path = TRANSFORMS_DIR) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """`model: (key, required)` of each canonical `staging.<model>` whose files declare a key: what every source's
    `<model>.sql` declares, the same lines in each, as all of them feed the model."""
    files: dict[str, list[SqlModel]] = {}
    for source in sources:
        for path in sorted((transforms_dir / "staging" / source).glob("*.sql")):
            files.setdefault(path.stem, []).append(SqlModel.from_file("staging", f"{source}_{path.stem}", path))
    declared = {}
    for model, parts in sorted(files.items()):
        if len({part.declarations for part in parts}) > 1:
            listed = "; ".join(f"{part.shown_path}: " + (", ".join(part.declarations.splitlines()) or "nothing")
                               for part in parts)
            raise ValueError(f"staging.{model}: every source's {model}.sql must declare the same `-- key:` and "
                             f"`-- required:` lines, as all of them feed staging.{model}, where the checks test "
                             f"them. They declare: {listed}")
        if parts[0].key:
            declared[model] = (parts[0].key, parts[0].required)
    return declared
