"""Demo data for `make run`: two platforms, their structures and staff, cases at every stage."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.schemas import UserIn
from filrouge.core.caller import Caller
from filrouge.core.cases.declaration import Step
from filrouge.core.cases.steps import (
    ConfirmEntryInput,
    DecideInput,
    ProposeSolutionsInput,
    RecordContactAttemptInput,
    RecordContactOutcomeInput,
    RecordInterviewInput,
    ScheduleInterviewInput,
)
from filrouge.core.clock import utcnow
from filrouge.core.domain import (
    AttemptResult,
    Channel,
    ContactOutcome,
    Decision,
    Role,
    Solution,
    SolutionType,
    Source,
    StructureKind,
)
from filrouge.core.passwords import hash_password
from filrouge.services.auth.passwords import store_password
from filrouge.services.auth.tokens import create_user_with_token
from filrouge.services.cases.creation import Identification
from filrouge.services.cases.service import CaseService
from filrouge.services.reference.admin import (
    NewPlatform,
    NewStructure,
    ReferenceService,
)
from filrouge.services.transactions import transaction
from filrouge.settings import SecuritySettings
from filrouge.store.auth_repository import AuthRepository

# A platform whose timers run in minutes, so reminders and escalations land during a demo.
EXPRESS_POLICY: dict[str, Any] = {
    "reminder_no_contact": "PT1M",
    "escalation_no_contact": "PT2M",
    "stuck_escalation": "PT15M",
    "routing_escalation": "PT1M",
    "attempt_spacing": "PT10S",
    "interview_reminder_before": "PT1M",
    "interview_unrecorded_reminder": "PT1M",
    "interview_unrecorded_escalation": "PT2M",
    "droit_retour_deadline": "PT3M",
    "decision_escalation": "PT2M",
    "entry_unconfirmed_reminder": "PT2M",
    "follow_up_checks": ["PT2M", "PT4M", "PT6M"],
    "obligation_report": "PT5M",
    "retention": "PT1H",
}


# The demo staff: name, mailbox, role, platform, structure.
DEMO_STAFF: dict[str, tuple[str, str, Role, str | None, str | None]] = {
    "ref_ml": ("Camille Martin", "camille.martin", Role.REFERENT, "psad-demo", "psad-demo-ml"),
    "ref_mlds": ("Yanis Benali", "yanis.benali", Role.REFERENT, "psad-demo", "psad-demo-mlds"),
    "coord": ("Sophie Leroy", "sophie.leroy", Role.COORDINATEUR, "psad-demo", None),
    "pilot": ("Région Bretagne", "pilotage", Role.PILOTE, None, None),
    "admin": ("Administration", "admin", Role.ADMIN, None, None),
    "ref_express": (
        "Léa Robert",
        "lea.robert",
        Role.REFERENT,
        "psad-express",
        "psad-express-ml",
    ),
    "coord_express": ("Hugo Petit", "hugo.petit", Role.COORDINATEUR, "psad-express", None),
}

# Every demo account logs in with this password: the demo is for a development machine only,
# and `load_demo` refuses to run outside SECURITY_ENVIRONMENT=development.
DEMO_PASSWORD = "demo-fil-rouge"
DEMO_MAIL_DOMAIN = "demo.filrouge.fr"
NOT_IN_PRODUCTION = (
    "Les données de démonstration (comptes aux mots de passe connus) ne se chargent "
    "qu'en développement (SECURITY_ENVIRONMENT=development)."
)


@dataclass(frozen=True)
class DemoLogin:
    """A demo account to log in with in a browser."""

    role: str
    email: str
    password: str = DEMO_PASSWORD


# The accounts `make run` prints, one per kind of user of the pages (all on psad-demo).
DEMO_LOGINS = [
    DemoLogin(label, f"{DEMO_STAFF[key][1]}@{DEMO_MAIL_DOMAIN}")
    for key, label in (
        ("ref_ml", "référent"),
        ("coord", "coordinateur"),
        ("pilot", "pilote"),
        ("admin", "admin"),
    )
]


@dataclass
class DemoTokens:
    referent: str
    coordinator: str
    admin: str
    express_referent: str

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.__dict__, indent=2))

    @classmethod
    def load(cls, path: Path) -> DemoTokens | None:
        return cls(**json.loads(path.read_text())) if path.exists() else None


async def load_demo(
    sessions: async_sessionmaker[AsyncSession], cases: CaseService, tokens_file: Path
) -> DemoTokens:
    """Load the demo once; later runs reuse the saved tokens. Development only."""
    if SecuritySettings().environment != "development":
        raise RuntimeError(NOT_IN_PRODUCTION)
    async with transaction(sessions) as session:
        platforms = await ReferenceService(session).platforms()
        already = any(p.id == "psad-demo" for p in platforms)
    saved = DemoTokens.load(tokens_file)
    if already and saved:
        await _give_passwords(sessions)  # a demo loaded before the demo had passwords
        return saved
    async with transaction(sessions) as session:
        staff = await _reference_data(session)
    await _give_passwords(sessions)
    await _demo_cases(cases, staff)
    tokens = DemoTokens(
        referent=staff["ref_ml"][1],
        coordinator=staff["coord"][1],
        admin=staff["admin"][1],
        express_referent=staff["ref_express"][1],
    )
    tokens.save(tokens_file)
    return tokens


async def _reference_data(session: AsyncSession) -> dict[str, tuple[Caller, str]]:
    service = ReferenceService(session)
    await service.create_platform(
        NewPlatform(
            id="psad-demo",
            name="PSAD Bassin rennais (démo)",
            region="Bretagne",
            # All of Ille-et-Vilaine: the rows of docs/samples/ in 35 are routed here, the
            # others (Corsica, La Réunion) wait in the "to route" queue.
            territory={"departements": ["35"]},
        )
    )
    await service.create_platform(
        NewPlatform(
            id="psad-express",
            name="PSAD démo accélérée (délais en minutes)",
            region="Bretagne",
            policy=EXPRESS_POLICY,
        )
    )
    for platform in ("psad-demo", "psad-express"):
        await service.create_structure(
            NewStructure(
                id=f"{platform}-ml",
                platform_id=platform,
                name="Mission locale du bassin rennais",
                kind=StructureKind.MISSION_LOCALE,
            )
        )
        await service.create_structure(
            NewStructure(
                id=f"{platform}-mlds",
                platform_id=platform,
                name="MLDS Rennes",
                kind=StructureKind.MLDS,
            )
        )
    staff = {}
    for key, (name, mailbox, role, platform_id, structure) in DEMO_STAFF.items():
        # Created in code, not through the admin API: no administrator holds these tokens.
        user, token = await create_user_with_token(
            session,
            UserIn(
                display_name=name,
                email=f"{mailbox}@{DEMO_MAIL_DOMAIN}",
                role=role,
                platform_id=platform_id,
                structure_id=structure,
                region="Bretagne" if role == Role.PILOTE else None,
            ),
            "démo",
        )
        staff[key] = (Caller(user.id, role, platform_id, structure), token.token)
    return staff


async def _give_passwords(sessions: async_sessionmaker[AsyncSession]) -> None:
    """The demo password for every demo account without one (a changed one is kept)."""
    password_hash = await hash_password(DEMO_PASSWORD)
    async with transaction(sessions) as session:
        repo = AuthRepository(session)
        for _, mailbox, *_ in DEMO_STAFF.values():
            for user in await repo.active_users_by_email(f"{mailbox}@{DEMO_MAIL_DOMAIN}"):
                if user.password_hash is None:
                    await store_password(session, user.id, password_hash)


def _person(n: int, age: int, *, in_rennes: bool = True) -> dict[str, Any]:
    """A young person; living in Rennes routes them to psad-demo (Ille-et-Vilaine)."""
    today = utcnow().date()
    first, last = DEMO_NAMES[n % len(DEMO_NAMES)]
    person: dict[str, Any] = {
        "last_name": last,
        "first_name": first,
        "birth_date": date(today.year - age, 3, 1 + n),
        "phone": f"06 12 34 56 {10 + n:02d}",
        "leaving_date": today - timedelta(days=120),
    }
    if in_rennes:
        person |= {"commune_insee": "35238", "postal_code": "35000", "commune_name": "Rennes"}
    return person


DEMO_NAMES = [
    ("Lucas", "Moreau"),
    ("Inès", "Girard"),
    ("Nathan", "Lambert"),
    ("Chloé", "Fontaine"),
    ("Mehdi", "Rousseau"),
    ("Manon", "Chevalier"),
    ("Théo", "Garnier"),
]


async def _demo_cases(cases: CaseService, staff: dict[str, tuple[Caller, str]]) -> None:
    """Cases at different stages: contacting, interview, decision, follow-up, closed."""
    coord, ref = staff["coord"][0], staff["ref_ml"][0]
    plan = [
        ("contact", 19, Source.SIEI, 0),
        ("bilan", 20, Source.MISSION_LOCALE, 3),
        ("decision", 21, Source.CIO, 5),
        ("suivi", 19, Source.JDC, 7),
        ("cloture", 22, Source.FRANCE_TRAVAIL, -1),
        ("droit", 18, Source.DROIT_AU_RETOUR, 0),
    ]
    for n, (label, age, source, steps) in enumerate(plan):
        given = Identification(_person(n, age), source, platform_id="psad-demo")
        case = (await cases.create(coord, given, f"demo-{label}")).case
        assert case is not None
        actor = ref if case.referent_id == ref.id else staff["ref_mlds"][0]
        await _advance(cases, actor, coord, case.id, steps, label)
    express_coord = staff["coord_express"][0]
    for n in range(2):
        # No address: a case created for psad-express stays there (no territory to route by).
        person = _person(n, 19, in_rennes=False)
        given = Identification(person, Source.SIEI, platform_id="psad-express")
        await cases.create(express_coord, given, f"demo-express-{n}")


async def _advance(
    cases: CaseService,
    ref: Caller,
    coord: Caller,
    case_id: str,
    steps: int,
    label: str,
) -> None:
    tomorrow = utcnow().replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    start = utcnow().date() + timedelta(days=14)
    script: list[tuple[Caller, Step]] = [
        (
            ref,
            RecordContactAttemptInput(ref.actor, Channel.TELEPHONE, AttemptResult.JOINT),
        ),
        (
            ref,
            RecordContactOutcomeInput(ref.actor, ContactOutcome.ACCEPTE_ENTRETIEN),
        ),
        (ref, ScheduleInterviewInput(ref.actor, tomorrow, "CIO")),
        (ref, RecordInterviewInput(ref.actor, True)),
        (
            ref,
            ProposeSolutionsInput(
                ref.actor,
                [Solution(SolutionType.APPRENTISSAGE, "CFA du bâtiment de Rennes", start)],
            ),
        ),
        (coord, DecideInput(coord.actor, Decision.VALIDER)),
        (ref, ConfirmEntryInput(ref.actor, True, start)),
    ]
    if steps < 0:
        script = [
            script[0],
            (
                ref,
                RecordContactOutcomeInput(
                    ref.actor, ContactOutcome.DEJA_EN_SOLUTION, SolutionType.EMPLOI
                ),
            ),
        ]
        steps = len(script)
    for n, (user, step) in enumerate(script[:steps]):
        await cases.run_step(user, case_id, step, f"demo-{label}-{n}")
