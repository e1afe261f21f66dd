#!/usr/bin/python3
"""Writes tests/data/golden/perf_statistics.json: reference values from SciPy/NumPy for the
statistics in perf_framework/include/perf_framework/statistics.h.

Run with Debian's Python (scripts/setup-deps.sh --golden installs python3-scipy):
    /usr/bin/python3 tools/golden/make_stats_golden.py

Where SciPy has the function, SciPy computes the value. Hodges–Lehmann with the Moses interval,
TOST and Holm have no SciPy function; they are computed here from their textbook definitions with
SciPy's distributions, so the C++ code is checked against an independent implementation.
"""
import json
import math
import os

import numpy as np
import scipy
from scipy import stats

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "golden",
                   "perf_statistics.json")
rng = np.random.default_rng(20261123)


def f(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def samples():
    """Named samples: small, tied, skewed (timing-like), constant."""
    return {
        "tiny3": [3.0, 1.0, 2.0],
        "five": [2.5, 3.1, 2.9, 3.6, 2.2],
        "even8": [1.0, 4.0, 2.0, 8.0, 5.0, 7.0, 3.0, 6.0],
        "ties": [1.0, 2.0, 2.0, 3.0, 3.0, 3.0, 4.0, 10.0],
        "lognormal40": list(np.round(rng.lognormal(mean=2.0, sigma=0.1, size=40), 6)),
        "heavy_tail25": list(np.round(100 + rng.standard_t(df=2, size=25), 6)),
        "normal200": list(np.round(rng.normal(50.0, 5.0, size=200), 6)),
        "constant": [7.0, 7.0, 7.0, 7.0],
    }


def descriptive(x):
    a = np.asarray(x)
    med = np.median(a)
    out = {
        "mean": f(a.mean()),
        "median": f(med),
        "variance": f(a.var(ddof=1)),
        "stddev": f(a.std(ddof=1)),
        "cv": f(a.std(ddof=1) / abs(a.mean())) if a.mean() != 0 else "nan",
        "percentiles": {str(p): f(np.percentile(a, p)) for p in [0, 5, 25, 50, 75, 90, 99, 100]},
        "mad": f(stats.median_abs_deviation(a, scale=1.0)),
        "mdape": f(np.median(np.abs(a - med) / abs(med))),
        "t_interval_95": [f(v) for v in stats.t.interval(0.95, len(a) - 1, loc=a.mean(), scale=stats.sem(a))]
        if a.std() > 0 else [f(a.mean()), f(a.mean())],
        "t_interval_99": [f(v) for v in stats.t.interval(0.99, len(a) - 1, loc=a.mean(), scale=stats.sem(a))]
        if a.std() > 0 else [f(a.mean()), f(a.mean())],
    }
    if len(a) >= 3 and a.std() > 0:
        d = a - a.mean()
        out["lag1"] = f(np.sum(d[:-1] * d[1:]) / np.sum(d * d))
    return out


def moses(a, b, confidence):
    diffs = np.sort(np.subtract.outer(np.asarray(b), np.asarray(a)).ravel())
    m, n = len(a), len(b)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    k = math.floor(m * n / 2 - z * math.sqrt(m * n * (m + n + 1) / 12))
    est = np.median(diffs)
    if k < 1:
        return [f(est), "-inf", "inf"]
    return [f(est), f(diffs[k - 1]), f(diffs[len(diffs) - k])]


def tost(a, b, margin):
    la, lb = np.log(a), np.log(b)
    va, vb = la.var(ddof=1) / len(la), lb.var(ddof=1) / len(lb)
    se = math.sqrt(va + vb)
    df = (va + vb) ** 2 / (va ** 2 / (len(la) - 1) + vb ** 2 / (len(lb) - 1))
    d = lb.mean() - la.mean()
    bound = math.log1p(margin)
    p_low = stats.t.sf((d + bound) / se, df)
    p_high = stats.t.sf((bound - d) / se, df)
    return {"statistic": f(d), "p": f(max(p_low, p_high)), "df": f(df)}


def holm(p):
    p = np.asarray(p)
    order = np.argsort(p, kind="stable")
    m = len(p)
    adj = np.empty(m)
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[idx]))
        adj[idx] = running
    return [f(v) for v in adj]


def pairs():
    """(name, a, b) pairs for the two-sample tests."""
    base = rng.lognormal(2.0, 0.05, size=30)
    return [
        ("small_exact_3_4", [1.1, 2.3, 0.7], [3.2, 4.1, 2.9, 5.5]),
        ("small_exact_5_5_overlap", [1.0, 2.0, 3.0, 4.0, 5.0], [2.5, 3.5, 4.5, 5.5, 6.5]),
        ("exact_8_vs_30", list(np.round(rng.normal(10, 1, 8), 6)), list(np.round(rng.normal(11, 1, 30), 6))),
        ("asymptotic_ties", [1, 2, 2, 3, 3, 3, 4, 5, 5, 6], [2, 3, 3, 4, 4, 5, 6, 6, 7, 8]),
        ("small_with_ties", [1.0, 2.0, 2.0], [2.0, 3.0, 4.0]),
        ("timing_10pct", list(np.round(base, 6)), list(np.round(rng.lognormal(2.0 + math.log(1.1), 0.05, size=30), 6))),
        ("timing_same", list(np.round(base, 6)), list(np.round(rng.lognormal(2.0, 0.05, size=30), 6))),
        ("unequal_sizes", list(np.round(rng.lognormal(1.0, 0.2, size=12), 6)), list(np.round(rng.lognormal(1.1, 0.3, size=45), 6))),
    ]


def main():
    doc = {"format": 1, "generator": "tools/golden/make_stats_golden.py", "scipy_version": scipy.__version__,
           "numpy_version": np.__version__, "samples": {}, "two_sample": [], "distributions": {}, "power": [],
           "holm": [], "sign_test": [], "order_statistic_interval": [], "power_law": []}
    for name, x in samples().items():
        doc["samples"][name] = {"values": [f(v) for v in x], "expected": descriptive(x)}

    for name, a, b in pairs():
        a, b = np.asarray(a, float), np.asarray(b, float)
        mw = stats.mannwhitneyu(a, b, alternative="two-sided", method="auto")
        welch = stats.ttest_ind(np.log(a), np.log(b), equal_var=False)
        na, nb = len(a), len(b)
        pooled = math.sqrt(((na - 1) * a.var(ddof=1) + (nb - 1) * b.var(ddof=1)) / (na + nb - 2))
        gt = sum((bj > ai) for bj in b for ai in a)
        lt = sum((bj < ai) for bj in b for ai in a)
        exact = (na <= 8 or nb <= 8) and len(np.unique(np.concatenate([a, b]))) == na + nb
        doc["two_sample"].append({
            "name": name, "a": [f(v) for v in a], "b": [f(v) for v in b],
            "mannwhitney": {"u": f(mw.statistic), "p": f(mw.pvalue), "method": "exact" if bool(exact) else "asymptotic"},
            # SciPy's t is for mean(log a) - mean(log b); ours is b - a, so the sign is flipped here.
            "welch_log": {"t": f(-welch.statistic), "p": f(welch.pvalue)},
            "hodges_lehmann_95": moses(a, b, 0.95),
            "cohens_d": f((b.mean() - a.mean()) / pooled),
            "cliffs_delta": f((gt - lt) / (na * nb)),
            "tost_5pct": tost(a, b, 0.05),
            "tost_20pct": tost(a, b, 0.20),
        })

    doc["distributions"] = {
        "normal_quantile": [[p, f(stats.norm.ppf(p))] for p in [0.5, 0.8, 0.95, 0.975, 0.995, 1e-6]],
        "t_quantile": [[p, df, f(stats.t.ppf(p, df))] for p, df in
                       [(0.975, 1), (0.975, 2), (0.975, 4), (0.975, 9), (0.975, 29), (0.975, 1000), (0.995, 5), (0.9, 3.5)]],
        "binomial_cdf": [[k, n, f(stats.binom.cdf(k, n, 0.5))] for k, n in [(0, 5), (1, 6), (5, 20), (39, 100), (12, 30)]],
    }
    for d, n in [(0.5, 20), (0.2, 100), (1.0, 10), (0.8, 26), (2.0, 4)]:
        df = 2 * n - 2
        tc = stats.t.ppf(0.975, df)
        ncp = d * math.sqrt(n / 2)
        power = stats.nct.sf(tc, df, ncp) + stats.nct.cdf(-tc, df, ncp)
        # The smallest n per group that reaches 80% power, found with SciPy's nct.
        n80 = 2
        while True:
            df80 = 2 * n80 - 2
            tc80 = stats.t.ppf(0.975, df80)
            ncp80 = d * math.sqrt(n80 / 2)
            if stats.nct.sf(tc80, df80, ncp80) + stats.nct.cdf(-tc80, df80, ncp80) >= 0.8:
                break
            n80 += 1
        doc["power"].append({"d": d, "n": n, "alpha": 0.05, "power": f(power), "n_for_80pct": n80})

    for p in [[0.01, 0.04, 0.03, 0.005], [0.5, 0.5, 0.5], [0.001], [0.04, 0.01, 0.9, 0.02, 0.03]]:
        doc["holm"].append({"p": p, "adjusted": holm(p)})

    for x, c in [([1.1, 0.9, 1.2, 1.3, 1.05, 0.95, 1.2, 1.25], 1.0), ([1.0, 1.0, 2.0, 3.0], 1.0),
                 (list(np.round(rng.normal(1.02, 0.01, 25), 6)), 1.0)]:
        above = int(sum(v > c for v in x))
        n = int(sum(v != c for v in x))
        doc["sign_test"].append({"x": x, "center": c, "above": above,
                                 "p": f(stats.binomtest(above, n, 0.5).pvalue) if n else 1.0})

    for n in [5, 6, 10, 25, 60]:
        x = sorted(np.round(rng.normal(0, 1, n), 6))
        k = 0
        while k + 1 <= (n + 1) // 2 and 2 * stats.binom.cdf(k, n, 0.5) <= 0.05:
            k += 1
        if k == 0:
            lo, hi, conf = "-inf", "inf", 1.0
        else:
            lo, hi, conf = f(x[k - 1]), f(x[n - k]), f(1 - 2 * stats.binom.cdf(k - 1, n, 0.5))
        doc["order_statistic_interval"].append({"x": [f(v) for v in x], "low": lo, "high": hi, "confidence": conf})

    sizes = [64, 128, 256, 512, 1024]
    for name, exponent, noise in [("quadratic", 2.0, 0.03), ("linear", 1.0, 0.05), ("cubic", 3.0, 0.02)]:
        values = [float(np.round(1e-3 * s ** exponent * math.exp(rng.normal(0, noise)), 9)) for s in sizes]
        fit = stats.linregress(np.log(sizes), np.log(values))
        half = stats.t.ppf(0.975, len(sizes) - 2) * fit.stderr
        doc["power_law"].append({"name": name, "sizes": sizes, "values": values, "exponent": f(fit.slope),
                                 "low": f(fit.slope - half), "high": f(fit.slope + half),
                                 "coefficient": f(math.exp(fit.intercept)), "r_squared": f(fit.rvalue ** 2)})

    doc["wilson"] = []
    for k, n, conf in [(0, 10, 0.95), (10, 10, 0.95), (81, 263, 0.95), (940, 1000, 0.95), (1, 1, 0.95),
                       (45, 50, 0.9), (1797, 1800, 0.99)]:
        ci = stats.binomtest(k, n).proportion_ci(conf, method="wilson")
        doc["wilson"].append({"successes": k, "n": n, "confidence": conf, "low": f(ci.low), "high": f(ci.high)})

    tmp = OUT + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    os.replace(tmp, OUT)
    print(f"{OUT}: {len(doc['samples'])} samples, {len(doc['two_sample'])} pairs")


if __name__ == "__main__":
    main()
