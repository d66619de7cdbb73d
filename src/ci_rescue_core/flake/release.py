"""Releasing ended quarantines for real: the change request that removes their entries from
``.ci-rescue/quarantine.yaml``.

Ending a quarantine in the store changes nothing in the test runner: the pytest plugin honours
the repository's file until the entry is removed or expires.  So when quarantines end (expired
or lifted early), ci-rescue opens one change request per repository that removes their entries
(and any other expired ones) — from a new branch, labelled as policy says, for people to review;
never a push.  Doing so needs a provider that can read the file (``READ_FILES``, to edit it
without losing anyone's entries) and open change requests (``CHANGE_REQUESTS``); without them
the release is *manual*: the entry keeps hiding the test's failures until its own expiry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

import attrs

from ci_rescue_core.errors import RescueError, WriteRefusedError
from ci_rescue_core.flake.quarantine_file import (
    PATH,
    QuarantineEntry,
    QuarantineFile,
    parse_quarantine,
    render_quarantine,
)
from ci_rescue_core.policy.rules import Policy
from ci_rescue_core.provider import Capability, FileEdit, Provider
from ci_rescue_core.store.quarantine import (
    RELEASE_DONE,
    RELEASE_MANUAL,
    RELEASE_NEEDED,
    RELEASE_OPENED,
    Quarantine,
)

MARKER = "<!-- ci-rescue:quarantine-release -->"
BRANCH_PREFIX = "ci-rescue/release-"


@attrs.frozen(kw_only=True)
class Release:
    """What became of the file entries of some ended quarantines of one repository.

    :ivar state: ``opened`` (change request at *link*), ``done`` (no entry to remove),
        ``manual`` (ci-rescue cannot remove it: *note* says why) or ``needed`` (it failed this
        time and is tried again on the next sweep: *note* says why).
    """

    state: str
    link: str | None = None
    note: str | None = None


def read_file(provider: Provider, repo: str) -> QuarantineFile | None:
    """The repository's quarantine file on its default branch (empty when absent); ``None``
    when the provider cannot read files.

    :raises RescueError: when reading fails or the file is invalid.
    """
    if Capability.READ_FILES not in provider.capabilities:
        return None
    text = provider.read_file(repo, PATH)
    return parse_quarantine(text) if text else QuarantineFile()


def without(
    current: QuarantineFile, test_ids: Sequence[str], now: datetime
) -> list[QuarantineEntry] | None:
    """The entries of *current* once *test_ids* and every expired entry are dropped; ``None``
    when no entry of *test_ids* is in the file (nothing to release)."""
    if not any(entry.id in test_ids for entry in current.tests):
        return None
    return [entry for entry in current.tests if entry.id not in test_ids and not entry.expired(now)]


def branch_for(ended: Sequence[Quarantine]) -> str:
    """A new branch per set of quarantines (their store ids make it unique)."""
    key = "\n".join(f"{q.id}:{q.test_id}" for q in sorted(ended, key=lambda q: q.id))
    return BRANCH_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:10]


def body(ended: Sequence[Quarantine]) -> str:
    """The change request's description: each test, why its quarantine ended, and where it
    came from."""
    lines = [
        f"ci-rescue proposes to release {len(ended)} quarantined test(s): their quarantine "
        f"ended, so `{PATH}` should stop hiding their failures.",
        "",
    ]
    for quarantine in ended:
        lines.append(f"- `{quarantine.test_id}` — {quarantine.status}: {quarantine.end_reason}")
        origin = [f"quarantined {quarantine.created_at:%Y-%m-%d} (score {quarantine.score:.2f})"]
        if quarantine.link:
            origin.append(f"by {quarantine.link}")
        if quarantine.incident_id:
            origin.append(f"incident `{quarantine.incident_id}`")
        lines.append(f"  - {', '.join(origin)}")
    lines += [
        "",
        "Expired entries of other tests are dropped too. Until this is merged, a lifted test's "
        "entry still makes the test runner ignore its failures (until the entry's own expiry).",
        MARKER,
    ]
    return "\n".join(lines)


def open_release(
    provider: Provider,
    repo: str,
    ended: Sequence[Quarantine],
    policy: Policy,
    now: datetime,
) -> Release:
    """Open the change request removing *ended*'s entries from *repo*'s quarantine file.

    Never raises for the provider's sake: a refusal or a missing capability makes the release
    ``manual``; any other provider error leaves it ``needed`` for the next try.
    """
    missing = [
        capability.value
        for capability in (Capability.READ_FILES, Capability.CHANGE_REQUESTS)
        if capability not in provider.capabilities
    ]
    if missing:
        return Release(
            state=RELEASE_MANUAL,
            note=f"the {provider.name} provider cannot {' or '.join(missing)}: remove the entry "
            f"from {PATH} by hand (it stops counting at its expiry)",
        )
    names = [q.test_id for q in ended]
    try:
        current = read_file(provider, repo) or QuarantineFile()
        entries = without(current, names, now)
        if entries is None:
            return Release(state=RELEASE_DONE, note=f"no entry in {PATH} on the default branch")
        change = provider.open_change_request(
            repo,
            branch=branch_for(ended),
            title=f"Release quarantined test{'s' if len(names) > 1 else ''}: "
            + ", ".join(name.rsplit("::", 1)[-1] for name in names[:3])
            + (f" (+{len(names) - 3} more)" if len(names) > 3 else ""),
            body=body(ended),
            edits=[FileEdit(PATH, render_quarantine(entries))],
            labels=[policy.labels.quarantined, policy.labels.flake],
        )
    except WriteRefusedError as exc:
        return Release(state=RELEASE_MANUAL, note=str(exc))
    except RescueError as exc:
        return Release(state=RELEASE_NEEDED, note=f"could not open the change request: {exc}")
    return Release(state=RELEASE_OPENED, link=change.url)
