"""Reading YAML into attrs classes with errors that name the file, the line and the key."""

from __future__ import annotations

import enum
import re
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.preconf.json import make_converter
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ci_rescue_core.errors import ConfigError

T = TypeVar("T")
PathPart = str | int

_converter = make_converter(forbid_extra_keys=True)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, keeping line information (an empty file is an empty mapping).

    :raises ConfigError: when the file is missing, unreadable or not valid YAML.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError("file not found", path=str(path)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read file: {exc}", path=str(path)) from exc
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"invalid YAML: {problem}", path=str(path), line=line) from exc
    except YAMLError as exc:
        raise ConfigError(f"invalid YAML: {exc}", path=str(path)) from exc
    return CommentedMap() if data is None else data


def structure_yaml(data: Any, model: type[T], *, path: Path, root: str = "") -> T:
    """Build *model* from parsed YAML, or raise a :class:`ConfigError` for the first problem.

    :param root: dotted prefix for key paths in messages (for files nested in a bigger config).
    """
    if not isinstance(data, Mapping):
        raise ConfigError(
            f"expected a mapping of keys at the top level, found {type(data).__name__}",
            path=str(path),
            line=1,
        )
    plain = _plain(data)
    try:
        return _converter.structure(plain, model)
    except ClassValidationError as exc:
        key_path, reason = next(_problems(exc, ()))
        expected = _expected_type(model, key_path)
        if (
            reason.startswith("invalid value: ")
            and expected
            and not _VALIDATOR_MESSAGE.match(reason.removeprefix("invalid value: "))
        ):
            reason = f"invalid value {_value_at(plain, key_path)!r} (expected {expected})"
        dotted = ".".join(str(part) for part in ((root,) if root else ()) + key_path)
        raise ConfigError(
            reason, path=str(path), line=_line_of(data, key_path), key=dotted or None
        ) from exc


def _plain(node: Any) -> Any:
    """ruamel's round-trip containers as plain dicts and lists."""
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def _problems(
    exc: BaseException, at: tuple[PathPart, ...]
) -> Iterator[tuple[tuple[PathPart, ...], str]]:
    if isinstance(exc, ForbiddenExtraKeysError):
        known = ", ".join(sorted(a.name for a in exc.cl.__attrs_attrs__))  # type: ignore[attr-defined]
        for key in sorted(exc.extra_fields):
            yield (*at, key), f"unknown key {key!r} (known keys here: {known})"
    elif isinstance(exc, (ClassValidationError, IterableValidationError)):
        with_notes, without = exc.group_exceptions()
        for sub, note in with_notes:
            if isinstance(note, AttributeValidationNote):
                yield from _problems(sub, (*at, note.name))
            elif isinstance(note, IterableValidationNote):
                yield from _problems(sub, (*at, note.index))
            else:  # pragma: no cover - cattrs only uses the two notes above
                yield from _problems(sub, at)
        for sub in without:
            yield from _problems(sub, at)
    elif isinstance(exc, KeyError):
        yield at, f"required key {exc.args[0]!r} is missing"
    else:
        validator_field = _VALIDATOR_MESSAGE.match(str(exc))
        if isinstance(exc, ValueError) and validator_field:
            # an attrs validator inside the class at `at`: "'retry_max' must be >= 0: -1"
            yield (*at, validator_field.group(1)), f"invalid value: {exc}"
        else:
            yield at, _describe(exc)


_VALIDATOR_MESSAGE = re.compile(r"^'(\w+)' must ")


def _describe(exc: BaseException) -> str:
    text = str(exc)
    target = getattr(exc, "type_", None) or getattr(exc, "type", None)
    if target is not None and not isinstance(exc, ValueError):
        return f"wrong type: expected {getattr(target, '__name__', target)}"
    return f"invalid value: {text}"


def _expected_type(model: type, key_path: tuple[PathPart, ...]) -> str | None:
    """A readable name of the type declared for *key_path* in *model*, when it is simple."""
    current: Any = model
    for part in key_path:
        if typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
            continue
        fields = getattr(current, "__attrs_attrs__", None)
        if fields is None or not isinstance(part, str):
            return None
        match = [a for a in fields if a.name == part]
        if not match:
            return None
        current = match[0].type
    if isinstance(current, type) and issubclass(current, enum.Enum):
        return "one of " + ", ".join(str(member.value) for member in current)
    names = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}
    return names.get(current) if isinstance(current, type) else str(current)


def _value_at(data: Any, key_path: tuple[PathPart, ...]) -> Any:
    for part in key_path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _line_of(data: Any, key_path: tuple[PathPart, ...]) -> int | None:
    """1-based line of the deepest part of *key_path* present in *data*."""
    line: int | None = 1
    node = data
    for part in key_path:
        if isinstance(node, CommentedMap) and part in node:
            line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """*override* on top of *base*; nested mappings merge, everything else replaces."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
