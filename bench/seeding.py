"""Reference data the benchmarks share: a platform's structures and their référents."""

from __future__ import annotations

from filrouge.core.domain import Role, StructureKind
from filrouge.services.reference.admin import NewStructure, NewUser, ReferenceService

REFERENTS_PER_STRUCTURE = 3


async def seed_structures(service: ReferenceService, platform_id: str, mail_domain: str) -> None:
    """A Mission locale and an MLDS on the platform, each with its référents."""
    for kind in (StructureKind.MISSION_LOCALE, StructureKind.MLDS):
        structure = f"{platform_id}-{kind.value.replace('_', '-')}"
        await service.create_structure(
            NewStructure(id=structure, platform_id=platform_id, name=structure, kind=kind)
        )
        for n in range(REFERENTS_PER_STRUCTURE):
            await service.create_user(
                NewUser(
                    display_name=f"Référent {n + 1} {structure}",
                    email=f"referent{n + 1}.{structure}@{mail_domain}",
                    role=Role.REFERENT,
                    platform_id=platform_id,
                    structure_id=structure,
                )
            )
