"""Write small toy data sets in COCO and ADE20K format, for CPU runs and tests.

Each image shows 5 to 9 rectangles, triangles and ellipses (varied sizes,
rotated, textured, partly hiding each other) on a cluttered background of
stripes, checks, gradients, noise and distractors (stars, rings, bars) that
belong to no class and take any colour. Each class prefers a hue family
(red, green, blue) and a texture (stripes, checks, flat), each for 80% of its
instances, independently; the rest are drawn at random. The hue is the cue a
model trained from scratch picks up within a few hundred CPU iterations
(with texture alone, Semantic FPN stayed at chance after 300); texture and
shape carry the rest. The same scenes are written twice:

- ``<out>/toy_coco``: ``train2017/``, ``val2017/`` JPEGs and
  ``annotations/instances_{train,val}2017.json`` with one polygon per visible
  instance (COCO's modal convention: what is hidden is not annotated).
- ``<out>/toy_ade20k``: ``images/{training,validation}/*.jpg`` and
  ``annotations/{training,validation}/*.png`` holding ADE20K index + 1 of
  'box', 'tent' and 'ball' (the ADE20K names standing in for the shapes) and
  0 for everything else, as in ADE20K itself.

Output depends only on the arguments: every image has its own seeded
generator. A directory holding anything but a previous toy set is never
touched unless ``--force`` is given, and then nothing in it is deleted.

Example:
    python tools/make_toy_data.py --out data --num-train 400 --num-val 40
"""
import argparse
import json
import os
import os.path as osp

import cv2
import numpy as np
from pycocotools import mask as mask_utils

SHAPES = ('rectangle', 'triangle', 'ellipse')
ADE20K_NAMES = ('box', 'tent', 'ball')
ADE20K_INDEX = (41, 114, 119)  # 0-based positions in ADE20K's 150 classes
# Each class prefers one texture (stripes, checks, flat) with this
# probability, else draws one at random like the background does.
TEXTURE = (1, 2, 0)
TEXTURE_BIAS = 0.8
# Each class also prefers a hue family (red, green, blue; degrees), with
# this probability, else a random colour.
HUE = (0, 120, 240)
HUE_BIAS = 0.8
MARKER = '.mmattn_toy.json'
SPLITS = (('train', 'train2017', 'training'), ('val', 'val2017', 'validation'))
UP = 4  # masks are traced at 4x so polygons follow pixel edges closely


def _texture(rng, h, w, colour, kind=None):
    """A flat, striped, checkered or graded fill (``kind`` 0-3, random if
    None) around ``colour``, with noise."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    other = colour * rng.uniform(0.25, 0.55)  # same hue, darker
    kind = rng.integers(4) if kind is None else kind
    if kind == 0:
        weight = np.zeros((h, w), np.float32)
    elif kind == 1:
        angle, period = rng.uniform(0, np.pi), rng.uniform(4, 10)
        phase = (xx * np.cos(angle) + yy * np.sin(angle)) / period
        weight = (np.floor(phase) % 2) * rng.uniform(0.5, 1.0)
    elif kind == 2:
        cell = rng.integers(3, 8)
        weight = ((xx // cell + yy // cell) % 2) * rng.uniform(0.5, 1.0)
    else:
        angle = rng.uniform(0, 2 * np.pi)
        ramp = xx * np.cos(angle) + yy * np.sin(angle)
        weight = (ramp - ramp.min()) / max(np.ptp(ramp), 1.0)
    weight = weight[..., None]
    img = (1 - weight) * colour + weight * other
    return img + rng.normal(0, rng.uniform(2, 12), (h, w, 3))


def _colour(rng, hue=None):
    """A BGR colour: saturated and bright, of ``hue`` (degrees) ± 20, or
    any colour if None."""
    if hue is None:
        return rng.uniform(0, 255, 3)
    hsv = np.array([[[((hue + rng.uniform(-20, 20)) % 360) / 2,
                      rng.uniform(150, 255), rng.uniform(150, 255)]]])
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)[0, 0] \
        .astype(np.float64)


def _polygon(rng, shape, size):
    """Vertices (x, y) of a class shape of about ``size`` px, centred on 0."""
    if shape == 'rectangle':
        half = np.array([size, size * rng.uniform(0.45, 1.0)]) / 2
        pts = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]]) * half
    elif shape == 'triangle':
        angles = np.array([0, 2 * np.pi / 3, 4 * np.pi / 3])
        angles[1:] += rng.uniform(-0.35, 0.35, 2)
        pts = np.stack([np.cos(angles), np.sin(angles)], 1) * size / 2
        pts -= pts.mean(0)
    else:
        t = np.linspace(0, 2 * np.pi, 48, endpoint=False)
        axes = np.array([1.0, rng.uniform(0.45, 1.0)]) * size / 2
        pts = np.stack([np.cos(t), np.sin(t)], 1) * axes
    angle = rng.uniform(0, np.pi)
    rot = np.array([[np.cos(angle), -np.sin(angle)],
                    [np.sin(angle), np.cos(angle)]])
    return pts @ rot.T


def _fill(pts, h, w):
    """Rasterise a polygon given in pixel-edge coordinates (COCO's)."""
    mask = np.zeros((h, w), np.uint8)
    fixed = np.round((pts - 0.5) * 16).astype(np.int32)  # 4 fractional bits
    cv2.fillPoly(mask, [fixed], 1, lineType=cv2.LINE_8, shift=4)
    return mask.astype(bool)


def _is_simple_region(mask):
    """One connected piece without holes: it becomes a single polygon."""
    contours, hierarchy = cv2.findContours(
        mask.astype(np.uint8), cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return len(contours) == 1 and hierarchy[0][0][3] == -1


def _background(rng, size):
    """Textured background with distractor stars, rings and bars."""
    img = _texture(rng, size, size, _colour(rng))
    for _ in range(rng.integers(1, 4)):
        colour = _colour(rng)
        centre = rng.uniform(0, size, 2)
        scale = rng.uniform(0.08, 0.3) * size
        kind = rng.integers(3)
        mask = np.zeros((size, size), np.uint8)
        if kind == 0:  # star with 4 to 7 rounded points: no class shape
            t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
            r = scale * (0.6 + 0.4 * np.cos(rng.integers(4, 8) * t +
                                            rng.uniform(0, 2 * np.pi)))
            pts = centre + np.stack([np.cos(t), np.sin(t)], 1) * r[:, None]
            mask = _fill(pts, size, size).astype(np.uint8)
        elif kind == 1:  # ring
            cv2.circle(mask, tuple(int(c) for c in centre), int(scale), 1,
                       thickness=int(rng.integers(2, 5)))
        else:  # bar
            end = centre + rng.normal(0, 1, 2) * scale * 2
            cv2.line(mask, tuple(int(c) for c in centre),
                     tuple(int(c) for c in end), 1,
                     thickness=int(rng.integers(2, 6)))
        fill = _texture(rng, size, size, colour)
        img[mask > 0] = fill[mask > 0]
    return img


def make_scene(rng, size):
    """Draw one image; return it (H×W×3 uint8, BGR) and its instances.

    Each instance is a dict with ``label`` (index into SHAPES) and ``mask``
    (the visible pixels, H×W bool), in drawing order.
    """
    img = _background(rng, size)
    instances = []
    for _ in range(rng.integers(5, 10)):
        label = int(rng.integers(len(SHAPES)))
        for _attempt in range(20):
            obj = _polygon(rng, SHAPES[label], rng.uniform(0.14, 0.32) * size)
            low, high = -obj.min(0) + 1, size - obj.max(0) - 1
            if np.any(low >= high):
                continue
            mask = _fill(obj + rng.uniform(low, high), size, size)
            hidden = [inst['mask'] & ~mask for inst in instances]
            if all(vis.sum() >= 0.5 * inst['full'] and _is_simple_region(vis)
                   for vis, inst in zip(hidden, instances)):
                break
        else:
            continue
        region = img[mask].mean(0)
        hue = HUE[label] if rng.random() < HUE_BIAS else None
        for _try in range(10):  # keep the shape visible against its ground
            colour = _colour(rng, hue)
            if np.abs(colour - region).mean() > 40:
                break
        kind = TEXTURE[label] if rng.random() < TEXTURE_BIAS else None
        fill = _texture(rng, size, size, colour, kind)
        img[mask] = fill[mask]
        for inst, vis in zip(instances, hidden):
            inst['mask'] = vis
        instances.append(dict(label=label, mask=mask, full=mask.sum()))
    img = img + rng.normal(0, 4, img.shape)
    img = np.clip(img, 0, 255).astype(np.uint8)
    return img, [dict(label=i['label'], mask=i['mask']) for i in instances]


def mask_to_polygon(mask):
    """Trace a simple region into one COCO polygon [x1, y1, x2, y2, ...]."""
    big = np.kron(mask.astype(np.uint8), np.ones((UP, UP), np.uint8))
    contours, _ = cv2.findContours(big, cv2.RETR_EXTERNAL,
                                   cv2.CHAIN_APPROX_NONE)
    contour = cv2.approxPolyDP(max(contours, key=len), 1.0, True)
    # Centres of the boundary pixels at 4x lie 1/8 px inside the region.
    pts = (contour.reshape(-1, 2) + 0.5) / UP
    return [round(float(v), 3) for v in pts.reshape(-1)]


def _stale_files(root, force):
    """Files of an earlier toy set in ``root``; raise if it holds others."""
    marker = osp.join(root, MARKER)
    if osp.isfile(marker):
        with open(marker) as f:
            files = json.load(f)['files']
        # Only paths inside root, whatever the marker says.
        return [osp.join(root, rel) for rel in files
                if not osp.isabs(rel) and '..' not in rel.split('/')]
    if osp.isdir(root) and os.listdir(root) and not force:
        raise FileExistsError(
            f'{root} exists and is not a toy data set written by this tool; '
            'refusing to write into it (choose another --out, or pass '
            '--force to write over files of the same names, deleting none).')
    return []


def _write(root, rel, write):
    path = osp.join(root, rel)
    os.makedirs(osp.dirname(path), exist_ok=True)
    write(path)
    return rel


def make_toy_data(out='data', num_train=400, num_val=40, size=128, seed=0,
                  force=False):
    """Write ``<out>/toy_coco`` and ``<out>/toy_ade20k``; return both."""
    coco_root = osp.join(out, 'toy_coco')
    ade_root = osp.join(out, 'toy_ade20k')
    stale = _stale_files(coco_root, force) + _stale_files(ade_root, force)
    for path in stale:
        if osp.isfile(path):
            os.remove(path)
    coco_files, ade_files = [], []
    jpeg = [cv2.IMWRITE_JPEG_QUALITY, 95]
    for split_id, (split, coco_dir, ade_dir) in enumerate(SPLITS):
        images, annotations = [], []
        for i in range(num_train if split == 'train' else num_val):
            img, instances = make_scene(
                np.random.default_rng([seed, split_id, i]), size)
            image_id = i + 1
            name = f'{image_id:012d}.jpg'
            coco_files.append(_write(coco_root, f'{coco_dir}/{name}',
                                     lambda p: cv2.imwrite(p, img, jpeg)))
            images.append(
                dict(id=image_id, file_name=name, height=size, width=size))
            label_map = np.zeros((size, size), np.uint8)
            for inst in instances:
                poly = mask_to_polygon(inst['mask'])
                rle = mask_utils.frPyObjects([poly], size, size)
                xs, ys = poly[0::2], poly[1::2]
                annotations.append(
                    dict(
                        id=len(annotations) + 1,
                        image_id=image_id,
                        category_id=inst['label'] + 1,
                        segmentation=[poly],
                        area=float(mask_utils.area(rle)[0]),
                        bbox=[min(xs), min(ys),
                              round(max(xs) - min(xs), 3),
                              round(max(ys) - min(ys), 3)],
                        iscrowd=0))
                label_map[inst['mask']] = ADE20K_INDEX[inst['label']] + 1
            stem = f'ADE_{split}_{image_id:08d}'
            ade_files.append(_write(ade_root, f'images/{ade_dir}/{stem}.jpg',
                                    lambda p: cv2.imwrite(p, img, jpeg)))
            ade_files.append(
                _write(ade_root, f'annotations/{ade_dir}/{stem}.png',
                       lambda p: cv2.imwrite(p, label_map)))
        coco = dict(
            info=dict(description='mmattn toy COCO (tools/make_toy_data.py)'),
            images=images,
            annotations=annotations,
            categories=[
                dict(id=k + 1, name=name, supercategory='shape')
                for k, name in enumerate(SHAPES)
            ])
        coco_files.append(
            _write(coco_root, f'annotations/instances_{coco_dir}.json',
                   lambda p: _dump(coco, p)))
    args = dict(num_train=num_train, num_val=num_val, size=size, seed=seed)
    for root, files in ((coco_root, coco_files), (ade_root, ade_files)):
        _dump(dict(generator='tools/make_toy_data.py', args=args,
                   files=files), osp.join(root, MARKER))
    return coco_root, ade_root


def _dump(obj, path):
    with open(path, 'w') as f:
        json.dump(obj, f, separators=(',', ':'))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default='data', help='parent directory')
    parser.add_argument('--num-train', type=int, default=400)
    parser.add_argument('--num-val', type=int, default=40)
    parser.add_argument('--size', type=int, default=128, help='image side')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--force',
        action='store_true',
        help='write into directories that hold other data (deleting none)')
    return parser.parse_args()


def main():
    args = parse_args()
    if args.size < 32 or args.num_train < 1 or args.num_val < 1:
        raise SystemExit('--size must be >= 32 and the counts >= 1')
    for root in make_toy_data(args.out, args.num_train, args.num_val,
                              args.size, args.seed, args.force):
        print(f'wrote {root}')


if __name__ == '__main__':
    main()
