using DistributedTrainer.Devices.Kernels;
using DistributedTrainer.Numerics.Layers;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Recurrent"/> on the device, every kind, stacked layers, both directions, truncation and output mode, with
/// the CPU layer's parameter layout and time-major scratch. The projections run on the <see cref="DenseKernels"/>: the
/// input projection of all T steps of a layer is one launch, the recurrent projection one per step, and backward gathers
/// the weight gradients and the input gradient of all steps into one launch each; the cells' element-wise math runs on
/// <see cref="RecurrentKernels"/>. The same in training and evaluation.
/// </summary>
internal sealed class DeviceRecurrent : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly RecurrentKind _kind;
    private readonly int _steps;
    private readonly int _stepSize;
    private readonly int _hiddenSize;
    private readonly int _layers;
    private readonly int _directions;
    private readonly int _bpttSteps;
    private readonly int _gates;
    private readonly RecurrentOutput _output;
    // Per layer l and direction d, at [4 (l D + d) + p]: weight_ih, weight_hh, bias_ih, bias_hh, as the CPU layer declares them.
    private readonly ArrayView<float>[] _parameters;
    private readonly ArrayView<float>[] _gradients;
    private readonly List<MemoryBuffer1D<float, Stride1D.Dense>> _owned = [];
    // Per slot l D + d, as the CPU layer's: the activated gates (T, B, G·H); the hidden states (T + 2, B, H), time t in
    // slot t + 1 with zero initial states in slots 0 (forward) and T + 1 (reverse); the LSTM cell states, laid out alike;
    // the GRU's W_hn h' + b_hn (T, B, H). Null where the kind has none.
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _gateValues;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _hiddenStates;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>?[] _cellStates;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>?[] _keptRecurrent;
    // (T, B, I): the input, time-major; (T, B, D·H) per layer below the top: its output, the next one's input.
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _inputSteps;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _sequences;
    // (B, G·H): one step's recurrent projection.
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _recurrent;
    // Backward: dL/d(input projection) and, for the GRU, dL/d(recurrent projection) of all steps (T, B, G·H); dL/dh' through
    // W_hh, dL/dc' and the GRU's dL/dh' bypassing W_hh, carried to the step before (B, H); dL/d(sequence) of a layer and of
    // the layer below, (T, B, max(D·H, I)), in turn; the reverse direction's dL/dx before it is added to the forward's.
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _inputGateGradient;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _recurrentGateGradient;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _hiddenCarry;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _cellCarry;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _directCarry;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _sequenceGradient;
    private readonly MemoryBuffer1D<float, Stride1D.Dense> _sequenceGradientBelow;
    private readonly MemoryBuffer1D<float, Stride1D.Dense>? _reverseInputGradient;

    /// <param name="accelerator">Where the scratch lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="layer">The CPU layer to mirror; read for its shape and settings only.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="parameters">Its parameters within the device parameters, in the order the layer declares them.</param>
    /// <param name="gradients">Their gradients within the device gradients, in the same order.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    public DeviceRecurrent(Accelerator accelerator, DeviceKernels kernels, Recurrent layer, string name,
        ArrayView<float>[] parameters, ArrayView<float>[] gradients, int maxBatch)
        : base(name, layer.InputSize, layer.OutputSize)
    {
        _kernels = kernels;
        _kind = layer.Kind;
        _steps = layer.Steps;
        _stepSize = layer.StepSize;
        _hiddenSize = layer.HiddenSize;
        _layers = layer.NumLayers;
        _directions = layer.Directions;
        _bpttSteps = layer.BpttSteps;
        _gates = _kind switch { RecurrentKind.Lstm => 4, RecurrentKind.Gru => 3, _ => 1 };
        _output = layer.Output;
        _parameters = parameters;
        _gradients = gradients;
        int slots = _layers * _directions, width = layer.StepOutputSize, h = _hiddenSize;
        long stepRows = (long)_steps * maxBatch;
        try
        {
            _gateValues = [.. Enumerable.Range(0, slots).Select(_ => Allocate(accelerator, stepRows * _gates * h))];
            _hiddenStates = [.. Enumerable.Range(0, slots).Select(_ => Allocate(accelerator, (stepRows + 2L * maxBatch) * h))];
            _cellStates = [.. Enumerable.Range(0, slots)
                .Select(_ => _kind == RecurrentKind.Lstm ? Allocate(accelerator, (stepRows + 2L * maxBatch) * h) : null)];
            _keptRecurrent = [.. Enumerable.Range(0, slots)
                .Select(_ => _kind == RecurrentKind.Gru ? Allocate(accelerator, stepRows * h) : null)];
            _inputSteps = Allocate(accelerator, stepRows * _stepSize);
            _sequences = [.. Enumerable.Range(0, _layers - 1).Select(_ => Allocate(accelerator, stepRows * width))];
            _recurrent = Allocate(accelerator, (long)maxBatch * _gates * h);
            _inputGateGradient = Allocate(accelerator, stepRows * _gates * h);
            _recurrentGateGradient = _kind == RecurrentKind.Gru ? Allocate(accelerator, stepRows * _gates * h) : null;
            _hiddenCarry = Allocate(accelerator, (long)maxBatch * h);
            _cellCarry = _kind == RecurrentKind.Lstm ? Allocate(accelerator, (long)maxBatch * h) : null;
            _directCarry = _kind == RecurrentKind.Gru ? Allocate(accelerator, (long)maxBatch * h) : null;
            _sequenceGradient = Allocate(accelerator, stepRows * Math.Max(width, _stepSize));
            _sequenceGradientBelow = Allocate(accelerator, stepRows * Math.Max(width, _stepSize));
            _reverseInputGradient = _directions == 2 ? Allocate(accelerator, stepRows * Math.Max(width, _stepSize)) : null;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    // input (B, T·I) -> output (B, D·H) or (B, T·D·H)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        int rows = _steps * batch, width = _directions * _hiddenSize;
        var steps = _inputSteps.View.SubView(0, (long)rows * _stepSize);
        // (B, T, I) -> (T, B, I)
        _kernels.SwapOuterAxes(rows * _stepSize, steps, input, batch, _steps, _stepSize);
        for (int layer = 0; layer < _layers; layer++)
        {
            var x = layer == 0 ? steps : _sequences[layer - 1].View.SubView(0, (long)rows * width);
            for (int direction = 0; direction < _directions; direction++)
            {
                ForwardDirection(layer, direction, x, batch);
                if (layer < _layers - 1)
                {
                    _kernels.GatherHidden(rows * _hiddenSize, _sequences[layer].View, HiddenOf(layer * _directions + direction, batch),
                        batch, _hiddenSize, width, direction * _hiddenSize);
                }
            }
        }
        int top = (_layers - 1) * _directions;
        for (int direction = 0; direction < _directions; direction++)
        {
            _kernels.WriteRecurrentOutput(batch * _hiddenSize, output, HiddenOf(top + direction, batch), batch, _steps, _hiddenSize,
                width, direction, (int)_output);
        }
    }

    // outputGradient (B, D·H) or (B, T·D·H) -> inputGradient (B, T·I); every parameter gradient += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        int rows = _steps * batch, width = _directions * _hiddenSize;
        var above = _sequenceGradient;
        var below = _sequenceGradientBelow;
        _kernels.ScatterOutputGradient(rows * width, above.View, outputGradient, batch, _steps, _hiddenSize, width, (int)_output);
        for (int layer = _layers - 1; layer >= 0; layer--)
        {
            var x = layer == 0
                ? _inputSteps.View.SubView(0, (long)rows * _stepSize)
                : _sequences[layer - 1].View.SubView(0, (long)rows * width);
            var xGradient = layer > 0 ? below.View.SubView(0, (long)rows * width)
                : inputGradient.Length == 0 ? default : below.View.SubView(0, (long)rows * _stepSize);
            for (int direction = 0; direction < _directions; direction++)
            {
                BackwardDirection(layer, direction, x, above.View.SubView(0, (long)rows * width), xGradient, batch);
            }
            (above, below) = (below, above);
        }
        if (inputGradient.Length > 0)
        {
            // (T, B, I) -> (B, T, I): the transpose of the forward's first copy.
            _kernels.SwapOuterAxes(rows * _stepSize, inputGradient, above.View.SubView(0, (long)rows * _stepSize), _steps, batch,
                _stepSize);
        }
    }

    /// <summary>Runs one layer's direction over all steps: x (T, B, in) -> its gates, hidden and cell states.</summary>
    private void ForwardDirection(int layer, int direction, ArrayView<float> x, int batch)
    {
        int slot = layer * _directions + direction;
        int h = _hiddenSize, gateWidth = _gates * h, rows = _steps * batch;
        long stepLength = (long)batch * h, gateLength = (long)batch * gateWidth;
        var inputWeight = _parameters[4 * slot];
        var recurrentWeight = _parameters[4 * slot + 1];
        var inputBias = _parameters[4 * slot + 2];
        var recurrentBias = _parameters[4 * slot + 3];
        var gates = _gateValues[slot].View;
        var hidden = HiddenOf(slot, batch);
        var cells = _cellStates[slot]?.View.SubView(0, (_steps + 2) * stepLength) ?? default;
        var recurrent = _recurrent.View.SubView(0, gateLength);

        // forward: a_ih = x W_ih^T + b_ih, every step in one launch
        _kernels.Gemm.Forward(gates.SubView(0, (long)rows * gateWidth), x, inputWeight, inputBias, rows, LayerInputSize(layer),
            gateWidth);
        // The zero initial states: slots 0 and T + 1 move with the batch size, so clear them every pass.
        hidden.SubView(0, stepLength).MemSetToZero();
        hidden.SubView((_steps + 1) * stepLength, stepLength).MemSetToZero();
        if (cells.Length > 0)
        {
            cells.SubView(0, stepLength).MemSetToZero();
            cells.SubView((_steps + 1) * stepLength, stepLength).MemSetToZero();
        }
        for (int k = 0; k < _steps; k++)
        {
            int t = direction == 0 ? k : _steps - 1 - k;
            int previous = PreviousSlot(t, direction);
            var previousHidden = hidden.SubView(previous * stepLength, stepLength);
            var stepHidden = hidden.SubView((t + 1) * stepLength, stepLength);
            var stepGates = gates.SubView(t * gateLength, gateLength);
            // forward: a_hh = h' W_hh^T + b_hh (h' = 0 at the first step, so the launch gives b_hh)
            _kernels.Gemm.Forward(recurrent, previousHidden, recurrentWeight, recurrentBias, batch, h, gateWidth);
            switch (_kind)
            {
                case RecurrentKind.Lstm:
                    _kernels.LstmForward(batch * h, stepGates, stepHidden, cells.SubView((t + 1) * stepLength, stepLength),
                        recurrent, cells.SubView(previous * stepLength, stepLength), h);
                    break;
                case RecurrentKind.Gru:
                    _kernels.GruForward(batch * h, stepGates, stepHidden, _keptRecurrent[slot]!.View.SubView(t * stepLength, stepLength),
                        recurrent, previousHidden, h);
                    break;
                default:
                    _kernels.ElmanForward(batch * h, stepGates, stepHidden, recurrent, _kind == RecurrentKind.RnnRelu ? 1 : 0);
                    break;
            }
        }
    }

    /// <summary>
    /// Backpropagation through time of one layer's direction, given dL/d(its outputs) sequenceGradient (T, B, D·H); adds its
    /// parameter gradients and writes (d = 0) or adds (d = 1) dL/dx into xGradient (T, B, in) unless that is empty.
    /// </summary>
    private void BackwardDirection(int layer, int direction, ArrayView<float> x, ArrayView<float> sequenceGradient,
        ArrayView<float> xGradient, int batch)
    {
        int slot = layer * _directions + direction;
        int h = _hiddenSize, gateWidth = _gates * h, rows = _steps * batch, width = _directions * h, inputs = LayerInputSize(layer);
        long stepLength = (long)batch * h, gateLength = (long)batch * gateWidth;
        var recurrentWeight = _parameters[4 * slot + 1];
        var gates = _gateValues[slot].View;
        var hidden = HiddenOf(slot, batch);
        var cells = _cellStates[slot]?.View ?? default;
        var inputGates = _inputGateGradient.View.SubView(0, (long)rows * gateWidth);
        var recurrentGates = _recurrentGateGradient?.View.SubView(0, (long)rows * gateWidth) ?? inputGates;
        var hiddenCarry = _hiddenCarry.View.SubView(0, stepLength);
        int carried = 0;
        for (int k = _steps - 1; k >= 0; k--)
        {
            int t = direction == 0 ? k : _steps - 1 - k;
            int previous = PreviousSlot(t, direction);
            var stepGradient = sequenceGradient.SubView((long)t * batch * width, (long)batch * width);
            var stepGates = gates.SubView(t * gateLength, gateLength);
            var stepInputGates = inputGates.SubView(t * gateLength, gateLength);
            var stepRecurrentGates = recurrentGates.SubView(t * gateLength, gateLength);
            switch (_kind)
            {
                case RecurrentKind.Lstm:
                    _kernels.LstmBackward(batch * h, stepInputGates, _cellCarry!.View.SubView(0, stepLength), stepGates,
                        cells.SubView((t + 1) * stepLength, stepLength), cells.SubView(previous * stepLength, stepLength),
                        stepGradient, hiddenCarry, h, width, direction * h, carried);
                    break;
                case RecurrentKind.Gru:
                    _kernels.GruBackward(batch * h, stepInputGates, stepRecurrentGates, _directCarry!.View.SubView(0, stepLength),
                        stepGates, _keptRecurrent[slot]!.View.SubView(t * stepLength, stepLength),
                        hidden.SubView(previous * stepLength, stepLength), stepGradient, hiddenCarry, h, width, direction * h, carried);
                    break;
                default:
                    _kernels.ElmanBackward(batch * h, stepInputGates, stepGates, stepGradient, hiddenCarry, h, width, direction * h,
                        _kind == RecurrentKind.RnnRelu ? 1 : 0, carried);
                    break;
            }
            // The first step's h' is the zero initial state; a truncation point treats h' and c' as constants.
            carried = k == 0 || (_bpttSteps > 0 && k % _bpttSteps == 0) ? 0 : 1;
            if (carried != 0)
            {
                // forward: a_hh = h' W_hh^T + b_hh  =>  dh' (+)= da_hh W_hh
                _kernels.Gemm.InputGradient(hiddenCarry, stepRecurrentGates, recurrentWeight, batch, h, gateWidth);
            }
        }

        // forward: a_ih = x W_ih^T + b_ih  =>  dW_ih += da_ih^T x, db_ih += Σ rows da_ih, every step in one launch
        _kernels.Gemm.WeightGradient(_gradients[4 * slot], inputGates, x, rows, inputs, gateWidth);
        _kernels.DenseBiasGradient(gateWidth, _gradients[4 * slot + 2], inputGates, rows, gateWidth);
        // forward: a_hh = h' W_hh^T + b_hh  =>  dW_hh += da_hh^T h', db_hh += Σ rows da_hh; the h' of all steps are
        // contiguous: slots 0..T-1 forward, 2..T+1 reverse
        var previousStates = hidden.SubView((direction == 0 ? 0 : 2) * stepLength, rows * (long)h);
        _kernels.Gemm.WeightGradient(_gradients[4 * slot + 1], recurrentGates, previousStates, rows, h, gateWidth);
        _kernels.DenseBiasGradient(gateWidth, _gradients[4 * slot + 3], recurrentGates, rows, gateWidth);
        if (xGradient.Length > 0)
        {
            // forward: a_ih = x W_ih^T + b_ih  =>  dx (+)= da_ih W_ih
            if (direction == 0)
            {
                _kernels.Gemm.InputGradient(xGradient, inputGates, _parameters[4 * slot], rows, inputs, gateWidth);
            }
            else
            {
                var reverse = _reverseInputGradient!.View.SubView(0, (long)rows * inputs);
                _kernels.Gemm.InputGradient(reverse, inputGates, _parameters[4 * slot], rows, inputs, gateWidth);
                _kernels.Accumulate(rows * inputs, xGradient, reverse);
            }
        }
    }

    /// <summary>The hidden states of <paramref name="slot"/> for <paramref name="batch"/> rows, (T + 2, B, H).</summary>
    private ArrayView<float> HiddenOf(int slot, int batch) =>
        _hiddenStates[slot].View.SubView(0, (_steps + 2) * (long)batch * _hiddenSize);

    /// <summary>Features per step into layer <paramref name="layer"/>: I for the first, D·H above.</summary>
    private int LayerInputSize(int layer) => layer == 0 ? _stepSize : _directions * _hiddenSize;

    /// <summary>The hidden-state slot holding h' for time <paramref name="t"/>: the step before in the direction's order.</summary>
    private static int PreviousSlot(int t, int direction) => direction == 0 ? t : t + 2;

    private MemoryBuffer1D<float, Stride1D.Dense> Allocate(Accelerator accelerator, long length)
    {
        var buffer = accelerator.Allocate1D<float>(length);
        _owned.Add(buffer);
        return buffer;
    }

    public override void Dispose()
    {
        foreach (var buffer in _owned)
        {
            buffer.Dispose();
        }
        _owned.Clear();
        base.Dispose();
    }
}
