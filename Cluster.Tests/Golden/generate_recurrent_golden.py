#!/usr/bin/python3
"""Writes recurrent.json, the PyTorch reference that Cluster.Tests/Numerics/RecurrentGoldenTests.cs replays.

Run from anywhere with Debian's interpreter (torch 1.13, CPU):

    /usr/bin/python3 Cluster.Tests/Golden/generate_recurrent_golden.py

For each case, nn.RNN / nn.LSTM / nn.GRU (batch_first) with fixed random weights runs in float64 on a batch of
3 sequences of 5 steps of 3 features; the layer's output (LAST: each direction's final hidden state, MEAN: the
outputs averaged over time, SEQUENCE: every step's output) is dotted with a fixed random tensor R and the sum
backpropagated. The file holds the parameters in named_parameters() order (weight_ih_l0, weight_hh_l0,
bias_ih_l0, bias_hh_l0, then "_reverse" and the layers above), the input, R, the output, and the gradients of
the input and of every parameter, all flattened row-major (10 significant digits). float64 makes the reference exact to the float32
rounding of the C# side, which the test's tolerance covers.
"""

import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
BATCH, STEPS, FEATURES, HIDDEN = 3, 5, 3, 4

CASES = [
    # name, module, nonlinearity, num_layers, bidirectional, output
    ("rnn_tanh_stacked_bidirectional_sequence", "rnn", "tanh", 2, True, "SEQUENCE"),
    ("rnn_relu_last", "rnn", "relu", 1, False, "LAST"),
    ("lstm_stacked_bidirectional_last", "lstm", None, 2, True, "LAST"),
    ("lstm_mean", "lstm", None, 1, False, "MEAN"),
    ("gru_stacked_bidirectional_sequence", "gru", None, 2, True, "SEQUENCE"),
    ("gru_last", "gru", None, 1, False, "LAST"),
]


def flat(tensor):
    """Row-major values with 10 significant digits: far below float32 rounding, and a small file."""
    return [float(f"{v:.10g}") for v in tensor.detach().reshape(-1).tolist()]


def build(module, nonlinearity, num_layers, bidirectional):
    arguments = dict(input_size=FEATURES, hidden_size=HIDDEN, num_layers=num_layers, bidirectional=bidirectional,
                     batch_first=True)
    if module == "rnn":
        return torch.nn.RNN(nonlinearity=nonlinearity, **arguments)
    return {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[module](**arguments)


def case(index, name, module, nonlinearity, num_layers, bidirectional, output):
    torch.manual_seed(100 + index)
    layer = build(module, nonlinearity, num_layers, bidirectional).double()
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.uniform_(-0.7, 0.7)
    inputs = torch.randn(BATCH, STEPS, FEATURES, dtype=torch.float64, requires_grad=True)
    sequence, _ = layer(inputs)
    if output == "SEQUENCE":
        result = sequence
    elif output == "MEAN":
        result = sequence.mean(dim=1)
    else:
        # Each direction's final state: the forward pass ends at the last step, the reverse pass at the first.
        result = sequence[:, -1, :HIDDEN]
        if bidirectional:
            result = torch.cat([result, sequence[:, 0, HIDDEN:]], dim=1)
    weights = torch.rand(result.shape, dtype=torch.float64) * 2 - 1
    (result * weights).sum().backward()
    return {
        "name": name,
        "kind": {"rnn": "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", "lstm": "LSTM", "gru": "GRU"}[module],
        "num_layers": num_layers,
        "bidirectional": bidirectional,
        "output": output,
        "parameter_names": [parameter_name for parameter_name, _ in layer.named_parameters()],
        "parameters": [flat(parameter) for _, parameter in layer.named_parameters()],
        "input": flat(inputs),
        "output_weights": flat(weights),
        "result": flat(result),
        "input_grad": flat(inputs.grad),
        "parameter_grads": [flat(parameter.grad) for _, parameter in layer.named_parameters()],
    }


if __name__ == "__main__":
    torch.set_num_threads(1)
    payload = {
        "description": "nn.RNN/nn.LSTM/nn.GRU, batch_first, float64; loss = sum(output * output_weights)",
        "batch": BATCH, "steps": STEPS, "input_size": FEATURES, "hidden_size": HIDDEN,
        "cases": [case(i, *spec) for i, spec in enumerate(CASES)],
    }
    path = os.path.join(HERE, "recurrent.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, separators=(",", ":"))
        handle.write("\n")
    print(f"recurrent.json: {os.path.getsize(path)} bytes")
