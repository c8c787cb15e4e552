using DistributedTrainer.Numerics;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Tests.Jobs;
using DistributedTrainer.Tests.Numerics;
using DistributedTrainer.Training;
using Xunit;

namespace DistributedTrainer.Tests.Training;

/// <summary>Image layers built from a job spec by <see cref="ModelFactory"/>: LeNet-5 as the examples write it.</summary>
// Sets ComputeThreads.Count and measures allocation on this thread, so it must not run beside other tests that set it.
[Collection(ComputeThreadsCollection.Name)]
public sealed class ConvolutionalModelTests
{
    [Fact]
    public void Build_LeNet_ChainsImageShapesAndCountsLeNetParameters()
    {
        using var model = ModelFactory.Build(JobSpecValidatorImageLayerTests.LeNet().Model, 784, 4);

        var conv2 = Assert.IsType<Conv2d>(model.Layers.Single(layer => layer.Name == "conv2d4"));
        Assert.Equal(new ImageShape(16, 10, 10), conv2.OutputShape);
        Assert.Equal(400, model.Layers.Single(layer => layer.Name == "flatten7").OutputSize);
        // conv1 6·25 + 6, conv2 16·150 + 16, fc 400·120 + 120, 120·84 + 84, 84·10 + 10
        Assert.Equal(61_706, model.Store.Count);
        Assert.Equal(["conv2d1.weight", "conv2d1.bias"], model.Store.Parameters.Take(2).Select(view => view.Name));
    }

    [Fact]
    public void ForwardBackward_LeNetSteadyState_AllocatesNothing()
    {
        int saved = ComputeThreads.Count;
        ComputeThreads.Count = 1;
        try
        {
            using var model = ModelFactory.Build(JobSpecValidatorImageLayerTests.LeNet().Model, 784, 8);
            model.Initialize(3);
            float[] input = GradientCheck.RandomValues(8 * 784, 51, 0, 1);
            float[] outputGradient = GradientCheck.RandomValues(8 * 10, 52);
            var context = GradientCheck.Training(8);
            void Step()
            {
                model.ZeroGradients();
                model.Forward(context, input, 8);
                model.Backward(context, outputGradient, 8);
            }
            Step();
            Step();

            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++)
            {
                Step();
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.Equal(0, allocated);
        }
        finally
        {
            ComputeThreads.Count = saved;
        }
    }

    [Fact]
    public void Backward_LeNet_MatchesFiniteDifferences()
    {
        // A small LeNet-like stack over 1x8x8 images: reshape, conv, tanh, avg pool, conv, max pool, flatten, dense.
        var spec = new ModelSpec
        {
            Layers =
            {
                new LayerSpec { Reshape = new ReshapeSpec { Channels = 1, Height = 8, Width = 8 } },
                new LayerSpec { Conv2D = new Conv2dSpec { OutChannels = 3, Kernel = 3, Padding = 1 } },
                new LayerSpec { Activation = new ActivationSpec { Kind = ActivationSpec.Types.Kind.Tanh } },
                new LayerSpec { AvgPool2D = new Pool2dSpec { Kernel = 2 } },
                new LayerSpec { Conv2D = new Conv2dSpec { OutChannels = 4, Kernel = 2, Stride = 2 } },
                new LayerSpec { Flatten = new FlattenSpec() },
                new LayerSpec { Dense = new DenseSpec { Units = 3 } },
            },
        };
        using var model = ModelFactory.Build(spec, 64, 2);
        model.Initialize(7);

        GradientCheck.AssertModelGradients(model, GradientCheck.Training(2), GradientCheck.RandomValues(128, 53), 2);
    }
}
