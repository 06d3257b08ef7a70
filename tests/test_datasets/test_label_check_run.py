"""Labels checked against the head before iteration 1, through mmengine's
Runner on the shipped demo config (issue 18: label 7 in a 4-class list is
an IndexError hours into an epoch today; a bad val label gives rc 0 and
wrong metrics)."""
import os.path as osp

import pytest
from mmengine.config import Config

import mmuniformer  # noqa: F401
from mmuniformer.datasets import make_motion_dataset
from mmuniformer.datasets.annotations import AnnotationError

from conftest import REPO  # noqa: E402
DEMO_CFG = osp.join(REPO, 'configs', 'recognition', 'uniformer',
                    'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')


@pytest.fixture(scope='module')
def motion(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('motion'))
    anns = make_motion_dataset(root, num_train=4, num_val=4, frames=8,
                               size=32, seed=2)
    return root, anns


def _cfg(root, anns, work_dir):
    cfg = Config.fromfile(DEMO_CFG)
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.dataset.ann_file = anns.get(split, anns['val'])
        loader.dataset.data_prefix.video = root
        loader.num_workers = 0
        loader.batch_size = 2
    cfg.train_cfg.max_epochs = 1
    cfg.work_dir = str(work_dir)
    return cfg


def _with_bad_line(src, dst, line_no, label):
    lines = open(src).read().splitlines()
    name = lines[line_no - 1].split()[0]
    lines[line_no - 1] = f'{name} {label}'
    dst.write_text('\n'.join(lines) + '\n')
    return str(dst)


def test_val_label_out_of_range_stops_training_before_start(motion,
                                                            tmp_path):
    from mmengine.runner import Runner
    root, anns = motion
    bad = _with_bad_line(anns['val'], tmp_path / 'val.txt', 3, 7)
    runner = Runner.from_cfg(_cfg(root, dict(anns, val=bad, test=bad),
                                  tmp_path / 'work'))
    with pytest.raises(AnnotationError) as err:
        runner.train()
    text = str(err.value)
    assert f'{bad}:3: label 7 is out of range' in text
    assert 'model.cls_head.num_classes=4' in text
    assert '(val data set)' in text
    assert runner.iter == 0
    assert not any(n.endswith('.pth')
                   for n in __import__('os').listdir(tmp_path / 'work'))


def test_train_label_out_of_range_is_named_not_indexerror(motion, tmp_path):
    from mmengine.runner import Runner
    root, anns = motion
    bad = _with_bad_line(anns['train'], tmp_path / 'train.txt', 2, 4)
    runner = Runner.from_cfg(_cfg(root, dict(anns, train=bad),
                                  tmp_path / 'work'))
    with pytest.raises(AnnotationError,
                       match=r'train\.txt:2: label 4 is out of range'):
        runner.train()


def test_test_list_checked_before_mim_test(motion, tmp_path):
    from mmengine.runner import Runner
    root, anns = motion
    bad = _with_bad_line(anns['val'], tmp_path / 'test.txt', 1, 5)
    runner = Runner.from_cfg(_cfg(root, dict(anns, test=bad),
                                  tmp_path / 'work'))
    with pytest.raises(AnnotationError, match=r'\(test data set\)'):
        runner.test()
