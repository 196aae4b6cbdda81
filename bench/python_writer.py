"""Benchmark of python/heapdiff.py's write_snapshot on a process with about 1,000,000 objects.

    python3 bench/python_writer.py [--objects N] [--out DIR] [--keep]

Builds N/5 `Record` instances (instance + its attribute dict + a str + a list + a str in it: five
objects each, plus ints) held in a module-level list, then writes two snapshots and prints, for
each, the wall time, the node and edge counts, the file size and the increase of the process's
peak RSS (VmHWM from /proc/self/status, else ru_maxrss) over its RSS just before the write.
tracemalloc stays off.  The first write also creates the instances' __dict__ on CPython 3.11+
(see the module docstring): the RSS that stays after it is printed separately.
"""
import argparse
import gc
import os
import resource
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import heapdiff  # noqa: E402


def status_kb(field):
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_kb():
    v = status_kb("VmRSS")
    return v if v is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def peak_kb():
    v = status_kb("VmHWM")
    return v if v is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak():
    # Linux >= 4.0: writing 5 to clear_refs resets VmHWM to the current RSS.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Record(object):
    def __init__(self, i, parent):
        self.id = i * 1000 + 7
        self.name = "record-%d" % i
        self.tags = ["tag-%d" % i]
        self.parent = parent


RECORDS = []


def build(n_objects):
    parent = None
    for i in range(n_objects // 5):
        r = Record(i, parent)
        RECORDS.append(r)
        if i % 100 == 0:
            parent = r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--objects", type=int, default=1000000)
    ap.add_argument("--out", default=None)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="heapdiff-bench-")
    t0 = time.perf_counter()
    build(args.objects)
    gc.collect()
    print("python %s, %d records built in %.1f s; gc tracks %d objects; RSS %.1f MB"
          % (sys.version.split()[0], len(RECORDS), time.perf_counter() - t0,
             len(gc.get_objects()), rss_kb() / 1024))
    for k in range(2):
        path = os.path.join(out, "bench-%d.heapsnapshot" % k)
        before = rss_kb()
        can_reset = reset_peak()
        peak_before = peak_kb()
        t = time.perf_counter()
        heapdiff.write_snapshot(path)
        dt = time.perf_counter() - t
        peak = peak_kb()
        after = rss_kb()
        with open(path, "rb") as f:
            head = f.read(4096).decode("ascii", "replace")
        import re
        nodes = int(re.search(r'"node_count":\s*(\d+)', head).group(1))
        edges = int(re.search(r'"edge_count":\s*(\d+)', head).group(1))
        base = before if can_reset else max(before, peak_before)
        print("write %d: %.1f s, %d nodes, %d edges, %.1f MB file; RSS before %.1f MB, "
              "peak during write +%.1f MB, RSS after +%.1f MB"
              % (k + 1, dt, nodes, edges, os.path.getsize(path) / 1e6, before / 1024,
                 (peak - base) / 1024, (after - before) / 1024))
        if not args.keep:
            os.unlink(path)
    if not args.keep:
        try:
            os.rmdir(out)
        except OSError:
            pass


if __name__ == "__main__":
    main()
