using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace DistributedTrainer.Tests.Numerics;

/// <summary>
/// Checks Golden/mlp.json (the reference for the layer and loss kernels) against a plain double-precision
/// forward and backward pass, which also pins down its layout: weights (out, in), y = x W^T + b.
/// </summary>
public sealed class MlpGoldenTests(ITestOutputHelper output)
{
    private static readonly JsonElement Golden = GoldenFiles.Load("mlp.json");

    private static double[][] Matrix(JsonElement json) => [.. json.EnumerateArray().Select(GoldenFiles.Doubles)];

    private static double[] Row(double[][] matrix) => [.. matrix.SelectMany(row => row)];

    // input (B, I), weight (O, I), bias (O) -> output (B, O)
    private static double[][] Linear(double[][] input, double[][] weight, double[] bias) =>
        [.. input.Select(x => weight.Select((w, o) => bias[o] + w.Zip(x, (a, b) => a * b).Sum()).ToArray())];

    // forward: y = x W^T + b  =>  dx = dY W, dW = dY^T x, db = sum over the batch of dY
    private static (double[][] Input, double[][] Weight, double[] Bias) LinearBackward(double[][] outputGrad, double[][] input, double[][] weight)
    {
        double[][] inputGrad = [.. outputGrad.Select(dy => Enumerable.Range(0, weight[0].Length).Select(i => dy.Select((d, o) => d * weight[o][i]).Sum()).ToArray())];
        double[][] weightGrad = [.. weight.Select((_, o) => Enumerable.Range(0, weight[0].Length).Select(i => outputGrad.Select((dy, b) => dy[o] * input[b][i]).Sum()).ToArray())];
        double[] biasGrad = [.. weight.Select((_, o) => outputGrad.Sum(dy => dy[o]))];
        return (inputGrad, weightGrad, biasGrad);
    }

    [Fact]
    public void MlpJson_ForwardAndBackwardInDouble_MatchStoredTensors()
    {
        var layers = Golden.GetProperty("layers").EnumerateArray().ToArray();
        double[][][] weights = [.. layers.Select(layer => Matrix(layer.GetProperty("weight")))];
        double[][] biases = [.. layers.Select(layer => GoldenFiles.Doubles(layer.GetProperty("bias")))];
        double[][] x = Matrix(Golden.GetProperty("inputs"));
        int[] labels = [.. Golden.GetProperty("labels").EnumerateArray().Select(label => label.GetInt32())];
        var comparison = new GoldenFiles.Comparison("mlp");

        double[][] a1 = Linear(x, weights[0], biases[0]);
        double[][] h1 = [.. a1.Select(row => row.Select(v => Math.Max(v, 0)).ToArray())];
        double[][] a2 = Linear(h1, weights[1], biases[1]);
        double[][] h2 = [.. a2.Select(row => row.Select(Math.Tanh).ToArray())];
        double[][] logits = Linear(h2, weights[2], biases[2]);
        double[][] probabilities = [.. logits.Select(row => row.Select(v => Math.Exp(v - row.Max())).ToArray()).Select(row => row.Select(v => v / row.Sum()).ToArray())];
        double loss = labels.Select((label, b) => -Math.Log(probabilities[b][label])).Sum();
        // forward: loss = sum_b -log softmax(z_b)[label_b]  =>  dz = softmax(z) - onehot(label)
        double[][] dLogits = [.. probabilities.Select((row, b) => row.Select((p, c) => p - (c == labels[b] ? 1 : 0)).ToArray())];
        var third = LinearBackward(dLogits, h2, weights[2]);
        // forward: h2 = tanh(a2)  =>  da2 = dh2 (1 - h2^2)
        double[][] dA2 = [.. third.Input.Select((row, b) => row.Select((d, o) => d * (1 - (h2[b][o] * h2[b][o]))).ToArray())];
        var second = LinearBackward(dA2, h1, weights[1]);
        // forward: h1 = max(a1, 0)  =>  da1 = dh1 [a1 > 0]
        double[][] dA1 = [.. second.Input.Select((row, b) => row.Select((d, o) => a1[b][o] > 0 ? d : 0).ToArray())];
        var first = LinearBackward(dA1, x, weights[0]);

        comparison.Add(Row(Matrix(Golden.GetProperty("logits"))), Row(logits), "logits");
        comparison.Add([Golden.GetProperty("loss").GetDouble()], [loss], "loss");
        comparison.Add(Row(Matrix(Golden.GetProperty("input_grad"))), Row(first.Input), "input_grad");
        var grads = new[] { first, second, third };
        for (int i = 0; i < layers.Length; i++)
        {
            comparison.Add(Row(Matrix(layers[i].GetProperty("weight_grad"))), Row(grads[i].Weight), $"layer {i} weight_grad");
            comparison.Add(GoldenFiles.Doubles(layers[i].GetProperty("bias_grad")), grads[i].Bias, $"layer {i} bias_grad");
        }
        comparison.Report(output);
    }
}
