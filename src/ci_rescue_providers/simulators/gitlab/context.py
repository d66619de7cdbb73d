"""What every endpoint handler shares: the state, the engines, URLs and parameter parsing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .ci import CiEngine
from .models import NotFoundError, ProjectRecord, SimError
from .payloads import Urls
from .router import ApiRequest, ApiResponse, json_response, paginate
from .state import SimState
from .tracker import Tracker

__all__ = ["ApiContext", "truthy"]


def truthy(value: Any) -> bool:
    """A boolean parameter as GitLab reads it (``true``/``1``/``yes`` or JSON ``true``)."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")


@dataclass
class ApiContext:
    """Shared by every handler."""

    state: SimState
    engine: CiEngine
    tracker: Tracker
    base_url: Callable[[], str]

    def urls(self) -> Urls:
        """Web URLs on the running server's base URL."""
        return Urls(self.base_url())

    def project(self, request: ApiRequest) -> ProjectRecord:
        """The project named by the ``project`` path parameter (id or encoded path)."""
        return self.state.project(request.params["project"])

    @staticmethod
    def int_param(request: ApiRequest, name: str, what: str = "") -> int:
        """A numeric path parameter; 404 when it is not a number."""
        value = request.params.get(name, "")
        if not value.isdigit():
            raise NotFoundError(what)
        return int(value)

    @staticmethod
    def required(data: Mapping[str, Any], *names: str) -> None:
        """400 ``<name> is missing`` for the first absent parameter."""
        for name in names:
            if data.get(name) in (None, ""):
                raise SimError(400, f"{name} is missing")

    def page(
        self, request: ApiRequest, items: Sequence[dict[str, Any]], status: int = 200
    ) -> ApiResponse:
        """A paginated JSON list."""
        chunk, headers = paginate(request, items, self.base_url())
        return json_response(status, chunk, headers)
