namespace DistributedTrainer.Jobs.Internal;

/// <summary>Finds the candidate a misspelt name most likely meant, for "did you mean" hints.</summary>
internal static class ClosestName
{
    /// <summary>
    /// The candidate with the smallest case-insensitive edit distance to <paramref name="given"/>, the first one on
    /// ties; null when even the best is more than a third of the name's length away (at least one edit allowed).
    /// </summary>
    public static string? Find(string given, IEnumerable<string> candidates)
    {
        var allowed = Math.Max(1, given.Length / 3);
        var upperGiven = given.ToUpperInvariant();
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in candidates)
        {
            var distance = EditDistance(upperGiven, candidate.ToUpperInvariant());
            if (distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return bestDistance <= allowed ? best : null;
    }

    // Levenshtein distance with one row of the table kept.
    private static int EditDistance(string a, string b)
    {
        var row = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            row[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }

        return row[b.Length];
    }
}
