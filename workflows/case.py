"""One durable workflow per young person: the pathway, its human steps and its timers."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue, SearchAttributeKey
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from filrouge.core.cases import contracts
    from filrouge.core.cases.contracts import (
        CaseSnapshot,
        CaseWorkflowInput,
        ChooseReferentInput,
        RecordCaseEventsInput,
        SendNotificationInput,
        snapshot_of,
    )
    from filrouge.core.cases.declaration import Step
    from filrouge.core.cases.pathway import (
        BIRTHDAY_DEADLINES,
        AuditEvent,
        CaseState,
        Deadline,
        DeadlineKind,
        Rule,
        StepRejected,
        inactivity_closes_at,
        next_deadline,
    )
    from filrouge.core.cases.registry import BY_UPDATE, apply_step, check_step
    from filrouge.core.cases.steps import STEPS
    from filrouge.core.cases.timers import next_wake
    from filrouge.core.cases.transitions import fire, identify
    from filrouge.core.domain import Recipient, Stage, StartCaseInput, StepResult
    from filrouge.core.durations import age_on
    from filrouge.core.retry import DB_RETRY

    # The data converter resolves a step input's annotations in the module that declares it:
    # that module must be imported here too, not only the one that gathers the declarations.
    for _module in sorted({d.input.__module__ for d in STEPS}):
        __import__(_module)

from workflows.mail import Deliveries

STAGE_KEY = SearchAttributeKey.for_keyword("FilrougeStage")
PLATFORM_KEY = SearchAttributeKey.for_keyword("FilrougePlatform")
REFERENT_KEY = SearchAttributeKey.for_keyword("FilrougeReferent")
DEADLINE_KEY = SearchAttributeKey.for_datetime("FilrougeDeadline")
SEARCH_ATTRIBUTES = (STAGE_KEY, PLATFORM_KEY, REFERENT_KEY, DEADLINE_KEY)

RECENT_UPDATES_KEPT = 200
# Runs started before one-off notices existed must replay without them.
NOTICES_PATCH = "notices-v1"


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow:
    """The pathway of one young person, from identification to closure.

    Besides `ready`, every update is a human step: one handler takes them all, by the name
    of the step's declaration (`filrouge.core.cases.steps.STEPS`).
    """

    def __init__(self) -> None:
        self._state: CaseState | None = None
        self._lock = asyncio.Lock()
        self._changed = False
        self._ready = False
        self._input = CaseWorkflowInput()
        self._mail = Deliveries()

    @workflow.run
    async def run(self, input: CaseWorkflowInput) -> CaseSnapshot:
        self._input = input
        self._mail.later(input.undelivered)
        if input.state is not None:
            self._state = input.state
            self._follow_rules()
        else:
            assert input.start is not None
            self._state = CaseState.new(input.start)
            self._follow_rules()
            await self._identify(input.start)
        self._ready = True
        self._publish()
        stage_at_start = self._state.stage
        while True:
            if await self._wait_for_change_or_deadline():
                break
            await self._send_notices()
            if self._should_continue_as_new(stage_at_start):
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(
                    CaseWorkflowInput(
                        state=self._state,
                        continue_as_new_after_events=input.continue_as_new_after_events,
                        search_attributes=input.search_attributes,
                        undelivered=list(self._mail.undelivered),
                    )
                )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._snapshot()

    # ------------------------------------------------------------ identification

    async def _identify(self, start: StartCaseInput) -> None:
        """Record the identification and assign a référent (or leave the case to route)."""
        state = self.state
        if start.initial_events_recorded:
            # Bulk intake already chose the référent and recorded these events.
            identify(state, start, start.identified_at, start.referent_id, start.structure_id)
            return
        left_recently = bool(
            start.leaving_date and (start.identified_at.date() - start.leaving_date).days < 365
        )
        choice = await workflow.execute_activity(
            contracts.choose_referent,
            ChooseReferentInput(
                case_id=state.case_id,
                platform_id=state.platform_id,
                age=age_on(start.birth_date, start.identified_at.date()),
                left_within_a_year=left_recently,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
        )
        events = identify(state, start, workflow.now(), choice.referent_id, choice.structure_id)
        await self._record(events)

    # ------------------------------------------------------------ timers

    def _follow_rules(self) -> None:
        """Turn on, for this run, each pathway rule whose patch is on (older runs replay)."""
        self.state.rules = [rule.value for rule in Rule if workflow.patched(rule.value)]

    async def _wait_for_change_or_deadline(self) -> bool:
        """Sleep until a step changes the case or the next deadline is due; True when done."""
        self._changed = False
        if Rule.TIMER_CHUNKS not in self.state.rules:
            return await self._wait_for_exact_deadline()
        wake = next_wake(self.state, workflow.now())
        if wake is not None and wake.deadline is not None and wake.at <= workflow.now():
            return await self._fire(wake.deadline)
        if wake is None:
            await workflow.wait_condition(lambda: self._changed)
            return False
        summary = wake.deadline.kind.value if wake.deadline else "attente"
        try:
            await workflow.wait_condition(
                lambda: self._changed, timeout=wake.at - workflow.now(), timeout_summary=summary
            )
        except TimeoutError:
            pass  # the next turn fires what is due
        return False

    async def _wait_for_exact_deadline(self) -> bool:
        """Before `Rule.TIMER_CHUNKS`: one timer per deadline, birthdays included."""
        due = next_deadline(self.state)
        if due is not None:
            delay = (due.at - workflow.now()).total_seconds()
            if delay > 0:
                try:
                    await workflow.wait_condition(
                        lambda: self._changed,
                        timeout=timedelta(seconds=delay),
                        timeout_summary=due.kind.value,
                    )
                    return False
                except TimeoutError:
                    pass
            return await self._fire(due)
        await workflow.wait_condition(lambda: self._changed)
        return False

    async def _fire(self, due: Deadline) -> bool:
        """Record a deadline firing and send its reminders/escalations; True when the case ends."""
        state = self.state
        async with self._lock:
            events = fire(state, due, workflow.now())
            if not events:
                return False
            await self._record(events)
            self._publish()
        closes_at = inactivity_closes_at(state)
        interview = due.kind == DeadlineKind.INTERVIEW_REMINDER
        place = state.interview_place if interview else None
        for recipient in due.recipients:
            await self._mail.notify(
                SendNotificationInput(
                    state.case_id,
                    due.kind.value,
                    recipient,
                    due.key,
                    due.at,
                    since=due.since,
                    closes_at=closes_at,
                    place=place,
                )
            )
        return due.kind == DeadlineKind.RETENTION_DUE

    async def _send_notices(self) -> None:
        """Send the one-off messages the last steps asked for, each once (outbox key)."""
        state = self.state
        if not state.notices:
            return
        if not workflow.patched(NOTICES_PATCH):
            state.notices.clear()  # a run started before notices existed replays as it ran
            return
        while state.notices:
            notice = state.notices[0]
            await self._mail.notify(
                SendNotificationInput(
                    state.case_id,
                    notice.kind,
                    Recipient.REFERENT,
                    notice.key,
                    notice.at,
                    source=notice.source,
                )
            )
            state.notices.pop(0)

    def _should_continue_as_new(self, stage_at_start: Stage) -> bool:
        info = workflow.info()
        if info.is_continue_as_new_suggested():
            return True
        long_enough = info.get_current_history_length() >= self._input.continue_as_new_after_events
        return long_enough and self.state.stage != stage_at_start

    # ------------------------------------------------------------ mail

    @workflow.signal
    def retry_mails(self) -> None:
        """A coordinator asks to send the undelivered notifications now (SMTP is back)."""
        self._mail.retry_now = True

    # ------------------------------------------------------------ steps

    @workflow.update(dynamic=True)
    async def step(self, name: str, args: Sequence[RawValue]) -> StepResult:
        """A human step, named as its declaration's `update`."""
        return await self._step(_decoded(name, args))

    @step.validator
    def _validate_step(self, name: str, args: Sequence[RawValue]) -> None:
        self._validate(_decoded(name, args))

    async def _step(self, step: Step) -> StepResult:
        """Apply a validated human step, record it durably, then return the new state."""
        update_id = workflow.current_update_info().id  # type: ignore[union-attr]
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            state = self.state
            if update_id in state.recent_updates:
                return StepResult(**state.recent_updates[update_id])
            try:
                events = apply_step(state, step, workflow.now(), f"step:{update_id}")
            except StepRejected as exc:
                raise _rejected(exc) from exc
            result = self._result()
            state.recent_updates[update_id] = asdict(result)
            while len(state.recent_updates) > RECENT_UPDATES_KEPT:
                state.recent_updates.pop(next(iter(state.recent_updates)))
            await self._record(events)
            self._publish()
            self._changed = True
            return result

    def _validate(self, step: Step) -> None:
        """Reject a step not allowed now, unless it replays an already accepted request.

        A step that reaches a case still being created (it came with the start in the first
        task: a list and POST /cases a moment apart) is accepted here and checked by `_step`
        once the case is identified: refusing it would fail a request for no fault of anyone.
        """
        info = workflow.current_update_info()
        if self._state is None or not self._ready:
            return
        if info is not None and info.id in self._state.recent_updates:
            return
        try:
            check_step(self._state, step)
        except StepRejected as exc:
            raise _rejected(exc) from exc

    @workflow.update
    async def ready(self) -> StepResult:
        """Return once the case is identified and assigned (used right after creation)."""
        await workflow.wait_condition(lambda: self._ready)
        return self._result()

    @workflow.query
    def snapshot(self) -> CaseSnapshot:
        """The case's current state as the read model shows it."""
        return self._snapshot()

    @workflow.query
    def current_state(self) -> CaseState:
        """The pathway's state now: the steps allowed now are derived from it (no history)."""
        if self._state is None:
            raise ApplicationError("Le dossier est en cours de création.", type="NotReady")
        return self._state

    # ------------------------------------------------------------ helpers

    @property
    def state(self) -> CaseState:
        assert self._state is not None
        return self._state

    def _snapshot(self) -> CaseSnapshot:
        return snapshot_of(self.state)

    def _result(self) -> StepResult:
        snap = self._snapshot()
        return StepResult(
            snap.case_id, snap.stage, snap.version, snap.next_deadline_kind, snap.next_deadline_at
        )

    async def _record(self, events: list[AuditEvent]) -> None:
        await workflow.execute_activity(
            contracts.record_case_events,
            RecordCaseEventsInput(self.state.case_id, events, self._snapshot()),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DB_RETRY,
        )

    def _publish(self) -> None:
        """Keep the opaque search attributes (stage, platform, référent, deadline) current."""
        if not self._input.search_attributes:
            return
        s = self.state
        # Birthdays are personal data: a deadline derived from one never reaches Temporal.
        due = next_deadline(s, exclude=BIRTHDAY_DEADLINES)
        workflow.upsert_search_attributes(
            [
                STAGE_KEY.value_set(s.stage.value),
                PLATFORM_KEY.value_set(s.platform_id),
                REFERENT_KEY.value_set(s.referent_id or ""),
                DEADLINE_KEY.value_set(due.at) if due else DEADLINE_KEY.value_unset(),
            ]
        )


def _decoded(name: str, args: Sequence[RawValue]) -> Step:
    """The input of the step named `name`, decoded to its declared type."""
    declaration = BY_UPDATE.get(name)
    if declaration is None or len(args) != 1:
        raise ApplicationError("Action inconnue.", type="StepRejected", non_retryable=True)
    step: Step = workflow.payload_converter().from_payload(args[0].payload, declaration.input)
    return step


def _rejected(exc: StepRejected) -> ApplicationError:
    """A refused step as its update's failure: the French reason, and the field at fault."""
    details = (exc.field,) if exc.field else ()
    return ApplicationError(str(exc), *details, type="StepRejected", non_retryable=True)
