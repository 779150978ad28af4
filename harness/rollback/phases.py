"""A rollback's phases as timed checks in the run's journal: each phase is a check that
starts when the phase starts, and ends passed, or failed with the error that stopped it (the
error then goes on to the caller). Without a journal the phases are timed and discarded, so
the library functions run the same with or without evidence."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from harness.clock import Measurement, utcnow
from harness.errors import HarnessError
from harness.evidence.journal import CheckRecord, Journal

LAYER1_FEATURE = "rollback"
DATA_FEATURE = "data rollback"


@dataclass
class Phase:
    """The phase in progress: notes go to its check's detail; ``fail`` marks it failed
    without stopping the caller (e.g. a recovery that missed its deadline)."""

    check: CheckRecord
    error: str | None = None

    def note(self, line: str) -> None:
        self.check.note(line)

    def fail(self, error: str) -> None:
        self.error = error


@dataclass
class PhaseLog:
    feature: str
    journal: Journal | None = None
    phases: list[Phase] = field(default_factory=list)

    @contextmanager
    def phase(self, name: str) -> Iterator[Phase]:
        check = (self.journal.begin_check(self.feature, name) if self.journal is not None
                 else CheckRecord(id="-", feature=self.feature, scenario=name, name=name,
                                  started=utcnow()))
        phase = Phase(check)
        self.phases.append(phase)
        t0 = time.monotonic()
        try:
            yield phase
        except HarnessError as exc:
            phase.fail(exc.render())
            raise
        except BaseException as exc:
            # A bug or an interrupt: never recorded as passed.
            phase.fail(f"{type(exc).__name__}: {exc}")
            raise
        finally:
            if self.journal is not None:
                self.journal.end_check(check, "failed" if phase.error else "passed",
                                       time.monotonic() - t0, phase.error)

    def measured(self, measurement: Measurement) -> Measurement:
        """Record ``measurement`` under the phase in progress."""
        if self.journal is not None:
            self.journal.record(measurement, self.journal.current_check)
        return measurement

    def unfinished(self, error: HarnessError) -> None:
        """The run raised outside any phase after some had run (a lock that would not
        release, say): record that as a failed check, so the run is never judged only on the
        phases that happened to finish."""
        if self.journal is not None and self.failed is None:
            check = self.journal.begin_check(self.feature, "the run finished")
            self.journal.end_check(check, "failed", 0.0, error.render())

    @property
    def failed(self) -> Phase | None:
        return next((p for p in self.phases if p.error), None)
