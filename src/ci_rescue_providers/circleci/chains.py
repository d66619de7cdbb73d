"""Placing workflows in their re-run chains (see :mod:`ci_rescue_providers.circleci.runs`),
with small bounded caches of the facts that never change (a workflow's pipeline and name, a
job's number)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from ci_rescue_core.errors import NotFoundError, ProviderError
from ci_rescue_core.models import RunRef
from ci_rescue_providers.circleci.client import CircleCIClient
from ci_rescue_providers.circleci.errors import PROVIDER
from ci_rescue_providers.circleci.runs import canonical_slug, run_from_api, sort_chain

__all__ = ["BoundedCache", "Chains", "Execution"]

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """A least-recently-used mapping of at most *size* entries."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The value of *key*, or ``None``."""
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Remember *value* for *key*, forgetting the least recently used entry when full."""
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.size:
            self._data.popitem(last=False)


class Execution:
    """One execution of a workflow: its JSON, its chain (oldest first) and its pipeline."""

    def __init__(
        self,
        workflow: Mapping[str, Any],
        chain: list[Mapping[str, Any]],
        pipeline: Mapping[str, Any],
    ) -> None:
        self.workflow = workflow
        self.chain = chain
        self.pipeline = pipeline

    @property
    def id(self) -> str:
        """The workflow id of this execution."""
        return str(self.workflow["id"])

    @property
    def is_latest(self) -> bool:
        """True when no re-run followed this execution."""
        return self.id == str(self.chain[-1].get("id"))


class Chains:
    """Reads workflows, pipelines and chains through *client*."""

    def __init__(self, client: CircleCIClient, *, app_url: str) -> None:
        self._client = client
        self.app_url = app_url
        self._workflow_home: BoundedCache[str, tuple[str, str, str]] = BoundedCache()
        self._pipelines: BoundedCache[str, dict[str, Any]] = BoundedCache(512)

    def pipeline(self, pipeline_id: str) -> dict[str, Any]:
        """``GET /pipeline/{id}`` (cached: a pipeline's commit and number never change)."""
        known = self._pipelines.get(pipeline_id)
        if known is None:
            known = self._client.get_object(
                f"/pipeline/{pipeline_id}", resource=f"pipeline {pipeline_id}"
            )
            self._pipelines.put(pipeline_id, known)
        return known

    def chain(self, pipeline_id: str, name: str) -> list[Mapping[str, Any]]:
        """Every execution of workflow *name* in the pipeline, oldest first."""
        workflows = [
            w
            for w in self._client.items(
                f"/pipeline/{pipeline_id}/workflow", resource=f"workflows of pipeline {pipeline_id}"
            )
            if w.get("name") == name and w.get("id")
        ]
        for workflow in workflows:
            self._remember(workflow)
        return sort_chain(workflows)

    def home(self, workflow_id: str, slug: str) -> tuple[str, str]:
        """``(pipeline id, workflow name)`` of *workflow_id*, which must belong to *slug*."""
        known = self._workflow_home.get(workflow_id)
        if known is None:
            workflow = self._client.get_object(
                f"/workflow/{workflow_id}", resource=f"workflow {workflow_id} of {slug}"
            )
            known = self._remember(workflow)
        project, pipeline_id, name = known
        if project and canonical_slug(project) != slug:
            raise NotFoundError(
                f"workflow {workflow_id} belongs to project {project}, not {slug}",
                provider=PROVIDER,
                status=404,
                resource=f"workflow {workflow_id} of {slug}",
            )
        return pipeline_id, name

    def execution(self, slug: str, workflow_id: str) -> Execution:
        """Workflow *workflow_id* (any member of a chain) placed in its chain."""
        pipeline_id, name = self.home(workflow_id, slug)
        chain = self.chain(pipeline_id, name)
        current = next((w for w in chain if str(w.get("id")) == workflow_id), None)
        if current is None:
            raise NotFoundError(
                f"workflow {workflow_id} is not among the workflows of pipeline {pipeline_id}",
                provider=PROVIDER,
                status=404,
                resource=f"workflow {workflow_id} of {slug}",
            )
        return Execution(current, chain, self.pipeline(pipeline_id))

    def attempt(self, run: RunRef) -> Execution:
        """The execution that attempt ``run.attempt`` of *run* names."""
        latest = self.execution(run.repo, run.run_id)
        if run.attempt > len(latest.chain):
            raise NotFoundError(
                f"run {run.run_id} of {run.repo} has {len(latest.chain)} attempt(s), "
                f"not {run.attempt}",
                provider=PROVIDER,
                status=404,
                resource=f"attempt {run.attempt} of run {run.run_id} of {run.repo}",
            )
        workflow = latest.chain[run.attempt - 1]
        return Execution(workflow, latest.chain, latest.pipeline)

    def latest_run(self, slug: str, workflow_id: str) -> RunRef:
        """The newest execution of *workflow_id*'s chain as a :class:`RunRef`."""
        execution = self.execution(slug, workflow_id)
        return self.run_ref(slug, execution.chain, len(execution.chain), execution.pipeline)

    def run_ref(
        self,
        slug: str,
        chain: list[Mapping[str, Any]],
        attempt: int,
        pipeline: Mapping[str, Any],
    ) -> RunRef:
        """Attempt *attempt* of *chain* as a :class:`RunRef` (``run_id``: the first id)."""
        if not chain:
            raise ProviderError("an empty workflow chain", provider=PROVIDER)
        return run_from_api(
            slug=slug,
            run_id=str(chain[0]["id"]),
            attempt=attempt,
            workflow=chain[attempt - 1],
            pipeline=pipeline,
            app_url=self.app_url,
        )

    def runs_of(self, slug: str, pipeline: Mapping[str, Any]) -> list[RunRef]:
        """The newest execution of every workflow of *pipeline*, newest first."""
        pipeline_id = str(pipeline.get("id") or "")
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for workflow in self._client.items(
            f"/pipeline/{pipeline_id}/workflow", resource=f"workflows of pipeline {pipeline_id}"
        ):
            if workflow.get("id"):
                self._remember(workflow)
                groups.setdefault(str(workflow.get("name") or ""), []).append(workflow)
        runs = []
        for group in groups.values():
            chain = sort_chain(group)
            runs.append(self.run_ref(slug, chain, len(chain), pipeline))
        runs.sort(key=lambda r: r.created_at.isoformat() if r.created_at else "", reverse=True)
        return runs

    def _remember(self, workflow: Mapping[str, Any]) -> tuple[str, str, str]:
        pipeline_id = workflow.get("pipeline_id")
        name = workflow.get("name")
        if not pipeline_id or not name:
            raise ProviderError(
                f"workflow {workflow.get('id')} has no pipeline_id or name",
                provider=PROVIDER,
                resource=f"workflow {workflow.get('id')}",
            )
        home = (str(workflow.get("project_slug") or ""), str(pipeline_id), str(name))
        self._workflow_home.put(str(workflow["id"]), home)
        return home
