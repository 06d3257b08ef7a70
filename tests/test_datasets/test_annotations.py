"""Annotation lists checked when the data set is built (issue 18), and the
missing-data message (issue 21).

Expected values are written from the list files the tests write (line
numbers counted by hand), never taken from the code under test."""
import os.path as osp

import pytest

import mmuniformer  # noqa: F401
from mmuniformer.datasets.annotations import (AnnotationError,
                                              MissingDataError,
                                              read_video_list)


def _write(tmp_path, text, name='list.txt'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize('line,problem', [
    ('c.mp4 7', 'label 7 is out of range for 4 classes'),
    ('c.mp4 -1', 'label -1 is negative'),
    ('c.mp4 -100', 'label -100 is negative'),  # CrossEntropy's ignore_index
    ('c.mp4', 'no label'),
    ('c.mp4 x', "label 'x' is not an integer"),
])
def test_bad_label_names_list_and_line(tmp_path, line, problem):
    ann = _write(tmp_path, f'a.mp4 0\nb.mp4 3\n{line}\n')
    with pytest.raises(AnnotationError) as err:
        read_video_list(ann, num_classes=4)
    assert f'{ann}:3: ' in str(err.value)  # the third line
    assert problem in str(err.value)
    assert '1 bad line(s)' in str(err.value)


def test_every_bad_line_is_counted(tmp_path):
    ann = _write(tmp_path, 'a.mp4 9\nb.mp4 1\nc.mp4 -1\nd.mp4\n')
    with pytest.raises(AnnotationError, match=r'3 bad line\(s\)') as err:
        read_video_list(ann, num_classes=4)
    for number in (1, 3, 4):
        assert f'{ann}:{number}: ' in str(err.value)
    assert f'{ann}:2: ' not in str(err.value)


def test_blank_lines_skipped_and_reported(tmp_path):
    ann = _write(tmp_path, 'a.mp4 0\n\n   \nb.mp4 1\n\n')
    entries, blanks = read_video_list(ann)
    assert blanks == [2, 3, 5]
    assert [(e['filename'], e['label'], e['ann_line']) for e in entries] \
        == [('a.mp4', 0, 1), ('b.mp4', 1, 4)]


def test_names_with_spaces_label_is_last_field(tmp_path):
    ann = _write(tmp_path, 'my clips/a b.mp4 2\nc.mp4\t3\n')
    entries, _ = read_video_list(ann, num_classes=4)
    assert [(e['filename'], e['label']) for e in entries] == [
        ('my clips/a b.mp4', 2), ('c.mp4', 3)]


# --- the registered data set, built as the configs build it ----------------


def _build(ann, root, test_mode=False, **kwargs):
    from mmaction.registry import DATASETS
    from mmengine.registry import DefaultScope
    cfg = dict(type='mmuniformer.VideoDataset', ann_file=ann,
               data_prefix=dict(video=root), test_mode=test_mode,
               pipeline=[dict(type='DecordInit')], **kwargs)
    with DefaultScope.overwrite_default_scope('mmaction'):
        return DATASETS.build(cfg)


def test_dataset_builds_host_pipeline_and_reads_spaces(tmp_path, capsys):
    # a logger made now writes to the captured stdout (the current one may
    # hold the stream of an earlier test)
    from mmengine.logging import MMLogger
    MMLogger.get_instance(f'annotations_{tmp_path.name}')
    (tmp_path / 'v').mkdir()
    ann = _write(tmp_path, 'my clip.mp4 1\nb.mp4 0\n\n')
    ds = _build(ann, str(tmp_path / 'v'))
    # MMAction2's transform, found although the data set is mmuniformer's
    assert type(ds.pipeline.transforms[0]).__name__ == 'DecordInit'
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(d['filename'], d['label'], d['ann_line']) for d in infos] == [
        (osp.join(str(tmp_path / 'v'), 'my clip.mp4'), 1, 1),
        (osp.join(str(tmp_path / 'v'), 'b.mp4'), 0, 2)]
    out = capsys.readouterr().out
    assert f'{ann}: skipped 1 blank line(s) (line 3)' in out


@pytest.mark.parametrize('test_mode', [False, True])
def test_dataset_refuses_ignored_label_at_build(tmp_path, test_mode):
    (tmp_path / 'v').mkdir()
    ann = _write(tmp_path, 'a.mp4 0\nb.mp4 -100\n')
    with pytest.raises(AnnotationError, match=f'{ann}:2: label -100'):
        _build(ann, str(tmp_path / 'v'), test_mode=test_mode)


def test_missing_list_names_layout_page_and_overrides(tmp_path,
                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    from mmengine.config import Config
    from conftest import REPO
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'recognition',
                                   'uniformer_b_sthv2.py'))
    from mmaction.registry import DATASETS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmaction'):
        with pytest.raises(MissingDataError) as err:
            DATASETS.build(cfg.train_dataloader.dataset)
    text = str(err.value)
    assert 'annotation list data/sthv2/sthv2_train_list_videos.txt not ' \
        'found' in text
    assert osp.join(str(tmp_path), 'data/sthv2/sthv2_train_list_videos.txt') \
        in text
    assert 'data/sthv2/videos/<id>.webm' in text
    assert 'docs/user_guides/prepare_data.md#something-something' in text
    assert 'train_dataloader.dataset.ann_file=' in text
    assert 'train_dataloader.dataset.data_prefix.video=' in text
    assert osp.isfile(osp.join(REPO, 'docs', 'user_guides',
                               'prepare_data.md'))


def test_missing_video_folder_is_named(tmp_path):
    ann = _write(tmp_path, 'a.mp4 0\n')
    with pytest.raises(MissingDataError,
                       match='video folder .*nowhere not found'):
        _build(ann, str(tmp_path / 'nowhere'), test_mode=True)


def test_missing_frame_folder_for_rawframes(tmp_path):
    from mmaction.registry import DATASETS
    from mmengine.registry import DefaultScope
    ann = _write(tmp_path, 'vid1 10 0\n')
    cfg = dict(type='mmuniformer.RawframeDataset', ann_file=ann,
               data_prefix=dict(img=str(tmp_path / 'frames')),
               pipeline=[])
    with DefaultScope.overwrite_default_scope('mmaction'):
        with pytest.raises(MissingDataError, match='data_prefix.img='):
            DATASETS.build(cfg)


def test_every_layout_anchor_is_a_heading_of_the_page():
    import re
    from conftest import REPO
    from mmuniformer.datasets.annotations import LAYOUTS, PAGE
    text = open(osp.join(REPO, PAGE)).read()
    slugs = {re.sub(r'[^a-z0-9 -]', '', h.strip().lower()).replace(' ', '-')
             for h in re.findall(r'^#+ (.*)$', text, flags=re.M)}
    for _, _, _, anchor in LAYOUTS:
        assert anchor in slugs, anchor
