"""`filrouge import FILE`: upload a list to the API, follow its progress, print the report."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict
from tqdm import tqdm

from filrouge.core.domain import ImportStatus


class ImportClientSettings(BaseSettings):
    """Where the command finds the API and the caller's personal token (FILROUGE_*)."""

    model_config = SettingsConfigDict(env_prefix="FILROUGE_", extra="ignore")

    api_url: str = "http://127.0.0.1:8000"  # the API of `make run`
    token: str = ""


class ImportFailed(Exception):
    """The import could not be done; the message is French and meant for the user."""


@dataclass
class ImportCommand:
    """Upload one file, poll GET /imports/{id} with a progress bar, print the summary."""

    api_url: str
    token: str
    out: TextIO = sys.stdout
    progress: TextIO = sys.stderr
    poll_seconds: float = 0.5
    timeout_seconds: float = 60.0

    async def run(self, path: Path) -> dict[str, Any]:
        """The finished import; raises ImportFailed with a French message otherwise."""
        if not self.token:
            raise ImportFailed(
                "Jeton manquant : passez --token ou définissez la variable FILROUGE_TOKEN."
            )
        content = _read(path)
        headers = {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(
            base_url=self.api_url.rstrip("/"), headers=headers, timeout=self.timeout_seconds
        ) as http:
            accepted = await self._upload(http, path.name, content)
            if accepted["status"] != ImportStatus.DONE:
                accepted = await self._follow(http, accepted)
        if accepted["status"] == ImportStatus.FAILED:
            raise ImportFailed(f"L'import a échoué : {accepted['error']}")
        self._print_report(accepted)
        return accepted

    async def _upload(self, http: httpx.AsyncClient, name: str, content: bytes) -> dict[str, Any]:
        files = {"file": (name, content, "application/octet-stream")}
        response = await self._call(http.post("/imports", files=files))
        if response.status_code == 200:
            self._say(f"Ce fichier a déjà été importé (import {response.json()['id']}).")
        elif response.status_code != 202:
            raise ImportFailed(_refusal(response))
        return response.json()  # type: ignore[no-any-return]

    async def _follow(self, http: httpx.AsyncClient, imp: dict[str, Any]) -> dict[str, Any]:
        bar = tqdm(
            total=imp["rows_read"] or None, unit=" lignes", desc="Import", file=self.progress
        )
        with bar:
            while imp["status"] not in (ImportStatus.DONE, ImportStatus.FAILED):
                await asyncio.sleep(self.poll_seconds)
                response = await self._call(http.get(f"/imports/{imp['id']}"))
                if response.status_code != 200:
                    raise ImportFailed(_refusal(response))
                imp = response.json()
                if imp["rows_read"] and bar.total != imp["rows_read"]:
                    bar.total = imp["rows_read"]
                bar.update(imp["processed"] - bar.n)
        return imp

    async def _call(self, request: Any) -> httpx.Response:
        try:
            return await request  # type: ignore[no-any-return]
        except httpx.TransportError as error:
            raise ImportFailed(
                f"L'API Fil rouge ne répond pas à {self.api_url} : est-elle démarrée "
                "(make run) ? Sinon, indiquez son adresse avec --api-url ou FILROUGE_API_URL."
            ) from error

    def _print_report(self, imp: dict[str, Any]) -> None:
        base = self.api_url.rstrip("/")
        self._say(f"Import {imp['id']} terminé ({imp['filename']}).")
        self._say(imp["summary"])
        if imp["rejected"] or imp["in_file_duplicates"]:
            self._say(
                "Rapport détaillé : " + f"{base}/imports/{imp['id']}/report\n"
                "Lignes rejetées à corriger puis réimporter : "
                f"{base}/imports/{imp['id']}/rejected.csv "
                "(avec l'en-tête « Authorization: Bearer <jeton> »)"
            )
        if imp["possible_duplicates"]:
            self._say(f"Doublons possibles à examiner : {base}/duplicates")

    def _say(self, text: str) -> None:
        print(text, file=self.out)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError as error:
        raise ImportFailed(f"Fichier introuvable : {path}") from error
    except IsADirectoryError as error:
        raise ImportFailed(f"{path} est un dossier, pas un fichier.") from error
    except OSError as error:
        raise ImportFailed(f"Impossible de lire {path} : {error.strerror}.") from error


_REFUSALS = {
    401: "Jeton refusé par l'API (inconnu, révoqué ou mal copié).",
    403: "Votre rôle ne permet pas d'importer une liste : seuls les coordinateurs le peuvent.",
}


def _refusal(response: httpx.Response) -> str:
    """One French line for a refused request (the API's own message when it gives one)."""
    if response.status_code in _REFUSALS:
        return _REFUSALS[response.status_code]
    try:
        message = response.json().get("message")
    except ValueError:
        message = None
    if response.status_code in (413, 422) and message:
        return f"Fichier refusé : {message}"
    return f"L'API a répondu {response.status_code}" + (f" : {message}" if message else ".")


def import_file(path: Path, api_url: str | None, token: str | None, out: TextIO) -> int:
    """Run the command; 0 when the list was imported, 1 with a French message otherwise."""
    settings = ImportClientSettings()
    command = ImportCommand(api_url or settings.api_url, token or settings.token, out=out)
    try:
        asyncio.run(command.run(path))
    except ImportFailed as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 1
    return 0
