using System.Text.Json;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class AdversarialLossTests
{
    private static readonly float[] Outputs = [-2.5f, -0.7f, 0.3f, 1.1f, 3.2f];

    public static TheoryData<AdversarialSpec.Types.Loss, string> Parts()
    {
        var data = new TheoryData<AdversarialSpec.Types.Loss, string>();
        foreach (var kind in new[] { AdversarialSpec.Types.Loss.Minimax, AdversarialSpec.Types.Loss.NonSaturating, AdversarialSpec.Types.Loss.Wasserstein })
        {
            foreach (var part in new[] { "real", "fake", "generator" })
            {
                data.Add(kind, part);
            }
        }
        return data;
    }

    public static TheoryData<string> GoldenCases()
    {
        var data = new TheoryData<string>();
        foreach (var element in Golden().GetProperty("cases").EnumerateArray())
        {
            data.Add(element.GetProperty("name").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Parts))]
    public void Compute_AnyPart_GradientMatchesCentralDifferences(AdversarialSpec.Types.Loss kind, string part)
    {
        var loss = new AdversarialLoss(kind);
        var gradient = new float[Outputs.Length];

        Compute(loss, part, gradient, Outputs);

        var numeric = CentralDifferences.Gradient(point => Compute(loss, part, new float[point.Length], point), Outputs);
        CentralDifferences.AssertClose(gradient, numeric, 1e-4);
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void Compute_GoldenCase_MatchesPyTorch(string name)
    {
        var element = Golden().GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);
        var kind = element.GetProperty("kind").GetString() switch
        {
            "MINIMAX" => AdversarialSpec.Types.Loss.Minimax,
            "NON_SATURATING" => AdversarialSpec.Types.Loss.NonSaturating,
            _ => AdversarialSpec.Types.Loss.Wasserstein,
        };
        var outputs = GoldenFiles.Floats(element.GetProperty("outputs"));
        var expected = element.GetProperty("gradient").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        double expectedSum = element.GetProperty("sum").GetDouble();
        var gradient = new float[outputs.Length];

        double sum = Compute(new AdversarialLoss(kind), element.GetProperty("part").GetString()!, gradient, outputs);

        Assert.True(Math.Abs(sum - expectedSum) <= 1e-6 * Math.Max(1, Math.Abs(expectedSum)), $"{name}: sum {sum} vs PyTorch {expectedSum}");
        CentralDifferences.AssertClose(gradient, expected, 1e-6);
    }

    [Fact]
    public void Constructor_WassersteinGp_Throws()
    {
        var error = Assert.Throws<ArgumentException>(() => new AdversarialLoss(AdversarialSpec.Types.Loss.WassersteinGp));

        Assert.Contains("WassersteinGp", error.Message);
    }

    [Fact]
    public void Generator_NonSaturatingAtConfidentRejection_KeepsAGradientWhereMinimaxSaturates()
    {
        float[] rejected = [-12f];
        var minimax = new float[1];
        var nonSaturating = new float[1];

        new AdversarialLoss(AdversarialSpec.Types.Loss.Minimax).Generator(minimax, rejected);
        new AdversarialLoss(AdversarialSpec.Types.Loss.NonSaturating).Generator(nonSaturating, rejected);

        Assert.True(Math.Abs(minimax[0]) < 1e-4f && Math.Abs(nonSaturating[0]) > 0.99f,
            $"minimax {minimax[0]}, non-saturating {nonSaturating[0]}");
    }

    private static double Compute(AdversarialLoss loss, string part, Span<float> gradient, ReadOnlySpan<float> outputs) => part switch
    {
        "real" => loss.Real(gradient, outputs),
        "fake" => loss.Fake(gradient, outputs),
        _ => loss.Generator(gradient, outputs),
    };

    private static JsonElement Golden() => GoldenFiles.Load("gan_losses.json");
}
