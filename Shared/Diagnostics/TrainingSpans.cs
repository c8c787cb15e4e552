namespace DistributedTrainer.Diagnostics;

/// <summary>
/// The names of the spans of one training step, so that every process names the same work the same way and
/// <c>trainctl trace</c> and trace backends group them. Start them from <see cref="TrainingDiagnostics.Source"/>.
/// </summary>
public static class TrainingSpans
{
    /// <summary>The root span of one step, on the coordinator (<see cref="TrainingDiagnostics.StartStep"/>).</summary>
    public const string Step = "train.step";

    /// <summary>
    /// The coordinator's side of one worker's part of a step, from the step's header to the worker's result (a client
    /// span, tagged with the worker's id and rank). The Step stream carries many steps, so each step has its own span.
    /// </summary>
    public const string StepCall = "step.call";

    /// <summary>A worker's part of a step, from the header to its result (a server span under <see cref="StepCall"/>).</summary>
    public const string WorkerStep = "worker.step";

    /// <summary>A worker's gradient computation over its micro-shards.</summary>
    public const string WorkerCompute = "worker.compute";

    /// <summary>Reading a micro-shard's samples.</summary>
    public const string DataRead = "data.read";

    /// <summary>The forward pass.</summary>
    public const string Forward = "forward";

    /// <summary>The backward pass.</summary>
    public const string Backward = "backward";

    /// <summary>The ring reduce-scatter or all-gather of a worker; <see cref="TrainingAttributes.RingPhase"/> says which.</summary>
    public const string Ring = "ring";

    /// <summary>One chunk sent to the next worker of the ring.</summary>
    public const string RingSend = "ring.send";

    /// <summary>One chunk received from the previous worker of the ring.</summary>
    public const string RingReceive = "ring.receive";

    /// <summary>Global gradient norm, clipping and the non-finite check.</summary>
    public const string Clip = "coordinator.clip";

    /// <summary>The optimizer update of the master parameters.</summary>
    public const string Optimizer = "coordinator.optimizer";

    /// <summary>The coordinator sending the new parameter chunks to the workers.</summary>
    public const string Scatter = "coordinator.scatter";

    /// <summary>Writing a checkpoint.</summary>
    public const string CheckpointWrite = "checkpoint.write";

    /// <summary>Evaluating a shard or split.</summary>
    public const string Evaluate = "evaluate";
}
