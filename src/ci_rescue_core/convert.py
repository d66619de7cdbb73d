"""The one cattrs converter that moves models across boundaries.

Models carry no serialisation code.  At the edges (store rows, CLI JSON, webhook payloads, YAML
config) they are turned into JSON-safe dicts with :func:`to_json_dict` and back with
:func:`from_json_dict`.  Datetimes become ISO 8601 strings, enums their values, tuples lists.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, TypeVar

import cattrs
from cattrs.preconf.json import make_converter

from ci_rescue_core.errors import PayloadError

T = TypeVar("T")

_converter = make_converter(forbid_extra_keys=True)


def _unstructure_datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat()


def _structure_datetime(value: Any, _: type) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        raise TypeError(f"expected an ISO 8601 string, got {type(value).__name__}")
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


_converter.register_unstructure_hook(datetime, _unstructure_datetime)
_converter.register_structure_hook(datetime, _structure_datetime)


def to_json_dict(model: Any) -> Any:
    """Turn a model (or a container of models) into JSON-safe data."""
    return _converter.unstructure(model)


def from_json_dict(data: Any, model_type: type[T]) -> T:
    """Build a *model_type* from JSON-safe data.

    :raises PayloadError: naming every wrong or missing field by its path.
    """
    try:
        return _converter.structure(data, model_type)
    except cattrs.BaseValidationError as exc:
        problems = "; ".join(cattrs.transform_error(exc, path=model_type.__name__))
        raise PayloadError(f"invalid {model_type.__name__}: {problems}") from exc
    except (TypeError, ValueError) as exc:
        raise PayloadError(f"invalid {model_type.__name__}: {exc}") from exc
