#!/usr/bin/env python
"""Turn a folder of videos per class (or a list file) into MMAction2 lists.

    python tools/data/build_video_lists.py VIDEO_ROOT --out-dir DIR \
        [--list FILE] [--val-ratio 0.2] [--seed 0]

Input, one of:

* ``VIDEO_ROOT/<class name>/<video>`` (sub-folders allowed below the class
  folder): the class of a video is its top-level folder;
* ``--list FILE``: one video per line, ``<path relative to VIDEO_ROOT>
  <class name>`` (the class name is everything after the first whitespace).

Output in ``DIR``:

* ``classes.txt``: the class names, sorted, one per line; line ``i`` (from
  0) is label ``i``. Give it to ``tools/demo/video_demo.py --labels``;
* ``train.txt`` / ``val.txt``: MMAction2 ``VideoDataset`` annotation lists
  (``<path relative to VIDEO_ROOT> <label>`` per line), split per class
  (every class with two or more videos has at least one in val).

MMAction2's own ``tools/data/build_file_list.py`` is written for the public
data sets' layouts and split files; this covers a user's folder or list.
"""
import argparse
import os
import os.path as osp
import random
import sys
from collections import OrderedDict

VIDEO_EXTS = ('.mp4', '.avi', '.mkv', '.webm', '.mov', '.m4v', '.flv',
              '.mpg', '.mpeg', '.wmv', '.3gp')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('video_root', help='folder holding the videos')
    parser.add_argument('--out-dir', required=True,
                        help='where classes.txt, train.txt, val.txt go')
    parser.add_argument('--list', default=None,
                        help='file of "<relative path> <class name>" lines '
                        '(default: one sub-folder per class)')
    parser.add_argument('--val-ratio', type=float, default=0.2,
                        help='fraction of each class held out (0-1)')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the train/val shuffle')
    return parser.parse_args(argv)


def scan_folders(root):
    """``{class: [relative paths]}`` from one sub-folder per class."""
    videos = OrderedDict()
    for name in sorted(os.listdir(root)):
        folder = osp.join(root, name)
        if not osp.isdir(folder):
            continue
        found = []
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            found += [osp.relpath(osp.join(dirpath, f), root)
                      for f in sorted(filenames)
                      if f.lower().endswith(VIDEO_EXTS)]
        if not found:
            raise ValueError(f'class folder {folder} holds no video '
                             f'({", ".join(VIDEO_EXTS)})')
        videos[name] = found
    if not videos:
        raise ValueError(f'{root} has no class sub-folders; expected '
                         f'{root}/<class name>/<video>')
    return videos


def read_list(path, root):
    """``{class: [relative paths]}`` from a ``path class`` list file."""
    videos = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith('#'):
                continue
            parts = line.strip().split(None, 1)
            if len(parts) != 2:
                raise ValueError(f'{path}:{lineno}: expected "<video path> '
                                 f'<class name>", got {line.strip()!r}')
            rel, name = parts
            if not osp.isfile(osp.join(root, rel)):
                raise ValueError(f'{path}:{lineno}: {osp.join(root, rel)} '
                                 'does not exist')
            videos.setdefault(name.strip(), []).append(rel)
    if not videos:
        raise ValueError(f'{path} lists no video')
    return OrderedDict(sorted(videos.items()))


def split(videos, val_ratio, seed):
    """Per-class split: ``(classes, train, val)``, items ``(path, label)``."""
    if not 0 <= val_ratio < 1:
        raise ValueError(f'--val-ratio must be in [0, 1), got {val_ratio}')
    rng = random.Random(seed)
    classes = list(videos)
    train, val = [], []
    for label, name in enumerate(classes):
        paths = sorted(videos[name])
        rng.shuffle(paths)
        n_val = int(round(len(paths) * val_ratio))
        if val_ratio > 0 and len(paths) >= 2:
            n_val = min(max(n_val, 1), len(paths) - 1)
        val += [(p, label) for p in paths[:n_val]]
        train += [(p, label) for p in paths[n_val:]]
    return classes, sorted(train), sorted(val)


def write_lists(out_dir, classes, train, val):
    os.makedirs(out_dir, exist_ok=True)
    with open(osp.join(out_dir, 'classes.txt'), 'w') as f:
        f.write(''.join(name + '\n' for name in classes))
    for name, items in (('train.txt', train), ('val.txt', val)):
        with open(osp.join(out_dir, name), 'w') as f:
            f.write(''.join(f'{path} {label}\n' for path, label in items))


def main(argv=None):
    args = parse_args(argv)
    if not osp.isdir(args.video_root):
        sys.exit(f'error: {args.video_root} is not a folder')
    try:
        videos = read_list(args.list, args.video_root) if args.list \
            else scan_folders(args.video_root)
        classes, train, val = split(videos, args.val_ratio, args.seed)
    except ValueError as err:
        sys.exit(f'error: {err}')
    if any(' ' in path for path, _ in train + val):
        sys.exit('error: video paths must not contain spaces (MMAction2 '
                 'list files are space-separated); rename them')
    write_lists(args.out_dir, classes, train, val)
    print(f'{len(classes)} classes, {len(train)} train / {len(val)} val '
          f'videos -> {osp.join(args.out_dir, "classes.txt")}, train.txt, '
          f'val.txt (set num_classes={len(classes)})')
    return classes, train, val


if __name__ == '__main__':
    main()
