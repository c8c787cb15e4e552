// The coordinator host: the Jobs API and the job grains arrive with the gRPC runtime issue.
Console.Error.WriteLine("Coordinator: not yet available; use `trainctl train` to train in one process.");
return 1;
