"""ci_rescue_providers.common: the helpers the adapters share."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from ci_rescue_core.errors import (
    AuthenticationError,
    NotFoundError,
    PayloadError,
    PermissionDeniedError,
    ProviderError,
    ProviderUnavailableError,
    RateLimitedError,
    SignatureError,
)
from ci_rescue_providers.common.auth import missing_token, require_secret
from ci_rescue_providers.common.reads import first_file, guarded, numeric
from ci_rescue_providers.common.status import StatusWording, error_for_status


def test_numeric_names_provider_and_kind() -> None:
    assert numeric("42", "run id", provider_label="GitHub") == 42
    with pytest.raises(PayloadError, match="GitLab job id must be numeric, got 'x'"):
        numeric("x", "job id", provider_label="GitLab")


def test_guarded_raises_where_the_consumer_reads() -> None:
    entered: list[str] = []

    @contextmanager
    def translated() -> Iterator[None]:
        entered.append("in")
        try:
            yield
        except OSError as exc:
            raise ProviderError("broke off", provider="p") from exc

    def chunks() -> Iterator[bytes]:
        yield b"a"
        raise OSError("reset")

    stream = guarded(chunks(), translated)
    assert entered == []  # nothing happens before the first read
    assert next(stream) == b"a"
    with pytest.raises(ProviderError, match="broke off"):
        next(stream)


def test_first_file_takes_the_first_found() -> None:
    files = {"b": "B", "c": "C"}
    assert first_file(files.get, ["a", "b", "c"]) == "B"
    assert first_file(files.get, ["x"]) is None


def test_missing_token_and_secret() -> None:
    error = missing_token(
        "run 1", provider="circleci", provider_label="CircleCI", token_env="T", kind="a key"
    )
    assert isinstance(error, AuthenticationError)
    assert str(error) == (
        "circleci: no CircleCI token to access run 1: set the environment variable T to a key"
    )
    assert require_secret("s", provider="github", secret_env="S") == "s"
    with pytest.raises(SignatureError, match="refusing to trust an unsigned delivery"):
        require_secret(None, provider="github", secret_env="S")


WORDING = StatusWording(
    unauthorized="401 on {resource}",
    forbidden="403 on {resource}{hint}",
    not_found="404 on {resource}",
    rate_limited="429 on {resource}: {message}",
    unavailable="{status} on {resource}",
    other="{status} {message}",
)


@pytest.mark.parametrize(
    ("status", "kind", "text"),
    [
        (401, AuthenticationError, "p: 401 on r"),
        (403, PermissionDeniedError, "p: 403 on r; needs x"),
        (404, NotFoundError, "p: 404 on r"),
        (429, RateLimitedError, "p: 429 on r: {m}"),
        (503, ProviderUnavailableError, "p: 503 on r"),
        (422, ProviderError, "p: 422 {m}"),
        (None, ProviderError, "p: None {m}"),
    ],
)
def test_error_for_status_picks_type_and_wording(
    status: int | None, kind: type[ProviderError], text: str
) -> None:
    error = error_for_status(
        status,
        WORDING,
        provider="p",
        resource="r",
        message="{m}",
        retry_after=2.0,
        hint="; needs x",
    )
    assert type(error) is kind
    assert str(error) == text
    assert (error.status, error.resource) == (status, "r")
    assert getattr(error, "retry_after", 2.0) == 2.0
