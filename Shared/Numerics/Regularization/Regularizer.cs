using DistributedTrainer.Numerics.Layers;

namespace DistributedTrainer.Numerics.Regularization;

/// <summary>
/// A penalty on weights added to the loss. The base class owns the loop over parameter tensors: only
/// <see cref="ParameterRole.Weight"/> tensors are penalized (never biases or normalization scales), and frozen
/// tensors are skipped because they are constants, whose penalty would only offset the reported loss and
/// inflate the gradient norm that clipping sees.
/// </summary>
public abstract class Regularizer
{
    private protected Regularizer()
    {
    }

    /// <summary>
    /// gradients (P) += d(penalty)/d(parameters); parameters (P). Call it on the batch-mean gradient, before
    /// clipping. Returns the penalty in double precision, to add to the mean loss.
    /// </summary>
    public double AddPenalty(Span<float> gradients, ReadOnlySpan<float> parameters, IReadOnlyList<ParameterView> views)
    {
        ArgumentNullException.ThrowIfNull(views);
        // A view past the vector's end is a caller's mistake here, not a segment boundary.
        for (int index = 0; index < views.Count; index++)
        {
            var view = views[index];
            if (view.Offset < 0 || (long)view.Offset + view.Length > parameters.Length)
            {
                throw new ArgumentException(
                    $"Parameter '{view.Name}' covers [{view.Offset}, {(long)view.Offset + view.Length}) but the vector has {parameters.Length} values.",
                    nameof(views));
            }
        }
        return AddPenaltyGradient(gradients, parameters, 0, views);
    }

    /// <summary>
    /// What <see cref="AddPenalty"/> adds, over the elements [<paramref name="start"/>, start + length) of the flat vector
    /// only: a worker regularizes the segment it holds with it. The gradient is element-wise, so a partition's segments
    /// get bit for bit what the whole vector gets. Returns the segment's part of the penalty.
    /// </summary>
    public double AddPenaltyGradient(Span<float> gradients, ReadOnlySpan<float> parameters, int start, IReadOnlyList<ParameterView> views)
    {
        ArgumentNullException.ThrowIfNull(views);
        if (gradients.Length != parameters.Length)
        {
            throw new ArgumentException(
                $"Invalid gradients length: {gradients.Length} (must equal the {parameters.Length} parameters)", nameof(gradients));
        }
        int end = start + parameters.Length;
        double penalty = 0;
        // An index loop: foreach over the interface would allocate an enumerator on every step.
        for (int index = 0; index < views.Count; index++)
        {
            var view = views[index];
            int first = Math.Max(view.Offset, start);
            int last = Math.Min(view.Offset + view.Length, end);
            if (view.Role != ParameterRole.Weight || view.Frozen || first >= last)
            {
                continue;
            }
            penalty += Penalize(gradients[(first - start)..(last - start)], parameters[(first - start)..(last - start)]);
        }
        return penalty;
    }

    /// <summary>gradients (N) += d(penalty)/d(weights); weights (N). Returns the penalty of this tensor.</summary>
    private protected abstract double Penalize(Span<float> gradients, ReadOnlySpan<float> weights);

    /// <summary>Throws unless <paramref name="strength"/> is finite and non-negative.</summary>
    private protected static float CheckStrength(float strength, string name)
    {
        if (!float.IsFinite(strength) || strength < 0f)
        {
            throw new ArgumentOutOfRangeException(name, $"Invalid {name}: {strength} (must be finite and >= 0)");
        }
        return strength;
    }
}
