"""Every error ci-rescue raises on purpose.

The hierarchy (also in ``docs/errors.md``)::

    RescueError
    ├── ConfigError (ValueError)            bad rescue.yaml / rules file: names file, line, key
    ├── PayloadError (ValueError)           malformed webhook body or CLI input
    │   └── SignatureError                  webhook signature missing or wrong
    ├── UnknownProviderError (LookupError)  provider name nobody registered
    ├── PluginError                         a plugin misbehaved (bad return value, clash)
    ├── StoreError                          the SQLite store cannot be opened or is too new
    ├── LogReadError                        a log could not be read at all
    ├── WriteRefusedError                   a write was attempted where policy forbids it
    └── ProviderError                       the CI provider's API said no
        ├── AuthenticationError             401: the token is missing, wrong or expired
        ├── PermissionDeniedError           403: the token lacks a scope / permission
        ├── NotFoundError (LookupError)     404: repository, run, job or log does not exist
        ├── RateLimitedError                429 / rate-limit 403 that outlasted the back-off
        └── ProviderUnavailableError        5xx or connection failure after the retries

Errors carry their context as attributes (``provider``, ``resource``, ``path``, ``line``...) so a
caller can act on them without parsing messages.  ``PermissionDeniedError`` is a
type of its own so that policy matches on the type, never on message text.
"""

from __future__ import annotations


class RescueError(Exception):
    """Root of every error ci-rescue raises deliberately."""


class ConfigError(RescueError, ValueError):
    """A configuration or rules file is invalid.

    :ivar path: the file, when known.
    :ivar line: 1-based line in that file, when known.
    :ivar key: dotted key path of the offending entry, when known.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        line: int | None = None,
        key: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.key = key
        where = ""
        if path is not None:
            where = path if line is None else f"{path}:{line}"
        if key:
            where = f"{where}: {key}" if where else key
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message


class PayloadError(RescueError, ValueError):
    """A webhook payload (or other structured input) is malformed.

    :ivar field: dotted path of the missing or wrong field, when known.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class SignatureError(PayloadError):
    """A webhook's signature or token is missing or does not match."""


class UnknownProviderError(RescueError, LookupError):
    """No plugin registered a provider under this name.

    :ivar name: the name asked for.
    :ivar known: the names that are registered.
    """

    def __init__(self, name: str, known: tuple[str, ...]) -> None:
        self.name = name
        self.known = known
        listed = ", ".join(known) if known else "none"
        super().__init__(f"unknown provider {name!r} (known providers: {listed})")


class PluginError(RescueError):
    """A plugin returned something the host cannot use, or two plugins clash.

    :ivar plugin: the plugin's registered name, when known.
    """

    def __init__(self, message: str, *, plugin: str | None = None) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r}: {message}" if plugin else message)


class StoreError(RescueError):
    """The store cannot be opened, migrated or written."""


class LogReadError(RescueError):
    """A log could not be read at all (missing file, unreadable gzip...)."""


class WriteRefusedError(RescueError):
    """A provider write was attempted where the mode or policy forbids writes."""


class ProviderError(RescueError):
    """The CI provider's API refused or failed a call.

    :ivar provider: provider name (``github``, ``gitlab``, ``circleci``).
    :ivar status: HTTP status, when there was a response.
    :ivar resource: what was being accessed (``repo owner/name``, ``run 123``...).
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        resource: str | None = None,
    ) -> None:
        self.provider = provider
        self.status = status
        self.resource = resource
        super().__init__(f"{provider}: {message}")


class AuthenticationError(ProviderError):
    """401: the token is missing, wrong or expired."""


class PermissionDeniedError(ProviderError):
    """403: the token is valid but lacks a scope or permission.  Never retried."""


class NotFoundError(ProviderError, LookupError):
    """404: the repository, run, job or log does not exist (or the token cannot see it)."""


class RateLimitedError(ProviderError):
    """Rate limited for longer than the configured back-off allows.

    :ivar retry_after: seconds the provider asked us to wait, when it said.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        resource: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, provider=provider, status=status, resource=resource)


class ProviderUnavailableError(ProviderError):
    """5xx or a connection failure that outlasted the retries."""


#: Errors worth another try later: the provider may be back (the webhook worker and the remedy
#: scheduler retry these; every other error is final).
TRANSIENT_ERRORS: tuple[type[RescueError], ...] = (ProviderUnavailableError, RateLimitedError)
