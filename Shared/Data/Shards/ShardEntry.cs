namespace DistributedTrainer.Data.Shards;

/// <summary>One shard of a sharded data set: two .npy files in the data set's directory and their checksums.</summary>
/// <param name="Features">File name of the features, shape (Samples, features.shape...).</param>
/// <param name="Targets">File name of the targets, shape (Samples, targets.shape...).</param>
/// <param name="Samples">Samples in this shard, &gt;= 1.</param>
/// <param name="FeaturesSha256">SHA-256 of the whole features file, 64 lower-case hex digits.</param>
/// <param name="TargetsSha256">SHA-256 of the whole targets file.</param>
public sealed record ShardEntry(string Features, string Targets, int Samples, string FeaturesSha256, string TargetsSha256);
