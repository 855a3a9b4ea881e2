"""Every declared source: the exports folder first, then each package under `pipelines/sources/` that has a
`SOURCE` declaration, by name. There is no list to edit: adding a source is adding its package."""

import importlib
import pkgutil
from functools import cache

from pipelines.sources.declaration import SourceDeclaration


@cache
def declared_sources() -> tuple[SourceDeclaration, ...]:
    import pipelines.sources
    from pipelines.exports.declaration import SOURCE as EXPORTS

    found = []
    for package in pkgutil.iter_modules(pipelines.sources.__path__, "pipelines.sources."):
        if package.ispkg:
            declaration = getattr(importlib.import_module(package.name), "SOURCE", None)
            if isinstance(declaration, SourceDeclaration):
                found.append(declaration)
    return (EXPORTS, *sorted(found, key=lambda d: d.name))


def declared(name: str) -> SourceDeclaration | None:
    return next((d for d in declared_sources() if d.name == name), None)
