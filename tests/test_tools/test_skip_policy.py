"""``CI=true`` means no skip: every skip of the suite goes through the
helpers of ``tests/conftest.py`` (which fail under CI), the summary prints
the skip count, and a CI session with a skip exits non-zero."""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

from conftest import REPO

TESTS = osp.join(REPO, 'tests')
# pytest's own skips, which know nothing of CI (the helpers replace them)
RAW_SKIP = re.compile(r'pytest\s*\.\s*(importorskip|skip)\s*\(|'
                      r'mark\s*\.\s*(skip|skipif|xfail)\b')


def test_no_test_file_skips_on_its_own():
    offenders = []
    for root, _, files in os.walk(TESTS):
        for name in files:
            path = osp.join(root, name)
            if not name.endswith('.py') or path == osp.join(TESTS,
                                                            'conftest.py'):
                continue
            if path == osp.abspath(__file__):
                continue
            with open(path, encoding='utf-8') as f:
                for lineno, line in enumerate(f, 1):
                    if RAW_SKIP.search(line):
                        offenders.append(f'{osp.relpath(path, REPO)}:'
                                         f'{lineno}: {line.strip()}')
    assert not offenders, (
        'use conftest.importorskip / skip_or_fail / '
        'pytest.mark.requires(condition, reason) instead:\n' +
        '\n'.join(offenders))


PROBE = '''
import pytest
from conftest import importorskip, skip_or_fail


def test_helper_skip():
    skip_or_fail('no data here')


def test_missing_module():
    importorskip('a_module_that_does_not_exist_anywhere')


@pytest.mark.requires(False, 'never met')
def test_marker():
    pass


def test_raw_skip():
    pytest.{raw}('bypassing the helpers')


def test_passes():
    pass
'''


def _run(tmp_path, ci, raw='skip'):
    shutil.copy(osp.join(TESTS, 'conftest.py'), tmp_path / 'conftest.py')
    (tmp_path / 'test_probe.py').write_text(PROBE.replace('{raw}', raw))
    env = dict(os.environ, CI='true' if ci else 'false',
               PYTHONPATH=str(tmp_path) + os.pathsep + REPO)
    return subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
         '-p', 'no:randomly', str(tmp_path / 'test_probe.py')],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_outside_ci_the_helpers_skip_and_the_count_is_printed(tmp_path):
    res = _run(tmp_path, ci=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert '1 passed, 4 skipped' in res.stdout
    assert '[skips] 4 skipped (outside CI)' in res.stdout


def test_under_ci_every_helper_fails_and_a_raw_skip_fails_the_session(
        tmp_path):
    res = _run(tmp_path, ci=True)
    out = res.stdout
    assert res.returncode != 0, out
    # the three helper skips are failures naming the reason (the marker's
    # in the test's setup: an error)
    assert '2 failed, 1 passed, 1 skipped, 1 error' in out
    for reason in ('no data here', 'a_module_that_does_not_exist_anywhere',
                   'never met'):
        assert reason in out
    assert '[skips] 1 skipped (CI=true: must be 0)' in out


def test_under_ci_a_skip_alone_fails_the_session(tmp_path):
    """Only a raw skip, everything else passing: still non-zero."""
    shutil.copy(osp.join(TESTS, 'conftest.py'), tmp_path / 'conftest.py')
    (tmp_path / 'test_probe.py').write_text(
        'import pytest\n\n\ndef test_a():\n    pytest.skip("x")\n\n\n'
        'def test_b():\n    pass\n')
    env = dict(os.environ, CI='true', PYTHONPATH=str(tmp_path))
    res = subprocess.run([sys.executable, '-m', 'pytest', '-q', '-p',
                          'no:cacheprovider', 'test_probe.py'],
                         cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=120)
    assert '1 passed, 1 skipped' in res.stdout, res.stdout
    assert res.returncode == 1, res.stdout
