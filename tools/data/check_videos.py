"""Scan a video annotation list in parallel; write the bad entries and a
cleaned list.

Each entry of an MMAction2 ``VideoDataset`` list (``path label`` per line)
is opened with decord (the training pipeline's reader) and, with
``--decode all`` (default), every frame is decoded, so files whose header
promises more frames than they hold are found too. Cases reported: missing,
empty (0 bytes), not openable (truncated, not a video), fewer decodable
frames than the header, and -- with ``--min-frames`` (e.g. clip_len x
frame_interval) -- videos shorter than a clip.

    python tools/data/check_videos.py data/k400/train.txt \\
        --data-prefix data/k400/videos_train --workers 8 \\
        --out-bad bad.txt --out-clean train_clean.txt --min-frames 64

``bad.txt``: ``line<TAB>path<TAB>reason`` per bad entry; ``train_clean.txt``:
the input lines without the unreadable ones (short videos are kept unless
``--drop-short``). MMAction2's own ``tools/analysis_tools/check_videos.py``
needs the full config and only reports; this one works on the list alone.
Labels are checked too, by the rule of ``mmuniformer.VideoDataset``
(``mmuniformer/datasets/annotations.py``): the label is the last field of
the line (paths may hold spaces), an integer from 0, below ``--num-classes``
when given; a line without a label or with a bad one is a bad entry
(``bad label: ...``) and is left out of the clean list. Blank lines are
skipped and counted.
Exit status 0 when every entry is readable and labelled, 1 otherwise.
"""
import argparse
import os
import os.path as osp
import sys
from multiprocessing import Pool

from mmuniformer.datasets.annotations import label_problem, parse_line
from mmuniformer.datasets.video_faults import decoder_reason


def check_one(job):
    """``(line_no, line, path, min_frames, decode) -> (line_no, line, path,
    status, reason)`` with status ``ok`` / ``bad`` / ``short``."""
    number, line, path, min_frames, decode = job
    if not osp.exists(path):
        return number, line, path, 'bad', 'file not found'
    if osp.getsize(path) == 0:
        return number, line, path, 'bad', 'empty file (0 bytes)'
    try:
        import decord
        reader = decord.VideoReader(path, num_threads=1)
        total = len(reader)
    except Exception as exc:  # noqa: BLE001 - the decoder's reason
        return number, line, path, 'bad', \
            f'cannot open: {decoder_reason(exc)}'
    if total == 0:
        return number, line, path, 'bad', 'no frames'
    indices = (range(total) if decode == 'all' else
               sorted({0, total // 2, total - 1}))
    done = 0
    try:
        for idx in indices:
            reader[idx].asnumpy()
            done += 1
    except Exception as exc:  # noqa: BLE001 - the decoder's reason
        return number, line, path, 'bad', (
            f'header says {total} frames, frame {list(indices)[done]} does '
            f'not decode ({done} decoded): {decoder_reason(exc)}')
    if min_frames and total < min_frames:
        return number, line, path, 'short', \
            f'{total} frames < {min_frames} needed for one clip'
    return number, line, path, 'ok', ''


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_file', help='VideoDataset annotation list')
    parser.add_argument('--data-prefix', default='',
                        help='folder the list paths are relative to')
    parser.add_argument('--workers', type=int, default=os.cpu_count() or 1)
    parser.add_argument('--out-bad', default=None,
                        help='bad entries (default: <ann_file>.bad.txt)')
    parser.add_argument('--out-clean', default=None,
                        help='cleaned list (default: <ann_file>.clean.txt)')
    parser.add_argument('--min-frames', type=int, default=0,
                        help='report videos shorter than this (clip_len x '
                        'frame_interval)')
    parser.add_argument('--drop-short', action='store_true',
                        help='also leave short videos out of the clean list')
    parser.add_argument('--num-classes', type=int, default=None,
                        help='labels must be below this (the head\'s '
                        'num_classes)')
    parser.add_argument('--decode', choices=['all', 'sparse'], default='all',
                        help='decode every frame (finds truncated streams) '
                        'or first/middle/last only (faster)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    root, ext = osp.splitext(args.ann_file)
    out_bad = args.out_bad or f'{root}.bad.txt'
    out_clean = args.out_clean or f'{root}.clean.txt'
    jobs, labels, blanks = [], [], 0
    with open(args.ann_file) as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip('\n')
            if not line.strip():
                blanks += 1
                continue
            rel, text = parse_line(line)
            problem = label_problem(text, args.num_classes)
            path = osp.join(args.data_prefix, rel)
            if problem:
                labels.append((number, line, path, 'bad',
                               f'bad label: {problem}'))
            jobs.append((number, line, path, args.min_frames, args.decode))
    with Pool(max(1, args.workers)) as pool:
        results = pool.map(check_one, jobs, chunksize=1)
    bad_label = {r[0] for r in labels}
    results = sorted(labels + [r for r in results
                               if r[0] not in bad_label or r[3] == 'bad'],
                     key=lambda r: r[0])
    bad = [r for r in results if r[3] == 'bad']
    short = [r for r in results if r[3] == 'short']
    dropped = {r[0] for r in bad} | (
        {r[0] for r in short} if args.drop_short else set())
    with open(out_bad, 'w') as f:
        for number, _, path, status, reason in bad + short:
            f.write(f'{number}\t{path}\t{status}: {reason}\n')
    with open(out_clean, 'w') as f:
        written = set()
        for number, line, *_ in results:
            if number not in dropped and number not in written:
                written.add(number)
                f.write(line + '\n')
    entries = len({r[0] for r in results})
    kept = entries - len(dropped)
    print(f'{entries} entries: {len(bad) - len(labels)} unreadable, '
          f'{len(labels)} bad labels, {len(short)} short, {blanks} blank '
          f'lines skipped; bad entries -> {out_bad}; cleaned list ({kept} '
          f'entries) -> {out_clean}')
    for number, _, path, status, reason in bad + short:
        print(f'  line {number}: {path}: {status}: {reason}')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
