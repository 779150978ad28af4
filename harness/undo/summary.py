"""What a cleanup found and did, per kind of resource (pure). "Nothing left" is said only when
every kind was looked at, nothing failed and the check afterwards found nothing."""

from __future__ import annotations

from dataclasses import dataclass

RECORDS = "undo records"
LOCK = "tier lock"
SECRET = "DB-host secret"
SERVICE = "service"
REVISIONS = "task-definition revisions"
INSTANCES = "restored instances"
SNAPSHOTS = "snapshots"
CANARIES = "canary rows"
ALL_KINDS = (RECORDS, LOCK, SECRET, SERVICE, REVISIONS, INSTANCES, SNAPSHOTS, CANARIES)
# What the broken-image steps can leave (no database needed to clean it).
ECS_KINDS = (RECORDS, LOCK, SECRET, SERVICE, REVISIONS)


@dataclass(frozen=True)
class KindResult:
    kind: str
    found: tuple[str, ...] = ()  # what a drill had left
    done: tuple[str, ...] = ()  # what the cleanup did
    errors: tuple[str, ...] = ()

    def lines(self) -> list[str]:
        if not (self.found or self.done or self.errors):
            return [f"{self.kind}: nothing left"]
        out = [f"{self.kind}: found {f}" for f in self.found]
        out += [f"{self.kind}: {d}" for d in self.done]
        out += [f"{self.kind}: NOT cleaned: {e}" for e in self.errors]
        return out


@dataclass(frozen=True)
class CleanupSummary:
    tier: str
    drill_id: str | None
    kinds: tuple[KindResult, ...]
    looked_at: tuple[str, ...]
    # What the check after the cleanup still found (empty = verified clean).
    remaining: tuple[str, ...] = ()

    @property
    def complete(self) -> bool:
        return (set(self.looked_at) == {k.kind for k in self.kinds}
                and not any(k.errors for k in self.kinds) and not self.remaining)

    @property
    def found_anything(self) -> bool:
        return any(k.found for k in self.kinds)

    def kind(self, name: str) -> KindResult | None:
        return next((k for k in self.kinds if k.kind == name), None)

    def lines(self) -> list[str]:
        out = [line for k in self.kinds for line in k.lines()]
        out += [f"still there after the cleanup: {r}" for r in self.remaining]
        which = f"drill {self.drill_id}" if self.drill_id else "any drill"
        if self.complete and not self.found_anything:
            out.append(f"nothing {which} changed was left on tier {self.tier} (looked at: "
                       f"{', '.join(self.looked_at)})")
        elif self.complete:
            out.append(f"tier {self.tier} is clean of what {which} left, verified afterwards")
        else:
            out.append(f"tier {self.tier} is NOT verified clean: see the lines above")
        return out
