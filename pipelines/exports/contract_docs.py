"""The README's section on each export file, generated from the contract (`contract.py`), so that what the
README promises is what the reader enforces."""

from pipelines.exports.contract import KINDS, ExportKind

START = ("<!-- export contract: generated from pipelines/exports/contract.py by "
         "`python -m pipelines.config_docs --write` -->")
END = "<!-- end of the generated export contract -->"
REQUIRED = "\\*"  # a Markdown asterisk


def _rules(kind: ExportKind) -> str:
    notes = []
    if kind.one_of:
        notes.append(f"at least one of {' or '.join(f'`{c}`' for c in kind.one_of)}")
    notes += [f"`{c.name}` one of {', '.join(c.allowed)}" for c in kind.columns if c.allowed]
    if kind.updated_at:
        notes.append(f"a repeated key: the latest `{kind.updated_at}` wins")
    notes += [f"rejected: {reason}" for _, reason in kind.rules]
    return "; ".join(notes)


def contract_section() -> str:
    """One row per kind of file: what it holds, its columns (`*` required), its key and its row rules."""
    lines = [START, "| file | what it holds | columns (`*` required) | key | rules |", "|---|---|---|---|---|"]
    for kind in KINDS.values():
        columns = ", ".join(c.name + REQUIRED * c.required for c in kind.columns)
        lines.append(f"| `{kind.name}` | {kind.description} | {columns} | {', '.join(kind.primary_key)} | "
                     f"{_rules(kind)} |")
    return "\n".join([*lines, END])


def readme_with_contract(readme: str) -> str:
    start, end = readme.index(START), readme.index(END) + len(END)
    return readme[:start] + contract_section() + readme[end:]
