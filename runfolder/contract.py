"""The typed contract of every JSON file a run writes: dataclasses, written and read by the
same code.

Data flow:
1. A writer builds its file's frozen dataclass (summary.json's Summary, run.json's RunInfo,
   compare's results.json, claims.json) and write_file() writes as_data() of it, with the
   class's SCHEMA version first, atomically.
2. A reader calls read_file(cls, path), or from_data(cls, data) on data already parsed: every
   field is checked against the class's type hints, nested dataclasses, tuples, dicts,
   enums and paths included, and rebuilt as those types.
3. A missing field, an unknown one, a value of the wrong type or another schema version is a
   ContractError naming the field's path (`summary.json: stages.crawl.items: missing`): a
   reader never meets a dict, and never shows a dash for a field that should be there.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from collections.abc import Mapping
from functools import cache
from pathlib import Path, PurePath
from typing import Any, ClassVar, Protocol, TypeVar

from processing.files import write_atomic

SCHEMA_KEY = "schema"


class Contract(Protocol):
    """A dataclass that is a whole file: its SCHEMA goes into the file and must come back."""

    SCHEMA: ClassVar[int]
    __dataclass_fields__: ClassVar[dict[str, Any]]


T = TypeVar("T")


class ContractError(ValueError):
    """Data that is not what its contract says."""


def as_data(value: Any) -> Any:
    """value as JSON-ready data: dataclasses as dicts, tuples as lists, paths as strings,
    enums as their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_data(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(key): as_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [as_data(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, PurePath):
        return str(value)
    return value


def write_file(path: Path, contract: Contract) -> None:
    """Write contract to path as indented JSON, its SCHEMA first, atomically."""
    data = {SCHEMA_KEY: contract.SCHEMA, **as_data(contract)}
    write_atomic(path, json.dumps(data, indent=2).encode())


def read_file(cls: type[T], path: Path) -> T:
    """Read path as cls; a file that is missing, not JSON or not cls is a ContractError."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ContractError(f"{path}: cannot be read as JSON ({exc})") from None
    try:
        return _from_file_data(cls, data)
    except ContractError as exc:
        raise ContractError(f"{path.name}: {exc}") from None


def _from_file_data(cls: type[T], data: Any) -> T:
    """A whole file's data as cls, after checking its schema version."""
    if not isinstance(data, dict):
        raise ContractError(f"an object, not {type(data).__name__}")
    rest = dict(data)
    schema = rest.pop(SCHEMA_KEY, None)
    if schema != cls.SCHEMA:  # type: ignore[attr-defined]
        reads = cls.SCHEMA  # type: ignore[attr-defined]
        raise ContractError(
            f"schema {schema}, where this version reads {reads}: another version wrote it"
        )
    return from_data(cls, rest)


def from_data(kind: Any, data: Any, where: str = "") -> Any:
    """data checked against kind (a type hint) and rebuilt as it; ContractError names the
    first field that is missing, unknown or of the wrong type."""
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any:
        return data
    if origin in (typing.Union, types.UnionType):
        return _union(args, data, where)
    if dataclasses.is_dataclass(kind):
        return _dataclass(kind, data, where)
    if origin in (tuple, list):  # tuple[X, ...] or list[X]
        items = _typed(list, data, where)
        return origin(from_data(args[0], item, f"{where}[{i}]") for i, item in enumerate(items))
    if origin in (dict, Mapping):
        mapping = _typed(dict, data, where)
        return {key: from_data(args[1], item, _at(where, key)) for key, item in mapping.items()}
    if kind is type(None):
        return _typed(type(None), data, where)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(data)
        except ValueError:
            raise ContractError(f"{where}: {data!r} is not a {kind.__name__}") from None
    if kind is Path:
        return Path(_typed(str, data, where))
    if kind is float and isinstance(data, int) and not isinstance(data, bool):
        return float(data)  # JSON writes 2.0 as 2.0, but a hand-made file may say 2
    return _typed(kind, data, where)


def _union(args: tuple[Any, ...], data: Any, where: str) -> Any:
    errors = []
    for arg in args:
        try:
            return from_data(arg, data, where)
        except ContractError as exc:
            errors.append(str(exc))
    raise ContractError(errors[0])  # the first arm: X of X | None, the one meant


def _dataclass(cls: type[T], data: Any, where: str) -> T:
    fields = _typed(dict, data, where)
    hints = _hints(cls)
    if unknown := fields.keys() - hints.keys():
        raise ContractError(f"{_at(where, sorted(unknown)[0])}: not a field of {cls.__name__}")
    values = {}
    for name, hint in hints.items():
        if name not in fields:
            raise ContractError(f"{_at(where, name)}: missing")
        values[name] = from_data(hint, fields[name], _at(where, name))
    return cls(**values)


@cache
def _hints(cls: type) -> dict[str, Any]:
    """cls's fields (not its ClassVars) and their types, with postponed annotations resolved."""
    hints = typing.get_type_hints(cls)
    return {field.name: hints[field.name] for field in dataclasses.fields(cls)}


def _typed(kind: type, data: Any, where: str) -> Any:
    # bool is an int to isinstance: a count of True is the wrong type all the same.
    if (isinstance(data, bool) and kind is not bool) or not isinstance(data, kind):
        raise ContractError(
            f"{where or 'value'}: {kind.__name__}, not {type(data).__name__} {data!r:.40}"
        )
    return data


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name
