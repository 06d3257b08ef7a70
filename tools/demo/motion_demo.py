#!/usr/bin/env python
"""The package's main job, end to end on CPU in a few minutes.

1. writes a small real video data set (mp4, OpenCV) whose four classes --
   an object moving right / left / down / up -- only frame order tells apart;
2. trains a small UniFormer3D on it with ``mim train mmaction``;
3. evaluates the best checkpoint on held-out clips with ``mim test``;
4. classifies one held-out video with ``tools/demo/video_demo.py``.

It also draws the training curve (mean training loss and held-out top-1 per
epoch, read from the run's ``vis_data/scalars.json``) into
``<work-dir>/training_curve.png``.

    python tools/demo/motion_demo.py [--work-dir demo_out] [--epochs 8]

Exit status is non-zero if any step fails or top-1 is below --min-top1.
"""
import argparse
import glob
import os
import os.path as osp
import re
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                  'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('--work-dir', default='demo_out')
    parser.add_argument('--epochs', type=int, default=None,
                        help='override the config (default 8)')
    parser.add_argument('--num-train', type=int, default=240)
    parser.add_argument('--num-val', type=int, default=80)
    parser.add_argument('--min-top1', type=float, default=0.0,
                        help='fail below this held-out top-1 (0-1)')
    return parser.parse_args(argv)


_PROGRESS = re.compile(
    r'Epoch\((train|val|test)\)\s*(?:\[(\d+)\])?\s*\[\s*(\d+)/(\d+)\]')
_FIELD = re.compile(r'(?<!\S)([\w/]+): (\S+)')
# the fields shown, in order, and their console names
_TRAIN_FIELDS = (('loss', 'loss'), ('top1_acc', 'top1'), ('eta', 'eta'))
_EVAL_FIELDS = (('acc/top1', 'top1'), ('acc/top5', 'top5'),
                ('acc/mean1', 'mean1'), ('acc/nonfinite', 'NON-FINITE'))


def console_line(line):
    """The console form of one line of mmengine's log, or ``None``.

    Kept: the training progress lines (``Epoch(train) [e][i/n]``: epoch,
    iteration, loss, training top-1 of the batch, ETA) and the evaluation
    summaries (``Epoch(val|test) ...`` with ``acc/top1``). Everything else
    (the config dump, the environment block, per-iteration evaluation
    progress, warnings) stays in the log file only; the full log is printed
    (its last 3000 characters) when a step fails.
    """
    found = _PROGRESS.search(line)
    if not found:
        return None
    mode, epoch, it, total = found.groups()
    fields = dict(_FIELD.findall(line[found.end():]))
    if mode == 'train':
        head = f'train epoch {epoch} iter {int(it):>{len(total)}}/{total}'
        shown = _TRAIN_FIELDS
    elif 'acc/top1' in fields:
        head = f'{mode:<5} epoch {epoch}' if epoch else f'{mode:<5}'
        shown = _EVAL_FIELDS
    else:
        return None
    return '  '.join([head] + [f'{name} {fields[key]}'
                               for key, name in shown if key in fields])


def run(cmd, log_path):
    """Run ``cmd``, write its output to ``log_path``, print the
    :func:`console_line` of each line; return the text."""
    print('$ ' + ' '.join(cmd), flush=True)
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        lines = []
        for line in proc.stdout:
            log.write(line)
            lines.append(line)
            shown = console_line(line)
            if shown:
                print('  ' + shown, flush=True)
        proc.wait()
    text = ''.join(lines)
    if proc.returncode != 0:
        sys.exit(f'step failed ({proc.returncode}); see {log_path}:\n'
                 + text[-3000:])
    return text


def read_curve(scalars_json):
    """``{epoch: (mean training loss, held-out top-1 or None)}`` from the
    scalars file mmengine's ``LocalVisBackend`` writes: training records
    carry ``epoch`` and ``loss``; validation records carry ``acc/top1``
    with ``step`` = the epoch."""
    import json
    losses, accs = {}, {}
    with open(scalars_json) as f:
        for line in f:
            if not line.strip():
                continue
            rec = json.loads(line)
            if 'loss' in rec and 'epoch' in rec:
                losses.setdefault(int(rec['epoch']), []).append(
                    float(rec['loss']))
            elif 'acc/top1' in rec:
                accs[int(rec['step'])] = float(rec['acc/top1'])
    return {ep: (sum(v) / len(v), accs.get(ep))
            for ep, v in sorted(losses.items())}


def plot_curve(curve, out_png):
    """Loss (left axis) and held-out top-1 (right axis) per epoch."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    epochs = list(curve)
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot(epochs, [curve[e][0] for e in epochs], 'o-', color='tab:blue',
            label='training loss')
    ax.set_xlabel('epoch')
    ax.set_ylabel('training loss (mean over the epoch)', color='tab:blue')
    acc_epochs = [e for e in epochs if curve[e][1] is not None]
    ax2 = ax.twinx()
    ax2.plot(acc_epochs, [100 * curve[e][1] for e in acc_epochs], 's-',
             color='tab:orange', label='held-out top-1')
    ax2.set_ylabel('held-out top-1 (%)', color='tab:orange')
    ax2.set_ylim(0, 105)
    ax.set_title('motion demo: UniFormer3D trained from scratch')
    fig.tight_layout()
    fig.savefig(out_png)
    plt.close(fig)


def main(argv=None):
    args = parse_args(argv)
    import mmuniformer  # noqa: F401
    from mmuniformer.datasets import MOTION_CLASSES, make_motion_dataset
    work = osp.abspath(args.work_dir)
    data_root = osp.join(work, 'data', 'motion')
    os.makedirs(work, exist_ok=True)
    start = time.time()

    anns = make_motion_dataset(data_root, num_train=args.num_train,
                               num_val=args.num_val)
    print(f'[1/4] wrote {args.num_train} train / {args.num_val} held-out '
          f'mp4 clips to {data_root} ({time.time() - start:.0f} s)')

    options = [f'train_dataloader.dataset.ann_file={anns["train"]}',
               f'train_dataloader.dataset.data_prefix.video={data_root}',
               f'val_dataloader.dataset.ann_file={anns["val"]}',
               f'val_dataloader.dataset.data_prefix.video={data_root}',
               f'test_dataloader.dataset.ann_file={anns["val"]}',
               f'test_dataloader.dataset.data_prefix.video={data_root}']
    if args.epochs:
        options.append(f'train_cfg.max_epochs={args.epochs}')
    # validate every epoch so that the training curve has a point per epoch
    options.append('train_cfg.val_interval=1')
    train_dir = osp.join(work, 'train')
    mim = [sys.executable, '-m', 'mim']
    run([*mim, 'train', 'mmaction', CONFIG, '--gpus', '0', '--work-dir',
         train_dir, '--cfg-options', *options], osp.join(work, 'train.log'))
    best = sorted(glob.glob(osp.join(train_dir, 'best_*.pth')))
    if not best:
        sys.exit(f'no best checkpoint in {train_dir}')
    print(f'[2/4] trained ({time.time() - start:.0f} s): {best[-1]}')
    scalars = sorted(glob.glob(osp.join(train_dir, '*', 'vis_data',
                                        'scalars.json')))
    if scalars:
        curve_png = osp.join(work, 'training_curve.png')
        plot_curve(read_curve(scalars[-1]), curve_png)
        print(f'      training curve (loss, held-out top-1 per epoch): '
              f'{curve_png}')

    text = run([*mim, 'test', 'mmaction', CONFIG, '--checkpoint', best[-1],
                '--gpus', '0', '--work-dir', osp.join(work, 'test'),
                '--cfg-options', *options], osp.join(work, 'test.log'))
    found = re.findall(r'acc/top1: ([0-9.]+)', text)
    if not found:
        sys.exit('mim test printed no acc/top1')
    top1 = float(found[-1])
    print(f'[3/4] held-out top-1 over {args.num_val} clips: {top1 * 100:.1f}%'
          f' ({time.time() - start:.0f} s)')

    labels = osp.join(data_root, 'classes.txt')
    with open(anns['val']) as f:
        name, label = f.readline().split()
    video = osp.join(data_root, name)
    print(f'[4/4] demo on {video} (true label: '
          f'{MOTION_CLASSES[int(label)]})')
    subprocess.run([sys.executable, osp.join(REPO, 'tools', 'demo',
                                             'video_demo.py'), video, CONFIG,
                    best[-1], '--labels', labels, '--topk', '3'], check=True)
    print(f'done in {time.time() - start:.0f} s; held-out top-1 '
          f'{top1 * 100:.1f}%')
    if top1 < args.min_top1:
        sys.exit(f'top-1 {top1:.3f} is below --min-top1 {args.min_top1}')


if __name__ == '__main__':
    main()
