"""Peer baseline for `hypertune bench pareto`: Optuna's NSGAIISampler (and RandomSampler) on
ZDT1 and ZDT2 (30 variables in [0, 1], two objectives minimised), the hypervolume of the Pareto
front found in a budget of trials, as JSON lines in the same schema:
{function, optimizer, seed, hypervolume, reference, n_evals, wall_s}.

Usage: python3 scripts/peers/pareto_optuna.py [--seeds 10] [--evaluations 200] [--reference 1.1,11] [--out FILE]
"""
import argparse
import json
import math
import sys
import time


def zdt(name, h):
    def f(x):
        g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
        return x[0], g * h(x[0], g)
    return name, f


FUNCTIONS = [
    zdt("zdt1", lambda f1, g: 1 - math.sqrt(f1 / g)),
    zdt("zdt2", lambda f1, g: 1 - (f1 / g) ** 2),
]


def hypervolume_2d(points, reference):
    inside = sorted(p for p in points if p[0] < reference[0] and p[1] < reference[1])
    area, ceiling = 0.0, reference[1]
    for x, y in inside:
        if y < ceiling:
            area += (reference[0] - x) * (ceiling - y)
            ceiling = y
    return area


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--evaluations", type=int, default=200)
    ap.add_argument("--reference", default="1.1,11")
    ap.add_argument("--optimizers", default="optuna_nsga2,optuna_random")
    ap.add_argument("--out", default="-")
    a = ap.parse_args()
    import optuna
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    reference = tuple(float(v) for v in a.reference.split(","))
    out = sys.stdout if a.out == "-" else open(a.out, "w")
    for name, f in FUNCTIONS:
        for opt in a.optimizers.split(","):
            for seed in range(a.seeds):
                sampler = optuna.samplers.NSGAIISampler(seed=seed) if opt == "optuna_nsga2" else optuna.samplers.RandomSampler(seed=seed)
                study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
                start = time.perf_counter()
                study.optimize(lambda t: f([t.suggest_float(f"x{i}", 0.0, 1.0) for i in range(30)]), n_trials=a.evaluations)
                wall = time.perf_counter() - start
                front = [t.values for t in study.best_trials]
                row = dict(function=name, optimizer=opt, seed=seed, hypervolume=hypervolume_2d(front, reference),
                           reference=list(reference), n_evals=a.evaluations, wall_s=wall)
                out.write(json.dumps(row, sort_keys=True) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
