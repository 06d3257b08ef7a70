"""Video decoding that decodes only what the sampled frames need (PyAV).

MMAction2's ``DecordDecode`` (decord ``get_batch``) was half of a K400
training clip's CPU time (issue 19). :class:`PyAVSeekInit` +
:class:`PyAVSeekDecode` return the same frames for the same ``frame_inds``:

* frame ``i`` is the ``i``-th presentation timestamp of the video stream's
  packets, sorted, the numbering decord uses (``total_frames`` is their
  number), so ``SampleFrames`` / ``UniformSample`` draw the same indices;
* decoding starts at the last keyframe at or before the first needed frame
  (found in the packet index, no guessing from the frame rate) and stops
  at the last needed frame; frames are decoded once even when several
  sampled views share them (the multi-view test pipelines);
* packets of frames that are not needed are decoded with FFmpeg's
  ``skip_frame=NONREF``: the decoder drops them when no other frame
  references them (x264's default B-frames), which changes no other frame;
* only the needed frames are converted to RGB, with swscale's bicubic
  conversion like decord (checked bit-identical against decord on the
  shipped real clips and on generated H.264 mp4 / MPEG-4 avi clips by
  ``tests/test_datasets/test_decode.py``).

Decord stays available (``DecordInit`` / ``DecordDecode``). Decoder errors
name the file (:func:`_named_errors`).
"""
import bisect
import io
from typing import Dict, List, Optional

import numpy as np

try:
    from mmcv.transforms import BaseTransform
except ImportError:  # pragma: no cover - mmcv is part of the stack
    BaseTransform = object

from mmuniformer.registry import TRANSFORMS


def _named_errors(results: dict, stage: str):
    """``mmuniformer.datasets.video_faults.naming_video_errors`` when it
    exists (the engine's named-bad-video errors), else a context manager
    that re-raises with the file name."""
    try:
        from mmuniformer.datasets.video_faults import naming_video_errors
        return naming_video_errors(results, stage)
    except ImportError:
        return _NameFile(results, stage)


class _NameFile:

    def __init__(self, results, stage):
        self.results, self.stage = results, stage

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or isinstance(exc, (KeyboardInterrupt, SystemExit)):
            return False
        name = self.results.get('filename', '<no filename>')
        raise RuntimeError(f'{self.stage} failed on {name}: '
                           f'{type(exc).__name__}: {exc}') from exc


PTS_FORMATS = {'mp4', 'mov', 'matroska', 'webm', 'mpegts'}


class _Unordered(Exception):
    """Decoded timestamps that do not number the frames."""


class SeekReader:
    """A PyAV container with decord's frame numbering.

    Args:
        source (str | file): path or file object.
        threads (int): decoder threads (1 in a loader worker: the workers
            are the parallelism). Defaults to 1.
        skip_unneeded (bool): decode frames that are not asked for with
            ``skip_frame=NONREF``. Defaults to True.
    """

    def __init__(self, source, threads: int = 1,
                 skip_unneeded: bool = True) -> None:
        import av
        from av.video.reformatter import VideoReformatter
        self._reformatter = VideoReformatter()
        self.container = av.open(source)
        self.stream = self.container.streams.video[0]
        ctx = self.stream.codec_context
        ctx.thread_count = threads
        if threads == 1:
            ctx.thread_type = 'NONE'
        self.skip_unneeded = skip_unneeded
        self._skipping = False
        # containers that store presentation timestamps; others (AVI)
        # have them guessed by FFmpeg: frames are numbered in output order
        self.by_count = not set(self.container.format.name.split(',')) & \
            PTS_FORMATS
        pts, keys = [], []
        for packet in self.container.demux(self.stream):
            stamp = packet.pts if packet.pts is not None else packet.dts
            if stamp is None:  # the flushing packet
                continue
            pts.append(stamp)
            if packet.is_keyframe:
                keys.append(stamp)
        self.pts = sorted(pts)
        self.index = {p: i for i, p in enumerate(self.pts)}
        self.keyframes = sorted(keys)
        rate = self.stream.average_rate
        self.fps = float(rate) if rate else float('nan')

    def __len__(self) -> int:
        return len(self.pts)

    def get_avg_fps(self) -> float:
        return self.fps

    def get_frames(self, frame_inds) -> List[np.ndarray]:
        """RGB ``H x W x 3`` uint8 frames in the order of ``frame_inds``
        (repeats allowed), each distinct frame decoded once."""
        inds = np.asarray(frame_inds, dtype=np.int64).reshape(-1)
        if len(inds) == 0:
            return []
        if inds.min() < 0 or inds.max() >= len(self.pts):
            raise IndexError(f'frame index {int(inds.min())}..'
                             f'{int(inds.max())} outside the '
                             f'{len(self.pts)} frames')
        if not self.by_count:
            try:
                return self._seek_frames(inds)
            except _Unordered:
                # the container's timestamps do not number the frames
                # (AVI guesses them): number them in output order
                self.by_count = True
        return self._counted_frames(inds)

    def _skip(self, skip: bool) -> None:
        if self.skip_unneeded and skip != self._skipping:
            self.stream.codec_context.skip_frame = \
                'NONREF' if skip else 'DEFAULT'
            self._skipping = skip

    def _rgb(self, frame) -> np.ndarray:
        # one reformatter per reader: a new swscale context per frame
        # (``frame.to_ndarray``) measured 2x slower
        return self._reformatter.reformat(
            frame, format='rgb24', interpolation='BICUBIC').to_ndarray()

    def _seek_frames(self, inds: np.ndarray) -> List[np.ndarray]:
        wanted = {self.pts[i] for i in np.unique(inds)}
        first = min(wanted)
        start = bisect.bisect_right(self.keyframes, first) - 1
        start_pts = self.keyframes[max(start, 0)] if self.keyframes \
            else self.pts[0]
        self.container.seek(start_pts, stream=self.stream, backward=True,
                            any_frame=False)
        self.stream.codec_context.flush_buffers()
        got: Dict[int, np.ndarray] = {}
        previous = None
        for packet in self.container.demux(self.stream):
            stamp = packet.pts if packet.pts is not None else packet.dts
            self._skip(stamp is not None and stamp not in wanted)
            for frame in packet.decode():
                fpts = frame.pts
                if fpts not in self.index or (previous is not None and
                                              fpts <= previous):
                    self._skip(False)
                    raise _Unordered
                previous = fpts
                if fpts in wanted:
                    got[fpts] = self._rgb(frame)
            if len(got) == len(wanted):
                break
        self._skip(False)
        if len(got) != len(wanted):
            missing = sorted(self.index[p] for p in wanted - set(got))
            raise RuntimeError(f'frames {missing[:5]} could not be decoded '
                               f'(decoding from pts {start_pts})')
        return [got[self.pts[i]] for i in inds]

    def _counted_frames(self, inds: np.ndarray) -> List[np.ndarray]:
        """Decode from the start; frame ``i`` is the ``i``-th output."""
        wanted = set(int(i) for i in inds)
        last = max(wanted)
        self.container.seek(0, stream=self.stream, backward=True)
        self.stream.codec_context.flush_buffers()
        got: Dict[int, np.ndarray] = {}
        count = 0
        for packet in self.container.demux(self.stream):
            for frame in packet.decode():
                if count in wanted:
                    got[count] = self._rgb(frame)
                count += 1
            if count > last:
                break
        if len(got) != len(wanted):
            raise RuntimeError(f'the video has {count} decodable frames, '
                               f'frame {max(wanted - set(got))} was asked')
        return [got[int(i)] for i in inds]

    def close(self) -> None:
        self.container.close()


@TRANSFORMS.register_module()
class PyAVSeekInit(BaseTransform):
    """Open the video with PyAV and index its frames as decord does.

    Required keys: ``filename``. Added keys: ``video_reader``,
    ``total_frames``, ``avg_fps``.

    Args:
        io_backend (str): ``'disk'`` opens the path; anything else reads
            the bytes through mmengine's fileio (``backend_args``).
            Defaults to ``'disk'``.
        threads (int): decoder threads. Defaults to 1.
        skip_unneeded (bool): see :class:`SeekReader`. Defaults to True.
        backend_args (dict, optional): mmengine fileio arguments.
    """

    def __init__(self, io_backend: str = 'disk', threads: int = 1,
                 skip_unneeded: bool = True,
                 backend_args: Optional[dict] = None) -> None:
        self.io_backend = io_backend
        self.threads = threads
        self.skip_unneeded = skip_unneeded
        self.backend_args = backend_args

    def transform(self, results: dict) -> dict:
        with _named_errors(results, 'PyAVSeekInit'):
            source = results['filename']
            if self.io_backend != 'disk' or self.backend_args:
                from mmengine import fileio
                source = io.BytesIO(fileio.get(
                    source, backend_args=self.backend_args))
            reader = SeekReader(source, self.threads, self.skip_unneeded)
        results['video_reader'] = reader
        results['total_frames'] = len(reader)
        results['avg_fps'] = reader.get_avg_fps()
        return results


@TRANSFORMS.register_module()
class PyAVSeekDecode(BaseTransform):
    """Decode ``frame_inds`` from :class:`PyAVSeekInit`'s reader; the keys
    of MMAction2's ``DecordDecode``.

    Required keys: ``video_reader``, ``frame_inds``. Added / modified keys:
    ``imgs``, ``original_shape``, ``img_shape``; ``video_reader`` is closed
    and set to None.
    """

    def transform(self, results: dict) -> dict:
        reader = results['video_reader']
        if results['frame_inds'].ndim != 1:
            results['frame_inds'] = np.squeeze(results['frame_inds'])
        with _named_errors(results, 'PyAVSeekDecode'):
            try:
                imgs = reader.get_frames(results['frame_inds'])
            finally:
                reader.close()
        results['video_reader'] = None
        results['imgs'] = imgs
        results['original_shape'] = imgs[0].shape[:2]
        results['img_shape'] = imgs[0].shape[:2]
        return results
