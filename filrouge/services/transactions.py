"""The database a door opens and the transactions services run in.

The door (a request, a command) owns the transaction: it opens one, hands the session to
the services, and commits or rolls back; services never commit.
"""

from __future__ import annotations

from filrouge.store.engine import make_engine, make_sessionmaker, transaction, unit_of_work

__all__ = ["make_engine", "make_sessionmaker", "transaction", "unit_of_work"]
