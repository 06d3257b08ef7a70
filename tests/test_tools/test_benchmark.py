"""The benchmark CLI runs and reports comparable rows (no timing asserts:
speed is measured by the tool, never by a unit test)."""
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))

import benchmark  # noqa: E402


def test_benchmark_reports_both_implementations(capsys):
    rows = benchmark.main(['--depths', '1', '1', '1', '1', '--frames', '4',
                           '--size', '64', '--iters', '1', '--warmup', '0',
                           '--mode', 'train'])
    assert [r['name'] for r in rows] == ['ours', 'mmaction-port']
    assert rows[0]['ratio'] == 1.0 and rows[0]['mem'] > 0
    out = capsys.readouterr().out
    diff = float(out.split('max |ours - port| = ')[1].split()[0])
    assert diff < 1e-4  # same weights, same outputs
    assert '| mmaction-port |' in out
