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
        if (gradients.Length != parameters.Length)
        {
            throw new ArgumentException(
                $"Invalid gradients length: {gradients.Length} (must equal the {parameters.Length} parameters)", nameof(gradients));
        }
        double penalty = 0;
        // An index loop: foreach over the interface would allocate an enumerator on every step.
        for (int index = 0; index < views.Count; index++)
        {
            var view = views[index];
            if (view.Role != ParameterRole.Weight || view.Frozen)
            {
                continue;
            }
            int length = view.Length;
            if (view.Offset < 0 || (long)view.Offset + length > parameters.Length)
            {
                throw new ArgumentException(
                    $"Parameter '{view.Name}' covers [{view.Offset}, {(long)view.Offset + length}) but the vector has {parameters.Length} values.",
                    nameof(views));
            }
            penalty += Penalize(gradients.Slice(view.Offset, length), parameters.Slice(view.Offset, length));
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
