using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Reports.Images;
using DistributedTrainer.Training.Adversarial;
using Xunit;

namespace DistributedTrainer.Tests.Reports;

public class ImageGridTests
{
    [Fact]
    public void Render_FiveGreySamples_LaysOutThreeByTwoWithBorders()
    {
        var grid = new SampleGrid(new float[5 * 4], 5, new ImageShape(1, 2, 2), 0f, 1f);

        var picture = ImageGrid.Render(grid);

        Assert.Equal((3 * 4 + 2, 2 * 4 + 2, 1), (picture.Width, picture.Height, picture.Channels));
    }

    [Fact]
    public void Render_Values_MapLowToBlackAndHighToWhiteClamped()
    {
        // One 1x4 sample: low, middle, high, above high.
        var grid = new SampleGrid([-1f, 0f, 1f, 3f], 1, new ImageShape(1, 1, 4), -1f, 1f);

        var picture = ImageGrid.Render(grid);

        int row = 2 * picture.Width;
        Assert.Equal(new byte[] { 0, 128, 255, 255 }, picture.Pixels.AsSpan(row + 2, 4).ToArray());
    }

    [Fact]
    public void Render_ThreeChannels_WritesRgb()
    {
        // One 1x1 RGB sample: channel planes red 1, green 0, blue 0.5.
        var grid = new SampleGrid([1f, 0f, 0.5f], 1, new ImageShape(3, 1, 1), 0f, 1f);

        var picture = ImageGrid.Render(grid);

        Assert.Equal(3, picture.Channels);
        int at = (2 * picture.Width + 2) * 3;
        Assert.Equal(new byte[] { 255, 0, 128 }, picture.Pixels.AsSpan(at, 3).ToArray());
    }
}
