#!/usr/bin/python3
"""Writes conv.json, the PyTorch reference the C# image-layer golden tests replay (Conv2dGoldenTests).

Run from anywhere with Debian's interpreter (torch 1.13, CPU, float32):

    /usr/bin/python3 Cluster.Tests/Golden/conv_golden.py

For batch_norm2d (training mode) also the running statistics after the step. For each case: the layer's settings, an input x (B, C, H, W) drawn from a fixed seed, the layer's parameters
(conv2d: weight (O, C, K, K) and bias (O); conv_transpose2d: weight (C, O, K, K) and bias (O)), the output y, a fixed upstream gradient r shaped like y, and the
gradients of L = sum(y * r) with respect to x and every parameter. Tensors are flattened row-major (NCHW),
the layout of the C# layers. Numbers are Python's repr of the float32 value, which parses back to the same float.
"""

import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def flat(tensor):
    return [float(v) for v in tensor.detach().reshape(-1).tolist()]


def run(name, layer, batch, channels, height, width, settings, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.uniform_(-1, 1)
    x = torch.empty(batch, channels, height, width).uniform_(-1, 1).requires_grad_(True)
    y = layer(x)
    r = torch.empty_like(y).uniform_(-1, 1)
    (y * r).sum().backward()
    case = {"name": name, "batch": batch, "input_shape": [channels, height, width],
            "output_shape": list(y.shape[1:]), **settings,
            "x": flat(x), "y": flat(y), "r": flat(r), "x_grad": flat(x.grad)}
    for parameter_name, parameter in layer.named_parameters():
        case[parameter_name] = flat(parameter)
        case[parameter_name + "_grad"] = flat(parameter.grad)
    for buffer_name, buffer in layer.named_buffers():
        if buffer_name != "num_batches_tracked":
            case[buffer_name] = flat(buffer)
    return case


def conv(name, batch, channels, height, width, out_channels, kernel, stride=1, padding=0, dilation=1, bias=True, seed=1):
    layer = torch.nn.Conv2d(channels, out_channels, kernel, stride=stride, padding=padding, dilation=dilation, bias=bias)
    settings = {"kind": "conv2d", "out_channels": out_channels, "kernel": kernel, "stride": stride,
                "padding": padding, "dilation": dilation, "has_bias": bias}
    return run(name, layer, batch, channels, height, width, settings, seed)


def conv_transpose(name, batch, channels, height, width, out_channels, kernel, stride=1, padding=0, output_padding=0,
                   dilation=1, bias=True, seed=1):
    layer = torch.nn.ConvTranspose2d(channels, out_channels, kernel, stride=stride, padding=padding,
                                     output_padding=output_padding, dilation=dilation, bias=bias)
    settings = {"kind": "conv_transpose2d", "out_channels": out_channels, "kernel": kernel, "stride": stride,
                "padding": padding, "output_padding": output_padding, "dilation": dilation, "has_bias": bias}
    return run(name, layer, batch, channels, height, width, settings, seed)


def pool(name, kind, batch, channels, height, width, kernel, stride, padding=0, seed=1):
    layer = (torch.nn.MaxPool2d(kernel, stride=stride, padding=padding) if kind == "max_pool2d"
             else torch.nn.AvgPool2d(kernel, stride=stride, padding=padding, count_include_pad=True))
    settings = {"kind": kind, "kernel": kernel, "stride": stride, "padding": padding}
    return run(name, layer, batch, channels, height, width, settings, seed)


def batch_norm(name, batch, channels, height, width, seed):
    layer = torch.nn.BatchNorm2d(channels, momentum=0.1, eps=1e-5)
    settings = {"kind": "batch_norm2d", "momentum": 0.1, "epsilon": 1e-5}
    return run(name, layer, batch, channels, height, width, settings, seed)


def main():
    torch.set_num_threads(1)
    cases = [
        conv("conv_plain", 2, 1, 6, 6, 3, 3, seed=1),
        conv("conv_lenet_first", 2, 1, 8, 8, 6, 5, padding=2, seed=2),
        conv("conv_multi_channel", 3, 3, 7, 5, 4, 3, seed=3),
        conv("conv_stride_padding", 2, 2, 7, 7, 3, 3, stride=2, padding=1, seed=4),
        conv("conv_dilation_no_bias", 2, 2, 9, 8, 2, 3, dilation=2, padding=1, bias=False, seed=5),
        conv("conv_stride3_kernel2", 1, 2, 8, 7, 3, 2, stride=3, seed=6),
        pool("max_pool_2x2", "max_pool2d", 2, 3, 6, 6, 2, 2, seed=7),
        pool("max_pool_overlap_padding", "max_pool2d", 2, 2, 7, 5, 3, 2, padding=1, seed=8),
        pool("avg_pool_2x2", "avg_pool2d", 2, 3, 6, 6, 2, 2, seed=9),
        pool("avg_pool_overlap_padding", "avg_pool2d", 2, 2, 7, 5, 3, 2, padding=1, seed=10),
        batch_norm("batch_norm2d_training", 3, 4, 5, 6, seed=11),
        conv_transpose("conv_transpose_plain", 2, 2, 4, 4, 3, 3, seed=12),
        conv_transpose("conv_transpose_gan_upsample", 2, 3, 4, 5, 2, 4, stride=2, padding=1, seed=13),
        conv_transpose("conv_transpose_output_padding_no_bias", 1, 2, 3, 4, 2, 3, stride=2, padding=1, output_padding=1,
                       bias=False, seed=14),
        conv_transpose("conv_transpose_dilation", 2, 1, 3, 3, 2, 2, stride=3, dilation=2, output_padding=2, seed=15),
    ]
    path = os.path.join(HERE, "conv.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump({"description": "torch.nn Conv2d / MaxPool2d / AvgPool2d / BatchNorm2d / ConvTranspose2d cases; L = sum(y * r); tensors NCHW, flat",
                   "cases": cases}, handle, separators=(",", ":"))
        handle.write("\n")
    print(f"conv.json: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
