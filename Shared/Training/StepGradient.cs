namespace DistributedTrainer.Training;

/// <summary>
/// A step's gradient as the central update takes it: the batch mean of the exact gradient sums and of the buffer
/// changes, as floats, and whether every sum was finite. A backend fills it: in this process by averaging its own
/// fixed-point sums (<see cref="Average"/>), on a cluster from the workers, each of which averages the segment of the
/// reduced sums it holds (<see cref="FixedPointAccumulator.ToFloats"/> with <see cref="MultiplierFor"/>). Both give the
/// same floats, so the update does not depend on where the averaging ran.
/// </summary>
public sealed class StepGradient
{
    /// <param name="gradientLength">Trainable parameters of the network updated.</param>
    /// <param name="bufferLength">Its buffer elements (batch norm statistics).</param>
    public StepGradient(int gradientLength, int bufferLength)
    {
        Gradient = new float[gradientLength];
        BufferChange = new float[bufferLength];
    }

    /// <summary>Mean gradient over the batch; the update adds the regularization gradient and clips it in place.</summary>
    public float[] Gradient { get; }

    /// <summary>Sample-weighted mean change of the buffers over the batch.</summary>
    public float[] BufferChange { get; }

    /// <summary>Length of the flat vector "gradient, then buffer changes" that workers return in segments.</summary>
    public int FlatLength => Gradient.Length + BufferChange.Length;

    /// <summary>False once any sum was NaN, infinite or out of range: the step is then skipped.</summary>
    public bool IsFinite { get; private set; } = true;

    /// <summary>Lowest offending index in the flat vector (gradient, then buffer changes) when not finite; -1 otherwise.</summary>
    public long FirstNonFiniteIndex { get; private set; } = -1;

    /// <summary>The multiplier that turns a batch's sums into its mean, the same wherever the averaging runs.</summary>
    public static double MultiplierFor(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        return 1.0 / batchSize;
    }

    /// <summary>Finite again, for a step that starts or is re-run; the vectors are overwritten by whoever fills them.</summary>
    public void Reset() => (IsFinite, FirstNonFiniteIndex) = (true, -1);

    /// <summary>Marks the step's sums as not finite at flat index <paramref name="index"/>; the lowest index is kept.</summary>
    public void MarkNonFinite(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        // The lowest offending index, so the report does not depend on the order in which workers answered.
        if (IsFinite || index < FirstNonFiniteIndex)
        {
            IsFinite = false;
            FirstNonFiniteIndex = index;
        }
    }

    /// <summary>Fills this from a batch's exact sums: their means, or the non-finite mark of the first offending sum.</summary>
    public void Average(FixedPointAccumulator gradientSums, FixedPointAccumulator bufferChangeSums, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(gradientSums);
        ArgumentNullException.ThrowIfNull(bufferChangeSums);
        double multiplier = MultiplierFor(batchSize);
        Reset();
        if (!gradientSums.IsFinite)
        {
            MarkNonFinite(gradientSums.FirstNonFiniteIndex);
        }
        else if (!bufferChangeSums.IsFinite)
        {
            MarkNonFinite(Gradient.Length + (long)bufferChangeSums.FirstNonFiniteIndex);
        }
        else
        {
            gradientSums.CopyTo(Gradient, multiplier);
            bufferChangeSums.CopyTo(BufferChange, multiplier);
        }
    }
}
