"""Reference data use cases: platforms (territory, timer policy), structures, users."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from filrouge.core.clock import utcnow
from filrouge.core.domain import POLICY_LABELS, Role, StructureKind, TimerPolicy
from filrouge.core.errors import Conflict, Invalid, NotFound
from filrouge.core.local_time import is_time_zone
from filrouge.core.paging import cut, window
from filrouge.core.routing import TERRITORY_KINDS, Territory, shared_codes
from filrouge.store.models import Platform, Structure, User
from filrouge.store.repositories import ReferenceRepository

PLATFORM_ROLES = frozenset({Role.REFERENT, Role.COORDINATEUR, Role.PARTENAIRE})
ID_TAKEN = "%s porte déjà cet identifiant."
ID_IN_USE = "Cet identifiant est déjà pris : choisissez-en un autre."


@dataclass(frozen=True)
class NewPlatform:
    id: str
    name: str
    region: str = ""
    # {"communes": [...], "postal_codes": [...], "departements": [...]}
    territory: dict[str, list[str]] = field(default_factory=dict)
    # Timer policy fields to change from the defaults (ISO 8601 durations); None: default.
    policy: dict[str, Any] = field(default_factory=dict)
    # An IANA zone for its dates; None: the zone its territory lies in.
    time_zone: str | None = None


@dataclass(frozen=True)
class NewStructure:
    id: str
    platform_id: str
    name: str
    kind: StructureKind


class UserFields(Protocol):
    """Who a new user is (a `NewUser`, or any object with these attributes)."""

    @property
    def display_name(self) -> str: ...
    @property
    def email(self) -> str: ...
    @property
    def role(self) -> Role: ...
    @property
    def platform_id(self) -> str | None: ...
    @property
    def structure_id(self) -> str | None: ...


@dataclass(frozen=True)
class NewUser:
    display_name: str
    email: str
    role: Role
    platform_id: str | None = None
    structure_id: str | None = None
    region: str | None = None


def policy_from(changes: dict[str, Any], base: TimerPolicy | None = None) -> TimerPolicy:
    """Merge the given fields over `base` (defaults) and validate every value; a refusal names
    each faulty field by its French label (and gives its message by field)."""
    values = asdict(base or TimerPolicy())
    values.update({k: v for k, v in changes.items() if v is not None})
    try:
        problems = TimerPolicy.unchecked(values).problems()
    except (TypeError, ValueError) as exc:
        raise Invalid(f"Politique de délais invalide : {exc}") from exc
    if problems:
        details = " ; ".join(f"{POLICY_LABELS[k]} : {v}" for k, v in problems.items())
        raise Invalid(f"Politique de délais invalide : {details}.", fields=problems)
    return TimerPolicy.from_dict(values)


def checked_time_zone(name: str | None) -> str | None:
    """An IANA zone name as given, or a French refusal."""
    if name is not None and not is_time_zone(name):
        message = (
            f"Fuseau horaire inconnu : « {name} ». Donnez un nom de la base IANA, par exemple "
            "« Europe/Paris » ou « America/Cayenne »."
        )
        raise Invalid(message, fields={"time_zone": message})
    return name


def policy_json(policy: TimerPolicy) -> dict[str, object]:
    data = asdict(policy)
    data["follow_up_checks"] = list(policy.follow_up_checks)
    return data


class ReferenceService:
    """Runs in the door's transaction (an administrator's request, a command)."""

    def __init__(self, session: AsyncSession) -> None:
        self.repo = ReferenceRepository(session)

    async def platforms(self) -> list[Platform]:
        return await self.repo.platforms()

    async def platform_count(self) -> int:
        return await self.repo.platform_count()

    async def platform(self, platform_id: str) -> Platform:
        """One platform; NotFound when there is none of this id."""
        platform = await self.repo.platform(platform_id)
        if platform is None:
            raise NotFound("Plateforme introuvable.")
        return platform

    async def structures(self, platform_id: str | None = None) -> list[Structure]:
        return await self.repo.structures(platform_id)

    async def user(self, user_id: str) -> User:
        """One account; NotFound when there is none of this id."""
        user = await self.repo.user(user_id)
        if user is None:
            raise NotFound("Utilisateur introuvable.")
        return user

    async def users(self, platform_id: str | None = None) -> list[User]:
        return await self.repo.users(platform_id)

    async def users_page(
        self, platform_id: str | None, page: int, size: int
    ) -> tuple[list[User], bool]:
        """Page `page` (from 1) of the accounts by name, and whether another page follows."""
        return cut(await self.repo.users_page(platform_id, *window(page, size)), size)

    async def platforms_page(self, page: int, size: int) -> tuple[list[Platform], bool]:
        """Page `page` (from 1) of the platforms by id, and whether another page follows."""
        return cut(await self.repo.platforms_page(*window(page, size)), size)

    async def find_structure(self, structure_id: str) -> Structure | None:
        return await self.repo.structure(structure_id)

    async def structure_page(self, structure_id: str, size: int) -> int:
        """The page (from 1) of the structures by id that shows this one."""
        return await self.repo.structures_before(structure_id) // size + 1

    async def structures_page(self, page: int, size: int) -> tuple[list[Structure], bool]:
        """Page `page` (from 1) of the structures by id, and whether another page follows."""
        return cut(await self.repo.structures_page(*window(page, size)), size)

    async def user_count(self) -> int:
        return await self.repo.user_count()

    async def structure_count(self) -> int:
        return await self.repo.structure_count()

    async def user_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        return await self.repo.user_names(user_ids)

    async def platform_names(self, platform_ids: Iterable[str]) -> dict[str, str]:
        return await self.repo.platform_names(platform_ids)

    async def create_platform(self, new: NewPlatform) -> Platform:
        """A platform with its territory and timer policy."""
        if await self.repo.platform(new.id):
            raise Conflict(ID_TAKEN % "Une plateforme", fields={"id": ID_IN_USE})
        await self._check_overlap(new.id, new.territory)
        platform = Platform(
            id=new.id,
            name=new.name,
            region=new.region,
            territory={k: list(v) for k, v in new.territory.items()},
            policy=policy_json(policy_from(new.policy)),
            time_zone=checked_time_zone(new.time_zone),
            created_at=utcnow(),
        )
        await self.repo.add(platform)
        return platform

    async def set_policy(self, platform_id: str, changes: dict[str, Any]) -> Platform:
        """Change a platform's timer policy; it applies to cases created from now on."""
        platform = await self.repo.platform(platform_id)
        if platform is None:
            raise NotFound("Plateforme introuvable.")
        current = TimerPolicy.from_dict(platform.policy or {})
        platform.policy = policy_json(policy_from(changes, current))
        return platform

    async def set_time_zone(self, platform_id: str, time_zone: str | None) -> Platform:
        """Choose the zone of a platform's dates; None: back to its territory's zone."""
        platform = await self.repo.platform(platform_id)
        if platform is None:
            raise NotFound("Plateforme introuvable.")
        platform.time_zone = checked_time_zone(time_zone)
        return platform

    async def set_territory(self, platform_id: str, territory: dict[str, list[str]]) -> Platform:
        """Replace a platform's territory; refused when it overlaps another platform's."""
        platform = await self.repo.platform(platform_id)
        if platform is None:
            raise NotFound("Plateforme introuvable.")
        await self._check_overlap(platform_id, territory)
        platform.territory = {k: list(v) for k, v in territory.items()}
        return platform

    async def _check_overlap(self, platform_id: str, territory: dict[str, list[str]]) -> None:
        """Two platforms never claim the same code: routing would pick one silently."""
        mine = Territory.from_json(territory)
        for other_id, other_name, other_territory in await self.repo.territories():
            if other_id == platform_id:
                continue
            shared = shared_codes(mine, Territory.from_json(other_territory))
            if shared:
                details = " ; ".join(
                    f"{TERRITORY_KINDS[kind]} {', '.join(codes)}" for kind, codes in shared.items()
                )
                owner = f"« {other_name} » ({other_id})"
                by_field = {
                    kind: f"Déjà dans le territoire de la plateforme {owner} : {', '.join(codes)}."
                    for kind, codes in shared.items()
                }
                raise Conflict(
                    f"Ce territoire chevauche celui de la plateforme {owner} : {details}. "
                    "Retirez ces codes de l'une des deux plateformes.",
                    fields=by_field,
                )

    async def create_structure(self, new: NewStructure) -> Structure:
        if await self.repo.platform(new.platform_id) is None:
            raise NotFound("Plateforme introuvable.")
        if await self.repo.structure(new.id):
            raise Conflict(ID_TAKEN % "Une structure", fields={"id": ID_IN_USE})
        structure = Structure(
            id=new.id,
            platform_id=new.platform_id,
            name=new.name,
            kind=StructureKind(new.kind).value,
        )
        await self.repo.add(structure)
        return structure

    async def create_user(self, new: UserFields) -> User:
        """Create a user with no credential (they activate their account themselves)."""
        await self._check_attachment(new)
        region = getattr(new, "region", None)
        if new.role == Role.PILOTE and not region:
            raise Invalid(
                "Un pilote régional doit être rattaché à une Région (region).",
                fields={"region": "Indiquez la Région du pilote."},
            )
        user = User(
            id=f"u{uuid.uuid4().hex[:15]}",
            display_name=new.display_name,
            email=str(new.email),
            role=new.role.value,
            platform_id=new.platform_id,
            structure_id=new.structure_id,
            region=region if new.role == Role.PILOTE else None,
            active=True,
            created_at=utcnow(),
        )
        await self.repo.add(user)
        return user

    async def _check_attachment(self, new: UserFields) -> None:
        if new.role in PLATFORM_ROLES and not new.platform_id:
            raise Invalid(
                "Ce rôle exige une plateforme (platform_id).",
                fields={"platform_id": "Choisissez la plateforme de ce compte."},
            )
        if new.platform_id and await self.repo.platform(new.platform_id) is None:
            raise NotFound(
                "Plateforme introuvable.", fields={"platform_id": "Plateforme introuvable."}
            )
        if new.structure_id:
            structure = await self.repo.structure(new.structure_id)
            if structure is None or structure.platform_id != new.platform_id:
                message = "La structure n'appartient pas à cette plateforme."
                raise Invalid(message, fields={"structure_id": message})
        if new.role == Role.REFERENT and not new.structure_id:
            raise Invalid(
                "Un référent doit être rattaché à une structure (structure_id).",
                fields={"structure_id": "Choisissez la structure du référent."},
            )
