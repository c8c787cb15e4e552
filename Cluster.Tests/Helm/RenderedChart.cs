using k8s;
using k8s.Models;

namespace DistributedTrainer.Tests.Helm;

/// <summary>The objects one <c>helm template</c> rendered, loaded as KubernetesClient models.</summary>
internal sealed class RenderedChart(IReadOnlyList<object> objects)
{
    /// <summary>Every object, in the order rendered.</summary>
    public IReadOnlyList<object> Objects { get; } = objects;

    /// <summary>The object of kind <typeparamref name="T"/> named release-distributed-trainer-<paramref name="suffix"/>.</summary>
    public T Named<T>(string suffix)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        string name = $"{HelmChart.Release}-distributed-trainer-{suffix}";
        return Objects.OfType<T>().SingleOrDefault(item => item.Metadata.Name == name)
            ?? throw new InvalidOperationException($"No {typeof(T).Name} named {name} among {string.Join(", ", Objects.OfType<IKubernetesObject<V1ObjectMeta>>().Select(item => $"{item.Kind} {item.Metadata.Name}"))}");
    }

    /// <summary>The single container of the StatefulSet named release-distributed-trainer-<paramref name="suffix"/>.</summary>
    public V1Container Container(string suffix) => Named<V1StatefulSet>(suffix).Spec.Template.Spec.Containers.Single();

    /// <summary>
    /// The container's arguments as the kubelet passes them: each <c>$(NAME)</c> replaced by the variable's value, a
    /// field reference's taken from <paramref name="fields"/> (field path to value, e.g. status.podIP to 10.1.2.3).
    /// </summary>
    /// <exception cref="InvalidOperationException">An argument names a variable the container does not define.</exception>
    public static IReadOnlyList<string> ExpandedArgs(V1Container container, IReadOnlyDictionary<string, string> fields)
    {
        var variables = (container.Env ?? []).ToDictionary(variable => variable.Name,
            variable => variable.Value ?? (variable.ValueFrom?.FieldRef is { } field ? fields.GetValueOrDefault(field.FieldPath) : null));
        return container.Args.Select(argument =>
        {
            foreach (var (name, value) in variables)
            {
                argument = value is null ? argument : argument.Replace($"$({name})", value, StringComparison.Ordinal);
            }
            return argument.Contains("$(", StringComparison.Ordinal)
                ? throw new InvalidOperationException($"Container {container.Name}: argument '{argument}' names a variable it does not define")
                : argument;
        }).ToList();
    }
}
