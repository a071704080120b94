"""Peer baseline for `hypertune bench samplers --samplers ga`: Optuna's NSGAIISampler as a
single-objective genetic algorithm (population 10, so that 100 evaluations make 10 generations,
as Hypertune's `ga` preset) on the synthetic suite, in bb_bench.py's JSON-lines schema:
{function, optimizer, seed, best, regret, wall_s, n_evals}.

The suite's functions and budget come from the peer baselines' `common.py` (BENCHMARKS.md §4):
pass the directory that holds it.

Usage: python3 scripts/peers/ga_optuna.py --peers DIR [--seeds 10] [--population 10] [--out FILE]
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers", required=True, help="directory of the peer baselines (with common.py)")
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--population", type=int, default=10)
    ap.add_argument("--evaluations", type=int, default=100)
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    sys.path.insert(0, a.peers)
    from common import FUNCTIONS  # noqa: E402
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    out = sys.stdout if a.out == "-" else open(a.out, "w")
    for fname, spec in FUNCTIONS.items():
        fn = spec["fn"]
        if spec["kind"] == "box":
            def objective(trial, fn=fn, lows=spec["lows"], highs=spec["highs"]):
                return fn([trial.suggest_float(f"x{i}", lo, hi) for i, (lo, hi) in enumerate(zip(lows, highs))])
        else:
            def objective(trial, fn=fn):
                return fn(trial.suggest_categorical("cat", ["a", "b", "c"]), trial.suggest_int("n", 1, 64, log=True),
                          trial.suggest_float("lr", 1e-5, 1.0, log=True), trial.suggest_float("wd", 1e-5, 1.0, log=True))
        for seed in range(a.seeds):
            sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=a.population)
            study = optuna.create_study(direction="minimize", sampler=sampler)
            start = time.perf_counter()
            study.optimize(objective, n_trials=a.evaluations)
            wall = time.perf_counter() - start
            row = dict(function=fname, optimizer="optuna_ga", seed=seed, best=float(study.best_value),
                       regret=float(study.best_value) - spec["fmin"], wall_s=wall, n_evals=a.evaluations)
            out.write(json.dumps(row) + "\n")
            out.flush()
            print(f"optuna_ga {fname} seed={seed} best={row['best']:.5g} wall={wall:.2f}s", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
