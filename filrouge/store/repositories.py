"""Queries on reference data (platforms, structures, users, tokens) and on cases."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from filrouge.core.domain import Role, Stage
from filrouge.store.models import ApiToken, Case, CaseIdentity, Platform, Structure, User


class ReferenceRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def platform(self, platform_id: str) -> Platform | None:
        return await self.session.get(Platform, platform_id)

    async def platforms(self) -> list[Platform]:
        return list((await self.session.execute(select(Platform).order_by(Platform.id))).scalars())

    async def platforms_page(self, limit: int, offset: int) -> list[Platform]:
        query = select(Platform).order_by(Platform.id).limit(limit).offset(offset)
        return list((await self.session.execute(query)).scalars())

    async def platform_names(self, platform_ids: Iterable[str]) -> dict[str, str]:
        """The name of each of these platforms that exists."""
        return await self._names(Platform.id, Platform.name, platform_ids)

    async def platform_count(self) -> int:
        return int((await self.session.execute(select(func.count(Platform.id)))).scalar_one())

    async def territories(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Every platform's id, name and stored territory, by id: only those columns, for
        routing and the overlap check (no entity built, no policy read)."""
        query = select(Platform.id, Platform.name, Platform.territory).order_by(Platform.id)
        return [(r.id, r.name, r.territory or {}) for r in await self.session.execute(query)]

    async def stored_policies(self, platform_ids: Iterable[str] | None = None) -> dict[str, Any]:
        """The stored timer policy (JSON) of these platforms (None: of every platform)."""
        query = select(Platform.id, Platform.policy).order_by(Platform.id)
        if platform_ids is not None:
            ids = sorted(set(platform_ids))
            if not ids:
                return {}
            query = query.where(Platform.id.in_(ids))
        return {r.id: r.policy or {} for r in await self.session.execute(query)}

    async def platforms_of_region(self, region: str) -> list[Platform]:
        query = select(Platform).where(Platform.region == region).order_by(Platform.id)
        return list((await self.session.execute(query)).scalars())

    async def structure(self, structure_id: str) -> Structure | None:
        return await self.session.get(Structure, structure_id)

    async def structures(self, platform_id: str | None = None) -> list[Structure]:
        query = select(Structure).order_by(Structure.id)
        if platform_id:
            query = query.where(Structure.platform_id == platform_id)
        return list((await self.session.execute(query)).scalars())

    async def structures_page(self, limit: int, offset: int) -> list[Structure]:
        query = select(Structure).order_by(Structure.id).limit(limit).offset(offset)
        return list((await self.session.execute(query)).scalars())

    async def structures_before(self, structure_id: str) -> int:
        """How many structures come before this id in the list by id."""
        query = select(func.count(Structure.id)).where(Structure.id < structure_id)
        return int((await self.session.execute(query)).scalar_one())

    async def user(self, user_id: str) -> User | None:
        return await self.session.get(User, user_id)

    async def users(self, platform_id: str | None = None, role: Role | None = None) -> list[User]:
        query = select(User).order_by(User.id)
        if platform_id:
            query = query.where(User.platform_id == platform_id)
        if role:
            query = query.where(User.role == role.value)
        return list((await self.session.execute(query)).scalars())

    async def users_page(self, platform_id: str | None, limit: int, offset: int) -> list[User]:
        """One page of the accounts (of one platform, or all), by name."""
        query = select(User).order_by(func.lower(User.display_name), User.id)
        if platform_id:
            query = query.where(User.platform_id == platform_id)
        query = query.limit(limit).offset(offset)
        return list((await self.session.execute(query)).scalars())

    async def user_count(self) -> int:
        return int((await self.session.execute(select(func.count(User.id)))).scalar_one())

    async def structure_count(self) -> int:
        return int((await self.session.execute(select(func.count(Structure.id)))).scalar_one())

    async def user_names(self, user_ids: Iterable[str]) -> dict[str, str]:
        """The display name of each of these accounts that exists."""
        return await self._names(User.id, User.display_name, user_ids)

    async def _names(
        self, key: InstrumentedAttribute[str], name: InstrumentedAttribute[str], ids: Iterable[str]
    ) -> dict[str, str]:
        """`name` by `key` for the rows of these keys (no query for none)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        rows = await self.session.execute(select(key, name).where(key.in_(wanted)))
        return {row_key: row_name for row_key, row_name in rows}

    async def token(self, token_hash: str) -> ApiToken | None:
        query = select(ApiToken).where(ApiToken.token_hash == token_hash)
        return (await self.session.execute(query)).unique().scalar_one_or_none()

    async def add(self, *rows: object) -> None:
        self.session.add_all(rows)
        await self.session.flush()


@dataclass
class CaseFilters:
    platform_id: str | None = None
    # A référent sees the cases assigned to them and the others of their structure.
    structure_id: str | None = None
    visible_to_referent: str | None = None
    stage: Stage | None = None
    referent_id: str | None = None
    overdue_at: datetime | None = None
    escalated: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class PersonSearch:
    """A young person looked for by INE (exact) or by the start of a normalised name."""

    ine: str | None = None
    name_prefix: str | None = None


def _person_matches(search: PersonSearch) -> ColumnElement[bool]:
    if search.ine:
        return CaseIdentity.ine == search.ine
    prefix = (search.name_prefix or "").replace("%", "").replace("_", "")
    key = CaseIdentity.name_key
    return or_(key.startswith(prefix), key.contains(f"|{prefix}"))


def _filtered(filters: CaseFilters) -> Select[Any]:
    """The cases of the filters' scope and criteria, unordered (one query, two listings)."""
    query = select(Case)
    if filters.platform_id:
        query = query.where(Case.platform_id == filters.platform_id)
    if filters.visible_to_referent:
        query = query.where(
            or_(
                Case.referent_id == filters.visible_to_referent,
                Case.structure_id == (filters.structure_id or ""),
            )
        )
    if filters.stage:
        query = query.where(Case.stage == filters.stage.value)
    if filters.referent_id:
        query = query.where(Case.referent_id == filters.referent_id)
    if filters.overdue_at:
        query = query.where(_late(filters.overdue_at))
    if filters.escalated:
        query = query.where(Case.escalated_since.is_not(None))
    return query


def _late(now: datetime) -> ColumnElement[bool]:
    """A case is late when a fired deadline awaits an action, or its next one is past."""
    return or_(Case.overdue_since.is_not(None), Case.next_deadline_at < now)


@dataclass(frozen=True)
class ReferentCounts:
    """The dashboard's counters over one référent's cases (None: the cases without one)."""

    referent_id: str | None
    open: int
    late: int
    to_route: int
    escalated: int
    decisions: int
    unreachable: int


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class CaseRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_id: str) -> Case | None:
        return await self.session.get(Case, case_id)

    async def add(self, case: Case) -> None:
        self.session.add(case)
        await self.session.flush()

    async def search(self, filters: CaseFilters) -> tuple[list[Case], int]:
        """A page of cases matching the filters, and the total count."""
        order = (Case.identified_at.desc(), Case.id)
        return await self._page(_filtered(filters), order, filters)

    async def worklist(
        self, filters: CaseFilters, now: datetime, search: PersonSearch | None = None
    ) -> tuple[list[Case], int]:
        """Cases matching the filters, most urgent first: open before closed, overdue first,
        then by next deadline (none last); optionally only those of a name or an INE."""
        query = _filtered(filters)
        if search is not None:
            query = query.join(CaseIdentity, CaseIdentity.case_id == Case.id).where(
                _person_matches(search)
            )
        late = _late(now)
        order = (
            Case.stage == Stage.CLOTURE.value,
            case((late, 0), else_=1),
            Case.next_deadline_at.is_(None),
            Case.next_deadline_at,
            Case.identified_at.desc(),
            Case.id,
        )
        return await self._page(query, order, filters)

    async def _page(
        self, query: Select[Any], order: tuple[Any, ...], filters: CaseFilters
    ) -> tuple[list[Case], int]:
        """One page of the query in `order`, and the total. The count and the choice of the
        page's ids read only the columns of ix_cases_platform_lists (no row is loaded to be
        sorted); only the page's rows are then loaded, with their identity."""
        ids = query.with_only_columns(Case.id)
        total = await self.session.scalar(select(func.count()).select_from(ids.subquery()))
        chosen = ids.order_by(*order).limit(filters.limit).offset(filters.offset).subquery()
        page = select(Case).join(chosen, chosen.c.id == Case.id).order_by(*order)
        rows = (await self.session.execute(page)).unique().scalars()
        return list(rows), int(total or 0)

    async def counts_by_referent(self, platform_id: str, now: datetime) -> list[ReferentCounts]:
        """The platform's counters per référent, in one aggregated query (no case is loaded)."""
        query = (
            select(
                Case.referent_id,
                _count(Case.stage != Stage.CLOTURE.value),
                _count(_late(now)),
                _count(Case.stage == Stage.A_ROUTER.value),
                _count(Case.escalated_since.is_not(None)),
                _count(Case.stage == Stage.DECISION.value),
                _count(Case.stage == Stage.INJOIGNABLE.value),
            )
            .where(Case.platform_id == platform_id)
            .group_by(Case.referent_id)
        )
        rows = await self.session.execute(query)
        return [ReferentCounts(r[0], *(int(n) for n in r[1:])) for r in rows]
