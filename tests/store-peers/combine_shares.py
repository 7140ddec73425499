"""Combines breakglass Shamir shares without breakglass: an independent implementation of the
share format in docs/stores.md, for recovery by hand and for the interop tests.

Usage: combine_shares.py SHARE_FILE...   (each file holds one share text, BGSHARE:V1:...;
       the text of a multi-QR share is the joined text, not the BGPART lines)
Prints the credential payload (BREAKGLASS:V1:...). Needs only the Python standard library.
"""

import base64
import hashlib
import sys


def b32decode(text: str) -> bytes:
    return base64.b32decode(text + "=" * (-len(text) % 8))


def b32check(data: bytes) -> str:
    return base64.b32encode(hashlib.sha256(data).digest()[:5]).decode()


def gf_mul(a: int, b: int) -> int:
    """Multiplication in GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1."""
    product = 0
    while b:
        if b & 1:
            product ^= a
        a = (a << 1) ^ (0x11B if a & 0x80 else 0)
        b >>= 1
    return product


def gf_inv(a: int) -> int:
    result = 1
    for _ in range(254):  # a^254 = a^-1
        result = gf_mul(result, a)
    return result


def parse(text: str):
    text = "".join(text.split()).upper()
    head, check = text.rsplit(":", 1)
    if b32check(head.encode()) != check:
        sys.exit(f"share checksum mismatch: {text[:40]}...")
    _, _, k, n, i, set_id, data = head.split(":")
    return int(k[1:]), int(n[1:]), int(i[1:]), set_id, b32decode(data)


def main() -> None:
    shares = [parse(open(path).read()) for path in sys.argv[1:]]
    k = shares[0][0]
    if len({s[3] for s in shares}) != 1:
        sys.exit("shares of different splits")
    points = {s[2]: s[4] for s in shares}
    if len(points) < k:
        sys.exit(f"{len(points)} shares, {k} needed")
    xs = sorted(points)[:k]
    secret = bytearray(len(points[xs[0]]))
    for xi in xs:
        # Lagrange basis at 0: prod xj / (xj - xi); subtraction is XOR in GF(2^8).
        basis = 1
        for xj in xs:
            if xj != xi:
                basis = gf_mul(basis, gf_mul(xj, gf_inv(xj ^ xi)))
        for pos, y in enumerate(points[xi]):
            secret[pos] ^= gf_mul(y, basis)
    json_bytes, check = bytes(secret[:-5]), bytes(secret[-5:])
    if hashlib.sha256(json_bytes).digest()[:5] != check:
        sys.exit("the combined payload fails its check: a share is wrong")
    body = base64.b32encode(json_bytes).decode()
    print(f"BREAKGLASS:V1:{body}:{b32check(json_bytes)}")


if __name__ == "__main__":
    main()
