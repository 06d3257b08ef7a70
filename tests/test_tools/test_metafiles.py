"""The OpenMMLab metafiles (``configs/*/uniformer/metafile.yml`` and the root
``model-index.yml``) against the official UniFormer model zoo.

The tables below are transcribed from the official README numbers and Google
Drive file ids (reference §9) and the OpenMMLab mirrors (reference §8), so a
typo in a metafile (or a config added without an entry) fails here.
"""
import re
from pathlib import Path

import pytest
from conftest import importorskip  # noqa: E402  (fails under CI=true)
import yaml

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ('recognition', 'detection', 'segmentation', 'pose',
           'classification')
METAFILES = {
    folder: ROOT / 'configs' / folder / 'uniformer' / 'metafile.yml'
    for folder in FOLDERS
}
OFFICIAL_CODE = 'https://github.com/Sense-X/UniFormer'
DRIVE_URL = re.compile(
    r'^https://drive\.google\.com/file/d/([A-Za-z0-9_-]{25,})/view$')
MIRROR_URL = re.compile(r'^https://download\.openmmlab\.com/'
                        r'(mmaction|mmpose)/[A-Za-z0-9_./-]+\.pth$')
# metric -> task, per folder
TASKS = {
    'recognition': {'Top 1 Accuracy': 'Action Recognition'},
    'detection': {'box AP': 'Object Detection',
                  'mask AP': 'Instance Segmentation'},
    'segmentation': {'mIoU': 'Semantic Segmentation',
                     'mIoU(ms)': 'Semantic Segmentation'},
    'pose': {k: 'Body 2D Keypoint'
             for k in ('AP', 'AP@0.5', 'AP@0.75', 'AR (M)', 'AR (L)', 'AR')},
    'classification': {'Top 1 Accuracy': 'Image Classification'},
}
POSE_KEYS = ('AP', 'AP@0.5', 'AP@0.75', 'AR (M)', 'AR (L)', 'AR')

# config name: (dataset, top-1 %, Google Drive file id or None)
VIDEO = {
    'uniformer-base_imagenet1k-pre_32xb4-32x4x1-110e_kinetics600-rgb':
    ('Kinetics-600', 84.5, '1-DwdVf8w8lYj-iFpU40pfEpog9VE5PQB'),
    'uniformer-base_imagenet1k-pre_8xb4-16x8x1-110e_kinetics600-rgb':
    ('Kinetics-600', 83.4, '1aidHdSd-h65-_EUkfNOdMMw0ZB8G5maY'),
    'uniformer-base_imagenet1k-pre_8xb4-32x4x1-110e_kinetics400-rgb':
    ('Kinetics-400', 82.9, '1gHxx8cr1H0CNvngj1kB9ArgcPfJtqjCV'),
    'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics400-rgb':
    ('Kinetics-400', 82.0, '15ipzFaZdTt-aHv7jcr_h_vgYD2X7D6AD'),
    'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics600-rgb':
    ('Kinetics-600', 84.0, '1nBQCBCsCflhZ4OGUoGB3pAkc_GDau7vd'),
    'uniformer-base_imagenet1k-pre_8xb5-16x8x1-110e_kinetics400-rgb':
    ('Kinetics-400', 81.7, '1VoZcpFZbk9lEyRQ7gqRgT4CsnVt9g7uk'),
    'uniformer-base_imagenet1k-pre_8xb8-8x8x1-100e_kinetics400-rgb':
    ('Kinetics-400', 79.8, '1hBxGU-QE8hGRBjSNCymJ7Au06LhluvTv'),
    'uniformer-base_kinetics400-pre_8xb4-u32-50e_sthv2-rgb':
    ('Something-Something V2', 71.1, '1-rpMARXnyvyj6YUJkIvVqtna86egpjoS'),
    'uniformer-base_kinetics400-pre_8xb4-u32-60e_sthv1-rgb':
    ('Something-Something V1', 60.9, '18A3FuUUbdQ8ehMQ0D78qTTtm6YmIVWaO'),
    'uniformer-base_kinetics400-pre_8xb5-u16-50e_sthv2-rgb':
    ('Something-Something V2', 70.4, '1s78JBpnykyJ7pYEGRDK8BZL9seIRIUlC'),
    'uniformer-base_kinetics400-pre_8xb5-u16-60e_sthv1-rgb':
    ('Something-Something V1', 59.1, '1uMq4W5lf17vOHUmccNjYLeTMqaWHSh6v'),
    'uniformer-base_kinetics600-pre_8xb4-u32-50e_sthv2-rgb':
    ('Something-Something V2', 71.2, '1-lkRB3546l_ECuObN_IrHws1C9a-qKPr'),
    'uniformer-base_kinetics600-pre_8xb4-u32-60e_sthv1-rgb':
    ('Something-Something V1', 61.0, '1xE1aJYAYFOlXOkpiIbJFHu_jSrr8reKm'),
    'uniformer-base_kinetics600-pre_8xb5-u16-50e_sthv2-rgb':
    ('Something-Something V2', 70.2, '16nCBGWzMM8n8Vr_EY0UmvgzLG0S_QYef'),
    'uniformer-base_kinetics600-pre_8xb5-u16-60e_sthv1-rgb':
    ('Something-Something V1', 58.8, '1xpiL8zEDWYHFR55gOsbQiI41YEjTD89J'),
    'uniformer-small_imagenet1k-pre_8xb12-16x4x1-110e_kinetics600-rgb':
    ('Kinetics-600', 82.8, '1-dqzjm5RZVspWHQLRD4S1vo4_6jyVltb'),
    'uniformer-small_imagenet1k-pre_8xb16-8x8x1-100e_kinetics400-rgb':
    ('Kinetics-400', 78.4, '1-kitVTkWErHXI_x-sLItvK9-sOmb53j6'),
    'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb':
    ('Kinetics-400', 80.8, '1-jGZIIuTM5IYIpqkNTojhGhfMc7Gu9Kt'),
    'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_kinetics400-rgb':
    ('Kinetics-400', 80.8, '174muWZJcZHieABDZMKiJ0tNeFLoEkJLx'),
    'uniformer-small_imagenet1k-pre_8xb4-16x8x1-110e_kinetics600-rgb':
    ('Kinetics-600', 82.7, '1-c835NJjg_015WxLBQF-1cPdQsyWMWfY'),
    'uniformer-small_imagenet1k-pre_8xb4-32x4x1-110e_kinetics400-rgb':
    ('Kinetics-400', 82.0, None),
    'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_hmdb51-split1-rgb':
    ('HMDB51 split 1', 77.5, '1Es4xtcEvQSomnbp6Eo7TC3JejIwHf5yS'),
    'uniformer-small_kinetics400-pre_8xb16-16x4x1-25e_ucf101-split1-rgb':
    ('UCF101 split 1', 98.3, '1Ey8JIGcP8G2H0bKxyNnD61lvHV1eerVt'),
    'uniformer-small_kinetics400-pre_8xb4-u16-50e_sthv2-rgb':
    ('Something-Something V2', 67.7, '1-Wq22024HB7tT8kPX6eSMn2GUNMI-_gY'),
    'uniformer-small_kinetics400-pre_8xb4-u16-60e_sthv1-rgb':
    ('Something-Something V1', 57.2, '1-bdFsmXt2Ztf43lrVgmqS8_VYJ8tub6J'),
    'uniformer-small_kinetics400-pre_8xb4-u32-50e_sthv2-rgb':
    ('Something-Something V2', 69.0, '1-5Q5S-NRmHFkIBygaRYpJLT7aI9cpmky'),
    'uniformer-small_kinetics400-pre_8xb4-u32-60e_sthv1-rgb':
    ('Something-Something V1', 58.8, '1-Y5ADssqM2C8o_1jix48fQM788mVGWQ3'),
    'uniformer-small_kinetics600-pre_8xb4-u16-50e_sthv2-rgb':
    ('Something-Something V2', 69.4, '1-V1mQp4fIIYhaXUWCgZXkJ0H6ne0Z8rz'),
    'uniformer-small_kinetics600-pre_8xb4-u16-60e_sthv1-rgb':
    ('Something-Something V1', 57.6, '1-YbYGjM15MDtQnrmCeZ9H2ybNdYTFkgO'),
    'uniformer-small_kinetics600-pre_8xb4-u32-50e_sthv2-rgb':
    ('Something-Something V2', 70.4, '1-1K5R3Ed4t8d_DZnJ62xysIt1dBNmx96'),
    'uniformer-small_kinetics600-pre_8xb4-u32-60e_sthv1-rgb':
    ('Something-Something V1', 59.9, '1-XEgaGqXGp1EGzFl63ctApnvU54X27WP'),
    # light models (uniformer_light.md §6)
    'uniformer-light-xxs_imagenet1k-128px-pre_8xb32-u4-110e_kinetics400-128px-rgb':
    ('Kinetics-400', 63.2, '1EFBxDS2m4mpk_sYejnPuGSDRH_1ELDhx'),
    'uniformer-light-xxs_imagenet1k-160px-pre_4xb64-u4-110e_kinetics400-160px-rgb':
    ('Kinetics-400', 65.8, '1DtTFT7FZ_kUjxqXAYyWhfXSr_EIHQi8a'),
    'uniformer-light-xxs_imagenet1k-128px-pre_4xb64-u8-110e_kinetics400-128px-rgb':
    ('Kinetics-400', 68.3, '1E9VwV-XJQCmo9nBhxLxa9DdphZiIg38z'),
    'uniformer-light-xxs_imagenet1k-160px-pre_4xb64-u8-110e_kinetics400-160px-rgb':
    ('Kinetics-400', 71.4, '1Dxq82X8mBsfVOzij0HSeb1g4sdez71FM'),
    'uniformer-light-xxs_imagenet1k-128px-pre_8xb32-u16-110e_kinetics400-128px-rgb':
    ('Kinetics-400', 73.3, '1DngSOmw0rStnYZlaCnz1xII6CU2d2R_j'),
    'uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u16-110e_kinetics400-160px-rgb':
    ('Kinetics-400', 75.1, '1DxqrNHb4h1ZKnEFaqbkKJAXQsyIFeD7b'),
    'uniformer-light-xxs_imagenet1k-160px-pre_8xb32-u32-110e_kinetics400-160px-rgb':
    ('Kinetics-400', 77.9, '1EIVXRYn5UIkLaJGDpTBxTcyog_dKbcZe'),
    'uniformer-light-xs_imagenet1k-192px-pre_8xb16-u32-110e_kinetics400-192px-rgb':
    ('Kinetics-400', 78.6, '1DtdX-keSB-RkH23KqtQH36IMOUmol1kw'),
}
# config name: (box AP, mask AP, Google Drive file id)
DETECTION = {
    'mask-rcnn_uniformer-light-xxs_fpn_1x_coco':
    (42.8, 39.2, '1CUyS-hWbpLvOXHZ35n4BZPmiCbMXt0mc'),
    'mask-rcnn_uniformer-light-xs_fpn_1x_coco':
    (44.6, 40.9, '1CRHb-W5Csy_509J4Ux62TOT7dpixdsOi'),
    'mask-rcnn_uniformer-s-h14_fpn_1x_coco':
    (45.6, 41.6, '13KhBYkHKQg-CyhAgn1LQM1K0R4bwSpWT'),
    'mask-rcnn_uniformer-s-h14_fpn_amp-ms-crop-3x_coco':
    (48.2, 43.4, '13O6P-spXbWuXgUjLw8AyRITYTwhdOwuD'),
    'mask-rcnn_uniformer-b-h14_fpn_1x_coco':
    (47.4, 43.1, '13YrVEiqFraSuX1NzdhPnhw7bFXTvEii1'),
    'mask-rcnn_uniformer-b-h14_fpn_amp-ms-crop-3x_coco':
    (50.3, 44.8, '12xyS2xqFSYMkHUiVYVGVW7gaLIxuK2q6'),
    'cascade-mask-rcnn_uniformer-s-h14_fpn_amp-ms-crop-3x_coco':
    (52.1, 45.2, '13IhpRkh2hE8WfDyw-5-NXSUVZjn9DX20'),
    'cascade-mask-rcnn_uniformer-b-h14_fpn_amp-ms-crop-3x_coco':
    (53.8, 46.4, '13G9wc73CmS1Kb-kVelFSDlK-ezUBadzQ'),
}
# config name: (mIoU, multi-scale mIoU or None, Google Drive file id or None)
SEGMENTATION = {
    'fpn_uniformer-light-xxs_8xb4-80k_ade20k-512x512':
    (42.3, None, '1DPakdzr6G7n8t3_ZAFCx8wFX1r5h_V7-'),
    'fpn_uniformer-light-xs_8xb4-80k_ade20k-512x512':
    (44.4, None, '1Dj3GiQLK7YZPKSgz_Uk8JL1J66XEvw0Y'),
    'fpn_uniformer-s-h14_8xb4-80k_ade20k-512x512':
    (46.3, None, None),
    'fpn_uniformer-b-h14_8xb4-80k_ade20k-512x512':
    (47.0, None, '14XokJDp1oYDV9jZnniMXyk3AnVfk1S1-'),
    'fpn_uniformer-s-g_8xb4-80k_ade20k-512x512':
    (46.6, None, '14bEsZqMw35tmDgrvYA_dRMsSC0Z4TX2Y'),
    'fpn_uniformer-s-g_8xb4-80k_ade20k-512x512_g':
    (46.6, None, '14bEsZqMw35tmDgrvYA_dRMsSC0Z4TX2Y'),
    'fpn_uniformer-s-g_8xb4-80k_ade20k-512x512_h32':
    (46.2, None, '14bEsZqMw35tmDgrvYA_dRMsSC0Z4TX2Y'),
    'fpn_uniformer-s-g_8xb4-80k_ade20k-512x512_w32':
    (45.6, None, '14bEsZqMw35tmDgrvYA_dRMsSC0Z4TX2Y'),
    'fpn_uniformer-b-g_8xb4-80k_ade20k-512x512':
    (48.0, None, '14dLoIcAUWjyo1d5XXuo1yb2jcslt_t4P'),
    'fpn_uniformer-b-g_8xb4-80k_ade20k-512x512_g':
    (48.0, None, '14dLoIcAUWjyo1d5XXuo1yb2jcslt_t4P'),
    'fpn_uniformer-b-g_8xb4-80k_ade20k-512x512_h32':
    (47.7, None, '14dLoIcAUWjyo1d5XXuo1yb2jcslt_t4P'),
    'fpn_uniformer-b-g_8xb4-80k_ade20k-512x512_w32':
    (47.0, None, '14dLoIcAUWjyo1d5XXuo1yb2jcslt_t4P'),
    'upernet_uniformer-s-h14_8xb2-160k_ade20k-512x512':
    (46.9, 48.0, None),
    'upernet_uniformer-b-h14_8xb2-160k_ade20k-512x512':
    (48.9, 50.0, None),
    'upernet_uniformer-s-g_8xb2-160k_ade20k-512x512':
    (47.6, 48.5, '13hOneJiFqwEneUz1Zpqo1W2uv7BsoXGF'),
    'upernet_uniformer-s-g_8xb2-160k_ade20k-512x512_g':
    (47.6, 48.5, '13hOneJiFqwEneUz1Zpqo1W2uv7BsoXGF'),
    'upernet_uniformer-s-g_8xb2-160k_ade20k-512x512_h32':
    (47.0, 48.5, '13hOneJiFqwEneUz1Zpqo1W2uv7BsoXGF'),
    'upernet_uniformer-s-g_8xb2-160k_ade20k-512x512_w32':
    (46.6, 48.4, '13hOneJiFqwEneUz1Zpqo1W2uv7BsoXGF'),
    'upernet_uniformer-b-g_8xb2-160k_ade20k-512x512':
    (50.0, 50.8, '14bEgmFbTijBoTKTwny_aCJlARs6z31mP'),
    'upernet_uniformer-b-g_8xb2-160k_ade20k-512x512_g':
    (50.0, 50.8, '14bEgmFbTijBoTKTwny_aCJlARs6z31mP'),
    'upernet_uniformer-b-g_8xb2-160k_ade20k-512x512_h32':
    (49.5, 50.7, '14bEgmFbTijBoTKTwny_aCJlARs6z31mP'),
    'upernet_uniformer-b-g_8xb2-160k_ade20k-512x512_w32':
    (49.1, 50.6, '14bEgmFbTijBoTKTwny_aCJlARs6z31mP'),
}
# config name: ((AP, AP@0.5, AP@0.75, AR (M), AR (L), AR), Drive file id)
POSE = {
    'td-hm_uniformer-s_8xb128-210e_coco-256x192':
    ((74.0, 90.3, 82.2, 66.8, 76.7, 79.5),
     '162R0JuTpf3gpLe1IK6oxRoQK7JSj4ylx'),
    'td-hm_uniformer-s_8xb128-210e_coco-384x288':
    ((75.9, 90.6, 83.4, 68.6, 79.0, 81.4),
     '163vuFkpcgVOthC05jCwjGzo78Nr0eikW'),
    'td-hm_uniformer-s_8xb64-210e_coco-448x320':
    ((76.2, 90.6, 83.2, 68.6, 79.4, 81.4),
     '165nQRsT58SXJegcttksHwDn46Fme5dGX'),
    'td-hm_uniformer-b_8xb128-210e_coco-256x192':
    ((75.0, 90.6, 83.0, 67.8, 77.7, 80.4),
     '15tzJaRyEzyWp2mQhpjDbBzuGoyCaJJ-2'),
    'td-hm_uniformer-b_8xb32-210e_coco-384x288':
    ((76.7, 90.8, 84.0, 69.3, 79.7, 81.4),
     '15qtUaOR_C7-vooheJE75mhA9oJQt3gSx'),
    'td-hm_uniformer-b_8xb32-210e_coco-448x320':
    ((77.4, 91.1, 84.4, 70.2, 80.6, 82.5),
     '156iNxetiCk8JJz41aFDmFh9cQbCaMk3D'),
}

# ImageNet-1K (reference §9.1), config name: (top-1, params, FLOPs, Google
# Drive file id)
IMAGENET = {
    'uniformer-small_8xb128_in1k':
    (82.9, '22M', '3.6G', '1-uepH3Q3BhTmWU6HK-sGAGQC_MpfIiPD'),
    'uniformer-small-plus_8xb128_in1k':
    (83.4, '24M', '4.2G', '10IN5ULcjz0Ld_lDokkTGOSmRFXLzUkEs'),
    'uniformer-small-plus-dim64_8xb128_in1k':
    (83.4, '24M', '4.2G', '178ipRvMBKeAP_Fzy6fEr2HQkIQWdgEY6'),
    'uniformer-base_8xb128_in1k':
    (83.8, '50M', '8.3G', '1-wT39QazTGELxgrQIu6J12D3qcla3hui'),
    'uniformer-base-ls_8xb128_in1k':
    (83.9, '50M', '8.3G', '10FnwzMVgGL8bPO3EMZ7oG4vDvqnPoBK5'),
    'uniformer-small_tl_8xb128_in1k':
    (83.4, '22M', '3.6G', '16wjfeyqQFZ2x9W91EXf0Py1bfv4Fydfr'),
    'uniformer-small-plus_tl_8xb128_in1k':
    (83.9, '24M', '4.2G', '16rgtEVEeX3jVTQaiLsojBQP5sRaj_2aZ'),
    'uniformer-base_tl_8xb128_in1k':
    (85.1, '50M', '8.3G', '16nsTjawiYZuoCHBRarr58zA7vCFcmQmL'),
    'uniformer-large-ls_tl_8xb128_in1k':
    (85.6, '100M', '12.6G', '173e2qaJhOwbuC_DbNQSH47Oo_04mSfDj'),
    'uniformer-small-dim64_tl_8xb128_in1k':
    (83.4, '22M', '3.6G', '17NC5qqAWCT2gI_jY_cJnFTOqRQTSwsoz'),
    'uniformer-small-plus-dim64_tl_8xb128_in1k':
    (83.6, '24M', '4.2G', '17OfoDWt2_nA0BYN0OuLPpG8mHJDTluQQ'),
    'uniformer-base-dim64_tl_8xb128_in1k':
    (84.8, '50M', '8.3G', '17MneG9CnZG6zBvXYUr4WUXoTYc4rjJj5'),
    'uniformer-small_tl_8xb64_in1k-384px':
    (84.6, '22M', '11.9G', '16p4CXzuXC5J4_SJK67dsvnc8gTKmtKN1'),
    'uniformer-small-plus_tl_8xb64_in1k-384px':
    (84.9, '24M', '13.7G', '16wJT87vTc43Dt1q2sXrxZRUuEdrNdFdk'),
    'uniformer-base_tl_8xb64_in1k-384px':
    (86.0, '50M', '27.2G', '16kZlIarIwf9ldkCdHVKTQfFmDgfkucQ7'),
    'uniformer-large-ls_tl_8xb32_in1k-384px':
    (86.3, '100M', '39.2G', '174rcA6rNzYVG9Ya9ik-NwTGoxW1M79ez'),
    # light (uniformer_light.md §6)
    'uniformer-light-xxs_8xb512_in1k-128px':
    (76.8, '10.2M', '0.43G', '1Cr7uB5hUck1BHioEROWZjfLpYRwg4Zps'),
    'uniformer-light-xxs_8xb512_in1k-160px':
    (79.1, '10.2M', '0.67G', '1CsXCzfVFPyM2mY8BA_1fO3q_VBngnF44'),
    'uniformer-light-xxs_8xb512_in1k-192px':
    (79.9, '10.2M', '0.96G', '1CjrCEnZCk2aLrN7nVG8vFvu3FAUL4_Y_'),
    'uniformer-light-xxs_8xb512_in1k-224px':
    (80.6, '10.2M', '1.3G', '1Cw9r_3c30N-esFI8RFYa6rQXJrr1rAHY'),
    'uniformer-light-xs_8xb512_in1k-192px':
    (81.5, '16.5M', '1.4G', '1Ce2Dk9-k_-sHt5dXp-gfNOEK37Jdcffv'),
    'uniformer-light-xs_8xb512_in1k-224px':
    (82.0, '16.5M', '2.0G', '1CwQ91fjuAu3Rhn3zV4vjAmQ8v36AfYPT'),
}
# token-labeling training configs: the official runs of the ``_tl_``
# test configs above, whose entries hold the weights and results
TL_TRAIN = {
    name.replace('_tl_', '_tl-train_')
    for name in IMAGENET if '_tl_' in name
}
# configs with no official run / checkpoint of their own (not demos: they
# train)
NOT_RELEASED = {'uniformer-large-ls_8xb128_in1k'} | TL_TRAIN

MMACTION = 'https://download.openmmlab.com/mmaction/v1.0/recognition/' \
    'uniformerv1/'
MMPOSE = 'https://download.openmmlab.com/mmpose/v1/projects/uniformer/'
# Entries whose Weights is an OpenMMLab mirror (the Drive file then sits in
# ``Converted From``).
MIRRORS = {
    'uniformer-small_imagenet1k-pre_8xb4-16x4x1-110e_kinetics400-rgb':
    MMACTION + 'uniformer-small_imagenet1k-pre_16x4x1_kinetics400-rgb_'
    '20221219-c630a037.pth',
    'uniformer-base_imagenet1k-pre_8xb5-16x4x1-110e_kinetics400-rgb':
    MMACTION + 'uniformer-base_imagenet1k-pre_16x4x1_kinetics400-rgb_'
    '20221219-157c2e66.pth',
    'uniformer-base_imagenet1k-pre_8xb4-32x4x1-110e_kinetics400-rgb':
    MMACTION + 'uniformer-base_imagenet1k-pre_32x4x1_kinetics400-rgb_'
    '20221219-b776322c.pth',
    'td-hm_uniformer-s_8xb128-210e_coco-256x192':
    MMPOSE + 'top_down_256x192_global_small-d4a7fdac_20230724.pth',
    'td-hm_uniformer-s_8xb128-210e_coco-384x288':
    MMPOSE + 'top_down_384x288_global_small-7a613f78_20230724.pth',
    'td-hm_uniformer-s_8xb64-210e_coco-448x320':
    MMPOSE + 'top_down_448x320_global_small-18b760de_20230724.pth',
    'td-hm_uniformer-b_8xb128-210e_coco-256x192':
    MMPOSE + 'top_down_256x192_global_base-1713bcd4_20230724.pth',
    'td-hm_uniformer-b_8xb32-210e_coco-384x288':
    MMPOSE + 'top_down_384x288_global_base-c650da38_20230724.pth',
    'td-hm_uniformer-b_8xb32-210e_coco-448x320':
    MMPOSE + 'top_down_448x320_global_base-a05c185f_20230724.pth',
}
# Package demo: no official result, no checkpoint.
DEMO = {'uniformer-tiny_scratch_1xb16-8x2x1-8e_motion-rgb'}


def _load(folder):
    with open(METAFILES[folder]) as f:
        return yaml.safe_load(f)


def _models():
    """(folder, entry) for every metafile entry."""
    return [(folder, m) for folder in FOLDERS
            for m in (_load(folder).get('Models') or [])]


def _reference():
    """name -> (dataset, {metric: value}, drive id or None)."""
    ref = {}
    for name, (dataset, top1, gid) in VIDEO.items():
        ref[name] = (dataset, {'Top 1 Accuracy': top1}, gid)
    for name, (box, mask, gid) in DETECTION.items():
        ref[name] = ('COCO', {'box AP': box, 'mask AP': mask}, gid)
    for name, (miou, ms, gid) in SEGMENTATION.items():
        metrics = {'mIoU': miou}
        if ms is not None:
            metrics['mIoU(ms)'] = ms
        ref[name] = ('ADE20K', metrics, gid)
    for name, (values, gid) in POSE.items():
        ref[name] = ('COCO', dict(zip(POSE_KEYS, values)), gid)
    for name, (top1, _, _, gid) in IMAGENET.items():
        ref[name] = ('ImageNet-1k', {'Top 1 Accuracy': top1}, gid)
    return ref


def _config_files():
    """Every config under configs/*/uniformer/ except the _base_ folders."""
    files = []
    for folder in sorted((ROOT / 'configs').glob('*/uniformer')):
        files += [p for p in folder.rglob('*.py')
                  if '_base_' not in p.relative_to(folder).parts]
    return sorted(files)


def _header(path):
    """The leading comment block of a config file."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith('#'):
            break
        lines.append(line)
    return '\n'.join(lines)


@pytest.mark.parametrize('folder', FOLDERS)
def test_metafile_parses(folder):
    data = _load(folder)
    assert isinstance(data, dict), METAFILES[folder]
    collections = {c['Name'] for c in data['Collections']}
    assert collections
    for collection in data['Collections']:
        # like OpenMMLab's metafiles (and mim), paths are relative to the
        # package root, not to the metafile
        if 'README' in collection:
            assert (ROOT / collection['README']).is_file()
    assert data['Models']
    for m in data['Models']:
        assert m['In Collection'] in collections, m['Name']
        md = m['Metadata']
        assert isinstance(md['Architecture'], list) and md['Architecture']
        assert md['Training Data'] and isinstance(md['Batch Size'], int)
        assert isinstance(md.get('Epochs', md.get('Iterations')), int)
        # mim search joins list values as strings: keep them strings
        for key, value in md.items():
            assert isinstance(value, (str, int, float)) or (
                isinstance(value, list)
                and all(isinstance(v, str) for v in value)), (m['Name'], key)


def test_names_unique_and_match_configs():
    names = [m['Name'] for _, m in _models()]
    assert len(names) == len(set(names))
    for folder, m in _models():
        config = ROOT / m['Config']
        assert config.is_file(), m['Config']
        assert config.parent == METAFILES[folder].parent, m['Config']
        # mim uses Name as the config id and dumps it as <Name>.py
        assert config.stem == m['Name']


def test_every_config_in_exactly_one_entry():
    listed = [(ROOT / m['Config']).resolve() for _, m in _models()]
    files = _config_files()
    assert files
    missing = [str(p.relative_to(ROOT)) for p in files
               if listed.count(p.resolve()) != 1]
    assert not missing, f'configs not in exactly one metafile entry: {missing}'


def test_results_match_reference():
    ref = _reference()
    seen = set()
    for folder, m in _models():
        name = m['Name']
        if name in DEMO or name in NOT_RELEASED:
            assert 'Results' not in m, name
            continue
        assert name in ref, f'{name}: no reference values in this test'
        seen.add(name)
        dataset, expected, _ = ref[name]
        got = {}
        for result in m['Results']:
            assert result['Dataset'] == dataset, name
            for key, value in result['Metrics'].items():
                assert result['Task'] == TASKS[folder][key], (name, key)
                assert key not in got, (name, key)
                got[key] = value
        assert got == expected, name
    assert seen == set(ref), f'reference rows without an entry: ' \
        f'{sorted(set(ref) - seen)}'


def test_results_match_config_headers():
    """Each official number is also the one quoted in the config header."""
    for _, m in _models():
        header = _header(ROOT / m['Config'])
        for result in m.get('Results', []):
            for key, value in result['Metrics'].items():
                text = f'{value:.1f}'
                assert re.search(rf'(?<![\d.]){re.escape(text)}(?!\d)',
                                 header), (m['Name'], key, text)


def test_weights():
    ref = _reference()
    for _, m in _models():
        name = m['Name']
        gid = ref.get(name, (None, None, None))[2]
        if name in DEMO or name in NOT_RELEASED or gid is None:
            assert 'Weights' not in m, name
            assert re.search(r'no released checkpoint', m['Note'], re.I), \
                name
            if name not in DEMO:
                assert 'Weights' not in m['Converted From'], name
                assert m['Converted From']['Code'] == OFFICIAL_CODE
            continue
        drive = f'https://drive.google.com/file/d/{gid}/view'
        assert m['Converted From'] == {'Weights': drive,
                                       'Code': OFFICIAL_CODE}, name
        assert DRIVE_URL.match(drive), name
        weights = m['Weights']
        if name in MIRRORS:
            assert weights == MIRRORS[name], name
            assert MIRROR_URL.match(weights), name
        else:
            assert weights == drive, name
    assert set(MIRRORS) <= set(ref)


def test_test_only_configs_share_checkpoint():
    entries = {m['Name']: m for _, m in _models()}
    suffix = re.compile(r'_(g|h32|w32)$')
    test_only = [n for n in entries if suffix.search(n)]
    assert test_only
    for name in test_only:
        train = suffix.sub('', name)
        assert train in entries, name
        assert entries[name].get('Weights') == entries[train].get('Weights')
        assert entries[name]['Converted From'] == \
            entries[train]['Converted From']


def test_model_index_imports_all_metafiles():
    with open(ROOT / 'model-index.yml') as f:
        index = yaml.safe_load(f)
    expected = {f'configs/{folder}/uniformer/metafile.yml'
                for folder in FOLDERS}
    assert len(index['Import']) == len(expected)
    assert set(index['Import']) == expected
    modelindex = importorskip('modelindex.load_model_index')
    loaded = modelindex.load(str(ROOT / 'model-index.yml'))
    # modelindex resolves README against the metafile's folder, OpenMMLab
    # and mim against the package root (checked in test_metafile_parses)
    errors = [e for e in loaded.check(silent=True)
              if 'Path to README file' not in e]
    assert errors == []
    assert len(loaded.models) == len(_models())


def test_mim_search_table():
    """What ``mim search mmuniformer`` builds from the model index."""
    search = importorskip('mim.commands.search')
    modelindex = importorskip('modelindex.load_model_index')
    df = search.convert2df(modelindex.load(str(ROOT / 'model-index.yml')))
    entries = {m['Name']: m for _, m in _models()}
    assert set(df.index) == set(entries)
    for name, m in entries.items():
        weight = df.loc[name, 'weight']
        if 'Weights' in m:
            assert weight == m['Weights']
        else:
            assert not isinstance(weight, str), name
        assert df.loc[name, 'config'] == m['Config']


def test_imagenet_params_and_flops():
    """The official params / FLOPs of each ImageNet entry (§9.1)."""
    entries = {m['Name']: m for _, m in _models()}
    for name, (_, params, flops, _) in IMAGENET.items():
        md = entries[name]['Metadata']
        assert (md['Parameters'], md['FLOPs']) == (params, flops), name


def test_token_labeling_training_entries_point_at_their_test_entry():
    entries = {m['Name']: m for _, m in _models()}
    assert len(TL_TRAIN) == 11
    for name in TL_TRAIN:
        test = name.replace('_tl-train_', '_tl_')
        assert name in entries and 'Weights' in entries[test], name
        assert test in entries[name]['Note'], name
        md, ref = entries[name]['Metadata'], entries[test]['Metadata']
        for key in ('Head Dim', 'Epochs', 'Batch Size', 'Input Size',
                    'Parameters'):
            assert md[key] == ref[key], (name, key)
