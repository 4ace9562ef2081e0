"""lib0 binary encoding, byte-compatible with the JavaScript ``lib0`` package.

* varUint: 7-bit groups, least significant first; the high bit of a byte says another follows.
* varInt: the first byte holds the continuation bit (0x80), the sign (0x40) and 6 value bits;
  the following bytes are varUint groups.
* varUint8Array: varUint length, then the bytes. varString: varUint UTF-8 *byte* length, then
  the UTF-8 bytes.
* any: a type tag (127 undefined, 126 null, 125 varInt, 124 float32, 123 float64, 122 int64,
  121 false, 120 true, 119 string, 118 object, 117 array, 116 bytes) and the value.

Python mapping of ``any``: ``None`` is null, :data:`UNDEFINED` is undefined; a ``float`` is a JS
number (integral values within 31 bits are written as varInt, as JS does); an ``int`` within
31 bits is a varInt and a larger one a JS bigint (int64); ``list``/``tuple`` is an array,
``dict`` with ``str`` keys an object, ``bytes`` a Uint8Array.

Decoding raises only :class:`~crdt.errors.ProtocolError`; encoding invalid values raises
``ValueError`` or ``TypeError`` (a programming error, not bad input).
"""

from __future__ import annotations

import math
import struct
from typing import Final

from .errors import ProtocolError

__all__ = ["MAX_SAFE_INTEGER", "UNDEFINED", "Decoder", "Encoder"]

MAX_SAFE_INTEGER: Final = 2**53 - 1
_BITS31: Final = 2**31 - 1
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
# Nesting deeper than this in an ``any`` value is refused rather than risking RecursionError.
MAX_ANY_DEPTH: Final = 200

_F32: Final = struct.Struct(">f")
_F64: Final = struct.Struct(">d")
_I64: Final = struct.Struct(">q")


class _Undefined:
    """The JavaScript ``undefined`` value of lib0 ``any`` (tag 127)."""

    __slots__ = ()
    _instance: _Undefined | None = None

    def __new__(cls) -> _Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNDEFINED"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNDEFINED"


UNDEFINED: Final = _Undefined()


def _utf8(s: str) -> bytes:
    try:
        return s.encode("utf-8")
    except UnicodeEncodeError:
        # Like JS TextEncoder: join surrogate pairs, replace lone surrogates with U+FFFD.
        fixed = s.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
        return fixed.encode("utf-8")


def _is_float32(x: float) -> bool:
    try:
        packed = _F32.pack(x)
    except OverflowError:
        return False
    return bool(_F32.unpack(packed)[0] == x)


class Encoder:
    """Accumulates lib0-encoded values; :meth:`to_bytes` returns the result."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def to_bytes(self) -> bytes:
        """Return everything written so far."""
        return bytes(self._buf)

    def write_uint8(self, n: int) -> None:
        """Write one byte (0..255)."""
        if not 0 <= n <= 0xFF:
            raise ValueError(f"uint8 out of range: {n}")
        self._buf.append(n)

    def write_bytes(self, data: bytes) -> None:
        """Write raw bytes, without a length prefix."""
        self._buf += data

    def write_var_uint(self, n: int) -> None:
        """Write an unsigned integer (0..2**53-1) as varUint."""
        if not 0 <= n <= MAX_SAFE_INTEGER:
            raise ValueError(f"varUint out of range: {n}")
        buf = self._buf
        while n > 0x7F:
            buf.append(0x80 | (n & 0x7F))
            n >>= 7
        buf.append(n)

    def write_var_int(self, n: int) -> None:
        """Write a signed integer (|n| <= 2**53-1) as varInt."""
        if not -MAX_SAFE_INTEGER <= n <= MAX_SAFE_INTEGER:
            raise ValueError(f"varInt out of range: {n}")
        self._write_var_int(abs(n), n < 0)

    def _write_var_int(self, magnitude: int, negative: bool) -> None:
        buf = self._buf
        first = (magnitude & 0x3F) | (0x40 if negative else 0)
        magnitude >>= 6
        buf.append(first | 0x80 if magnitude else first)
        while magnitude:
            group = magnitude & 0x7F
            magnitude >>= 7
            buf.append(group | 0x80 if magnitude else group)

    def write_var_uint8_array(self, data: bytes) -> None:
        """Write a byte string prefixed with its varUint length."""
        self.write_var_uint(len(data))
        self._buf += data

    def write_var_string(self, s: str) -> None:
        """Write a string prefixed with its UTF-8 byte length."""
        self.write_var_uint8_array(_utf8(s))

    def write_any(self, value: object) -> None:
        """Write ``value`` in the lib0 ``any`` encoding (see the module docstring).

        Raises:
            TypeError: a value (or dict key) has no ``any`` representation.
            ValueError: an int does not fit in int64.
        """
        buf = self._buf
        if value is None:
            buf.append(126)
        elif value is UNDEFINED:
            buf.append(127)
        elif value is True:
            buf.append(120)
        elif value is False:
            buf.append(121)
        elif isinstance(value, int):
            if -_BITS31 <= value <= _BITS31:
                buf.append(125)
                self.write_var_int(value)
            elif _INT64_MIN <= value <= _INT64_MAX:
                buf.append(122)
                buf += _I64.pack(value)
            else:
                raise ValueError(f"int does not fit in int64: {value}")
        elif isinstance(value, float):
            self._write_number(value)
        elif isinstance(value, str):
            buf.append(119)
            self.write_var_string(value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            buf.append(116)
            self.write_var_uint8_array(bytes(value))
        elif isinstance(value, (list, tuple)):
            buf.append(117)
            self.write_var_uint(len(value))
            for item in value:
                self.write_any(item)
        elif isinstance(value, dict):
            buf.append(118)
            self.write_var_uint(len(value))
            for key, item in value.items():
                if not isinstance(key, str):
                    raise TypeError(f"lib0 any object keys must be str, not {type(key).__name__}")
                self.write_var_string(key)
                self.write_any(item)
        else:
            raise TypeError(f"no lib0 any encoding for {type(value).__name__}")

    def _write_number(self, x: float) -> None:
        buf = self._buf
        if x.is_integer() and abs(x) <= _BITS31:
            buf.append(125)
            negative = math.copysign(1.0, x) < 0  # -0.0 keeps its sign, as in lib0
            self._write_var_int(int(abs(x)), negative)
        elif _is_float32(x):
            buf.append(124)
            buf += _F32.pack(x)
        else:
            buf.append(123)
            buf += _F64.pack(x)


class Decoder:
    """Reads lib0-encoded values from ``data``; every read advances :attr:`position`.

    Every read raises :class:`~crdt.errors.ProtocolError` on truncated or invalid input.
    """

    __slots__ = ("_data", "_pos")

    def __init__(self, data: bytes, position: int = 0) -> None:
        self._data = data
        self._pos = position

    @property
    def position(self) -> int:
        """Offset of the next unread byte."""
        return self._pos

    def has_content(self) -> bool:
        """Whether unread bytes remain."""
        return self._pos < len(self._data)

    def _take(self, n: int) -> bytes:
        end = self._pos + n
        if end > len(self._data):
            raise ProtocolError("unexpected end of data")
        chunk = self._data[self._pos : end]
        self._pos = end
        return chunk

    def read_uint8(self) -> int:
        """Read one byte."""
        pos = self._pos
        if pos >= len(self._data):
            raise ProtocolError("unexpected end of data")
        self._pos = pos + 1
        return self._data[pos]

    def read_var_uint(self) -> int:
        """Read a varUint; above 2**53-1 is an error, as in lib0."""
        data = self._data
        pos = self._pos
        end = len(data)
        n = 0
        shift = 0
        while True:
            if pos >= end:
                raise ProtocolError("unexpected end of data in varUint")
            byte = data[pos]
            pos += 1
            n |= (byte & 0x7F) << shift
            if n > MAX_SAFE_INTEGER:
                raise ProtocolError("varUint exceeds 2**53-1")
            if byte < 0x80:
                self._pos = pos
                return n
            shift += 7

    def read_var_int(self) -> int:
        """Read a varInt (sign in bit 0x40 of the first byte)."""
        first = self.read_uint8()
        n = first & 0x3F
        negative = bool(first & 0x40)
        if first & 0x80:
            data = self._data
            pos = self._pos
            end = len(data)
            shift = 6
            while True:
                if pos >= end:
                    raise ProtocolError("unexpected end of data in varInt")
                byte = data[pos]
                pos += 1
                n |= (byte & 0x7F) << shift
                if n > MAX_SAFE_INTEGER:
                    raise ProtocolError("varInt exceeds 2**53-1")
                if byte < 0x80:
                    break
                shift += 7
            self._pos = pos
        return -n if negative else n

    def read_var_uint8_array(self) -> bytes:
        """Read a varUint length and that many bytes."""
        return self._take(self.read_var_uint())

    def read_var_string(self) -> str:
        """Read a varUint UTF-8 byte length and the string; invalid UTF-8 is an error."""
        raw = self._take(self.read_var_uint())
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("invalid UTF-8 in string") from exc

    def read_tail(self) -> bytes:
        """Read every remaining byte."""
        rest = self._data[self._pos :]
        self._pos = len(self._data)
        return rest

    def read_any(self) -> object:
        """Read a lib0 ``any`` value (see the module docstring for the Python types)."""
        return self._read_any(0)

    def _read_count(self, min_item_size: int) -> int:
        count = self.read_var_uint()
        if count * min_item_size > len(self._data) - self._pos:
            raise ProtocolError("unexpected end of data: count exceeds the remaining bytes")
        return count

    def _read_any(self, depth: int) -> object:
        if depth > MAX_ANY_DEPTH:
            raise ProtocolError("lib0 any value nested too deeply")
        tag = self.read_uint8()
        if tag == 119:
            return self.read_var_string()
        if tag == 125:
            return self.read_var_int()
        if tag == 126:
            return None
        if tag == 127:
            return UNDEFINED
        if tag == 120:
            return True
        if tag == 121:
            return False
        if tag == 123:
            return float(_F64.unpack(self._take(8))[0])
        if tag == 124:
            return float(_F32.unpack(self._take(4))[0])
        if tag == 122:
            return int(_I64.unpack(self._take(8))[0])
        if tag == 118:
            obj: dict[str, object] = {}
            for _ in range(self._read_count(2)):
                key = self.read_var_string()
                obj[key] = self._read_any(depth + 1)
            return obj
        if tag == 117:
            return [self._read_any(depth + 1) for _ in range(self._read_count(1))]
        if tag == 116:
            return self.read_var_uint8_array()
        raise ProtocolError(f"unknown lib0 any tag {tag}")
