"""The simulator's public API for webhook deliveries: payloads of runs, jobs and checks, and
signed deliveries (mixed into ``GitHubSimulator``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .apps import AppRegistry
from .checks_api import check_run_event, check_suite_event
from .payloads import Urls
from .run_payloads import workflow_job_event, workflow_run_event
from .state import SimState
from .webhooks import webhook_delivery

__all__ = ["WebhookEventsMixin"]


class WebhookEventsMixin:
    """Webhook payloads shaped like GitHub's deliveries, built from the simulator's state."""

    _state: SimState
    _apps: AppRegistry
    installation_id: int | None

    def _urls(self) -> Urls:  # pragma: no cover - provided by GitHubSimulator
        raise NotImplementedError

    def workflow_run_event(
        self, run_id: int, action: str = "completed", *, attempt: int | None = None
    ) -> dict[str, Any]:
        """The ``workflow_run`` webhook payload of ``attempt`` (default: latest), shaped like a
        real delivery (``installation`` included when ``installation_id`` is set)."""
        with self._state.lock:
            run = self._state.run(run_id)
            record = run.latest if attempt is None else run.attempt(attempt)
            return workflow_run_event(
                self._state,
                run,
                record,
                self._urls(),
                action=action,
                installation_id=self.installation_id,
            )

    def workflow_job_event(self, job_id: int, action: str = "completed") -> dict[str, Any]:
        """The ``workflow_job`` webhook payload of one job."""
        with self._state.lock:
            job = self._state.job(job_id)
            return workflow_job_event(
                self._state, job, self._urls(), action=action, installation_id=self.installation_id
            )

    @staticmethod
    def webhook_delivery(
        event: str, payload: Mapping[str, Any], secret: str | bytes | None = None
    ) -> tuple[dict[str, str], bytes]:
        """Headers and raw body of a delivery of ``payload`` as GitHub would POST it, signed
        with ``X-Hub-Signature-256`` when ``secret`` is given."""
        return webhook_delivery(event, payload, secret)

    def check_run_event(self, check_run_id: int, action: str = "completed") -> dict[str, Any]:
        """The ``check_run`` webhook payload of an Actions job (its id) or an app's check run."""
        return check_run_event(
            self._state,
            self._apps,
            check_run_id,
            self._urls(),
            action=action,
            installation_id=self.installation_id,
        )

    def check_suite_event(
        self, run_id: int, action: str = "completed", *, attempt: int | None = None
    ) -> dict[str, Any]:
        """The ``check_suite`` webhook payload of a run's attempt (default: the latest)."""
        return check_suite_event(
            self._state,
            run_id,
            self._urls(),
            action=action,
            attempt=attempt,
            installation_id=self.installation_id,
        )
