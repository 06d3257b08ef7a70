"""Annotation lists checked when the data set is built, not at iteration N.

MMAction2's ``VideoDataset`` splits each line of a ``path label`` list on
single spaces and converts the label with ``int``; nothing else is checked.
So a label outside the head's range surfaces as ``IndexError: Target 7 is out
of bounds`` at the first batch that holds it (hours into an epoch at full
size), ``-100`` is silently ignored by ``CrossEntropyLoss``, a line without a
label gets ``-1``, a blank line becomes the video ``<data_prefix>/`` and a
name with a space is a ``ValueError: too many values to unpack`` without a
line number. :func:`read_video_list` reads a list by one rule and raises
:class:`AnnotationError` naming the list, the line and the fix:

* each non-blank line is ``<video path> <label>``: **the label is the last
  whitespace-separated field and the path is everything before it**, so
  paths may hold spaces (``my clips/a b.mp4 3``);
* the label is an integer ``>= 0`` (and ``< num_classes`` when the number of
  classes is known; the head's is checked by
  :class:`mmuniformer.engine.hooks.AnnotationCheckHook` before iteration 1);
* blank lines are skipped, with one note naming their line numbers.

:func:`missing_data_message` is the "what to do" text of
:class:`MissingDataError` (the list or the video folder of a config is not on
disk), in the style of :mod:`mmuniformer.checkpoint.pretrained`: what is
missing, the layout the config expects, the page that describes it
(``docs/user_guides/prepare_data.md``) and the ``--cfg-options`` that point the
config at another folder.

This module imports no host library (``tools/data/check_videos.py`` uses it
without MMAction2).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

PAGE = 'docs/user_guides/prepare_data.md'

# path fragment of a shipped config's list / folder -> (data set, layout,
# section of PAGE). The layouts are those of the hosts' data tools.
LAYOUTS = (
    ('sthv2', 'Something-Something V2',
     'data/sthv2/videos/<id>.webm and data/sthv2/sthv2_{train,val}_list_'
     'videos.txt ("<id>.webm <label>" per line; MMAction2 tools/data/sthv2)',
     'something-something-v1-and-v2'),
    ('sthv1', 'Something-Something V1',
     'data/sthv1/rawframes/<id>/<img_00001.jpg ...> and data/sthv1/sthv1_'
     '{train,val}_list_rawframes.txt, or videos listed as "<id>.mp4 <label>" '
     '(MMAction2 tools/data/sthv1)', 'something-something-v1-and-v2'),
    ('kinetics400', 'Kinetics-400',
     'data/kinetics400/videos_{train,val}/<youtube id>_<start>_<end>.mp4 and '
     'data/kinetics400/kinetics400_{train,val}_list_videos.txt ("<class '
     'folder>/<file>.mp4 <label>" or "<file>.mp4 <label>" per line; '
     'MMAction2 tools/data/kinetics)', 'kinetics-400-and-kinetics-600'),
    ('kinetics600', 'Kinetics-600',
     'data/kinetics600/videos_{train,val}/... and data/kinetics600/'
     'kinetics600_{train,val}_list_videos.txt (MMAction2 tools/data/'
     'kinetics)', 'kinetics-400-and-kinetics-600'),
    ('ucf101', 'UCF101',
     'data/ucf101/videos/<class>/<file>.avi and data/ucf101/ucf101_'
     '{train,val}_split_1_videos.txt (MMAction2 tools/data/ucf101)',
     'ucf101-and-hmdb51'),
    ('hmdb51', 'HMDB51',
     'data/hmdb51/videos/<class>/<file>.avi and data/hmdb51/hmdb51_'
     '{train,val}_split_1_videos.txt (MMAction2 tools/data/hmdb51)',
     'ucf101-and-hmdb51'),
    ('motion', 'the generated motion demo data',
     'data/motion/<split>/<n>.mp4 and data/motion/{train,val}.txt, written '
     'by python tools/demo/motion_demo.py', 'the-motion-demo-data'),
    ('custom', 'your own videos',
     'data/custom/videos/<class>/<video> and data/custom/{train,val}.txt, '
     'written by python tools/data/build_video_lists.py data/custom/videos '
     '--out-dir data/custom', 'your-own-videos'),
)


class AnnotationError(ValueError):
    """A line of an annotation list that the data set cannot use."""


class MissingDataError(FileNotFoundError):
    """A config's annotation list or video folder is not on disk."""


def _layout(*paths: str) -> Optional[Tuple[str, str, str]]:
    text = ' '.join(p for p in paths if p).lower()
    for key, name, layout, anchor in LAYOUTS:
        if key in text:
            return name, layout, anchor
    return None


def missing_data_message(what: str, path: str, ann_file: str,
                         video_root: Optional[str],
                         test_mode: bool = False,
                         prefix_key: str = 'video') -> str:
    """The text of :class:`MissingDataError`.

    Args:
        what (str): ``'annotation list'`` or ``'video folder'``.
        path (str): the missing path, as the config gives it.
        ann_file (str): the data set's list (to recognise the data set).
        video_root (str, optional): the data set's ``data_prefix.video``.
        test_mode (bool): a val/test data set (``True``) or the training
            one; decides which ``--cfg-options`` come first. Defaults to
            False.
        prefix_key (str): the ``data_prefix`` key of the data set
            (``'video'``, ``'img'`` for frames). Defaults to ``'video'``.
    """
    found = _layout(ann_file, video_root or '')
    lines = [f'{what} {path} not found (looked for {osp.abspath(path)}, '
             f'relative to {os.getcwd()}).']
    if found:
        name, layout, anchor = found
        lines.append(f'  This config reads {name}; the layout it expects: '
                     f'{layout}.')
        lines.append(f'  How to get there: {PAGE}#{anchor}')
    else:
        lines.append('  Expected: a list of "<video path> <label>" lines '
                     '(label = last field, an integer from 0) and the '
                     f'folder the paths are relative to; see {PAGE}')
    splits = ('val', 'test', 'train') if test_mode else \
        ('train', 'val', 'test')
    folder = 'frames' if prefix_key == 'img' else 'videos'
    options = []
    for split in splits:
        options += [f'{split}_dataloader.dataset.ann_file=/path/to/'
                    f'{split}_list.txt',
                    f'{split}_dataloader.dataset.data_prefix.{prefix_key}='
                    f'/path/to/{folder}']
    lines.append('  Point the config at your copy: --cfg-options '
                 + ' '.join(options))
    lines.append('  For a CPU smoke run on generated clips, see "Smoke run '
                 f'on CPU" in {PAGE}.')
    return '\n'.join(lines)


def check_data_paths(ann_file: str, video_root: Optional[str],
                     test_mode: bool = False,
                     prefix_key: str = 'video') -> None:
    """Raise :class:`MissingDataError` for an absent list or video folder.

    Args:
        ann_file (str): the annotation list.
        video_root (str, optional): ``data_prefix.video`` (``None`` or ``''``:
            the list holds absolute or cwd-relative paths; not checked).
        test_mode (bool): see :func:`missing_data_message`. Defaults to False.
        prefix_key (str): see :func:`missing_data_message`. Defaults to
            ``'video'``.
    """
    if '://' in str(ann_file):
        return
    if not osp.isfile(ann_file):
        raise MissingDataError(missing_data_message(
            'annotation list', ann_file, ann_file, video_root, test_mode,
            prefix_key))
    if video_root and '://' not in video_root and not osp.isdir(video_root):
        what = 'frame folder' if prefix_key == 'img' else 'video folder'
        raise MissingDataError(missing_data_message(
            what, video_root, ann_file, video_root, test_mode, prefix_key))


def parse_line(line: str, delimiter: Optional[str] = None
               ) -> Tuple[str, str]:
    """``(path, label text)`` of one non-blank line: the label is the last
    ``delimiter``-separated field (any whitespace when ``None``), the path
    everything before it. ``label text`` is ``''`` when the line has one
    field."""
    parts = line.strip().rsplit(delimiter, 1)
    if len(parts) == 1:
        return parts[0].strip(), ''
    return parts[0].strip(), parts[1].strip()


def label_problem(text: str, num_classes: Optional[int] = None
                  ) -> Optional[str]:
    """Why ``text`` (the last field of a line) is not a usable label, or
    ``None`` when it is one."""
    if not text:
        return 'no label (expected "<video path> <label>")'
    try:
        label = int(text)
    except ValueError:
        return (f'label {text!r} is not an integer (the label is the last '
                'field of the line)')
    if label < 0:
        return f'label {label} is negative'
    if num_classes is not None and label >= num_classes:
        return f'label {label} is out of range for {num_classes} classes'
    return None


def read_video_list(ann_file: str, num_classes: Optional[int] = None,
                    delimiter: Optional[str] = None
                    ) -> Tuple[List[Dict], List[int]]:
    """Read and check an annotation list (rule: module docstring).

    Args:
        ann_file (str): the list.
        num_classes (int, optional): labels must be below it when given.
            Defaults to None.
        delimiter (str, optional): field separator; ``None`` or ``' '``:
            any whitespace. Defaults to None.

    Returns:
        tuple: ``(entries, blank_lines)``; entries are ``dict(filename=path
        as written, label=int, ann_line=line number from 1)``.

    Raises:
        AnnotationError: naming the list, every bad line (the first 10) and
            the fix.
    """
    if delimiter == ' ':
        delimiter = None
    entries, blanks, bad = [], [], []
    with open(ann_file, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            if not line.strip():
                blanks.append(number)
                continue
            path, text = parse_line(line, delimiter)
            problem = label_problem(text, num_classes) if text else (
                f'no label: {line.strip()!r} (expected "<video path> '
                '<label>")')
            if problem:
                bad.append((number, problem))
            else:
                entries.append(dict(filename=path, label=int(text),
                                    ann_line=number))
    if bad:
        raise AnnotationError(bad_lines_message(ann_file, bad, num_classes))
    return entries, blanks


def bad_lines_message(ann_file: str, bad: List[Tuple[int, str]],
                      num_classes: Optional[int] = None,
                      where: str = '') -> str:
    """``<list>:<line>: <problem>`` for the first 10 bad lines, the count
    and the fix."""
    shown = '\n'.join(f'  {ann_file}:{number}: {problem}'
                      for number, problem in bad[:10])
    more = f'\n  ... and {len(bad) - 10} more' if len(bad) > 10 else ''
    limit = (f'from 0 to {num_classes - 1}' if num_classes is not None
             else 'from 0')
    return (f'{len(bad)} bad line(s) in annotation list {ann_file}{where}:\n'
            f'{shown}{more}\n'
            f'  Each line is "<video path> <label>" with an integer label '
            f'{limit} as the last field (paths may hold spaces). Fix the '
            f'lines (python tools/data/check_videos.py {ann_file} '
            f'--num-classes N lists them all), or set the head\'s '
            f'num_classes to the number of classes of the list; see {PAGE}.')
