"""GitHub App authentication: a JWT signed with the App's key, the repository's installation,
short-lived installation tokens — through PyGithub against the simulator, and from rescue.yaml."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ci_rescue_core.config.deployment import ProviderConfig, RescueConfig, StoreConfig
from ci_rescue_core.errors import ConfigError, NotFoundError, PermissionDeniedError
from ci_rescue_core.orchestrator import HandleStatus
from ci_rescue_core.provider import Annotation, FileEdit, ProviderSettings
from ci_rescue_core.runtime import Runtime
from ci_rescue_providers.github import GitHubProvider, build_provider
from ci_rescue_providers.simulators.github import GitHubSimulator, SimJob

REPO = "acme/app"
OPTIONS = {"seconds_between_requests": 0, "seconds_between_writes": 0, "max_retries": 1}


def pem(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def private_key() -> str:
    return pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def app_settings(sim: GitHubSimulator, key: str, **extra: object) -> ProviderSettings:
    options = {
        **OPTIONS,
        "app_id": "424242",
        "private_key": key,
        "app_id_env": "GH_APP_ID",
        "private_key_env": "GH_APP_KEY",
        **extra,
    }
    return ProviderSettings(name="github", base_url=sim.base_url, options=options)


@pytest.fixture
def sim() -> Iterator[GitHubSimulator]:
    with GitHubSimulator(token="a-pat-nobody-uses") as simulator:
        simulator.add_repo(REPO)
        simulator.add_repo("acme/lib")
        yield simulator
    assert simulator.errors == []


@pytest.fixture
def app(sim: GitHubSimulator, private_key: str) -> Iterator[GitHubProvider]:
    provider = build_provider(app_settings(sim, private_key))
    yield provider
    provider.close()


def authorizations(sim: GitHubSimulator) -> list[str]:
    return [r.headers.get("authorization", "") for r in sim.requests]


def test_the_app_acts_through_its_installation_token(
    sim: GitHubSimulator, app: GitHubProvider
) -> None:
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure", "success"])])
    run = app.get_run(REPO, str(run_id))
    app.rerun_failed_jobs(run)
    app.open_issue("acme/lib", title="t", body="b")
    assert sim.get_run(run_id)["run_attempt"] == 2
    [claims] = sim.app_jwts[:1]
    assert claims["iss"] == "424242" and claims["exp"] > claims["iat"]
    [token] = sim.issued_tokens  # one installation, one token, reused
    api_calls = [r for r in sim.requests if not r.path.startswith("/app")]
    api_calls = [r for r in api_calls if not r.path.endswith("/installation")]
    assert {r.headers["authorization"] for r in api_calls} == {f"token {token}"}
    lookups = [r.path for r in sim.requests if r.path.endswith("/installation")]
    assert lookups == [f"/repos/{REPO}/installation"]  # once per owner
    assert sim.get_issues("acme/lib")[0]["user"]["login"] == "ci-rescue[bot]"


def test_an_app_token_is_refreshed_before_it_expires(private_key: str) -> None:
    # The simulator's clock runs 59 minutes behind: its hour-long tokens expire within a
    # minute of our time, so the adapter fetches a fresh one for every request.
    behind = timedelta(minutes=59, seconds=30)
    with GitHubSimulator(clock=lambda: datetime.now(timezone.utc) - behind) as sim:
        sim.add_repo(REPO)
        provider = build_provider(app_settings(sim, private_key))
        try:
            provider.list_runs(REPO)
            provider.list_runs(REPO)
            assert len(sim.issued_tokens) == 2
        finally:
            provider.close()


def test_checks_are_written_as_the_app(sim: GitHubSimulator, app: GitHubProvider) -> None:
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure"])])
    run = app.get_run(REPO, str(run_id))
    note = Annotation(path="a.py", start_line=1, end_line=1, message="boom")
    app.annotate(run, title="broke", summary="s", annotations=[note])
    [check] = sim.get_check_runs(REPO)
    assert check["app"]["slug"] == "ci-rescue" and len(check["annotations"]) == 1


def test_an_installation_without_checks_falls_back_to_a_status(private_key: str) -> None:
    permissions = {"actions": "write", "statuses": "write", "issues": "write", "metadata": "read"}
    with GitHubSimulator(installation_permissions=permissions) as sim:
        sim.add_repo(REPO)
        provider = build_provider(app_settings(sim, private_key))
        try:
            run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure"])])
            provider.annotate(provider.get_run(REPO, str(run_id)), title="broke", summary="s")
            assert sim.get_check_runs(REPO) == []
            [status] = sim.get_statuses(REPO, sim.get_run(run_id)["head_sha"])
            assert status["creator"]["login"] == "ci-rescue[bot]"
        finally:
            provider.close()


@pytest.mark.parametrize(("granted", "allowed"), [("write", True), (None, False)])
def test_workflow_edits_follow_the_installations_workflows_permission(
    private_key: str, granted: str | None, allowed: bool
) -> None:
    permissions = {"contents": "write", "pull_requests": "write", "metadata": "read"}
    if granted:
        permissions["workflows"] = granted
    with GitHubSimulator(installation_permissions=permissions) as sim:
        sim.add_repo(REPO)
        provider = build_provider(app_settings(sim, private_key))
        edit = FileEdit(".github/workflows/ci.yml", "on: push\n")
        try:
            if allowed:
                change = provider.open_change_request(
                    REPO, branch="ci-rescue/pin", title="t", body="b", edits=[edit]
                )
                assert change.created
            else:
                with pytest.raises(PermissionDeniedError, match="workflows: write"):
                    provider.open_change_request(
                        REPO, branch="ci-rescue/pin", title="t", body="b", edits=[edit]
                    )
                assert [r for r in sim.write_requests() if not r.path.startswith("/app")] == []
        finally:
            provider.close()


def test_an_app_not_installed_on_the_repository_is_named(private_key: str) -> None:
    with GitHubSimulator(installation_id=None) as sim:
        sim.add_repo(REPO)
        provider = build_provider(app_settings(sim, private_key))
        try:
            with pytest.raises(NotFoundError, match=f"not installed on {REPO}"):
                provider.list_runs(REPO)
        finally:
            provider.close()


def test_the_private_key_may_be_a_file(
    sim: GitHubSimulator, private_key: str, tmp_path: Path
) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text(private_key, encoding="utf-8")
    provider = build_provider(app_settings(sim, str(key_file)))
    try:
        assert provider.list_runs(REPO) == []
        assert sim.app_jwts
    finally:
        provider.close()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "has no private key: set GH_APP_KEY"),
        ("/no/such/file.pem", "GH_APP_KEY must hold"),
        (
            "-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----\n",
            "not an unencrypted PEM",
        ),
        ("ec", "must be an RSA key"),
    ],
)
def test_unusable_app_keys_are_configuration_errors(
    sim: GitHubSimulator, key: str, message: str
) -> None:
    if key == "ec":
        key = pem(ec.generate_private_key(ec.SECP256R1()))
    with pytest.raises(ConfigError, match=message):
        build_provider(app_settings(sim, key))
    assert sim.requests == []


def test_rescue_yaml_switches_to_the_app(
    sim: GitHubSimulator, private_key: str, tmp_path: Path
) -> None:
    config = RescueConfig(
        store=StoreConfig(path=str(tmp_path / "rescue.db")),
        providers={
            "github": ProviderConfig(
                base_url=sim.base_url,
                app_id_env="MY_APP_ID",
                private_key_env="MY_APP_KEY",
                max_retries=1,
                min_request_interval=0,
                min_write_interval=0,
            )
        },
        base_dir=str(tmp_path),
    )
    environ = {"MY_APP_ID": "424242", "MY_APP_KEY": private_key}
    settings = config.provider_settings("github", environ)
    assert settings.options["app_id"] == "424242"
    assert settings.options["private_key_env"] == "MY_APP_KEY"
    assert private_key in config.known_secrets(environ)  # the key is redacted from logs
    run_id = sim.add_run(REPO, jobs=[SimJob("test", ["failure", "success"])])
    with Runtime(config, environ=environ) as runtime:
        result = runtime.rescuer("github").handle_payload(
            "workflow_run", sim.workflow_run_event(run_id)
        )
    assert result.status is HandleStatus.HANDLED
    assert sim.issued_tokens and sim.app_jwts
