#!/usr/bin/env python
"""A web demo (Gradio) for every task: video recognition, image
classification, detection, segmentation and pose.

    pip install "mmuniformer[web]"
    python tools/demo/web_demo.py [--host 127.0.0.1] [--port 7860] \\
        [--motion-checkpoint PATH] [--download] [--device cpu]

It starts with no network and runs on CPU by default. Each model choice
takes its weights from, in order:

* the main job's trained motion model (``tools/demo/motion_demo.py``
  writes ``demo_out/**/best_*.pth``; ``--motion-checkpoint`` names another);
* official weights of the weights table (``mmuniformer/checkpoint/
  weights.py``) found in the cache (``$MMUNIFORMER_CACHE``), or fetched by
  name when ``--download`` is given;
* otherwise random weights, and the page says so in a banner above the
  result: the outputs are then meaningless, the pipeline is real.

The light XXS models are the "fast" choices. The video and image tabs can
overlay what the model looks at (the head-mean attention of the mean query
in the last global block, :mod:`mmuniformer.analysis.attention`, as
``tools/visualizations/vis_attention.py`` draws it).
Every tab is also an API endpoint (``/video``, ``/image``, ``/detect``,
``/segment``, ``/pose``) for ``gradio_client``.
"""
import argparse
import functools
import glob
import os
import os.path as osp
import tempfile
from typing import Dict, Optional, Tuple

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
RECOG = osp.join(REPO, 'configs', 'recognition', 'uniformer')
MOTION_CONFIG = osp.join(
    RECOG, 'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb.py')
RANDOM_BANNER = ('**Random weights**: no trained weights for {what} in the '
                 'cache ({cache}); the scores are meaningless. Run '
                 '`python tools/demo/motion_demo.py` (motion model) or start '
                 'with `--download` (official weights by name).')

# label: (config, label list, input size)
VIDEO_MODELS = {
    'motion (main job)': (MOTION_CONFIG, 'motion', 64),
    'fast: UniFormer-XXS light, K400 4x128': (osp.join(
        RECOG, 'uniformer-light-xxs_imagenet1k-128px-pre_8xb32-u4-110e_'
        'kinetics400-128px-rgb.py'), 'k400', 128),
    'UniFormer-S K400 16x8': (osp.join(
        RECOG, 'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_'
        'kinetics400-rgb.py'), 'k400', 224),
}
# label: (family, arch, input size)
IMAGE_MODELS = {
    'fast: UniFormer-XXS light, ImageNet 128': ('light_image', 'xxs', 128),
    'UniFormer-S ImageNet': ('image', 'small', 224),
}
DENSE_CONFIGS = {
    'detect': osp.join(REPO, 'configs', 'detection', 'uniformer',
                       'mask-rcnn_uniformer-light-xxs_fpn_1x_coco.py'),
    'segment': osp.join(REPO, 'configs', 'segmentation', 'uniformer',
                        'fpn_uniformer-light-xxs_8xb4-80k_ade20k-512x512.py'),
    'pose': osp.join(REPO, 'configs', 'pose', 'uniformer',
                     'td-hm_uniformer-b_8xb128-210e_coco-256x192.py'),
}
OPTIONS = dict(device='cpu', download=False, motion_checkpoint=None)


# -- weights -----------------------------------------------------------------
def motion_checkpoint() -> Optional[str]:
    """The main job's best checkpoint (newest), or ``--motion-checkpoint``.
    """
    if OPTIONS['motion_checkpoint']:
        return OPTIONS['motion_checkpoint']
    found = glob.glob(osp.join(REPO, 'demo_out', '**', 'best_*.pth'),
                      recursive=True) + glob.glob(
        osp.join('demo_out', '**', 'best_*.pth'), recursive=True)
    return max(found, key=osp.getmtime) if found else None


def official_weights(config: Optional[str] = None,
                     family: Optional[str] = None,
                     arch: Optional[str] = None) -> Optional[str]:
    """A local file of the weights-table entry for ``config`` (or
    ``family`` + ``arch``): from the cache, or fetched with ``--download``;
    None when the table has none or it is not available offline."""
    from mmuniformer.checkpoint import download
    table = download._table()
    if table is None:
        return None
    for entry in table.WEIGHTS.values():
        if config is not None:
            match = entry.config and osp.basename(entry.config) == \
                osp.basename(config)
        else:
            match = entry.family == family and entry.arch == arch
        if not match:
            continue
        cached = osp.join(download.cache_root(), entry.filename)
        if osp.isfile(cached) or OPTIONS['download']:
            try:
                return download.resolve_checkpoint(entry.name)
            except (download.WeightsDownloadError, KeyError):
                return None
    return None


def banner(path: Optional[str], what: str) -> str:
    if path is not None:
        return f'Weights: `{osp.basename(path)}`'
    from mmuniformer.checkpoint.download import cache_root
    return RANDOM_BANNER.format(what=what, cache=cache_root())


# -- labels ------------------------------------------------------------------
def class_names(spec: str):
    if spec == 'motion':
        from mmuniformer.datasets.synthetic_motion import MOTION_CLASSES
        return list(MOTION_CLASSES)
    if spec == 'imagenet':
        from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
        return list(IMAGENET_CATEGORIES)
    from mmuniformer import labels
    return labels.alias_classes(spec)


def top5(probs, names) -> Dict[str, float]:
    """``{name: probability}`` of the five best classes."""
    import torch
    probs = torch.as_tensor(probs).float()
    top = probs.topk(min(5, probs.numel()))
    return {str(names[i]) if names else str(int(i)): float(p)
            for p, i in zip(top.values, top.indices)}


# -- video -------------------------------------------------------------------
def single_view(cfg, size: int):
    """One clip, one centre crop at ``size``: the shipped test pipelines
    average 4 clips x 3 crops, 12x the CPU time of one view."""
    pipeline = []
    for step in cfg.test_pipeline:
        step = dict(step)
        if step['type'] in ('SampleFrames', 'UniformSample'):
            step['num_clips'] = 1
        if step['type'] == 'ThreeCrop':
            step = dict(type='CenterCrop', crop_size=size)
        pipeline.append(step)
    cfg.test_pipeline = pipeline
    cfg.test_dataloader.dataset.pipeline = pipeline
    return cfg


@functools.lru_cache(maxsize=4)
def video_model(choice: str):
    """``(recognizer, names, weights path or None)`` for a VIDEO_MODELS
    choice, built once."""
    import mmuniformer  # noqa: F401
    from mmaction.apis import init_recognizer
    from mmengine.config import Config

    from mmuniformer.checkpoint.convert import load_as_mm_checkpoint
    config, spec, size = VIDEO_MODELS[choice]
    cfg = single_view(Config.fromfile(config), size)
    # probabilities, as video_demo.py prints (the head's average_clips)
    cfg.model.cls_head.average_clips = 'prob'
    cfg.model.backbone.init_cfg = None
    path = motion_checkpoint() if spec == 'motion' else \
        official_weights(config=config)
    model = init_recognizer(cfg, None, device=OPTIONS['device'])
    if path is not None:
        load_as_mm_checkpoint(model, path, label_order='mmaction'
                              if spec in ('k400', 'k600') else 'official')
    return model, class_names(spec), path


def attention_overlay(backbone, media: str, size: int, frames: int,
                      video: bool, mean=None, std=None) -> str:
    """GIF (video) or PNG (image) of the mean query's head-mean attention
    in the last global block, drawn over the input (normalised with
    ``mean`` / ``std``, default ImageNet's)."""
    from mmuniformer.analysis.attention import (MEAN, STD, overlay,
                                                query_map, read_input,
                                                record, to_tensor,
                                                write_frames)
    clip = read_input(media, frames, size)
    x = to_tensor(clip, video, mean or MEAN, std or STD).to(
        next(backbone.parameters()).device)
    grid = query_map(record(backbone, x)[-1], 'mean')
    out = tempfile.NamedTemporaryFile(suffix='.gif' if video else '.png',
                                      delete=False).name
    return write_frames(overlay(clip, grid), out)


def predict_video(video: str, choice: str, attention: bool = False
                  ) -> Tuple[Dict[str, float], Optional[str], str]:
    """Top-5 ``{class: probability}``, the overlay (or None) and the
    weights banner for ``video``."""
    from mmaction.apis import inference_recognizer
    if not video or not osp.isfile(video):
        raise ValueError('upload a video or pick the sample clip')
    model, names, path = video_model(choice)
    result = inference_recognizer(model, video)
    scores = result.pred_score.cpu()
    overlay = None
    if attention:
        _, _, size = VIDEO_MODELS[choice]
        frames = model.cfg.test_pipeline[1].get('clip_len', 8)
        pre = model.cfg.model.data_preprocessor
        overlay = attention_overlay(model.backbone, video, size, frames,
                                    True, tuple(pre.mean), tuple(pre.std))
    return top5(scores, names), overlay, banner(path, choice)


# -- image classification ----------------------------------------------------
@functools.lru_cache(maxsize=4)
def image_model(choice: str):
    """``(classifier, weights path or None)`` for an IMAGE_MODELS choice."""
    from mmuniformer.checkpoint.classifier import build_image_classifier
    family, arch, _ = IMAGE_MODELS[choice]
    path = official_weights(family=family, arch=arch)
    model = build_image_classifier(path, arch)  # TL heads, head_dim, light
    return model.to(OPTIONS['device']), path


def predict_image(image: str, choice: str, attention: bool = False):
    """Top-5 ImageNet classes, the overlay (or None) and the banner."""
    import torch
    if not image or not osp.isfile(image):
        raise ValueError('upload an image')
    from mmuniformer.analysis.attention import read_input, to_tensor
    model, path = image_model(choice)
    _, _, size = IMAGE_MODELS[choice]
    clip = read_input(image, 1, size)
    x = to_tensor(clip, False).to(OPTIONS['device'])
    with torch.no_grad():
        probs = model(x)[0].softmax(-1).cpu()
    overlay = None
    if attention:
        overlay = attention_overlay(model, image, size, 1, False)
    return top5(probs, class_names('imagenet')), overlay, \
        banner(path, choice)


# -- detection, segmentation, pose (the hosts' inferencers) -------------------
@functools.lru_cache(maxsize=3)
def dense_inferencer(task: str):
    import mmuniformer  # noqa: F401
    config = DENSE_CONFIGS[task]
    path = official_weights(config=config)
    device = OPTIONS['device']
    if task == 'detect':
        from mmdet.apis import DetInferencer
        return DetInferencer(model=config, weights=path, device=device,
                             show_progress=False), path
    if task == 'segment':
        from mmseg.apis import MMSegInferencer
        return MMSegInferencer(model=config, weights=path,
                               device=device), path
    from mmpose.apis import MMPoseInferencer
    return MMPoseInferencer(pose2d=config, pose2d_weights=path,
                            device=device, show_progress=False), path


def predict_dense(task: str, image: str):
    """The host's drawing of ``task`` on ``image`` (a file path) and the
    banner."""
    if not image or not osp.isfile(image):
        raise ValueError('upload an image')
    inferencer, path = dense_inferencer(task)
    out_dir = tempfile.mkdtemp(prefix=f'web_demo_{task}_')
    kwargs = dict(return_vis=True)
    result = inferencer(image, **kwargs)
    if not isinstance(result, dict):  # MMPoseInferencer: a generator
        result = next(iter(result))
    vis = result['visualization']
    vis = vis[0] if isinstance(vis, (list, tuple)) else vis
    from PIL import Image
    out = osp.join(out_dir, 'result.png')
    Image.fromarray(np.asarray(vis, dtype=np.uint8)).save(out)
    return out, banner(path, osp.basename(DENSE_CONFIGS[task]))


# -- the app -----------------------------------------------------------------
def sample_clip() -> str:
    """A sample clip that needs no download: one synthetic motion video."""
    from mmuniformer.datasets.synthetic_motion import render_clip, write_mp4
    path = osp.join(tempfile.gettempdir(), 'mmuniformer_web_demo_sample.mp4')
    if not osp.isfile(path):
        write_mp4(path, render_clip(0, np.random.default_rng(0)))
    return path


def build_app():
    """The Gradio Blocks app (five tabs, one API endpoint each)."""
    import gradio as gr
    with gr.Blocks(title='UniFormer demo') as app:
        gr.Markdown('# UniFormer demo\nCPU by default; the light XXS models '
                    'are the fast choices.')
        with gr.Tab('Video recognition'):
            with gr.Row():
                with gr.Column():
                    video = gr.Video(label='video', elem_id='video_in')
                    gr.Examples([[sample_clip()]], [video],
                                label='sample clip (synthetic motion)')
                    vchoice = gr.Dropdown(list(VIDEO_MODELS),
                                          value=list(VIDEO_MODELS)[0],
                                          label='model and label set')
                    vattn = gr.Checkbox(label='attention overlay')
                    vbutton = gr.Button('Classify', elem_id='video_run')
                with gr.Column():
                    vbanner = gr.Markdown(elem_id='video_banner')
                    vlabel = gr.Label(num_top_classes=5, label='top-5',
                                      elem_id='video_top5')
                    voverlay = gr.Image(label='attention', type='filepath',
                                        elem_id='video_overlay')
            vbutton.click(predict_video, [video, vchoice, vattn],
                          [vlabel, voverlay, vbanner], api_name='video')
        with gr.Tab('Image classification'):
            with gr.Row():
                with gr.Column():
                    image = gr.Image(label='image', type='filepath',
                                     elem_id='image_in')
                    ichoice = gr.Dropdown(list(IMAGE_MODELS),
                                          value=list(IMAGE_MODELS)[0],
                                          label='model')
                    iattn = gr.Checkbox(label='attention overlay',
                                        value=True)
                    ibutton = gr.Button('Classify', elem_id='image_run')
                with gr.Column():
                    ibanner = gr.Markdown(elem_id='image_banner')
                    ilabel = gr.Label(num_top_classes=5, label='top-5',
                                      elem_id='image_top5')
                    ioverlay = gr.Image(label='attention', type='filepath',
                                        elem_id='image_overlay')
            ibutton.click(predict_image, [image, ichoice, iattn],
                          [ilabel, ioverlay, ibanner], api_name='image')
        for task, title in (('detect', 'Detection'),
                            ('segment', 'Segmentation'), ('pose', 'Pose')):
            with gr.Tab(title):
                with gr.Row():
                    inp = gr.Image(label='image', type='filepath',
                                   elem_id=f'{task}_in')
                    with gr.Column():
                        dbanner = gr.Markdown(elem_id=f'{task}_banner')
                        out = gr.Image(label=title.lower(), type='filepath',
                                       elem_id=f'{task}_out')
                button = gr.Button('Run', elem_id=f'{task}_run')
                button.click(functools.partial(predict_dense, task), [inp],
                             [out, dbanner], api_name=task)
    return app


def parse_args(argv=None):
    """Args: ``--host`` (str, default 127.0.0.1), ``--port`` (int, 7860),
    ``--device`` (str, cpu), ``--download`` (fetch official weights by
    name), ``--motion-checkpoint`` (str, default: the newest
    ``demo_out/**/best_*.pth``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=7860)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--download', action='store_true',
                        help='fetch official weights by name when not cached')
    parser.add_argument('--motion-checkpoint', default=None)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    OPTIONS.update(device=args.device, download=args.download,
                   motion_checkpoint=args.motion_checkpoint)
    os.environ.setdefault('GRADIO_ANALYTICS_ENABLED', 'False')
    build_app().queue().launch(server_name=args.host, server_port=args.port,
                               share=False, show_error=True)


if __name__ == '__main__':
    main()
