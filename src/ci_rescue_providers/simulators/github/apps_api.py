"""Endpoints of the simulated GitHub App API: the app, its installation and installation tokens."""

from __future__ import annotations

from typing import Any

from .apps import AppRegistry
from .context import ApiContext
from .errors import NotFoundError
from .payloads import Urls, node_id, ts, user_json
from .router import ApiRequest, ApiResponse, Router, json_response
from .state import SimState

__all__ = ["app_json", "github_actions_app_json", "installation_json", "register_apps"]

_EVENTS = ["check_run", "check_suite", "workflow_job", "workflow_run"]
GITHUB_ACTIONS_APP_ID = 15368


def app_json(state: SimState, apps: AppRegistry, urls: Urls) -> dict[str, Any]:
    """The simulated app (``GET /app``, and ``app`` of its check runs)."""
    return {
        "id": apps.app_id,
        "slug": apps.slug,
        "node_id": node_id("A", apps.app_id),
        "client_id": f"Iv1.{apps.app_id:016x}",
        "owner": user_json(state, "ci-rescue", urls, kind="Organization"),
        "name": apps.slug,
        "description": "Rescues failing CI runs",
        "external_url": urls.html(f"/apps/{apps.slug}"),
        "html_url": urls.html(f"/apps/{apps.slug}"),
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": dict(apps.permissions),
        "events": list(_EVENTS),
        "installations_count": 0 if apps.installation_id is None else 1,
    }


def github_actions_app_json(state: SimState, urls: Urls) -> dict[str, Any]:
    """The ``github-actions`` app that owns the check runs of workflow jobs."""
    return {
        "id": GITHUB_ACTIONS_APP_ID,
        "slug": "github-actions",
        "node_id": node_id("A", GITHUB_ACTIONS_APP_ID),
        "client_id": "Iv1.05c79e9ad1f6bdfa",
        "owner": user_json(state, "github", urls, kind="Organization"),
        "name": "GitHub Actions",
        "description": "Automate your workflow from idea to production",
        "external_url": urls.html("/features/actions"),
        "html_url": urls.html("/apps/github-actions"),
        "created_at": "2018-07-30T09:30:17Z",
        "updated_at": "2024-04-10T20:33:16Z",
        "permissions": {"actions": "write", "checks": "write", "contents": "write"},
        "events": ["check_run", "check_suite", "workflow_dispatch"],
    }


def installation_json(
    state: SimState, apps: AppRegistry, urls: Urls, account: str
) -> dict[str, Any]:
    """The app's installation as seen from *account*'s repositories."""
    installation_id = apps.installation_id or 0
    return {
        "id": installation_id,
        "client_id": f"Iv1.{apps.app_id:016x}",
        "account": user_json(state, account, urls, kind="Organization"),
        "repository_selection": "all",
        "access_tokens_url": urls.api(f"/app/installations/{installation_id}/access_tokens"),
        "repositories_url": urls.api("/installation/repositories"),
        "html_url": urls.html(f"/organizations/{account}/settings/installations/{installation_id}"),
        "app_id": apps.app_id,
        "app_slug": apps.slug,
        "target_id": state.user_id(account),
        "target_type": "Organization",
        "permissions": dict(apps.permissions),
        "events": list(_EVENTS),
        "created_at": "2024-01-02T00:00:00Z",
        "updated_at": "2024-01-02T00:00:00Z",
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "suspended_by": None,
        "suspended_at": None,
    }


def register_apps(router: Router, ctx: ApiContext, apps: AppRegistry) -> None:
    """Register the app endpoints (callers authenticate with the app's JWT)."""
    state = ctx.state

    def get_app(request: ApiRequest) -> ApiResponse:
        with state.lock:
            return json_response(200, app_json(state, apps, ctx.urls()))

    def repo_installation(request: ApiRequest) -> ApiResponse:
        repo = ctx.repo(request)
        if apps.installation_id is None:
            raise NotFoundError()
        with state.lock:
            return json_response(200, installation_json(state, apps, ctx.urls(), repo.owner))

    def get_installation(request: ApiRequest) -> ApiResponse:
        apps.installation(ctx.int_param(request, "installation_id"))
        with state.lock:
            return json_response(200, installation_json(state, apps, ctx.urls(), state.login))

    def list_installations(request: ApiRequest) -> ApiResponse:
        with state.lock:
            items = (
                []
                if apps.installation_id is None
                else [installation_json(state, apps, ctx.urls(), state.login)]
            )
        return json_response(200, items)

    def access_token(request: ApiRequest) -> ApiResponse:
        payload = request.json_object()
        wanted = payload.get("permissions")
        issued = apps.issue_token(
            ctx.int_param(request, "installation_id"),
            wanted if isinstance(wanted, dict) and wanted else None,
        )
        body = {
            "token": issued.token,
            "expires_at": ts(issued.expires_at),
            "permissions": dict(issued.permissions),
            "repository_selection": "all",
        }
        return json_response(201, body)

    router.add("GET", "/app", get_app)
    router.add("GET", "/app/installations", list_installations)
    router.add("GET", "/app/installations/{installation_id}", get_installation)
    router.add("POST", "/app/installations/{installation_id}/access_tokens", access_token)
    router.add("GET", "/repos/{owner}/{repo}/installation", repo_installation)
