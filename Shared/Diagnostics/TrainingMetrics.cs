using DistributedTrainer.Training;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace DistributedTrainer.Diagnostics;

/// <summary>
/// The training metrics, on <see cref="TrainingDiagnostics.Meter"/>. Every method tags its measurement with
/// the job id (and worker, phase, link or queue where it says so); without a listener it returns at once.
/// Gauges hold the last value; counters and the histogram accumulate.
/// </summary>
public static class TrainingMetrics
{
    private static readonly Meter Meter = TrainingDiagnostics.Meter;
    // By registration, not by name: several hosts in one process (tests, a coordinator beside its workers) may
    // each track a queue of the same name; each reports its own point.
    private static readonly ConcurrentDictionary<QueueRegistration, Func<long>> Queues = new();

    /// <summary>Mean data loss of a step's batch (<c>train.loss</c>).</summary>
    public static readonly Gauge<double> Loss = Meter.CreateGauge<double>("train.loss", description: "Mean data loss of the last step's batch.");

    /// <summary>Loss of an epoch on a split (<c>train.epoch.loss</c>, tagged <c>split</c>).</summary>
    public static readonly Gauge<double> EpochLoss = Meter.CreateGauge<double>("train.epoch.loss", description: "Mean loss of the last epoch on a split.");

    /// <summary>Accuracy of an epoch on a split, 0 to 1 (<c>train.accuracy</c>, tagged <c>split</c>).</summary>
    public static readonly Gauge<double> Accuracy = Meter.CreateGauge<double>("train.accuracy", unit: "1", description: "Fraction of samples predicted correctly in the last epoch on a split.");

    /// <summary>The scheduled learning rate of a step (<c>train.learning_rate</c>).</summary>
    public static readonly Gauge<double> LearningRate = Meter.CreateGauge<double>("train.learning_rate", description: "Learning rate of the last step.");

    /// <summary>Global L2 norm of the averaged gradient before clipping (<c>train.gradient.norm</c>).</summary>
    public static readonly Gauge<double> GradientNorm = Meter.CreateGauge<double>("train.gradient.norm", description: "Global L2 norm of the last step's gradient before clipping.");

    /// <summary>The factor clipping scaled the gradient by, 1 when not clipped (<c>train.gradient.clip_ratio</c>).</summary>
    public static readonly Gauge<double> ClipRatio = Meter.CreateGauge<double>("train.gradient.clip_ratio", unit: "1", description: "Factor the last step's gradient was scaled by (1: not clipped).");

    /// <summary>Steps by what the central update did (<c>train.steps</c>, tagged <c>outcome</c>).</summary>
    /// <summary>L2 norm of one tensor's gradient in the last measured step (gradient health), tagged <c>tensor</c>.</summary>
    public static readonly Gauge<double> TensorGradientNorm = Meter.CreateGauge<double>("train.tensor.gradient_norm", description: "L2 norm of one parameter tensor's averaged gradient before clipping, in the last measured step.");

    /// <summary>||update|| / ||weights|| of one tensor in the last measured step, tagged <c>tensor</c>.</summary>
    public static readonly Gauge<double> TensorUpdateRatio = Meter.CreateGauge<double>("train.tensor.update_ratio", unit: "1", description: "Size of one parameter tensor's update relative to its values, in the last measured step.");

    public static readonly Counter<long> Steps = Meter.CreateCounter<long>("train.steps", unit: "{step}", description: "Optimizer steps, by outcome: applied, clipped or skipped.");

    /// <summary>Training samples per second, of a worker or (without <c>worker.id</c>) of the job (<c>train.samples_per_second</c>).</summary>
    public static readonly Gauge<double> SamplesPerSecond = Meter.CreateGauge<double>("train.samples_per_second", unit: "{sample}/s", description: "Training samples per second of wall time, per worker or per job.");

    /// <summary>Seconds one worker computed its shard of one step (<c>train.worker.compute.duration</c>, tagged <c>worker.id</c>), as the coordinator collects them for the shard balancer.</summary>
    public static readonly Histogram<double> WorkerComputeDuration = Meter.CreateHistogram<double>("train.worker.compute.duration", unit: "s", description: "Time one worker computed its shard of one step.");

    /// <summary>Seconds one phase of a step took (<c>train.step.duration</c>, tagged <c>phase</c>).</summary>
    public static readonly Histogram<double> StepDuration = Meter.CreateHistogram<double>("train.step.duration", unit: "s", description: "Time of one phase of a step.");

    /// <summary>Bytes sent over a ring link (<c>ring.bytes_sent</c>, tagged <c>link</c>).</summary>
    public static readonly Counter<long> RingBytesSent = Meter.CreateCounter<long>("ring.bytes_sent", unit: "By", description: "Payload bytes sent over a ring link.");

    /// <summary>
    /// Samples a worker's steps gathered from shard files (<c>train.worker.prefetch.samples</c>), tagged <c>outcome</c>:
    /// <c>hit</c> (read ahead while the step before computed) or <c>miss</c> (read from the files during the step).
    /// </summary>
    public static readonly Counter<long> PrefetchSamples = Meter.CreateCounter<long>("train.worker.prefetch.samples", unit: "{sample}", description: "Samples a worker's step gathered from shard files: read ahead (hit) or read during the step (miss).");

    /// <summary>
    /// Training steps a worker computed (<c>train.worker.parameter_segments</c>), tagged <c>outcome</c> by how its segment of
    /// the parameters arrived: <c>received</c> (the coordinator's pieces) or <c>updated</c> (it repeated the coordinator's
    /// update on the segment it held).
    /// </summary>
    public static readonly Counter<long> ParameterSegments = Meter.CreateCounter<long>("train.worker.parameter_segments", unit: "{step}", description: "Training steps a worker computed, by how its parameter segment arrived: received from the coordinator or updated in place.");

    /// <summary>
    /// Micro-shards a worker took over from a worker on the same machine that had not started them
    /// (<c>train.worker.shards_taken_over</c>; workers sharing a <c>--shard-board</c>).
    /// </summary>
    public static readonly Counter<long> ShardsTakenOver = Meter.CreateCounter<long>("train.worker.shards_taken_over", unit: "{shard}", description: "Micro-shards a worker took over from a co-located worker that had not started them.");

    /// <summary>
    /// Ring links whose pieces a worker receives through a shared-memory inbox rather than its gRPC stream
    /// (<c>train.worker.ring_links_in_shared_memory</c>; one per ring generation, workers on one machine given <c>--ring-shared-memory</c>).
    /// </summary>
    public static readonly Counter<long> RingLinksInSharedMemory = Meter.CreateCounter<long>("train.worker.ring_links_in_shared_memory", unit: "{link}", description: "Ring links whose pieces a worker receives through a shared-memory inbox from a co-located worker.");

    /// <summary>The depth of the queues registered with <see cref="TrackQueue"/> (<c>trainer.queue.depth</c>, tagged <c>queue</c>).</summary>
    public static readonly ObservableGauge<long> QueueDepth = Meter.CreateObservableGauge("trainer.queue.depth", ObserveQueues, unit: "{item}", description: "Items waiting in a queue.");

    /// <summary>Records the loss of a step.</summary>
    public static void RecordLoss(string jobId, double loss) => Loss.Record(loss, JobTag(jobId));

    /// <summary>Records the loss and accuracy of an epoch on <paramref name="split"/> (train, validation or test).</summary>
    public static void RecordEvaluation(string jobId, string split, double loss, double accuracy)
    {
        var tags = new TagList { { TrainingAttributes.JobId, jobId }, { TrainingAttributes.Split, split } };
        EpochLoss.Record(loss, tags);
        Accuracy.Record(accuracy, tags);
    }

    /// <summary>Records the central update of a step: learning rate, gradient norm, clip ratio and its outcome.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="learningRate">The scheduled learning rate.</param>
    /// <param name="gradientNorm">The global norm before clipping; NaN for a skipped step (then not recorded).</param>
    /// <param name="clipScale">The factor the gradient was scaled by (1: not clipped).</param>
    /// <param name="applied">False when the step was skipped for a non-finite gradient.</param>
    public static void RecordUpdate(string jobId, double learningRate, double gradientNorm, double clipScale, bool applied)
    {
        KeyValuePair<string, object?> job = JobTag(jobId);
        LearningRate.Record(learningRate, job);
        if (applied)
        {
            GradientNorm.Record(gradientNorm, job);
            ClipRatio.Record(clipScale, job);
        }

        string outcome = !applied ? "skipped" : clipScale < 1 ? "clipped" : "applied";
        Steps.Add(1, job, new KeyValuePair<string, object?>(TrainingAttributes.Outcome, outcome));
    }

    /// <summary>Records the per-tensor gradient norms and update-to-weight ratios of a measured step, tagged <c>tensor</c>.</summary>
    public static void RecordTensorHealth(string jobId, IReadOnlyList<TensorHealth> tensors)
    {
        KeyValuePair<string, object?> job = JobTag(jobId);
        foreach (var tensor in tensors)
        {
            var name = new KeyValuePair<string, object?>(TrainingAttributes.Tensor, tensor.Name);
            TensorGradientNorm.Record(tensor.GradientNorm, job, name);
            TensorUpdateRatio.Record(tensor.UpdateRatio, job, name);
        }
    }

    /// <summary>Records a worker's training throughput; a null <paramref name="workerId"/> records the job's.</summary>
    public static void RecordSamplesPerSecond(string jobId, string? workerId, double samplesPerSecond)
    {
        if (workerId is null)
        {
            SamplesPerSecond.Record(samplesPerSecond, JobTag(jobId));
            return;
        }

        SamplesPerSecond.Record(samplesPerSecond, JobTag(jobId), new KeyValuePair<string, object?>(TrainingAttributes.WorkerId, workerId));
    }

    /// <summary>Records the seconds <paramref name="workerId"/> computed its shard of one step of <paramref name="jobId"/>.</summary>
    public static void RecordWorkerCompute(string jobId, string workerId, double seconds) =>
        WorkerComputeDuration.Record(seconds, JobTag(jobId), new KeyValuePair<string, object?>(TrainingAttributes.WorkerId, workerId));

    /// <summary>Records the time of one phase of a step (a <see cref="TrainingSpans"/> name, e.g. <c>forward</c>).</summary>
    public static void RecordPhase(string jobId, string phase, TimeSpan elapsed) =>
        StepDuration.Record(elapsed.TotalSeconds, JobTag(jobId), new KeyValuePair<string, object?>(TrainingAttributes.Phase, phase));

    /// <summary>Counts <paramref name="bytes"/> sent from ring rank <paramref name="fromRank"/> to <paramref name="toRank"/>.</summary>
    public static void RecordRingBytes(string jobId, int fromRank, int toRank, long bytes)
    {
        if (!RingBytesSent.Enabled)
        {
            return;
        }

        RingBytesSent.Add(bytes, JobTag(jobId), new KeyValuePair<string, object?>(TrainingAttributes.Link, $"{fromRank}->{toRank}"));
    }

    /// <summary>Counts one training step of <paramref name="jobId"/> on a worker whose parameter segment was <paramref name="updated"/> in place or received.</summary>
    public static void RecordParameterSegment(string jobId, bool updated)
    {
        if (!ParameterSegments.Enabled)
        {
            return;
        }

        ParameterSegments.Add(1, JobTag(jobId), new KeyValuePair<string, object?>(TrainingAttributes.Outcome, updated ? "updated" : "received"));
    }

    /// <summary>Counts the <paramref name="count"/> micro-shards a worker of <paramref name="jobId"/> took over in one step.</summary>
    public static void RecordShardsTakenOver(string jobId, int count)
    {
        if (count > 0)
        {
            ShardsTakenOver.Add(count, JobTag(jobId));
        }
    }

    /// <summary>Counts a ring link of <paramref name="jobId"/> that moved its pieces to a shared-memory inbox.</summary>
    public static void RecordRingLinkInSharedMemory(string jobId) => RingLinksInSharedMemory.Add(1, JobTag(jobId));

    /// <summary>Counts one worker step's samples of <paramref name="jobId"/> that were read ahead (hits) and read during the step (misses).</summary>
    public static void RecordPrefetch(string jobId, long hits, long misses)
    {
        if (!PrefetchSamples.Enabled)
        {
            return;
        }

        PrefetchSamples.Add(hits, JobTag(jobId), new KeyValuePair<string, object?>(TrainingAttributes.Outcome, "hit"));
        PrefetchSamples.Add(misses, JobTag(jobId), new KeyValuePair<string, object?>(TrainingAttributes.Outcome, "miss"));
    }

    /// <summary>
    /// Reports the depth of queue <paramref name="name"/> through <paramref name="depth"/> at every collection,
    /// until the returned handle is disposed. The callback runs on the exporter's thread: keep it a cheap read.
    /// </summary>
    public static IDisposable TrackQueue(string name, Func<long> depth)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(depth);
        var registration = new QueueRegistration(name);
        Queues[registration] = depth;
        return registration;
    }

    private static KeyValuePair<string, object?> JobTag(string jobId) => new(TrainingAttributes.JobId, jobId);

    private static IEnumerable<Measurement<long>> ObserveQueues()
    {
        foreach ((QueueRegistration registration, Func<long> depth) in Queues)
        {
            yield return new Measurement<long>(depth(), new KeyValuePair<string, object?>(TrainingAttributes.Queue, registration.Name));
        }
    }

    private sealed class QueueRegistration(string name) : IDisposable
    {
        public string Name { get; } = name;

        public void Dispose() => Queues.TryRemove(this, out _);
    }
}
