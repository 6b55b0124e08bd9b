"""Notice a model stream looping: the same block of text over and over.

Small models fall into loops ("* The code is already written." forty times, or one sentence
repeated until the context is full). `RepetitionGuard` watches the stream's text, holds back
what may be the start of a repeat, and says when a block has come back often enough to be a
loop. The caller then closes the model stream and keeps what the guard released: the text
before the loop and its first occurrence (plus, at most, the few characters of the second that
went out before they could be recognised).

A loop is a period `p` of the text's end: the last `r * p` characters are `r` copies of one
block. It counts when `r` reaches `min_repeats` *and* the copies cover `min_span` characters
(so a short line needs more repeats than a long block), and when the block has
`min_distinct` different visible characters (so `}` closers, `0, 0, 0` tables and `-----`
rulers never count). Legitimately similar code, such as `elif` chains or a table of constants,
differs from line to line and is never a period.
"""

from __future__ import annotations

#: The text's end is looked up earlier in the text with this many characters.
_KEY_CHARS = 8
#: Candidate periods examined per step (the nearest ones; a loop's period is found among them).
_MAX_CANDIDATES = 32


class RepetitionGuard:
    """Feed it a stream's deltas; it returns the text safe to pass on, and notices loops."""

    def __init__(
        self,
        *,
        min_repeats: int = 3,
        min_span: int = 200,
        max_period: int = 2000,
        min_distinct: int = 5,
    ) -> None:
        self.min_repeats = min_repeats
        self.min_span = min_span
        self.max_period = max_period
        self.min_distinct = min_distinct
        #: The end of the stream, as far back as a loop can reach.
        self._window = ""
        #: Characters of the stream before the window.
        self._dropped = 0
        #: Characters of the stream passed on so far.
        self._released = 0
        self.looping = False

    def feed(self, text: str) -> str:
        """Take a delta; return the part of the stream that is now safe to pass on.

        Once `looping` is set, the stream should be closed: further text is ignored.
        """
        if self.looping or not text:
            return ""
        self._window += text
        end = self._dropped + len(self._window)
        repeated, period = self._repeated_suffix()
        if period and repeated + period >= max(self.min_repeats * period, self.min_span):
            self.looping = True
            return self._release_to(end - repeated)
        held = max(repeated, self._partial_line_seen_before())
        released = self._release_to(end - held)
        self._trim_window()
        return released

    def finish(self) -> str:
        """The stream ended: the text held back is not a loop after all."""
        if self.looping:
            return ""
        return self._release_to(self._dropped + len(self._window))

    def _release_to(self, position: int) -> str:
        if position <= self._released:
            return ""
        start = self._released - self._dropped
        self._released = position
        return self._window[start : position - self._dropped]

    def _repeated_suffix(self) -> tuple[int, int]:
        """`(m, p)`: the text's last `m` characters equal the `m` before them shifted by `p`
        (a repeat of period `p` in progress), for the period with the longest such `m`, among
        blocks varied enough to count. `(0, 0)` when the end repeats nothing."""
        text = self._window
        if len(text) < 2 * _KEY_CHARS:
            return 0, 0
        key = text[-_KEY_CHARS:]
        lowest = max(0, len(text) - self.max_period - _KEY_CHARS)
        best = (0, 0)
        search_end = len(text) - 1
        for _ in range(_MAX_CANDIDATES):
            found = text.rfind(key, lowest, search_end)
            if found < 0:
                break
            period = len(text) - (found + _KEY_CHARS)
            if self._varied(text[-period:]):  # before the costlier comparison
                repeated = _common_suffix(text, period)
                best = (repeated, period) if repeated > best[0] else best
            search_end = found + _KEY_CHARS - 1
        return best

    def _varied(self, block: str) -> bool:
        return len(set(block) - set(" \t\r\n")) >= self.min_distinct

    def _partial_line_seen_before(self) -> int:
        """The unfinished last line's length, if an earlier line started the same way: it may
        be the first line of a repeat, which the period check recognises only later."""
        text = self._window if self._dropped else "\n" + self._window  # the first line too
        start = text.rfind("\n")
        line = text[start:]  # with its leading line break
        return len(line) - 1 if len(line) > 1 and text.find(line) < start else 0

    def _trim_window(self) -> None:
        """Forget text no loop can reach (and which has been passed on)."""
        keep = self.min_repeats * self.max_period + self.min_span
        excess = min(len(self._window) - keep, self._released - self._dropped)
        if excess > keep:  # trim in large steps: slicing copies the window
            self._window = self._window[excess:]
            self._dropped += excess


def _common_suffix(text: str, period: int) -> int:
    """How many characters at the end of `text` equal those `period` earlier."""
    low, high = 0, len(text) - period
    while low < high:  # the longest m with text[-m:] == text[-m - period : -period]
        middle = (low + high + 1) // 2
        if text[len(text) - middle :] == text[len(text) - middle - period : len(text) - period]:
            low = middle
        else:
            high = middle - 1
    return low
