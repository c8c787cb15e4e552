"""Optuna side of the sweep comparison in docs/BENCHMARKS.md: the search space of examples/sweep-fashion-mnist.yaml
(learning rate log 1e-4..1e-2, both hidden widths {128, 256, 512}, the first dropout 0..0.5, batch {64, 128, 256})
over the same model (784-width-width2-10, ReLU, dropout after each activation, the second at 0.2, softmax
cross-entropy, Adam cooled by a cosine schedule to 1e-5 over --max-epochs epochs, stepped per optimizer step as the
C# schedule is), trained with PyTorch on Fashion-MNIST and scored on the test set after every epoch, as the C#
trials are.

Optuna's TPESampler (seeded, --startup random trials as the sweep's startup_trials) with its HyperbandPruner
(min_resource 2, max_resource --max-epochs, reduction factor 3: the closest match to the sweep's ASHA). The study
stops once --epoch-budget training epochs were spent (pass the epochs the C# sweep spent, for the same budget),
after --trials trials, or (--wall-limit) when no trial may start any more. Trials run --jobs at a time
(threads), each on --threads torch threads.
Prints one JSON object on the last line: best test accuracy, its parameters, trials, epochs spent, wall seconds.
"""

import argparse
import json
import threading
import time

import optuna
import torch
from torch import nn

from pytorch_mlp import load


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--max-epochs", type=int, default=18)
    parser.add_argument("--epoch-budget", type=int, default=0, help="stop once this many epochs were trained (0: no limit)")
    parser.add_argument("--wall-limit", type=float, default=0, help="start no trial after this many seconds (0: no limit)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--startup", type=int, default=8)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    (x_train, y_train), (x_test, y_test) = load(args.data)
    spent = {"epochs": 0}
    lock = threading.Lock()

    def objective(trial):
        lr = trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True)
        width = trial.suggest_categorical("units", [128, 256, 512])
        width2 = trial.suggest_categorical("units2", [128, 256, 512])
        rate = trial.suggest_float("dropout", 0.0, 0.5)
        batch = trial.suggest_categorical("batch_size", [64, 128, 256])
        generator = torch.Generator().manual_seed(42)
        torch.manual_seed(42)
        model = nn.Sequential(nn.Linear(784, width), nn.ReLU(), nn.Dropout(rate),
                              nn.Linear(width, width2), nn.ReLU(), nn.Dropout(0.2), nn.Linear(width2, 10))
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        steps_per_epoch = (len(x_train) + batch - 1) // batch
        cooling = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.max_epochs * steps_per_epoch, eta_min=1e-5)
        loss_fn = nn.CrossEntropyLoss()
        accuracy = 0.0
        for epoch in range(1, args.max_epochs + 1):
            with lock:
                if args.epoch_budget and spent["epochs"] >= args.epoch_budget:
                    break
                spent["epochs"] += 1
            model.train()
            order = torch.randperm(len(x_train), generator=generator)
            for start in range(0, len(order), batch):
                indices = order[start:start + batch]
                optimizer.zero_grad(set_to_none=True)
                loss_fn(model(x_train[indices]), y_train[indices]).backward()
                optimizer.step()
                cooling.step()
            model.eval()
            with torch.no_grad():
                accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
            trial.report(accuracy, epoch)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return accuracy

    def budget_spent(study, trial):
        if args.epoch_budget and spent["epochs"] >= args.epoch_budget:
            study.stop()

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize",
        sampler=optuna.samplers.TPESampler(seed=args.seed, n_startup_trials=args.startup),
        pruner=optuna.pruners.HyperbandPruner(min_resource=2, max_resource=args.max_epochs, reduction_factor=3))
    started = time.perf_counter()
    study.optimize(objective, n_trials=args.trials, n_jobs=args.jobs, callbacks=[budget_spent], timeout=args.wall_limit or None)
    wall = time.perf_counter() - started
    # A pruned trial's last reported accuracy counts too: the best accuracy any trial reached at its last epoch.
    finished = [t for t in study.trials if t.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED) and t.intermediate_values]
    best = max(finished, key=lambda t: t.intermediate_values[max(t.intermediate_values)])
    print(json.dumps({
        "optuna": optuna.__version__,
        "torch": torch.__version__,
        "best_test_accuracy": best.intermediate_values[max(best.intermediate_values)],
        "best_params": best.params,
        "trials": len(study.trials),
        "pruned": sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials),
        "epochs_spent": spent["epochs"],
        "wall_seconds": round(wall, 1),
    }))


if __name__ == "__main__":
    main()
