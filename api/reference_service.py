"""Reference data use cases: platforms, structures, users."""

from __future__ import annotations

import uuid
from dataclasses import asdict

from sqlalchemy.ext.asyncio import AsyncSession

from api.errors import Conflict, Invalid, NotFound
from api.schemas import PlatformIn, PolicyIn, StructureIn, UserIn
from filrouge.core.clock import utcnow
from filrouge.core.domain import Role, TimerPolicy
from filrouge.store.models import Platform, Structure, User
from filrouge.store.repositories import ReferenceRepository

PLATFORM_ROLES = frozenset({Role.REFERENT, Role.COORDINATEUR, Role.PARTENAIRE})


def policy_from(body: PolicyIn, base: TimerPolicy | None = None) -> TimerPolicy:
    """Merge the given fields over `base` (defaults) and validate every duration."""
    values = asdict(base or TimerPolicy())
    values.update(body.model_dump(exclude_none=True))
    try:
        return TimerPolicy.from_dict(values)
    except (TypeError, ValueError) as exc:
        raise Invalid(f"Politique de délais invalide : {exc}") from exc


def policy_json(policy: TimerPolicy) -> dict[str, object]:
    data = asdict(policy)
    data["follow_up_checks"] = list(policy.follow_up_checks)
    return data


class ReferenceService:
    def __init__(self, session: AsyncSession) -> None:
        self.repo = ReferenceRepository(session)

    async def create_platform(self, body: PlatformIn) -> Platform:
        if await self.repo.platform(body.id):
            raise Conflict("Une plateforme porte déjà cet identifiant.")
        platform = Platform(
            id=body.id,
            name=body.name,
            region=body.region,
            territory=body.territory.model_dump(),
            policy=policy_json(policy_from(body.policy)),
            created_at=utcnow(),
        )
        await self.repo.add(platform)
        return platform

    async def set_policy(self, platform_id: str, body: PolicyIn) -> Platform:
        """Change a platform's timer policy; it applies to cases created from now on."""
        platform = await self.repo.platform(platform_id)
        if platform is None:
            raise NotFound("Plateforme introuvable.")
        current = TimerPolicy.from_dict(platform.policy or {})
        platform.policy = policy_json(policy_from(body, current))
        return platform

    async def create_structure(self, body: StructureIn) -> Structure:
        if await self.repo.platform(body.platform_id) is None:
            raise NotFound("Plateforme introuvable.")
        if await self.repo.structure(body.id):
            raise Conflict("Une structure porte déjà cet identifiant.")
        structure = Structure(
            id=body.id, platform_id=body.platform_id, name=body.name, kind=body.kind.value
        )
        await self.repo.add(structure)
        return structure

    async def create_user(self, body: UserIn) -> User:
        """Create a user with no credential (they activate their account themselves)."""
        await self._check_attachment(body)
        user = User(
            id=f"u{uuid.uuid4().hex[:15]}",
            display_name=body.display_name,
            email=str(body.email),
            role=body.role.value,
            platform_id=body.platform_id,
            structure_id=body.structure_id,
            active=True,
            created_at=utcnow(),
        )
        await self.repo.add(user)
        return user

    async def _check_attachment(self, body: UserIn) -> None:
        if body.role in PLATFORM_ROLES and not body.platform_id:
            raise Invalid("Ce rôle exige une plateforme (platform_id).")
        if body.platform_id and await self.repo.platform(body.platform_id) is None:
            raise NotFound("Plateforme introuvable.")
        if body.structure_id:
            structure = await self.repo.structure(body.structure_id)
            if structure is None or structure.platform_id != body.platform_id:
                raise Invalid("La structure n'appartient pas à cette plateforme.")
        if body.role == Role.REFERENT and not body.structure_id:
            raise Invalid("Un référent doit être rattaché à une structure (structure_id).")
