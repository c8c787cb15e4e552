using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Kernels;

/// <summary>
/// Every kernel compiled once for one accelerator and launched on its default stream, so launches run in the order they
/// were made; a copy back to the host waits for them.
/// </summary>
internal sealed class DeviceKernels
{
    /// <param name="device">The accelerator, and the cuBLAS handle on it when the dense GEMMs go through cuBLAS.</param>
    public DeviceKernels(DeviceAccelerator device)
    {
        var accelerator = device.Accelerator;
        WarpSize = accelerator.WarpSize;
        DenseForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DenseKernels.Forward);
        DenseWeightGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(DenseKernels.WeightGradient);
        DenseBiasGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(DenseKernels.BiasGradient);
        DenseInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(DenseKernels.InputGradient);
        DenseBiasRows = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(DenseKernels.BiasRows);
        ReluForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ActivationKernels.ReluForward);
        ReluBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ActivationKernels.ReluBackward);
        SigmoidForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ActivationKernels.SigmoidForward);
        SigmoidBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ActivationKernels.SigmoidBackward);
        TanhForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(ActivationKernels.TanhForward);
        TanhBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ActivationKernels.TanhBackward);
        DropoutForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>, int, int, float, float, ulong, ulong>(DropoutKernels.Forward);
        DropoutBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(DropoutKernels.Backward);
        DropConnectMask = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, ulong, ulong>(DropConnectKernels.Mask);
        DropConnectWeightGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(DropConnectKernels.WeightGradient);
        SoftmaxCrossEntropy = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<int>, ArrayView<float>, ArrayView<int>, int, float>(LossKernels.SoftmaxCrossEntropy);
        MeanSquaredError = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<int>, ArrayView<float>, ArrayView<int>, int, float>(LossKernels.MeanSquaredError);
        FixedPointAdd = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<long>, ArrayView<int>, ArrayView<float>, int>(FixedPointKernels.Add);
        LayerNormForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(NormalizationKernels.LayerNormForward);
        LayerNormInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(NormalizationKernels.LayerNormInputGradient);
        ScaleShiftGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(NormalizationKernels.ScaleShiftGradient);
        BatchNormTrainingForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float>(NormalizationKernels.BatchNormTrainingForward);
        BatchNormEvaluationForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float>(NormalizationKernels.BatchNormEvaluationForward);
        BatchNormTrainingInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(NormalizationKernels.BatchNormTrainingInputGradient);
        BatchNormEvaluationInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(NormalizationKernels.BatchNormEvaluationInputGradient);
        SwapOuterAxes = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int>(RecurrentKernels.SwapOuterAxes);
        Accumulate = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>>(RecurrentKernels.Accumulate);
        GatherHidden = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int>(RecurrentKernels.GatherHidden);
        WriteRecurrentOutput = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int>(RecurrentKernels.WriteOutput);
        ScatterOutputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int>(RecurrentKernels.ScatterOutputGradient);
        ElmanForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RecurrentKernels.ElmanForward);
        ElmanBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int>(RecurrentKernels.ElmanBackward);
        LstmForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RecurrentKernels.LstmForward);
        LstmBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(RecurrentKernels.LstmBackward);
        GruForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(RecurrentKernels.GruForward);
        GruBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(RecurrentKernels.GruBackward);
        ConvolutionForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ImageWindow>(ConvolutionKernels.Forward);
        ConvolutionInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ImageWindow>(ConvolutionKernels.InputGradient);
        ConvolutionSampleWeightGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ImageWindow>(ConvolutionKernels.SampleWeightGradient);
        ConvolutionSampleBiasGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ImageWindow>(ConvolutionKernels.SampleBiasGradient);
        AddChannelBias = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ImageWindow>(ConvolutionKernels.AddChannelBias);
        AddSampleSums = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(ConvolutionKernels.AddSampleSums);
        MaxPoolForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ImageWindow>(PoolingKernels.MaxForward);
        MaxPoolBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ImageWindow>(PoolingKernels.MaxBackward);
        AvgPoolForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ImageWindow>(PoolingKernels.AvgForward);
        AvgPoolBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ImageWindow>(PoolingKernels.AvgBackward);
        LeakyReluForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, float>(ActivationKernels.LeakyReluForward);
        LeakyReluBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float>(ActivationKernels.LeakyReluBackward);
        ParametricReluForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ActivationKernels.ParametricReluForward);
        ParametricReluInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ActivationKernels.ParametricReluInputGradient);
        ParametricReluSlopeGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(ActivationKernels.ParametricReluSlopeGradient);
        ResidualForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>>(SkipKernels.ResidualForward);
        HighwayForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(SkipKernels.HighwayForward);
        HighwayGradients = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>>(SkipKernels.HighwayGradients);
        HighwayInputGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SkipKernels.HighwayInputGradient);
        EmbeddingForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(EmbeddingKernels.Forward);
        EmbeddingWeightGradient = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(EmbeddingKernels.WeightGradient);
        SoftmaxForward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(SoftmaxKernels.Forward);
        SoftmaxBackward = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SoftmaxKernels.Backward);
        Gemm = device.CuBlas is { } blas ? new CuBlasGemm(blas, this) : new KernelGemm(this);
    }

    /// <summary>The dense GEMMs, on cuBLAS or on the Dense* kernels below, as <see cref="DeviceAccelerator.Gemm"/> says.</summary>
    public IDeviceGemm Gemm { get; }

    /// <summary>
    /// Threads per warp: <see cref="DenseForward"/> runs one warp per output element, the layer norm and softmax layer kernels
    /// one per row.
    /// </summary>
    public int WarpSize { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> DenseForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> DenseWeightGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> DenseBiasGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> DenseInputGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int> DenseBiasRows { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>> ReluForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> ReluBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>> SigmoidForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> SigmoidBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>> TanhForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> TanhBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<long>, int, int, float, float, ulong, ulong> DropoutForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> DropoutBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, ulong, ulong, ulong> DropConnectMask { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> DropConnectWeightGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<int>, ArrayView<float>, ArrayView<int>, int, float> SoftmaxCrossEntropy { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<int>, ArrayView<float>, ArrayView<int>, int, float> MeanSquaredError { get; }

    public Action<Index1D, ArrayView<long>, ArrayView<int>, ArrayView<float>, int> FixedPointAdd { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float> LayerNormForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> LayerNormInputGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> ScaleShiftGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float, float> BatchNormTrainingForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, float> BatchNormEvaluationForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> BatchNormTrainingInputGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int> BatchNormEvaluationInputGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int> SwapOuterAxes { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>> Accumulate { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int> GatherHidden { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int, int> WriteRecurrentOutput { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int, int, int, int> ScatterOutputGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> ElmanForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int, int> ElmanBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> LstmForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> LstmBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> GruForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int> GruBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ImageWindow> ConvolutionForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ImageWindow> ConvolutionInputGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ImageWindow> ConvolutionSampleWeightGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ImageWindow> ConvolutionSampleBiasGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ImageWindow> AddChannelBias { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int, int> AddSampleSums { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, ImageWindow> MaxPoolForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, ImageWindow> MaxPoolBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ImageWindow> AvgPoolForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ImageWindow> AvgPoolBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, float> LeakyReluForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float> LeakyReluBackward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> ParametricReluForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> ParametricReluInputGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> ParametricReluSlopeGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>> ResidualForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> HighwayForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>> HighwayGradients { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> HighwayInputGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> EmbeddingForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int> EmbeddingWeightGradient { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, int> SoftmaxForward { get; }

    public Action<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int> SoftmaxBackward { get; }
}
