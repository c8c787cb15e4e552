#!/usr/bin/env python3
"""Write a DistributedTrainer shard directory with numpy (docs/DATASETS.md).

As a library:   from write_shards import write_shards
                write_shards("data/train", features, targets, kind="class_ids", num_classes=10)
As a script:    python3 write_shards.py OUT --kind class_ids|multi_hot|real
                writes OUT/train and OUT/test from a small synthetic problem (a demonstration and a test fixture).
"""
import argparse
import hashlib
import json
import os

import numpy as np

DTYPES = {"uint8", "float32", "int32", "int64"}


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_shards(directory, features, targets, kind, num_classes=None, shard_size=10000):
    """Write features (N, ...) and targets (N,) or (N, K) as .npy shards plus index.json.

    kind: "class_ids" (integer targets of shape (N,)), "multi_hot" (0/1 targets of shape (N, C)) or
    "real" (targets of shape (N,) or (N, K)). Arrays are stored little-endian in C order, as np.save does.
    """
    features = np.ascontiguousarray(features)
    targets = np.ascontiguousarray(targets)
    if features.shape[0] != targets.shape[0]:
        raise ValueError("features and targets need the same number of samples")
    for name, array in (("features", features), ("targets", targets)):
        if str(array.dtype) not in DTYPES:
            raise ValueError(f"{name}: dtype {array.dtype} is not one of {sorted(DTYPES)}")
    os.makedirs(directory, exist_ok=False)
    shards = []
    for number, start in enumerate(range(0, features.shape[0], shard_size)):
        entry = {"samples": int(min(shard_size, features.shape[0] - start))}
        for name, array in (("features", features), ("targets", targets)):
            file_name = f"shard-{number:05d}.{name}.npy"
            np.save(os.path.join(directory, file_name), array[start:start + shard_size])
            entry[name] = file_name
            entry[name + "_sha256"] = _sha256(os.path.join(directory, file_name))
        shards.append(entry)
    target_info = {"kind": kind, "dtype": str(targets.dtype), "shape": list(targets.shape[1:])}
    if num_classes is not None:
        target_info["num_classes"] = int(num_classes)
    index = {
        "format": "distributed-trainer-shards",
        "version": 1,
        "samples": int(features.shape[0]),
        "features": {"dtype": str(features.dtype), "shape": list(features.shape[1:])},
        "targets": target_info,
        "shards": shards,
    }
    with open(os.path.join(directory, "index.json"), "w") as file:
        json.dump(index, file, indent=2)


def _synthetic(kind, samples, rng):
    features = rng.uniform(-1, 1, size=(samples, 2, 3)).astype(np.float32)
    flat = features.reshape(samples, -1)
    if kind == "class_ids":
        return features, (flat[:, 0] > 0).astype(np.int64) + (flat[:, 1] > 0).astype(np.int64), 3
    if kind == "multi_hot":
        return features, (flat[:, :4] > 0).astype(np.uint8), 4
    return features, np.stack([flat[:, 0] + 2 * flat[:, 1], flat[:, 2] - flat[:, 3]], axis=1).astype(np.float32), None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--kind", choices=["class_ids", "multi_hot", "real"], default="class_ids")
    parser.add_argument("--shard-size", type=int, default=100)
    arguments = parser.parse_args()
    rng = np.random.default_rng(7)
    for split, samples in (("train", 400), ("test", 100)):
        features, targets, classes = _synthetic(arguments.kind, samples, rng)
        write_shards(os.path.join(arguments.out, split), features, targets, arguments.kind, classes, arguments.shard_size)
