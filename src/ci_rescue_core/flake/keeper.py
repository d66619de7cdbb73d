"""Quarantines after they are applied: stored, seen in force, expired on time, released for real.

- When a ``quarantine`` remedy is applied (its change request opened), each test it names is
  stored as a **pending** quarantine with the TTL the remedy carries: it takes effect only when
  people merge the change request.  It becomes **active** once the test is seen quarantined —
  the quarantine plugin's lines name it in a run (``FlakeHunter.record``), or the default
  branch's quarantine file lists it (checked by :meth:`QuarantineKeeper.lift` with
  ``check_files``).
- Every pipeline run, the periodic sweep of ``serve`` and ``watch``, and ``ci-rescue quarantine
  expire`` end the quarantines whose TTL ran out (*expired*) and those whose test passed
  ``quarantine_release_passes`` times in a row since (*lifted*: release is earned by evidence).
- Ending one is made real: a change request removes the entries from the repository's
  quarantine file (:mod:`ci_rescue_core.flake.release`), since the test runner honours the file,
  not the store.  Until the entry is gone (or expires), the test's results come only from the
  plugin's lines, never from its job's result.
- Each ending is written on the timeline of the incident that proposed it and sent to the
  notifiers (``rescue.log``...) — reported, never silently forgotten.

- The sweeps (``check_files``) also ask providers with ``CHANGE_REQUEST_STATE`` where a pending
  quarantine's change request is: merged ⇒ *active*; closed without merging ⇒ *declined* (it
  never took effect: reported, and nothing to release).  Without that capability a declined
  quarantine stays *pending* until its TTL ends it.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from ci_rescue_core import incidents
from ci_rescue_core.errors import RescueError
from ci_rescue_core.flake.release import Release, open_release, read_file
from ci_rescue_core.hooks import Hooks
from ci_rescue_core.models import Incident, Outcome, OutcomeStatus, RemedyKind
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability, ChangeRequestState, Provider
from ci_rescue_core.store import SQLiteStore
from ci_rescue_core.store.history import HistoryStore
from ci_rescue_core.store.quarantine import (
    DECLINED,
    EXPIRED,
    LIFTED,
    PENDING,
    RELEASE_DONE,
    RELEASE_NEEDED,
    RELEASE_OPENED,
    Quarantine,
    QuarantineStore,
)

log = logging.getLogger(__name__)

PolicyFor = Callable[[str], Policy]
ProviderFor = Callable[[str], Provider | None]
"""The (write-guarded as the mode says) provider of a name, or ``None`` when unavailable."""


def no_provider(name: str) -> Provider | None:
    """A :data:`ProviderFor` that has none: quarantines end in the store only, and their
    releases wait for a sweep that has a provider."""
    return None


class QuarantineKeeper:
    """Stores, expires and releases quarantines, and reports every one that ends.

    :param store: where quarantines, history and incidents live.
    :param hooks: the notifiers and observers to tell.
    :param clock: the time source.
    """

    def __init__(self, *, store: SQLiteStore, hooks: Hooks, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.quarantines = QuarantineStore(store)
        self.history = HistoryStore(store)
        self.hooks = hooks
        self.clock = clock

    def record_applied(
        self, incident: Incident, outcomes: Iterable[Outcome], provider: str
    ) -> list[Quarantine]:
        """Store the quarantines of every applied ``quarantine`` remedy in *outcomes* (pending:
        in force once its change request merges)."""
        stored = []
        for outcome in outcomes:
            remedy = outcome.remedy
            if remedy.kind != RemedyKind.QUARANTINE or outcome.status is not OutcomeStatus.APPLIED:
                continue
            since = datetime.fromisoformat(str(remedy.params["since"]))
            expires = datetime.fromisoformat(str(remedy.params["expires"]))
            for test in remedy.params.get("tests", ()):
                stored.append(
                    self.quarantines.add(
                        provider=provider,
                        repo=incident.repo,
                        test_id=str(test["test"]),
                        reason=str(test["reason"]),
                        score=float(test["score"]),
                        evidence=[str(item) for item in test.get("evidence", ())],
                        incident_id=incident.id,
                        link=outcome.link,
                        created_at=since,
                        expires_at=expires,
                        change_request=outcome.reference,
                    )
                )
        return stored

    def lift(
        self,
        policy_for: PolicyFor,
        *,
        repo: str | None = None,
        providers: ProviderFor = no_provider,
        check_files: bool = False,
    ) -> list[Quarantine]:
        """End the quarantines that expired or earned their release, open the change requests
        removing their file entries, and report each one.

        :param repo: only this repository's (default: every repository's).
        :param providers: where change requests are opened and files read, by provider name.
        :param check_files: also read the default branch's quarantine file of repositories with
            pending quarantines or open releases (a pending one listed there is active; an
            ended one no longer listed is released).
        :returns: the quarantines ended now, oldest first, as they are after their release.
        """
        now = self.clock()
        declined: list[Quarantine] = []
        if check_files:
            self._check_files(providers, repo, now)
            declined = self._check_requests(providers, repo, now)
        ended = declined + self._end_due(now, repo) + self._end_earned(policy_for, now, repo)
        self.release(policy_for, providers, repo=repo)
        refreshed = [self.quarantines.get(q.id) or q for q in ended]
        self.report(refreshed)
        return refreshed

    def _end_due(self, now: datetime, repo: str | None) -> list[Quarantine]:
        ended = []
        for quarantine in self.quarantines.due(now, repo):
            done = self.quarantines.end(
                quarantine.id,
                status=EXPIRED,
                reason=f"its TTL ran out at {quarantine.expires_at:%Y-%m-%d %H:%M} UTC",
                now=now,
            )
            if done is not None:
                ended.append(done)
        return ended

    def _end_earned(
        self, policy_for: PolicyFor, now: datetime, repo: str | None
    ) -> list[Quarantine]:
        ended = []
        for quarantine in self.quarantines.find(repo):
            needed = policy_for(quarantine.repo).quarantine_release_passes
            streak = self.history.consecutive_passes(
                quarantine.repo, quarantine.test_id, since=quarantine.created_at
            )
            if streak < needed:
                continue
            done = self.quarantines.end(
                quarantine.id,
                status=LIFTED,
                reason=f"it passed {streak} times in a row while quarantined "
                f"(quarantine_release_passes is {needed})",
                now=now,
            )
            if done is not None:
                ended.append(done)
        return ended

    def release(
        self, policy_for: PolicyFor, providers: ProviderFor, *, repo: str | None = None
    ) -> list[Release]:
        """Open one change request per repository removing the file entries of its ended
        quarantines whose release is still needed (see :mod:`~ci_rescue_core.flake.release`).
        Releases without an available provider wait for the next call."""
        groups: dict[tuple[str, str], list[Quarantine]] = defaultdict(list)
        for quarantine in self.quarantines.releases(repo):
            groups[(quarantine.provider, quarantine.repo)].append(quarantine)
        done = []
        for (name, where), waiting in groups.items():
            provider = providers(name)
            if provider is None:
                continue
            claimed = [q for q in waiting if self.quarantines.claim_release(q.id)]
            if not claimed:
                continue
            outcome = open_release(provider, where, claimed, policy_for(where), self.clock())
            for quarantine in claimed:
                self.quarantines.set_release(
                    quarantine.id,
                    outcome.state,
                    link=outcome.link,
                    note=outcome.note,
                    at=self.clock(),
                )
            if outcome.state == RELEASE_NEEDED:
                log.warning("release of %s in %s failed: %s", len(claimed), where, outcome.note)
            done.append(outcome)
        return done

    def _check_files(self, providers: ProviderFor, repo: str | None, now: datetime) -> None:
        """Compare pending quarantines and opened releases with the default branch's file."""
        watched = (
            self.quarantines.find(repo, status=PENDING)
            + self.quarantines.releases(repo, state=RELEASE_OPENED)
            + self.quarantines.declined_in_term(repo, now)
        )
        by_repo: dict[tuple[str, str], list[Quarantine]] = defaultdict(list)
        for quarantine in watched:
            by_repo[(quarantine.provider, quarantine.repo)].append(quarantine)
        for (name, where), quarantines in by_repo.items():
            provider = providers(name)
            if provider is None:
                continue
            try:
                listed = read_file(provider, where)
            except RescueError as exc:
                log.warning("cannot read the quarantine file of %s: %s", where, exc)
                continue
            if listed is None:
                continue
            ids = {entry.id for entry in listed.tests}
            for quarantine in quarantines:
                if quarantine.status == PENDING and quarantine.test_id in ids:
                    self.quarantines.activate(quarantine.id, at=now)
                elif quarantine.status == DECLINED and quarantine.test_id in ids:
                    reinstated = self.quarantines.reinstate(quarantine.id, at=now)
                    if reinstated is not None:
                        self._tell(
                            reinstated,
                            f"quarantine of {quarantine.test_id} reinstated: its entry reached "
                            "the default branch's quarantine file after all",
                        )
                elif quarantine.release == RELEASE_OPENED and quarantine.test_id not in ids:
                    self.quarantines.set_release(
                        quarantine.id,
                        RELEASE_DONE,
                        note=f"its entry left the default branch's file (by "
                        f"{quarantine.release_link})",
                        at=now,
                    )

    def _check_requests(
        self, providers: ProviderFor, repo: str | None, now: datetime
    ) -> list[Quarantine]:
        """Ask where the change requests of pending quarantines are: merged ⇒ active, closed
        without merging ⇒ declined (returned, to be reported)."""
        declined = []
        for quarantine in self.quarantines.find(repo, status=PENDING):
            provider = providers(quarantine.provider)
            number = quarantine.change_request or number_in(quarantine.link)
            if (
                number is None
                or provider is None
                or Capability.CHANGE_REQUEST_STATE not in provider.capabilities
            ):
                continue
            try:
                state = provider.change_request_state(quarantine.repo, number)
            except RescueError as exc:
                log.warning("cannot read change request %s of %s: %s", number, quarantine.repo, exc)
                continue
            if state is ChangeRequestState.MERGED:
                self.quarantines.activate(quarantine.id, at=now)
            elif state is ChangeRequestState.CLOSED:
                ended = self.quarantines.decline(
                    quarantine.id,
                    reason=f"its change request {quarantine.link or '#' + number} was closed "
                    "without merging, so it never took effect",
                    now=now,
                )
                if ended is not None:
                    declined.append(ended)
        return declined

    def report(self, ended: Sequence[Quarantine]) -> None:
        """Note each ended quarantine on its incident's timeline and tell the notifiers."""
        for quarantine in ended:
            self._tell(
                quarantine,
                f"quarantine of {quarantine.test_id} {quarantine.status}: "
                f"{quarantine.end_reason}{release_sentence(quarantine)}",
            )

    def _tell(self, quarantine: Quarantine, message: str) -> None:
        """Note *message* on the quarantine's incident and send it to the notifiers."""
        if quarantine.incident_id is None:
            return
        incident = self.store.get_incident(quarantine.incident_id)
        if incident is None:
            return
        incident = incidents.note(
            incident,
            "quarantine",
            message,
            self.clock(),
            test=quarantine.test_id,
            status=quarantine.status,
            link=quarantine.link,
            release=quarantine.release,
            release_link=quarantine.release_link,
        )
        self.store.save_incident(incident)
        self.hooks.incident_updated(incident=incident, step="quarantine")
        self.hooks.notify(incident=incident, headline=f"{quarantine.repo}: {message}")


_CHANGE_REQUEST_URL = re.compile(r"/(?:pull|merge_requests)/(\d+)/?$")


def number_in(link: str | None) -> str | None:
    """The change request number at the end of a pull / merge request URL (quarantines stored
    before their number was), or ``None``."""
    found = _CHANGE_REQUEST_URL.search(link or "")
    return found.group(1) if found else None


def release_sentence(quarantine: Quarantine) -> str:
    """What became of the quarantine's file entry, as the end of a sentence."""
    if quarantine.status == DECLINED:
        return ""  # it never reached the file
    if quarantine.release == RELEASE_OPENED:
        return f"; change request {quarantine.release_link} removes it from the quarantine file"
    if quarantine.release == RELEASE_DONE:
        return "; it is not in the quarantine file any more"
    if quarantine.release_note:
        return f"; its entry stays in the quarantine file for now ({quarantine.release_note})"
    return "; its entry is removed from the quarantine file at the next sweep"
