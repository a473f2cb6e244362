"""Encryption of Temporal payloads: an AES-GCM payload codec and its key ring.

Every payload the SDK sends to Temporal (workflow and activity inputs and results, signal
and update arguments, memos, failure messages and stack traces) is serialized, encrypted
with the active key and tagged with that key's id. Decoding accepts every key of the ring,
so rotating keys never breaks a running case, and passes unencrypted payloads through, so
histories written before encryption still replay.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from filrouge.settings import DATA_DIR, SecuritySettings

ENCODING = b"binary/encrypted"
KEY_ID_METADATA = "encryption-key-id"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID = re.compile(r"[A-Za-z0-9_.-]{1,40}")
DEV_KEY_FILE = "payload-keys"


class PayloadKeyError(ValueError):
    """A key ring that cannot be used: malformed setting or key."""


class PayloadDecryptionError(Exception):
    """A payload that cannot be decrypted; its French message never carries payload content."""


@dataclass(frozen=True)
class KeyRing:
    """AES-256 keys by id: `active_id` encrypts, every key decrypts."""

    active_id: str
    keys: Mapping[str, bytes]
    _ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.active_id not in self.keys:
            raise PayloadKeyError(f"la clé active « {self.active_id} » n'est pas dans le trousseau")
        for key_id, key in self.keys.items():
            if not KEY_ID.fullmatch(key_id) or len(key) != KEY_BYTES:
                raise PayloadKeyError(
                    f"clé « {key_id} » : identifiant [A-Za-z0-9_.-] et 32 octets attendus"
                )
        object.__setattr__(self, "_ciphers", {k: AESGCM(v) for k, v in self.keys.items()})

    @classmethod
    def parse(cls, text: str) -> KeyRing:
        """Read `id:base64,id:base64,...`; the first key is the active one."""
        entries = [entry.strip() for entry in text.split(",") if entry.strip()]
        if not entries:
            raise PayloadKeyError("aucune clé de chiffrement des données Temporal n'est donnée")
        keys: dict[str, bytes] = {}
        for entry in entries:
            key_id, _, encoded = entry.partition(":")
            if key_id in keys:
                raise PayloadKeyError(f"la clé « {key_id} » figure deux fois")
            keys[key_id] = _decode_key(key_id, encoded)
        return cls(active_id=next(iter(keys)), keys=keys)

    @classmethod
    def generate(cls, key_id: str) -> KeyRing:
        """A ring holding one fresh random key."""
        return cls(active_id=key_id, keys={key_id: AESGCM.generate_key(bit_length=256)})

    def format(self) -> str:
        """The `id:base64,...` form read by `parse`, active key first."""
        order = [self.active_id, *(k for k in self.keys if k != self.active_id)]
        return ",".join(f"{k}:{base64.b64encode(self.keys[k]).decode()}" for k in order)

    def cipher(self, key_id: str) -> AESGCM:
        """The cipher of `key_id`; a clear error for a key this ring does not hold."""
        try:
            return self._ciphers[key_id]
        except KeyError:
            raise PayloadDecryptionError(
                f"Donnée chiffrée avec une clé inconnue « {key_id} » : ajoutez-la à "
                "SECURITY_PAYLOAD_KEYS."
            ) from None


def _decode_key(key_id: str, encoded: str) -> bytes:
    try:
        return base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PayloadKeyError(f"la clé « {key_id} » n'est pas en base64 valide") from None


class EncryptionCodec(PayloadCodec):
    """AES-GCM: data is nonce(12) + ciphertext of the serialized original payload."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.encrypt(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [self.decrypt(p) for p in payloads]

    def encrypt(self, payload: Payload) -> Payload:
        """Encrypt one payload with the active key."""
        nonce = os.urandom(NONCE_BYTES)
        key_id = self.ring.active_id
        sealed = self.ring.cipher(key_id).encrypt(nonce, payload.SerializeToString(), None)
        metadata = {"encoding": ENCODING, KEY_ID_METADATA: key_id.encode()}
        return Payload(metadata=metadata, data=nonce + sealed)

    def decrypt(self, payload: Payload) -> Payload:
        """Decrypt one payload; one that is not encrypted is returned unchanged."""
        if payload.metadata.get("encoding") != ENCODING:
            return payload
        key_id = payload.metadata.get(KEY_ID_METADATA, b"").decode(errors="replace")
        cipher = self.ring.cipher(key_id)
        nonce, sealed = payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:]
        try:
            return Payload.FromString(cipher.decrypt(nonce, sealed, None))
        except InvalidTag:
            raise PayloadDecryptionError(
                f"Donnée chiffrée avec la clé « {key_id} » indéchiffrable : données altérées ou "
                "clé erronée."
            ) from None


def payload_key_ring(security: SecuritySettings, data_dir: Path = DATA_DIR) -> KeyRing:
    """The configured keys; in development without any, the generated local dev key."""
    if security.payload_keys.strip():
        return KeyRing.parse(security.payload_keys)
    if security.environment != "development":
        raise PayloadKeyError("SECURITY_PAYLOAD_KEYS doit être renseigné hors développement")
    return dev_key_ring(data_dir / DEV_KEY_FILE)


def dev_key_ring(path: Path) -> KeyRing:
    """Read the local development key, generating it (mode 0600) on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        ring = KeyRing.generate(f"dev-{secrets.token_hex(4)}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process of the dev stack wrote it first
            return KeyRing.parse(path.read_text())
        with os.fdopen(fd, "w") as out:
            out.write(ring.format() + "\n")
        return ring
    return KeyRing.parse(path.read_text())
