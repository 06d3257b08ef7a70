"""Readable reasons for video decoder failures (decord, PyAV, OpenCV)."""
import re

# decord prefixes each message with '[hh:mm:ss] /path/file.cc:LINE: ' (once
# per re-raise) and appends a C++ backtrace
_DECORD_PREFIX = re.compile(r'\[\d\d:\d\d:\d\d\] \S+:\d+: ')


def decoder_reason(exc: BaseException) -> str:
    """``'ExcType: first meaningful line'`` of a decoder exception."""
    lines = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()]
    text = _DECORD_PREFIX.sub('', lines[0]) if lines else ''
    return f'{type(exc).__name__}: {text}' if text else type(exc).__name__
