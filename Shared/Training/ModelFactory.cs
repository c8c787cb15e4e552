using DistributedTrainer.Jobs;
using DistributedTrainer.Numerics.Initializers;
using DistributedTrainer.Numerics.Layers;
using DistributedTrainer.Protos.V1;

namespace DistributedTrainer.Training;

/// <summary>Turns a validated <see cref="ModelSpec"/> into layers with the project's default initializers.</summary>
public static class ModelFactory
{
    /// <summary>Builds the network for samples of <paramref name="inputFeatures"/> features and binds it to a model.</summary>
    /// <param name="maxBatch">Largest batch one forward pass will see (the micro-shard or evaluation chunk size).</param>
    public static Model Build(ModelSpec spec, int inputFeatures, int maxBatch)
    {
        var network = BuildSequence("model", spec.Layers, inputFeatures);
        return new Model(network, maxBatch);
    }

    // image: the shape the rows entering the list hold, when the layers before stated one (see ImageLayerSpecs).
    private static Sequential BuildSequence(string name, Google.Protobuf.Collections.RepeatedField<LayerSpec> specs, int inputFeatures,
        ImageShape? image = null)
    {
        var layers = new List<Layer>(specs.Count);
        int features = inputFeatures;
        for (int index = 0; index < specs.Count; index++)
        {
            var layer = BuildLayer(specs[index], LayerNaming.EffectiveName(specs[index], index), features, image);
            layers.Add(layer);
            features = layer.OutputSize;
            image = layer is IImageLayer imageLayer ? imageLayer.OutputShape
                : ImageLayerSpecs.KeepsImageShape(specs[index].KindCase) ? image : null;
        }
        return new Sequential(name, layers);
    }

    private static Layer BuildLayer(LayerSpec spec, string name, int inputFeatures, ImageShape? image) => spec.KindCase switch
    {
        LayerSpec.KindOneofCase.Reshape => new Reshape(name, inputFeatures, ImageLayerSpecs.Shape(spec.Reshape)),
        LayerSpec.KindOneofCase.Conv2D => new Conv2d(name, RequireImage(image, name), spec.Conv2D.OutChannels,
            ImageLayerSpecs.Window(spec.Conv2D), ImageLayerSpecs.HasBias(spec.Conv2D),
            InitializerFactory.Create(spec.Conv2D.WeightInit, new HeUniformInitializer(FanMode.FanIn)),
            InitializerFactory.Create(spec.Conv2D.BiasInit, new ZerosInitializer())),
        LayerSpec.KindOneofCase.ConvTranspose2D => new ConvTranspose2d(name, RequireImage(image, name), spec.ConvTranspose2D.OutChannels,
            ImageLayerSpecs.Window(spec.ConvTranspose2D), spec.ConvTranspose2D.OutputPadding, ImageLayerSpecs.HasBias(spec.ConvTranspose2D),
            InitializerFactory.Create(spec.ConvTranspose2D.WeightInit, new HeUniformInitializer(FanMode.FanIn)),
            InitializerFactory.Create(spec.ConvTranspose2D.BiasInit, new ZerosInitializer())),
        LayerSpec.KindOneofCase.MaxPool2D => new MaxPool2d(name, RequireImage(image, name), ImageLayerSpecs.Window(spec.MaxPool2D)),
        LayerSpec.KindOneofCase.AvgPool2D => new AvgPool2d(name, RequireImage(image, name), ImageLayerSpecs.Window(spec.AvgPool2D)),
        LayerSpec.KindOneofCase.Flatten => new Flatten(name, inputFeatures),
        LayerSpec.KindOneofCase.BatchNorm2D => new BatchNorm2d(name, RequireImage(image, name),
            spec.BatchNorm2D.HasMomentum ? spec.BatchNorm2D.Momentum : 0.1f,
            spec.BatchNorm2D.HasEpsilon ? spec.BatchNorm2D.Epsilon : 1e-5f),
        LayerSpec.KindOneofCase.Dropout2D => new Dropout2d(name, RequireImage(image, name), spec.Dropout2D.Rate),
        LayerSpec.KindOneofCase.Dense => BuildDense(spec.Dense, name, inputFeatures),
        LayerSpec.KindOneofCase.Embedding => new Embedding(name, inputFeatures, spec.Embedding.VocabularySize,
            spec.Embedding.Dimensions, InitializerFactory.Create(spec.Embedding.WeightInit, new NormalInitializer(0f, 1f))),
        LayerSpec.KindOneofCase.Activation => BuildActivation(spec.Activation, name, inputFeatures),
        LayerSpec.KindOneofCase.Dropout => new Dropout(name, inputFeatures, spec.Dropout.Rate),
        LayerSpec.KindOneofCase.BatchNorm => new BatchNorm(name, inputFeatures,
            spec.BatchNorm.HasMomentum ? spec.BatchNorm.Momentum : 0.1f,
            spec.BatchNorm.HasEpsilon ? spec.BatchNorm.Epsilon : 1e-5f),
        LayerSpec.KindOneofCase.LayerNorm => new LayerNorm(name, inputFeatures,
            spec.LayerNorm.HasEpsilon ? spec.LayerNorm.Epsilon : 1e-5f),
        LayerSpec.KindOneofCase.Residual => new Residual(name, BuildSequence(name, spec.Residual.Layers, inputFeatures, image)),
        LayerSpec.KindOneofCase.Highway => new Highway(name, BuildSequence(name, spec.Highway.Layers, inputFeatures, image),
            new XavierUniformInitializer(1f), spec.Highway.HasGateBias ? spec.Highway.GateBias : -1f),
        LayerSpec.KindOneofCase.Rnn => BuildRecurrent(spec.Rnn,
            spec.Rnn.Nonlinearity == RecurrentSpec.Types.Nonlinearity.Relu ? RecurrentKind.RnnRelu : RecurrentKind.RnnTanh,
            name, inputFeatures),
        LayerSpec.KindOneofCase.Lstm => BuildRecurrent(spec.Lstm, RecurrentKind.Lstm, name, inputFeatures),
        LayerSpec.KindOneofCase.Gru => BuildRecurrent(spec.Gru, RecurrentKind.Gru, name, inputFeatures),
        _ => throw new ArgumentException($"Layer {name}: no layer kind set."),
    };

    // step_features > 0: the same weights on every step of a sequence row (the validator checks it divides the width).
    private static Dense BuildDense(DenseSpec spec, string name, int inputFeatures)
    {
        int stepFeatures = spec.StepFeatures > 0 ? spec.StepFeatures : inputFeatures;
        if (inputFeatures % stepFeatures != 0)
        {
            throw new ArgumentException($"Layer {name}: step_features {stepFeatures} does not divide the input width {inputFeatures}.");
        }
        return new Dense(name, stepFeatures, spec.Units,
            InitializerFactory.Create(spec.WeightInit, new HeUniformInitializer(FanMode.FanIn)),
            InitializerFactory.Create(spec.BiasInit, new ZerosInitializer()),
            spec.DropConnect, inputFeatures / stepFeatures);
    }

    private static ImageShape RequireImage(ImageShape? image, string name) =>
        image ?? throw new ArgumentException($"Layer {name}: needs an image input (a reshape, conv2d or pool before it).");

    private static Layer BuildActivation(ActivationSpec spec, string name, int features) => spec.Kind switch
    {
        ActivationSpec.Types.Kind.Sigmoid => new Sigmoid(name, features),
        ActivationSpec.Types.Kind.Tanh => new Tanh(name, features),
        ActivationSpec.Types.Kind.Relu => new Relu(name, features),
        ActivationSpec.Types.Kind.LeakyRelu => new LeakyRelu(name, features, spec.HasNegativeSlope ? spec.NegativeSlope : 0.01f),
        ActivationSpec.Types.Kind.Prelu => new ParametricRelu(name, features, spec.HasNegativeSlope ? spec.NegativeSlope : 0.25f),
        ActivationSpec.Types.Kind.Softmax => new Softmax(name, features),
        _ => throw new ArgumentException($"Layer {name}: activation kind {spec.Kind} is not supported."),
    };

    // Unset initializers keep the layer's defaults (uniform ±1/√H input weights, orthogonal recurrent weights,
    // zero biases); unset num_layers means 1 and unset output LAST.
    private static Recurrent BuildRecurrent(RecurrentSpec spec, RecurrentKind kind, string name, int inputFeatures) =>
        new(name, inputFeatures, kind, spec.InputSize, spec.HiddenSize,
            numLayers: Math.Max(1, spec.NumLayers),
            bidirectional: spec.Bidirectional,
            output: spec.Output switch
            {
                RecurrentSpec.Types.Output.Mean => RecurrentOutput.Mean,
                RecurrentSpec.Types.Output.Sequence => RecurrentOutput.Sequence,
                _ => RecurrentOutput.Last,
            },
            bpttSteps: spec.BpttSteps,
            inputWeightInitializer: OptionalInitializer(spec.InputWeightInit),
            recurrentWeightInitializer: OptionalInitializer(spec.RecurrentWeightInit),
            biasInitializer: OptionalInitializer(spec.BiasInit),
            forgetBias: spec.HasForgetBias ? spec.ForgetBias : 1f);

    private static Initializer? OptionalInitializer(InitializerSpec? spec) =>
        spec is null || spec.Kind == InitializerSpec.Types.Kind.Unspecified
            ? null
            : InitializerFactory.Create(spec, new ZerosInitializer());
}
