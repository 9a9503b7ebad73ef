"""Format-valid random values for the secret corpus (secret_corpus.py): a seeded generator, real
checksums (GitHub CRC32, Bech32, CRC-24 armor), keys and JWTs made here at run time."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string
import zlib
from dataclasses import dataclass

B62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
ALNUM = string.ascii_letters + string.digits
HEX = "0123456789abcdef"
URLSAFE = ALNUM + "_-"
B32L = "abcdefghijklmnopqrstuvwxyz234567"


@dataclass(frozen=True)
class Case:
    family: str
    filename: str
    text: str
    secret: str


class Gen:
    """Format-valid random values from a seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)

    def s(self, alphabet: str, n: int) -> str:
        # Draw until the value has both a digit and a letter when the alphabet has both, so that
        # no value looks like a word or a plain number by chance.
        while True:
            v = "".join(self.r.choice(alphabet) for _ in range(n))
            has_d = any(c.isdigit() for c in alphabet)
            has_a = any(c.isalpha() for c in alphabet)
            if n < 8 or ((not has_d or any(c.isdigit() for c in v)) and (not has_a or any(c.isalpha() for c in v))):
                return v

    def hexs(self, n: int) -> str:
        return self.s(HEX, n)

    def digits(self, n: int) -> str:
        return str(self.r.randint(1, 9)) + "".join(self.r.choice(string.digits) for _ in range(n - 1))

    def bytes(self, n: int) -> bytes:
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def uuid(self) -> str:
        h = self.hexs(32)
        h = h[:12] + "4" + h[13:16] + self.r.choice("89ab") + h[17:]
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def password(self, n: int = 16, symbols: str = "!#%&*+-=?@^_") -> str:
        while True:
            v = self.s(ALNUM + symbols, n)
            if any(c in symbols for c in v) and any(c.isupper() for c in v) and any(c.islower() for c in v):
                return v

    # --- checksummed token formats -------------------------------------------------------
    @staticmethod
    def _b62(n: int) -> str:
        out = ""
        while n:
            n, rem = divmod(n, 62)
            out = B62[rem] + out
        return out or "0"

    def crc_b62_token(self, prefix: str) -> str:
        """prefix + 30 base62 + 6-char base62 CRC32 (GitHub's and npm's format)."""
        while True:
            body = self.s(ALNUM, 30)
            crc = zlib.crc32(body.encode())
            if crc >= 62**5:  # exactly 6 base62 digits, no padding question
                return prefix + body + self._b62(crc).rjust(6, "0")

    def age_key(self) -> str:
        return bech32_encode("age-secret-key-", self.bytes(32)).upper()


# --- Bech32 (BIP-173) --------------------------------------------------------------------
_BECH = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _polymod(values: list[int]) -> int:
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (b >> i) & 1 else 0
    return chk


def bech32_encode(hrp: str, data: bytes) -> str:
    acc, bits, five = 0, 0, []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            five.append((acc >> bits) & 31)
    if bits:
        five.append((acc << (5 - bits)) & 31)
    hv = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    pm = _polymod(hv + five + [0] * 6) ^ 1
    check = [(pm >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH[d] for d in five + check)


def _crc24(data: bytes) -> int:
    crc = 0xB704CE
    for b in data:
        crc ^= b << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def _wrap(b64: str, width: int = 64) -> list[str]:
    return [b64[i : i + width] for i in range(0, len(b64), width)]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


# --- keys --------------------------------------------------------------------------------
def _is_probable_prime(n: int, rng: random.Random) -> bool:
    if n < 4:
        return n in (2, 3)
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(24):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        c = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if _is_probable_prime(c, rng):
            return c


def rsa_pem(g: Gen, pkcs8: bool = False, bits: int = 2048) -> str:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
    except ImportError:  # a well-formed DER-looking body, good enough for pattern rules
        body = base64.b64encode(b"\x30\x82\x04\xa4\x02\x01\x00\x02\x82\x01\x01\x00" + g.bytes(1180)).decode()
        label = "PRIVATE KEY" if pkcs8 else "RSA PRIVATE KEY"
        return "\n".join([f"-----BEGIN {label}-----", *_wrap(body), f"-----END {label}-----"]) + "\n"
    e = 65537
    while True:
        p, q = _prime(bits // 2, g.r), _prime(bits // 2, g.r)
        phi = (p - 1) * (q - 1)
        if p != q and phi % e:
            break
    n, d = p * q, pow(e, -1, phi)
    numbers = rsa.RSAPrivateNumbers(
        p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, n)
    )
    key = numbers.private_key()
    fmt = serialization.PrivateFormat.PKCS8 if pkcs8 else serialization.PrivateFormat.TraditionalOpenSSL
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def ec_pem(g: Gen) -> str:
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ec
    except ImportError:
        body = base64.b64encode(b"\x30\x77\x02\x01\x01\x04\x20" + g.bytes(112)).decode()
        return "\n".join(["-----BEGIN EC PRIVATE KEY-----", *_wrap(body), "-----END EC PRIVATE KEY-----"]) + "\n"
    k = ec.derive_private_key(g.r.getrandbits(250) + 1, ec.SECP256R1())
    return k.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def _sshstr(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def openssh_ed25519(g: Gen, comment: str) -> str:
    """An unencrypted openssh-key-v1 ed25519 private key, built deterministically."""
    seed = g.bytes(32)
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

        pub = Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
    except ImportError:
        pub = g.bytes(32)
    pubblob = _sshstr(b"ssh-ed25519") + _sshstr(pub)
    check = g.bytes(4)
    priv = check + check + pubblob + _sshstr(seed + pub) + _sshstr(comment.encode())
    priv += bytes(range(1, 1 + (-len(priv)) % 8))
    blob = (
        b"openssh-key-v1\x00" + _sshstr(b"none") + _sshstr(b"none") + _sshstr(b"")
        + (1).to_bytes(4, "big") + _sshstr(pubblob) + _sshstr(priv)
    )
    body = base64.b64encode(blob).decode()
    return "\n".join(["-----BEGIN OPENSSH PRIVATE KEY-----", *_wrap(body, 70), "-----END OPENSSH PRIVATE KEY-----"]) + "\n"


def pgp_private_block(g: Gen) -> str:
    # A v4 secret-key packet (tag 5, new format) with an RSA-looking body.
    body = b"\x04" + g.bytes(4) + b"\x01" + b"\x08\x00" + g.bytes(256) + b"\x00\x11\x01\x00\x01" + b"\x00" + g.bytes(660)
    packet = b"\xc5" + b"\xff" + len(body).to_bytes(4, "big") + body
    b64 = base64.b64encode(packet).decode()
    crc = base64.b64encode(_crc24(packet).to_bytes(3, "big")).decode()
    return "\n".join(["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", *_wrap(b64), "=" + crc, "-----END PGP PRIVATE KEY BLOCK-----"]) + "\n"


def jwt_hs256(g: Gen, payload: dict) -> str:
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    sig = hmac.new(g.bytes(32), f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{b64url(sig)}"
