"""Grouping a test's observations into cells: one job (matrix cell) at one commit.

A cell is what the model judges: every attempt and every run of one test in one job at one
commit shares the code, so passing and failing in the same cell can only be the test's own
non-determinism (or the machinery's).  Cells of one job on one branch, in time order, form a
*chain*: consecutive commits, along which a real breakage persists until it is fixed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from operator import attrgetter

import attrs

from ci_rescue_core.flake.observations import Observation
from ci_rescue_core.flake.params import ModelParams


class Cell:
    """Every observation of one test in one job at one commit, oldest first.

    :ivar branch: the branch of the first observation (a commit may run on several).
    :ivar default: True when that branch is a default branch (or unknown).
    :ivar chain: index of the chain (job, branch) the cell belongs to.
    :ivar fails: how many observations failed.
    :ivar passes: how many observations passed.
    """

    __slots__ = ("branch", "chain", "default", "fails", "job", "observations", "passes", "sha")

    def __init__(
        self, job: str, sha: str, branch: str | None, default: bool, observations: list[Observation]
    ) -> None:
        self.job = job
        self.sha = sha
        self.branch = branch
        self.default = default
        self.observations = observations
        self.chain = 0
        self.fails = 0
        self.passes = 0

    def __repr__(self) -> str:
        return f"Cell({self.job!r}, {self.sha[:7]!r}, fails={self.fails}, passes={self.passes})"

    @property
    def first(self) -> datetime:
        """Time of the first observation."""
        return self.observations[0].time

    @property
    def last(self) -> datetime:
        """Time of the last observation."""
        return self.observations[-1].time

    @property
    def first_failure(self) -> Observation | None:
        """The earliest failing observation, if any."""
        return next((o for o in self.observations if o.failed), None)


@attrs.frozen(kw_only=True)
class Cells:
    """A test's cells in time order, with their chains.

    :ivar chains: per chain, the indexes of its cells in time order.
    :ivar by_sha: per commit, the indexes of its cells (one per job).
    """

    cells: tuple[Cell, ...]
    chains: tuple[tuple[int, ...], ...]
    by_sha: dict[str, tuple[int, ...]] = attrs.field(factory=dict)

    def index_of(self, job: str, sha: str) -> int | None:
        """The index of the cell of *job* at *sha*, if there is one."""
        for index, cell in enumerate(self.cells):
            if cell.job == job and cell.sha == sha:
                return index
        return None

    def siblings(self, index: int) -> list[int]:
        """The cells of the *other* jobs at the same commit."""
        cell = self.cells[index]
        return [i for i in self.by_sha.get(cell.sha, ()) if i != index]

    def neighbours(self, index: int) -> tuple[int | None, int | None]:
        """The previous and next cell of the same chain (``None`` at the ends)."""
        chain = self.chains[self.cells[index].chain]
        position = chain.index(index)
        before = chain[position - 1] if position > 0 else None
        after = chain[position + 1] if position + 1 < len(chain) else None
        return before, after


def within_window(
    observations: Iterable[Observation], params: ModelParams, now: datetime
) -> list[Observation]:
    """The observations no older than the window, explicit outcomes replacing implied passes.

    An implied pass (the job passed) is dropped when the same run attempt of the same job
    already has an explicit outcome for the test.
    """
    horizon = now - timedelta(days=params.window_days)
    kept = [o for o in observations if o.time >= horizon]
    explicit = {(o.run, o.attempt, o.job) for o in kept if not o.implied}
    return [o for o in kept if not o.implied or (o.run, o.attempt, o.job) not in explicit]


def build_cells(observations: Sequence[Observation], params: ModelParams) -> Cells:
    """Group *observations* (one test's) into cells and chains, in time order."""
    ordered = sorted(observations, key=attrgetter("time", "run", "attempt"))
    by_key: dict[tuple[str, str], Cell] = {}
    order: list[Cell] = []
    defaults = params.default_branches
    for observation in ordered:
        key = (observation.job, observation.sha)
        cell = by_key.get(key)
        if cell is None:
            branch = observation.branch
            cell = Cell(
                observation.job,
                observation.sha,
                branch,
                branch is None or branch in defaults,
                [observation],
            )
            by_key[key] = cell
            order.append(cell)
        else:
            cell.observations.append(observation)
        if observation.failed:
            cell.fails += 1
        else:
            cell.passes += 1
    chain_ids: dict[tuple[str, str | None], int] = {}
    chains: list[list[int]] = []
    for index, cell in enumerate(order):
        chain_key = (cell.job, cell.branch)
        if chain_key not in chain_ids:
            chain_ids[chain_key] = len(chains)
            chains.append([])
        cell.chain = chain_ids[chain_key]
        chains[cell.chain].append(index)
    by_sha: dict[str, list[int]] = {}
    for index, cell in enumerate(order):
        by_sha.setdefault(cell.sha, []).append(index)
    return Cells(
        cells=tuple(order),
        chains=tuple(tuple(chain) for chain in chains),
        by_sha={sha: tuple(indexes) for sha, indexes in by_sha.items() if len(indexes) > 1},
    )
