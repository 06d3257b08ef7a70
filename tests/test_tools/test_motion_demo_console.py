"""The main job's console: epoch/iteration, loss, accuracy and ETA on each
line, nothing else (issue 21: lines lost their ``Epoch(train) [1][ 5/15]``
prefix, while ``GLOO=ON, USE_MKL=ON`` (it matched ``-Werror``) and the
config dump's ``save_best='acc/top1',`` got through)."""
import importlib.util
import os.path as osp

import pytest

from conftest import REPO  # noqa: E402

_spec = importlib.util.spec_from_file_location(
    'motion_demo', osp.join(REPO, 'tools', 'demo', 'motion_demo.py'))
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)

# lines as mmengine 0.10 writes them (LoggerHook / LogProcessor format),
# written out by hand from a run's log
TRAIN = ('12/03 13:40:01 - mmengine - INFO - Epoch(train)  [1][ 5/15]  '
         'base_lr: 2.0000e-03 lr: 2.0000e-04  eta: 0:03:12  time: 0.8123  '
         'data_time: 0.1021  memory: 0  grad_norm: 3.1415  loss: 1.3863  '
         'top1_acc: 0.2500  top5_acc: 1.0000  loss_cls: 1.3863')
VAL = ('12/03 13:41:07 - mmengine - INFO - Epoch(val) [4][5/5]    '
       'acc/top1: 0.5000  acc/top5: 1.0000  acc/mean1: 0.5000  '
       'data_time: 0.1000  time: 0.2000')
TEST = ('12/03 13:45:00 - mmengine - INFO - Epoch(test) [5/5]    '
        'acc/top1: 0.9750  acc/top5: 1.0000  acc/mean1: 0.9750  '
        'data_time: 0.0100  time: 0.2000')


def test_train_line_keeps_epoch_iteration_loss_accuracy_eta():
    assert demo.console_line(TRAIN) == \
        'train epoch 1 iter  5/15  loss 1.3863  top1 0.2500  eta 0:03:12'


def test_eval_summaries():
    assert demo.console_line(VAL) == \
        'val   epoch 4  top1 0.5000  top5 1.0000  mean1 0.5000'
    assert demo.console_line(TEST).split() == [
        'test', 'top1', '0.9750', 'top5', '1.0000', 'mean1', '0.9750']


@pytest.mark.parametrize('line', [
    '    - Build settings: BLAS_INFO=open, GLOO=ON, USE_MKL=ON, '
    '-Werror=range-loop-construct',
    "    save_best='acc/top1',",
    "val_evaluator = dict(type='mmuniformer.AccMetric')",
    '12/03 13:41:06 - mmengine - INFO - Epoch(val)  [4][2/5]    eta: '
    '0:00:01  time: 0.2000  data_time: 0.1000',
    '12/03 13:40:00 - mmengine - WARNING - "FileClient" will be deprecated',
    'Traceback (most recent call last):',
])
def test_everything_else_stays_in_the_log(line):
    assert demo.console_line(line) is None


def test_run_prints_only_console_lines(tmp_path, capsys):
    import sys
    script = tmp_path / 'fake.py'
    script.write_text('print("GLOO=ON, USE_MKL=ON -Werror")\n'
                      f'print({TRAIN!r})\nprint({VAL!r})\n')
    log = tmp_path / 'x.log'
    text = demo.run([sys.executable, str(script)], str(log))
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == ['  ' + demo.console_line(TRAIN),
                       '  ' + demo.console_line(VAL)]
    assert 'GLOO=ON' in log.read_text() and 'GLOO=ON' in text
