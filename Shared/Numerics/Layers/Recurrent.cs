using System.Globalization;
using System.Numerics.Tensors;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Kernels;

namespace DistributedTrainer.Numerics.Layers;

/// <summary>
/// A recurrent network unfolded in time (PyTorch nn.RNN, nn.LSTM, nn.GRU with batch_first): each input row of
/// T·I features is T time steps of I features; <c>numLayers</c> stacked layers, each optionally bidirectional,
/// run the cell of <see cref="RecurrentKind"/> over the steps from a zero initial state, and the top layer's
/// hidden states give the output (<see cref="RecurrentOutput"/>). Backward is backpropagation through time,
/// optionally truncated.
/// </summary>
/// <remarks>
/// Parameters, PyTorch's names and layouts, per layer l and direction ("_reverse" for the second):
/// "weight_ih_l{l}" (G·H, in), "weight_hh_l{l}" (G·H, H), "bias_ih_l{l}" (G·H), "bias_hh_l{l}" (G·H), G gate
/// blocks of H rows each. Matrix work runs on <see cref="Gemm"/>: the input projection of all T steps of a
/// layer is one GEMM, the recurrent projection one GEMM per step, and backward gathers the weight gradients
/// and the input gradient of all steps into one GEMM each. Internally every sequence is time-major (T, B, ·),
/// so each step's batch is a contiguous matrix. All scratch is sized by <see cref="Reserve"/>; a steady-state
/// pass allocates nothing.
/// </remarks>
public sealed class Recurrent : Layer
{
    private readonly RecurrentCell _cell;
    private readonly int _steps;
    private readonly int _stepSize;
    private readonly int _hiddenSize;
    private readonly int _layers;
    private readonly int _directions;
    private readonly int _bpttSteps;
    private readonly RecurrentOutput _output;
    private readonly Initializer _inputWeightInitializer;
    private readonly Initializer _recurrentWeightInitializer;
    private readonly Initializer _biasInitializer;
    private readonly float _forgetBias;
    // Per layer l and direction d, at [l * D + d]: the activated gates (T, B, G·H); the hidden states
    // (T + 2, B, H), time t in slot t + 1 with zero initial states in slots 0 (forward) and T + 1 (reverse); the
    // LSTM cell states, laid out alike (empty for other kinds); the GRU's W_hn h' + b_hn (T, B, H).
    private readonly BatchScratch[] _gates;
    private readonly BatchScratch[] _hiddenStates;
    private readonly BatchScratch[] _cellStates;
    private readonly BatchScratch[] _keptRecurrent;
    // (T, B, I): the input, time-major. (T, B, D·H) per layer below the top: its output, the next one's input.
    private readonly BatchScratch _inputSteps;
    private readonly BatchScratch[] _sequences;
    // (B, G·H): one step's recurrent projection.
    private readonly BatchScratch _recurrent;
    // Backward: dL/d(input projection) and dL/d(recurrent projection) of all steps (T, B, G·H), the second only
    // for the GRU (the others share the first); dL/dh' and dL/dc' carried to the step before and one step's
    // total dL/dh (B, H); dL/d(sequence) of a layer and of the layer below it, (T, B, max(D·H, I)), in turn.
    private readonly BatchScratch _inputGateGradient;
    private readonly BatchScratch _recurrentGateGradient;
    private readonly BatchScratch _hiddenCarry;
    private readonly BatchScratch _cellCarry;
    private readonly BatchScratch _hiddenTotal;
    private readonly BatchScratch _sequenceGradient;
    private readonly BatchScratch _sequenceGradientBelow;

    /// <param name="name">Layer name; parameters are "&lt;name&gt;.weight_ih_l0" and so on (see remarks).</param>
    /// <param name="inputSize">Features per sample in, T·<paramref name="stepSize"/>.</param>
    /// <param name="kind">The cell.</param>
    /// <param name="stepSize">Features per time step I; must divide <paramref name="inputSize"/>.</param>
    /// <param name="hiddenSize">Features of the hidden state H, per direction.</param>
    /// <param name="numLayers">Stacked layers, at least 1; default 1.</param>
    /// <param name="bidirectional">Also run each layer over the reversed sequence; default false.</param>
    /// <param name="output">What the layer gives; default <see cref="RecurrentOutput.Last"/>.</param>
    /// <param name="bpttSteps">
    /// Truncation: the state carried into every bpttSteps-th step (counted in each direction's own order) is a
    /// constant in backward; 0 (default) is full backpropagation through time.
    /// </param>
    /// <param name="inputWeightInitializer">Fills each gate block (H, in) of W_ih; default U(±1/√H), PyTorch's.</param>
    /// <param name="recurrentWeightInitializer">Fills each gate block (H, H) of W_hh; default orthogonal.</param>
    /// <param name="biasInitializer">Fills b_ih and b_hh; default zeros.</param>
    /// <param name="forgetBias">LSTM: the forget block of b_ih after initialization (that of b_hh is 0); default 1.</param>
    public Recurrent(string name, int inputSize, RecurrentKind kind, int stepSize, int hiddenSize, int numLayers = 1,
        bool bidirectional = false, RecurrentOutput output = RecurrentOutput.Last, int bpttSteps = 0,
        Initializer? inputWeightInitializer = null, Initializer? recurrentWeightInitializer = null,
        Initializer? biasInitializer = null, float forgetBias = 1f)
        : base(name, inputSize)
    {
        if (stepSize < 1 || inputSize % stepSize != 0)
        {
            throw new ArgumentException(
                $"Invalid stepSize for recurrent layer '{name}': {stepSize} (must be at least 1 and divide the input width {inputSize}).",
                nameof(stepSize));
        }
        if (hiddenSize < 1)
        {
            throw new ArgumentException($"Invalid hiddenSize for recurrent layer '{name}': {hiddenSize} (must be at least 1).",
                nameof(hiddenSize));
        }
        if (numLayers < 1)
        {
            throw new ArgumentException($"Invalid numLayers for recurrent layer '{name}': {numLayers} (must be at least 1).",
                nameof(numLayers));
        }
        if (bpttSteps < 0)
        {
            throw new ArgumentException($"Invalid bpttSteps for recurrent layer '{name}': {bpttSteps} (must be at least 0).",
                nameof(bpttSteps));
        }
        if (!Enum.IsDefined(output))
        {
            throw new ArgumentException($"Invalid output for recurrent layer '{name}': {output}.", nameof(output));
        }
        if (!float.IsFinite(forgetBias))
        {
            throw new ArgumentException($"Invalid forgetBias for recurrent layer '{name}': {forgetBias} (must be finite).",
                nameof(forgetBias));
        }
        _cell = RecurrentCell.Create(kind, hiddenSize);
        Kind = kind;
        _steps = inputSize / stepSize;
        _stepSize = stepSize;
        _hiddenSize = hiddenSize;
        _layers = numLayers;
        _directions = bidirectional ? 2 : 1;
        _bpttSteps = bpttSteps;
        _output = output;
        float bound = 1f / MathF.Sqrt(hiddenSize);
        _inputWeightInitializer = inputWeightInitializer ?? new UniformInitializer(-bound, bound);
        _recurrentWeightInitializer = recurrentWeightInitializer ?? new OrthogonalInitializer();
        _biasInitializer = biasInitializer ?? new ZerosInitializer();
        _forgetBias = forgetBias;

        int gateWidth = _cell.Gates * hiddenSize, width = _directions * hiddenSize, slots = _layers * _directions;
        _gates = [.. Enumerable.Range(0, slots).Select(_ => new BatchScratch(_steps * gateWidth))];
        _hiddenStates = [.. Enumerable.Range(0, slots).Select(_ => new BatchScratch((_steps + 2) * hiddenSize))];
        _cellStates = [.. Enumerable.Range(0, slots).Select(_ => new BatchScratch(_cell.HasCellState ? (_steps + 2) * hiddenSize : 0))];
        _keptRecurrent = [.. Enumerable.Range(0, slots).Select(_ => new BatchScratch(_cell.KeepsRecurrentProjection ? _steps * hiddenSize : 0))];
        _inputSteps = new BatchScratch(inputSize);
        _sequences = [.. Enumerable.Range(0, _layers - 1).Select(_ => new BatchScratch(_steps * width))];
        _recurrent = new BatchScratch(gateWidth);
        _inputGateGradient = new BatchScratch(_steps * gateWidth);
        _recurrentGateGradient = new BatchScratch(_cell.KeepsRecurrentProjection ? _steps * gateWidth : 0);
        _hiddenCarry = new BatchScratch(hiddenSize);
        _cellCarry = new BatchScratch(hiddenSize);
        _hiddenTotal = new BatchScratch(hiddenSize);
        _sequenceGradient = new BatchScratch(_steps * Math.Max(width, stepSize));
        _sequenceGradientBelow = new BatchScratch(_steps * Math.Max(width, stepSize));
        OutputSize = output == RecurrentOutput.Sequence ? _steps * width : width;
    }

    public override int OutputSize { get; }

    /// <summary>The cell kind.</summary>
    public RecurrentKind Kind { get; }

    /// <summary>Time steps per sample, T.</summary>
    public int Steps => _steps;

    /// <summary>Features per output step: directions · hidden size.</summary>
    public int StepOutputSize => _directions * _hiddenSize;

    /// <summary>Features per input step, I.</summary>
    public int StepSize => _stepSize;

    /// <summary>Features of the hidden state per direction, H.</summary>
    public int HiddenSize => _hiddenSize;

    /// <summary>Stacked layers.</summary>
    public int NumLayers => _layers;

    /// <summary>Directions per layer: 1, or 2 when bidirectional.</summary>
    public int Directions => _directions;

    /// <summary>Truncation of backpropagation through time in steps; 0 is none.</summary>
    public int BpttSteps => _bpttSteps;

    /// <summary>What the layer gives per sample.</summary>
    public RecurrentOutput Output => _output;

    public override IReadOnlyList<ParameterDeclaration> DeclareParameters()
    {
        int gateWidth = _cell.Gates * _hiddenSize;
        var declarations = new List<ParameterDeclaration>(4 * _layers * _directions);
        for (int layer = 0; layer < _layers; layer++)
        {
            for (int direction = 0; direction < _directions; direction++)
            {
                string suffix = "_l" + layer.ToString(CultureInfo.InvariantCulture) + (direction == 1 ? "_reverse" : "");
                declarations.Add(new("weight_ih" + suffix, [gateWidth, LayerInputSize(layer)], ParameterRole.Weight));
                declarations.Add(new("weight_hh" + suffix, [gateWidth, _hiddenSize], ParameterRole.Weight));
                declarations.Add(new("bias_ih" + suffix, [gateWidth], ParameterRole.Bias));
                declarations.Add(new("bias_hh" + suffix, [gateWidth], ParameterRole.Bias));
            }
        }
        return declarations;
    }

    public override void Initialize(Random random)
    {
        int h = _hiddenSize, gateWidth = _cell.Gates * h;
        for (int slot = 0; slot < _layers * _directions; slot++)
        {
            int inputs = LayerInputSize(slot / _directions);
            Span<float> inputWeight = Store.ValuesOf(ParameterViews[4 * slot]);
            Span<float> recurrentWeight = Store.ValuesOf(ParameterViews[(4 * slot) + 1]);
            for (int gate = 0; gate < _cell.Gates; gate++)
            {
                _inputWeightInitializer.Fill(inputWeight.Slice(gate * h * inputs, h * inputs), inputs, h, random);
                _recurrentWeightInitializer.Fill(recurrentWeight.Slice(gate * h * h, h * h), h, h, random);
            }
            Span<float> inputBias = Store.ValuesOf(ParameterViews[(4 * slot) + 2]);
            Span<float> recurrentBias = Store.ValuesOf(ParameterViews[(4 * slot) + 3]);
            _biasInitializer.Fill(inputBias, gateWidth, gateWidth, random);
            _biasInitializer.Fill(recurrentBias, gateWidth, gateWidth, random);
            if (Kind == RecurrentKind.Lstm)
            {
                // The gates sum both biases: the forget gate starts at σ(forgetBias), remembering by default.
                inputBias.Slice(h, h).Fill(_forgetBias);
                recurrentBias.Slice(h, h).Clear();
            }
        }
    }

    public override void Reserve(int maxBatch)
    {
        foreach (var scratch in _gates.Concat(_hiddenStates).Concat(_cellStates).Concat(_keptRecurrent).Concat(_sequences))
        {
            scratch.Reserve(maxBatch);
        }
        foreach (var scratch in new[] { _inputSteps, _recurrent, _inputGateGradient, _recurrentGateGradient, _hiddenCarry,
                     _cellCarry, _hiddenTotal, _sequenceGradient, _sequenceGradientBelow })
        {
            scratch.Reserve(maxBatch);
        }
    }

    // input (B, T·I) -> output (B, D·H) or (B, T·D·H)
    public override void Forward(StepContext context, ReadOnlySpan<float> input, Span<float> output, int batch)
    {
        Span<float> steps = _inputSteps.Rows(batch);
        // (B, T, I) -> (T, B, I)
        Transpose(steps, input, batch, _steps, _stepSize);
        for (int layer = 0; layer < _layers; layer++)
        {
            ReadOnlySpan<float> x = layer == 0 ? steps : _sequences[layer - 1].Rows(batch);
            for (int direction = 0; direction < _directions; direction++)
            {
                ForwardDirection(layer, direction, x, batch);
            }
            if (layer < _layers - 1)
            {
                GatherSequence(_sequences[layer].Rows(batch), layer, batch);
            }
        }
        WriteOutput(output, batch);
    }

    // outputGradient (B, D·H) or (B, T·D·H) -> inputGradient (B, T·I); every parameter gradient += ...
    public override void Backward(StepContext context, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        ReadOnlySpan<float> outputGradient, Span<float> inputGradient, int batch)
    {
        int width = StepOutputSize;
        var above = _sequenceGradient;
        var below = _sequenceGradientBelow;
        ScatterOutputGradient(above.Rows(batch, _steps * width), outputGradient, batch);
        for (int layer = _layers - 1; layer >= 0; layer--)
        {
            ReadOnlySpan<float> x = layer == 0 ? _inputSteps.Rows(batch) : _sequences[layer - 1].Rows(batch);
            Span<float> xGradient = layer > 0 ? below.Rows(batch, _steps * width)
                : inputGradient.IsEmpty ? [] : below.Rows(batch, _steps * _stepSize);
            for (int direction = 0; direction < _directions; direction++)
            {
                BackwardDirection(layer, direction, x, above.Rows(batch, _steps * width), xGradient, batch);
            }
            (above, below) = (below, above);
        }
        if (!inputGradient.IsEmpty)
        {
            // (T, B, I) -> (B, T, I): the transpose of the forward's first copy.
            Transpose(inputGradient, above.Rows(batch, _steps * _stepSize), _steps, batch, _stepSize);
        }
    }

    /// <summary>Runs one layer's direction over all steps: x (T, B, in) -> its gates, hidden and cell states.</summary>
    private void ForwardDirection(int layer, int direction, ReadOnlySpan<float> x, int batch)
    {
        int slot = (layer * _directions) + direction;
        int h = _hiddenSize, gateWidth = _cell.Gates * h, rows = _steps * batch;
        int stepLength = batch * h, gateLength = batch * gateWidth;
        ReadOnlySpan<float> inputWeight = Store.ValuesOf(ParameterViews[4 * slot]);
        ReadOnlySpan<float> recurrentWeight = Store.ValuesOf(ParameterViews[(4 * slot) + 1]);
        ReadOnlySpan<float> inputBias = Store.ValuesOf(ParameterViews[(4 * slot) + 2]);
        ReadOnlySpan<float> recurrentBias = Store.ValuesOf(ParameterViews[(4 * slot) + 3]);
        Span<float> gates = _gates[slot].Rows(batch);
        Span<float> hidden = _hiddenStates[slot].Rows(batch);
        Span<float> cells = _cellStates[slot].Rows(batch);
        Span<float> kept = _keptRecurrent[slot].Rows(batch);
        Span<float> recurrent = _recurrent.Rows(batch);

        // forward: a_ih = x W_ih^T + b_ih, every step in one GEMM
        Gemm.Multiply(gates, x, inputWeight, rows, gateWidth, LayerInputSize(layer), transposeB: true);
        AddToRows(gates, inputBias, rows);
        // The zero initial states: slots 0 and T + 1 move with the batch size, so clear them every pass.
        hidden[..stepLength].Clear();
        hidden.Slice((_steps + 1) * stepLength, stepLength).Clear();
        if (!cells.IsEmpty)
        {
            cells[..stepLength].Clear();
            cells.Slice((_steps + 1) * stepLength, stepLength).Clear();
        }
        for (int k = 0; k < _steps; k++)
        {
            int t = direction == 0 ? k : _steps - 1 - k;
            int previous = PreviousSlot(t, direction);
            ReadOnlySpan<float> previousHidden = hidden.Slice(previous * stepLength, stepLength);
            // forward: a_hh = h' W_hh^T + b_hh (h' = 0 at the first step)
            if (k == 0)
            {
                recurrent.Clear();
            }
            else
            {
                Gemm.Multiply(recurrent, previousHidden, recurrentWeight, batch, gateWidth, h, transposeB: true);
            }
            AddToRows(recurrent, recurrentBias, batch);
            _cell.Forward(gates.Slice(t * gateLength, gateLength), recurrent, previousHidden,
                cells.IsEmpty ? [] : cells.Slice(previous * stepLength, stepLength),
                hidden.Slice((t + 1) * stepLength, stepLength),
                cells.IsEmpty ? [] : cells.Slice((t + 1) * stepLength, stepLength),
                kept.IsEmpty ? [] : kept.Slice(t * stepLength, stepLength), batch);
        }
    }

    /// <summary>
    /// Backpropagation through time of one layer's direction, given dL/d(its outputs) sequenceGradient
    /// (T, B, D·H); adds its parameter gradients and writes (d = 0) or adds (d = 1) dL/dx into xGradient
    /// (T, B, in) unless that is empty.
    /// </summary>
    private void BackwardDirection(int layer, int direction, ReadOnlySpan<float> x, ReadOnlySpan<float> sequenceGradient,
        Span<float> xGradient, int batch)
    {
        int slot = (layer * _directions) + direction;
        int h = _hiddenSize, gateWidth = _cell.Gates * h, rows = _steps * batch, width = StepOutputSize;
        int stepLength = batch * h, gateLength = batch * gateWidth;
        ReadOnlySpan<float> inputWeight = Store.ValuesOf(ParameterViews[4 * slot]);
        ReadOnlySpan<float> recurrentWeight = Store.ValuesOf(ParameterViews[(4 * slot) + 1]);
        ReadOnlySpan<float> gates = _gates[slot].Rows(batch);
        ReadOnlySpan<float> hidden = _hiddenStates[slot].Rows(batch);
        ReadOnlySpan<float> cells = _cellStates[slot].Rows(batch);
        ReadOnlySpan<float> kept = _keptRecurrent[slot].Rows(batch);
        Span<float> inputGates = _inputGateGradient.Rows(batch);
        Span<float> recurrentGates = _cell.KeepsRecurrentProjection ? _recurrentGateGradient.Rows(batch) : inputGates;
        Span<float> hiddenCarry = _hiddenCarry.Rows(batch);
        Span<float> cellCarry = _cellCarry.Rows(batch);
        Span<float> hiddenTotal = _hiddenTotal.Rows(batch);
        hiddenCarry.Clear();
        cellCarry.Clear();
        for (int k = _steps - 1; k >= 0; k--)
        {
            int t = direction == 0 ? k : _steps - 1 - k;
            int previous = PreviousSlot(t, direction);
            // forward: the output holds h_t, and step k + 1 reads it as h'  =>  dh_t = d(output)_t + carry
            for (int row = 0; row < batch; row++)
            {
                TensorPrimitives.Add(sequenceGradient.Slice(((t * batch) + row) * width + (direction * h), h),
                    hiddenCarry.Slice(row * h, h), hiddenTotal.Slice(row * h, h));
            }
            Span<float> recurrentStep = recurrentGates.Slice(t * gateLength, gateLength);
            _cell.Backward(gates.Slice(t * gateLength, gateLength), hidden.Slice(previous * stepLength, stepLength),
                cells.IsEmpty ? [] : cells.Slice(previous * stepLength, stepLength),
                cells.IsEmpty ? [] : cells.Slice((t + 1) * stepLength, stepLength),
                kept.IsEmpty ? [] : kept.Slice(t * stepLength, stepLength),
                hiddenTotal, cellCarry, inputGates.Slice(t * gateLength, gateLength), recurrentStep, hiddenCarry, batch);
            if (k == 0 || (_bpttSteps > 0 && k % _bpttSteps == 0))
            {
                // The first step's h' is the zero initial state; a truncation point treats h' and c' as constants.
                hiddenCarry.Clear();
                cellCarry.Clear();
            }
            else
            {
                // forward: a_hh = h' W_hh^T + b_hh  =>  dh' (+)= da_hh W_hh
                Gemm.Multiply(hiddenCarry, recurrentStep, recurrentWeight, batch, h, gateWidth,
                    accumulate: _cell.CarriesHiddenDirectly);
            }
        }

        Span<float> inputWeightGradient = Store.GradientsOf(ParameterViews[4 * slot]);
        Span<float> recurrentWeightGradient = Store.GradientsOf(ParameterViews[(4 * slot) + 1]);
        // forward: a_ih = x W_ih^T + b_ih  =>  dW_ih += da_ih^T x, db_ih += Σ rows da_ih, every step in one GEMM
        Gemm.Multiply(inputWeightGradient, inputGates, x, gateWidth, LayerInputSize(layer), rows, transposeA: true,
            accumulate: true);
        SumRows(Store.GradientsOf(ParameterViews[(4 * slot) + 2]), inputGates, rows);
        // forward: a_hh = h' W_hh^T + b_hh  =>  dW_hh += da_hh^T h', db_hh += Σ rows da_hh; the h' of all steps
        // are contiguous: slots 0..T-1 forward, 2..T+1 reverse
        ReadOnlySpan<float> previousStates = hidden.Slice((direction == 0 ? 0 : 2) * stepLength, rows * h);
        Gemm.Multiply(recurrentWeightGradient, recurrentGates, previousStates, gateWidth, h, rows, transposeA: true,
            accumulate: true);
        SumRows(Store.GradientsOf(ParameterViews[(4 * slot) + 3]), recurrentGates, rows);
        if (!xGradient.IsEmpty)
        {
            // forward: a_ih = x W_ih^T + b_ih  =>  dx (+)= da_ih W_ih
            Gemm.Multiply(xGradient, inputGates, inputWeight, rows, LayerInputSize(layer), gateWidth,
                accumulate: direction > 0);
        }
    }

    /// <summary>sequence (T, B, D·H) &lt;- the hidden states of <paramref name="layer"/>, directions side by side.</summary>
    private void GatherSequence(Span<float> sequence, int layer, int batch)
    {
        int h = _hiddenSize, width = StepOutputSize;
        for (int direction = 0; direction < _directions; direction++)
        {
            ReadOnlySpan<float> hidden = _hiddenStates[(layer * _directions) + direction].Rows(batch);
            for (int t = 0; t < _steps; t++)
            {
                for (int row = 0; row < batch; row++)
                {
                    hidden.Slice(((t + 1) * batch + row) * h, h)
                        .CopyTo(sequence.Slice(((t * batch) + row) * width + (direction * h), h));
                }
            }
        }
    }

    /// <summary>output (B, D·H) or (B, T, D·H) &lt;- the top layer's hidden states.</summary>
    private void WriteOutput(Span<float> output, int batch)
    {
        int h = _hiddenSize, width = StepOutputSize, top = (_layers - 1) * _directions;
        for (int direction = 0; direction < _directions; direction++)
        {
            ReadOnlySpan<float> hidden = _hiddenStates[top + direction].Rows(batch);
            for (int row = 0; row < batch; row++)
            {
                switch (_output)
                {
                    case RecurrentOutput.Sequence:
                        for (int t = 0; t < _steps; t++)
                        {
                            // forward: y[b, t] = [h_t forward, h_t reverse]
                            hidden.Slice(((t + 1) * batch + row) * h, h)
                                .CopyTo(output.Slice(((row * _steps) + t) * width + (direction * h), h));
                        }
                        break;
                    case RecurrentOutput.Last:
                        // forward: y[b] = [h_{T-1} forward, h_0 reverse], each direction's final state
                        hidden.Slice(((direction == 0 ? _steps : 1) * batch + row) * h, h)
                            .CopyTo(output.Slice((row * width) + (direction * h), h));
                        break;
                    default:
                        // forward: y[b] = (1/T) Σ_t h_t, summed in time order
                        Span<float> mean = output.Slice((row * width) + (direction * h), h);
                        mean.Clear();
                        for (int t = 0; t < _steps; t++)
                        {
                            TensorPrimitives.Add(mean, hidden.Slice(((t + 1) * batch + row) * h, h), mean);
                        }
                        TensorPrimitives.Multiply(mean, 1f / _steps, mean);
                        break;
                }
            }
        }
    }

    /// <summary>sequenceGradient (T, B, D·H) &lt;- dL/d(top layer's hidden states) from dL/d(output).</summary>
    private void ScatterOutputGradient(Span<float> sequenceGradient, ReadOnlySpan<float> outputGradient, int batch)
    {
        int h = _hiddenSize, width = StepOutputSize;
        if (_output == RecurrentOutput.Last)
        {
            sequenceGradient.Clear();
        }
        for (int row = 0; row < batch; row++)
        {
            switch (_output)
            {
                case RecurrentOutput.Sequence:
                    // forward: y[b, t] = h_t  =>  dh_t = dy[b, t]
                    for (int t = 0; t < _steps; t++)
                    {
                        outputGradient.Slice(((row * _steps) + t) * width, width)
                            .CopyTo(sequenceGradient.Slice(((t * batch) + row) * width, width));
                    }
                    break;
                case RecurrentOutput.Last:
                    // forward: y[b] = [h_{T-1} forward, h_0 reverse]  =>  only those states get dy
                    for (int direction = 0; direction < _directions; direction++)
                    {
                        int t = direction == 0 ? _steps - 1 : 0;
                        outputGradient.Slice((row * width) + (direction * h), h)
                            .CopyTo(sequenceGradient.Slice(((t * batch) + row) * width + (direction * h), h));
                    }
                    break;
                default:
                    // forward: y[b] = (1/T) Σ_t h_t  =>  dh_t = dy[b] / T
                    for (int t = 0; t < _steps; t++)
                    {
                        TensorPrimitives.Multiply(outputGradient.Slice(row * width, width), 1f / _steps,
                            sequenceGradient.Slice(((t * batch) + row) * width, width));
                    }
                    break;
            }
        }
    }

    /// <summary>Features per step into layer <paramref name="layer"/>: I for the first, D·H above.</summary>
    private int LayerInputSize(int layer) => layer == 0 ? _stepSize : StepOutputSize;

    /// <summary>The hidden-state slot holding h' for time <paramref name="t"/>: the step before in the direction's order.</summary>
    private static int PreviousSlot(int t, int direction) => direction == 0 ? t : t + 2;

    /// <summary>destination (columns, rows, size) &lt;- source (rows, columns, size): swaps the two outer axes.</summary>
    private static void Transpose(Span<float> destination, ReadOnlySpan<float> source, int rows, int columns, int size)
    {
        for (int row = 0; row < rows; row++)
        {
            for (int column = 0; column < columns; column++)
            {
                source.Slice(((row * columns) + column) * size, size)
                    .CopyTo(destination.Slice(((column * rows) + row) * size, size));
            }
        }
    }

    /// <summary>matrix (rows, n) += vector (n) on every row.</summary>
    private static void AddToRows(Span<float> matrix, ReadOnlySpan<float> vector, int rows)
    {
        for (int row = 0; row < rows; row++)
        {
            Span<float> line = matrix.Slice(row * vector.Length, vector.Length);
            TensorPrimitives.Add(line, vector, line);
        }
    }

    /// <summary>sum (n) += Σ rows of matrix (rows, n).</summary>
    private static void SumRows(Span<float> sum, ReadOnlySpan<float> matrix, int rows)
    {
        for (int row = 0; row < rows; row++)
        {
            TensorPrimitives.Add(sum, matrix.Slice(row * sum.Length, sum.Length), sum);
        }
    }

    protected override void Dispose(bool disposing)
    {
        foreach (var scratch in _gates.Concat(_hiddenStates).Concat(_cellStates).Concat(_keptRecurrent).Concat(_sequences))
        {
            scratch.Dispose();
        }
        foreach (var scratch in new[] { _inputSteps, _recurrent, _inputGateGradient, _recurrentGateGradient, _hiddenCarry,
                     _cellCarry, _hiddenTotal, _sequenceGradient, _sequenceGradientBelow })
        {
            scratch.Dispose();
        }
        base.Dispose(disposing);
    }
}
