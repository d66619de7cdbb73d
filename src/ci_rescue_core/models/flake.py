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
    :ivar subject: the test id this evidence is about; empty when it is about the whole job.
    :ivar bayes_factor: the likelihood ratio P(observation | flaky) / P(observation | broken)
        when the plugin computed it exactly; ``None`` lets core derive one from ``strength``.
    :ivar count: how many observations (runs, commits) this piece rests on; 0 when not counted.
    """

    kind: str
    supports: Verdict
    strength: float = attrs.field(validator=_unit)
    detail: str
    source: str = ""
    subject: str = ""
    bayes_factor: float | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.gt(0.0))
    )
    count: int = attrs.field(default=0, validator=attrs.validators.ge(0))


@attrs.frozen(kw_only=True)
class FlakeVerdict:
    """The flakiness judgement of one failure of one subject (a test id or a job name).

    :ivar score: estimated probability that the failure is flaky, in [0, 1].
    :ivar fingerprint: hash of the failure judged (a subject may fail in several ways).
    :ivar observations: runs of the subject the verdict rests on (few means low confidence).
    :ivar tests: for a job, the verdicts of its failing tests (empty when none are known).
    """

    subject: str
    fingerprint: str = ""
    verdict: Verdict
    score: float = attrs.field(validator=_unit)
    evidence: tuple[Evidence, ...] = ()
    observations: int = attrs.field(default=0, validator=attrs.validators.ge(0))
    tests: tuple[FlakeVerdict, ...] = ()
