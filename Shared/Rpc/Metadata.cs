using System.Collections;

namespace DistributedTrainer.Rpc;

/// <summary>
/// gRPC metadata: an ordered list of key/value entries sent as HTTP/2 headers or trailers. Keys are
/// lower-case ASCII (<c>0-9 a-z _ - .</c>); a key ending in <c>-bin</c> carries bytes (base64 on the wire),
/// any other key a printable ASCII string. Keys the protocol reserves (<c>grpc-*</c>, <c>content-type</c>,
/// <c>te</c>, pseudo-headers) cannot be added.
/// </summary>
public sealed class Metadata : IEnumerable<Metadata.Entry>
{
    /// <summary>The suffix that marks a key whose value is binary.</summary>
    public const string BinarySuffix = "-bin";

    private readonly List<Entry> _entries = [];

    /// <summary>The number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds a string entry.</summary>
    /// <exception cref="ArgumentException">The key is invalid or reserved, ends in <c>-bin</c>, or the value is not printable ASCII.</exception>
    public Metadata Add(string key, string value)
    {
        string normalized = ValidateKey(key);
        if (normalized.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid metadata key: '{key}' (a key ending in -bin takes a byte[] value)", nameof(key));
        }

        ArgumentNullException.ThrowIfNull(value);
        foreach (char c in value)
        {
            if (c < 0x20 || c > 0x7E)
            {
                throw new ArgumentException($"Invalid metadata value for '{key}': character U+{(int)c:X4} (must be printable ASCII; use a -bin key for other data)", nameof(value));
            }
        }

        _entries.Add(new Entry(normalized, value, null));
        return this;
    }

    /// <summary>Adds a binary entry; the key must end in <c>-bin</c>.</summary>
    /// <exception cref="ArgumentException">The key is invalid or reserved or does not end in <c>-bin</c>.</exception>
    public Metadata Add(string key, byte[] value)
    {
        string normalized = ValidateKey(key);
        if (!normalized.EndsWith(BinarySuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid metadata key: '{key}' (a byte[] value needs a key ending in -bin)", nameof(key));
        }

        ArgumentNullException.ThrowIfNull(value);
        _entries.Add(new Entry(normalized, null, value));
        return this;
    }

    /// <summary>The string value of the last entry with <paramref name="key"/>, or null when there is none.</summary>
    public string? GetValue(string key)
    {
        string normalized = key.ToLowerInvariant();
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Key == normalized && !_entries[i].IsBinary)
            {
                return _entries[i].Value;
            }
        }

        return null;
    }

    /// <summary>The bytes of the last binary entry with <paramref name="key"/>, or null when there is none.</summary>
    public byte[]? GetValueBytes(string key)
    {
        string normalized = key.ToLowerInvariant();
        for (int i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Key == normalized && _entries[i].IsBinary)
            {
                return _entries[i].ValueBytes;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public IEnumerator<Entry> GetEnumerator() => _entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Adds an entry received from the wire, whose key the transport already checked.</summary>
    internal void AddReceived(string key, string? value, byte[]? valueBytes) => _entries.Add(new Entry(key, value, valueBytes));

    /// <summary>Whether the gRPC protocol owns <paramref name="key"/>, so it never appears as metadata.</summary>
    internal static bool IsReserved(string key) =>
        key.StartsWith(':')
        || key.StartsWith("grpc-", StringComparison.OrdinalIgnoreCase)
        || key.Equals("content-type", StringComparison.OrdinalIgnoreCase)
        || key.Equals("te", StringComparison.OrdinalIgnoreCase)
        || key.Equals("host", StringComparison.OrdinalIgnoreCase)
        || key.Equals("content-length", StringComparison.OrdinalIgnoreCase)
        || key.Equals("connection", StringComparison.OrdinalIgnoreCase);

    private static string ValidateKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string normalized = key.ToLowerInvariant();
        foreach (char c in normalized)
        {
            bool valid = c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' or '-' or '.';
            if (!valid)
            {
                throw new ArgumentException($"Invalid metadata key: '{key}' (character '{c}' is not one of 0-9 a-z _ - .)", nameof(key));
            }
        }

        if (IsReserved(normalized))
        {
            throw new ArgumentException($"Invalid metadata key: '{key}' (reserved by the gRPC protocol)", nameof(key));
        }

        return normalized;
    }

    /// <summary>One metadata entry: a string value or, for a <c>-bin</c> key, bytes.</summary>
    /// <param name="Key">The lower-case key.</param>
    /// <param name="Value">The string value; null for a binary entry.</param>
    /// <param name="ValueBytes">The bytes; null for a string entry.</param>
    public sealed record Entry(string Key, string? Value, byte[]? ValueBytes)
    {
        /// <summary>Whether the entry carries bytes (its key ends in <c>-bin</c>).</summary>
        public bool IsBinary => ValueBytes is not null;
    }
}
