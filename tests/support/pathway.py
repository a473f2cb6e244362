"""Walk a case through the pathway over HTTP, one human step after another."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tests.api.conftest import Api, Member, Team

Body = dict[str, Any]

# The usual pathway: (step path, who takes it, stage after its last body).
PATHWAY: list[tuple[str, str, str]] = [
    ("contact-attempts", "referent", "contact"),
    ("contact-outcome", "referent", "bilan"),
    ("interview", "referent", "bilan"),
    ("interview/result", "referent", "proposition"),
    ("proposals", "referent", "decision"),
    ("decision", "coordinator", "entree"),
    ("entry", "referent", "suivi"),
    ("follow-ups", "referent", "cloture"),
]


@dataclass(frozen=True)
class Step:
    """One human step of a walk: its path, body, who takes it and the stage it leads to."""

    path: str
    body: Body
    who: Member
    stage: str


def usual_bodies(today: date | None = None) -> dict[str, list[Body]]:
    """Reached by SMS, interview in three days, an E2C starting today, three follow-ups."""
    today = today or date.today()
    at = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    solution = {"type": "e2c", "structure": "E2C", "start_date": today.isoformat()}
    return {
        "contact-attempts": [{"channel": "sms", "result": "joint"}],
        "contact-outcome": [{"outcome": "accepte_entretien"}],
        "interview": [{"at": at, "place": "CIO"}],
        "interview/result": [{"held": True}],
        "proposals": [{"solutions": [solution]}],
        "decision": [{"decision": "valider", "comment": "ok"}],
        "entry": [{"entered": True, "on": today.isoformat()}],
        "follow-ups": [{"status": "maintenu"}] * 3,
    }


def pathway_steps(
    team: Team,
    case: Mapping[str, Any],
    through: str = "follow-ups",
    bodies: Mapping[str, Body | list[Body]] | None = None,
) -> list[Step]:
    """The steps of the usual pathway up to and including `through`.

    `bodies` replaces the usual body of a step; a list takes the step once per body, all
    but the last leaving the case in the stage it was in.
    """
    chosen = usual_bodies() | {
        k: v if isinstance(v, list) else [v] for k, v in (bodies or {}).items()
    }
    referent = team.member(case["referent_id"])
    steps, stage = [], PATHWAY[0][2]
    for path, role, after in PATHWAY:
        who = team.coordinator if role == "coordinator" else referent
        *repeated, last = chosen[path]
        steps += [Step(path, body, who, stage) for body in repeated]
        steps.append(Step(path, last, who, after))
        stage = after
        if path == through:
            return steps
    raise ValueError(f"{through} is not a step of the usual pathway")


async def walk(
    api: Api,
    team: Team,
    case: Mapping[str, Any],
    through: str = "follow-ups",
    bodies: Mapping[str, Body | list[Body]] | None = None,
) -> dict[str, Any]:
    """Take `case` through the usual pathway up to `through`, checking each stage reached."""
    result: dict[str, Any] = {}
    for step in pathway_steps(team, case, through, bodies):
        result = await api.step(case["id"], step.path, step.body, step.who)
        assert result["stage"] == step.stage, (step.path, result)
    return result
