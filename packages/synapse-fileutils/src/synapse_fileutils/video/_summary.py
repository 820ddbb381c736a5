r"""Read a video's metadata from ffmpeg's own summary of its input, for machines without ffprobe.

``ffmpeg -i FILE`` with no output prints the input's summary (libavformat's ``av_dump_format``) and exits. Its layout
has been stable for many years; this reads the container name, duration and bit rate, and each stream's codec, size,
average frame rate and audio layout. The summary rounds: the duration to 10 ms, the bit rate to 1 kbit/s, the frame
rate to two decimals.

The summary starts after the header that names the input; the header is found by the exact URL that was passed, so
a file name holding a line break cannot forge stream lines. Metadata values that span lines are printed behind a
``:`` and never parse as streams.

Example:
    >>> text = (
    ...     "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'file:/v/a.mp4':\n"
    ...     "  Duration: 00:00:02.00, start: 0.000000, bitrate: 138 kb/s\n"
    ...     "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 160x120 "
    ...     "[SAR 1:1 DAR 4:3], 68 kb/s, 10 fps, 10 tbr, 10240 tbn (default)\n"
    ...     "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 22050 Hz, mono, fltp, 61 kb/s (default)\n"
    ... )
    >>> summary = parse_summary(text.encode(), "file:/v/a.mp4")
    >>> summary.format_name, summary.duration, summary.bitrate
    ('mov,mp4,m4a,3gp,3g2,mj2', 2.0, 138000)
    >>> [(s.kind, s.codec) for s in summary.streams]
    [('video', 'h264'), ('audio', 'aac')]
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

#: Bytes of ffmpeg's stderr kept for the summary (metadata and chapters come before the streams).
SUMMARY_LIMIT = 4 * 1024 * 1024

_DURATION = re.compile(
    r"^\s*Duration: (?:(\d+):(\d\d):(\d\d(?:\.\d+)?)|N/A)(?:, start: [^,]*)?(?:, bitrate: (\d+) kb/s)?"
)
_STREAM = re.compile(r"^\s*Stream #\d+:\d+\S*: (Video|Audio): (.*)$")
_SIZE = re.compile(r", (\d+)x(\d+)(?=[ ,]|$)")
_FPS = re.compile(r", (\d+(?:\.\d+)?)(k?) fps(?=,|$| )")
_SAMPLE_RATE = re.compile(r", (\d+) Hz, ([^,]+)")
_NAMED_LAYOUTS = {
    "mono": 1, "stereo": 2, "downmix": 2, "binaural": 2, "quad": 4, "hexagonal": 6, "octagonal": 8, "cube": 8,
    "hexadecagonal": 16,
}  # fmt: skip
_NUMBERED_LAYOUT = re.compile(r"^(\d+(?:\.\d+)*)(?:\([^)]*\))?$")  # "5.1", "7.1.4", "5.1(side)": the parts add up
_CHANNELS = re.compile(r"^(\d+) channels(?: \(.*\))?$")
_CUSTOM_LAYOUT = re.compile(r"^[A-Za-z0-9@]+(?:\+[A-Za-z0-9@]+)+$")  # "FL+FR+LFE"


@dataclass
class Stream:
    """One stream line of the summary."""

    kind: str  # "video" or "audio"
    codec: str
    width: int = 0
    height: int = 0
    fps: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    attached_pic: bool = False


@dataclass
class Summary:
    """The container fields and the streams of ffmpeg's summary."""

    format_name: str
    duration: float | None = None
    bitrate: int | None = None
    streams: list[Stream] = field(default_factory=list)


def _sanitized(data: bytes) -> bytes:
    # ffmpeg's logger prints control characters other than \b..\r as "?" (libavutil/log.c: sanitize).
    return bytes(b if 0x08 <= b <= 0x0D or b >= 0x20 else 0x3F for b in data)


def channel_count(layout: str) -> int | None:
    """Return the number of channels of an ffmpeg channel layout name.

    Args:
        layout: As ffmpeg prints it: ``"mono"``, ``"5.1(side)"``, ``"3 channels"``, ``"FL+FR+LFE"``.

    Returns:
        The channel count, or ``None`` for a name it does not know.

    Example:
        >>> [channel_count(name) for name in ["mono", "stereo", "5.1(side)", "7.1.4", "3 channels", "FL+FR", "?"]]
        [1, 2, 6, 12, 3, 2, None]
    """
    layout = layout.strip()
    if layout in _NAMED_LAYOUTS:
        return _NAMED_LAYOUTS[layout]
    if match := _NUMBERED_LAYOUT.match(layout):
        return sum(int(part) for part in match.group(1).split("."))
    if match := _CHANNELS.match(layout):
        return int(match.group(1))
    if _CUSTOM_LAYOUT.match(layout):
        return layout.count("+") + 1
    return None


def _stream(kind: str, text: str) -> Stream:
    stream = Stream(kind=kind.lower(), codec=text.split(" ", 1)[0].rstrip(",") or "unknown")
    stream.attached_pic = "(attached pic)" in text
    if kind == "Video":
        if size := _SIZE.search(text):
            stream.width, stream.height = int(size.group(1)), int(size.group(2))
        if fps := _FPS.search(text):
            rate = float(fps.group(1)) * (1000 if fps.group(2) else 1)
            stream.fps = rate if rate > 0 else None
    elif audio := _SAMPLE_RATE.search(text):
        stream.sample_rate = int(audio.group(1))
        stream.channels = channel_count(audio.group(2))
    return stream


def parse_summary(stderr: bytes, url: str) -> Summary | None:
    """Parse the summary ffmpeg printed for the input ``url``.

    Args:
        stderr: The start of ffmpeg's stderr.
        url: The input exactly as passed to ``-i``.

    Returns:
        The summary, or ``None`` when ffmpeg printed none for that input (it could not open it).
    """
    marker = b", from '" + _sanitized(os.fsencode(url)) + b"':\n"
    end = stderr.find(marker)
    if end < 0:
        return None
    start = stderr.rfind(b"Input #0, ", 0, end)
    if start < 0:
        return None
    summary = Summary(format_name=stderr[start + len(b"Input #0, ") : end].decode("utf-8", "replace"))
    for line in stderr[end + len(marker) :].decode("utf-8", "replace").splitlines():
        if match := _DURATION.match(line):
            hours, minutes, seconds, kbps = match.groups()
            if hours is not None:
                summary.duration = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
            summary.bitrate = int(kbps) * 1000 if kbps else None
        elif match := _STREAM.match(line):
            summary.streams.append(_stream(match.group(1), match.group(2)))
        elif line.startswith(("Input #", "Output #")):
            break  # the next file's summary
    return summary
