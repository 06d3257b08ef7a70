#!/usr/bin/env python
r"""Run a UniFormer detector, segmentor, pose estimator or image classifier
on image files.

    python tools/demo/image_demo.py det  IMAGE CONFIG [CHECKPOINT] \
        --out-dir DIR [--score-thr 0.3] [--device cpu]
    python tools/demo/image_demo.py seg  IMAGE CONFIG [CHECKPOINT] \
        --out-dir DIR [--opacity 0.5] [--device cpu]
    python tools/demo/image_demo.py pose IMAGE CONFIG [CHECKPOINT] \
        --out-dir DIR [--det-config DET_CONFIG [--det-checkpoint DET_CKPT]
                       [--det-cfg-options KEY=VALUE ...]
                       | --bboxes COCO_JSON] [--kpt-thr 0.3] [--device cpu]
    python tools/demo/image_demo.py cls  IMAGE CONFIG [CHECKPOINT] \
        --out-dir DIR [--topk 5] [--device cpu]

IMAGE is an image file or a folder of images. Inference goes through the
hosts' inferencers (``mmdet.apis.DetInferencer``,
``mmseg.apis.MMSegInferencer``, ``mmpose.apis.MMPoseInferencer``,
``mmpretrain.apis.ImageClassificationInferencer``); for each image
``<stem>`` the demo writes into ``--out-dir``

* ``<stem>_<task>.jpg``: the visualisation, at the input's size;
* ``<stem>_<task>.json``: the predictions (det: boxes over the score
  threshold; seg: the classes present; pose: boxes and keypoints);
* ``<stem>_seg.png`` (seg only): the label map, one uint8 (uint16 above
  255 classes) label index per input pixel;

and prints one summary line per image, e.g.::

    det 000000000785.jpg: 2 boxes >= 0.30 [person x1, skis x1] -> out/...
    seg 000000000785.jpg: 425x640 mask, 12 classes [wall 31.2%, ...] -> ...
    pose 000000000785.jpg: 1 persons x 17 keypoints (boxes: json, mean
        keypoint score 0.71) -> out/000000000785_pose.jpg
    cls 000000000785.jpg: ski 0.512 [ski 0.512, alp 0.108, ...] -> ...

cls names the classes with MMPretrain's ImageNet categories
(``mmpretrain.datasets.categories.IMAGENET_CATEGORIES``) for a 1000-class
head, or with the classes saved in an mm-format checkpoint.

CHECKPOINT (and ``--det-checkpoint``) may be an mm-format checkpoint or an
official UniFormer file (detection, segmentation, mmpose 0.x pose, or an
ImageNet file for cls), converted while loading
(``mmuniformer.checkpoint.report.load_with_report``). A file that fills the
backbone only (an ImageNet file for det / seg / pose) is an error: the
neck and heads would be random. ``--allow-random-heads`` runs with them
anyway, with a warning, as does a missing checkpoint (random weights,
meaningless predictions): both only to try a config.

Pose person boxes, in order of preference: ``--bboxes`` (the non-crowd
annotations of the image, matched by file name, in a COCO-format json),
``--det-config`` (a detector config, e.g. one of ours, whose class
``--det-cat-id`` is "person"; boxes over ``--score-thr``), otherwise the
whole image as one box. MMPoseInferencer 1.3.2 ignores user boxes for
top-down models, so ``--bboxes`` runs ``mmpose.apis.inference_topdown``
and draws with the inferencer's visualiser.
"""
import argparse
import json
import os
import os.path as osp
import sys
import tempfile
import warnings
from collections import Counter

TASKS = ('det', 'seg', 'pose', 'cls')
SCOPES = dict(det='mmdet', seg='mmseg', pose='mmpose', cls='mmpretrain')
IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
RANDOM_INIT_MSG = ('no {what} given: the model is randomly initialised and '
                   'its predictions are meaningless')


# -- command line ------------------------------------------------------------
def parse_args(argv=None):
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='task', metavar='{det,seg,pose,cls}')
    sub.required = True
    helps = dict(det='instance detection / segmentation (MMDetection)',
                 seg='semantic segmentation (MMSegmentation)',
                 pose='top-down 2D pose estimation (MMPose)',
                 cls='image classification (MMPretrain)')
    parsers = {}
    for task in TASKS:
        p = sub.add_parser(task, help=helps[task], description=helps[task])
        p.add_argument('image', help='an image file or a folder of images')
        p.add_argument('config', help=f'a UniFormer {SCOPES[task]} config')
        p.add_argument('checkpoint', nargs='?', default=None,
                       help='mm-format or official UniFormer checkpoint '
                       '(omitted: random weights)')
        p.add_argument('--out-dir', required=True,
                       help='folder for the visualisations and predictions')
        p.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
        p.add_argument('--cfg-options', nargs='+', action=DictAction,
                       help='override config settings, key=value')
        p.add_argument('--allow-random-heads', action='store_true',
                       help='run with a backbone-only checkpoint, the neck '
                       '/ heads random (only to try a config)')
        parsers[task] = p
    parsers['det'].add_argument(
        '--score-thr', type=float, default=0.3,
        help='boxes with a lower score are neither drawn nor counted')
    parsers['seg'].add_argument('--opacity', type=float, default=0.5,
                                help='opacity of the drawn label map')
    parsers['cls'].add_argument('--topk', type=int, default=5,
                                help='classes listed per image')
    pose = parsers['pose']
    pose.add_argument('--det-config', default=None,
                      help='detector config giving the person boxes')
    pose.add_argument('--det-cfg-options', nargs='+', action=DictAction,
                      help='override settings of the detector config, '
                      'key=value (e.g. model.backbone.init_cfg=None)')
    pose.add_argument('--det-checkpoint', default=None,
                      help='its checkpoint (mm-format or official)')
    pose.add_argument('--det-cat-id', type=int, default=0,
                      help='the detector class of "person" (COCO: 0)')
    pose.add_argument('--score-thr', type=float, default=0.3,
                      help='detector person boxes with a lower score are '
                      'dropped')
    pose.add_argument('--bboxes', default=None,
                      help='COCO-format json whose annotations give the '
                      'person boxes (images matched by file name)')
    pose.add_argument('--kpt-thr', type=float, default=0.3,
                      help='keypoints with a lower score are not drawn')
    return parser.parse_args(argv)


def fail(msg):
    sys.exit(f'error: {msg}')


def check_file(path, what):
    if path is not None and not osp.isfile(path):
        fail(f'{what} {path} does not exist')


def collect_images(path):
    """Sorted image files of ``path`` (a file or a folder)."""
    if osp.isdir(path):
        files = sorted(
            osp.join(path, name) for name in os.listdir(path)
            if name.lower().endswith(IMAGE_EXTS)
            and osp.isfile(osp.join(path, name)))
        if not files:
            fail(f'no image ({"/".join(IMAGE_EXTS)}) in folder {path}')
        return files
    if not osp.isfile(path):
        fail(f'image {path} does not exist')
    return [path]


def load_config(path, task, cfg_options=None):
    """The config, checked to be one of ``task``'s host."""
    from mmengine.config import Config
    check_file(path, 'config')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    scope = cfg.get('default_scope')
    if scope != SCOPES[task]:
        kind = f'an {scope}' if scope else 'a scope-less'
        fail(f'{path} is {kind} config, but the {task} demo needs an '
             f'{SCOPES[task]} config')
    if task == 'pose' and cfg.get('data_mode', 'topdown') != 'topdown':
        fail(f'{path}: only top-down pose configs are supported')
    return cfg


def load_weights(model, checkpoint, args, what='CHECKPOINT'):
    """Load ``checkpoint`` into ``model`` and print how much it filled
    (``mmuniformer.checkpoint.load_with_report``); its errors exit.
    Returns the checkpoint as read, or None when there is none (random
    init, with a warning)."""
    from mmuniformer.checkpoint import (BackboneOnlyError,
                                        CheckpointMismatchError,
                                        load_with_report)
    if checkpoint is None:
        warnings.warn(RANDOM_INIT_MSG.format(what=what), UserWarning,
                      stacklevel=2)
        return None
    check_file(checkpoint, what.lower().replace('_', ' '))
    try:
        ckpt, summary = load_with_report(model, checkpoint,
                                         args.allow_random_heads)
    except BackboneOnlyError as err:
        fail(f'{err} To try the config with random heads anyway, pass '
             '--allow-random-heads.')
    except CheckpointMismatchError as err:
        fail(str(err))
    print(summary)
    return ckpt


def config_dataset_meta(cfg, scope):
    """Class names and palette of the config's test dataset."""
    from mmengine.registry import DATASETS, init_default_scope
    init_default_scope(scope)
    dataset_cfg = cfg.test_dataloader.dataset.copy()
    dataset_cfg['lazy_init'] = True
    return dict(DATASETS.build(dataset_cfg).metainfo)


def each_image(args, images, task, predict):
    """``predict(image, base) -> (RGB visualisation, record, summary)`` on
    every image; writes ``<base>.jpg`` and ``<base>.json`` (``base``:
    ``<out-dir>/<stem>_<task>``) and prints the summary line. Returns the
    records."""
    import mmcv
    records = []
    for image in images:
        stem = osp.splitext(osp.basename(image))[0]
        base = osp.join(args.out_dir, f'{stem}_{task}')
        vis, fields, summary = predict(image, base)
        record = dict(image=image, task=task, **fields, vis=base + '.jpg')
        mmcv.imwrite(vis[..., ::-1], record['vis'])  # host drawings: RGB
        with open(base + '.json', 'w') as f:
            json.dump(record, f, indent=1)
        print(f'{task} {osp.basename(image)}: {summary} -> {record["vis"]}')
        records.append(record)
    return records


def _round(values, ndigits=2):
    return [[round(float(v), ndigits) for v in row] for row in values]


def _unwrap(value):
    """Hosts return a bare object for one input and a list for several."""
    return value[0] if isinstance(value, (list, tuple)) else value


# -- det ---------------------------------------------------------------------
def run_det(args, cfg, images):
    from mmdet.apis import DetInferencer
    from mmuniformer.checkpoint import (checkpoint_dataset_meta,
                                        quiet_host_weight_messages)
    with quiet_host_weight_messages():
        inferencer = DetInferencer(cfg, None, device=args.device,
                                   show_progress=False)
    ckpt = load_weights(inferencer.model, args.checkpoint, args)
    meta = checkpoint_dataset_meta(ckpt)
    if meta and meta.get('classes'):
        dataset_meta = inferencer.model.dataset_meta
        dataset_meta.update(meta)
        palette = dataset_meta.get('palette')
        if not isinstance(palette, (list, tuple)) or \
                len(palette) < len(dataset_meta['classes']):
            dataset_meta['palette'] = 'random'  # config's does not fit
        inferencer.visualizer.dataset_meta = dataset_meta
    classes = inferencer.model.dataset_meta['classes']

    def predict(image, base):
        out = inferencer(image, return_datasamples=True, return_vis=True,
                         no_save_vis=True, pred_score_thr=args.score_thr)
        pred = _unwrap(out['predictions']).pred_instances.cpu()
        keep = pred.scores >= args.score_thr
        labels = pred.labels[keep].tolist()
        names = [classes[i] if i < len(classes) else str(i) for i in labels]
        listing = ', '.join(f'{n} x{c}'
                            for n, c in Counter(names).most_common())
        record = dict(
            score_thr=args.score_thr, num_boxes=len(labels),
            bboxes=_round(pred.bboxes[keep].numpy()),
            scores=[round(float(s), 4) for s in pred.scores[keep]],
            labels=labels, classes=names, has_masks='masks' in pred)
        return _unwrap(out['visualization']), record, (
            f'{len(labels)} boxes >= {args.score_thr:.2f} [{listing}]')
    return each_image(args, images, 'det', predict)


# -- seg ---------------------------------------------------------------------
def run_seg(args, cfg, images):
    import mmcv
    import numpy as np
    from mmseg.apis import MMSegInferencer
    from mmuniformer.checkpoint import (checkpoint_dataset_meta,
                                        quiet_host_weight_messages)
    meta = config_dataset_meta(cfg, 'mmseg')
    with quiet_host_weight_messages():
        inferencer = MMSegInferencer(cfg, None, device=args.device)
    inferencer.show_progress = False
    ckpt = load_weights(inferencer.model, args.checkpoint, args)
    meta.update(checkpoint_dataset_meta(ckpt) or {})
    classes, palette = meta.get('classes'), meta.get('palette')
    num_classes = inferencer.model.decode_head.num_classes
    if not classes or len(classes) != num_classes:
        classes = [str(i) for i in range(num_classes)]
    if not palette or len(palette) != len(classes):
        rng = np.random.RandomState(42)
        palette = rng.randint(0, 255, (len(classes), 3)).tolist()
    # the inferencer's visualize() takes them from model.dataset_meta
    inferencer.model.dataset_meta = dict(classes=classes, palette=palette)

    def predict(image, base):
        out = inferencer(image, return_vis=True, opacity=args.opacity)
        mask = _unwrap(out['predictions'])
        mask = np.asarray(mask['sem_seg'] if isinstance(mask, dict) else
                          mask)
        ids, counts = np.unique(mask, return_counts=True)
        present = [dict(label=int(ids[i]), name=classes[int(ids[i])],
                        fraction=round(float(counts[i]) / mask.size, 4))
                   for i in np.argsort(-counts)]
        mmcv.imwrite(mask.astype(np.uint8 if num_classes <= 256
                                 else np.uint16), base + '.png')
        record = dict(height=int(mask.shape[0]), width=int(mask.shape[1]),
                      num_classes=len(present), classes=present,
                      mask=base + '.png')
        top = ', '.join(f'{c["name"]} {100 * c["fraction"]:.1f}%'
                        for c in present[:5])
        more = ', ...' if len(present) > 5 else ''
        return _unwrap(out['visualization']), record, (
            f'{mask.shape[0]}x{mask.shape[1]} mask, {len(present)} classes '
            f'[{top}{more}]')
    return each_image(args, images, 'seg', predict)


# -- pose --------------------------------------------------------------------
def coco_person_boxes(json_path):
    """``{file name: (N, 4) xyxy}`` from a COCO-format json (non-crowd
    annotations of the person category, or of any if it has none)."""
    import numpy as np
    with open(json_path) as f:
        coco = json.load(f)
    if not isinstance(coco, dict) or 'images' not in coco or \
            'annotations' not in coco:
        fail(f'{json_path} is not a COCO-format json (images, annotations)')
    person = [c['id'] for c in coco.get('categories', [])
              if c.get('name') == 'person']
    names = {img['id']: osp.basename(img['file_name'])
             for img in coco['images']}
    boxes = {name: [] for name in names.values()}
    for ann in coco['annotations']:
        if ann.get('iscrowd', 0) or (person and
                                     ann.get('category_id') not in person):
            continue
        x, y, w, h = ann['bbox']
        if w > 0 and h > 0 and ann['image_id'] in names:
            boxes[names[ann['image_id']]].append([x, y, x + w, y + h])
    return {name: np.array(b, dtype=np.float32).reshape(-1, 4)
            for name, b in boxes.items()}


def run_pose(args, cfg, images):
    import numpy as np
    from mmpose.apis import MMPoseInferencer, inference_topdown
    from mmpose.structures import merge_data_samples
    from mmuniformer.checkpoint import quiet_host_weight_messages

    if args.bboxes is not None and args.det_config is not None:
        fail('give either --bboxes or --det-config, not both')
    for option in ('det_checkpoint', 'det_cfg_options'):
        if getattr(args, option) and args.det_config is None:
            fail(f'--{option.replace("_", "-")} needs --det-config')
    check_file(args.bboxes, 'box file')
    json_boxes = coco_person_boxes(args.bboxes) if args.bboxes else None
    det_model = 'whole_image'
    if args.det_config is not None:
        # checked early and clearly; MMPoseInferencer takes a path only
        det_cfg = load_config(args.det_config, 'det', args.det_cfg_options)
        det_model = args.det_config
        if args.det_cfg_options:
            det_model = osp.join(tempfile.mkdtemp(prefix='det_cfg_'),
                                 osp.basename(args.det_config))
            det_cfg.dump(det_model)
    with quiet_host_weight_messages():
        inferencer = MMPoseInferencer(pose2d=cfg, device=args.device,
                                      det_model=det_model,
                                      det_cat_ids=args.det_cat_id)
    pose = inferencer.inferencer  # the Pose2DInferencer
    load_weights(pose.model, args.checkpoint, args)
    if pose.detector is not None:
        load_weights(pose.detector.model, args.det_checkpoint, args,
                     what='DET_CHECKPOINT')

    def predict(image, base):
        name = osp.basename(image)
        if json_boxes is not None:
            source, boxes = 'json', json_boxes.get(name)
            if boxes is None or len(boxes) == 0:
                why = 'is not in' if boxes is None else 'has no person box in'
                warnings.warn(f'{name} {why} {args.bboxes}: whole image')
                source = 'whole image'
            pred = merge_data_samples(
                inference_topdown(pose.model, image, boxes))
            vis = pose.visualize([image], [pred], return_vis=True,
                                 draw_bbox=True, kpt_thr=args.kpt_thr)[0]
        else:
            source = 'detector' if pose.detector is not None else \
                'whole image'
            out = next(inferencer(image, return_vis=True,
                                  return_datasamples=True, draw_bbox=True,
                                  bbox_thr=args.score_thr,
                                  kpt_thr=args.kpt_thr))
            pred = _unwrap(out['predictions'])
            vis = _unwrap(out['visualization'])
        inst = pred.pred_instances
        keypoints = np.asarray(inst.keypoints)
        scores = np.asarray(inst.keypoint_scores)
        bboxes = np.asarray(inst.bboxes).reshape(-1, 4)
        height, width = vis.shape[:2]
        if source == 'detector' and len(bboxes) == 1 and np.allclose(
                bboxes[0], [0, 0, width, height]):
            source = 'whole image, no person detected'
        record = dict(
            box_source=source, num_persons=int(keypoints.shape[0]),
            num_keypoints=int(keypoints.shape[1]), bboxes=_round(bboxes),
            keypoints=[_round(k) for k in keypoints],
            keypoint_scores=_round(scores, 4))
        mean = float(scores.mean()) if scores.size else 0.0
        return vis, record, (
            f'{keypoints.shape[0]} persons x {keypoints.shape[1]} keypoints '
            f'(boxes: {source}, mean keypoint score {mean:.2f})')
    return each_image(args, images, 'pose', predict)


# -- cls ---------------------------------------------------------------------
def run_cls(args, cfg, images):
    import mmcv
    from mmengine.registry import init_default_scope
    from mmpretrain.apis import ImageClassificationInferencer, get_model
    from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
    from mmpretrain.utils import progress
    from mmpretrain.visualization import UniversalVisualizer
    from mmuniformer.checkpoint import checkpoint_dataset_meta

    # the inferencer builds its test pipeline in the current default scope:
    # make it MMPretrain's even if another host's was set before (ResizeEdge
    # and friends exist only there)
    init_default_scope('mmpretrain')
    model = get_model(cfg, pretrained=False, device=args.device)
    ckpt = load_weights(model, args.checkpoint, args)
    num_classes = model.head.num_classes
    classes = (checkpoint_dataset_meta(ckpt) or {}).get('classes')
    if not classes or len(classes) != num_classes:
        classes = list(IMAGENET_CATEGORIES) if num_classes == 1000 else \
            [str(i) for i in range(num_classes)]
    inferencer = ImageClassificationInferencer(model, pretrained=False,
                                               classes=classes)
    visualizer = UniversalVisualizer()
    topk = max(1, min(args.topk, num_classes))
    # MMPretrain's progress bar is one global rich Live that redirects
    # stdout while it runs (and keeps doing so if an earlier caller left it
    # started); one image per call needs no bar, and our report lines must
    # reach stdout
    progress.disable_progress_bar = True

    def predict(image, base):
        sample = inferencer(image, return_datasamples=True)[0]
        values, labels = sample.pred_score.detach().cpu().float().topk(topk)
        top = [dict(label=int(i), name=classes[int(i)],
                    score=round(float(v), 4))
               for v, i in zip(values, labels)]
        rgb = mmcv.imread(image, channel_order='rgb')
        visualizer.visualize_cls(rgb, sample, classes=classes, draw_gt=False,
                                 draw_pred=True, draw_score=True)
        listing = ', '.join(f'{t["name"]} {t["score"]:.3f}' for t in top)
        return visualizer.get_image(), dict(num_classes=num_classes,
                                            topk=top), (
            f'{top[0]["name"]} {top[0]["score"]:.3f} [{listing}]')
    return each_image(args, images, 'cls', predict)


RUNNERS = dict(det=run_det, seg=run_seg, pose=run_pose, cls=run_cls)


def main(argv=None):
    """Run the demo; returns one prediction record (as in the json) per
    image."""
    import mmuniformer  # noqa: F401  (compat fixes, registry): first
    args = parse_args(argv)
    images = collect_images(args.image)
    check_file(args.checkpoint, 'checkpoint')
    cfg = load_config(args.config, args.task, args.cfg_options)
    os.makedirs(args.out_dir, exist_ok=True)
    return RUNNERS[args.task](args, cfg, images)


if __name__ == '__main__':
    main()
