"""Moved to `filrouge.services.reference.admin`; kept for the account modules that still
import it from here (`api/auth_accounts.py`, `api/auth_audit.py`)."""

from filrouge.services.reference.admin import ReferenceService

__all__ = ["ReferenceService"]
