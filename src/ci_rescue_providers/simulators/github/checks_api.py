"""Endpoints of the simulated Checks and Statuses APIs, and ``check_run``/``check_suite``
webhook payloads."""

from __future__ import annotations

from typing import Any

from .apps import AppRegistry, require
from .apps_api import app_json
from .checks import (
    annotation_json,
    apply_check_run,
    check_run_json,
    job_check_run_json,
    status_json,
    suite_json,
    validate_status,
)
from .context import ApiContext
from .errors import NotFoundError, SimError
from .models import RepoRecord
from .payloads import Urls
from .records import CheckRunRecord, StatusRecord
from .router import ApiRequest, ApiResponse, Router, json_response, paginate
from .run_payloads import envelope
from .state import SimState

__all__ = ["check_run_event", "check_suite_event", "register_checks", "resolve_sha"]


def _known_sha(state: SimState, repo: RepoRecord, sha: str) -> bool:
    """Whether *sha* is a commit of *repo*: in its git store, a run's head or a pull's."""
    sha = sha.lower()
    if sha in repo.git.commits:
        return True
    if any(r.repo is repo and r.head_sha == sha for r in state.runs.values()):
        return True
    return any(i.pull is not None and i.pull.head_sha == sha for i in repo.issues.values())


def resolve_sha(state: SimState, repo: RepoRecord, ref: str) -> str:
    """The commit *ref* names (a sha the repository knows, or a branch); 422 otherwise."""
    sha = repo.git.resolve(ref)
    if sha is not None:
        return sha
    if _known_sha(state, repo, ref):
        return ref.lower()
    raise SimError(422, f"No commit found for SHA: {ref}")


def _suite_of_app(repo: RepoRecord, apps: AppRegistry, sha: str, state: SimState) -> int:
    for check in repo.check_runs.values():
        if check.head_sha == sha and check.app_slug == apps.slug:
            return check.check_suite_id
    return state.next_suite_id()


def register_checks(router: Router, ctx: ApiContext, apps: AppRegistry) -> None:
    """Register the check-run, check-suite and commit-status endpoints on ``router``."""
    state = ctx.state
    prefix = "/repos/{owner}/{repo}"

    def render(repo: RepoRecord, check: CheckRunRecord, urls: Urls) -> dict[str, Any]:
        return check_run_json(state, repo, check, urls, app_json(state, apps, urls))

    def create_check(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        require(request.identity, "checks")
        payload = request.json_object()
        name, head = payload.get("name"), payload.get("head_sha")
        if not isinstance(name, str) or not name:
            raise SimError(422, 'Invalid request.\n\n"name" wasn\'t supplied.')
        if not isinstance(head, str):
            raise SimError(422, 'Invalid request.\n\n"head_sha" wasn\'t supplied.')
        with state.lock:
            sha = resolve_sha(state, repo, head)
            check = CheckRunRecord(
                id=state.next_check_run_id(),
                name=name,
                head_sha=sha,
                app_slug=apps.slug,
                check_suite_id=_suite_of_app(repo, apps, sha, state),
                status="queued",
                conclusion=None,
                started_at=state.clock(),
                completed_at=None,
            )
            apply_check_run(check, payload, state)
            repo.check_runs[check.id] = check
            return json_response(201, render(repo, check, ctx.urls()))

    def update_check(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        require(request.identity, "checks")
        payload = request.json_object()
        with state.lock:
            check = repo.check_runs.get(ctx.int_param(request, "check_run_id"))
            if check is None:
                state.job(ctx.int_param(request, "check_run_id"), repo.full_name)
                raise SimError(403, "Resource not accessible by integration")
            apply_check_run(check, payload, state)
            return json_response(200, render(repo, check, ctx.urls()))

    def get_check(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        check_id = ctx.int_param(request, "check_run_id")
        with state.lock:
            check = repo.check_runs.get(check_id)
            if check is not None:
                return json_response(200, render(repo, check, ctx.urls()))
            job = state.job(check_id, repo.full_name)
            return json_response(200, job_check_run_json(state, job, ctx.urls()))

    def get_annotations(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        check_id = ctx.int_param(request, "check_run_id")
        with state.lock:
            check = repo.check_runs.get(check_id)
            if check is None:
                state.job(check_id, repo.full_name)
                return json_response(200, [])
            urls = ctx.urls()
            items = [annotation_json(repo, check, note, urls) for note in check.annotations]
            page, headers = paginate(request, items, ctx.base_url())
        return json_response(200, page, headers)

    def commit_checks(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        query = request.query
        with state.lock:
            sha = resolve_sha(state, repo, request.params["ref"])
            urls = ctx.urls()
            items = [
                job_check_run_json(state, job, urls)
                for run in state.runs_of(repo.full_name)
                if run.head_sha == sha
                for job in run.latest.jobs
            ]
            items += [render(repo, c, urls) for c in repo.check_runs.values() if c.head_sha == sha]
            if query.get("check_name"):
                items = [i for i in items if i["name"] == query["check_name"]]
            if query.get("status"):
                items = [i for i in items if i["status"] == query["status"]]
            page, headers = paginate(request, items, ctx.base_url())
        return json_response(200, {"total_count": len(items), "check_runs": page}, headers)

    def get_suite(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        suite_id = ctx.int_param(request, "suite_id")
        with state.lock:
            for run in state.runs_of(repo.full_name):
                for attempt in run.attempts:
                    if attempt.check_suite_id == suite_id:
                        return json_response(200, suite_json(state, run, attempt, ctx.urls()))
        raise NotFoundError()

    def post_status(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        require(request.identity, "statuses")
        payload = request.json_object()
        value, context, description, target = validate_status(payload)
        login = ctx.login(request)
        with state.lock:
            sha = resolve_sha(state, repo, request.params["sha"])
            record = StatusRecord(
                id=next(state.status_ids),
                sha=sha,
                state=value,
                context=context,
                description=description,
                target_url=target,
                creator=login,
                created_at=state.clock(),
            )
            repo.statuses.append(record)
            return json_response(201, status_json(state, repo, record, ctx.urls()))

    def list_statuses(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            sha = resolve_sha(state, repo, request.params["ref"])
            items = [s for s in reversed(repo.statuses) if s.sha == sha]
            return ctx.json_page(request, items, lambda s, urls: status_json(state, repo, s, urls))

    def combined_status(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        with state.lock:
            sha = resolve_sha(state, repo, request.params["ref"])
            latest: dict[str, StatusRecord] = {}
            for status in repo.statuses:
                if status.sha == sha:
                    latest[status.context] = status
            states = {s.state for s in latest.values()}
            overall = (
                "failure"
                if states & {"failure", "error"}
                else "pending"
                if "pending" in states or not states
                else "success"
            )
            urls = ctx.urls()
            body = {
                "state": overall,
                "statuses": [status_json(state, repo, s, urls) for s in latest.values()],
                "sha": sha,
                "total_count": len(latest),
                "repository": {"id": repo.id, "full_name": repo.full_name},
                "commit_url": urls.repo(repo, f"/commits/{sha}"),
                "url": urls.repo(repo, f"/commits/{sha}/status"),
            }
        return json_response(200, body)

    router.add("POST", f"{prefix}/check-runs", create_check)
    router.add("GET", f"{prefix}/check-runs/{{check_run_id}}", get_check)
    router.add("PATCH", f"{prefix}/check-runs/{{check_run_id}}", update_check)
    router.add("GET", f"{prefix}/check-runs/{{check_run_id}}/annotations", get_annotations)
    router.add("GET", f"{prefix}/commits/{{ref}}/check-runs", commit_checks)
    router.add("GET", f"{prefix}/check-suites/{{suite_id}}", get_suite)
    router.add("POST", f"{prefix}/statuses/{{sha}}", post_status)
    router.add("GET", f"{prefix}/commits/{{ref}}/statuses", list_statuses)
    router.add("GET", f"{prefix}/statuses/{{ref}}", list_statuses)
    router.add("GET", f"{prefix}/commits/{{ref}}/status", combined_status)


def check_run_event(
    state: SimState,
    apps: AppRegistry,
    check_run_id: int,
    urls: Urls,
    *,
    action: str,
    installation_id: int | None,
) -> dict[str, Any]:
    """The ``check_run`` webhook payload of an Actions job or an app's check run."""
    with state.lock:
        job = state.jobs.get(check_run_id)
        if job is not None:
            run = state.run(job.run_id)
            suite = suite_json(state, run, run.attempt(job.attempt), urls)
            check = job_check_run_json(state, job, urls, suite=suite)
            repo = run.repo
        else:
            found = [r for r in state.repos.values() if check_run_id in r.check_runs]
            if not found:
                raise NotFoundError()
            repo = found[0]
            record = repo.check_runs[check_run_id]
            app = app_json(state, apps, urls)
            suite = {"id": record.check_suite_id, "head_sha": record.head_sha, "app": app}
            check = check_run_json(state, repo, record, urls, app, suite=suite)
        payload: dict[str, Any] = {"action": action, "check_run": check}
        payload.update(envelope(state, repo, urls, state.login, installation_id))
        return payload


def check_suite_event(
    state: SimState,
    run_id: int,
    urls: Urls,
    *,
    action: str,
    attempt: int | None,
    installation_id: int | None,
) -> dict[str, Any]:
    """The ``check_suite`` webhook payload of one run attempt (default: the latest)."""
    with state.lock:
        run = state.run(run_id)
        record = run.latest if attempt is None else run.attempt(attempt)
        payload: dict[str, Any] = {
            "action": action,
            "check_suite": suite_json(state, run, record, urls),
        }
        payload.update(envelope(state, run.repo, urls, record.triggering_actor, installation_id))
        return payload
