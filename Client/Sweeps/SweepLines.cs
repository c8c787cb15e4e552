using System.Globalization;
using DistributedTrainer.Protos.V1;
using DistributedTrainer.Sweeps;

namespace DistributedTrainer.Client.Sweeps;

/// <summary>How trials and sweeps read in one line, for progress off a terminal, lists and the table's cells.</summary>
internal static class SweepLines
{
    /// <summary><c>trial 3 RUNNING, epoch 2, test_loss 0.4123: optimizer.learning_rate=0.001, batch_size=64</c>.</summary>
    public static string Trial(Trial trial, string metric) =>
        $"trial {trial.Number} {State(trial.State)}, epoch {trial.EpochsRun}, {metric} {Objective(trial)}: {Parameters(trial)}"
        + (trial.Message.Length > 0 && trial.State != TrialState.TrialRunning ? $" ({trial.Message})" : "");

    /// <summary><c>s-0123456789ab SWEEP_RUNNING name: 5 of 24 trials, best 0.8912 (trial 3)</c>.</summary>
    public static string Sweep(Sweep sweep)
    {
        string best = sweep.HasBestTrial ? $", best {Objective(sweep.Trials[sweep.BestTrial])} (trial {sweep.BestTrial})" : "";
        return $"{sweep.SweepId} {State(sweep.State)} {sweep.Spec?.Name}: {sweep.Trials.Count} trials{best}. {sweep.Message}";
    }

    public static string Parameters(Trial trial) =>
        string.Join(", ", trial.Parameters.Select(parameter => $"{parameter.Path}={Value(parameter)}"));

    /// <summary>A parameter's value, numbers with 4 significant digits.</summary>
    public static string Value(ParameterValue parameter) => parameter.Value.KindCase == Google.Protobuf.WellKnownTypes.Value.KindOneofCase.NumberValue
        ? parameter.Value.NumberValue.ToString("G4", CultureInfo.InvariantCulture)
        : FieldValues.Format(parameter.Value);

    public static string Objective(Trial trial) => trial.HasObjective ? trial.Objective.ToString("0.0000", CultureInfo.InvariantCulture) : "-";

    public static string State(TrialState state) => state switch
    {
        TrialState.TrialRunning => "running",
        TrialState.TrialSucceeded => "succeeded",
        TrialState.TrialStopped => "stopped",
        TrialState.TrialFailed => "failed",
        TrialState.TrialCancelled => "cancelled",
        _ => "unknown",
    };

    public static string State(SweepState state) => state switch
    {
        SweepState.SweepRunning => "running",
        SweepState.SweepSucceeded => "succeeded",
        SweepState.SweepFailed => "failed",
        SweepState.SweepCancelled => "cancelled",
        _ => "unknown",
    };
}
