"""tools/data/check_videos.py checks labels too (issue 18)."""
import os
import os.path as osp
import subprocess
import sys

from mmuniformer.datasets import make_motion_dataset

from conftest import REPO  # noqa: E402
TOOL = osp.join(REPO, 'tools', 'data', 'check_videos.py')


def test_bad_labels_are_bad_entries(tmp_path):
    root = str(tmp_path / 'd')
    anns = make_motion_dataset(root, num_train=4, num_val=0, frames=8,
                               size=32, seed=3, splits=('train', ))
    names = [line.split()[0] for line in open(anns['train'])]
    # line 2: out of range; 3: blank; 4: no label; 5: negative; 6: fine
    # (a name with a space is read as path + label: the label is last)
    ann = tmp_path / 'list.txt'
    ann.write_text(f'{names[0]} 0\n{names[1]} 9\n\n{names[2]}\n'
                   f'{names[3]} -100\n{names[0]} 3\n')
    out_bad, out_clean = tmp_path / 'bad.txt', tmp_path / 'clean.txt'
    res = subprocess.run(
        [sys.executable, TOOL, str(ann), '--data-prefix', root,
         '--workers', '1', '--num-classes', '4', '--out-bad', str(out_bad),
         '--out-clean', str(out_clean)],
        capture_output=True, text=True, timeout=120,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(
            [REPO, os.environ.get('PYTHONPATH', '')])))
    assert res.returncode == 1, res.stdout + res.stderr
    rows = [r.split('\t') for r in out_bad.read_text().splitlines()]
    assert [(int(n), reason) for n, _, reason in rows] == [
        (2, 'bad: bad label: label 9 is out of range for 4 classes'),
        (4, 'bad: bad label: no label (expected "<video path> <label>")'),
        (5, 'bad: bad label: label -100 is negative')]
    assert out_clean.read_text() == f'{names[0]} 0\n{names[0]} 3\n'
    assert '3 bad labels' in res.stdout and '1 blank lines' in res.stdout
