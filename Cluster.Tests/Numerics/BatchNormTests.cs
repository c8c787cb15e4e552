using DistributedTrainer.Numerics.Layers;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class BatchNormTests
{
    // Golden values from PyTorch 1.13:
    //   bn = torch.nn.BatchNorm1d(3); bn.weight = [1.5, -0.5, 2.0]; bn.bias = [0.1, 0.2, -0.3]
    //   bn.train(); bn(First); y = bn(Second)  -> SecondOutput, RunningMean, RunningVar
    //   bn.eval(); bn(First)                   -> FirstEvaluation
    private static readonly float[] Gamma = [1.5f, -0.5f, 2.0f];
    private static readonly float[] Beta = [0.1f, 0.2f, -0.3f];
    private static readonly float[] First = [1.0f, 2.0f, -1.0f, 0.5f, -3.0f, 2.0f, 2.5f, 1.0f, 0.0f, -1.0f, 0.5f, 4.0f];
    private static readonly float[] Second = [0.0f, 1.0f, 2.0f, 3.0f, -2.0f, 1.0f];
    private static readonly float[] SecondOutput = [-1.3999966f, -0.29999888f, 1.6999598f, 1.5999968f, 0.6999989f, -2.2999601f];
    private static readonly float[] RunningMean = [0.2175f, -0.03875f, 0.26249999f];
    private static readonly float[] RunningVar = [1.4475f, 1.685625f, 1.3024999f];
    private static readonly float[] FirstEvaluation =
    [
        1.0755844f, -0.58514923f, -2.5124369f, 0.4522078f, 1.3404161f, 2.7448387f,
        2.9457142f, -0.20003618f, -0.76001161f, -1.41792202f, -0.00747965f, 6.2496891f,
    ];

    private static Model GoldenModel()
    {
        var model = new Model([new BatchNorm("bn", 3)], 4);
        model.Initialize(1);
        Gamma.CopyTo(model.Store.ValuesOf(model.Store.Parameters[0]));
        Beta.CopyTo(model.Store.ValuesOf(model.Store.Parameters[1]));
        return model;
    }

    [Fact]
    public void Forward_Training_NormalizesWithBatchStatisticsLikePyTorch()
    {
        using var model = GoldenModel();
        model.Forward(GradientCheck.Training(4), First, 4);

        var output = model.Forward(GradientCheck.Training(2), Second, 2);

        GradientCheck.AssertClose(SecondOutput, output, 1e-4);
    }

    [Fact]
    public void Forward_Training_UpdatesRunningStatisticsLikePyTorch()
    {
        using var model = GoldenModel();

        model.Forward(GradientCheck.Training(4), First, 4);
        model.Forward(GradientCheck.Training(2), Second, 2);

        GradientCheck.AssertClose([.. RunningMean, .. RunningVar], model.Store.BufferValues, 1e-6);
    }

    [Fact]
    public void Forward_Evaluation_UsesRunningStatistics()
    {
        using var model = GoldenModel();
        model.Forward(GradientCheck.Training(4), First, 4);
        model.Forward(GradientCheck.Training(2), Second, 2);

        var output = model.Forward(GradientCheck.Evaluation(), First, 4);

        GradientCheck.AssertClose(FirstEvaluation, output, 1e-5);
    }

    [Fact]
    public void Forward_TrainingSingleRow_ThrowsNamingLayer()
    {
        using var model = GoldenModel();

        var error = Assert.Throws<ArgumentException>(() => model.Forward(GradientCheck.Training(1), Second, 1));

        Assert.Contains("'bn'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Backward_Training_MatchesFiniteDifferences()
    {
        using var model = new Model([new BatchNorm("bn", 3)], 5);
        model.Initialize(1);
        GradientCheck.RandomValues(6, 2, 0.5f, 1.5f).CopyTo(model.Store.Values);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(5), GradientCheck.RandomValues(15, 1, -2, 2), 5);
    }

    [Fact]
    public void Backward_Evaluation_MatchesFiniteDifferences()
    {
        using var model = GoldenModel();
        model.Forward(GradientCheck.Training(4), First, 4);

        GradientCheck.AssertModelGradients(model, GradientCheck.Evaluation(), GradientCheck.RandomValues(12, 1, -2, 2), 4);
    }
}
