using DistributedTrainer.Data;
using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Devices.Layers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Numerics.Losses;
using DistributedTrainer.Training;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices;

/// <summary>
/// Computes a step's micro-shards on one accelerator: the step's samples and the parameters go to the device once, every
/// shard's forward, loss and backward run there, and each shard's gradient is converted to fixed point and summed on the
/// device (<see cref="FixedPointKernels"/>), so only the exact integer sums, the per-row losses and the correct flags come
/// back. Batch norm's sample-weighted changes to its running statistics are summed the same way; every shard starts from
/// the step's running statistics, as on the CPU. Shards run one after another on the device; the sums are those
/// <see cref="MicroShardRunner"/> forms for the same float gradients and buffer changes.
/// </summary>
/// <remarks>
/// The float gradients themselves differ from the SIMD kernels' by rounding (another summation order in the GEMMs), so a
/// job on device workers trains to the same accuracy as on CPU workers but not to bitwise the same parameters.
/// Evaluation stays on the CPU model. Layers without a device kernel and losses other than softmax cross-entropy and mean
/// squared error are refused when the runner is built. A TEXT window (a class label per time step) is T rows of the loss,
/// each weighted 1/T, as on the CPU.
/// </remarks>
public sealed class DeviceShardRunner : IShardRunner
{
    private readonly DeviceAccelerator _device;
    private readonly Model _model;
    private readonly Dataset _data;
    private readonly ulong _seed;
    private readonly int _shardSize;
    // Targets per sample (the window of a TEXT data set, else 1) and classes per target.
    private readonly int _steps;
    private readonly int _stepClasses;
    private readonly DeviceKernels _kernels;
    private readonly DeviceNetwork _network;
    private readonly Action<Index1D, ArrayView<float>, ArrayView<double>, ArrayView<int>, ArrayView<float>, ArrayView<int>, int, float> _loss;
    private readonly MemoryBuffer1D<long, Stride1D.Dense> _sums;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _outputGradient;
    private readonly long[] _hostSums;
    // The fixed-point sums of the step's buffer changes; null when the model has no buffers.
    private readonly MemoryBuffer1D<long, Stride1D.Dense>? _bufferSums;
    private readonly long[] _hostBufferSums;
    // Grown to the largest step seen: the step's samples (rows, F), labels (rows, T) and ids, the losses and correct flags
    // of every target (rows, T), and the lowest offending element of each shard's gradient, then of each shard's buffer
    // change (int.MaxValue: none).
    private MemoryBuffer1D<float, Stride1D.Dense>? _features;
    private MemoryBuffer1D<int, Stride1D.Dense>? _labels;
    private MemoryBuffer1D<long, Stride1D.Dense>? _sampleIds;
    private MemoryBuffer1D<double, Stride1D.Dense>? _losses;
    private MemoryBuffer1D<int, Stride1D.Dense>? _correct;
    private MemoryBuffer1D<int, Stride1D.Dense>? _offenders;
    private float[] _hostFeatures = [];
    private int[] _hostLabels = [];
    private long[] _hostIds = [];
    private double[] _hostLosses = [];
    private int[] _hostCorrect = [];
    private int[] _hostOffenders = [];
    private int[] _lengths = [];
    private ShardResult[] _results = [];

    /// <param name="device">The accelerator; the runner owns it and disposes it with itself.</param>
    /// <param name="model">The model whose parameters each step reads (its gradients are left alone).</param>
    /// <param name="loss">The job's loss: softmax cross-entropy or mean squared error.</param>
    /// <param name="data">The training split.</param>
    /// <param name="seed">The job's seed, a key of dropout masks.</param>
    /// <param name="shardSize">Samples per micro-shard at most.</param>
    /// <exception cref="UnsupportedOnDeviceException">The model, loss or data has no device kernel.</exception>
    public DeviceShardRunner(DeviceAccelerator device, Model model, Loss loss, Dataset data, ulong seed, int shardSize)
    {
        ArgumentNullException.ThrowIfNull(device);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(loss);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(shardSize, 1);
        DeviceNetwork.Check(model);
        if (model.OutputSize % data.TargetsPerSample != 0 || model.OutputSize / data.TargetsPerSample < 2)
        {
            throw new UnsupportedOnDeviceException(
                $"Device workers train on class labels over at least 2 outputs each; this job has {data.TargetsPerSample} targets per sample " +
                $"and {model.OutputSize} outputs (run it on --device cpu workers)");
        }
        _device = device;
        _model = model;
        _data = data;
        _seed = seed;
        _shardSize = shardSize;
        _steps = data.TargetsPerSample;
        _stepClasses = model.OutputSize / _steps;
        _kernels = new DeviceKernels(device);
        _loss = loss switch
        {
            SoftmaxCrossEntropy => _kernels.SoftmaxCrossEntropy,
            MeanSquaredError => _kernels.MeanSquaredError,
            _ => throw new UnsupportedOnDeviceException(
                $"Loss '{loss.Name}' has no device kernel (device workers compute softmax_cross_entropy and mse; run this job on --device cpu workers)"),
        };
        var accelerator = device.Accelerator;
        _network = new DeviceNetwork(accelerator, _kernels, model, shardSize);
        _sums = accelerator.Allocate1D<long>(model.Store.Count);
        _outputGradient = accelerator.Allocate1D<float>((long)shardSize * model.OutputSize);
        _hostSums = new long[model.Store.Count];
        _hostBufferSums = new long[model.Store.BufferValues.Length];
        if (_hostBufferSums.Length > 0)
        {
            _bufferSums = accelerator.Allocate1D<long>(_hostBufferSums.Length);
        }
    }

    /// <inheritdoc />
    public int FirstNonFiniteShard { get; private set; } = -1;

    /// <summary>What computes: "cuda:0 (NVIDIA ...)" or "cpu-accelerator (ILGPU CPUAccelerator)".</summary>
    public string Description => _device.Description;

    /// <inheritdoc />
    public ShardResult Compute(long step, ReadOnlySpan<int> batch, FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges)
    {
        int shards = MicroShards.Count(batch.Length, _shardSize);
        if (_lengths.Length < shards)
        {
            _lengths = new int[shards];
            _results = new ShardResult[shards];
        }
        for (int shard = 0; shard < shards; shard++)
        {
            _lengths[shard] = Math.Min(_shardSize, batch.Length - shard * _shardSize);
        }
        ComputeShards(step, batch, _lengths.AsSpan(0, shards), gradients, bufferChanges, _results);
        return ShardResult.InShardOrder(_results.AsSpan(0, shards));
    }

    /// <inheritdoc />
    public void ComputeShards(long step, ReadOnlySpan<int> sampleIds, ReadOnlySpan<int> shardLengths,
        FixedPointAccumulator gradients, FixedPointAccumulator bufferChanges, Span<ShardResult> results)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        ArgumentNullException.ThrowIfNull(bufferChanges);
        int shards = shardLengths.Length;
        if (results.Length < shards)
        {
            throw new ArgumentException($"Invalid results: room for {results.Length} shards, {shards} given", nameof(results));
        }
        int rows = sampleIds.Length;
        int start = 0;
        for (int shard = 0; shard < shards; shard++)
        {
            int length = shardLengths[shard];
            if (length < 1 || length > _shardSize || start + length > rows)
            {
                throw new ArgumentException(
                    $"Invalid shard_lengths[{shard}]: {length} (must be in [1, {_shardSize}] and within the {rows} sample ids)",
                    nameof(shardLengths));
            }
            start += length;
        }
        if (start != rows)
        {
            throw new ArgumentException($"Invalid shard_lengths: they cover {start} of the {rows} sample ids", nameof(shardLengths));
        }
        if (gradients.Length != _hostSums.Length)
        {
            throw new ArgumentException($"Invalid gradients: {gradients.Length} elements for a model of {_hostSums.Length} parameters", nameof(gradients));
        }
        if (bufferChanges.Length != _hostBufferSums.Length)
        {
            throw new ArgumentException(
                $"Invalid buffer_changes: {bufferChanges.Length} elements for a model of {_hostBufferSums.Length} buffer values", nameof(bufferChanges));
        }
        FirstNonFiniteShard = -1;
        if (shards == 0)
        {
            return;
        }
        Upload(sampleIds, shards);

        int features = _data.FeatureCount;
        int outputSize = _network.OutputSize;
        int steps = _steps;
        _sums.MemSetToZero();
        _bufferSums?.MemSetToZero();
        start = 0;
        for (int shard = 0; shard < shards; shard++)
        {
            int length = shardLengths[shard];
            var pass = new DeviceStep(_seed, step, Part(_sampleIds!, start, length));
            var input = Part(_features!, (long)start * features, (long)length * features);
            _network.Gradients.MemSetToZero();
            var outputs = _network.Forward(pass, input, length);
            var outputGradient = Part(_outputGradient, 0, (long)length * outputSize);
            // outputs (length, T·C) read as (length·T, C), one prediction per step; forward: loss_b = (1/T) Σ_t loss_bt.
            long targets = (long)start * steps;
            _loss(length * steps, outputGradient, Part(_losses!, targets, length * steps), Part(_correct!, targets, length * steps),
                outputs, Part(_labels!, targets, length * steps), _stepClasses, 1f / steps);
            _network.Backward(pass, input, outputGradient, length);
            _kernels.FixedPointAdd(_hostSums.Length, _sums.View, _offenders!.View, _network.Gradients.View, shard);
            if (_bufferSums is not null)
            {
                _kernels.FixedPointAdd(_hostBufferSums.Length, _bufferSums.View, _offenders.View, _network.BufferChanges!.View, shards + shard);
            }
            start += length;
        }

        // The copies back wait for every launch above (one stream, in order).
        _sums.View.AsContiguous().CopyToCPU(_hostSums);
        Part(_losses!, 0, (long)rows * steps).CopyToCPU(_hostLosses.AsSpan(0, rows * steps));
        Part(_correct!, 0, (long)rows * steps).CopyToCPU(_hostCorrect.AsSpan(0, rows * steps));
        Part(_offenders!, 0, 2 * shards).CopyToCPU(_hostOffenders.AsSpan(0, 2 * shards));
        gradients.Add(_hostSums);
        if (_bufferSums is not null)
        {
            _bufferSums.View.AsContiguous().CopyToCPU(_hostBufferSums);
            bufferChanges.Add(_hostBufferSums);
        }
        start = 0;
        for (int shard = 0; shard < shards; shard++)
        {
            int length = shardLengths[shard];
            double lossSum = 0;
            int correct = 0;
            // In row order, as the CPU loss sums its rows (a step per row), then the mean over a sample's steps.
            for (int row = start * steps; row < (start + length) * steps; row++)
            {
                lossSum += _hostLosses[row];
                correct += _hostCorrect[row];
            }
            results[shard] = new ShardResult(lossSum / steps, correct, length);
            if (_hostOffenders[shard] != int.MaxValue)
            {
                gradients.MarkNonFinite(_hostOffenders[shard]);
            }
            if (_hostOffenders[shards + shard] != int.MaxValue)
            {
                bufferChanges.MarkNonFinite(_hostOffenders[shards + shard]);
            }
            if (FirstNonFiniteShard < 0 && (_hostOffenders[shard] != int.MaxValue || _hostOffenders[shards + shard] != int.MaxValue))
            {
                FirstNonFiniteShard = shard;
            }
            start += length;
        }
    }

    /// <summary>The step's samples, labels and ids and the model's parameters and buffers to the device, in one copy each.</summary>
    private void Upload(ReadOnlySpan<int> sampleIds, int shards)
    {
        int rows = sampleIds.Length;
        int features = _data.FeatureCount;
        EnsureCapacity(rows, shards);
        var hostFeatures = _hostFeatures.AsSpan(0, rows * features);
        var hostLabels = _hostLabels.AsSpan(0, rows * _steps);
        _data.Gather(hostFeatures, hostLabels, sampleIds);
        for (int i = 0; i < rows; i++)
        {
            _hostIds[i] = sampleIds[i];
        }
        Array.Fill(_hostOffenders, int.MaxValue, 0, 2 * shards);
        Part(_features!, 0, (long)rows * features).CopyFromCPU(hostFeatures);
        Part(_labels!, 0, (long)rows * _steps).CopyFromCPU(hostLabels);
        Part(_sampleIds!, 0, rows).CopyFromCPU(_hostIds.AsSpan(0, rows));
        Part(_offenders!, 0, 2 * shards).CopyFromCPU(_hostOffenders.AsSpan(0, 2 * shards));
        _network.Parameters.View.AsContiguous().CopyFromCPU(_model.Store.Values);
        _network.Buffers?.View.AsContiguous().CopyFromCPU(_model.Store.BufferValues);
    }

    private static ArrayView<T> Part<T>(MemoryBuffer1D<T, Stride1D.Dense> buffer, long start, long length)
        where T : unmanaged => buffer.View.AsContiguous().SubView(start, length);

    private void EnsureCapacity(int rows, int shards)
    {
        var accelerator = _device.Accelerator;
        if (_hostIds.Length < rows)
        {
            _features?.Dispose();
            _labels?.Dispose();
            _sampleIds?.Dispose();
            _losses?.Dispose();
            _correct?.Dispose();
            _features = accelerator.Allocate1D<float>((long)rows * _data.FeatureCount);
            _labels = accelerator.Allocate1D<int>((long)rows * _steps);
            _sampleIds = accelerator.Allocate1D<long>(rows);
            _losses = accelerator.Allocate1D<double>((long)rows * _steps);
            _correct = accelerator.Allocate1D<int>((long)rows * _steps);
            _hostFeatures = new float[rows * _data.FeatureCount];
            _hostLabels = new int[rows * _steps];
            _hostIds = new long[rows];
            _hostLosses = new double[rows * _steps];
            _hostCorrect = new int[rows * _steps];
        }
        if (_hostOffenders.Length < 2 * shards)
        {
            _offenders?.Dispose();
            _offenders = accelerator.Allocate1D<int>(2 * shards);
            _hostOffenders = new int[2 * shards];
        }
    }

    public void Dispose()
    {
        _features?.Dispose();
        _labels?.Dispose();
        _sampleIds?.Dispose();
        _losses?.Dispose();
        _correct?.Dispose();
        _offenders?.Dispose();
        _outputGradient.Dispose();
        _sums.Dispose();
        _bufferSums?.Dispose();
        _network.Dispose();
        _device.Dispose();
    }
}
