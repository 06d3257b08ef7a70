"""The README zoo tables are generated from the metafiles and in sync."""
import os.path as osp
import subprocess
import sys

from conftest import REPO  # noqa: E402  (the repository root)
TOOL = osp.join(REPO, 'tools', 'misc', 'zoo_tables.py')


def test_readme_zoo_tables_are_current():
    res = subprocess.run([sys.executable, TOOL, '--check'],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_table_lists_every_metafile_model_with_its_weights():
    sys.path.insert(0, osp.dirname(TOOL))
    try:
        import zoo_tables
    finally:
        sys.path.pop(0)
    import yaml
    for folder in zoo_tables.TASKS:
        text = zoo_tables.table(folder)
        with open(osp.join(REPO, 'configs', folder, 'uniformer',
                           'metafile.yml')) as f:
            models = yaml.safe_load(f)['Models']
        for model in models:
            assert osp.basename(model['Config']) in text
            if model.get('Weights'):
                assert model['Weights'] in text
    assert 'download.openmmlab.com' in zoo_tables.table('pose')
