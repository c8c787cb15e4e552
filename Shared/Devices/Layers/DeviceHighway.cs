using DistributedTrainer.Devices.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace DistributedTrainer.Devices.Layers;

/// <summary>
/// <see cref="Numerics.Layers.Highway"/> on the device: y = T ⊙ H(x) + (1 - T) ⊙ x with T = sigmoid(x W_T^T + b_T), the
/// body H a chain of device layers; the gate's GEMMs are the dense kernels.
/// </summary>
internal sealed class DeviceHighway : DeviceLayer
{
    private readonly DeviceKernels _kernels;
    private readonly DeviceLayer _body;
    private readonly ArrayView<float> _weight;
    private readonly ArrayView<float> _bias;
    private readonly ArrayView<float> _weightGradient;
    private readonly ArrayView<float> _biasGradient;
    // (maxBatch, F) each: H(x) and T of the last forward pass, then dL/dH and dL/dz (z the gate's pre-activation).
    private readonly MemoryBuffer1D<float, Stride1D.Dense>[] _scratch;

    /// <param name="accelerator">Where the scratch lives.</param>
    /// <param name="kernels">The accelerator's kernels.</param>
    /// <param name="name">Full layer name.</param>
    /// <param name="body">H, keeping the feature count; disposed with this.</param>
    /// <param name="weight">gate weight W_T (F, F) within the device parameters.</param>
    /// <param name="bias">gate bias b_T (F) within the device parameters.</param>
    /// <param name="weightGradient">dL/dW_T (F, F) within the device gradients.</param>
    /// <param name="biasGradient">dL/db_T (F) within the device gradients.</param>
    /// <param name="maxBatch">Most rows per pass.</param>
    public DeviceHighway(Accelerator accelerator, DeviceKernels kernels, string name, DeviceLayer body, ArrayView<float> weight,
        ArrayView<float> bias, ArrayView<float> weightGradient, ArrayView<float> biasGradient, int maxBatch)
        : base(name, body.InputSize, body.InputSize)
    {
        _kernels = kernels;
        _body = body;
        _weight = weight;
        _bias = bias;
        _weightGradient = weightGradient;
        _biasGradient = biasGradient;
        _scratch = new MemoryBuffer1D<float, Stride1D.Dense>[4];
        try
        {
            for (int i = 0; i < _scratch.Length; i++)
            {
                _scratch[i] = accelerator.Allocate1D<float>((long)maxBatch * InputSize);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    // input (B, F), gate weight (F, F), gate bias (F) -> output (B, F)
    public override void Forward(DeviceStep step, ArrayView<float> input, ArrayView<float> output, int batch)
    {
        int features = InputSize, length = batch * features;
        var (h, gate) = (Rows(0, batch), Rows(1, batch));
        _body.Forward(step, input, h, batch);
        // forward: T = sigmoid(x W_T^T + b_T)
        _kernels.Gemm.Forward(gate, input, _weight, _bias, batch, features, features);
        _kernels.SigmoidForward(length, gate, gate);
        // forward: y = T ⊙ H + (1 - T) ⊙ x
        _kernels.HighwayForward(length, output, input, h, gate);
    }

    // outputGradient (B, F) -> inputGradient (B, F); gate weight gradient (F, F) += ..., gate bias gradient (F) += ...,
    // the body's parameter gradients += ...
    public override void Backward(DeviceStep step, ArrayView<float> input, ArrayView<float> output,
        ArrayView<float> outputGradient, ArrayView<float> inputGradient, int batch)
    {
        int features = InputSize, length = batch * features;
        var (h, gate, bodyGradient, gateGradient) = (Rows(0, batch), Rows(1, batch), Rows(2, batch), Rows(3, batch));
        // dH = dy ⊙ T, dz = dy ⊙ (H - x) ⊙ T ⊙ (1 - T); the body writes its dx into inputGradient
        _kernels.HighwayGradients(length, bodyGradient, gateGradient, input, h, gate, outputGradient);
        _body.Backward(step, input, h, bodyGradient, inputGradient, batch);
        // forward: z = x W_T^T + b_T  =>  dW_T += dz^T x, db_T += Σ_r dz
        _kernels.Gemm.WeightGradient(_weightGradient, gateGradient, input, batch, features, features);
        _kernels.DenseBiasGradient(features, _biasGradient, gateGradient, batch, features);
        if (inputGradient.Length > 0)
        {
            // dx = (body's dx) + dz W_T + dy ⊙ (1 - T)
            _kernels.HighwayInputGradient(length, inputGradient, gateGradient, _weight, outputGradient, gate, features);
        }
    }

    private ArrayView<float> Rows(int scratch, int batch) => _scratch[scratch].View.SubView(0, (long)batch * InputSize);

    public override void Dispose()
    {
        foreach (var buffer in _scratch)
        {
            buffer?.Dispose();
        }
        _body.Dispose();
        base.Dispose();
    }
}
