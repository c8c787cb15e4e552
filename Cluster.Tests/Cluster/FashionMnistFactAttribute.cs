using Xunit;

namespace DistributedTrainer.Tests.Cluster;

/// <summary>A fact that is skipped, saying why, where Debian's Fashion-MNIST (dataset-fashion-mnist) is not installed.</summary>
public sealed class FashionMnistFactAttribute : FactAttribute
{
    public const string Directory = "/usr/share/datasets/fashion-mnist";

    public FashionMnistFactAttribute()
    {
        if (!File.Exists(Path.Combine(Directory, "train-images-idx3-ubyte.gz")))
        {
            Skip = $"Fashion-MNIST is not installed at {Directory}";
        }
    }
}
