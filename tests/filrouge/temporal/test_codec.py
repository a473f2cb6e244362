"""The payload codec: AES-GCM round trip, key rotation, tampering, unknown keys, plain payloads."""

from __future__ import annotations

import base64
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.api.failure.v1 import Failure

from filrouge.settings import SecuritySettings
from filrouge.temporal.codec import (
    ENCODING,
    KEY_ID_METADATA,
    EncryptionCodec,
    KeyRing,
    PayloadDecryptionError,
    PayloadKeyError,
    payload_key_ring,
)
from filrouge.temporal.server import data_converter

SECRET = b'{"last_name":"Martin","first_name":"L\xc3\xa9a","ine":"123456789AB"}'


def plain(data: bytes = SECRET) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=data)


def key(byte: int) -> str:
    return base64.b64encode(bytes([byte]) * 32).decode()


K1 = KeyRing.parse(f"k1:{key(1)}")
K2_THEN_K1 = KeyRing.parse(f"k2:{key(2)}, k1:{key(1)}")


async def test_a_payload_round_trips_and_is_unreadable_encrypted() -> None:
    codec = EncryptionCodec(K1)
    [encrypted] = await codec.encode([plain()])
    assert encrypted.metadata["encoding"] == ENCODING
    assert encrypted.metadata[KEY_ID_METADATA] == b"k1"
    assert b"Martin" not in encrypted.SerializeToString()
    assert await codec.decode([encrypted]) == [plain()]


async def test_the_same_payload_encrypts_differently_each_time() -> None:
    codec = EncryptionCodec(K1)
    first, second = await codec.encode([plain(), plain()])
    assert first.data[:12] != second.data[:12]
    assert first.data != second.data


async def test_after_rotation_old_payloads_decode_and_new_ones_use_the_new_key() -> None:
    [old] = await EncryptionCodec(K1).encode([plain(b"old")])
    rotated = EncryptionCodec(K2_THEN_K1)
    [new] = await rotated.encode([plain(b"new")])
    assert new.metadata[KEY_ID_METADATA] == b"k2"
    assert await rotated.decode([old, new]) == [plain(b"old"), plain(b"new")]


async def test_an_altered_ciphertext_is_refused() -> None:
    codec = EncryptionCodec(K1)
    [encrypted] = await codec.encode([plain()])
    altered = bytearray(encrypted.data)
    altered[-1] ^= 0x01
    encrypted.data = bytes(altered)
    with pytest.raises(PayloadDecryptionError, match="données altérées ou clé erronée"):
        await codec.decode([encrypted])


async def test_a_payload_under_a_retired_key_names_the_key_and_nothing_else() -> None:
    [encrypted] = await EncryptionCodec(K2_THEN_K1).encode([plain()])
    with pytest.raises(PayloadDecryptionError, match="clé inconnue « k2 »") as error:
        await EncryptionCodec(K1).decode([encrypted])
    assert "Martin" not in str(error.value)


async def test_plain_payloads_pass_through_decode_unchanged() -> None:
    payloads = [plain(), Payload(metadata={"encoding": b"binary/null"})]
    assert await EncryptionCodec(K1).decode(payloads) == payloads


async def test_the_data_converter_encrypts_values_and_failure_messages() -> None:
    converter = data_converter(K1)
    [payload] = await converter.encode([{"name": "Martin"}])
    assert b"Martin" not in payload.SerializeToString()
    assert await converter.decode([payload]) == [{"name": "Martin"}]
    failure = Failure()
    await converter.encode_failure(ValueError("Léa Martin injoignable"), failure)
    assert "Martin" not in failure.message
    assert b"Martin" not in failure.SerializeToString()
    decoded = await converter.decode_failure(failure)
    assert str(decoded).endswith("Léa Martin injoignable")


@pytest.mark.parametrize(
    "text",
    ["", "k1", f"k1:{key(1)},k1:{key(2)}", "k1:not base64!", f"k1:{key(1)[:20]}", f"a b:{key(1)}"],
)
def test_malformed_key_settings_are_refused(text: str) -> None:
    with pytest.raises(PayloadKeyError):
        KeyRing.parse(text)


def test_the_setting_lists_the_active_key_first() -> None:
    assert K2_THEN_K1.active_id == "k2"
    assert KeyRing.parse(K2_THEN_K1.format()) == K2_THEN_K1


def test_development_generates_a_private_key_once_and_reuses_it(tmp_path: Path) -> None:
    security = SecuritySettings(environment="development", payload_keys="")
    first = payload_key_ring(security, tmp_path)
    key_file = tmp_path / "payload-keys"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert payload_key_ring(security, tmp_path) == first


def test_configured_keys_win_over_the_dev_key(tmp_path: Path) -> None:
    security = SecuritySettings(environment="development", payload_keys=K2_THEN_K1.format())
    assert payload_key_ring(security, tmp_path) == K2_THEN_K1
    assert not (tmp_path / "payload-keys").exists()


def test_production_refuses_to_start_without_payload_keys() -> None:
    with pytest.raises(ValidationError, match="SECURITY_PAYLOAD_KEYS"):
        SecuritySettings(environment="production", secret_key="s3cret", payload_keys="")
    configured = SecuritySettings(environment="prod", secret_key="s", payload_keys=K1.format())
    assert payload_key_ring(configured).active_id == "k1"
