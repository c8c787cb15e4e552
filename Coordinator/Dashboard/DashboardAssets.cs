using Microsoft.AspNetCore.Http;

namespace DistributedTrainer.Coordinator.Dashboard;

/// <summary>
/// The page, its script and its style, embedded in the coordinator's assembly (<c>Dashboard/Site/</c>): nothing is fetched from
/// elsewhere at run time and no build step is needed. They hold no data, so they are served without the token; the data
/// comes from the API, which requires it.
/// </summary>
internal static class DashboardAssets
{
    private static readonly Dictionary<string, string> ContentTypes = new(StringComparer.Ordinal)
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
        ["charts.js"] = "text/javascript; charset=utf-8",
        ["style.css"] = "text/css; charset=utf-8",
    };

    /// <summary>The asset names served, e.g. <c>app.js</c>.</summary>
    public static IEnumerable<string> Names => ContentTypes.Keys;

    /// <summary>The embedded file <paramref name="name"/>, or 404 when it is not one of <see cref="Names"/>.</summary>
    public static IResult Serve(string name)
    {
        if (!ContentTypes.TryGetValue(name, out var contentType))
        {
            return Results.NotFound();
        }
        Stream? content = typeof(DashboardAssets).Assembly.GetManifestResourceStream(ResourceName(name));
        // Every name above is embedded by the project file; a missing one is a build mistake, not a caller's.
        return content is null
            ? throw new InvalidOperationException($"Dashboard asset {name} is not embedded in {typeof(DashboardAssets).Assembly.GetName().Name}.")
            : Results.Stream(content, contentType);
    }

    private static string ResourceName(string name) => "Dashboard/" + name;
}
