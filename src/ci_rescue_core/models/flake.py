"""What FlakeHunter concludes about one failure."""

from __future__ import annotations

import attrs

from ci_rescue_core.models.enums import Verdict

_unit = [attrs.validators.ge(0.0), attrs.validators.le(1.0)]


@attrs.frozen(kw_only=True)
class Evidence:
    """One reason to believe a failure is flaky (or that it is not).

    :ivar kind: short machine name (``same_sha_passed``, ``new_fingerprint``...).
    :ivar supports: the verdict this evidence argues for (``flaky`` or ``broken``).
    :ivar strength: how strongly, in [0, 1]; 1 is conclusive.
    :ivar detail: one sentence a reviewer can check (names runs, shas, counts).
    :ivar source: the plugin that contributed it.
    """

    kind: str
    supports: Verdict
    strength: float = attrs.field(validator=_unit)
    detail: str
    source: str = ""


@attrs.frozen(kw_only=True)
class FlakeVerdict:
    """The flakiness judgement of one failure of one subject (a test id or a job name).

    :ivar score: estimated probability that the failure is flaky, in [0, 1].
    :ivar fingerprint: hash of the failure judged (a subject may fail in several ways).
    """

    subject: str
    fingerprint: str = ""
    verdict: Verdict
    score: float = attrs.field(validator=_unit)
    evidence: tuple[Evidence, ...] = ()
