"""Who is acting: the caller every service takes, whatever the door (API, page, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

from filrouge.core.domain import Actor, Role


@dataclass(frozen=True)
class Caller:
    """An authenticated person: their id, role, platform and structure."""

    id: str
    role: Role
    platform_id: str | None
    structure_id: str | None
    # The zone their platform's dates are shown in; None without a platform (admin, pilot).
    time_zone: str | None = None

    @property
    def actor(self) -> Actor:
        """The actor recorded in the audit log for what this caller does."""
        return Actor(user_id=self.id, role=self.role)

    @property
    def is_staff(self) -> bool:
        """A référent or a coordinator: someone who follows young people."""
        return self.role in (Role.REFERENT, Role.COORDINATEUR)
