"""Tests of python/heapdiff.py: python3 -m unittest discover -s python/tests"""
import array
import gc
import json
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import heapdiff  # noqa: E402

NODE20_META = {
    "node_fields": ["type", "name", "id", "self_size", "edge_count", "trace_node_id",
                    "detachedness"],
    "node_types": [["hidden", "array", "string", "object", "code", "closure", "regexp", "number",
                    "native", "synthetic", "concatenated string", "sliced string", "symbol",
                    "bigint", "object shape", "wasm object"],
                   "string", "number", "number", "number", "number", "number"],
    "edge_fields": ["type", "name_or_index", "to_node"],
    "edge_types": [["context", "element", "property", "internal", "hidden", "shortcut", "weak"],
                   "string_or_number", "node"],
    "trace_function_info_fields": ["function_id", "name", "script_name", "script_id", "line",
                                   "column"],
    "trace_node_fields": ["id", "function_info_index", "count", "size", "children"],
    "sample_fields": ["timestamp_us", "last_assigned_id"],
    "location_fields": ["object_index", "script_id", "line", "column"],
}
KEYS = ["snapshot", "nodes", "edges", "trace_function_infos", "trace_tree", "samples",
        "locations", "strings"]


class Snapshot(object):
    """A parsed .heapsnapshot with just enough navigation for the tests.

    Numbers are kept in arrays, not lists of ints: the next snapshot of this process must not
    have to describe a million int objects left behind by this one.
    """

    def __init__(self, path):
        with open(path) as f:
            data = json.load(f)
        meta = data["snapshot"]["meta"]
        self.nf = len(meta["node_fields"])
        self.node_types = meta["node_types"][0]
        self.edge_types = meta["edge_types"][0]
        self.nodes = array.array("q", data["nodes"])
        self.edges_flat = array.array("q", data["edges"])
        data["nodes"] = data["edges"] = None
        self.strings = data["strings"]
        self.data = data
        self.n = len(self.nodes) // self.nf
        self.first_edge = array.array("q", [0]) * (self.n + 1)
        total = 0
        counts = self.nodes[4::self.nf]
        for o in range(self.n):
            total += counts[o]
            self.first_edge[o + 1] = total
        self.ids = self.nodes[2::self.nf]

    def ordinal_of_id(self, node_id):
        try:
            return self.ids.index(node_id)
        except ValueError:
            raise AssertionError("no node with id %d" % node_id)

    def node(self, o):
        b = o * self.nf
        v = self.nodes[b:b + self.nf]
        return {"type": self.node_types[v[0]], "name": self.strings[v[1]], "id": v[2],
                "size": v[3], "edge_count": v[4], "trace": v[5], "ordinal": o}

    def edges(self, o):
        out = []
        for e in range(self.first_edge[o], self.first_edge[o + 1]):
            t, nm, to = self.edges_flat[3 * e:3 * e + 3]
            tname = self.edge_types[t]
            name = nm if tname in ("element", "hidden") else self.strings[nm]
            out.append((tname, name, to // self.nf))
        return out

    def retainers(self, target):
        out = []
        for o in range(self.n):
            for t, name, to in self.edges(o):
                if to == target:
                    out.append((t, name, o))
        return out

    def ordinal_of(self, obj):
        i = heapdiff.snapshot_id(obj)
        if i is None:
            raise AssertionError("object %r is not in the snapshot" % (obj,))
        return self.ordinal_of_id(i)

    def named(self, name, type_=None):
        return [o for o in range(self.n)
                if self.strings[self.nodes[o * self.nf + 1]] == name
                and (type_ is None or self.node_types[self.nodes[o * self.nf]] == type_)]

    def child(self, o, edge_type, name):
        for t, nm, to in self.edges(o):
            if t == edge_type and nm == name:
                return to
        return None


# --- objects the shared snapshot must describe ---------------------------------------------------

class Holder(object):
    def __init__(self):
        self.items = ["holder-item-%d" % os.getpid()]
        self.label = "holder-label-%d" % os.getpid()
        self.nothing = None


class Slotted(object):
    __slots__ = ("a", "b")


def make_counter():
    counts = ["closure-cell-list"]

    def bump():
        counts.append(1)
        return counts
    return bump


HOLDER = Holder()
SLOTTED = Slotted()
SLOTTED.a = ["slot-a-value"]
KEY_TUPLE = (1, "x")
DICT_VALUES = [["v-alpha"], ["v-seven"], ["v-tuple"], ["v-big"]]
DICT = {"alpha": DICT_VALUES[0], 7: DICT_VALUES[1], KEY_TUPLE: DICT_VALUES[2],
        2 ** 40: DICT_VALUES[3]}
PAIR = (["first"], ["second"])
PAIR_LIST = list(PAIR)
COUNTER = make_counter()
UNTRACKED_STR = "".join(["untracked-", "str-", str(os.getpid())])
UNTRACKED_INT = 10 ** 20 + os.getpid()
UNTRACKED_TUPLE = (123456789012345 + os.getpid(), "tuple-member-" + str(os.getpid()))
UNTRACKED_HOLDER = [UNTRACKED_STR, UNTRACKED_INT, UNTRACKED_TUPLE]
CYCLE_A, CYCLE_B = Holder(), Holder()
CYCLE_A.other = CYCLE_B
CYCLE_B.other = CYCLE_A
SELF_LIST = ["self-list"]
SELF_LIST.append(SELF_LIST)


def worker(ready, release):
    worker_local = ["worker-local"]
    ready.set()
    release.wait(60)
    return worker_local


class SharedSnapshotTest(unittest.TestCase):
    """One snapshot of this process, taken with a local in this frame and a waiting thread."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="heapdiff-pytest-")
        ready, release = threading.Event(), threading.Event()
        cls.thread = threading.Thread(target=worker, args=(ready, release),
                                      name="heapdiff-test-worker")
        cls.thread.start()
        ready.wait(30)
        frame_local_marker = ["frame-local"]
        cls.frame_local_marker = frame_local_marker
        path = os.path.join(cls.dir, "shared.heapsnapshot")
        try:
            heapdiff.write_snapshot(path)
        finally:
            release.set()
            cls.thread.join(30)
        cls.path = path
        cls.s = Snapshot(path)
        # Ids are stable, but record the ordinals now, before other tests write snapshots.
        cls.ord = {}
        for name in ("HOLDER", "SLOTTED", "DICT", "PAIR", "PAIR_LIST", "COUNTER",
                     "UNTRACKED_STR", "UNTRACKED_INT", "UNTRACKED_TUPLE", "UNTRACKED_HOLDER",
                     "CYCLE_A", "CYCLE_B", "SELF_LIST", "KEY_TUPLE"):
            cls.ord[name] = cls.s.ordinal_of(globals()[name])

    @classmethod
    def tearDownClass(cls):
        cls.s = None
        shutil.rmtree(cls.dir, ignore_errors=True)

    def o(self, obj):
        return self.s.ordinal_of(obj)

    # --- the file ---

    def test_valid_json_whose_counts_match_meta(self):
        d = dict(self.s.data)
        d["nodes"], d["edges"] = self.s.nodes, self.s.edges_flat
        self.assertEqual(list(d.keys()), KEYS)
        snap = d["snapshot"]
        self.assertEqual(snap["meta"], NODE20_META)
        nf = len(NODE20_META["node_fields"])
        self.assertEqual(snap["node_count"] * nf, len(d["nodes"]))
        self.assertEqual(snap["edge_count"] * 3, len(d["edges"]))
        self.assertEqual(sum(d["nodes"][4::nf]), snap["edge_count"])
        self.assertEqual(snap["trace_function_count"] * 6, len(d["trace_function_infos"]))
        self.assertEqual(snap["trace_function_count"], 0)   # tracemalloc was off
        self.assertEqual(set(d["nodes"][5::nf]), {0})
        self.assertEqual(d["strings"][0], "<dummy>")
        n_types = len(NODE20_META["node_types"][0])
        self.assertTrue(all(0 <= t < n_types for t in d["nodes"][0::nf]))
        self.assertTrue(all(0 <= i < len(d["strings"]) for i in d["nodes"][1::nf]))
        self.assertTrue(all(s >= 0 for s in d["nodes"][3::nf]))
        ids = d["nodes"][2::nf]
        self.assertEqual(len(set(ids)), len(ids), "ids are unique")
        synthetic = NODE20_META["node_types"][0].index("synthetic")
        for t, i in zip(d["nodes"][0::nf], ids):
            self.assertEqual(i % 2, 0 if t == synthetic else 1, "odd ids for real objects")
        for e in range(0, len(d["edges"]), 3):
            t, name, to = d["edges"][e:e + 3]
            self.assertTrue(0 <= t < 7)
            self.assertEqual(to % nf, 0)
            self.assertTrue(0 <= to < len(d["nodes"]))
            if t not in (1, 4):
                self.assertTrue(0 <= name < len(d["strings"]))
        root = self.s.node(0)
        self.assertEqual((root["type"], root["name"]), ("synthetic", ""))

    def test_writer_leaves_its_own_objects_out(self):
        names = set(self.s.node(o)["name"] for o in range(self.s.n)
                    if self.s.node(o)["type"] == "object")
        self.assertNotIn("heapdiff._Writer", names)
        self.assertNotIn("heapdiff._TypeInfo", names)
        # gc.get_objects()'s list would be a list with an edge to almost every node.
        for o in self.s.named("list", "object"):
            self.assertLess(self.s.node(o)["edge_count"], self.s.n // 2)

    # --- edge names ---

    def test_attributes_are_property_edges_straight_from_the_instance(self):
        s, h = self.s, self.ord["HOLDER"]
        node = s.node(h)
        self.assertEqual((node["type"], node["name"]), ("object", __name__ + ".Holder"))
        self.assertEqual(s.child(h, "property", "items"), self.o(HOLDER.items))
        self.assertEqual(s.child(h, "property", "label"), self.o(HOLDER.label))
        self.assertIsNone(s.child(h, "property", "nothing"), "edges to None are left out")
        self.assertEqual(s.child(h, "internal", "__class__"), self.o(Holder))
        d = s.child(h, "internal", "__dict__")
        self.assertIsNotNone(d)
        self.assertEqual((s.node(d)["type"], s.node(d)["name"]), ("hidden", "dict"))
        self.assertEqual(s.edges(d), [], "the __dict__ is not an extra hop")
        self.assertEqual(s.node(self.o(Holder))["name"], "type")

    def test_slots_are_property_edges(self):
        s, o = self.s, self.ord["SLOTTED"]
        self.assertEqual(s.node(o)["name"], __name__ + ".Slotted")
        self.assertEqual(s.child(o, "property", "a"), self.o(SLOTTED.a))
        self.assertIsNone(s.child(o, "property", "b"), "an unset slot has no edge")

    def test_dict_keys(self):
        s, d = self.s, self.ord["DICT"]
        self.assertEqual(s.node(d)["name"], "dict")
        self.assertEqual(s.child(d, "property", "alpha"), self.o(DICT_VALUES[0]))
        self.assertEqual(s.child(d, "element", 7), self.o(DICT_VALUES[1]))
        self.assertEqual(s.child(d, "property", "[(1, 'x')]"), self.o(DICT_VALUES[2]))
        self.assertEqual(s.child(d, "property", "[1099511627776]"), self.o(DICT_VALUES[3]))
        # The keys themselves are retained by the dict too.
        self.assertEqual(s.child(d, "internal", "[(1, 'x')]"), self.ord["KEY_TUPLE"])
        key = s.child(d, "internal", "alpha")
        self.assertEqual((s.node(key)["type"], s.node(key)["name"]), ("string", "alpha"))

    def test_list_and_tuple_indices_are_element_edges(self):
        s = self.s
        for name in ("PAIR", "PAIR_LIST"):
            o = self.ord[name]
            self.assertEqual(s.node(o)["name"], type(globals()[name]).__name__)
            self.assertEqual(s.node(o)["type"], "object")
            self.assertEqual(s.child(o, "element", 0), self.o(PAIR[0]))
            self.assertEqual(s.child(o, "element", 1), self.o(PAIR[1]))

    def test_closure_cells_are_context_edges(self):
        s, f = self.s, self.ord["COUNTER"]
        node = s.node(f)
        self.assertEqual((node["type"], node["name"]), ("closure", "make_counter.<locals>.bump"))
        counts = COUNTER.__closure__[0].cell_contents
        self.assertEqual(s.child(f, "context", "counts"), self.o(counts))
        self.assertEqual(s.child(f, "internal", "__code__"), self.o(COUNTER.__code__))
        self.assertEqual(s.node(self.o(COUNTER.__code__))["type"], "code")
        # __globals__ leads to the module, not to its dict.
        self.assertEqual(s.child(f, "internal", "__globals__"), self.o(sys.modules[__name__]))

    def test_frame_locals_are_context_edges(self):
        s = self.s
        main = [o for o in s.named("MainThread", "synthetic")]
        self.assertEqual(len(main), 1)
        frames = [to for t, _n, to in s.edges(main[0])]
        self.assertTrue(frames)
        self.assertTrue(all(s.node(f)["name"] == "frame" for f in frames))
        target = self.o(self.frame_local_marker)
        holders = [f for f in frames if s.child(f, "context", "frame_local_marker") == target]
        self.assertEqual(len(holders), 1, "setUpClass's frame holds the local")
        # Frames chain outward through f_back, innermost first.
        i = frames.index(holders[0])
        if i + 1 < len(frames):
            self.assertEqual(s.child(frames[i], "internal", "f_back"), frames[i + 1])
        # The writer's own frames are not there: the innermost frame is the caller's.
        self.assertEqual(frames[0], holders[0])

    # --- roots ---

    def test_root_has_gc_roots_and_one_shortcut_per_module(self):
        s = self.s
        root_edges = s.edges(0)
        self.assertEqual(root_edges[0][:2], ("element", 1))
        self.assertEqual(s.node(root_edges[0][2])["name"], "(GC roots)")
        shortcuts = dict((name, to) for t, name, to in root_edges if t == "shortcut")
        for mod in ("sys", "json", "heapdiff", __name__):
            self.assertIn(mod, shortcuts)
            self.assertEqual(shortcuts[mod], self.o(sys.modules[mod]))
            self.assertEqual(s.node(shortcuts[mod])["name"], "module")
        me = shortcuts[__name__]
        self.assertEqual(s.child(me, "property", "HOLDER"), self.ord["HOLDER"])
        self.assertEqual(s.child(me, "property", "Holder"), self.o(Holder))
        gc_roots = root_edges[0][2]
        categories = [s.node(to)["name"] for _t, _n, to in s.edges(gc_roots)]
        self.assertEqual(categories, ["(Thread frames)", "(Untracked)"])

    def test_thread_frames_hold_each_threads_locals(self):
        s = self.s
        threads_node = s.named("(Thread frames)", "synthetic")[0]
        threads = dict((s.node(to)["name"], to) for _t, _n, to in s.edges(threads_node))
        self.assertIn("MainThread", threads)
        self.assertIn("heapdiff-test-worker", threads)
        frames = [to for _t, _n, to in s.edges(threads["heapdiff-test-worker"])]
        found = [f for f in frames if s.child(f, "context", "worker_local") is not None]
        self.assertEqual(len(found), 1)
        local = s.child(found[0], "context", "worker_local")
        self.assertEqual(s.node(local)["name"], "list")
        item = s.child(local, "element", 0)
        self.assertEqual(s.node(item)["name"], "worker-local")

    # --- untracked objects and cycles ---

    def test_untracked_objects_reachable_from_containers_are_nodes(self):
        s = self.s
        self.assertFalse(gc.is_tracked(UNTRACKED_STR))
        self.assertFalse(gc.is_tracked(UNTRACKED_INT))
        holder = self.ord["UNTRACKED_HOLDER"]
        st = s.child(holder, "element", 0)
        self.assertEqual(st, self.ord["UNTRACKED_STR"])
        self.assertEqual(s.node(st)["type"], "string")
        self.assertEqual(s.node(st)["name"], UNTRACKED_STR)
        self.assertEqual(s.node(st)["size"], sys.getsizeof(UNTRACKED_STR))
        num = s.child(holder, "element", 1)
        self.assertEqual((s.node(num)["type"], s.node(num)["name"]), ("number", repr(UNTRACKED_INT)))
        tup = s.child(holder, "element", 2)
        self.assertEqual(tup, self.ord["UNTRACKED_TUPLE"])
        member = s.child(tup, "element", 1)
        self.assertEqual(s.node(member)["name"], UNTRACKED_TUPLE[1])

    def test_cycles(self):
        s = self.s
        a, b = self.ord["CYCLE_A"], self.ord["CYCLE_B"]
        self.assertEqual(s.child(a, "property", "other"), b)
        self.assertEqual(s.child(b, "property", "other"), a)
        sl = self.ord["SELF_LIST"]
        self.assertEqual(s.child(sl, "element", 1), sl)

    def test_long_strings_are_cut_like_v8(self):
        s = self.s
        names = [s.node(o)["name"] for o in range(s.n) if s.node(o)["type"] == "string"]
        self.assertTrue(names)
        self.assertLessEqual(max(len(n) for n in names), heapdiff.MAX_NAME)


class Alpha(object):
    __slots__ = ("x",)


class Beta(object):
    __slots__ = ("y",)


class IdTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="heapdiff-pytest-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def snap(self, name):
        path = os.path.join(self.dir, name)
        heapdiff.write_snapshot(path)
        return Snapshot(path)

    def test_live_objects_keep_their_id_and_dead_ones_are_not_reused_for_another_type(self):
        keeper = Holder()
        alphas = [Alpha() for _ in range(10000)]
        s1 = self.snap("1.heapsnapshot")
        keeper_id = heapdiff.snapshot_id(keeper)
        self.assertEqual(s1.node(s1.ordinal_of_id(keeper_id))["name"], __name__ + ".Holder")
        # Half of the Alphas die; CPython reuses their memory for the Betas (same size class;
        # the survivors keep the pools from being given back to the system).
        survivors = alphas[1::2]
        dead = alphas[0::2]
        alphas = None
        alive1 = set(heapdiff.snapshot_id(a) for a in survivors)
        alpha_addrs = array.array("Q", sorted(id(a) for a in dead))
        alpha_ids = array.array("q", sorted(heapdiff.snapshot_id(a) for a in dead))
        max1 = max(s1.ids)
        dead = None
        gc.collect()
        dead_addrs = set(alpha_addrs)
        betas, reused = [], []
        while len(reused) < 100 and len(betas) < 300000:
            chunk = [Beta() for _ in range(10000)]
            reused.extend(b for b in chunk if id(b) in dead_addrs)
            betas.extend(chunk)
        chunk = dead_addrs = None
        s2 = self.snap("2.heapsnapshot")
        self.assertEqual(heapdiff.snapshot_id(keeper), keeper_id, "a live object keeps its id")
        self.assertEqual(s2.node(s2.ordinal_of_id(keeper_id))["name"], __name__ + ".Holder")
        # An id present in both snapshots is an object of the same type in both (for strings
        # and numbers, whose name is their value, only the node type can be compared: an int
        # that died can be replaced by another int at its address, which keeps the id).
        where1 = dict((i, o) for o, i in enumerate(s1.ids))
        common = 0
        for o2, i in enumerate(s2.ids):
            o1 = where1.get(i)
            if o1 is None:
                self.assertTrue(i > max1 or i % 2 == 0, "new objects get ids above snapshot 1's")
                continue
            common += 1
            n1, n2 = s1.node(o1), s2.node(o2)
            self.assertEqual(n1["type"], n2["type"], i)
            if n1["type"] not in ("string", "number", "closure", "code"):
                self.assertEqual(n1["name"], n2["name"], i)
        self.assertGreater(common, 1000)
        # New objects get ids above every id of the earlier snapshot, also at reused addresses.
        self.assertTrue(reused, "the test needs CPython to reuse some addresses")
        alpha_id_set = set(alpha_ids)
        where2 = dict((i, o) for o, i in enumerate(s2.ids))
        for a in survivors:
            self.assertIn(heapdiff.snapshot_id(a), where2)
            self.assertIn(heapdiff.snapshot_id(a), alive1)
        for b in betas:
            i = heapdiff.snapshot_id(b)
            self.assertGreater(i, max1)
            self.assertNotIn(i, alpha_id_set)
            self.assertEqual(s2.node(where2[i])["name"], __name__ + ".Beta")


TRACED_PROGRAM = r"""
import json, sys, tracemalloc
sys.path.insert(0, sys.argv[2])
import heapdiff

class Payload(object):
    __slots__ = ()

class Thing(object):
    def __init__(self):
        self.payload = Payload()   # (not a list: lists come from a free list, untraced)

def allocate_traced():
    things = []
    line = sys._getframe().f_lineno + 2
    for _ in range(10):
        things.append(Thing())
    return things, line

tracemalloc.start(4)
things, line = allocate_traced()
heapdiff.write_snapshot(sys.argv[1])
print(json.dumps({"ids": [heapdiff.snapshot_id(t) for t in things], "line": line,
                  "size": sys.getsizeof(things[0])}))
"""


class TracemallocTest(unittest.TestCase):
    """In a small child process: with tracemalloc on, every allocation of the writer is traced
    too, which makes the write much slower than in an untraced process."""

    def test_allocation_stacks_name_the_allocating_line(self):
        import subprocess
        d = tempfile.mkdtemp(prefix="heapdiff-pytest-")
        try:
            path = os.path.join(d, "traced.heapsnapshot")
            program = os.path.join(d, "traced_program.py")
            with open(program, "w") as f:
                f.write(TRACED_PROGRAM)
            here = os.path.dirname(os.path.abspath(heapdiff.__file__))
            out = subprocess.check_output([sys.executable, program, path, here])
            facts = json.loads(out.decode())
            s = Snapshot(path)
            data = s.data
            self.assertEqual(data["snapshot"]["trace_function_count"] * 6,
                             len(data["trace_function_infos"]))
            infos = data["trace_function_infos"]
            infos = [infos[i:i + 6] for i in range(0, len(infos), 6)]
            self.assertEqual(s.strings[infos[0][1]], "(root)")
            site = [i for i, f in enumerate(infos)
                    if s.strings[f[1]] == "allocate_traced" and f[4] == facts["line"]]
            self.assertEqual(len(site), 1, "one function info for the allocating line")
            f = infos[site[0]]
            self.assertEqual(os.path.abspath(s.strings[f[2]]), os.path.abspath(program))
            self.assertEqual(f[0], site[0])
            # Flatten the tree: id -> (function info index, count, size); a node's children
            # follow one another, 5 values each, in its last field.
            tree = {}
            stack = [data["trace_tree"]]
            while stack:
                t = stack.pop()
                for i in range(0, len(t), 5):
                    tree[t[i]] = (t[i + 1], t[i + 2], t[i + 3])
                    stack.append(t[i + 4])
            self.assertEqual(data["trace_tree"][:4], [1, 0, 0, 0])
            for node_id in facts["ids"]:
                node = s.node(s.ordinal_of_id(node_id))
                self.assertEqual(node["name"], "__main__.Thing")
                self.assertIn(node["trace"], tree)
                self.assertEqual(tree[node["trace"]][0], site[0])
            fi, count, size = tree[s.node(s.ordinal_of_id(facts["ids"][0]))["trace"]]
            self.assertGreaterEqual(count, 10)
            self.assertGreaterEqual(size, 10 * facts["size"])
            # The payloads were allocated in Thing.__init__, called from allocate_traced.
            payload = s.child(s.ordinal_of_id(facts["ids"][0]), "property", "payload")
            self.assertNotEqual(s.node(payload)["trace"], 0)
            self.assertEqual(infos[tree[s.node(payload)["trace"]][0]][1],
                             s.strings.index("Thing.__init__"))
        finally:
            shutil.rmtree(d, ignore_errors=True)


class SignalTest(unittest.TestCase):
    @unittest.skipUnless(hasattr(signal, "SIGUSR2"), "needs SIGUSR2")
    def test_signal_writes_numbered_snapshots(self):
        d = tempfile.mkdtemp(prefix="heapdiff-pytest-")
        previous = heapdiff.install_signal_handler(signal.SIGUSR2, d)
        try:
            for k in range(2):
                os.kill(os.getpid(), signal.SIGUSR2)
                deadline = time.time() + 300
                while len(os.listdir(d)) < k + 1 and time.time() < deadline:
                    time.sleep(0.01)
            files = sorted(os.listdir(d))
            self.assertEqual(len(files), 2, files)
            for k, name in enumerate(files):
                self.assertRegex(name, r"^%d-\d{8}-\d{6}-%04d\.heapsnapshot$" % (os.getpid(), k))
                s = Snapshot(os.path.join(d, name))
                self.assertGreater(s.n, 1000)
        finally:
            signal.signal(signal.SIGUSR2, previous)
            shutil.rmtree(d, ignore_errors=True)


class Boom(BaseException):
    pass


class Spy(object):
    """Reports, from inside a write, what the target directory holds."""
    armed = None
    seen = None

    def __sizeof__(self):
        if Spy.armed is not None:
            Spy.seen = sorted(os.listdir(os.path.dirname(Spy.armed)))
            if Spy.boom:
                raise Boom()
        return object.__sizeof__(self)


class AtomicWriteTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="heapdiff-pytest-")
        self.path = os.path.join(self.dir, "app.heapsnapshot")
        self.spy = Spy()

    def tearDown(self):
        Spy.armed = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def test_no_partial_file_under_the_final_name(self):
        Spy.armed, Spy.boom = self.path, False
        heapdiff.write_snapshot(self.path)
        Spy.armed = None
        self.assertIsNotNone(Spy.seen, "the spy ran during the write")
        self.assertNotIn("app.heapsnapshot", Spy.seen)
        self.assertTrue(any(n.startswith(".app.heapsnapshot.") for n in Spy.seen), Spy.seen)
        self.assertEqual(os.listdir(self.dir), ["app.heapsnapshot"], "temp files are removed")
        Snapshot(self.path)

    def test_a_failed_write_leaves_the_old_file_and_no_temp_files(self):
        with open(self.path, "w") as f:
            f.write("old")
        keeper = Holder()
        heapdiff.write_snapshot(os.path.join(self.dir, "first.heapsnapshot"))
        keeper_id = heapdiff.snapshot_id(keeper)
        os.unlink(os.path.join(self.dir, "first.heapsnapshot"))
        Spy.armed, Spy.boom = self.path, True
        with self.assertRaises(Boom):
            heapdiff.write_snapshot(self.path)
        Spy.armed = None
        with open(self.path) as f:
            self.assertEqual(f.read(), "old")
        self.assertEqual(os.listdir(self.dir), ["app.heapsnapshot"])
        self.assertEqual(heapdiff.snapshot_id(keeper), keeper_id, "registry unchanged")
        self.assertTrue(gc.isenabled())


if __name__ == "__main__":
    unittest.main()
