using System.Net;
using DistributedTrainer.Coordinator;
using DistributedTrainer.Coordinator.Grains;
using DistributedTrainer.Worker;
using k8s.Models;
using Orleans.Hosting.Kubernetes;
using Xunit;

namespace DistributedTrainer.Tests.Helm;

/// <summary>
/// What helm/distributed-trainer renders, checked against the processes it starts: the flags and variables the
/// coordinator and workers parse, the Services the StatefulSets need, the Secret and the Orleans silo's pod facts.
/// (.ci/check-chart lints the chart and validates every object's schema; these tests check what the schema cannot.)
/// </summary>
public sealed class HelmChartTests
{
    private const string Defaults = "default-values.yaml";
    private const string Secured = "secured-values.yaml";
    private const string LocalhostSilo = "localhost-silo-values.yaml";

    /// <summary>The field references a pod's variables resolve to, as the kubelet would fill them in.</summary>
    private static readonly Dictionary<string, string> PodFields = new()
    {
        ["metadata.name"] = "trainer-distributed-trainer-worker-1",
        ["metadata.namespace"] = "training",
        ["status.podIP"] = "10.1.2.3",
    };

    [HelmTheory]
    [MemberData(nameof(HelmChart.CiValueSets), MemberType = typeof(HelmChart))]
    public void Render_CiValueSet_EveryObjectLoadsStrictly(string values)
    {
        var chart = HelmChart.Render(values);

        Assert.NotEmpty(chart.Objects);
    }

    [HelmFact]
    public void Render_NoDataClaim_RefusedNamingTheValue()
    {
        var (exitCode, _, error) = HelmChart.Template(Path.Combine(HelmChart.Directory, "values.yaml"));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("data.existingClaim is required", error, StringComparison.Ordinal);
    }

    [HelmFact]
    public void Render_Workers_StatefulSetGovernedByAHeadlessService()
    {
        var chart = HelmChart.Render(Defaults);

        var workers = chart.Named<V1StatefulSet>("worker");
        var service = chart.Named<V1Service>(workers.Spec.ServiceName["trainer-distributed-trainer-".Length..]);
        Assert.Equal(("None", 2), (service.Spec.ClusterIP, workers.Spec.Replicas));
    }

    [HelmFact]
    public void Render_Coordinator_StatefulSetGovernedByAHeadlessService()
    {
        var chart = HelmChart.Render(Defaults);

        var coordinator = chart.Named<V1StatefulSet>("coordinator");
        var service = chart.Named<V1Service>(coordinator.Spec.ServiceName["trainer-distributed-trainer-".Length..]);
        Assert.Equal("None", service.Spec.ClusterIP);
    }

    [HelmFact]
    public void Render_WorkerSelectors_MatchTheirPodsAndNotEachOther()
    {
        var chart = HelmChart.Render(Defaults);

        var workerPods = chart.Named<V1StatefulSet>("worker").Spec.Template.Metadata.Labels;
        var coordinatorPods = chart.Named<V1StatefulSet>("coordinator").Spec.Template.Metadata.Labels;
        Assert.Equal((true, false, true, false),
            (Selects(chart.Named<V1Service>("workers").Spec.Selector, workerPods), Selects(chart.Named<V1Service>("workers").Spec.Selector, coordinatorPods),
             Selects(chart.Named<V1Service>("coordinator").Spec.Selector, coordinatorPods), Selects(chart.Named<V1Service>("coordinator").Spec.Selector, workerPods)));
    }

    [HelmFact]
    public void Render_CoordinatorArgs_ParseToTheChartsSettings()
    {
        var chart = HelmChart.Render(Secured);

        var args = RenderedChart.ExpandedArgs(chart.Container("coordinator"), PodFields);
        var options = CoordinatorOptions.Parse(args, null);
        Assert.Equal((7000, IPAddress.Any, "/state", SiloHosting.Kubernetes, "/datasets"),
            (options.Port, options.Host, options.StateDirectory, options.Silo, Assert.Single(options.DataRoots!)));
    }

    [HelmFact]
    public void Render_WorkerArgs_ParseToTheCoordinatorServiceAndThePodsAddress()
    {
        var chart = HelmChart.Render(Secured);

        var args = RenderedChart.ExpandedArgs(chart.Container("worker"), PodFields);
        var options = WorkerOptions.Parse(args, null);
        var coordinator = chart.Named<V1Service>("coordinator");
        Assert.Equal((new Uri($"http://{coordinator.Metadata.Name}:{coordinator.Spec.Ports.Single().Port}"), 7100, IPAddress.Any,
                new Uri("http://10.1.2.3:7100"), "trainer-distributed-trainer-worker-1", 8, "/datasets"),
            (options.Coordinator, options.Port, options.Host, options.Advertise, options.Name, options.Threads, Assert.Single(options.DataRoots!)));
    }

    [HelmFact]
    public void Render_LocalhostSilo_CoordinatorArgsParseToLocalhostHosting()
    {
        var chart = HelmChart.Render(LocalhostSilo);

        var options = CoordinatorOptions.Parse(RenderedChart.ExpandedArgs(chart.Container("coordinator"), PodFields), null);
        Assert.Equal(SiloHosting.Localhost, options.Silo);
    }

    [HelmFact]
    public void Render_LocalhostSilo_NoServiceAccountOrRole()
    {
        var chart = HelmChart.Render(LocalhostSilo);

        Assert.DoesNotContain(chart.Objects, item => item is V1ServiceAccount or V1Role or V1RoleBinding);
    }

    [HelmFact]
    public void Render_KubernetesSilo_PodCarriesWhatOrleansKubernetesHostingReads()
    {
        var chart = HelmChart.Render(Defaults);

        var pod = chart.Named<V1StatefulSet>("coordinator").Spec.Template;
        var fields = pod.Spec.Containers.Single().Env.Where(variable => variable.ValueFrom?.FieldRef is not null)
            .ToDictionary(variable => variable.Name, variable => variable.ValueFrom.FieldRef.FieldPath);
        Assert.Equal(
            ["metadata.name", "metadata.namespace", "status.podIP", $"metadata.labels['{KubernetesHostingOptions.ServiceIdLabel}']",
             $"metadata.labels['{KubernetesHostingOptions.ClusterIdLabel}']", "True"],
            [fields[KubernetesHostingOptions.PodNameEnvironmentVariable], fields[KubernetesHostingOptions.PodNamespaceEnvironmentVariable],
             fields[KubernetesHostingOptions.PodIPEnvironmentVariable], fields[KubernetesHostingOptions.ServiceIdEnvironmentVariable],
             fields[KubernetesHostingOptions.ClusterIdEnvironmentVariable],
             (pod.Metadata.Labels.ContainsKey(KubernetesHostingOptions.ServiceIdLabel) && pod.Metadata.Labels.ContainsKey(KubernetesHostingOptions.ClusterIdLabel)).ToString()]);
    }

    [HelmFact]
    public void Render_KubernetesSilo_ServiceAccountMayWatchAndDeletePods()
    {
        var chart = HelmChart.Render(Defaults);

        var account = chart.Named<V1StatefulSet>("coordinator").Spec.Template.Spec.ServiceAccountName;
        var binding = chart.Named<V1RoleBinding>("orleans");
        var rule = Assert.Single(chart.Named<V1Role>(binding.RoleRef.Name["trainer-distributed-trainer-".Length..]).Rules);
        Assert.Equal((account, "pods", "delete get list watch"),
            (Assert.Single(binding.Subjects).Name, Assert.Single(rule.Resources), string.Join(' ', rule.Verbs.Order(StringComparer.Ordinal))));
    }

    [HelmFact]
    public void Render_Secret_CoordinatorGetsBothTokensWorkersOnlyTheClusterToken()
    {
        var chart = HelmChart.Render(Secured);

        Assert.Equal(
            [(CoordinatorOptions.ClientTokenVariable, "client-token"), (CoordinatorOptions.ClusterTokenVariable, "cluster-token"), (WorkerOptions.TokenVariable, "cluster-token")],
            [.. SecretVariables(chart.Container("coordinator")), .. SecretVariables(chart.Container("worker"))]);
    }

    [HelmFact]
    public void Render_NoSecret_NoTokenVariables()
    {
        var chart = HelmChart.Render(Defaults);

        Assert.Empty(SecretVariables(chart.Container("coordinator")).Concat(SecretVariables(chart.Container("worker"))));
    }

    [HelmFact]
    public void Render_DataClaim_MountedReadOnlyWhereTheDataRootIs()
    {
        var chart = HelmChart.Render(Secured);

        foreach (var suffix in new[] { "coordinator", "worker" })
        {
            var pod = chart.Named<V1StatefulSet>(suffix).Spec.Template.Spec;
            var volume = pod.Volumes.Single(item => item.PersistentVolumeClaim is not null);
            var mount = pod.Containers.Single().VolumeMounts.Single(item => item.Name == volume.Name);
            Assert.Equal(("shared-datasets", true, "/datasets", true), (volume.PersistentVolumeClaim.ClaimName, volume.PersistentVolumeClaim.ReadOnlyProperty, mount.MountPath, mount.ReadOnlyProperty));
        }
    }

    [HelmFact]
    public void Render_Probes_CheckTheGrpcPortTheProcessListensOn()
    {
        var chart = HelmChart.Render(Secured);

        var coordinator = chart.Container("coordinator");
        var worker = chart.Container("worker");
        Assert.Equal((7000, 7000, 7000, 7100, 7100, 7100),
            (coordinator.Ports.Single().ContainerPort, coordinator.ReadinessProbe.Grpc.Port, coordinator.LivenessProbe.Grpc.Port,
             worker.Ports.Single().ContainerPort, worker.ReadinessProbe.Grpc.Port, worker.LivenessProbe.Grpc.Port));
    }

    private static bool Selects(IDictionary<string, string> selector, IDictionary<string, string> labels) =>
        selector.All(pair => labels.TryGetValue(pair.Key, out var value) && value == pair.Value);

    private static IEnumerable<(string Name, string Key)> SecretVariables(V1Container container) =>
        (container.Env ?? []).Where(variable => variable.ValueFrom?.SecretKeyRef is not null)
            .Select(variable => (variable.Name, variable.ValueFrom.SecretKeyRef.Key));
}
