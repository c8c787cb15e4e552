using DistributedTrainer.Client.Sweeps;
using DistributedTrainer.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Xunit;

namespace DistributedTrainer.Tests.Client;

public class SweepOutputsTests
{
    [Fact]
    public void TrialsCsv_StoppedTrial_OneRowWithParametersAndQuotedReason()
    {
        var sweep = new Sweep
        {
            Spec = new SweepSpec
            {
                Parameters = { new ParameterSpec { Path = "batch_size" } },
                Objective = new ObjectiveSpec { Metric = "test_accuracy" },
            },
            Trials =
            {
                new Trial
                {
                    Number = 0, JobId = "j-000000000001", State = TrialState.TrialStopped, EpochsRun = 3, Objective = 0.851,
                    Message = "stopped by ASHA at epoch 3: rung 1 cut-off 0.862, trial 0.851",
                    Parameters = { new ParameterValue { Path = "batch_size", Value = Value.ForNumber(64) } },
                },
            },
        };

        var lines = SweepOutputs.TrialsCsv(sweep).TrimEnd().Split(Environment.NewLine);

        Assert.Equal(["trial,job_id,batch_size,state,epochs_run,test_accuracy,message",
            "0,j-000000000001,64,stopped,3,0.851,\"stopped by ASHA at epoch 3: rung 1 cut-off 0.862, trial 0.851\""], lines);
    }

    [Fact]
    public void Apply_TrialEvent_ReplacesItsRowAndTracksTheBest()
    {
        var sweep = SweepFollower.Apply(null, new SweepEvent { Snapshot = new Sweep { Spec = new SweepSpec(), Trials = { new Trial { Number = 0, Objective = 0.5 } }, BestTrial = 0 } });

        sweep = SweepFollower.Apply(sweep, new SweepEvent { Trial = new Trial { Number = 1, Objective = 0.7 } });

        Assert.Equal((2, 1), (sweep.Trials.Count, sweep.BestTrial));
    }
}
