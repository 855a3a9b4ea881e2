"""Data-driven attribution: the Markov chain of the paths and each channel's removal effect, solved exactly.

The chain of a period row and conversion event is fitted on that row's steps (`intermediate.attribution_transitions`,
counted in SQL): from the start, through states (the channels of the last k touches, k = ATTRIBUTION_MARKOV_ORDER,
repeats kept), to one of two absorbing states, conversion or null. A step's probability is its count over every step
leaving the same state. The probability of reaching conversion from the start is the solution of the absorbing
chain's linear system (I - Q) x = r (Q: steps between transient states, r: steps into conversion), so it is exact and
the same on every run: no simulation.

Removing a channel sends every step into a state that holds it to null. Its removal effect is
1 - P(conversion without it) / P(conversion). As in ChannelAttribution, the row's conversions are credited to the
channels in proportion to their removal effects (marts.attribution then shares a channel's credit among its campaigns).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import groupby
from pathlib import Path

import duckdb
import numpy as np

from pipelines.sql_models import _literal

SCHEMA, TABLE = "intermediate", "markov_removal_effects"
UPSTREAM = ("intermediate", "attribution_transitions")
START: tuple[str, ...] = ()

DESCRIPTION = (
    "intermediate.markov_removal_effects: one row per period row, conversion event and channel: the channel's removal "
    "effect in the Markov chain fitted on the row's paths (converting paths whose conversion falls in the period, "
    "the others whose last touch does), and the conversions it is credited with (METRICS: Attribution). States are "
    "the channels of the last ATTRIBUTION_MARKOV_ORDER touches, repeats kept; the absorbing chain is solved exactly "
    "(linear algebra, no simulation). Removing a channel sends every step into a state holding it to null; its "
    "removal effect is 1 - P(conversion without it) / P(conversion); the row's conversions are shared among the "
    "channels in proportion to their removal effects (ChannelAttribution's convention).")
COLUMNS = {
    "conversion_probability": "probability of reaching conversion from the start of a path, in the row's chain",
    "conversion_probability_without": "the same with the channel removed",
    "removal_effect": "1 - conversion_probability_without / conversion_probability",
    "conversions": "converting paths of the period row (every channel of the row carries the same number)",
    "credit": "conversions * removal_effect / the sum of the row's removal effects: the conversions credited to the "
              "channel; the channels of a row sum to its conversions",
}
TABLE_COLUMNS = {
    "period_grain": "VARCHAR", "period_start": "DATE", "period_end": "DATE", "conversion_event": "VARCHAR",
    "channel": "VARCHAR", "conversion_probability": "DOUBLE", "conversion_probability_without": "DOUBLE",
    "removal_effect": "DOUBLE", "conversions": "BIGINT", "credit": "DOUBLE",
}
CODE_VERSION = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]


@dataclass(frozen=True)
class Chain:
    """An absorbing Markov chain counted from paths: transient states (the start first), the steps between them,
    and the steps from each into conversion and into null."""
    states: tuple[tuple[str, ...], ...]
    between: np.ndarray  # between[i, j]: steps from state i to state j
    to_conversion: np.ndarray
    to_null: np.ndarray

    @classmethod
    def fit(cls, steps: Iterable[tuple[tuple[str, ...], str | None, str | None, int]], order: int) -> Chain:
        """`steps`: (from_state, to_channel, ends_in, count) — a step to the channel `to_channel`, or, when it is
        None, the end of paths in 'conversion' or 'null'. The state after a step to channel c from state s is the
        last `order` channels of s + (c,)."""
        steps = [(tuple(state), channel, ends_in, count) for state, channel, ends_in, count in steps]
        reached = {state for state, *_ in steps}
        reached |= {(*state, channel)[-order:] for state, channel, _, _ in steps if channel is not None}
        states = (START, *sorted(reached - {START}))
        index = {state: i for i, state in enumerate(states)}
        between = np.zeros((len(states), len(states)))
        to_conversion, to_null = np.zeros(len(states)), np.zeros(len(states))
        for state, channel, ends_in, count in steps:
            if channel is not None:
                between[index[state], index[(*state, channel)[-order:]]] += count
            elif ends_in == "conversion":
                to_conversion[index[state]] += count
            else:
                to_null[index[state]] += count
        return cls(states, between, to_conversion, to_null)

    @property
    def channels(self) -> list[str]:
        return sorted({channel for state in self.states for channel in state})

    @property
    def conversions(self) -> int:
        return int(round(self.to_conversion.sum()))

    def conversion_probabilities(self, removed: list[str | None]) -> np.ndarray:
        """P(reaching conversion from the start) for each entry of `removed`: with every state holding that channel
        turned into null (None: the whole chain). One batched solve: a removed state's equation becomes x = 0, so
        the steps into it lead nowhere, as steps into null."""
        size = len(self.states)
        leaving = self.between.sum(axis=1) + self.to_conversion + self.to_null
        share = np.divide(1.0, leaving, out=np.zeros(size), where=leaving > 0)
        system = np.eye(size) - self.between * share[:, None]
        into_conversion = self.to_conversion * share
        gone = np.array([[channel is not None and channel in state for state in self.states] for channel in removed])
        systems = np.repeat(system[None], len(removed), axis=0)
        systems[gone] = 0.0
        systems[:, np.arange(size), np.arange(size)] = np.where(gone, 1.0, system.diagonal())
        targets = np.where(gone, 0.0, into_conversion)
        return np.linalg.solve(systems, targets[..., None])[:, 0, 0]

    def conversion_probability(self, removed: str | None = None) -> float:
        """P(reaching conversion from the start), with every state holding `removed` turned into null."""
        return float(self.conversion_probabilities([removed])[0])

    def removal_effects(self) -> dict[str, tuple[float, float]]:
        """Each channel: (P(conversion) without it, removal effect = 1 - that / P(conversion))."""
        channels = self.channels
        full, *without = self.conversion_probabilities([None, *channels])
        return {channel: (float(rest), float(1.0 - rest / full) if full > 0 else 0.0)
                for channel, rest in zip(channels, without, strict=True)}

    def credits(self) -> dict[str, float]:
        """The chain's conversions shared among the channels in proportion to their removal effects."""
        effects = {channel: effect for channel, (_, effect) in self.removal_effects().items()}
        total = sum(effects.values())
        return {channel: self.conversions * effect / total if total > 0 else 0.0 for channel, effect in effects.items()}


def removal_effect_rows(transitions: Iterable[tuple], order: int) -> list[dict]:
    """One row per period row, event and channel, from the rows of intermediate.attribution_transitions
    (period_grain, period_start, period_end, conversion_event, from_state, to_channel, ends_in, transitions),
    sorted by their first four columns."""
    rows = []
    for (grain, start, end, event), steps in groupby(transitions, key=lambda row: row[:4]):
        chain = Chain.fit(((state, channel, ends_in, count) for *_, state, channel, ends_in, count in steps), order)
        if chain.conversions == 0:
            continue
        full = chain.conversion_probability()
        effects = chain.removal_effects()
        credits = chain.credits()
        for channel, (without, effect) in effects.items():
            rows.append({"period_grain": grain, "period_start": start, "period_end": end, "conversion_event": event,
                         "channel": channel, "conversion_probability": full,
                         "conversion_probability_without": without, "removal_effect": effect,
                         "conversions": chain.conversions, "credit": credits[channel]})
    return rows


def materialize(con: duckdb.DuckDBPyConnection) -> int:
    """Rebuild intermediate.markov_removal_effects from intermediate.attribution_transitions, in one transaction,
    with its definition as table and column comments. Returns its row count."""
    order = con.execute("SELECT getvariable('attribution_markov_order')").fetchall()[0][0]
    transitions = con.execute(
        f"SELECT period_grain, period_start, period_end, conversion_event, from_state, to_channel, ends_in, "
        f"transitions FROM {'.'.join(UPSTREAM)} ORDER BY period_grain, period_start, conversion_event").fetchall()
    rows = removal_effect_rows(transitions, int(order))
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        columns = ", ".join(f"{name} {kind}" for name, kind in TABLE_COLUMNS.items())
        con.execute(f"CREATE OR REPLACE TABLE {SCHEMA}.{TABLE} ({columns})")
        if rows:
            con.execute(f"INSERT INTO {SCHEMA}.{TABLE} BY NAME SELECT unnest(?, recursive := true)", [rows])
        con.execute(f"COMMENT ON TABLE {SCHEMA}.{TABLE} IS {_literal(DESCRIPTION)}")
        for column, meaning in COLUMNS.items():
            con.execute(f'COMMENT ON COLUMN {SCHEMA}.{TABLE}."{column}" IS {_literal(meaning)}')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(rows)
