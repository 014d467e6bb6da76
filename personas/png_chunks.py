"""Read and write PNG text chunks (tEXt, zTXt, iTXt) without decoding the image: a card lives in them.

Hand-written on purpose: we need only the chunk layer (length, type, data, CRC), which the PNG spec fixes,
and reading it ourselves avoids decoding untrusted pixels at all.
"""

from __future__ import annotations

import struct
import zlib

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PNG_BYTES = 50_000_000
MAX_CHUNK_BYTES = 30_000_000


class PngError(ValueError):
    """Not a PNG, or a damaged one."""


def iter_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    if not data.startswith(PNG_SIGNATURE):
        raise PngError("not a PNG file (bad signature)")
    chunks = []
    pos = len(PNG_SIGNATURE)
    while pos < len(data):
        if pos + 8 > len(data):
            raise PngError(f"truncated chunk header at byte {pos}")
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        if length > MAX_CHUNK_BYTES or pos + 12 + length > len(data):
            raise PngError(f"truncated or oversized {ctype.decode('latin-1')!r} chunk at byte {pos}")
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(ctype + body) & 0xFFFFFFFF != crc:
            raise PngError(f"bad CRC in {ctype.decode('latin-1')!r} chunk at byte {pos}")
        chunks.append((ctype, body))
        pos += 12 + length
        if ctype == b"IEND":
            break
    return chunks


def read_text_chunks(data: bytes) -> dict[str, str]:
    """keyword -> text for every text chunk; the first chunk with a keyword wins."""
    texts: dict[str, str] = {}
    for ctype, body in iter_chunks(data):
        try:
            if ctype == b"tEXt":
                key, _, value = body.partition(b"\0")
                text = value.decode("latin-1")
            elif ctype == b"zTXt":
                key, _, rest = body.partition(b"\0")
                text = zlib.decompressobj().decompress(rest[1:], MAX_CHUNK_BYTES).decode("latin-1")
            elif ctype == b"iTXt":
                key, _, rest = body.partition(b"\0")
                compressed, _method = rest[0], rest[1]
                _lang, _, rest = rest[2:].partition(b"\0")
                _translated, _, value = rest.partition(b"\0")
                raw = zlib.decompressobj().decompress(value, MAX_CHUNK_BYTES) if compressed else value
                text = raw.decode("utf-8")
            else:
                continue
        except (zlib.error, UnicodeDecodeError, IndexError) as exc:
            raise PngError(f"unreadable {ctype.decode('latin-1')} chunk: {exc}") from exc
        texts.setdefault(key.decode("latin-1"), text)
    return texts


def write_text_chunks(data: bytes, texts: dict[str, str], drop: set[str]) -> bytes:
    """A copy of the PNG with text chunks named in `drop` removed and `texts` added (as tEXt) before IEND."""
    out = [PNG_SIGNATURE]
    for ctype, body in iter_chunks(data):
        if ctype in (b"tEXt", b"zTXt", b"iTXt") and body.partition(b"\0")[0].decode("latin-1") in drop:
            continue
        if ctype == b"IEND":
            for key, value in texts.items():
                out.append(_chunk(b"tEXt", key.encode("latin-1") + b"\0" + value.encode("latin-1")))
        out.append(_chunk(ctype, body))
    return b"".join(out)


def _chunk(ctype: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", zlib.crc32(ctype + body) & 0xFFFFFFFF)


def blank_png() -> bytes:
    """A 1x1 transparent PNG, for exporting a persona that has no avatar."""
    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 6, 0, 0, 0)
    idat = zlib.compress(b"\x00\x00\x00\x00\x00")
    return PNG_SIGNATURE + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
