"""Video utilities against the real ffmpeg/ffprobe binaries, on small clips generated with ``-f lavfi``.

The module runs twice under nox: with the system FFmpeg, and with ``SYNAPSE_TEST_FFMPEG=wheel`` (conftest.py), where
PATH has no ffmpeg or ffprobe and only the ``video`` extra's FFmpeg is there.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from synapse_fileutils.errors import FileUtilsError
from synapse_fileutils.http import redact_text
from synapse_fileutils.video import (
    SUPPORTED_FORMATS,
    FFmpegNotFoundError,
    InputNotFoundError,
    InvalidConfigError,
    TranscodeConfig,
    TranscodingFailedError,
    UnsupportedFormatError,
    VideoProbeError,
    VideoTranscodeError,
    _ffmpeg,
    aget_video_info,
    atranscode_video,
    build_transcode_command,
    extract_clip,
    extract_thumbnail,
    find_ffmpeg,
    find_ffprobe,
    get_video_info,
    optimize_for_web,
    parse_frame_rate,
    transcode_batch,
    transcode_video,
    validate_video_format,
)
from synapse_fileutils.video import transcode as documented_module

ffmpeg_only = pytest.mark.ffmpeg
WHEEL_ONLY = os.environ.get("SYNAPSE_TEST_FFMPEG") == "wheel"


def make_clip(path: Path, seconds: float, size: str = "160x120", rate: int = 10, audio: bool = True) -> Path:
    """Write a testsrc clip (H.264 + AAC sine) with the real ffmpeg."""
    argv = [find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}"]  # fmt: skip
    if audio:
        argv += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=22050"]
    argv += ["-t", str(seconds), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    argv += ["-c:a", "aac"] if audio else []
    subprocess.run([*argv, str(path)], check=True)
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    return {
        "short": make_clip(folder / "short.mp4", 2),
        "four": make_clip(folder / "four.mkv", 4),
        # Long enough that a slow preset is still running when a test interrupts it.
        "long": make_clip(folder / "long.mp4", 20, size="320x240"),
        "silent": make_clip(folder / "silent.mp4", 1, audio=False),
    }


@pytest.fixture
def corrupt(tmp_path: Path) -> Path:
    path = tmp_path / "corrupt.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"not really a video " * 200)
    return path


def ffmpeg_summary(path: Path) -> str:
    """ffmpeg's summary of a file we wrote ourselves (pixel formats, images: what VideoInfo does not hold)."""
    return subprocess.run([find_ffmpeg(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                          check=False).stderr  # fmt: skip


def names(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def ffmpeg_processes_mentioning(text: str) -> list[int]:
    """Live processes whose command line contains ``text`` (ffmpeg's argv holds the temp path)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if text.encode() in cmdline and b"ffmpeg" in cmdline:
                found.append(int(entry.name))
    return found


SLOW = TranscodeConfig(preset="veryslow", crf=18)


# --- formats, parsing and config: no binaries needed -------------------------------------------------------------


@pytest.mark.parametrize("ext", sorted(SUPPORTED_FORMATS))
def test_documented_extensions_are_valid_in_any_case(ext: str) -> None:
    assert validate_video_format(f"dir/video{ext}")
    assert validate_video_format(Path(f"VIDEO{ext.upper()}"))


@pytest.mark.parametrize("name", ["notes.txt", "video", "archive.mp4.zip", "clip.xyz", ".mp4"])
def test_other_names_are_not_valid(name: str) -> None:
    assert not validate_video_format(name)


def test_supported_formats_match_the_documented_list() -> None:
    documented = {"mp4", "m4v", "avi", "mov", "mkv", "webm", "flv", "wmv", "mpeg", "mpg", "3gp", "ogv"}
    assert {f".{ext}" for ext in documented} == SUPPORTED_FORMATS


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30000/1001", 30000 / 1001), ("25/1", 25.0), ("24", 24.0), ("0/0", None), ("", None), (None, None),
     ("1/0", None), ("__import__('os').system('x')", None), ("nan", None), ("-5/1", None)],
)  # fmt: skip
def test_frame_rate_is_parsed_without_eval(text: str | None, expected: float | None) -> None:
    assert parse_frame_rate(text) == expected


def test_config_defaults_are_the_documented_ones() -> None:
    config = TranscodeConfig()
    assert (config.vcodec, config.preset, config.crf, config.acodec, config.audio_bitrate, config.movflags) == (
        "libx264", "medium", 28, "aac", "128k", "+faststart"
    )  # fmt: skip
    assert (config.resolution, config.fps, config.start_time, config.duration) == (None, None, None, None)


@pytest.mark.parametrize(
    "fields",
    [{"crf": 64}, {"crf": -1}, {"crf": True}, {"crf": 20.5}, {"resolution": "big"}, {"resolution": "0x100"},
     {"resolution": "1920x1080;rm"}, {"fps": 0}, {"fps": float("inf")}, {"start_time": -1}, {"duration": 0},
     {"vcodec": "-f"}, {"vcodec": "libx264 -y"}, {"acodec": ""}, {"preset": "fast\nslow"}, {"audio_bitrate": None}],
)  # fmt: skip
def test_invalid_config_raises_typed_value_error(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidConfigError) as info:
        TranscodeConfig(**fields)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, VideoTranscodeError)


def test_config_changed_after_creation_is_checked_when_used(clips: dict[str, Path], tmp_path: Path) -> None:
    config = TranscodeConfig()
    config.crf = 99
    with pytest.raises(InvalidConfigError):
        transcode_video(clips["short"], tmp_path / "out.mp4", config)
    assert names(tmp_path) == set()


def test_error_tree() -> None:
    for error in (UnsupportedFormatError, FFmpegNotFoundError, TranscodingFailedError, VideoProbeError):
        assert issubclass(error, VideoTranscodeError)
    assert issubclass(VideoTranscodeError, FileUtilsError)
    assert issubclass(InputNotFoundError, FileNotFoundError)


def test_documented_module_path_exports_the_api() -> None:
    for name in (
        "validate_video_format",
        "get_video_info",
        "transcode_video",
        "TranscodeConfig",
        "optimize_for_web",
        "VideoTranscodeError",
        "UnsupportedFormatError",
        "FFmpegNotFoundError",
        "TranscodingFailedError",
    ):
        assert hasattr(documented_module, name), name


def test_stderr_tail_is_bounded_and_redacted() -> None:
    tail = _ffmpeg.StderrTail(max_lines=3, max_line=100)
    tail.feed(b"".join(b"line %d\n" % i for i in range(100)))
    tail.feed(b"x" * 10_000 + b"\nhttps://user:pw@s3.example/b/v.mp4?X-Amz-Signature=s3cr3t&t=1 403\n")
    lines = tail.lines()
    assert len(lines) == 3
    assert lines[0] == "line 99"
    assert lines[1] == "x" * 100
    assert "s3cr3t" not in lines[2]
    assert "pw" not in lines[2]
    assert lines[2].endswith("403")
    # the SDK's one redaction, not a video-only variant: the same line reads the same in every error of the SDK
    assert lines[2] == redact_text("https://user:pw@s3.example/b/v.mp4?X-Amz-Signature=s3cr3t&t=1 403")


def test_stderr_tail_hides_tokens_outside_urls() -> None:
    tail = _ffmpeg.StderrTail()
    tail.feed(b"[http @ 0x1] Authorization: Bearer eyJhbGciOi.J9abc rejected\n\xff\xfe access_token=t0k3n\n")
    text = "\n".join(tail.lines())
    assert "eyJhbGciOi" not in text
    assert "t0k3n" not in text


def test_a_chatty_process_never_blocks_on_a_full_stderr_pipe() -> None:
    # 4 MiB of stderr before any stdout: a reader that waits on stdout alone would deadlock here.
    script = "import sys; sys.stderr.write('warning: chatty\\n' * 300000); sys.stderr.flush(); print('out_time_us=5')"
    seen: list[float] = []
    returncode, tail, _ = _ffmpeg.run(
        [sys.executable, "-c", script], progress=_ffmpeg.ProgressTracker(1e-5, seen.append)
    )
    assert returncode == 0
    assert tail == ["warning: chatty"] * _ffmpeg.TAIL_LINES
    assert seen == [50.0]  # 5 of 10 microseconds


# --- errors that need no ffmpeg run -------------------------------------------------------------------------------


def test_unsupported_extensions_raise_before_anything_runs(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFormatError) as info:
        transcode_video(tmp_path / "input.xyz", tmp_path / "output.mp4")
    assert info.value.path.endswith("input.xyz")
    with pytest.raises(UnsupportedFormatError):
        transcode_video(clips["short"], tmp_path / "output.txt")
    with pytest.raises(UnsupportedFormatError):
        extract_thumbnail(clips["short"], tmp_path / "frame.gif")
    assert names(tmp_path) == set()


def test_missing_input_raises_input_not_found(tmp_path: Path) -> None:
    with pytest.raises(InputNotFoundError):
        transcode_video(tmp_path / "missing.mp4", tmp_path / "out.mp4")
    with pytest.raises(FileNotFoundError):
        get_video_info(tmp_path / "missing.mp4")


def test_missing_ffmpeg_raises_ffmpeg_not_found(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)  # the `video` extra is not installed
    with pytest.raises(FFmpegNotFoundError, match=r"synapse-fileutils\[video\]") as info:
        transcode_video(clips["short"], tmp_path / "out.mp4")
    assert info.value.binary == "ffmpeg"
    with pytest.raises(FFmpegNotFoundError) as info:
        get_video_info(clips["short"])  # no ffprobe, and no ffmpeg to read the summary from
    assert info.value.binary == "ffmpeg"
    assert not (tmp_path / "out.mp4").exists()


def test_missing_ffmpeg_in_a_fresh_interpreter(clips: dict[str, Path], tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "sys.modules['imageio_ffmpeg'] = None  # as without the video extra\n"
        "from synapse_fileutils.video import transcode_video, FFmpegNotFoundError\n"
        "try:\n    transcode_video(sys.argv[1], sys.argv[2])\n"
        "except FFmpegNotFoundError as exc:\n    print('missing', exc.binary)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("SYNAPSE_FF")}
    env["PATH"] = str(tmp_path)  # no ffmpeg in here
    result = subprocess.run(
        [sys.executable, "-c", script, str(clips["short"]), str(tmp_path / "out.mp4")],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.strip() == "missing ffmpeg"


# --- finding FFmpeg: the system's first, else the video extra's wheel ----------------------------------------------


def _wheel_dir() -> Path:
    import imageio_ffmpeg

    return Path(imageio_ffmpeg.__file__).resolve().parent


def test_the_ffmpeg_in_use_is_the_expected_one() -> None:
    system = shutil.which(os.environ.get("SYNAPSE_FFMPEG_BINARY") or "ffmpeg")
    if WHEEL_ONLY:
        assert system is None
        assert shutil.which("ffprobe") is None
    if system is None:  # a fresh machine: the video extra's wheel
        assert Path(find_ffmpeg()).resolve().is_relative_to(_wheel_dir())
        assert find_ffprobe() is None
    else:  # the system FFmpeg wins
        assert find_ffmpeg() == os.path.abspath(system)


def test_an_ffmpeg_on_path_wins_over_the_wheel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from synapse_testkit.pathfarm import path_without

    system = tmp_path / "system-bin"
    system.mkdir()
    (system / "ffmpeg").symlink_to(find_ffmpeg())
    monkeypatch.delenv("SYNAPSE_FFMPEG_BINARY", raising=False)
    monkeypatch.setenv("PATH", os.pathsep.join([str(system), path_without({"ffmpeg", "ffprobe"}, tmp_path / "rest")]))
    assert find_ffmpeg() == str(system / "ffmpeg")
    assert find_ffprobe() is None


def test_without_ffmpeg_on_path_the_wheel_transcodes_and_probes(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synapse_testkit.pathfarm import path_without

    with_system = get_video_info(clips["short"])
    monkeypatch.delenv("SYNAPSE_FFMPEG_BINARY", raising=False)
    monkeypatch.delenv("SYNAPSE_FFPROBE_BINARY", raising=False)
    monkeypatch.setenv("PATH", path_without({"ffmpeg", "ffprobe"}, tmp_path / "bin"))
    assert Path(find_ffmpeg()).resolve().is_relative_to(_wheel_dir())
    assert find_ffprobe() is None
    # ffmpeg's summary gives the fields ffprobe gives, rounded as ffmpeg prints them.
    info = get_video_info(clips["short"])
    assert info["duration"] == pytest.approx(with_system["duration"], abs=0.01)
    assert info["bitrate"] == pytest.approx(with_system["bitrate"], abs=1000)
    assert {k: v for k, v in info.items() if k not in ("duration", "bitrate")} == {
        k: v for k, v in with_system.items() if k not in ("duration", "bitrate")
    }
    out = transcode_video(clips["short"], tmp_path / "out.webm", TranscodeConfig(vcodec="libvpx-vp9", preset=None,
                                                                                 crf=40, acodec="libopus"))  # fmt: skip
    assert get_video_info(out)["video_codec"] == "vp9"


def test_binary_override_that_does_not_exist_raises(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SYNAPSE_FFMPEG_BINARY", str(tmp_path / "no-such-ffmpeg"))
    with pytest.raises(FFmpegNotFoundError, match="SYNAPSE_FFMPEG_BINARY"):
        transcode_video(clips["short"], tmp_path / "out.mp4")


@ffmpeg_only
def test_a_file_name_cannot_forge_lines_of_ffmpegs_summary(
    clips: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from synapse_testkit.pathfarm import path_without

    forged = tmp_path / "x.mp4':\n  Duration: 09:00:00.00, start: 0\n  Stream #0:0: Video: evil, 9999x9999, 1 fps\n.mp4"
    shutil.copy(clips["short"], forged)
    monkeypatch.delenv("SYNAPSE_FFPROBE_BINARY", raising=False)
    monkeypatch.setenv("PATH", path_without({"ffprobe"}, tmp_path / "bin"))
    info = get_video_info(forged)
    assert (info["width"], info["height"], info["video_codec"], info["fps"]) == (160, 120, "h264", 10.0)
    assert info["duration"] == pytest.approx(2.0, abs=0.1)


# --- hostile inputs: a file is opened only as the container it claims, from local files only ------------------------


@pytest.fixture
def playlists(tmp_path: Path) -> dict[str, Path]:
    """Text files posing as videos that name a local "secret" segment: an HLS playlist and an ffconcat list."""
    secret = tmp_path / "secret.ts"
    argv = [find_ffmpeg(), "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i", "testsrc=size=64x48", "-t", "2",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-f", "mpegts", str(secret)]  # fmt: skip
    subprocess.run(argv, check=True)
    hls = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nsecret.ts\n#EXT-X-ENDLIST\n"
    found = {
        "hls.mp4": hls,
        "hls.m3u8": hls,  # another extension: any video container by content, but never a playlist
        "concat.mp4": "ffconcat version 1.0\nfile 'secret.ts'\n",
        "concat.mkv": "ffconcat version 1.0\nfile 'secret.ts'\n",
    }
    for name, text in found.items():
        (tmp_path / name).write_text(text)
    return {name: tmp_path / name for name in found}


@ffmpeg_only
@pytest.mark.parametrize("name", ["hls.mp4", "hls.m3u8", "concat.mp4", "concat.mkv"])
def test_a_playlist_posing_as_a_video_reads_no_other_file(
    playlists: dict[str, Path], tmp_path: Path, name: str
) -> None:
    source = playlists[name]
    with pytest.raises(VideoProbeError):
        get_video_info(source)
    with pytest.raises(VideoProbeError):
        asyncio.run(aget_video_info(source))
    if validate_video_format(source):
        out = tmp_path / "out"
        with pytest.raises(TranscodingFailedError):
            transcode_video(source, out / "copy.mp4", TranscodeConfig(preset="ultrafast"))
        with pytest.raises(TranscodingFailedError):
            extract_thumbnail(source, out / "frame.png")
        with pytest.raises(TranscodingFailedError):
            extract_clip(source, out / "clip.mp4", start_time=0, duration=1, copy=True)
        assert names(out) == set()


def test_the_demuxer_rule_names_every_supported_extension() -> None:
    from synapse_fileutils.video.formats import _DEMUXERS, _MUXERS

    assert set(_DEMUXERS) == set(_MUXERS)
    argv = build_transcode_command("in.webm", "out.mp4")
    at = argv.index("-i")
    assert argv[at - 4 : at] == ["-format_whitelist", "matroska", "-protocol_whitelist", "file"]


# --- probing ------------------------------------------------------------------------------------------------------


@ffmpeg_only
def test_info_reports_the_clip_fields(clips: dict[str, Path]) -> None:
    info = get_video_info(clips["short"])
    assert (info["width"], info["height"], info["video_codec"], info["audio_codec"]) == (160, 120, "h264", "aac")
    assert info["fps"] == 10.0
    assert info["duration"] == pytest.approx(2.0, abs=0.1)
    assert info["size"] == clips["short"].stat().st_size
    assert info["bitrate"] is not None
    assert info["bitrate"] > 0
    assert info["has_audio"] is True
    assert (info["channels"], info["sample_rate"]) == (1, 22050)


@ffmpeg_only
def test_info_of_a_silent_clip_has_no_audio_codec(clips: dict[str, Path]) -> None:
    info = get_video_info(clips["silent"])
    assert info["audio_codec"] is None
    assert info["has_audio"] is False


@ffmpeg_only
def test_info_of_a_corrupt_file_raises_probe_error_with_stderr(corrupt: Path) -> None:
    with pytest.raises(VideoProbeError) as info:
        get_video_info(corrupt)
    assert info.value.returncode not in (None, 0)
    assert any("Invalid data" in line for line in info.value.stderr_tail)


@ffmpeg_only
def test_info_of_an_audio_only_file_says_no_video_stream(tmp_path: Path) -> None:
    audio = tmp_path / "tone.m4a"
    subprocess.run([find_ffmpeg(), "-loglevel", "error", "-nostdin", "-f", "lavfi", "-i", "sine", "-t", "0.5",
                    str(audio)], check=True)  # fmt: skip
    with pytest.raises(VideoProbeError, match="no video stream"):
        get_video_info(audio)


# --- transcoding --------------------------------------------------------------------------------------------------


@ffmpeg_only
def test_scaling_keeps_audio(clips: dict[str, Path], tmp_path: Path) -> None:
    out = transcode_video(
        clips["short"], tmp_path / "small.mp4", TranscodeConfig(preset="ultrafast", resolution="80x60")
    )
    info = get_video_info(out)
    assert (info["width"], info["height"], info["video_codec"], info["audio_codec"]) == (80, 60, "h264", "aac")
    assert names(tmp_path) == {"small.mp4"}


@ffmpeg_only
def test_fps_and_duration_are_honoured(clips: dict[str, Path], tmp_path: Path) -> None:
    config = TranscodeConfig(preset="ultrafast", fps=5, duration=1.0)
    info = get_video_info(transcode_video(clips["four"], tmp_path / "cut.mkv", config))
    assert info["fps"] == 5.0
    assert info["duration"] == pytest.approx(1.0, abs=0.15)


@ffmpeg_only
def test_start_time_skips_the_beginning(clips: dict[str, Path], tmp_path: Path) -> None:
    config = TranscodeConfig(preset="ultrafast", start_time=2.5)
    info = get_video_info(transcode_video(clips["four"], tmp_path / "tail.mp4", config))
    assert info["duration"] == pytest.approx(1.5, abs=0.15)


@ffmpeg_only
def test_other_containers_and_codecs(clips: dict[str, Path], tmp_path: Path) -> None:
    config = TranscodeConfig(vcodec="libvpx-vp9", preset=None, crf=40, acodec="libopus", audio_bitrate="48k")
    info = get_video_info(transcode_video(clips["silent"], tmp_path / "out.webm", config))
    assert (info["video_codec"], info["format_name"]) == ("vp9", "matroska,webm")


@ffmpeg_only
def test_progress_is_strictly_increasing_and_ends_at_exactly_100(clips: dict[str, Path], tmp_path: Path) -> None:
    seen: list[float] = []
    transcode_video(clips["four"], tmp_path / "out.mp4", TranscodeConfig(preset="slow"), progress_callback=seen.append)
    assert len(seen) >= 2
    assert all(0 <= a < b for a, b in itertools.pairwise(seen))
    assert seen[-1] == 100.0
    assert seen.count(100.0) == 1


@ffmpeg_only
def test_progress_of_a_part_is_measured_against_the_part(clips: dict[str, Path], tmp_path: Path) -> None:
    seen: list[float] = []
    config = TranscodeConfig(preset="slow", start_time=1.0, duration=2.0)
    transcode_video(clips["long"], tmp_path / "part.mp4", config, progress_callback=seen.append)
    assert seen[-1] == 100.0
    assert len(seen) >= 2  # against the 20 s input, 2 s of output would never get past 10 %
    assert seen[-2] > 10


@ffmpeg_only
def test_corrupt_input_raises_with_stderr_tail_and_writes_nothing(corrupt: Path, tmp_path: Path) -> None:
    before = names(tmp_path)
    progress: list[float] = []
    with pytest.raises(TranscodingFailedError) as info:
        transcode_video(corrupt, tmp_path / "out.mp4", progress_callback=progress.append)
    error = info.value
    assert error.returncode != 0
    assert 0 < len(error.stderr_tail) <= _ffmpeg.TAIL_LINES
    assert any("Invalid data" in line for line in error.stderr_tail)
    assert "Invalid data" in str(error)
    assert names(tmp_path) == before
    assert 100.0 not in progress


@ffmpeg_only
def test_failed_transcode_keeps_the_previous_output(corrupt: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    out.write_bytes(b"previous result")
    with pytest.raises(TranscodingFailedError):
        transcode_video(corrupt, out)
    assert out.read_bytes() == b"previous result"
    assert names(tmp_path) == {"corrupt.mp4", "out.mp4"}


@ffmpeg_only
def test_encoder_failure_is_reported(clips: dict[str, Path], tmp_path: Path) -> None:
    # H.264 cannot go into WebM: ffmpeg starts, then fails; nothing is left behind.
    with pytest.raises(TranscodingFailedError) as info:
        transcode_video(clips["short"], tmp_path / "out.webm")
    assert info.value.stderr_tail
    assert names(tmp_path) == set()


@ffmpeg_only
def test_names_that_look_like_options_or_protocols_are_plain_files(clips: dict[str, Path], tmp_path: Path) -> None:
    source = tmp_path / "-y concat:evil.mp4"
    shutil.copy(clips["short"], source)
    out = transcode_video(source, tmp_path / "-f null.mkv", TranscodeConfig(preset="ultrafast"))
    assert get_video_info(out)["video_codec"] == "h264"
    argv = build_transcode_command(source, out)
    assert f"file:{source}" in argv
    assert f"file:{out}" in argv


@ffmpeg_only
def test_output_may_replace_its_input(clips: dict[str, Path], tmp_path: Path) -> None:
    path = shutil.copy(clips["short"], tmp_path / "same.mp4")
    transcode_video(path, path, TranscodeConfig(preset="ultrafast", resolution="80x60"))
    assert get_video_info(path)["width"] == 80
    assert names(tmp_path) == {"same.mp4"}


@ffmpeg_only
def test_interrupt_kills_ffmpeg_and_leaves_no_temp_file(clips: dict[str, Path], tmp_path: Path) -> None:
    def interrupt(percent: float) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        transcode_video(clips["long"], tmp_path / "out.mp4", SLOW, progress_callback=interrupt)
    assert names(tmp_path) == set()
    assert ffmpeg_processes_mentioning(str(tmp_path)) == []


@ffmpeg_only
def test_ctrl_c_in_a_real_process_kills_ffmpeg_and_leaves_no_temp_file(clips: dict[str, Path], tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from synapse_fileutils.video import TranscodeConfig, transcode_video\n"
        "def started(percent):\n    print('started', flush=True)\n"
        "transcode_video(sys.argv[1], sys.argv[2], TranscodeConfig(preset='veryslow', crf=18), started)\n"
    )
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    with subprocess.Popen(
        [sys.executable, "-c", script, str(clips["long"]), str(out_dir / "out.mp4")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as proc:  # fmt: skip
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "started"
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    assert "KeyboardInterrupt" in stderr
    assert proc.returncode != 0
    assert names(out_dir) == set()
    assert ffmpeg_processes_mentioning(str(out_dir)) == []


@ffmpeg_only
def test_optimize_for_web_writes_a_faststart_yuv420p_mp4(clips: dict[str, Path], tmp_path: Path) -> None:
    out = optimize_for_web(clips["four"], tmp_path / "web.mp4")
    data = out.read_bytes()
    assert data.index(b"moov") < data.index(b"mdat")  # index first: playback starts while downloading
    assert re.search(r"Stream #0:0\S*: Video: h264 .*, yuv420p", ffmpeg_summary(out))


# --- clips and thumbnails -----------------------------------------------------------------------------------------


@ffmpeg_only
@pytest.mark.parametrize("copy", [False, True])
def test_extract_clip(clips: dict[str, Path], tmp_path: Path, copy: bool) -> None:
    out = extract_clip(clips["four"], tmp_path / "clip.mp4", start_time=1.0, duration=2.0, copy=copy)
    info = get_video_info(out)
    assert info["duration"] == pytest.approx(2.0, abs=0.6 if copy else 0.15)  # stream copy cuts at keyframes
    assert info["audio_codec"] == "aac"


@ffmpeg_only
@pytest.mark.parametrize(("name", "codec"), [("frame.jpg", "mjpeg"), ("frame.png", "png")])
def test_extract_thumbnail(clips: dict[str, Path], tmp_path: Path, name: str, codec: str) -> None:
    image = extract_thumbnail(clips["short"], tmp_path / name, time=1.0, width=80)
    # get_video_info opens videos only; an image is checked with ffmpeg's own summary.
    assert re.search(rf"Stream #0:0\S*: Video: {codec}\b.*, 80x60\b", ffmpeg_summary(image))
    assert names(tmp_path) == {name}


@ffmpeg_only
def test_thumbnail_past_the_end_fails_and_writes_nothing(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(TranscodingFailedError):
        extract_thumbnail(clips["short"], tmp_path / "frame.jpg", time=60.0)
    assert names(tmp_path) == set()


# --- async --------------------------------------------------------------------------------------------------------


@ffmpeg_only
def test_async_transcode_with_progress(clips: dict[str, Path], tmp_path: Path) -> None:
    seen: list[float] = []

    async def main() -> Path:
        return await atranscode_video(
            clips["four"], tmp_path / "out.mp4", TranscodeConfig(preset="slow", resolution="80x60"), seen.append
        )

    out = asyncio.run(main())
    info = asyncio.run(aget_video_info(out))
    assert (info["width"], info["audio_codec"]) == (80, "aac")
    assert seen[-1] == 100.0
    assert len(seen) >= 2
    assert all(a < b for a, b in itertools.pairwise(seen))


@ffmpeg_only
def test_async_failure_is_typed(corrupt: Path, tmp_path: Path) -> None:
    with pytest.raises(TranscodingFailedError) as info:
        asyncio.run(atranscode_video(corrupt, tmp_path / "out.mp4"))
    assert any("Invalid data" in line for line in info.value.stderr_tail)
    assert names(tmp_path) == {"corrupt.mp4"}


@ffmpeg_only
def test_async_cancellation_kills_ffmpeg_and_removes_the_temp_file(clips: dict[str, Path], tmp_path: Path) -> None:
    async def main() -> None:
        started = asyncio.Event()
        task = asyncio.create_task(
            atranscode_video(clips["long"], tmp_path / "out.mp4", SLOW, lambda percent: started.set())
        )
        await asyncio.wait_for(started.wait(), timeout=60)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    assert names(tmp_path) == set()
    assert ffmpeg_processes_mentioning(str(tmp_path)) == []


# --- batch --------------------------------------------------------------------------------------------------------


@ffmpeg_only
def test_batch_reports_each_item_and_a_bad_one_does_not_stop_the_rest(
    clips: dict[str, Path], corrupt: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    items = [
        (clips["short"], out / "a.mp4"),
        (corrupt, out / "bad.mp4"),
        (clips["silent"], out / "c.mkv", TranscodeConfig(preset="ultrafast", resolution="80x60")),
        (clips["short"], out / "d.txt"),
    ]
    progress: dict[int, list[float]] = {}
    results = transcode_batch(
        items, config=TranscodeConfig(preset="ultrafast"), max_workers=2,
        progress_callback=lambda index, percent: progress.setdefault(index, []).append(percent),
    )  # fmt: skip
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert [r.ok for r in results] == [True, False, True, False]
    assert isinstance(results[1].error, TranscodingFailedError)
    assert isinstance(results[3].error, UnsupportedFormatError)
    assert names(out) == {"a.mp4", "c.mkv"}
    assert get_video_info(out / "c.mkv")["width"] == 80
    assert progress[0][-1] == 100.0
    assert progress[2][-1] == 100.0


@ffmpeg_only
def test_interrupted_batch_kills_every_ffmpeg(clips: dict[str, Path], tmp_path: Path) -> None:
    def interrupt(index: int, percent: float) -> None:
        raise KeyboardInterrupt

    items = [(clips["long"], tmp_path / f"{n}.mp4") for n in range(4)]
    with pytest.raises(KeyboardInterrupt):
        transcode_batch(items, config=SLOW, max_workers=2, progress_callback=interrupt)
    assert names(tmp_path) == set()
    assert ffmpeg_processes_mentioning(str(tmp_path)) == []


@ffmpeg_only
def test_batch_called_the_earlier_way_writes_stem_transcoded_mp4(clips: dict[str, Path], tmp_path: Path) -> None:
    results = transcode_batch(
        [clips["short"], str(clips["silent"])], tmp_path / "out", TranscodeConfig(preset="ultrafast")
    )
    assert [Path(r) for r in results] == [
        tmp_path / "out" / "short_transcoded.mp4",
        tmp_path / "out" / "silent_transcoded.mp4",
    ]
    assert all(r.ok for r in results)
    assert get_video_info(results[0])["audio_codec"] == "aac"


def test_batch_rejects_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="max_workers"):
        transcode_batch([], max_workers=0)
    with pytest.raises(ValueError, match="batch item"):
        transcode_batch([(tmp_path / "a.mp4",)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="output_dir"):
        transcode_batch([tmp_path / "a.mp4"])
    assert transcode_batch([]) == []


def test_the_percent_callback_is_the_progress_modules_and_not_named_like_the_done_total_one() -> None:
    import synapse_fileutils.progress
    import synapse_fileutils.video

    assert synapse_fileutils.video.PercentCallback is synapse_fileutils.progress.PercentCallback
    assert not hasattr(synapse_fileutils.video, "ProgressCallback")  # that name means ``(done, total)`` in the SDK
