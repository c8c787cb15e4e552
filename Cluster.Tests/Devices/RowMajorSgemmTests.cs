using DistributedTrainer.Devices.Kernels;
using ILGPU.Runtime.Cuda;
using Xunit;

namespace DistributedTrainer.Tests.Devices;

/// <summary>
/// The cuBLAS path's argument mapping without a GPU: the column-major sgemm calls <see cref="RowMajorSgemm"/> builds, run
/// by a reference sgemm written here from the BLAS definition (argument checks included), against row-major products
/// summed in plain loops and against the test device's dense GEMMs (the ILGPU kernels on the CPU accelerator; cuBLAS,
/// given the same calls, under DT_TEST_DEVICE=cuda).
/// </summary>
public sealed class RowMajorSgemmTests(AcceleratorFixture device) : IClassFixture<AcceleratorFixture>
{
    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 5, 3)]
    [InlineData(4, 1, 6)]
    [InlineData(3, 7, 1)]
    [InlineData(5, 2, 9)]
    public void Product_EveryTransposition_IsTheRowMajorProduct(int rows, int columns, int depth)
    {
        var left = DeviceAssert.Random(rows * depth, 1);
        var right = DeviceAssert.Random(depth * columns, 2);
        var start = DeviceAssert.Random(rows * columns, 3);
        foreach (bool transposeLeft in new[] { false, true })
        {
            foreach (bool transposeRight in new[] { false, true })
            {
                foreach (float beta in new[] { 0f, 1f })
                {
                    // left (rows, depth) and right (depth, columns) as the logical factors; stored transposed when asked.
                    var storedLeft = transposeLeft ? Transpose(left, rows, depth) : left;
                    var storedRight = transposeRight ? Transpose(right, depth, columns) : right;
                    var c = (float[])start.Clone();
                    var expected = RowMajorProduct(left, right, rows, columns, depth);
                    for (int i = 0; i < expected.Length; i++)
                    {
                        expected[i] += beta * start[i];
                    }

                    Run(RowMajorSgemm.Product(c, storedLeft, storedRight, rows, columns, depth, transposeLeft, transposeRight, beta));

                    DeviceAssert.Close(expected, c, $"transposeLeft {transposeLeft}, transposeRight {transposeRight}, beta {beta}");
                }
            }
        }
    }

    [Fact]
    public void Forward_MapsOntoWeightTransposedTimesInput()
    {
        // output (R 2, O 3) = input (2, I 4) weight (3, 4)^T: column-major C^T (3, 2) = op(weight buffer) (3, 4) · input buffer (4, 2).
        var call = RowMajorSgemm.Forward("output", "input", "weight", rows: 2, inputs: 4, units: 3);

        Assert.Equal(new Sgemm<string>(CuBlasOperation.Transpose, CuBlasOperation.NonTranspose, 3, 2, 4,
            "weight", 4, "input", 4, 1f, "output", 3), call);
    }

    [Fact]
    public void WeightGradient_MapsOntoInputTimesOutputGradientTransposed()
    {
        // dW (O 3, I 4) += dY (R 2, O 3)^T x (2, 4): column-major dW^T (4, 3) += x buffer (4, 2) · op(dY buffer) (2, 3).
        var call = RowMajorSgemm.WeightGradient("dW", "dY", "x", rows: 2, inputs: 4, units: 3);

        Assert.Equal(new Sgemm<string>(CuBlasOperation.NonTranspose, CuBlasOperation.Transpose, 4, 3, 2,
            "x", 4, "dY", 3, 1f, "dW", 4), call);
    }

    [Fact]
    public void InputGradient_MapsOntoWeightTimesOutputGradient()
    {
        // dX (R 2, I 4) = dY (2, O 3) W (3, 4): column-major dX^T (4, 2) = W buffer (4, 3) · dY buffer (3, 2), beta 0.
        var call = RowMajorSgemm.InputGradient("dX", "dY", "W", rows: 2, inputs: 4, units: 3);

        Assert.Equal(new Sgemm<string>(CuBlasOperation.NonTranspose, CuBlasOperation.NonTranspose, 4, 2, 3,
            "W", 4, "dY", 3, 0f, "dX", 4), call);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 7, 3)]
    [InlineData(5, 1, 4)]
    [InlineData(3, 7, 5)]
    [InlineData(17, 33, 9)]
    [InlineData(32, 64, 10)]
    public void DenseCalls_MatchTheRowMajorProductsAndTheDeviceGemms(int rows, int inputs, int units)
    {
        var input = DeviceAssert.Random(rows * inputs, 1);
        var weight = DeviceAssert.Random(units * inputs, 2);
        var bias = DeviceAssert.Random(units, 3);
        var outputGradient = DeviceAssert.Random(rows * units, 4);
        var startingWeightGradient = DeviceAssert.Random(units * inputs, 5);
        // forward: y = x W^T + b
        var expectedOutput = RowMajorProduct(input, Transpose(weight, units, inputs), rows, units, inputs);
        for (int i = 0; i < expectedOutput.Length; i++)
        {
            expectedOutput[i] += bias[i % units];
        }
        // dW += dY^T x
        var expectedWeightGradient = RowMajorProduct(Transpose(outputGradient, rows, units), input, units, inputs, rows);
        for (int i = 0; i < expectedWeightGradient.Length; i++)
        {
            expectedWeightGradient[i] += startingWeightGradient[i];
        }
        // dX = dY W
        var expectedInputGradient = RowMajorProduct(outputGradient, weight, rows, inputs, units);

        // The cuBLAS path: the output starts as the bias rows; dX's old contents must not leak in (beta 0).
        var output = Enumerable.Range(0, rows * units).Select(i => bias[i % units]).ToArray();
        var weightGradient = (float[])startingWeightGradient.Clone();
        var inputGradient = Enumerable.Repeat(1e30f, rows * inputs).ToArray();
        Run(RowMajorSgemm.Forward(output, input, weight, rows, inputs, units));
        Run(RowMajorSgemm.WeightGradient(weightGradient, outputGradient, input, rows, inputs, units));
        Run(RowMajorSgemm.InputGradient(inputGradient, outputGradient, weight, rows, inputs, units));

        DeviceAssert.Close(expectedOutput, output, "output");
        DeviceAssert.Close(expectedWeightGradient, weightGradient, "weight gradient");
        DeviceAssert.Close(expectedInputGradient, inputGradient, "input gradient");
        var (deviceOutput, deviceWeightGradient, deviceInputGradient) =
            OnDevice(input, weight, bias, outputGradient, startingWeightGradient, rows, inputs, units);
        DeviceAssert.Close(deviceOutput, output, "output against the device GEMM");
        DeviceAssert.Close(deviceWeightGradient, weightGradient, "weight gradient against the device GEMM");
        DeviceAssert.Close(deviceInputGradient, inputGradient, "input gradient against the device GEMM");
    }

    [Fact]
    public void Reference_LeadingDimensionBelowTheRows_IsRefusedAsCuBlasWould()
    {
        var call = RowMajorSgemm.InputGradient(new float[6], new float[6], new float[9], rows: 2, inputs: 3, units: 3) with { Lda = 2 };

        Assert.Throws<ArgumentException>(() => Run(call));
    }

    /// <summary>The dense GEMMs of the test device's kernels on the same data, downloaded.</summary>
    private (float[] Output, float[] WeightGradient, float[] InputGradient) OnDevice(float[] input, float[] weight, float[] bias,
        float[] outputGradient, float[] weightGradient, int rows, int inputs, int units)
    {
        using var x = device.Upload(input);
        using var w = device.Upload(weight);
        using var b = device.Upload(bias);
        using var dy = device.Upload(outputGradient);
        using var dw = device.Upload(weightGradient);
        using var y = device.Zeros<float>(rows * units);
        using var dx = device.Zeros<float>(rows * inputs);
        var gemm = device.Kernels.Gemm;
        gemm.Forward(y.View, x.View, w.View, b.View, rows, inputs, units);
        gemm.WeightGradient(dw.View, dy.View, x.View, rows, inputs, units);
        gemm.InputGradient(dx.View, dy.View, w.View, rows, inputs, units);
        return (AcceleratorFixture.Download<float>(y.View), AcceleratorFixture.Download<float>(dw.View),
            AcceleratorFixture.Download<float>(dx.View));
    }

    /// <summary>
    /// sgemm from the BLAS definition: C = op(A) op(B) + beta C (alpha 1), column-major, element (i, j) at i + j · ld; the
    /// argument checks cublasSgemm makes (else CUBLAS_STATUS_INVALID_VALUE) as ArgumentException, and a read or write
    /// outside a buffer as IndexOutOfRangeException. With beta 0, C is not read (BLAS: NaN or garbage in C is ignored).
    /// </summary>
    private static void Run(Sgemm<float[]> call)
    {
        bool transA = call.TransA == CuBlasOperation.Transpose, transB = call.TransB == CuBlasOperation.Transpose;
        Assert.True(call.TransA is CuBlasOperation.NonTranspose or CuBlasOperation.Transpose, $"transa {call.TransA}");
        Assert.True(call.TransB is CuBlasOperation.NonTranspose or CuBlasOperation.Transpose, $"transb {call.TransB}");
        if (call.M < 0 || call.N < 0 || call.K < 0 || call.Lda < Math.Max(1, transA ? call.K : call.M) ||
            call.Ldb < Math.Max(1, transB ? call.N : call.K) || call.Ldc < Math.Max(1, call.M))
        {
            throw new ArgumentException($"invalid sgemm arguments {call}");
        }
        for (int j = 0; j < call.N; j++)
        {
            for (int i = 0; i < call.M; i++)
            {
                float sum = 0f;
                for (int l = 0; l < call.K; l++)
                {
                    float a = transA ? call.A[l + i * call.Lda] : call.A[i + l * call.Lda];
                    float b = transB ? call.B[j + l * call.Ldb] : call.B[l + j * call.Ldb];
                    sum += a * b;
                }
                int at = i + j * call.Ldc;
                call.C[at] = call.Beta == 0f ? sum : sum + call.Beta * call.C[at];
            }
        }
    }

    /// <summary>Row-major (rows, depth) · (depth, columns), summed in double.</summary>
    private static float[] RowMajorProduct(float[] left, float[] right, int rows, int columns, int depth)
    {
        var product = new float[rows * columns];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                double sum = 0;
                for (int d = 0; d < depth; d++)
                {
                    sum += (double)left[r * depth + d] * right[d * columns + c];
                }
                product[r * columns + c] = (float)sum;
            }
        }
        return product;
    }

    /// <summary>The row-major (columns, rows) transpose of a row-major (rows, columns) matrix.</summary>
    private static float[] Transpose(float[] matrix, int rows, int columns)
    {
        var transposed = new float[matrix.Length];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                transposed[c * rows + r] = matrix[r * columns + c];
            }
        }
        return transposed;
    }
}
