#!/usr/bin/env python3
"""The objective program of Examples/quickstart/study.yaml: a small neural network (one hidden
layer) trained by minibatch SGD on the "two moons" classification problem, in plain Python, so
that it runs wherever python3 does.

Its hyperparameters come on the command line (Hypertune fills them in from the study's search
space). After each epoch it prints the validation log-loss as {"step": epoch, "value": loss}, so
that Hypertune's pruner can stop a hopeless run early, and at the end {"value": loss}: the number
the study minimises.
"""
import argparse
import json
import math
import random
import sys


def moons(n, noise, rng):
    """Two interleaved half circles, with Gaussian noise: (x, y) points and 0/1 labels."""
    points = []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            x, y, label = math.cos(t), math.sin(t), 0
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1
        points.append(((x + rng.gauss(0, noise), y + rng.gauss(0, noise)), label))
    return points


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lr", type=float, required=True, help="learning rate")
    parser.add_argument("--hidden", type=int, required=True, help="hidden units")
    parser.add_argument("--activation", choices=["tanh", "relu"], required=True)
    parser.add_argument("--momentum", type=float, default=0.0, help="heavy-ball momentum (0: plain SGD)")
    parser.add_argument("--weight-decay", type=float, default=0.0)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    train, valid = moons(300, 0.25, rng), moons(300, 0.25, rng)
    h = args.hidden
    w1 = [[rng.gauss(0, 1 / math.sqrt(2)) for _ in range(2)] for _ in range(h)]
    b1 = [0.0] * h
    w2 = [rng.gauss(0, 1 / math.sqrt(h)) for _ in range(h)]
    b2 = 0.0
    v_w1 = [[0.0, 0.0] for _ in range(h)]
    v_b1 = [0.0] * h
    v_w2 = [0.0] * h
    v_b2 = 0.0
    relu = args.activation == "relu"

    def forward(x):
        pre = [w1[j][0] * x[0] + w1[j][1] * x[1] + b1[j] for j in range(h)]
        act = [max(0.0, z) for z in pre] if relu else [math.tanh(z) for z in pre]
        logit = sum(w2[j] * act[j] for j in range(h)) + b2
        return pre, act, logit

    def log_loss(logit, label):
        # log(1 + exp(-s·logit)) computed without overflow
        s = logit if label == 1 else -logit
        return math.log1p(math.exp(-s)) if s > -30 else -s

    def validation_loss():
        return sum(log_loss(forward(x)[2], y) for x, y in valid) / len(valid)

    loss = validation_loss()
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(train)
        for start in range(0, len(train), args.batch):
            batch = train[start:start + args.batch]
            g_w1 = [[0.0, 0.0] for _ in range(h)]
            g_b1 = [0.0] * h
            g_w2 = [0.0] * h
            g_b2 = 0.0
            for x, y in batch:
                pre, act, logit = forward(x)
                p = 1 / (1 + math.exp(-max(-60.0, min(60.0, logit))))
                d = (p - y) / len(batch)
                g_b2 += d
                for j in range(h):
                    g_w2[j] += d * act[j]
                    da = d * w2[j] * ((1.0 if pre[j] > 0 else 0.0) if relu else (1 - act[j] * act[j]))
                    g_w1[j][0] += da * x[0]
                    g_w1[j][1] += da * x[1]
                    g_b1[j] += da
            for j in range(h):
                for k in range(2):
                    v_w1[j][k] = args.momentum * v_w1[j][k] + g_w1[j][k] + args.weight_decay * w1[j][k]
                    w1[j][k] -= args.lr * v_w1[j][k]
                v_b1[j] = args.momentum * v_b1[j] + g_b1[j]
                b1[j] -= args.lr * v_b1[j]
                v_w2[j] = args.momentum * v_w2[j] + g_w2[j] + args.weight_decay * w2[j]
                w2[j] -= args.lr * v_w2[j]
            v_b2 = args.momentum * v_b2 + g_b2
            b2 -= args.lr * v_b2
        loss = validation_loss()
        if not math.isfinite(loss):
            print(f"diverged at epoch {epoch}", file=sys.stderr)
            sys.exit(1)
        print(json.dumps({"step": epoch, "value": loss}), flush=True)

    accuracy = sum((forward(x)[2] > 0) == (y == 1) for x, y in valid) / len(valid)
    print(f"validation accuracy {accuracy:.3f}", file=sys.stderr)
    print(json.dumps({"value": loss}))


if __name__ == "__main__":
    main()
