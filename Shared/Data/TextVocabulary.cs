using System.Text;

namespace DistributedTrainer.Data;

/// <summary>
/// The characters of a TEXT data set: its distinct Unicode scalar values sorted by code point, character i having
/// id i. Sorting makes the ids a function of the character set alone, so the same file gives the same ids on every
/// machine, and the vocabulary written into a checkpoint decodes its model's outputs.
/// </summary>
public sealed class TextVocabulary
{
    private readonly Rune[] _characters;
    private readonly Dictionary<Rune, int> _ids;

    private TextVocabulary(Rune[] characters)
    {
        _characters = characters;
        _ids = new Dictionary<Rune, int>(characters.Length);
        for (int id = 0; id < characters.Length; id++)
        {
            _ids.Add(characters[id], id);
        }
    }

    /// <summary>Number of characters (ids are 0 .. Count - 1).</summary>
    public int Count => _characters.Length;

    /// <summary>The vocabulary as one string, characters in id order; <see cref="Parse"/> reads it back.</summary>
    public string Characters => string.Concat(_characters.Select(character => character.ToString()));

    /// <summary>The distinct characters of <paramref name="text"/>.</summary>
    public static TextVocabulary Build(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var distinct = new HashSet<Rune>();
        foreach (var character in text.EnumerateRunes())
        {
            distinct.Add(character);
        }
        var sorted = distinct.ToArray();
        Array.Sort(sorted);
        return new TextVocabulary(sorted);
    }

    /// <summary>A vocabulary written by <see cref="Characters"/>.</summary>
    /// <exception cref="InvalidDataException">A character appears twice or out of code-point order.</exception>
    public static TextVocabulary Parse(string characters)
    {
        ArgumentNullException.ThrowIfNull(characters);
        var runes = characters.EnumerateRunes().ToArray();
        for (int i = 1; i < runes.Length; i++)
        {
            if (runes[i - 1].CompareTo(runes[i]) >= 0)
            {
                throw new InvalidDataException($"Invalid vocabulary: character {i} is not after character {i - 1} in code-point order");
            }
        }
        return new TextVocabulary(runes);
    }

    /// <summary>The id of <paramref name="character"/>, or -1 when it is not in the vocabulary.</summary>
    public int IdOf(Rune character) => _ids.TryGetValue(character, out int id) ? id : -1;

    /// <summary>The character with id <paramref name="id"/>.</summary>
    public Rune CharacterOf(int id) => _characters[id];

    /// <summary>The ids of <paramref name="text"/>'s characters; throws naming the first one not in the vocabulary.</summary>
    /// <exception cref="ArgumentException">A character of <paramref name="text"/> is not in the vocabulary.</exception>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length);
        int position = 0;
        foreach (var character in text.EnumerateRunes())
        {
            int id = IdOf(character);
            if (id < 0)
            {
                throw new ArgumentException(
                    $"character {position} (U+{character.Value:X4}) is not in the vocabulary of {Count} characters");
            }
            ids.Add(id);
            position++;
        }
        return [.. ids];
    }
}
