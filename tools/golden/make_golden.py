#!/usr/bin/python3
"""Writes the PyTorch golden cases that tests/unit/*_test.cc compare tinytorch against.

Run with Debian's Python and python3-torch (scripts/setup-deps.sh --golden installs it):
    /usr/bin/python3 tools/golden/make_golden.py
The output, tests/data/golden/module_*.json, is committed; the C++ tests never need Python.

Each file: {"format": 1, "generator": ..., "torch_version": ..., "cases": [case, ...]}
case:   {"name", "op", "attrs": {...}, "inputs": [tensor, ...], "expected": tensor, "rtol", "atol"}
tensor: {"dtype": "float32" | "int64", "shape": [...], "data": [...] (row-major),
         optional "transpose": [d0, d1] or "slice": [dim, start, end, step], applied as a view
         after loading so strided inputs are exercised}
Non-finite floats are written as the strings "inf", "-inf" and "nan" (JSON has no literal for them).
"""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

OUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "data", "golden")
GEN = torch.Generator().manual_seed(20261123)


def randn(*shape, scale=1.0):
    return torch.randn(tuple(shape), generator=GEN, dtype=torch.float32) * scale


def uniform(lo, hi, *shape):
    return torch.rand(tuple(shape), generator=GEN, dtype=torch.float32) * (hi - lo) + lo


def encode_float(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    # 9 significant digits identify a float32 exactly, and print far shorter than the double repr.
    return float(f"{v:.9g}")


def tensor_json(t, **view):
    t = t.detach().contiguous()
    if t.dtype == torch.int64:
        data, dtype = [int(v) for v in t.flatten().tolist()], "int64"
    else:
        data, dtype = [encode_float(v) for v in t.float().flatten().tolist()], "float32"
    out = {"dtype": dtype, "shape": list(t.shape), "data": data}
    out.update(view)
    return out


class Cases:
    def __init__(self):
        self.cases = []
        self.names = set()

    def add(self, name, op, inputs, expected, attrs=None, rtol=1e-6, atol=1e-6):
        """inputs: list of tensors or (stored_tensor, view_dict) pairs."""
        assert name not in self.names, name
        self.names.add(name)
        enc = [tensor_json(x) if isinstance(x, torch.Tensor) else tensor_json(x[0], **x[1]) for x in inputs]
        self.cases.append({"name": name, "op": op, "attrs": attrs or {}, "inputs": enc,
                           "expected": tensor_json(expected), "rtol": rtol, "atol": atol})

    def write(self, filename):
        doc = {"format": 1, "generator": "tools/golden/make_golden.py", "torch_version": torch.__version__,
               "cases": self.cases}
        path = os.path.join(OUT_DIR, filename)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(doc, f, separators=(",", ":"))
            f.write("\n")
        os.replace(tmp, path)
        print(f"{path}: {len(self.cases)} cases")


def module_01_tensor():
    c = Cases()
    shapes = [((3, 4), (3, 4)), ((2, 3), (3,)), ((3, 1, 5), (4, 5)), ((1,), (2, 3, 1)), ((), (2, 3)),
              ((0, 3), (3,))]
    binary = {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "div": torch.div,
              "maximum": torch.maximum, "minimum": torch.minimum}
    for op, fn in binary.items():
        for sa, sb in shapes:
            a, b = randn(*sa), randn(*sb)
            if op == "div":
                b = b.sign() * (b.abs() + 0.5)  # keep divisors away from 0
            name = f"{op}_{'x'.join(map(str, sa)) or 'scalar'}_{'x'.join(map(str, sb)) or 'scalar'}"
            c.add(name, op, [a, b], fn(a, b))
    # Strided operands: a transposed view plus a sliced view.
    a, b = randn(5, 4), randn(4, 11)
    c.add("add_transposed_sliced", "add", [(a, {"transpose": [0, 1]}), (b, {"slice": [1, 1, 11, 2]})],
          a.t() + b[:, 1:11:2])
    # Extreme values through the elementwise ops.
    ext = torch.tensor([0.0, -0.0, 1e-30, -1e-30, 1e30, -1e30, 88.0, -88.0, 100.0, float("inf"), float("-inf")])
    c.add("exp_extremes", "exp", [ext], torch.exp(ext), rtol=1e-6, atol=0)
    pos = torch.tensor([1e-30, 1e-10, 0.5, 1.0, 2.0, 1e10, 1e30, float("inf"), 0.0])
    c.add("log_extremes", "log", [pos], torch.log(pos), rtol=1e-6, atol=0)
    c.add("sqrt_extremes", "sqrt", [pos], torch.sqrt(pos), rtol=1e-6, atol=0)
    tiny = torch.tensor([1e-10, -1e-10, 1e-5, 0.5, -0.5, 10.0])
    c.add("log1p_small", "log1p", [tiny], torch.log1p(tiny), rtol=1e-6, atol=0)
    x = randn(3, 7, scale=3.0)
    c.add("neg", "neg", [x], -x)
    c.add("abs", "abs", [x], x.abs())
    c.add("exp", "exp", [x], x.exp(), rtol=1e-6, atol=0)
    c.add("clamp", "clamp", [x], x.clamp(-1.5, 0.5), attrs={"min": -1.5, "max": 0.5})
    c.add("clamp_transposed", "clamp", [(x, {"transpose": [0, 1]})], x.t().clamp(-1.0, 1.0), attrs={"min": -1.0, "max": 1.0})
    base = uniform(0.1, 3.0, 4, 5)
    for e in [2.0, 0.5, -1.5, 3.0]:
        c.add(f"pow_scalar_{e}", "pow_scalar", [base], base.pow(e), attrs={"exponent": e}, rtol=1e-6, atol=0)
    expo = randn(5)
    c.add("pow_tensor_broadcast", "pow", [base, expo], base.pow(expo), rtol=1e-6, atol=0)
    neg_base = torch.tensor([-2.0, -2.0, 0.0, 4.0])
    c.add("pow_negative_base", "pow", [neg_base, torch.tensor([2.0, 0.5, -1.0, 0.5])],
          neg_base.pow(torch.tensor([2.0, 0.5, -1.0, 0.5])))
    # Comparisons on values with exact ties.
    a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = torch.tensor([2.0, 2.0, 7.0])
    for op, fn in {"eq": torch.eq, "ne": torch.ne, "lt": torch.lt, "le": torch.le, "gt": torch.gt, "ge": torch.ge}.items():
        c.add(f"{op}_broadcast", op, [a, b], fn(a, b).float())
    # Reductions.
    x = randn(3, 4, 5)
    for axis in [0, 1, 2, -1, -3]:
        for keep in [False, True]:
            k = "keep" if keep else "drop"
            attrs = {"axis": axis, "keepdims": keep}
            c.add(f"sum_axis{axis}_{k}", "sum", [x], x.sum(axis, keepdim=keep), attrs=attrs, rtol=1e-5, atol=1e-6)
            c.add(f"mean_axis{axis}_{k}", "mean", [x], x.mean(axis, keepdim=keep), attrs=attrs, rtol=1e-5, atol=1e-6)
            c.add(f"max_axis{axis}_{k}", "max", [x], x.amax(axis, keepdim=keep), attrs=attrs)
            c.add(f"min_axis{axis}_{k}", "min", [x], x.amin(axis, keepdim=keep), attrs=attrs)
            c.add(f"argmax_axis{axis}_{k}", "argmax", [x], x.argmax(axis, keepdim=keep), attrs=attrs)
    c.add("sum_all", "sum", [x], x.sum(), rtol=1e-5, atol=1e-6)
    c.add("mean_all", "mean", [x], x.mean(), rtol=1e-5, atol=1e-6)
    c.add("max_all", "max", [x], x.max())
    c.add("min_all", "min", [x], x.min())
    c.add("argmax_all", "argmax", [x], x.argmax())
    c.add("sum_permuted_axis1", "sum", [(x, {"transpose": [0, 2]})], x.transpose(0, 2).sum(1), attrs={"axis": 1, "keepdims": False}, rtol=1e-5, atol=1e-6)
    ties = torch.tensor([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, 5.0]])
    c.add("argmax_ties_first", "argmax", [ties], ties.argmax(1), attrs={"axis": 1, "keepdims": False})
    big = torch.full((16384,), 0.1)
    c.add("sum_long_row", "sum", [big], big.double().sum().float(), rtol=1e-6, atol=0)
    # MatMul: odd shapes, 1-d promotion, broadcasting batch dims, transposed views.
    mm = [((7, 13), (13, 5)), ((1, 1), (1, 1)), ((33, 64), (64, 17)), ((13,), (13, 5)), ((7, 13), (13,)),
          ((13,), (13,)), ((2, 3, 4), (4, 6)), ((2, 1, 3, 4), (5, 4, 6)), ((4,), (2, 4, 3)), ((3, 5, 4), (4,)),
          ((3, 0), (0, 4))]
    for sa, sb in mm:
        a, b = randn(*sa), randn(*sb)
        name = f"matmul_{'x'.join(map(str, sa))}_{'x'.join(map(str, sb))}"
        c.add(name, "matmul", [a, b], torch.matmul(a, b), rtol=1e-5, atol=1e-5)
    a, b = randn(12, 9), randn(11, 12)
    c.add("matmul_both_transposed", "matmul", [(a, {"transpose": [0, 1]}), (b, {"transpose": [0, 1]})],
          a.t() @ b.t(), rtol=1e-5, atol=1e-5)
    a, b = randn(6, 20), randn(10, 7)
    c.add("matmul_sliced_columns", "matmul", [(a, {"slice": [1, 0, 20, 2]}), b], a[:, 0:20:2] @ b, rtol=1e-5, atol=1e-5)
    a, b = randn(4, 8, 5), randn(4, 6, 8)
    c.add("matmul_batched_transposed", "matmul", [(a, {"transpose": [1, 2]}), (b, {"transpose": [1, 2]})],
          a.transpose(1, 2) @ b.transpose(1, 2), rtol=1e-5, atol=1e-5)
    return c


def module_02_activations():
    c = Cases()
    x = torch.cat([randn(40, scale=4.0),
                   torch.tensor([0.0, -0.0, 1e-8, -1e-8, 20.0, -20.0, 88.0, -88.0, 100.0, -100.0, 1e4, -1e4,
                                 float("inf"), float("-inf")])]).reshape(6, 9)
    c.add("relu", "relu", [x], torch.relu(x))
    c.add("sigmoid", "sigmoid", [x], torch.sigmoid(x), rtol=1e-6, atol=1e-7)
    c.add("tanh", "tanh", [x], torch.tanh(x), rtol=1e-6, atol=1e-7)
    finite = x[:, :].clone()
    finite[~torch.isfinite(finite)] = 0.0
    c.add("gelu_exact", "gelu", [finite], F.gelu(finite), attrs={"approximate": "none"}, rtol=1e-6, atol=1e-6)
    c.add("gelu_tanh", "gelu", [finite], F.gelu(finite, approximate="tanh"), attrs={"approximate": "tanh"},
          rtol=1e-5, atol=1e-6)
    c.add("relu_transposed", "relu", [(x, {"transpose": [0, 1]})], torch.relu(x.t()))
    logits = randn(4, 3, 7, scale=3.0)
    for dim in [0, 1, 2, -1]:
        c.add(f"softmax_dim{dim}", "softmax", [logits], torch.softmax(logits, dim), attrs={"dim": dim}, rtol=1e-5, atol=1e-7)
        c.add(f"log_softmax_dim{dim}", "log_softmax", [logits], torch.log_softmax(logits, dim), attrs={"dim": dim},
              rtol=1e-5, atol=1e-6)
    huge = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1001.0, -999.0], [1e30, 0.0, -1e30],
                         [float("-inf"), 0.0, 1.0]])
    c.add("softmax_large_logits", "softmax", [huge], torch.softmax(huge, 1), attrs={"dim": 1}, rtol=1e-5, atol=1e-7)
    c.add("log_softmax_large_logits", "log_softmax", [huge], torch.log_softmax(huge, 1), attrs={"dim": 1},
          rtol=1e-5, atol=1e-5)
    c.add("softmax_transposed", "softmax", [(logits[0], {"transpose": [0, 1]})], torch.softmax(logits[0].t(), -1),
          attrs={"dim": -1}, rtol=1e-5, atol=1e-7)
    return c


def module_03_layers():
    c = Cases()
    for n, i, o, lead in [(5, 7, 3, ()), (1, 1, 1, ()), (4, 16, 10, (2,)), (8, 64, 33, ())]:
        w, b = randn(i, o, scale=0.5), randn(o, scale=0.1)  # TinyTorch layout: W is (in, out)
        x = randn(*lead, n, i)
        c.add(f"linear_{'x'.join(map(str, lead + (n, i)))}_to_{o}", "linear", [x, w, b], x @ w + b,
              rtol=1e-5, atol=1e-5)
    w = randn(6, 4)
    x = randn(3, 6)
    c.add("linear_no_bias", "linear", [x, w], x @ w, rtol=1e-5, atol=1e-5)
    # A two-layer MLP, weights in TinyTorch layout, compared with torch.nn layers (weight transposed).
    w1, b1, w2, b2 = randn(10, 32, scale=0.3), randn(32, scale=0.1), randn(32, 4, scale=0.3), randn(4, scale=0.1)
    l1, l2 = torch.nn.Linear(10, 32), torch.nn.Linear(32, 4)
    with torch.no_grad():
        l1.weight.copy_(w1.t()); l1.bias.copy_(b1); l2.weight.copy_(w2.t()); l2.bias.copy_(b2)
    x = randn(9, 10)
    with torch.no_grad():
        y = l2(torch.relu(l1(x)))
    c.add("mlp_linear_relu_linear", "mlp", [x, w1, b1, w2, b2], y, rtol=1e-5, atol=1e-5)
    return c


def module_04_losses():
    c = Cases()
    reductions = ["mean", "sum", "none"]
    p, t = randn(6, 5), randn(6, 5)
    for r in reductions:
        c.add(f"mse_{r}", "mse", [p, t], F.mse_loss(p, t, reduction=r), attrs={"reduction": r}, rtol=1e-5, atol=1e-6)
    logits = randn(8, 10, scale=3.0)
    targets = torch.randint(0, 10, (8,), generator=GEN)
    for r in reductions:
        c.add(f"cross_entropy_{r}", "cross_entropy", [logits, targets], F.cross_entropy(logits, targets, reduction=r),
              attrs={"reduction": r}, rtol=1e-5, atol=1e-6)
    extreme = torch.tensor([[1000.0, -1000.0, 0.0], [-1e4, 1e4, 0.0], [50.0, 50.0, 50.0], [0.0, 0.0, 88.0]])
    et = torch.tensor([1, 1, 2, 0])
    c.add("cross_entropy_extreme_logits", "cross_entropy", [extreme, et], F.cross_entropy(extreme, et, reduction="none"),
          attrs={"reduction": "none"}, rtol=1e-5, atol=1e-5)
    probs = uniform(0.01, 0.99, 7, 3)
    bt = (uniform(0, 1, 7, 3) > 0.5).float()
    for r in reductions:
        c.add(f"bce_{r}", "bce", [probs, bt], F.binary_cross_entropy(probs, bt, reduction=r), attrs={"reduction": r},
              rtol=1e-5, atol=1e-6)
    edge_p = torch.tensor([0.0, 1.0, 0.0, 1.0, 1e-12, 1 - 1e-7, 0.5])
    edge_t = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.3])
    c.add("bce_saturated_probabilities", "bce", [edge_p, edge_t], F.binary_cross_entropy(edge_p, edge_t, reduction="none"),
          attrs={"reduction": "none"}, rtol=1e-5, atol=1e-5)
    z = randn(7, 3, scale=4.0)
    for r in reductions:
        c.add(f"bce_with_logits_{r}", "bce_with_logits", [z, bt], F.binary_cross_entropy_with_logits(z, bt, reduction=r),
              attrs={"reduction": r}, rtol=1e-5, atol=1e-6)
    ez = torch.tensor([-1000.0, 1000.0, -50.0, 50.0, 0.0, 20.0, -20.0])
    et2 = torch.tensor([0.0, 1.0, 1.0, 0.0, 0.5, 1.0, 0.0])
    c.add("bce_with_logits_extreme", "bce_with_logits", [ez, et2],
          F.binary_cross_entropy_with_logits(ez, et2, reduction="none"), attrs={"reduction": "none"}, rtol=1e-6, atol=1e-7)
    return c


class GradCases(Cases):
    """Backward cases: the gradients of sum(op(inputs) * upstream) for each input."""

    def add_grad(self, name, op, inputs, fn, attrs=None, rtol=1e-5, atol=1e-5, differentiable=None):
        assert name not in self.names, name
        self.names.add(name)
        differentiable = differentiable or [x.dtype == torch.float32 for x in inputs]
        leaves = [x.clone().requires_grad_(d) for x, d in zip(inputs, differentiable)]
        out = fn(*leaves)
        upstream = randn(*out.shape)
        (out * upstream).sum().backward()
        grads = [tensor_json(x.grad) if d else None for x, d in zip(leaves, differentiable)]
        self.cases.append({"name": name, "op": op, "attrs": attrs or {}, "inputs": [tensor_json(x) for x in inputs],
                           "requires_grad": differentiable, "upstream": tensor_json(upstream),
                           "expected": tensor_json(out.detach()), "expected_grads": grads,
                           "rtol": rtol, "atol": atol})


def module_06_autograd():
    c = GradCases()
    for op, fn in {"add": torch.add, "sub": torch.sub, "mul": torch.mul, "maximum": torch.maximum,
                   "minimum": torch.minimum}.items():
        c.add_grad(f"{op}_broadcast", op, [randn(3, 1, 4), randn(5, 1)], fn)
    a = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    b = torch.tensor([2.0, 2.0, 7.0])
    c.add_grad("maximum_ties_split", "maximum", [a, b], torch.maximum)
    c.add_grad("minimum_ties_split", "minimum", [a, b], torch.minimum)
    c.add_grad("div_broadcast", "div", [randn(2, 3), uniform(0.5, 2.0, 3)], torch.div)
    c.add_grad("pow_tensor", "pow", [uniform(0.5, 2.0, 2, 3), randn(3)], torch.pow)
    for e in [2.0, 0.5, -1.5]:
        c.add_grad(f"pow_scalar_{e}", "pow_scalar", [uniform(0.5, 2.0, 4)], lambda x, e=e: x.pow(e), attrs={"exponent": e})
    for op, fn, gen in [("exp", torch.exp, randn), ("log", torch.log, None), ("log1p", torch.log1p, None),
                        ("sqrt", torch.sqrt, None), ("neg", torch.neg, randn), ("abs", torch.abs, randn)]:
        x = randn(3, 4) if gen else uniform(0.2, 3.0, 3, 4)
        c.add_grad(op, op, [x], fn)
    x = randn(4, 5) * 2
    c.add_grad("clamp", "clamp", [x], lambda t: t.clamp(-1.0, 0.5), attrs={"min": -1.0, "max": 0.5})
    x = randn(3, 4, 5)
    for axis in [0, 2, -2]:
        for keep in [False, True]:
            attrs = {"axis": axis, "keepdims": keep}
            k = "keep" if keep else "drop"
            c.add_grad(f"sum_axis{axis}_{k}", "sum", [x], lambda t: t.sum(axis, keepdim=keep), attrs=attrs)
            c.add_grad(f"mean_axis{axis}_{k}", "mean", [x], lambda t: t.mean(axis, keepdim=keep), attrs=attrs)
            c.add_grad(f"max_axis{axis}_{k}", "max", [x], lambda t: t.max(axis, keepdim=keep).values, attrs=attrs)
            c.add_grad(f"min_axis{axis}_{k}", "min", [x], lambda t: t.min(axis, keepdim=keep).values, attrs=attrs)
    c.add_grad("sum_all", "sum", [x], lambda t: t.sum())
    c.add_grad("mean_all", "mean", [x], lambda t: t.mean())
    c.add_grad("max_all", "max", [x], lambda t: t.max())
    for sa, sb in [((7, 13), (13, 5)), ((2, 1, 3, 4), (5, 4, 6)), ((13,), (13, 5)), ((7, 13), (13,)), ((13,), (13,)),
                   ((4,), (2, 4, 3)), ((2, 3, 4), (4, 6))]:
        name = f"matmul_{'x'.join(map(str, sa))}_{'x'.join(map(str, sb))}"
        c.add_grad(name, "matmul", [randn(*sa), randn(*sb)], torch.matmul, rtol=1e-4, atol=1e-4)
    x = torch.cat([randn(30, scale=3.0), torch.tensor([20.0, -20.0, 0.5, -0.5, 3.0, -3.0])]).reshape(4, 9)
    c.add_grad("relu", "relu", [x], torch.relu)
    c.add_grad("sigmoid", "sigmoid", [x], torch.sigmoid)
    c.add_grad("tanh", "tanh", [x], torch.tanh)
    c.add_grad("gelu_exact", "gelu", [x], F.gelu, attrs={"approximate": "none"})
    c.add_grad("gelu_tanh", "gelu", [x], lambda t: F.gelu(t, approximate="tanh"), attrs={"approximate": "tanh"})
    logits = randn(4, 3, 7, scale=3.0)
    for dim in [0, 2, -1]:
        c.add_grad(f"softmax_dim{dim}", "softmax", [logits], lambda t: torch.softmax(t, dim), attrs={"dim": dim})
        c.add_grad(f"log_softmax_dim{dim}", "log_softmax", [logits], lambda t: torch.log_softmax(t, dim), attrs={"dim": dim})
    # Layers: x, W (in, out), b in TinyTorch layout; gradients for all three.
    w, bias, x = randn(16, 10, scale=0.5), randn(10, scale=0.1), randn(2, 4, 16)
    c.add_grad("linear_batched", "linear", [x, w, bias], lambda x_, w_, b_: x_ @ w_ + b_,
               attrs={"params": ["weight", "bias"]}, rtol=1e-4, atol=1e-4)
    w1, b1, w2, b2 = randn(10, 32, scale=0.3), randn(32, scale=0.1), randn(32, 4, scale=0.3), randn(4, scale=0.1)
    c.add_grad("mlp_linear_relu_linear", "mlp", [randn(9, 10), w1, b1, w2, b2],
               lambda x_, a1, c1, a2, c2: torch.relu(x_ @ a1 + c1) @ a2 + c2,
               attrs={"params": ["0.weight", "0.bias", "2.weight", "2.bias"]}, rtol=1e-4, atol=1e-4)
    # Losses: gradients w.r.t. predictions (targets are data).
    for r in ["mean", "sum", "none"]:
        c.add_grad(f"mse_{r}", "mse", [randn(6, 5), randn(6, 5)], lambda p, t: F.mse_loss(p, t, reduction=r),
                   attrs={"reduction": r}, differentiable=[True, False])
        tg = torch.randint(0, 10, (8,), generator=GEN)
        c.add_grad(f"cross_entropy_{r}", "cross_entropy", [randn(8, 10, scale=3.0), tg],
                   lambda l, t: F.cross_entropy(l, t, reduction=r), attrs={"reduction": r}, differentiable=[True, False])
        probs, bt = uniform(0.05, 0.95, 7, 3), (uniform(0, 1, 7, 3) > 0.5).float()
        c.add_grad(f"bce_{r}", "bce", [probs, bt], lambda p, t: F.binary_cross_entropy(p, t, reduction=r),
                   attrs={"reduction": r}, differentiable=[True, False])
        c.add_grad(f"bce_with_logits_{r}", "bce_with_logits", [randn(7, 3, scale=4.0), bt],
                   lambda z, t: F.binary_cross_entropy_with_logits(z, t, reduction=r), attrs={"reduction": r},
                   differentiable=[True, False])
    return c


def module_09_convolutions():
    c = GradCases()
    for name, (n, ci, h, w, co, k, stride, pad) in {
            "conv_3x3_same": (2, 3, 7, 7, 4, 3, 1, 1),
            "conv_stride2_pad1": (2, 2, 9, 8, 3, 3, 2, 1),
            "conv_5x5_valid": (1, 3, 8, 8, 2, 5, 1, 0),
            "conv_1x1": (3, 4, 5, 5, 6, 1, 1, 0),
            "conv_stride3_pad2": (1, 2, 10, 10, 3, 4, 3, 2)}.items():
        x, wt, b = randn(n, ci, h, w), randn(co, ci, k, k, scale=0.3), randn(co, scale=0.1)
        c.add_grad(name, "conv2d", [x, wt, b], lambda x_, w_, b_, s=stride, p=pad: F.conv2d(x_, w_, b_, stride=s, padding=p),
                   attrs={"stride": stride, "padding": pad}, rtol=1e-4, atol=1e-4)
    x, wt = randn(2, 3, 6, 6), randn(4, 3, 3, 3, scale=0.3)
    c.add_grad("conv_no_bias", "conv2d", [x, wt], lambda x_, w_: F.conv2d(x_, w_, padding=1),
               attrs={"stride": 1, "padding": 1}, rtol=1e-4, atol=1e-4)
    # Pooling: distinct values so max pooling has no ties.
    x = torch.randperm(2 * 3 * 7 * 7, generator=GEN).float().reshape(2, 3, 7, 7) * 0.01
    for k, st, pd in [(2, 2, 0), (3, 2, 1), (3, 1, 0), (2, 1, 1)]:
        c.add_grad(f"max_pool_k{k}_s{st}_p{pd}", "max_pool2d", [x], lambda t, k=k, st=st, pd=pd: F.max_pool2d(t, k, st, pd),
                   attrs={"kernel": k, "stride": st, "padding": pd})
        c.add_grad(f"avg_pool_k{k}_s{st}_p{pd}", "avg_pool2d", [x], lambda t, k=k, st=st, pd=pd: F.avg_pool2d(t, k, st, pd),
                   attrs={"kernel": k, "stride": st, "padding": pd})
    x, g, b = randn(4, 3, 5, 5) * 2 + 1, randn(3), randn(3)
    c.add_grad("batch_norm_train", "batch_norm_train", [x, g, b],
               lambda x_, g_, b_: F.batch_norm(x_, None, None, g_, b_, training=True, momentum=0.1, eps=1e-5),
               rtol=1e-4, atol=1e-4)
    rm, rv = randn(3) * 0.1, uniform(0.5, 2.0, 3)
    c.add_grad("batch_norm_eval", "batch_norm_eval", [x, g, b, rm, rv],
               lambda x_, g_, b_, m_, v_: F.batch_norm(x_, m_, v_, g_, b_, training=False, eps=1e-5),
               rtol=1e-5, atol=1e-5, differentiable=[True, True, True, False, False])
    return c


def module_09_depthwise():
    """Depthwise convolution (groups = channels); its own file so its draws leave the others' data alone."""
    c = GradCases()
    for name, (n, ch, h, w, kh, kw, stride, pad) in {
            "depthwise_3x3_same": (2, 4, 7, 7, 3, 3, 1, 1),
            "depthwise_3x3_stride2": (2, 3, 9, 8, 3, 3, 2, 1),
            "depthwise_10x4_stride2": (1, 2, 12, 10, 10, 4, 2, 1),
            "depthwise_5x5_stride3_pad3": (1, 3, 10, 11, 5, 5, 3, 3)}.items():
        x, wt, b = randn(n, ch, h, w), randn(ch, 1, kh, kw, scale=0.3), randn(ch, scale=0.1)
        c.add_grad(name, "depthwise_conv2d", [x, wt, b],
                   lambda x_, w_, b_, s=stride, p=pad: F.conv2d(x_, w_, b_, stride=s, padding=p, groups=x_.shape[1]),
                   attrs={"stride": stride, "padding": pad}, rtol=1e-4, atol=1e-4)
    x, wt = randn(2, 3, 6, 6), randn(3, 1, 3, 3, scale=0.3)
    c.add_grad("depthwise_no_bias", "depthwise_conv2d", [x, wt], lambda x_, w_: F.conv2d(x_, w_, padding=1, groups=3),
               attrs={"stride": 1, "padding": 1}, rtol=1e-4, atol=1e-4)
    return c


def module_11_embeddings():
    c = GradCases()
    weight = randn(10, 6)
    ids = torch.tensor([[1, 3, 3, 9], [0, 3, 1, 1]])  # repeats: their gradients must accumulate
    c.add_grad("embedding_repeated_ids", "embedding", [weight, ids], lambda w, i: F.embedding(i, w))
    c.add_grad("embedding_1d", "embedding", [randn(7, 3), torch.tensor([6, 0, 2])], lambda w, i: F.embedding(i, w))
    return c


def attention_ref(q, k, v, keep=None, causal=False):
    """softmax(q kᵀ/√d) v with keep (nonzero = may attend) and end-aligned causal masking."""
    s = q @ k.transpose(-1, -2) / math.sqrt(q.shape[-1])
    tq, tk = q.shape[-2], k.shape[-2]
    if causal:
        s = s.masked_fill(~torch.ones(tq, tk, dtype=torch.bool).tril(tk - tq), float("-inf"))
    if keep is not None:
        s = s.masked_fill(keep == 0, float("-inf"))
    return torch.softmax(s, -1) @ v


def mha_ref(x, wq, bq, wk, bk, wv, bv, wo, bo, heads, causal):
    """torch's own multi-head attention on (B, T, D) with tinytorch's (in, out) weight layout."""
    t = x.shape[1]
    mask = torch.ones(t, t, dtype=torch.bool).triu(1) if causal else None  # True = may not attend
    xt = x.transpose(0, 1)
    out, _ = F.multi_head_attention_forward(
        xt, xt, xt, x.shape[-1], heads, None, torch.cat([bq, bk, bv]), None, None, False, 0.0, wo.t(), bo,
        training=False, need_weights=False, attn_mask=mask, use_separate_proj_weight=True,
        q_proj_weight=wq.t(), k_proj_weight=wk.t(), v_proj_weight=wv.t())
    return out.transpose(0, 1)


def module_12_attention():
    c = GradCases()
    q, k, v = randn(2, 3, 5, 4), randn(2, 3, 7, 4), randn(2, 3, 7, 6)
    c.add_grad("sdpa_no_mask", "sdpa", [q, k, v], attention_ref, attrs={"causal": False}, rtol=1e-4, atol=1e-5)
    q, k, v = randn(2, 2, 6, 8), randn(2, 2, 6, 8), randn(2, 2, 6, 8)
    c.add_grad("sdpa_causal", "sdpa", [q, k, v], lambda a, b, d: attention_ref(a, b, d, causal=True),
               attrs={"causal": True}, rtol=1e-4, atol=1e-5)
    q, k, v = randn(1, 3, 4), randn(1, 7, 4), randn(1, 7, 4)
    c.add_grad("sdpa_causal_queries_at_end", "sdpa", [q, k, v], lambda a, b, d: attention_ref(a, b, d, causal=True),
               attrs={"causal": True}, rtol=1e-4, atol=1e-5)
    keep = (uniform(0, 1, 2, 1, 5, 6) > 0.4).float()
    keep[..., 0] = 1.0  # every query keeps at least one key
    q, k, v = randn(2, 3, 5, 4), randn(2, 3, 6, 4), randn(2, 3, 6, 4)
    c.add_grad("sdpa_explicit_mask", "sdpa", [q, k, v, keep], lambda a, b, d, m: attention_ref(a, b, d, keep=m),
               attrs={"causal": False}, rtol=1e-4, atol=1e-5, differentiable=[True, True, True, False])
    q, k, v = randn(2, 3, 5, 4), randn(3, 5, 4), randn(3, 5, 4)
    c.add_grad("sdpa_broadcast_batch", "sdpa", [q, k, v], attention_ref, attrs={"causal": False}, rtol=1e-4, atol=1e-5)
    for causal in [False, True]:
        d = 12
        x = randn(2, 5, d)
        ws = []
        for _ in range(4):
            ws += [randn(d, d, scale=0.3), randn(d, scale=0.1)]
        names = [f"{p}_proj.{t}" for p in "qkvo" for t in ("weight", "bias")]
        names = [n.replace("o_proj", "out_proj") for n in names]
        c.add_grad(f"mha_{'causal' if causal else 'full'}", "mha", [x] + ws,
                   lambda x_, *w, causal=causal: mha_ref(x_, *w, heads=3, causal=causal),
                   attrs={"embed_dim": d, "num_heads": 3, "causal": causal, "params": names}, rtol=1e-4, atol=1e-5)
    return c


def block_ref(x, p, heads):
    """GPT-2's pre-norm block from torch ops; p maps tinytorch parameter names to tensors."""
    a = F.layer_norm(x, x.shape[-1:], p["ln1.weight"], p["ln1.bias"])
    x = x + mha_ref(a, *[p[f"attn.{n}_proj.{t}"] for n in ("q", "k", "v", "out") for t in ("weight", "bias")],
                    heads=heads, causal=True)
    h = F.layer_norm(x, x.shape[-1:], p["ln2.weight"], p["ln2.bias"])
    h = F.gelu(h @ p["mlp.fc1.weight"] + p["mlp.fc1.bias"]) @ p["mlp.fc2.weight"] + p["mlp.fc2.bias"]
    return x + h


def block_params(prefix, d, hidden):
    p = {f"{prefix}ln1.weight": 1 + randn(d, scale=0.1), f"{prefix}ln1.bias": randn(d, scale=0.1)}
    for n in ("q", "k", "v", "out"):
        p[f"{prefix}attn.{n}_proj.weight"] = randn(d, d, scale=0.3)
        p[f"{prefix}attn.{n}_proj.bias"] = randn(d, scale=0.1)
    p[f"{prefix}ln2.weight"] = 1 + randn(d, scale=0.1)
    p[f"{prefix}ln2.bias"] = randn(d, scale=0.1)
    p[f"{prefix}mlp.fc1.weight"] = randn(d, hidden, scale=0.3)
    p[f"{prefix}mlp.fc1.bias"] = randn(hidden, scale=0.1)
    p[f"{prefix}mlp.fc2.weight"] = randn(hidden, d, scale=0.2)
    p[f"{prefix}mlp.fc2.bias"] = randn(d, scale=0.1)
    return p


def module_13_transformers():
    c = GradCases()
    for shape in [(4, 10), (2, 3, 16)]:
        x = randn(*shape) * 3 + 1
        w, b = 1 + randn(shape[-1], scale=0.2), randn(shape[-1], scale=0.2)
        c.add_grad(f"layer_norm_{'x'.join(map(str, shape))}", "layer_norm", [x, w, b],
                   lambda x_, w_, b_: F.layer_norm(x_, x_.shape[-1:], w_, b_, eps=1e-5), attrs={"eps": 1e-5},
                   rtol=1e-4, atol=1e-5)
    d, heads = 16, 4
    p = block_params("", d, 4 * d)
    names = list(p)
    c.add_grad("transformer_block", "transformer_block", [randn(2, 5, d)] + list(p.values()),
               lambda x_, *w: block_ref(x_, dict(zip(names, w)), heads),
               attrs={"embed_dim": d, "num_heads": heads, "params": names}, rtol=1e-4, atol=1e-4)
    # A whole 2-layer GPT: embeddings, blocks, final norm and LM head.
    vocab, seq, d, heads, layers = 11, 8, 8, 2, 2
    p = {"token_embedding.weight": randn(vocab, d, scale=0.5), "position_embedding.weight": randn(seq, d, scale=0.5)}
    for i in range(layers):
        p.update(block_params(f"blocks.{i}.", d, 4 * d))
    p["final_norm.weight"], p["final_norm.bias"] = 1 + randn(d, scale=0.1), randn(d, scale=0.1)
    p["lm_head.weight"] = randn(d, vocab, scale=0.5)
    names = list(p)

    def gpt_ref(tokens, *w):
        q = dict(zip(names, w))
        h = F.embedding(tokens, q["token_embedding.weight"]) + q["position_embedding.weight"][:tokens.shape[-1]]
        for i in range(layers):
            pre = f"blocks.{i}."
            h = block_ref(h, {n[len(pre):]: t for n, t in q.items() if n.startswith(pre)}, heads)
        h = F.layer_norm(h, (d,), q["final_norm.weight"], q["final_norm.bias"])
        return h @ q["lm_head.weight"]

    tokens = torch.randint(0, vocab, (2, 6), generator=GEN)
    c.add_grad("gpt_2_layers", "gpt", [tokens] + list(p.values()), gpt_ref,
               attrs={"vocab_size": vocab, "max_seq_len": seq, "embed_dim": d, "num_heads": heads,
                      "num_layers": layers, "params": names}, rtol=1e-4, atol=1e-4)
    return c


def optimizer_cases():
    """Several steps of each optimizer on the same parameters and gradients."""
    configs = [
        ("sgd_plain", "sgd", {"lr": 0.1}),
        ("sgd_momentum_dampening_wd", "sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
        ("sgd_nesterov", "sgd", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3}),
        ("adam", "adam", {"lr": 1e-2}),
        ("adam_l2", "adam", {"lr": 1e-2, "betas": [0.8, 0.99], "eps": 1e-6, "weight_decay": 0.1}),
        ("adamw", "adamw", {"lr": 1e-2, "weight_decay": 0.1}),
    ]
    cases = []
    for name, kind, opts in configs:
        params = [randn(3, 4), randn(4)]
        leaves = [p.clone().requires_grad_(True) for p in params]
        torch_opts = dict(opts)
        if "betas" in torch_opts:
            torch_opts["betas"] = tuple(torch_opts["betas"])
        opt = {"sgd": torch.optim.SGD, "adam": torch.optim.Adam, "adamw": torch.optim.AdamW}[kind](leaves, **torch_opts)
        steps = []
        for _ in range(4):
            grads = [randn(*p.shape) for p in params]
            for leaf, g in zip(leaves, grads):
                leaf.grad = g.clone()
            opt.step()
            steps.append({"grads": [tensor_json(g) for g in grads], "params": [tensor_json(l.detach()) for l in leaves]})
        cases.append({"name": name, "optimizer": kind, "options": opts, "params": [tensor_json(p) for p in params],
                      "steps": steps})
    return cases


def training_case():
    """Four optimizer steps of an 8-16-3 MLP on fixed batches: same init, same data, same order."""
    out = []
    x, y = randn(20, 8), torch.randint(0, 3, (20,), generator=GEN)
    w1, b1, w2, b2 = randn(8, 16, scale=0.4), randn(16, scale=0.1), randn(16, 3, scale=0.4), randn(3, scale=0.1)
    for kind, opts in [("sgd", {"lr": 0.1, "momentum": 0.9}), ("adam", {"lr": 1e-2})]:
        l1, l2 = torch.nn.Linear(8, 16), torch.nn.Linear(16, 3)
        with torch.no_grad():
            l1.weight.copy_(w1.t()); l1.bias.copy_(b1); l2.weight.copy_(w2.t()); l2.bias.copy_(b2)
        model = torch.nn.Sequential(l1, torch.nn.ReLU(), l2)
        opt = (torch.optim.SGD if kind == "sgd" else torch.optim.Adam)(model.parameters(), **opts)
        losses = []
        for start in range(0, 20, 5):
            opt.zero_grad()
            loss = F.cross_entropy(model(x[start:start + 5]), y[start:start + 5])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        final = {"0.weight": l1.weight.detach().t(), "0.bias": l1.bias.detach(),
                 "2.weight": l2.weight.detach().t(), "2.bias": l2.bias.detach()}
        out.append({"name": f"mlp_{kind}", "optimizer": kind, "options": opts, "x": tensor_json(x), "y": tensor_json(y),
                    "init": {k: tensor_json(v) for k, v in [("0.weight", w1), ("0.bias", b1), ("2.weight", w2), ("2.bias", b2)]},
                    "losses": losses, "final": {k: tensor_json(v) for k, v in final.items()}})
    return out


def edge_shapes():
    """Zero-size dims anywhere (issue 23): forward cases and backward cases, as PyTorch gives them."""
    fwd, bwd = Cases(), GradCases()
    # Elementwise with numpy broadcasting: a size-1 dim broadcasts to 0, a 0 stays 0.
    for sa, sb in [((3, 0), (3, 0)), ((3, 0), (3, 1)), ((0, 5), (5,)), ((2, 0, 4), (1, 4)), ((3, 0), ())]:
        a, b = randn(*sa), randn(*sb)
        tag = f"{'x'.join(map(str, sa))}_{'x'.join(map(str, sb)) or 'scalar'}"
        fwd.add(f"add_{tag}", "add", [a, b], a + b)
        bwd.add_grad(f"add_{tag}", "add", [a, b], torch.add)
        bwd.add_grad(f"mul_{tag}", "mul", [a, b], torch.mul)
    x = randn(2, 0, 4)
    fwd.add("exp_2x0x4", "exp", [x], x.exp())
    fwd.add("relu_transposed_2x0x4", "relu", [(x, {"transpose": [0, 2]})], torch.relu(x.transpose(0, 2)))
    # Reductions: the sum over nothing is 0, the mean NaN; over a non-empty dim the result is empty.
    for shape in [(3, 0), (0, 5), (2, 0, 4)]:
        x = randn(*shape)
        tag = "x".join(map(str, shape))
        fwd.add(f"sum_all_{tag}", "sum", [x], x.sum())
        fwd.add(f"mean_all_{tag}", "mean", [x], x.mean())
        bwd.add_grad(f"sum_all_{tag}", "sum", [x], lambda t: t.sum())
        for axis in range(len(shape)):
            for keep in [False, True]:
                attrs = {"axis": axis, "keepdims": keep}
                k = "keep" if keep else "drop"
                fwd.add(f"sum_axis{axis}_{k}_{tag}", "sum", [x], x.sum(axis, keepdim=keep), attrs=attrs)
                fwd.add(f"mean_axis{axis}_{k}_{tag}", "mean", [x], x.mean(axis, keepdim=keep), attrs=attrs)
                bwd.add_grad(f"sum_axis{axis}_{k}_{tag}", "sum", [x], lambda t, a=axis, kd=keep: t.sum(a, keepdim=kd),
                             attrs=attrs)
                bwd.add_grad(f"mean_axis{axis}_{k}_{tag}", "mean", [x],
                             lambda t, a=axis, kd=keep: t.mean(a, keepdim=kd), attrs=attrs)
                if shape[axis] > 0:  # max over an empty dim has no identity: PyTorch throws
                    fwd.add(f"max_axis{axis}_{k}_{tag}", "max", [x], x.amax(axis, keepdim=keep), attrs=attrs)
                    fwd.add(f"argmax_axis{axis}_{k}_{tag}", "argmax", [x], x.argmax(axis, keepdim=keep), attrs=attrs)
                    bwd.add_grad(f"max_axis{axis}_{k}_{tag}", "max", [x],
                                 lambda t, a=axis, kd=keep: t.max(a, keepdim=kd).values, attrs=attrs)
    # MatMul: an empty inner dim gives zeros, an empty outer dim an empty product; 1-d and batched.
    for sa, sb in [((3, 0), (0, 4)), ((0, 3), (3, 4)), ((3, 4), (4, 0)), ((2, 3, 0), (0, 4)), ((0,), (0, 4)),
                   ((3, 0), (0,)), ((0,), (0,)), ((0, 3, 2), (2, 5)), ((2, 3, 0), (2, 0, 5))]:
        a, b = randn(*sa), randn(*sb)
        name = f"matmul_{'x'.join(map(str, sa))}_{'x'.join(map(str, sb))}"
        fwd.add(name, "matmul", [a, b], torch.matmul(a, b))
        bwd.add_grad(name, "matmul", [a, b], torch.matmul)
    # Views and joins.
    x = randn(3, 0)
    fwd.add("transpose_3x0", "transpose", [x], x.t(), attrs={"dim0": 0, "dim1": 1})
    bwd.add_grad("transpose_3x0", "transpose", [x], lambda t: t.t(), attrs={"dim0": 0, "dim1": 1})
    for shape, target in [((3, 0), (-1,)), ((2, 0, 4), (0, 8)), ((2, 0, 4), (4, -1, 2)), ((0, 5), (5, 0))]:
        x = randn(*shape)
        name = f"reshape_{'x'.join(map(str, shape))}_to_{'x'.join(map(str, target))}"
        fwd.add(name, "reshape", [x], x.reshape(target), attrs={"shape": list(target)})
        bwd.add_grad(name, "reshape", [x], lambda t, s=target: t.reshape(s), attrs={"shape": list(target)})
    a, b = randn(3, 0), randn(3, 0)
    fwd.add("stack_3x0", "stack", [a, b], torch.stack([a, b]))
    bwd.add_grad("stack_3x0", "stack", [a, b], lambda *t: torch.stack(t))
    # Softmax along a non-empty dim of an empty tensor, and along the empty dim itself.
    x = randn(0, 5)
    for dim in [0, 1]:
        fwd.add(f"softmax_dim{dim}_0x5", "softmax", [x], torch.softmax(x, dim), attrs={"dim": dim})
        fwd.add(f"log_softmax_dim{dim}_0x5", "log_softmax", [x], torch.log_softmax(x, dim), attrs={"dim": dim})
        bwd.add_grad(f"softmax_dim{dim}_0x5", "softmax", [x], lambda t, d=dim: torch.softmax(t, d), attrs={"dim": dim})
    # Layers and losses on an empty batch: the mean loss over nothing is NaN, the sum 0.
    w, b = randn(7, 3), randn(3)
    fwd.add("linear_0x7_to_3", "linear", [randn(0, 7), w, b], randn(0, 7) @ w + b)
    x, w, b = randn(0, 8), randn(8), randn(8)
    bwd.add_grad("layer_norm_0x8", "layer_norm", [x, w, b],
                 lambda x_, w_, b_: F.layer_norm(x_, x_.shape[-1:], w_, b_, eps=1e-5), attrs={"eps": 1e-5})
    bwd.add_grad("embedding_no_ids", "embedding", [randn(5, 3), torch.zeros(0, dtype=torch.int64)],
                 lambda w_, i: F.embedding(i, w_))
    p, t = randn(0, 4), randn(0, 4)
    logits, targets = randn(0, 10), torch.zeros(0, dtype=torch.int64)
    for r in ["mean", "sum", "none"]:
        fwd.add(f"mse_{r}_0x4", "mse", [p, t], F.mse_loss(p, t, reduction=r), attrs={"reduction": r})
        fwd.add(f"cross_entropy_{r}_0x10", "cross_entropy", [logits, targets],
                F.cross_entropy(logits, targets, reduction=r), attrs={"reduction": r})
    # Convolution, pooling and attention over an empty batch or an empty sequence.
    x, wt, b = randn(0, 3, 7, 7), randn(4, 3, 3, 3, scale=0.3), randn(4, scale=0.1)
    bwd.add_grad("conv2d_batch0", "conv2d", [x, wt, b], lambda x_, w_, b_: F.conv2d(x_, w_, b_, padding=1),
                 attrs={"stride": 1, "padding": 1})
    bwd.add_grad("max_pool2d_batch0", "max_pool2d", [randn(0, 3, 6, 6)], lambda t: F.max_pool2d(t, 2, 2, 0),
                 attrs={"kernel": 2, "stride": 2, "padding": 0})
    q, k, v = randn(2, 0, 4), randn(2, 5, 4), randn(2, 5, 6)
    bwd.add_grad("sdpa_no_queries", "sdpa", [q, k, v], attention_ref, attrs={"causal": False})
    return fwd, bwd


def write_doc(filename, key, items):
    path = os.path.join(OUT_DIR, filename)
    with open(path + ".tmp", "w") as f:
        json.dump({"format": 1, "generator": "tools/golden/make_golden.py", "torch_version": torch.__version__,
                   key: items}, f, separators=(",", ":"))
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"{path}: {len(items)} {key}")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    module_01_tensor().write("module_01_tensor.json")
    module_02_activations().write("module_02_activations.json")
    module_03_layers().write("module_03_layers.json")
    module_04_losses().write("module_04_losses.json")
    module_06_autograd().write("module_06_autograd.json")
    write_doc("module_07_optimizers.json", "optimizers", optimizer_cases())
    write_doc("module_08_training.json", "runs", training_case())
    # New modules go last: every generator draws from one seeded stream, so appending keeps the
    # earlier files byte-identical.
    module_09_convolutions().write("module_09_convolutions.json")
    module_11_embeddings().write("module_11_embeddings.json")
    module_12_attention().write("module_12_attention.json")
    module_13_transformers().write("module_13_transformers.json")
    module_09_depthwise().write("module_09_depthwise.json")
    fwd, bwd = edge_shapes()
    fwd.write("edge_shapes.json")
    bwd.write("edge_shapes_grad.json")


if __name__ == "__main__":
    sys.exit(main())
