using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Protos.V1;
using Xunit;

namespace DistributedTrainer.Tests.Numerics;

public class InitializerFactoryTests
{
    private static readonly Initializer Fallback = new HeUniformInitializer();

    [Fact]
    public void Create_NullSpec_ReturnsFallback()
    {
        Assert.Same(Fallback, InitializerFactory.Create(null, Fallback));
    }

    [Fact]
    public void Create_UnspecifiedKind_ReturnsFallback()
    {
        Assert.Same(Fallback, InitializerFactory.Create(new InitializerSpec(), Fallback));
    }

    [Theory]
    [InlineData(InitializerSpec.Types.Kind.Zeros, typeof(ZerosInitializer))]
    [InlineData(InitializerSpec.Types.Kind.Constant, typeof(ConstantInitializer))]
    [InlineData(InitializerSpec.Types.Kind.Uniform, typeof(UniformInitializer))]
    [InlineData(InitializerSpec.Types.Kind.Normal, typeof(NormalInitializer))]
    [InlineData(InitializerSpec.Types.Kind.XavierUniform, typeof(XavierUniformInitializer))]
    [InlineData(InitializerSpec.Types.Kind.XavierNormal, typeof(XavierNormalInitializer))]
    [InlineData(InitializerSpec.Types.Kind.HeUniform, typeof(HeUniformInitializer))]
    [InlineData(InitializerSpec.Types.Kind.HeNormal, typeof(HeNormalInitializer))]
    [InlineData(InitializerSpec.Types.Kind.LecunUniform, typeof(LeCunUniformInitializer))]
    [InlineData(InitializerSpec.Types.Kind.LecunNormal, typeof(LeCunNormalInitializer))]
    [InlineData(InitializerSpec.Types.Kind.Orthogonal, typeof(OrthogonalInitializer))]
    [InlineData(InitializerSpec.Types.Kind.Identity, typeof(IdentityInitializer))]
    public void Create_Kind_ReturnsMatchingInitializer(InitializerSpec.Types.Kind kind, Type expected)
    {
        var initializer = InitializerFactory.Create(new InitializerSpec { Kind = kind }, Fallback);

        Assert.IsType(expected, initializer);
    }

    [Fact]
    public void Create_UniformWithoutBounds_UsesProtoDefaults()
    {
        var initializer = InitializerFactory.Create(new InitializerSpec { Kind = InitializerSpec.Types.Kind.Uniform }, Fallback);

        var uniform = Assert.IsType<UniformInitializer>(initializer);
        Assert.Equal((-0.05f, 0.05f), (uniform.Low, uniform.High));
    }

    [Fact]
    public void Create_UniformWithLowOnly_KeepsDefaultHigh()
    {
        var spec = new InitializerSpec { Kind = InitializerSpec.Types.Kind.Uniform, Low = -0.01f };

        var uniform = Assert.IsType<UniformInitializer>(InitializerFactory.Create(spec, Fallback));

        Assert.Equal((-0.01f, 0.05f), (uniform.Low, uniform.High));
    }

    [Fact]
    public void Create_NormalWithoutStd_UsesProtoDefaultStd()
    {
        var spec = new InitializerSpec { Kind = InitializerSpec.Types.Kind.Normal, Mean = 1f };

        var normal = Assert.IsType<NormalInitializer>(InitializerFactory.Create(spec, Fallback));

        Assert.Equal((1f, 0.05f), (normal.Mean, normal.Std));
    }

    [Fact]
    public void Create_XavierWithGain_PassesGain()
    {
        var spec = new InitializerSpec { Kind = InitializerSpec.Types.Kind.XavierUniform, Gain = 1.5f };

        var xavier = Assert.IsType<XavierUniformInitializer>(InitializerFactory.Create(spec, Fallback));

        Assert.Equal(1.5f, xavier.Gain);
    }

    [Fact]
    public void Create_OrthogonalWithoutGain_UsesGainOne()
    {
        var spec = new InitializerSpec { Kind = InitializerSpec.Types.Kind.Orthogonal };

        var orthogonal = Assert.IsType<OrthogonalInitializer>(InitializerFactory.Create(spec, Fallback));

        Assert.Equal(1f, orthogonal.Gain);
    }

    [Fact]
    public void Create_HeNormalFanOut_PassesFanMode()
    {
        var spec = new InitializerSpec { Kind = InitializerSpec.Types.Kind.HeNormal, FanMode = InitializerSpec.Types.FanMode.FanOut };

        var he = Assert.IsType<HeNormalInitializer>(InitializerFactory.Create(spec, Fallback));

        Assert.Equal(FanMode.FanOut, he.FanMode);
    }

    [Fact]
    public void Create_SparseWithoutStd_UsesSparseDefault()
    {
        var spec = new InitializerSpec { Kind = InitializerSpec.Types.Kind.Sparse, SparseNonzero = 8 };

        var sparse = Assert.IsType<SparseInitializer>(InitializerFactory.Create(spec, Fallback));

        Assert.Equal((8, 0.01f), (sparse.NonZeroPerUnit, sparse.Std));
    }

    [Fact]
    public void Create_SparseWithoutCount_Throws()
    {
        var spec = new InitializerSpec { Kind = InitializerSpec.Types.Kind.Sparse };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => InitializerFactory.Create(spec, Fallback));

        Assert.StartsWith("Invalid nonZeroPerUnit: 0 (must be >= 1)", error.Message);
    }

    [Fact]
    public void Create_NormalWithZeroStd_Throws()
    {
        var spec = new InitializerSpec { Kind = InitializerSpec.Types.Kind.Normal, Std = 0f };

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => InitializerFactory.Create(spec, Fallback));

        Assert.StartsWith("Invalid std: 0 (must be finite and > 0)", error.Message);
    }
}
