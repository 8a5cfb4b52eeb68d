"""PyTorch peer for simdloss's `go run ./bench -torch` (see bench/torch.go).

The Go command starts this script as `python3 -u torch_helper.py THREADS` and
talks to it one JSON object per line: the script first prints a hello line
(torch version, threads, ATen CPU capability, or why torch is unavailable),
then answers each request line read from stdin with one result line.

A request names an op, its inputs (raw little-endian files that the Go side
wrote from the very buffers its own columns use) and how to time it:

    {"op": "softmax", "args": [{"path": "...", "dtype": "float32", "shape": [R, C]}],
     "params": {}, "count": 5, "min_time": 0.1, "max_call": 2.0, "out": ""}

With count > 0 the answer is the median / min / max seconds per call over
`count` samples, sized as the Go side sizes its own columns: one warm-up
call, a calibration on warm calls, then `count` samples of `inner`
back-to-back calls, inner = min_time / a warm call's time (one run only when
the warm-up call exceeds max_call). Unlike the Go columns, which take their
samples in rounds, torch's samples come one after another. With "out" set,
the op runs once and its results (the loss first, then the outputs) are
written to out.0, out.1, ... as float32 for the Go side to compare.
"""
import json
import math
import statistics
import sys
import time


def reply(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def load(torch, arg):
    dtype = {"float32": torch.float32, "int32": torch.int32}[arg["dtype"]]
    with open(arg["path"], "rb") as f:
        buf = bytearray(f.read())
    return torch.frombuffer(buf, dtype=dtype).reshape(arg["shape"]).clone()


def build(torch, F, op, t, params):
    """Returns a function that runs the op once and returns its results."""
    if op == "softmax":
        (x,) = t
        return lambda: (torch.softmax(x, dim=1),)
    if op == "log_softmax":
        (x,) = t
        return lambda: (torch.log_softmax(x, dim=1),)
    if op == "logsumexp":
        (x,) = t
        return lambda: (torch.logsumexp(x, dim=1),)
    if op in ("cross_entropy", "cross_entropy_grad"):
        x, labels, w = t
        labels = labels.long()
        if op == "cross_entropy":
            return lambda: (F.cross_entropy(x, labels, weight=w),)
        xg = x.clone().requires_grad_(True)

        def ce_grad():
            loss = F.cross_entropy(xg, labels, weight=w)
            (g,) = torch.autograd.grad(loss, xg)
            return loss.detach(), g

        return ce_grad
    if op == "sqdist":
        a, b = t

        def sqdist():
            # ||a||² + ||b||² - 2·a·bᵀ in one addmm, clamped at 0 like simdloss.
            an = (a * a).sum(1)
            bn = (b * b).sum(1)
            r = torch.addmm(an.unsqueeze(1), a, b.t(), alpha=-2.0)
            r += bn.unsqueeze(0)
            return (r.clamp_min_(0.0),)

        return sqdist
    if op == "mm_t":
        a, b = t
        return lambda: (torch.mm(a, b.t()),)
    if op == "sqdist_rows":
        a, b = t
        return lambda: (((a - b) ** 2).sum(1),)
    if op in ("triplet", "triplet_grad"):
        a, p, n = t
        margin, eps = params["margin"], params["eps"]
        if op == "triplet":
            return lambda: (F.triplet_margin_loss(a, p, n, margin=margin, p=2, eps=eps),)
        ag, pg, ng = (v.clone().requires_grad_(True) for v in (a, p, n))

        def triplet_grad():
            loss = F.triplet_margin_loss(ag, pg, ng, margin=margin, p=2, eps=eps)
            return (loss.detach(),) + torch.autograd.grad(loss, (ag, pg, ng))

        return triplet_grad
    if op in ("linear_cross_entropy", "linear_cross_entropy_grad"):
        h, w, labels = t
        labels = labels.long()
        if op == "linear_cross_entropy":
            return lambda: (F.cross_entropy(torch.mm(h, w.t()), labels),)
        hg, wg = h.clone().requires_grad_(True), w.clone().requires_grad_(True)

        def linear_ce_grad():
            loss = F.cross_entropy(torch.mm(hg, wg.t()), labels)
            return (loss.detach(),) + torch.autograd.grad(loss, (hg, wg))

        return linear_ce_grad
    if op == "sigmoid_focal_grad":
        # torchvision.ops.sigmoid_focal_loss, written out (torchvision may
        # not be installed), reduction "mean"
        x, tg = t
        alpha, gamma = params["alpha"], params["gamma"]
        xg = x.clone().requires_grad_(True)

        def sigmoid_focal_grad():
            p = torch.sigmoid(xg)
            ce = F.binary_cross_entropy_with_logits(xg, tg, reduction="none")
            p_t = p * tg + (1 - p) * (1 - tg)
            loss = ce * ((1 - p_t) ** gamma)
            loss = (alpha * tg + (1 - alpha) * (1 - tg)) * loss
            loss = loss.mean()
            (g,) = torch.autograd.grad(loss, xg)
            return loss.detach(), g

        return sigmoid_focal_grad
    raise ValueError("unknown op %r" % op)


def measure(fn, count, min_time, max_call):
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    if first > max_call:
        ns = first * 1e9
        return {"median_ns": ns, "min_ns": ns, "max_ns": ns, "runs": 1}
    # Calibrate on warm calls, as the Go side does (the first call is cold).
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        d = time.perf_counter() - t0
        if d >= min_time / 10 or n >= 1 << 30:
            break
        n *= 2
    inner = max(1, math.ceil(min_time / max(d / n, 1e-9)))
    samples = []
    for _ in range(count):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        samples.append((time.perf_counter() - t0) / inner)
    samples.sort()
    return {
        "median_ns": statistics.median(samples) * 1e9,
        "min_ns": samples[0] * 1e9,
        "max_ns": samples[-1] * 1e9,
        "runs": count,
    }


def handle(torch, F, req):
    t = [load(torch, a) for a in req.get("args") or []]
    fn = build(torch, F, req["op"], t, req.get("params") or {})
    out = req.get("out")
    if out:
        paths = []
        for i, r in enumerate(fn()):
            path = "%s.%d" % (out, i)
            _write(path, r)
            paths.append(path)
        return {"outputs": paths}
    return measure(fn, req["count"], req["min_time"], req["max_call"])


def _write(path, r):
    import array

    a = array.array("f", r.detach().to("cpu").reshape(-1).tolist())
    if sys.byteorder != "little":
        a.byteswap()
    with open(path, "wb") as f:
        a.tofile(f)


def blas_library():
    """The BLAS library torch loaded (its matrix products run there):
    Debian's python3-torch links libblas.so.3, which is the slow reference
    BLAS unless an optimised one (e.g. libopenblas0-pthread) is installed."""
    try:
        with open("/proc/self/maps") as f:
            libs = {line.split()[-1] for line in f if "blas" in line.lower() and line.rstrip().endswith(".so.3") or "openblas" in line.lower()}
    except OSError:
        return "unknown"
    for lib in sorted(libs):
        if "openblas" in lib.lower():
            core = "core unknown"
            try:
                import ctypes

                f = ctypes.CDLL(lib).openblas_get_corename
                f.restype = ctypes.c_char_p
                core = "core " + f().decode()
            except (OSError, AttributeError):
                pass
            return "OpenBLAS, %s (%s)" % (core, lib)
    for lib in sorted(libs):
        if "libblas.so" in lib:
            return "reference BLAS (" + lib + ")"
    return "unknown"


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # ImportError, or a broken install
        reply({"ok": False, "error": "%s: %s" % (type(e).__name__, e)})
        return
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    capability = "unknown"
    for line in torch.__config__.show().splitlines():
        if "CPU capability usage" in line:
            capability = line.split(":", 1)[1].strip()
    reply({
        "ok": True,
        "blas": blas_library(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "capability": capability,
        "python": sys.version.split()[0],
    })
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply(handle(torch, F, json.loads(line)))
        except Exception as e:
            reply({"error": "%s: %s" % (type(e).__name__, e)})


if __name__ == "__main__":
    main()
