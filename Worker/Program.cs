// The worker host arrives with the distributed-training issue.
Console.Error.WriteLine("Worker: not yet available; use `trainctl train` to train in one process.");
return 1;
