"""A known young person whose case's workflow has ended gets a new case, never an endless retry.

The workflow ends when the retention period after closure is reached (here a platform
policy of a few seconds), and the case row stays until the nightly purge; or its history
was deleted. A referral or a list row matching such a case opens a new one, with the reason
in the import report; before, the import never finished and the referral answered 503.
"""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from filrouge.core.cases.contracts import case_workflow_id
from filrouge.services.cases.placement import ENDED_CASE_REASON
from filrouge.services.retention.erasure import delete_history
from tests.api.conftest import Api, Team
from tests.api.test_intake_api import (
    CALM_POLICY,
    born,
    csv_bytes,
    fr,
    new_ine,
    person,
    refer,
    report,
    territorial_team,
    unique_name,
)
from tests.support.imports import imported
from tests.support.waiting import eventually

SHORT_RETENTION = CALM_POLICY | {"retention": "PT2S"}


async def ended_case(
    api: Api, env: WorkflowEnvironment, team: Team, somebody: dict[str, Any]
) -> str:
    """A case referred, closed, and kept until its retention ends its workflow."""
    first = await refer(api, team.coordinator, somebody)
    case_id = str(first["case_id"])
    await api.step(case_id, "close", {"outcome": "refus"}, team.coordinator)
    handle = env.client.get_workflow_handle(case_workflow_id(case_id))

    async def completed() -> bool | None:
        status = (await handle.describe()).status
        return True if status == WorkflowExecutionStatus.COMPLETED else None

    await eventually(completed, 30.0)
    return case_id


async def test_a_referral_for_a_case_past_retention_opens_a_new_case(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team, codes = await territorial_team(api, SHORT_RETENTION)
    somebody = person(unique_name("Terme"), codes["commune"], ine=new_ine())
    old = await ended_case(api, dev_env, team, somebody)

    again = await refer(api, team.coordinator, somebody, key="apres-conservation")
    replayed = await refer(api, team.coordinator, somebody, key="apres-conservation")

    assert again["status"] == "created" and again["case_id"] not in (None, old)
    assert replayed["case_id"] == again["case_id"]
    new = await api.case(again["case_id"], team.coordinator)
    assert new["stage"] == "contact"
    assert (await api.case(old, team.coordinator))["stage"] == "cloture"  # left to the purge


async def test_a_referral_for_a_case_whose_history_was_deleted_opens_a_new_case(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team, codes = await territorial_team(api)
    somebody = person(unique_name("Efface"), codes["commune"], ine=new_ine())
    first = await refer(api, team.coordinator, somebody)
    assert await delete_history(dev_env.client, first["case_id"])

    async def gone() -> bool | None:
        found = [
            w
            async for w in dev_env.client.list_workflows(
                f'WorkflowId = "{case_workflow_id(first["case_id"])}"'
            )
        ]
        return True if not found else None

    await eventually(gone, 30.0)
    again = await refer(api, team.partner, somebody)

    assert again["status"] == "created" and "référent" in again["message"]


async def test_a_list_row_for_an_ended_case_becomes_a_new_case_with_the_reason(
    api: Api, dev_env: WorkflowEnvironment
) -> None:
    team, codes = await territorial_team(api, SHORT_RETENTION)
    ine, name = new_ine(), unique_name("Liste")
    somebody = person(name, codes["commune"], ine=ine)
    old = await ended_case(api, dev_env, team, somebody)
    row = [ine, name, "Camille", fr(born(19)), "", codes["commune"]]

    done = await imported(api, team.coordinator, csv_bytes([row]))
    body = await report(api, team.coordinator, done["id"])

    assert done["status"] == "done"
    assert (done["created"], done["reidentified"]) == (1, 0)
    [line] = body["rows"]
    assert (line["row_number"], line["status"], line["reasons"]) == (
        2,
        "created",
        ENDED_CASE_REASON,
    )
    assert (await api.case(old, team.coordinator))["stage"] == "cloture"
