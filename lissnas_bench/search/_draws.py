"""``Generator.integers(0, n)`` in pure Python, draw for draw the same as NumPy's, for hot loops of scalar draws.

A NumPy call costs about a microsecond of overhead; regularised evolution in a small shrunk space makes tens of
thousands of tiny draws per search (a tournament and a mutation per generation), so the overhead dominates.
``BoundedDraws`` reads the generator's raw 64-bit outputs in blocks from a copy of its bit generator and applies
NumPy's own algorithm for bounded integers below 2**32 (Lemire's multiply-shift with rejection, on 32-bit halves
of the 64-bit outputs, the low half first, the high half kept for the next draw, exactly as ``PCG64.next_uint32``
does).  ``sync()`` puts the generator where the same draws through NumPy would have left it, so code that uses
the generator afterwards (or in between) sees the same stream: results are bit-identical either way, which
``tests/test_search.py`` checks against NumPy for PCG64, the bit generator of ``numpy.random.default_rng``.

Only a ``PCG64`` generator is emulated; ``BoundedDraws.supports(rng)`` says whether one is, and callers keep the
NumPy path for any other.

>>> import numpy as np
>>> a, b = np.random.default_rng(7), np.random.default_rng(7)
>>> d = BoundedDraws(a)
>>> [d.below(n) for n in (10, 3, 1, 7)] == [int(b.integers(0, n)) for n in (10, 3, 1, 7)]
True
>>> d.sync(); a.random() == b.random()
True
"""

from __future__ import annotations

import numpy as np

_BLOCK = 512
_MASK32 = 0xFFFFFFFF


class BoundedDraws:
    """Exact ``rng.integers(0, n)`` (``1 <= n <= 2**32 - 1``) for a PCG64 ``Generator``; call ``sync()`` before
    the generator itself is used again."""

    @staticmethod
    def supports(rng) -> bool:
        return type(getattr(rng, "bit_generator", None)) is np.random.PCG64

    def __init__(self, rng: np.random.Generator):
        if not self.supports(rng):
            raise TypeError(f"BoundedDraws emulates PCG64 only, not {type(rng.bit_generator).__name__}")
        self._bg = rng.bit_generator
        self._load()

    def _load(self) -> None:
        self._start = self._bg.state
        self._copy = np.random.PCG64()
        self._copy.state = self._start
        # the 32-bit stream: the bit generator's buffered high half (if it has one), then the low and the high
        # half of each raw output in turn
        self._lead = int(self._start["has_uint32"])
        self._u32: list[int] = [int(self._start["uinteger"])] if self._lead else []
        self._pos = 0  # next value of _u32
        self._taken = 0  # values of the stream consumed since _start
        self._synced = False

    def _refill(self) -> None:
        raw = self._copy.random_raw(_BLOCK)
        halves = np.empty(2 * _BLOCK, dtype=np.uint64)
        halves[0::2], halves[1::2] = raw & np.uint64(_MASK32), raw >> np.uint64(32)
        self._u32 = self._u32[self._pos:] + halves.tolist()
        self._pos = 0

    def _next32(self) -> int:
        if self._pos == len(self._u32):
            self._refill()
        self._pos += 1
        self._taken += 1
        return self._u32[self._pos - 1]

    def below(self, n: int) -> int:
        """A uniform integer in ``[0, n)``: what ``rng.integers(0, n)`` would return."""
        if n == 1:  # NumPy returns the lower bound without drawing
            return 0
        if self._synced:  # the generator may have been used since: start again from where it is
            self._load()
        if self._pos < len(self._u32):  # the common case, inlined
            m = self._u32[self._pos] * n
            self._pos += 1
            self._taken += 1
        else:
            m = self._next32() * n
        low = m & _MASK32
        if low < n:  # Lemire's rejection, as NumPy does it
            threshold = ((1 << 32) - n) % n
            while low < threshold:
                m = self._next32() * n
                low = m & _MASK32
        return m >> 32

    def take(self, n: int, k: int) -> list[int]:
        """``k`` draws below ``n`` (``[below(n) for _ in range(k)]``, in one call)."""
        if n == 1:
            return [0] * k
        if self._synced:
            self._load()
        pos = self._pos
        if pos + k > len(self._u32):
            return [self.below(n) for _ in range(k)]
        out = []
        for u in self._u32[pos:pos + k]:
            m = u * n
            if m & _MASK32 < n:  # a possible rejection (about one draw in 2**32 / n): one by one, exactly
                return [self.below(n) for _ in range(k)]
            out.append(m >> 32)
        self._pos = pos + k
        self._taken += k
        return out

    def sync(self) -> None:
        """Leave the generator exactly where NumPy's draws would have; the generator may then be used directly,
        and the next ``below`` continues from wherever it is then."""
        if self._synced:
            return
        from_raw = max(self._taken - self._lead, 0)  # values that came from raw outputs
        if self._taken:
            self._bg.state = self._start
            self._bg.advance((from_raw + 1) // 2)  # resets the buffered half: set it below
            state = self._bg.state
            if from_raw % 2:  # the high half of the last raw output is still to be used
                state["has_uint32"], state["uinteger"] = 1, self._u32[self._pos]
            else:
                state["has_uint32"], state["uinteger"] = 0, 0
            self._bg.state = state
        self._synced = True
