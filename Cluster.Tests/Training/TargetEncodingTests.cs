using DistributedTrainer.Data;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

public sealed class TargetEncodingTests
{
    [Fact]
    public void Encode_UnscoredLabel_GivesAZeroRow()
    {
        var targets = new float[9];
        targets.AsSpan().Fill(7f);

        TargetEncoding.Encode(targets, [2, Dataset.Unscored, 0], 3);

        Assert.Equal([0f, 0f, 1f, 0f, 0f, 0f, 1f, 0f, 0f], targets);
    }

    [Fact]
    public void CountCorrect_UnscoredLabels_NeverCount()
    {
        // Every row predicts class 0 (its largest logit).
        float[] outputs = [5f, 1f, 5f, 1f, 5f, 1f];

        int correct = TargetEncoding.CountCorrect(outputs, [0, Dataset.Unscored, 1], 2);

        Assert.Equal(1, correct);
    }
}
