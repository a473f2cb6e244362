"""`make bench-faults`: kill the worker (SIGKILL) at random moments; nothing may be lost or doubled.

On the embedded stack in a fresh temporary directory (Temporal dev server on a SQLite file,
a migrated SQLite database, the SMTP sink, the API in this process and `filrouge worker` in
its own process), on a platform whose timers run in seconds:

- trials rotate through three moments: during a list import, while a wave of timers is
  firing, during a burst of API calls (case creations, referrals, contact attempts); each
  trial SIGKILLs the worker after a random delay inside its window and starts it again;
- once, the SMTP sink is down for a while (mails must wait and then go out once);
- once, the Temporal dev server is stopped and started again on its file;
- then the system settles (bounded wait) and is measured from the outside (bench/fault_checks.py).

Writes bench/results/faults.json and prints the figures; exits 1 when a counter is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.fault_checks import Figures, duplicate_arrivals, settle
from bench.fault_load import Ledger, Load, seed, upcoming_deadlines
from bench.fault_stack import FaultStack, fault_stack
from bench.intake import machine, precompile
from filrouge.store.engine import transaction
from filrouge.store.models import AuditEvent, Import

RESULTS = Path(__file__).parent / "results" / "faults.json"
KINDS = ("import", "timers", "steps")
COUNTERS = (
    "cases_lost",
    "cases_duplicated",
    "mails_duplicated",
    "mails_missing",
    "workflows_failed",
)


@dataclass
class Run:
    """One run of the trials: the stack, the load, and what happened when."""

    stack: FaultStack
    load: Load
    rng: random.Random
    args: argparse.Namespace
    trials: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)

    async def kill_and_restart(self) -> dict[str, Any]:
        """SIGKILL the worker now, start a new one after a short random pause."""
        killed_at = datetime.now(UTC)
        self.stack.worker.kill()
        pause = self.rng.uniform(0.0, 1.5)
        await asyncio.sleep(pause)
        self.stack.worker.start()
        killed = killed_at.isoformat(timespec="milliseconds")
        return {"killed_at": killed, "down_s": round(pause, 2)}

    async def trial(self, number: int, kind: str) -> None:
        began = time.perf_counter()
        moment = await {"import": self.during_import, "timers": self.during_timers}.get(
            kind, self.during_steps
        )()
        moment |= {"trial": number, "kind": kind, "seconds": round(time.perf_counter() - began, 1)}
        self.trials.append(moment)
        print(f"  trial {number:2d} {kind:6s} {_moment_text(moment)}", flush=True)
        await asyncio.sleep(self.args.gap)

    async def during_import(self) -> dict[str, Any]:
        """Upload a list, kill while its batches are being placed."""
        import_id = await self.load.upload(self.args.rows, seed=self.rng.randrange(10**6))
        delay = self.rng.uniform(0.3, self.args.import_window)
        await asyncio.sleep(delay)
        async with transaction(self.stack.sessions) as session:
            imp = await session.get(Import, import_id)
            state = (imp.status, imp.processed, imp.rows_read) if imp else ("?", 0, 0)
        moment = await self.kill_and_restart()
        at_kill = {"status": state[0], "processed": state[1], "rows_read": state[2]}
        return moment | {"delay_s": round(delay, 2), "import_at_kill": at_kill}

    async def during_timers(self) -> dict[str, Any]:
        """Kill around the moment a deadline of the read model falls due (a wave of timers)."""
        upcoming: list[datetime] = []
        for window in (self.args.timer_window / 2, self.args.timer_window):
            upcoming = upcoming or await upcoming_deadlines(
                self.stack.sessions, timedelta(seconds=window)
            )
            upcoming = upcoming if len(upcoming) >= 5 else []
        if not upcoming:  # nothing due soon: new cases, their reminders fire in seconds
            await self.load.burst(creations=8, attempts=0, referrals=0, patience_s=120)
            upcoming = await upcoming_deadlines(
                self.stack.sessions, timedelta(seconds=self.args.timer_window)
            )
        target = self.rng.choice(upcoming) if upcoming else datetime.now(UTC)
        began = time.perf_counter()
        await asyncio.sleep(max(0.0, (target - datetime.now(UTC)).total_seconds()))
        # The worker may run late: wait until firings are being recorded, then kill among them.
        fired = await timer_firings(self.stack)
        for _ in range(int(self.args.timer_window / 0.3)):
            if await timer_firings(self.stack) > fired:
                break
            await asyncio.sleep(0.3)
        await asyncio.sleep(self.rng.uniform(0.0, 1.5))
        delay = time.perf_counter() - began
        return await self.kill_and_restart() | {"delay_s": round(delay, 2)}

    async def during_steps(self) -> dict[str, Any]:
        """A burst of creations, referrals and contact attempts; kill in the middle of it."""
        burst = asyncio.create_task(self.burst())
        delay = self.rng.uniform(0.2, self.args.steps_window)
        await asyncio.sleep(delay)
        in_flight = not burst.done()
        moment = await self.kill_and_restart()
        await burst
        return moment | {"delay_s": round(delay, 2), "burst_in_flight_at_kill": in_flight}

    async def burst(self) -> None:
        args = self.args
        await self.load.burst(args.creations, args.attempts, args.referrals, args.patience)

    async def smtp_outage(self) -> None:
        """The SMTP server down while new cases' reminders fall due; then back."""
        began, sink = time.perf_counter(), self.stack.sink
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        sink.stop()
        await self.burst()
        await asyncio.sleep(max(0.0, self.args.outage - (time.perf_counter() - began)))
        sink.start()
        seconds = round(time.perf_counter() - began, 1)
        self.faults.append({"fault": "smtp_outage", "seconds": seconds, "at": at})
        print(f"  SMTP sink down for {seconds} s, then back", flush=True)

    async def temporal_restart(self) -> None:
        """Stop the dev server during a burst of API calls and start it again on its file."""
        burst = asyncio.create_task(self.burst())
        await asyncio.sleep(1.0)
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        seconds = round(await self.stack.restart_server(), 1)
        await burst
        alive = self.stack.worker.alive()
        if not alive:  # counted: a worker must outlive a server restart
            self.stack.worker.start()
        fault = {"fault": "temporal_restart", "at": at, "seconds": seconds}
        fault["worker_survived"] = alive
        self.faults.append(fault)
        print(f"  Temporal dev server restarted in {seconds} s (worker survived: {alive})")


async def timer_firings(stack: FaultStack) -> int:
    """Timer firings recorded so far (the audit log)."""
    query = select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "timer_fired")
    async with transaction(stack.sessions) as session:
        return int(await session.scalar(query) or 0)


def _moment_text(moment: dict[str, Any]) -> str:
    text = f"killed after {moment['delay_s']:.1f} s"
    if "import_at_kill" in moment:
        at = moment["import_at_kill"]
        text += f", import {at['status']} {at['processed']}/{at['rows_read']}"
    if "burst_in_flight_at_kill" in moment:
        text += ", burst in flight" if moment["burst_in_flight_at_kill"] else ", burst done"
    return text + f" ({moment['seconds']} s)"


async def timers_near_kills(run: Run) -> None:
    """For each trial: timers due, and timer firings recorded, within 5 s of the kill."""
    async with transaction(run.stack.sessions) as session:
        rows = (
            await session.execute(
                select(AuditEvent.occurred_at, AuditEvent.data).where(
                    AuditEvent.kind == "timer_fired"
                )
            )
        ).all()
    for trial in run.trials:
        killed = datetime.fromisoformat(trial["killed_at"])
        due = [datetime.fromisoformat(data["due_at"]) for _, data in rows]
        trial["timers_due_within_5s"] = sum(abs((d - killed).total_seconds()) <= 5 for d in due)
        trial["timers_recorded_within_5s"] = sum(
            abs((at - killed).total_seconds()) <= 5 for at, _ in rows
        )


async def trials(args: argparse.Namespace, directory: Path) -> dict[str, Any]:
    rng = random.Random(args.seed)
    async with fault_stack(directory) as stack:
        seeded = await seed(stack.sessions)
        ledger = Ledger()
        run = Run(stack, Load(stack.api_url, seeded.coordinator_token, ledger, rng), rng, args)
        began = time.perf_counter()
        for number in range(1, args.trials + 1):
            await run.trial(number, KINDS[(number - 1) % len(KINDS)])
            if number == args.trials // 3:
                await run.smtp_outage()
            if number == 2 * args.trials // 3:
                await run.temporal_restart()
        trials_s = time.perf_counter() - began
        print(f"Trials done in {trials_s:.0f} s; settling (at most {args.settle:.0f} s)")
        figures, settle_s = await settle(stack, ledger, args.settle)
        await timers_near_kills(run)
        interruptions = [datetime.fromisoformat(t["killed_at"]) for t in run.trials]
        interruptions += [datetime.fromisoformat(str(f["at"])) for f in run.faults]
        extra = {
            "worker_starts": stack.worker.starts,
            "worker_kills": stack.worker.kills,
            "duplicate_arrivals": duplicate_arrivals(stack.sink.messages, interruptions),
        }
    return results(args, run, figures, trials_s, settle_s, extra)


def results(
    args: argparse.Namespace,
    run: Run,
    figures: Figures,
    trials_s: float,
    settle_s: float,
    extra: dict[str, Any],
) -> dict[str, Any]:
    ledger = run.load.ledger
    survived = all(f.get("worker_survived", True) for f in run.faults)
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "make bench-faults",
        "trials": len(run.trials),
        **figures.counters,
        "all_zero": not any(figures.counters.values()) and survived,
        "settled": figures.settled,
        "seconds": {
            "trials": round(trials_s, 1),
            "settle": round(settle_s, 1),
        },
        "kills_by_moment": {k: sum(t["kind"] == k for t in run.trials) for k in KINDS},
        "faults": run.faults,
        "details": figures.details | extra,
        "api": {
            "retried_requests": ledger.retried_requests,
            "unanswered": ledger.unanswered,
            "refused": dict(ledger.refused),
        },
        "still_waiting": {k: v for k, v in figures.waiting.items() if v},
        "parameters": {k: v for k, v in vars(args).items() if k != "out"},
        "trial_log": run.trials,
        "machine": machine(),
    }


def summary(data: dict[str, Any]) -> str:
    """A short table: the five counters, then what was exercised."""
    lines = [f"{'counter':<20}{'value':>8}", "-" * 28]
    lines += [f"{name:<20}{data[name]:>8}" for name in ("trials", *COUNTERS)]
    details = data["details"]
    lines += [
        "-" * 28,
        f"worker SIGKILLs: {details['worker_kills']} "
        f"({', '.join(f'{k} {v}' for k, v in data['kills_by_moment'].items())})",
        f"acknowledged creations: {details['acknowledged_creations']}, "
        f"timer firings with recipients: {details['timer_firings_with_recipients']}, "
        f"mails expected: {details['mails_expected']}, in the sink: {details['mails_in_sink']}",
        f"faults: {', '.join(f['fault'] + ' ' + str(f['seconds']) + ' s' for f in data['faults'])}",
        f"settled: {data['settled']} after {data['seconds']['settle']} s"
        + (f" (still waiting: {data['still_waiting']})" if data["still_waiting"] else ""),
        "ALL ZERO" if data["all_zero"] else "NOT ALL ZERO: see details in the JSON",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--trials", type=int, default=21, help="worker SIGKILLs (at least 20)")
    parser.add_argument("--seed", type=int, default=None, help="random seed (default: random)")
    parser.add_argument("--rows", type=int, default=120, help="rows per imported list")
    parser.add_argument("--creations", type=int, default=8, help="POST /cases per burst")
    parser.add_argument("--referrals", type=int, default=3, help="referrals per burst")
    parser.add_argument("--attempts", type=int, default=12, help="contact attempts per burst")
    parser.add_argument("--import-window", type=float, default=3.0, help="kill within (s)")
    parser.add_argument("--steps-window", type=float, default=2.5, help="kill within (s)")
    parser.add_argument("--timer-window", type=float, default=25.0, help="look ahead (s)")
    parser.add_argument("--gap", type=float, default=2.0, help="seconds between trials")
    parser.add_argument("--outage", type=float, default=30.0, help="SMTP outage (s)")
    parser.add_argument("--patience", type=float, default=180.0, help="per API call (s)")
    parser.add_argument("--settle", type=float, default=240.0, help="settle at most (s)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.seed is None:
        args.seed = random.randrange(10**6)
    return args


async def main(args: argparse.Namespace) -> dict[str, Any]:
    precompile()
    if args.keep:
        directory = Path(tempfile.mkdtemp(prefix="filrouge-faults-"))
        print(f"Working directory (kept): {directory}")
        return await trials(args, directory)
    with tempfile.TemporaryDirectory(prefix="filrouge-faults-") as tmp:
        return await trials(args, Path(tmp))


def run(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    print(f"Fault trials: {args.trials} worker kills, seed {args.seed}")
    data = asyncio.run(main(args))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    print(summary(data))
    print(json.dumps({k: data[k] for k in ("trials", *COUNTERS)}))
    print(f"Results: {args.out}")
    sys.exit(0 if data["all_zero"] else 1)


if __name__ == "__main__":
    run()
