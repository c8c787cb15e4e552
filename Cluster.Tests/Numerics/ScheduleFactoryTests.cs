using DistributedTrainer.Numerics.Schedules;
using DistributedTrainer.Protos.V1;
using Xunit;
using Kind = DistributedTrainer.Protos.V1.ScheduleSpec.Types.Kind;

namespace DistributedTrainer.Tests.Numerics;

public sealed class ScheduleFactoryTests
{
    [Fact]
    public void Create_NoSpec_IsConstant()
    {
        var schedule = ScheduleFactory.Create(null, 0.1f, 100);

        Assert.Equal(0.1f, schedule.RateAt(57));
    }

    [Fact]
    public void Create_StepWithoutGamma_UsesDefaultGamma()
    {
        var schedule = ScheduleFactory.Create(new ScheduleSpec { Kind = Kind.Step, StepSize = 10 }, 1f, 100);

        Assert.Equal(0.1f, schedule.RateAt(10));
    }

    [Fact]
    public void Create_CosineWithoutTotalSteps_SpansWholeJob()
    {
        var schedule = ScheduleFactory.Create(new ScheduleSpec { Kind = Kind.Cosine }, 1f, 100);

        Assert.Equal(0.5f, schedule.RateAt(50), 6);
    }

    [Fact]
    public void Create_WarmupSteps_WrapsInLinearWarmup()
    {
        var schedule = ScheduleFactory.Create(new ScheduleSpec { Kind = Kind.Exponential, Gamma = 0.5f, WarmupSteps = 3 }, 1f, 100);

        Assert.IsType<LinearWarmup>(schedule);
    }

    [Theory]
    [InlineData(Kind.Step, "Invalid step_size: 0 (must be > 0)")]
    [InlineData(Kind.Exponential, "Invalid gamma: unset (an EXPONENTIAL schedule needs gamma in (0, 1], the multiplier per step)")]
    [InlineData(Kind.InverseTime, "Invalid decay: 0 (must be finite and > 0)")]
    public void Create_RequiredFieldMissing_ThrowsNamingIt(Kind kind, string message)
    {
        var exception = Assert.Throws<ArgumentException>(() => ScheduleFactory.Create(new ScheduleSpec { Kind = kind }, 0.1f, 100));

        Assert.Equal(message, exception.Message);
    }

    [Theory]
    [InlineData("gamma", "Invalid gamma: 1.5 (must be in (0, 1])")]
    [InlineData("factor", "Invalid factor: 1 (must be in (0, 1))")]
    [InlineData("min_lr", "Invalid min_lr: 0.5 (must not exceed the learning rate 0.1)")]
    [InlineData("total_steps", "Invalid total_steps: -5 (must be > 0)")]
    [InlineData("warmup_steps", "Invalid warmup_steps: -1 (must be >= 0)")]
    [InlineData("patience", "Invalid patience: -2 (must be >= 0)")]
    public void Create_ValueOutOfRange_ThrowsNamingIt(string field, string message)
    {
        var spec = field switch
        {
            "gamma" => new ScheduleSpec { Kind = Kind.Exponential, Gamma = 1.5f },
            "factor" => new ScheduleSpec { Kind = Kind.Plateau, Factor = 1f },
            "min_lr" => new ScheduleSpec { Kind = Kind.Cosine, MinLr = 0.5f },
            "total_steps" => new ScheduleSpec { Kind = Kind.Cosine, TotalSteps = -5 },
            "warmup_steps" => new ScheduleSpec { WarmupSteps = -1 },
            _ => new ScheduleSpec { Kind = Kind.Plateau, Patience = -2 },
        };

        var exception = Assert.Throws<ArgumentException>(() => ScheduleFactory.Create(spec, 0.1f, 100));

        Assert.Equal(message, exception.Message);
    }
}
