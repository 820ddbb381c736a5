"""Transcode options (:class:`TranscodeConfig`) and their translation to ffmpeg arguments.

Example:
    >>> TranscodeConfig(crf=20, resolution="1280x720").output_args("mp4")[:6]
    ['-c:v', 'libx264', '-preset', 'medium', '-crf', '20']
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from .errors import InvalidConfigError
from .formats import MOVFLAGS_MUXERS

__all__ = ["TranscodeConfig"]

# Codec, preset, bit rate, flag and pixel-format values: a plain token that ffmpeg cannot read as an option.
_TOKEN = re.compile(r"[A-Za-z0-9_.+:][A-Za-z0-9_.+:-]{0,63}")
_SIZE = re.compile(r"(?P<w>\d+|-1|-2)x(?P<h>\d+|-1|-2)")


def _seconds(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


@dataclass
class TranscodeConfig:
    """How :func:`~synapse_fileutils.video.transcode.transcode_video` encodes its output.

    The defaults are those of earlier Synapse SDK releases: H.264 (``libx264``, preset ``medium``, CRF 28) with AAC
    audio at 128 kbit/s, and the MP4 index at the front of the file (``+faststart``) so playback can start before the
    download ends. Fields are checked when the config is created and again when it is used.

    Attributes:
        vcodec: Video encoder (``libx264``, ``libx265``, ``libvpx-vp9``, ``h264_nvenc`` when ffmpeg has it, ...).
        preset: Encoder speed/size trade-off (``ultrafast`` ... ``veryslow``); ``None`` leaves the encoder default.
        crf: Constant rate factor, 0-63 (0-51 for x264/x265); lower is better quality and bigger files.
        acodec: Audio encoder (``aac``, ``libopus``, ...). Audio is kept when the video is scaled.
        audio_bitrate: Audio bit rate, for example ``"128k"``.
        movflags: MP4/MOV muxer flags; ignored for other containers.
        resolution: Output size ``"WIDTHxHEIGHT"`` (``-2`` for one side keeps the aspect ratio with an even size), or
            ``None`` to keep the input size.
        fps: Output frame rate, or ``None`` to keep the input rate.
        start_time: Seconds to skip at the start of the input, or ``None``.
        duration: Seconds of output to produce, or ``None`` for all.
        pix_fmt: Output pixel format (``"yuv420p"`` plays everywhere), or ``None`` for the encoder's choice. New here.

    Example:
        >>> config = TranscodeConfig(preset="fast", crf=20, resolution="1920x1080", fps=30)
        >>> config.crf, config.acodec
        (20, 'aac')
        >>> TranscodeConfig(crf=99)
        Traceback (most recent call last):
        ...
        synapse_fileutils.video.errors.InvalidConfigError: crf must be an integer from 0 to 63, got 99
    """

    vcodec: str = "libx264"
    preset: str | None = "medium"
    crf: int = 28
    acodec: str = "aac"
    audio_bitrate: str = "128k"
    movflags: str | None = "+faststart"
    resolution: str | None = None
    fps: int | None = None
    start_time: float | None = None
    duration: float | None = None
    pix_fmt: str | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field.

        Raises:
            InvalidConfigError: Naming the first invalid field and its value.

        Example:
            >>> TranscodeConfig().validate()
        """
        for name in ("vcodec", "acodec", "audio_bitrate"):
            self._check_token(name, getattr(self, name), optional=False)
        for name in ("preset", "movflags", "pix_fmt"):
            self._check_token(name, getattr(self, name), optional=True)
        if isinstance(self.crf, bool) or not isinstance(self.crf, int) or not 0 <= self.crf <= 63:
            raise InvalidConfigError(f"crf must be an integer from 0 to 63, got {self.crf!r}")
        if self.resolution is not None:
            match = _SIZE.fullmatch(str(self.resolution))
            if match is None or "0" in (match["w"].lstrip("0") or "0", match["h"].lstrip("0") or "0"):
                raise InvalidConfigError(f"resolution must look like '1920x1080', got {self.resolution!r}")
        if self.fps is not None and not self._positive(self.fps):
            raise InvalidConfigError(f"fps must be a positive number, got {self.fps!r}")
        if self.start_time is not None and not (self._positive(self.start_time) or self.start_time == 0):
            raise InvalidConfigError(f"start_time must be a number of seconds >= 0, got {self.start_time!r}")
        if self.duration is not None and not self._positive(self.duration):
            raise InvalidConfigError(f"duration must be a positive number of seconds, got {self.duration!r}")

    @staticmethod
    def _positive(value: object) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0

    @staticmethod
    def _check_token(name: str, value: object, *, optional: bool) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or _TOKEN.fullmatch(value) is None:
            raise InvalidConfigError(f"{name} must be a plain ffmpeg value such as a codec name, got {value!r}")

    def input_args(self) -> list[str]:
        """Return the ffmpeg options that go before ``-i`` (the fast, accurate seek).

        Returns:
            An argv fragment.

        Example:
            >>> TranscodeConfig(start_time=1.5).input_args()
            ['-ss', '1.5']
        """
        return ["-ss", _seconds(self.start_time)] if self.start_time else []

    def output_args(self, muxer: str) -> list[str]:
        """Return the ffmpeg output options for this config.

        Args:
            muxer: The output muxer; ``movflags`` is passed only to MP4, MOV and 3GP.

        Returns:
            An argv fragment (without ``-f`` and the output name).

        Raises:
            InvalidConfigError: If a field was changed to an invalid value after creation.

        Example:
            >>> TranscodeConfig(duration=2, fps=15, preset=None).output_args("matroska")
            ['-t', '2', '-c:v', 'libx264', '-crf', '28', '-vf', 'fps=15', '-c:a', 'aac', '-b:a', '128k']
        """
        self.validate()
        args: list[str] = []
        if self.duration is not None:
            args += ["-t", _seconds(self.duration)]
        args += ["-c:v", self.vcodec]
        if self.preset is not None:
            args += ["-preset", self.preset]
        args += ["-crf", str(self.crf)]
        # The fps filter drops or repeats frames exactly; `-r` on the output can add a trailing frame.
        filters = [] if self.fps is None else [f"fps={_seconds(self.fps)}"]
        if self.resolution is not None:
            width, _, height = self.resolution.partition("x")
            filters.append(f"scale={width}:{height}")
        if filters:
            args += ["-vf", ",".join(filters)]
        if self.pix_fmt is not None:
            args += ["-pix_fmt", self.pix_fmt]
        args += ["-c:a", self.acodec, "-b:a", self.audio_bitrate]
        if self.movflags and muxer in MOVFLAGS_MUXERS:
            args += ["-movflags", self.movflags]
        return args
