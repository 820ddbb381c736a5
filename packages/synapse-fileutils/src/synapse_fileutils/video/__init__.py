"""Video utilities on top of the ffmpeg and ffprobe binaries: probe, transcode (sync, async, batch), clips, frames.

Needs FFmpeg: the system's (``apt-get install ffmpeg``, ``brew install ffmpeg``) when one is on ``PATH`` or named by
``SYNAPSE_FFMPEG_BINARY`` / ``SYNAPSE_FFPROBE_BINARY``, otherwise the one the ``video`` extra installs from PyPI
(``pip install "synapse-fileutils[video]"``); see :func:`find_ffmpeg`. Importing this package does not start any
process.

Example:
    >>> from synapse_fileutils.video import TranscodeConfig, validate_video_format
    >>> validate_video_format("movie.mov")
    True
    >>> TranscodeConfig().vcodec
    'libx264'
"""

from __future__ import annotations

from .batch import BatchItem, BatchResult, transcode_batch
from .binaries import find_ffmpeg, find_ffprobe
from .config import TranscodeConfig
from .errors import (
    FFmpegNotFoundError,
    InputNotFoundError,
    InvalidConfigError,
    TranscodingFailedError,
    UnsupportedFormatError,
    VideoProbeError,
    VideoTranscodeError,
)
from .formats import SUPPORTED_FORMATS, validate_video_format
from .frames import extract_clip, extract_thumbnail
from .probe import VideoInfo, aget_video_info, get_video_info, parse_frame_rate
from .transcode import (
    PercentCallback,
    atranscode_video,
    build_transcode_command,
    optimize_for_web,
    transcode_video,
    web_config,
)

__all__ = [
    "SUPPORTED_FORMATS",
    "BatchItem",
    "BatchResult",
    "FFmpegNotFoundError",
    "InputNotFoundError",
    "InvalidConfigError",
    "PercentCallback",
    "TranscodeConfig",
    "TranscodingFailedError",
    "UnsupportedFormatError",
    "VideoInfo",
    "VideoProbeError",
    "VideoTranscodeError",
    "aget_video_info",
    "atranscode_video",
    "build_transcode_command",
    "extract_clip",
    "extract_thumbnail",
    "find_ffmpeg",
    "find_ffprobe",
    "get_video_info",
    "optimize_for_web",
    "parse_frame_rate",
    "transcode_batch",
    "transcode_video",
    "validate_video_format",
    "web_config",
]
