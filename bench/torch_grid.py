#!/usr/bin/python3
"""PyTorch peer of bench/grid.mjs: the grid's model trained and run by PyTorch on the CPU.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 OMP_WAIT_POLICY=PASSIVE \
        /usr/bin/python3 bench/torch_grid.py --threads 1 [--serve | '<json list of requests>']

bench/grid.mjs starts it with those variables set (libgomp's spinning otherwise makes 2 threads
3-34x slower on a shared machine, PERF.md). Requests are JSON objects, replies JSON objects:
--serve reads one request per line on stdin and prints one reply per line on stdout, each prefixed
with "@@grid " (anything else on stdout is not a reply); without --serve, argv[1] (or stdin) holds a
JSON list of requests and the list of replies is printed at the end. Requests:

    {"op": "hello"}                                   -> versions, threads, the BLAS mapped, ops used
    {"op": "model", "key", "H", "T", "D", "B", "nMax", "seed"} -> builds the model and nMax samples
    {"op": "fit", "key", "n", "epochs"}               -> wallMs, cpuMs of one fit over the first n
    {"op": "predict", "key", "m", "repeat"}           -> wallMs, cpuMs of `repeat` predicts of m
    {"op": "drop", "key"} / {"op": "exit"}

The model is grid.mjs's: nn.LSTM(D, H, batch_first) on the last step -> nn.Linear(H, 10), softmax
inside CrossEntropyLoss, torch.optim.Adam(lr 0.001, betas (0.9, 0.999), eps 1e-7 as the keras3
preset). fit is Keras's: reshuffle the n samples every epoch, mini-batches of B, the last shorter.
The data is grid.mjs's, bit for bit: the same counter-based mulberry32 stream (see gridData there),
so a checksum of it goes back in the reply and the driver compares it with its own.
"""
import json
import os
import re
import sys
import time


def mulberry32(seed, count):
    """count uniforms in [0, 1) of mulberry32 seeded with seed: output k hashes seed + (k+1)*0x6D2B79F5."""
    import numpy as np
    k = np.arange(1, count + 1, dtype=np.uint64)
    a = ((np.uint64(seed & 0xFFFFFFFF) + k * np.uint64(0x6D2B79F5)) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    with np.errstate(over='ignore'):
        t = (a ^ (a >> np.uint32(15))) * (a | np.uint32(1))
        t = (t + (t ^ (t >> np.uint32(7))) * (t | np.uint32(61))) ^ t
        t = t ^ (t >> np.uint32(14))
    return t.astype(np.float64) / 4294967296.0


def grid_data(seed, n, T, D):
    """x (n, T, D) float32 uniform in [-1, 1) from stream seed, labels (n,) in 0..9 from stream seed + 1."""
    import numpy as np
    x = (2.0 * mulberry32(seed, n * T * D) - 1.0).astype(np.float32).reshape(n, T, D)
    labels = np.floor(mulberry32(seed + 1, n) * 10).astype(np.int64)
    return x, labels


def checksum(x, labels):
    """The same sums grid.mjs computes over its copy: first 4096 x values, and all labels."""
    flat = x.reshape(-1)[:4096]
    return {"xSum": float(flat.astype("float64").sum()), "labelSum": int(labels.sum())}


def blas_libraries():
    """The shared libraries of BLAS, LAPACK, OpenMP and oneDNN this process has mapped."""
    found = set()
    with open('/proc/self/maps') as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and re.search(r'blas|lapack|mkl|gomp|libomp|iomp|dnnl', parts[5]):
                found.add(parts[5])
    return sorted(found)


class Server:
    def __init__(self, threads):
        import torch
        import torch.nn as nn
        self.torch, self.nn = torch, nn
        self.threads = threads
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(1)
        self.models = {}

    def hello(self, _req):
        torch, nn = self.torch, self.nn
        # One tiny forward/backward first, so lazily loaded libraries are mapped, and to see which
        # operators nn.LSTM runs here (addmm/mm: BLAS; an mkldnn op would mean oneDNN).
        from torch.profiler import profile
        lstm = nn.LSTM(4, 8, batch_first=True)
        with profile() as prof:
            out, _ = lstm(torch.zeros(2, 3, 4))
            out.sum().backward()
        ops = sorted({e.key for e in prof.key_averages() if e.key.startswith('aten::') and re.search(r'mm|mkldnn|lstm|rnn', e.key)})
        config = torch.__config__.show()
        blas_info = re.search(r'BLAS_INFO=([^,\s]+)', config)
        return {
            "torch": torch.__version__,
            "python": sys.version.split()[0],
            "numpy": __import__('numpy').__version__,
            "threads": torch.get_num_threads(),
            "interopThreads": torch.get_num_interop_threads(),
            "env": {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_WAIT_POLICY")},
            "librariesMapped": blas_libraries(),
            "blasInfo": blas_info.group(1) if blas_info else None,
            "cpuCapability": next((l.split(':', 1)[1].strip() for l in config.splitlines() if 'CPU capability' in l), None),
            "lstmOps": ops,
            "config": config.strip().splitlines()[:6],
        }

    def model(self, req):
        torch, nn = self.torch, self.nn
        H, T, D, B, n_max, seed = req["H"], req["T"], req["D"], req["B"], req["nMax"], req["seed"]
        t0 = time.perf_counter()
        x, labels = grid_data(seed, n_max, T, D)
        torch.manual_seed(seed)

        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(D, H, batch_first=True)
                self.dense = nn.Linear(H, 10)

            def forward(self, xb):
                out, _ = self.lstm(xb)
                return self.dense(out[:, -1])

        net = Net()
        self.models[req["key"]] = {
            "net": net, "B": B, "x": torch.from_numpy(x), "y": torch.from_numpy(labels),
            "opt": torch.optim.Adam(net.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7),
            "loss": nn.CrossEntropyLoss(), "gen": torch.Generator().manual_seed(seed),
        }
        return {"buildMs": (time.perf_counter() - t0) * 1000, "data": checksum(x, labels)}

    def fit(self, req):
        torch = self.torch
        m = self.models[req["key"]]
        n, epochs, B = req["n"], req.get("epochs", 1), m["B"]
        net, opt, loss_fn = m["net"], m["opt"], m["loss"]
        x, y = m["x"][:n], m["y"][:n]
        net.train()
        loss = None
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(epochs):
            order = torch.randperm(n, generator=m["gen"])
            for i in range(0, n, B):
                idx = order[i:i + B]
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(net(x[idx]), y[idx])
                loss.backward()
                opt.step()
        wall, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        return {"wallMs": wall, "cpuMs": cpu, "loss": float(loss)}

    def predict(self, req):
        torch = self.torch
        m = self.models[req["key"]]
        net, xs = m["net"], m["x"][:req["m"]].numpy()
        net.eval()
        sink = 0.0
        c0, t0 = time.process_time(), time.perf_counter()
        with torch.no_grad():
            for _ in range(req.get("repeat", 1)):
                # from a float32 array to 10 probabilities per sequence, as the JS peers
                probs = torch.softmax(net(torch.from_numpy(xs)), dim=1).numpy()
                sink += float(probs[0, 0])
        wall, cpu = (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000
        return {"wallMs": wall, "cpuMs": cpu, "sink": sink}

    def drop(self, req):
        self.models.pop(req["key"], None)
        return {}

    def handle(self, req):
        op = req.get("op")
        if op not in ("hello", "model", "fit", "predict", "drop"):
            return {"error": f"unknown op {op!r}"}
        try:
            return getattr(self, op)(req)
        except Exception as e:  # the driver reports it and skips the cell
            return {"error": f"{type(e).__name__}: {e}"}


def main():
    args = sys.argv[1:]
    threads = 1
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    serve = "--serve" in args
    if serve:
        args.remove("--serve")
    server = Server(threads)
    if serve:
        for line in sys.stdin:
            if not line.strip():
                continue
            req = json.loads(line)
            if req.get("op") == "exit":
                break
            print("@@grid " + json.dumps(server.handle(req)), flush=True)
        return
    reqs = json.loads(args[0] if args else sys.stdin.read())
    print(json.dumps([server.handle(r) for r in reqs if r.get("op") != "exit"], indent=1))


if __name__ == "__main__":
    main()
