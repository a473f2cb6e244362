"""Login throttling: a progressive delay per account, per address and per pair of both.

Every attempt is reserved as a failure in the same transaction that checks the delays (keys
locked on PostgreSQL, SQLite serialises writers), so parallel guesses each count; a success
then removes its own reservation. A stranger who knows someone's e-mail only slows down
their own address: the account as a whole is slowed by failures from many addresses, and
only for a bounded time. Keys are hashed: no e-mail or IP is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from filrouge.core.errors import TooManyAttempts
from filrouge.services.auth.hashing import digest
from filrouge.settings import AuthSettings
from filrouge.store.auth_repository import AuthRepository
from filrouge.store.models import LoginFailure


def progressive_delay(
    failures: int, free: int, base: timedelta, cap: timedelta
) -> timedelta | None:
    """The wait after the last failure: none for the first `free` failures, then `base`,
    doubling with each further failure, never more than `cap`."""
    if failures < free:
        return None
    return min(base * 2 ** min(failures - free, 30), cap)


@dataclass(frozen=True)
class _Key:
    key: str
    free: int
    cap: timedelta


@dataclass(frozen=True)
class Reservation:
    """The failure rows written for one attempt, and the pair it came from."""

    row_ids: list[int]
    pair_key: str


class LoginThrottle:
    """Reserve, then settle, each attempt to prove a password (login or password change)."""

    def __init__(self, settings: AuthSettings) -> None:
        self.settings = settings

    def _keys(self, email: str, ip: str) -> tuple[_Key, _Key, _Key]:
        s, account = self.settings, email.strip().lower()
        window = s.login_failure_window
        return (
            _Key(
                digest(f"compte:{account}"),
                s.login_max_failures_per_account,
                min(s.login_max_delay_per_account, window),
            ),
            _Key(digest(f"ip:{ip}"), s.login_max_failures_per_ip, window),
            _Key(digest(f"compte-ip:{account}|{ip}"), s.login_max_failures_per_account, window),
        )

    async def reserve(
        self, repo: AuthRepository, email: str, ip: str, now: datetime
    ) -> Reservation:
        """`TooManyAttempts` while a delay runs; otherwise count this attempt as a failure
        until it succeeds."""
        account, address, pair = self._keys(email, ip)
        await repo.lock_throttle_keys(sorted(k.key for k in (account, address, pair)))
        since = now - self.settings.login_failure_window
        await repo.purge_failures(since)
        pair_failures = await repo.failures_since(pair.key, since)
        for key in (account, address, pair):
            failures = pair_failures if key is pair else await repo.failures_since(key.key, since)
            self._check(key, failures, now)
        # The account counts the addresses that failed on it, not the attempts of each one.
        keys = [address.key, pair.key] + ([] if pair_failures else [account.key])
        rows = [LoginFailure(key=key, at=now) for key in keys]
        await repo.add(*rows)
        return Reservation([row.id for row in rows], pair.key)

    def _check(self, key: _Key, failures: list[datetime], now: datetime) -> None:
        delay = progressive_delay(len(failures), key.free, self.settings.login_delay_base, key.cap)
        if delay is None or now >= failures[-1] + delay:
            return
        wait = math.ceil((failures[-1] + delay - now).total_seconds())
        if wait < 60:
            after = f"{wait} seconde{'s' if wait > 1 else ''}"
        else:
            minutes = math.ceil(wait / 60)
            after = f"{minutes} minute{'s' if minutes > 1 else ''}"
        raise TooManyAttempts(
            f"Trop de tentatives de connexion infructueuses. Réessayez dans {after}.", wait
        )

    async def failed(self, repo: AuthRepository, reservation: Reservation, at: datetime) -> None:
        """The attempt was wrong: its delay runs from now, the end of the attempt."""
        await repo.move_failures(reservation.row_ids, at)

    async def succeeded(self, repo: AuthRepository, reservation: Reservation) -> None:
        """The attempt was right: it is no failure, and its address starts afresh."""
        await repo.delete_failures(reservation.row_ids)
        await repo.forget_failures(reservation.pair_key)
