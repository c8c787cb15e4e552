using Google.Protobuf.WellKnownTypes;

namespace DistributedTrainer.Sweeps;

/// <summary>
/// The BAYESIAN sampler: a tree-structured Parzen estimator (Bergstra et al. 2011), univariate as Optuna's default
/// TPESampler. The first <c>startupTrials</c> trials are random (as <see cref="RandomSampler"/>). After them, the ended
/// trials are split into the best ⌈10 %⌉ (at most 25) and the rest; per parameter, a Parzen density l(x) is fitted to
/// the best and g(x) to the rest (Gaussian kernels truncated to the range, in log space for log_uniform, with a wide
/// prior kernel; for listed values, counts plus one), 24 candidates are drawn from l and the one with the largest
/// l(x)/g(x) is taken. Trial t learns from trials 0..t-c only (c the trials running at once), and the sweep waits for
/// those to end, so the same seed gives the same trials however the trials' timing falls.
/// </summary>
public sealed class TpeSampler : ITrialSampler
{
    private const int Candidates = 24;
    private const int MaxBelow = 25;

    private readonly IReadOnlyList<SweepParameter> _parameters;
    private readonly SweepObjective _objective;
    private readonly ulong _seed;
    private readonly int _startupTrials;
    private readonly int _concurrency;

    /// <summary>A sampler over <paramref name="parameters"/> that learns from <paramref name="objective"/>.</summary>
    public TpeSampler(IReadOnlyList<SweepParameter> parameters, SweepObjective objective, ulong seed, int startupTrials, int concurrency)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(objective);
        ArgumentOutOfRangeException.ThrowIfLessThan(startupTrials, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(concurrency, 1);
        (_parameters, _objective, _seed, _startupTrials, _concurrency) = (parameters, objective, seed, startupTrials, concurrency);
    }

    /// <inheritdoc />
    public int TrialsNeededBefore(int trial) => trial < _startupTrials ? 0 : Math.Max(0, trial - _concurrency + 1);

    /// <inheritdoc />
    public IReadOnlyList<Value> Sample(int trial, IReadOnlyList<TrialObservation> ended)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trial);
        ArgumentNullException.ThrowIfNull(ended);
        int needed = TrialsNeededBefore(trial);
        var history = ended.Where(observation => observation.Trial < needed && double.IsFinite(observation.Objective))
            .OrderByDescending(observation => _objective.Score(observation.Objective))
            .ThenBy(observation => observation.Trial)
            .ToList();
        if (trial < _startupTrials || history.Count < 2)
        {
            return new RandomSampler(_parameters, _seed).Sample(trial, ended);
        }
        int below = Math.Min(MaxBelow, (int)Math.Ceiling(0.1 * history.Count));
        var point = new Value[_parameters.Count];
        for (int i = 0; i < _parameters.Count; i++)
        {
            var random = SweepRandom.For(_seed, trial, i + 1);
            var good = history.Take(below).Select(observation => observation.Point[i]).ToList();
            var bad = history.Skip(below).Select(observation => observation.Point[i]).ToList();
            point[i] = _parameters[i].IsCategorical
                ? SampleCategorical(_parameters[i], good, bad, random)
                : SampleNumeric(_parameters[i], good, bad, random);
        }
        return point;
    }

    private static Value SampleCategorical(SweepParameter parameter, List<Value> good, List<Value> bad, Random random)
    {
        int count = parameter.Values.Count;
        double[] l = Weights(parameter, good);
        double[] g = Weights(parameter, bad);
        int best = -1;
        double bestRatio = double.NegativeInfinity;
        for (int c = 0; c < Candidates; c++)
        {
            double u = random.NextDouble();
            int index = 0;
            while (index < count - 1 && u >= l[index])
            {
                u -= l[index];
                index++;
            }
            double ratio = Math.Log(l[index]) - Math.Log(g[index]);
            if (ratio > bestRatio)
            {
                (best, bestRatio) = (index, ratio);
            }
        }
        return parameter.Values[best];
    }

    // Counts plus one (the prior), normalized.
    private static double[] Weights(SweepParameter parameter, List<Value> observed)
    {
        var weights = Enumerable.Repeat(1.0, parameter.Values.Count).ToArray();
        foreach (var value in observed)
        {
            int index = IndexOf(parameter, value);
            if (index >= 0)
            {
                weights[index]++;
            }
        }
        double total = weights.Sum();
        return [.. weights.Select(weight => weight / total)];
    }

    private static int IndexOf(SweepParameter parameter, Value value)
    {
        for (int i = 0; i < parameter.Values.Count; i++)
        {
            if (parameter.Values[i].Equals(value))
            {
                return i;
            }
        }
        return -1;
    }

    private static Value SampleNumeric(SweepParameter parameter, List<Value> good, List<Value> bad, Random random)
    {
        bool log = parameter.Kind == ParameterKind.LogUniform;
        bool integer = parameter.Kind == ParameterKind.IntUniform;
        // Integers are spread over [min - 0.5, max + 0.5] so that rounding gives each the same width.
        double low = log ? Math.Log(parameter.Min) : parameter.Min - (integer ? 0.5 : 0);
        double high = log ? Math.Log(parameter.Max) : parameter.Max + (integer ? 0.5 : 0);
        if (high <= low)
        {
            return parameter.ValueOf(parameter.Min);
        }
        double ToSpace(Value value) => log ? Math.Log(value.NumberValue) : value.NumberValue;
        var l = new ParzenEstimator([.. good.Select(ToSpace)], low, high);
        var g = new ParzenEstimator([.. bad.Select(ToSpace)], low, high);
        double best = l.Sample(random);
        double bestRatio = double.NegativeInfinity;
        for (int c = 0; c < Candidates; c++)
        {
            double x = c == 0 ? best : l.Sample(random);
            double ratio = l.LogDensity(x) - g.LogDensity(x);
            if (ratio > bestRatio)
            {
                (best, bestRatio) = (x, ratio);
            }
        }
        double drawn = log ? Math.Exp(best) : best;
        return parameter.ValueOf(Math.Clamp(drawn, parameter.Min, parameter.Max));
    }

    /// <summary>
    /// An equally weighted mixture of Gaussians truncated to [low, high]: one at each observation and a prior one at
    /// the middle with the range as its width. Each kernel's width is the larger gap to its neighbours (the bounds
    /// count as neighbours), kept within [range / min(100, n + 1), range], as Optuna's Parzen estimator.
    /// </summary>
    private sealed class ParzenEstimator
    {
        private readonly double[] _mus;
        private readonly double[] _sigmas;
        private readonly double _low;
        private readonly double _high;

        public ParzenEstimator(double[] observations, double low, double high)
        {
            (_low, _high) = (low, high);
            double range = high - low;
            _mus = [.. observations.Append((low + high) / 2).Order()];
            _sigmas = new double[_mus.Length];
            double smallest = range / Math.Min(100, _mus.Length);
            for (int k = 0; k < _mus.Length; k++)
            {
                double left = _mus[k] - (k == 0 ? low : _mus[k - 1]);
                double right = (k == _mus.Length - 1 ? high : _mus[k + 1]) - _mus[k];
                _sigmas[k] = Math.Clamp(Math.Max(left, right), smallest, range);
            }
            // The prior kernel is as wide as the range, whatever its neighbours.
            int prior = Array.IndexOf(_mus, (low + high) / 2);
            _sigmas[prior] = range;
        }

        public double Sample(Random random)
        {
            int k = random.Next(_mus.Length);
            for (int attempt = 0; attempt < 100; attempt++)
            {
                double x = _mus[k] + (_sigmas[k] * StandardNormal(random));
                if (x >= _low && x <= _high)
                {
                    return x;
                }
            }
            return Math.Clamp(_mus[k], _low, _high);
        }

        public double LogDensity(double x)
        {
            double total = 0;
            for (int k = 0; k < _mus.Length; k++)
            {
                double z = (x - _mus[k]) / _sigmas[k];
                double mass = Math.Max(1e-12, Phi((_high - _mus[k]) / _sigmas[k]) - Phi((_low - _mus[k]) / _sigmas[k]));
                total += Math.Exp(-0.5 * z * z) / (_sigmas[k] * Math.Sqrt(2 * Math.PI) * mass);
            }
            return Math.Log(Math.Max(total / _mus.Length, double.Epsilon));
        }

        private static double StandardNormal(Random random)
        {
            double u1 = 1.0 - random.NextDouble();
            double u2 = random.NextDouble();
            return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }

        // The standard normal CDF through erf (Abramowitz and Stegun 7.1.26, absolute error below 1.5e-7).
        private static double Phi(double z)
        {
            double x = Math.Abs(z) / Math.Sqrt(2);
            double t = 1 / (1 + (0.3275911 * x));
            double polynomial = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
            double erf = 1 - (polynomial * Math.Exp(-x * x));
            return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
        }
    }
}
