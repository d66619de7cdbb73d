"""The VCS companion: CircleCI builds repositories that live on GitHub or GitLab, and issues,
change requests, comments, owners, annotations and files go through that provider."""

from __future__ import annotations

from collections.abc import Mapping

from ci_rescue_core.errors import ConfigError
from ci_rescue_core.provider import Capability, Provider
from ci_rescue_providers.circleci.chains import BoundedCache
from ci_rescue_providers.circleci.client import CircleCIClient, slug_path
from ci_rescue_providers.circleci.runs import canonical_slug, repo_path

__all__ = ["DELEGATED", "Companion"]

#: What goes through the VCS companion, when the companion can do it.
DELEGATED = frozenset(
    {
        Capability.ISSUES,
        Capability.CHANGE_REQUESTS,
        Capability.AUTO_MERGE,
        Capability.COMMENTS,
        Capability.ANNOTATIONS,
        Capability.OWNERS,
        Capability.READ_FILES,
        Capability.CHANGE_REQUEST_STATE,
    }
)
_VCS_PREFIXES = frozenset({"gh", "bb"})


class Companion:
    """The VCS provider (if any) and which repository each CircleCI project builds.

    :param vcs_repos: project slug → repository (``org/repo``) for slugs that do not say it.
    """

    def __init__(
        self,
        vcs: Provider | None,
        api: CircleCIClient,
        vcs_repos: Mapping[str, str] | None = None,
    ) -> None:
        self.vcs = vcs
        self._api = api
        self._explicit = {canonical_slug(k): v for k, v in (vcs_repos or {}).items()}
        self._learned: BoundedCache[str, str] = BoundedCache(1024)

    @property
    def capabilities(self) -> frozenset[Capability]:
        """The companion's capabilities that CircleCI delegates to it."""
        return self.vcs.capabilities & DELEGATED if self.vcs is not None else frozenset()

    def provider(self, what: str) -> Provider:
        """The companion, to *what* (``open issues``...).

        :raises ConfigError: naming ``providers.circleci.vcs`` when there is none.
        """
        if self.vcs is None:
            raise ConfigError(
                f"CircleCI cannot {what} itself: set providers.circleci.vcs in rescue.yaml to "
                "the provider the repositories live on (github or gitlab) and configure that "
                "provider",
                key="providers.circleci.vcs",
            )
        return self.vcs

    def learn(self, slug: str, url: str | None) -> None:
        """Remember the repository a pipeline of *slug* named (``vcs`` / ``trigger_parameters``)."""
        path = repo_path(url)
        if path is not None:
            self._learned.put(canonical_slug(slug), path)

    def repo(self, repo: str) -> str:
        """The repository (``org/repo``) CircleCI project *repo* builds.

        From ``vcs_repos``, the slug itself (``gh/org/repo``), what pipelines said, or the
        project's ``vcs_info`` (one API call), in that order.

        :raises ConfigError: when none of them tells.
        """
        slug = canonical_slug(repo)
        if slug in self._explicit:
            return self._explicit[slug]
        head, _, rest = slug.partition("/")
        if head in _VCS_PREFIXES and rest.count("/") == 1:
            return rest
        learned = self._learned.get(slug)
        if learned is not None:
            return learned
        project = self._api.get_object(f"/project/{slug_path(slug)}", resource=f"project {slug}")
        info = project.get("vcs_info")
        path = repo_path(str(info.get("vcs_url") or "")) if isinstance(info, Mapping) else None
        if path is None:
            raise ConfigError(
                f"cannot tell which repository CircleCI project {slug} builds; pass "
                "vcs_repos={slug: 'org/repo'} to the CircleCI provider",
                key="providers.circleci",
            )
        self._learned.put(slug, path)
        return path
