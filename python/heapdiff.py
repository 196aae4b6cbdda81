"""Write the live object graph of this Python process as a V8 ``.heapsnapshot``.

Standard library only, CPython 3.8+.  The file has the JSON layout Node writes (``snapshot.meta``
with Node 20's field and type lists, then ``nodes``, ``edges``, ``trace_function_infos``,
``trace_tree``, ``samples``, ``locations``, ``strings``), so heapdiff, Chrome DevTools and other
V8 tools can open it::

    import heapdiff
    heapdiff.write_snapshot("app.heapsnapshot")
    heapdiff.install_signal_handler(signal.SIGUSR2, "/tmp/snapshots")   # kill -USR2 <pid>

What is in the snapshot
=======================

Nodes are the objects ``gc.get_objects()`` returns (after a ``gc.collect()``), plus everything
they refer to that the collector does not track (``str``, ``int``, ``float``, ``bytes``, code
objects, atomic tuples and dicts, static types, ...), plus the frames of every thread.  ``None``,
``True`` and ``False`` are left out, with the edges to them: they are immortal singletons that
every default argument points at.  The writer's own frames and temporary containers are not in
the snapshot.  The module-level id registry (three ``array('Q')``, below) is: it is memory the
process really holds.

==========================  ============  ===============================================
Python object               node type     node name (DevTools/heapdiff class name)
==========================  ============  ===============================================
``str``                     string        the value, cut at 1024 characters (``(string)``)
``int``, ``float``          number        ``repr()`` (``(number)``); ints over 128 bits:
                                          ``<int of N bits>``
code object                 code          ``co_qualname`` (``(compiled code)``)
Python function             closure       ``__qualname__`` (``Function``)
builtin function/method     closure       ``__qualname__`` (``Function``)
an object's ``__dict__``    hidden        ``dict``: its size moves into its owner
everything else             object        the type's name: ``list``, ``dict``, ``tuple``,
                                          ``module``, ``type``, ``frame``, ``cell``, and
                                          ``module.QualName`` for types outside
                                          ``builtins`` (``wordseg.Segmenter``,
                                          ``collections.OrderedDict``)
==========================  ============  ===============================================

``list`` and ``tuple`` are ``object`` nodes, not ``array`` ones: DevTools (and heapdiff) move the
size of an ``array`` node with a single owner into that owner, which would hide lists from the
class list.  Self size is ``sys.getsizeof(obj)`` (capped at 2**32 - 1: V8 sizes are 32-bit).

Edges, named the way Python code reads:

- attributes, from ``__dict__`` and ``__slots__``: ``property`` edges named by the attribute.
  The instance points straight at the values; its ``__dict__`` is a ``hidden`` node with no edges
  of its own (an ``internal`` edge ``__dict__`` leads to it), so the dict's size is counted in the
  instance and the dict is not an extra hop in retainer paths.  Same for modules (globals) and
  classes (class attributes).
- ``list``/``tuple``/``deque``/``set`` items: ``element`` edges ``[i]`` (sets in iteration order).
- ``dict`` items: a ``str`` key gives a ``property`` edge named by the key to the value, an
  ``int`` key in 0..2**31-1 an ``element`` edge ``[k]``, any other key a ``property`` edge named
  ``[repr(key)]`` (``repr`` only of builtin scalars and tuples of them; other keys read
  ``[<Type 0xADDR>]``, no user ``__repr__`` runs).  The key object itself gets an ``internal``
  edge with the same name (``(key)`` for int keys).
- closures: ``context`` edges from the function to the values of its free variables, named by
  the variable (``co_freevars``), besides the real ``__closure__`` tuple and its cells.
- frames: ``context`` edges named by the local variable, ``internal`` ``f_back``, ``f_code``,
  ``f_globals``.
- ``internal`` edges for implementation references: ``__class__`` (instances of Python classes),
  ``__code__``, ``__globals__`` (to the module, not its dict), ``__closure__``, ``__defaults__``,
  ``__func__``, ``__self__``, ``__mro__``, ``__bases__``, ``co_consts``, ``cell_contents``, ...
- ``weak`` edge ``referent`` from a ``weakref.ref`` to the object it refers to.
- ``hidden`` edges, numbered, for whatever else ``gc.get_referents()`` returns that the writer
  cannot name.

Roots: node 0 is the synthetic root (name ``""``).  It has an ``element`` edge to ``(GC roots)``,
then one ``shortcut`` edge per module in ``sys.modules``, named by the module's name
(``wordseg._segmenter``), to the module object: modules are the "user roots", like ``global`` in
a Node snapshot, so retainer paths start at a module.  Under ``(GC roots)``:

- ``(Thread frames)``: one synthetic node per thread (named by the thread's name), with
  ``element`` edges to each of its frames, innermost first (``sys._current_frames()``);
- ``(Untracked)``: every object nothing else in the snapshot refers to -- held from C code,
  the interpreter's own tables, a C extension, or only by the writer's caller.

Ids
===

A node's id is stable for as long as the object lives, across snapshots of one process: the
module keeps a registry keyed on ``(id(obj), id(type(obj)))`` -- the address and the type --
as three sorted ``array('Q')`` (address, type address, V8 id; 24 bytes per object), rebuilt at
each snapshot from the objects in it.  An object not seen before gets the next id of a counter
that only grows, so, as in V8, objects created after a snapshot get ids above every id in it,
and an id is never given to a second object.  Real objects get odd ids; synthetic nodes even
ones (root 2, ``(GC roots)`` 4, ``(Thread frames)`` 6, ``(Untracked)`` 8, threads 10, 12, ...).

Limits of the scheme: if an object dies and a new object *of the same type* is created at the
same address between two snapshots, the new object keeps the old id (CPython reuses freed
memory quickly, so with snapshots far apart this does happen; a diff then shows that object as
unchanged instead of deleted + new).  An object whose ``__class__`` is reassigned gets a new id.
An object missing from one snapshot (say, a string nothing tracked referred to at that moment)
gets a new id when it appears again.

Allocation stacks
=================

When ``tracemalloc.is_tracing()``, each node's ``trace_node_id`` points into ``trace_tree``,
built from ``tracemalloc.get_object_traceback(obj)`` (as deep as ``tracemalloc.start(nframe)``
recorded it): one ``trace_function_infos`` entry per distinct (file, line), named by the
function that contains the line (found through the code objects in the snapshot; ``<module>``
when none does), with that line and column 0.  A trace node's count and size are those of the
objects in this snapshot allocated there.  Objects allocated before tracing started have no
stack (``trace_node_id`` 0).

Costs and bounds
================

The write is stop-the-world in the sense that the calling thread does nothing else; other
threads keep running (the GIL is released during file writes), and objects they create during
the write are missing (edges to them are dropped).  The collector is disabled during the write.

Memory, for N nodes (objects) and E edges:

- ``gc.get_objects()`` list: 8 B/node; the sorted address array: 8 B/node; the new id registry:
  24 B/node (plus the old one until the write ends); two per-node flag ``bytearray``: 2 B/node;
- while discovering untracked objects: a set of their addresses, about 70 B per untracked object;
- while sorting the nodes by address: about 40 B/node, for a moment;
- the string table: one list slot (8 B) per string node and per distinct name; names are deduped
  through a dict capped at 131072 entries (beyond that, new names are appended unduplicated);
  string nodes refer to the existing ``str`` objects (no copy, except the first 1024 characters
  of longer ones); numbers' names are new strings (their ``repr``);
- nodes are streamed to the file and edges to a temporary file next to it, in chunks: no edge is
  kept in memory.

About 100 B per node at the peak, whatever the edge count -- well under the objects' own size
for typical heaps.  CPython 3.11+ keeps an instance's attributes inline until something reads its
``__dict__``; the writer reads it (that is how attribute names are found), which creates the dict
object once per such instance (about 64 B, kept afterwards; later snapshots do not pay again).
Time is linear in N + E: every object's referents are enumerated twice (once to find untracked
objects, once to write), each edge target is found by binary search in the address array.

The file is written to a temporary file in the target directory and renamed over ``path`` with
``os.replace`` when complete: a reader never sees a partial file under the final name.
"""

import array
import bisect
import gc
import itertools
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import tracemalloc
import types
import weakref
from collections import deque

__all__ = ["write_snapshot", "install_signal_handler", "snapshot_id"]

# --- The format (copied from Node 20's `v8.writeHeapSnapshot`) ---------------------------------

NODE_FIELDS = ["type", "name", "id", "self_size", "edge_count", "trace_node_id", "detachedness"]
NODE_TYPES = ["hidden", "array", "string", "object", "code", "closure", "regexp", "number",
              "native", "synthetic", "concatenated string", "sliced string", "symbol", "bigint",
              "object shape", "wasm object"]
EDGE_TYPES = ["context", "element", "property", "internal", "hidden", "shortcut", "weak"]
_META = {
    "node_fields": NODE_FIELDS,
    "node_types": [NODE_TYPES, "string", "number", "number", "number", "number", "number"],
    "edge_fields": ["type", "name_or_index", "to_node"],
    "edge_types": [EDGE_TYPES, "string_or_number", "node"],
    "trace_function_info_fields": ["function_id", "name", "script_name", "script_id", "line",
                                   "column"],
    "trace_node_fields": ["id", "function_info_index", "count", "size", "children"],
    "sample_fields": ["timestamp_us", "last_assigned_id"],
    "location_fields": ["object_index", "script_id", "line", "column"],
}
_NF = len(NODE_FIELDS)

N_HIDDEN, N_ARRAY, N_STRING, N_OBJECT, N_CODE, N_CLOSURE = 0, 1, 2, 3, 4, 5
N_NUMBER, N_SYNTHETIC = 7, 9
E_CONTEXT, E_ELEMENT, E_PROPERTY, E_INTERNAL, E_HIDDEN, E_SHORTCUT, E_WEAK = range(7)

MAX_NAME = 1024           # V8 cuts string node names here
_MAX_SIZE = 0xFFFFFFFF    # V8 sizes are 32-bit
_NAME_CACHE_MAX = 1 << 17
_CHUNK = 4096             # nodes/edges per write
_PAD = 20                 # width of the count fields patched at the end

# Synthetic node ids (even; real objects get odd ones).
_ROOT_ID, _GC_ROOTS_ID, _THREADS_ID, _UNTRACKED_ID = 2, 4, 6, 8

# --- Module state: the id registry ---------------------------------------------------------------

_lock = threading.RLock()
_writer_thread = None              # ident of the thread inside write_snapshot, if any
_reg_addr = array.array("Q")       # sorted addresses of the objects of the last snapshot
_reg_type = array.array("Q")       # id(type(obj)) for each
_reg_id = array.array("Q")         # the V8 id given to each
_next_id = 1                       # next odd id for a new object
_thread_ids = {}                   # thread ident -> even synthetic id
_next_thread_id = 10

_GLOBALS = globals()

# --- Object kinds --------------------------------------------------------------------------------

(K_ATOM, K_STR, K_NUM, K_LIST, K_TUPLE, K_DICT, K_SET, K_DEQUE, K_CODE, K_FUNC, K_BUILTIN,
 K_METHOD, K_CELL, K_FRAME, K_MODULE, K_TYPE, K_GENERIC) = range(17)

_HEAPTYPE = 1 << 9
_MANAGED_DICT_FLAG = (1 << 4) if sys.version_info >= (3, 11) else 0
_CO_OPTIMIZED = 1
_DICT_MEMBER, _DICT_MANAGED, _DICT_SUBTYPE = 1, 2, 3
_SUBTYPE_DICT_DOC = type("_Probe", (), {}).__dict__["__dict__"].__doc__
_CellType = type((lambda x: (lambda: x))(0).__closure__[0])
_EXACT_KINDS = {
    str: K_STR, int: K_NUM, float: K_NUM, bool: K_NUM,
    list: K_LIST, tuple: K_TUPLE, dict: K_DICT, set: K_SET, frozenset: K_SET, deque: K_DEQUE,
    types.CodeType: K_CODE, types.FunctionType: K_FUNC, types.BuiltinFunctionType: K_BUILTIN,
    types.MethodType: K_METHOD, _CellType: K_CELL, types.FrameType: K_FRAME,
    types.ModuleType: K_MODULE, bytes: K_ATOM, bytearray: K_ATOM, complex: K_ATOM,
}
_CONTAINER_BASES = (list, tuple, dict, set, frozenset, deque)

_type_qualname = type.__dict__["__qualname__"].__get__
_type_module = type.__dict__["__module__"].__get__
_type_dict = type.__dict__["__dict__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_bases = type.__dict__["__bases__"].__get__
_type_base = type.__dict__["__base__"].__get__
_type_flags = type.__dict__["__flags__"].__get__
_module_dict = types.ModuleType.__dict__["__dict__"].__get__
_GetSetDescriptorType = types.GetSetDescriptorType
_MemberDescriptorType = types.MemberDescriptorType
_ref_call = weakref.ref.__call__

if sys.version_info >= (3, 11):
    _CODE_ATTRS = ("co_consts", "co_names", "co_filename", "co_name", "co_qualname",
                   "co_linetable", "co_exceptiontable")
elif sys.version_info >= (3, 10):
    _CODE_ATTRS = ("co_consts", "co_names", "co_varnames", "co_freevars", "co_cellvars",
                   "co_filename", "co_name", "co_code", "co_linetable")
else:
    _CODE_ATTRS = ("co_consts", "co_names", "co_varnames", "co_freevars", "co_cellvars",
                   "co_filename", "co_name", "co_code", "co_lnotab")
_FUNC_ATTRS = ("__defaults__", "__kwdefaults__", "__name__", "__qualname__", "__module__",
               "__doc__")


def _class_name(tp):
    """``list`` for builtins, ``module.QualName`` otherwise."""
    try:
        qual = _type_qualname(tp)
    except Exception:
        qual = getattr(tp, "__name__", "?")
    try:
        mod = _type_module(tp)
    except Exception:
        mod = None
    if isinstance(mod, str) and mod != "builtins":
        return mod + "." + qual
    return qual


def _short_repr(k, depth=0):
    """repr() of builtin scalars and tuples of them; never runs user code."""
    t = type(k)
    if t is str:
        return repr(k[:100])
    if t is int:
        return repr(k) if k.bit_length() <= 128 else "<int of %d bits>" % k.bit_length()
    if t is float or t is bool or k is None or t is complex:
        return repr(k)
    if t is bytes:
        return repr(k[:100])
    if t is tuple and depth < 2 and len(k) <= 8:
        inner = ", ".join(_short_repr(x, depth + 1) for x in k)
        return "(" + inner + ("," if len(k) == 1 else "") + ")"
    return "<%s 0x%x>" % (_class_name(t), id(k))


def _code_last_line(code):
    last = code.co_firstlineno
    try:
        if hasattr(code, "co_lines"):
            for _s, _e, line in code.co_lines():
                if line is not None and line > last:
                    last = line
        else:
            import dis
            for _off, line in dis.findlinestarts(code):
                if line > last:
                    last = line
    except Exception:
        pass
    return last


class _TypeInfo(object):
    __slots__ = ("kind", "ntype", "name", "addr", "heap", "base", "dictget", "dictkind", "slots",
                 "weak", "fields")


class _Writer(object):
    """One write. Created after gc.get_objects(), so none of its containers is a node.

    Its methods, like _write's phases, are short on purpose (see "Costs and bounds").
    """

    # Slots: more attributes than CPython 3.11 keeps inline, and the hot methods read them.
    __slots__ = ("objs", "tracing", "strings", "name_cache", "types", "moddicts", "attr_dicts",
                 "codes_by_file", "code_last", "func_name_cache", "locals_dicts", "new_objects",
                 "seen", "n", "head", "addrs", "lookup", "attr_flags", "referenced", "nbuf",
                 "ebuf", "eout", "edge_count", "old_i", "new_type", "new_id", "next_id",
                 "finfos", "finfo_index", "script_ids", "trace_index", "t_finfo", "t_count",
                 "t_size", "t_children")

    def __init__(self, objs, tracing):
        self.objs = objs
        self.tracing = tracing
        self.strings = ["<dummy>", ""]
        self.name_cache = {"": 1}
        self.types = {}
        self.moddicts = {}          # id(module.__dict__) -> module (edges to globals -> module)
        self.attr_dicts = array.array("Q")
        self.codes_by_file = {}     # when tracing: filename -> [code]
        self.code_last = {}
        self.func_name_cache = {}
        self.locals_dicts = {}      # id -> f_locals dicts this write made frames cache
        # Discovery: the objects found that gc.get_objects() did not list, their addresses.
        self.new_objects = None
        self.seen = None
        # The node set (_node_set): objs sorted by address; objects' nodes follow `head` ones.
        self.n = 0
        self.head = 0
        self.addrs = None           # the objects' addresses: the new registry's keys
        self.lookup = None          # what edge targets are searched in (see _node_set)
        self.attr_flags = None      # per object, 1: an attribute dict (hidden, no edges)
        self.referenced = None      # per object, 1: some edge leads to it
        # The object pass: node and edge fields not written yet (see _flush), the edges file.
        self.nbuf = []
        self.ebuf = []
        self.eout = None
        self.edge_count = 0
        self.old_i = 0              # position in the old registry, merged in address order
        self.new_type = array.array("Q")
        self.new_id = array.array("Q")
        self.next_id = 0
        # Allocation traces: function infos, and the trace tree (node 0 is its root).
        self.finfos = None
        self.finfo_index = {}       # (filename, line) -> function info index
        self.script_ids = {}
        self.trace_index = {}       # (parent trace node, function info) -> trace node
        self.t_finfo = array.array("I", [0])
        self.t_count = array.array("Q", [0])
        self.t_size = array.array("Q", [0])
        self.t_children = {}

    # -- strings --

    def sid(self, s):
        i = self.name_cache.get(s)
        if i is None:
            i = len(self.strings)
            self.strings.append(s)
            if len(self.name_cache) < _NAME_CACHE_MAX:
                self.name_cache[s] = i
        return i

    def edge_name(self, s):
        if type(s) is not str:
            s = str(s)
        if len(s) > MAX_NAME:
            s = s[:MAX_NAME]
        return self.sid(s)

    def new_string(self, s):
        i = len(self.strings)
        self.strings.append(s)
        return i

    # -- types --

    def info(self, tp):
        inf = self.types.get(tp)
        if inf is not None:
            return inf
        inf = _TypeInfo()
        inf.addr = id(tp)
        inf.heap = bool(_type_flags(tp) & _HEAPTYPE)
        inf.base = None
        inf.dictget = None
        inf.dictkind = 0
        inf.slots = ()
        inf.weak = False
        inf.fields = None
        kind = _EXACT_KINDS.get(tp)
        if kind is None:
            if issubclass(tp, type):
                kind = K_TYPE
            elif issubclass(tp, types.ModuleType):
                kind = K_MODULE
            else:
                kind = K_GENERIC
        if kind == K_GENERIC:
            for b in _CONTAINER_BASES:
                if issubclass(tp, b):
                    inf.base = b
                    break
            inf.weak = issubclass(tp, weakref.ref) and not issubclass(tp, weakref.ProxyTypes)
            slots = []
            for klass in _type_mro(tp):
                kd = _type_dict(klass)
                if inf.dictget is None:
                    d = kd.get("__dict__")
                    if type(d) is _MemberDescriptorType:
                        # A C type's plain pointer to its dict: reading it creates nothing.
                        inf.dictget, inf.dictkind = d.__get__, _DICT_MEMBER
                    elif type(d) is _GetSetDescriptorType and d.__doc__ == _SUBTYPE_DICT_DOC:
                        # A Python class's instance dict.  (Other getsets, those of C types
                        # such as functools.partial, may create the dict: left alone; the
                        # dict, when there is one, is a hidden edge.)
                        inf.dictget = d.__get__
                        if _MANAGED_DICT_FLAG and _type_flags(tp) & _MANAGED_DICT_FLAG:
                            inf.dictkind = _DICT_MANAGED
                        else:
                            inf.dictkind = _DICT_SUBTYPE
                if inf.heap and _type_flags(klass) & _HEAPTYPE and "__slots__" in kd:
                    for name, v in kd.items():
                        if type(v) is _MemberDescriptorType and name != "__dict__":
                            slots.append((name, v.__get__))
                if inf.base is tuple and inf.fields is None:
                    fields = kd.get("_fields")      # a namedtuple's field names
                    if type(fields) is tuple and all(type(f) is str for f in fields):
                        inf.fields = fields
            inf.slots = tuple(slots)
        inf.kind = kind
        if kind == K_STR:
            inf.ntype = N_STRING
        elif kind == K_NUM:
            inf.ntype = N_NUMBER
        elif kind == K_CODE:
            inf.ntype = N_CODE
        elif kind == K_FUNC or kind == K_BUILTIN:
            inf.ntype = N_CLOSURE
        else:
            inf.ntype = N_OBJECT
        inf.name = self.sid(_class_name(tp))
        self.types[tp] = inf
        return inf

    # -- discovery --

    def visit(self, obj):
        """Queues obj's untracked referents, each once, to become nodes and be visited."""
        seen = self.seen
        is_tracked = gc.is_tracked
        for t in self.targets(obj):
            if t is None or t is True or t is False or is_tracked(t):
                continue
            a = id(t)
            if a not in seen:
                seen.add(a)
                self.new_objects.append(t)

    def targets(self, obj):
        """What obj refers to (as edges would say, without the names)."""
        inf = self.info(type(obj))
        kind = inf.kind
        if kind == K_LIST or kind == K_TUPLE:
            return obj
        if kind == K_DICT or kind == K_SET or kind == K_DEQUE:
            try:   # another thread may change it meanwhile
                if kind == K_DICT:
                    targets = list(dict.keys(obj))      # no tuple per item, unlike items()
                    targets += dict.values(obj)
                    return targets
                return list(obj)
            except RuntimeError:
                return gc.get_referents(obj)
        if kind == K_STR or kind == K_NUM or kind == K_ATOM:
            return ()
        if kind == K_CODE and self.tracing:
            self.codes_by_file.setdefault(obj.co_filename, []).append(obj)
        try:
            return [e[2] for e in self.edges(obj, inf, False, True)]
        except Exception:
            return gc.get_referents(obj)

    def ordinal(self, obj):
        """obj's index in the node set, or -1."""
        a = id(obj)
        j = bisect.bisect_left(self.addrs, a)
        if j < self.n and self.addrs[j] == a:
            return j
        return -1

    # -- the object pass: one node (record, id, name, allocation stack, edges) --

    def node(self, j):
        """Adds object j's node to nbuf, its edges to ebuf."""
        obj = self.objs[j]
        inf = self.info(type(obj))
        nid = self.node_id(self.lookup[j], inf.addr)
        hidden = self.attr_flags[j]
        if hidden:
            nt, nm = N_HIDDEN, self.sid("dict")
        else:
            nt, nm = inf.ntype, self.node_name(obj, inf)
        try:
            size = sys.getsizeof(obj)
        except Exception:
            size = object.__sizeof__(obj)
        size = _MAX_SIZE if size > _MAX_SIZE else size if size > 0 else 0
        tnode = self.trace_node(obj, size) if self.tracing else 0
        ec = 0
        if not hidden and inf.kind not in _NO_EDGE_KINDS:
            ec = self.object_edges(obj, inf)
            self.edge_count += ec
        self.nbuf += (nt, nm, nid, size, ec, tnode)

    def node_id(self, a, ta):
        """The id for the object at address a of type address ta: the registry's if it has this
        (address, type), else a new one.  Called in address order."""
        old_addr = _reg_addr
        n_old = len(old_addr)
        oi = self.old_i
        while oi < n_old and old_addr[oi] < a:
            oi += 1
        self.old_i = oi
        if oi < n_old and old_addr[oi] == a and _reg_type[oi] == ta:
            nid = _reg_id[oi]
        else:
            nid = self.next_id
            self.next_id += 2
        self.new_type.append(ta)
        self.new_id.append(nid)
        return nid

    def node_name(self, obj, inf):
        kind = inf.kind
        if kind == K_STR:
            return self.new_string(obj if len(obj) <= MAX_NAME else obj[:MAX_NAME])
        if kind == K_NUM:
            if type(obj) is int and obj.bit_length() > 128:
                return self.sid("<int of %d bits>" % obj.bit_length())
            return self.new_string(repr(obj))
        if kind == K_FUNC or kind == K_BUILTIN:
            return self.sid(str(getattr(obj, "__qualname__", "") or getattr(obj, "__name__", "")))
        if kind == K_CODE:
            return self.sid(getattr(obj, "co_qualname", obj.co_name))
        return inf.name

    def trace_node(self, obj, size):
        """Counts obj at its allocation stack's trace node; returns that node's id, 0 if none."""
        tb = _traceback_frames(obj)
        if tb is None:
            return 0
        parent = 0
        for fkey in tb:
            fi = self.finfo_index.get(fkey)
            if fi is None:
                fi = self.new_finfo(fkey)
            child = self.trace_index.get((parent, fi))
            if child is None:
                child = self.new_trace_node(parent, fi)
            parent = child
        self.t_count[parent] += 1
        self.t_size[parent] += size
        return parent + 1

    def new_finfo(self, fkey):
        filename, lineno = fkey
        fi = len(self.finfos)
        self.finfo_index[fkey] = fi
        sc = self.script_ids.get(filename)
        if sc is None:
            sc = self.script_ids[filename] = len(self.script_ids) + 1
        self.finfos.append((fi, self.sid(self.func_name(filename, lineno)), self.sid(filename),
                            sc, lineno, 0))
        return fi

    def new_trace_node(self, parent, fi):
        child = len(self.t_finfo)
        self.trace_index[(parent, fi)] = child
        self.t_finfo.append(fi)
        self.t_count.append(0)
        self.t_size.append(0)
        self.t_children.setdefault(parent, []).append(child)
        return child

    def object_edges(self, obj, inf):
        """Writes obj's edges; returns how many were written."""
        try:
            if inf.kind in _ITEM_KINDS:
                # Most edges: no tuple per edge (zip reuses its own).  Sets and deques are
                # copied first, as edges() would: another thread may change them meanwhile.
                items = obj if inf.kind == K_LIST or inf.kind == K_TUPLE else list(obj)
                es = zip(itertools.repeat(E_ELEMENT), itertools.count(), items)
            else:
                es = _EDGES_BY_KIND[inf.kind](self, obj, inf, True, False)
        except Exception:
            es = [(E_HIDDEN, k, r) for k, r in enumerate(gc.get_referents(obj))]
        return self.write_edges(es)

    def write_edges(self, es):
        """Adds the edges es, (type, name, target), of one node to ebuf; returns how many: those
        to None, True, False and to objects not in the snapshot are dropped."""
        lookup, n, head = self.lookup, self.n, self.head
        referenced, ebuf = self.referenced, self.ebuf
        cache_get = self.name_cache.get
        bisect_left = bisect.bisect_left
        ec = 0
        for et, en, t in es:
            if t is None or t is True or t is False:
                continue
            a = id(t)
            k = bisect_left(lookup, a)
            if k >= n or lookup[k] != a:
                continue
            if et != E_ELEMENT and et != E_HIDDEN:
                si = cache_get(en)
                en = si if si is not None else self.edge_name(en)
            referenced[k] = 1
            ebuf.append(et)
            ebuf.append(en)
            ebuf.append((head + k) * _NF)
            ec += 1
        if len(ebuf) >= _CHUNK * 3:
            _flush(self.eout, _EDGE_FORMAT, ebuf, 3)
        return ec

    # -- edges, by object kind (_EDGES_BY_KIND) --

    def edges(self, obj, inf, named, discover):
        """The edges of obj: a list of (edge type, name or index, target).

        With named=False the names are placeholders (discovery needs only the targets). With
        discover=True, side work for discovery: instance dicts are recorded as attribute dicts.
        """
        return _EDGES_BY_KIND[inf.kind](self, obj, inf, named, discover)

    def no_edges(self, obj, inf, named, discover):
        return []

    def item_edges(self, obj, inf, named, discover):
        return [(E_ELEMENT, i, v) for i, v in enumerate(obj)]

    def dict_item_edges(self, obj, inf, named, discover):
        out = []
        self.dict_edges(out, obj, named, True)
        return out

    def code_edges(self, obj, inf, named, discover):
        return [(E_INTERNAL, a, getattr(obj, a)) for a in _CODE_ATTRS]

    def cell_edges(self, obj, inf, named, discover):
        try:
            return [(E_INTERNAL, "cell_contents", obj.cell_contents)]
        except ValueError:      # an empty cell
            return []

    def method_edges(self, obj, inf, named, discover):
        return [(E_INTERNAL, "__func__", obj.__func__), (E_INTERNAL, "__self__", obj.__self__)]

    def frame_edges(self, f, inf, named, discover):
        out = []
        g = f.f_globals
        try:
            loc = f.f_locals
        except Exception:
            loc = None
        if loc is not None and loc is not g:
            if type(loc) is dict and f.f_code.co_flags & _CO_OPTIMIZED:
                # Before 3.13, f_locals of a function frame is a dict the frame caches: a copy
                # of the locals as they are now, which would keep them alive after the function
                # rebinds them.  Remember it, to empty it when the write is done.
                self.locals_dicts[id(loc)] = loc
            try:
                for k, v in loc.items():
                    out.append((E_CONTEXT, k if type(k) is str else str(k), v))
            except Exception:
                pass
        back = f.f_back
        if back is not None and back.f_globals is not _GLOBALS:
            out.append((E_INTERNAL, "f_back", back))
        out.append((E_INTERNAL, "f_code", f.f_code))
        out.append((E_INTERNAL, "f_globals", self.moddicts.get(id(g), g)))
        b = f.f_builtins
        out.append((E_INTERNAL, "f_builtins", self.moddicts.get(id(b), b)))
        return out

    def struct_edges(self, obj, inf, named, discover):
        """Functions, modules, classes, other objects: named edges, then attributes from the
        instance dict, then a hidden edge per referent that no named edge accounts for."""
        out = []
        struct = []     # the named edges' targets that are referents of obj
        if inf.heap:
            tp = type(obj)
            out.append((E_INTERNAL, "__class__", tp))
            struct.append(tp)
        kind = inf.kind
        if kind == K_GENERIC:
            self.generic_edges(out, struct, obj, inf, named)
        elif kind == K_FUNC:
            self.func_edges(out, struct, obj)
        elif kind == K_TYPE:
            self.type_edges(out, struct, obj, named, discover)
        elif kind == K_MODULE:
            self.attr_edges(out, struct, obj, _module_dict(obj), named, discover, None)
        else:  # K_BUILTIN
            v = obj.__self__
            out.append((E_INTERNAL, "__self__", v))
            struct.append(v)
        refs = gc.get_referents(obj)
        if inf.dictkind and len(refs) > len(struct):
            self.instance_dict_edges(out, struct, obj, inf, named, discover, refs)
        if len(refs) > len(struct):
            self.hidden_edges(out, struct, refs)
        return out

    def func_edges(self, out, struct, obj):
        code = obj.__code__
        out.append((E_INTERNAL, "__code__", code))
        struct.append(code)
        g = obj.__globals__
        out.append((E_INTERNAL, "__globals__", self.moddicts.get(id(g), g)))
        struct.append(g)
        b = getattr(obj, "__builtins__", None)   # 3.10+
        if b is not None:
            out.append((E_INTERNAL, "__builtins__", self.moddicts.get(id(b), b)))
            struct.append(b)
        closure = obj.__closure__
        if closure is not None:
            out.append((E_INTERNAL, "__closure__", closure))
            struct.append(closure)
            for name, cell in zip(code.co_freevars, closure):
                try:
                    out.append((E_CONTEXT, name, cell.cell_contents))
                except ValueError:
                    pass
        for a in _FUNC_ATTRS:
            v = getattr(obj, a)
            out.append((E_INTERNAL, a, v))
            struct.append(v)

    def type_edges(self, out, struct, obj, named, discover):
        rd = gc.get_referents(_type_dict(obj))
        if len(rd) == 1 and type(rd[0]) is dict:
            self.attr_edges(out, struct, obj, rd[0], named, discover, None)
        for a, get in (("__mro__", _type_mro), ("__bases__", _type_bases),
                       ("__base__", _type_base)):
            v = get(obj)
            out.append((E_INTERNAL, a, v))
            struct.append(v)

    def generic_edges(self, out, struct, obj, inf, named):
        base = inf.base
        if base is dict:
            self.dict_edges(out, obj, named, True, struct)
        elif base is not None:
            fields = inf.fields or ()       # a namedtuple's, named
            for i, v in enumerate(base.__iter__(obj)):
                if i < len(fields):
                    out.append((E_PROPERTY, fields[i], v))
                else:
                    out.append((E_ELEMENT, i, v))
                struct.append(v)
        for name, get in inf.slots:
            try:
                v = get(obj)
            except AttributeError:
                continue
            out.append((E_PROPERTY, name, v))
            struct.append(v)
        if inf.weak:
            v = _ref_call(obj)
            if v is not None:
                out.append((E_WEAK, "referent", v))

    def instance_dict_edges(self, out, struct, obj, inf, named, discover, refs):
        # _DICT_MANAGED (3.11+): values inline or a dict: reading __dict__ creates the dict
        # if needed (documented).  _DICT_SUBTYPE (older Pythons, and classes with a
        # variable-size base): the dict, when there is one, is among the referents; the
        # getter would create one if there is none, so ask only when a dict is there.
        if inf.dictkind == _DICT_SUBTYPE and not any(type(r) is dict for r in refs):
            return
        try:
            d = inf.dictget(obj)
        except Exception:
            d = None
        if isinstance(d, dict):
            self.attr_edges(out, struct, obj, d, named, discover, refs)

    def hidden_edges(self, out, struct, refs):
        """A hidden edge, numbered, per referent in refs that is not in struct."""
        counts = {}
        for v in struct:
            a = id(v)
            counts[a] = counts.get(a, 0) + 1
        k = 0
        for r in refs:
            a = id(r)
            c = counts.get(a)
            if c:
                counts[a] = c - 1
            else:
                out.append((E_HIDDEN, k, r))
                k += 1

    def attr_edges(self, out, struct, owner, d, named, discover, refs):
        """Attributes in d as property edges from owner; d itself as a hidden node."""
        for k, v in dict.items(d):
            if type(k) is str:
                out.append((E_PROPERTY, k, v))
            else:
                out.append((E_PROPERTY, ("[" + _short_repr(k) + "]") if named else None, v))
        out.append((E_INTERNAL, "__dict__", d))
        inline = refs is not None
        if inline:
            for r in refs:
                if r is d:
                    inline = False
                    break
        if inline:
            # The dict was created just now (CPython 3.11+ keeps attributes inline until
            # __dict__ is read), or the values are still inline (3.13+): then they, not the
            # dict, are the instance's referents.
            struct.extend(dict.values(d))
            if discover:
                self.new_objects.append(d)
        else:
            struct.append(d)
        if discover:
            self.attr_dicts.append(id(d))

    def dict_edges(self, out, d, named, keys, struct=None):
        for k, v in dict.items(d):
            tk = type(k)
            if tk is str:
                out.append((E_PROPERTY, k, v))
                if keys:
                    out.append((E_INTERNAL, k, k))
            elif tk is int and 0 <= k < 0x80000000:
                out.append((E_ELEMENT, k, v))
                if keys:
                    out.append((E_INTERNAL, "(key)", k))
            else:
                name = ("[" + _short_repr(k) + "]") if named else None
                out.append((E_PROPERTY, name, v))
                if keys:
                    out.append((E_INTERNAL, name, k))
            if struct is not None:
                struct.append(k)
                struct.append(v)

    # -- allocation traces --

    def func_name(self, filename, lineno):
        key = (filename, lineno)
        name = self.func_name_cache.get(key)
        if name is not None:
            return name
        best = None
        for code in self.codes_by_file.get(filename, ()):
            first = code.co_firstlineno
            if first > lineno or (best is not None and first <= best.co_firstlineno):
                continue
            last = self.code_last.get(code)
            if last is None:
                last = self.code_last[code] = _code_last_line(code)
            if lineno <= last:
                best = code
        if best is None:
            name = "<module>"
        else:
            name = getattr(best, "co_qualname", best.co_name)
        self.func_name_cache[key] = name
        return name


_EDGES_BY_KIND = {
    K_ATOM: _Writer.no_edges, K_STR: _Writer.no_edges, K_NUM: _Writer.no_edges,
    K_LIST: _Writer.item_edges, K_TUPLE: _Writer.item_edges, K_DEQUE: _Writer.item_edges,
    K_SET: _Writer.item_edges, K_DICT: _Writer.dict_item_edges, K_CODE: _Writer.code_edges,
    K_CELL: _Writer.cell_edges, K_METHOD: _Writer.method_edges, K_FRAME: _Writer.frame_edges,
    K_FUNC: _Writer.struct_edges, K_BUILTIN: _Writer.struct_edges,
    K_MODULE: _Writer.struct_edges, K_TYPE: _Writer.struct_edges,
    K_GENERIC: _Writer.struct_edges,
}
_ITEM_KINDS = (K_LIST, K_TUPLE, K_SET, K_DEQUE)     # only element edges
_NO_EDGE_KINDS = (K_ATOM, K_STR, K_NUM)


_NODE_FORMAT = "\n,%d,%d,%d,%d,%d,%d,0"    # type, name, id, self size, edges, trace node, 0
_EDGE_FORMAT = "\n,%d,%d,%d"                # type, name or index, to node (ordinal * _NF)


def _flush(f, fmt, fields, per):
    """Writes the records in fields (per values each) with fmt, and empties fields.  One %
    for many records: under tracemalloc every object made costs a traceback, and a string per
    record would be most of the objects the write makes."""
    f.write((fmt * (len(fields) // per) % tuple(fields)).encode())
    del fields[:]



_raw_traceback = getattr(tracemalloc, "_get_object_traceback", None)


_traceback_at = None        # CPython 3.11 only, see _traceback_frames


def _traceback_at_311():
    """_PyTraceMalloc_GetTraceback(domain, address) through ctypes, or None."""
    try:
        import ctypes
        f = ctypes.pythonapi._PyTraceMalloc_GetTraceback
        f.restype = ctypes.py_object
        f.argtypes = [ctypes.c_uint, ctypes.c_size_t]
        offset = 4 * ctypes.sizeof(ctypes.c_void_p)
        return lambda obj: f(0, id(obj) - offset)
    except Exception:
        return None


def _traceback_frames(obj):
    """obj's allocation stack as (filename, lineno) tuples, oldest call first, or None."""
    if _raw_traceback is not None:
        # The C function behind tracemalloc.get_object_traceback(): the same frames, most
        # recent first, without a Traceback and a Frame object per frame.
        raw = _raw_traceback(obj)
        if raw is None and _traceback_at is not None and \
                _type_flags(type(obj)) & _MANAGED_DICT_FLAG:
            # CPython 3.11's get_object_traceback() misses instances of classes whose
            # attributes live inline (their memory block starts two pointers before the GC
            # header, which it does not account for): ask for the block's real start.
            raw = _traceback_at(obj)
        return None if raw is None else reversed(raw)
    tb = tracemalloc.get_object_traceback(obj)
    return None if tb is None else [(f.filename, f.lineno) for f in tb]


class _Entered(Exception):
    pass


def _raise_on_entry(frame, event, arg):
    if event == "call":
        raise _Entered


def _entry_probe():
    pass


_line_arrays_made = False


def _make_line_arrays():
    """CPython 3.11: tracemalloc finds the line of each frame of each allocation by scanning the
    code's line table from the start, unless the code object has a line array (O(1)), which 3.11
    makes for a function entered while a profiler is set.  So, once, enter each function of the
    writer under a profiler that raises at the entry, before the function's code runs (checked
    first on _entry_probe).  Not when a profiler or tracer is set: it makes the arrays anyway."""
    global _line_arrays_made
    if _line_arrays_made or sys.getprofile() is not None or sys.gettrace() is not None:
        return
    _line_arrays_made = True
    functions = [f for f in list(_GLOBALS.values()) + list(vars(_Writer).values())
                 if type(f) is types.FunctionType]
    for f in [_entry_probe] + functions:
        sys.setprofile(_raise_on_entry)
        try:
            f(*(None,) * f.__code__.co_argcount)
            return      # the function ran: no "call" event, no line arrays
        except _Entered:
            pass
        finally:
            sys.setprofile(None)


def _release_locals(dicts):
    """Empties the f_locals dicts the write made function frames cache, unless someone else
    holds one (code that called locals() and kept the result): the frame is then the only
    holder, and the dict is only a cache that every later f_locals or locals() refills."""
    while dicts:
        _k, d = dicts.popitem()
        # References: the frame's, d's, getrefcount's argument.
        if sys.getrefcount(d) <= 3:
            d.clear()
        d = None


def _own_frames():
    """The writer's frames on this thread (innermost first) and the first frame outside it."""
    f = sys._getframe(1)
    own = []
    while f is not None and f.f_globals is _GLOBALS:
        own.append(f)
        f = f.f_back
    return own, f


def write_snapshot(path, collect=True):
    """Writes the live object graph of this process to ``path`` as a V8 ``.heapsnapshot``.

    Runs ``gc.collect()`` first unless ``collect`` is false (V8 also collects before a
    snapshot).  The file appears under ``path`` only when complete (temp file + ``os.replace``).
    Returns ``path``.  One write at a time: a second thread waits for the first.
    """
    global _writer_thread
    me = threading.get_ident()
    if _writer_thread == me:
        raise RuntimeError("heapdiff.write_snapshot: already writing a snapshot on this thread")
    with _lock:
        _writer_thread = me
        was_enabled = gc.isenabled()
        try:
            if collect:
                gc.collect()
            gc.disable()
            objs = gc.get_objects()
            _write(objs, os.fspath(path))
            objs = None
        finally:
            _writer_thread = None
            if was_enabled:
                gc.enable()
    return path


def _write(objs, path):
    """One write: _write_phases into temporary files, then the rename and the new registry."""
    global _traceback_at
    tracing = tracemalloc.is_tracing()
    if tracing and sys.version_info[:2] == (3, 11):
        if _traceback_at is None:
            _traceback_at = _traceback_at_311()
        _make_line_arrays()
    w = _Writer(objs, tracing)
    path = os.path.abspath(path)
    prefix = "." + os.path.basename(path) + "."
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    efd, etmp = tempfile.mkstemp(prefix=prefix, suffix=".edges", dir=directory)
    out = os.fdopen(fd, "wb", 1 << 20)
    w.eout = os.fdopen(efd, "w+b", 1 << 20)
    try:
        _write_phases(w, out)
        os.replace(tmp, path)
        tmp = None
        _commit(w)
    finally:
        _release_locals(w.locals_dicts)
        w.eout.close()
        try:
            os.unlink(etmp)
        except OSError:
            pass
        out.close()
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def _write_phases(w, out):
    """The snapshot, phase by phase, each a function of its own (see "Costs and bounds")."""
    own, first = _own_frames()
    own_ids = set(map(id, own))
    threads = _threads(first)
    modules = _modules(w)
    _discover(w, threads, modules, own_ids)
    w.head = 3 + len(threads)            # root, (GC roots), (Thread frames), threads
    _node_set(w, own_ids)
    own = own_ids = first = None
    counts_at = _header(out, w.head + w.n + 1)
    head_edges = _head_nodes(w, out, threads, modules)
    threads = modules = None
    _object_nodes(w, out)
    untracked = _untracked_node(w, out)
    _edges(w, out, head_edges, untracked)
    head_edges = untracked = None
    w.objs.clear()
    w.lookup = w.referenced = w.attr_flags = None
    trace_function_count = _traces(w, out)
    _strings(w, out)
    _finish(out, counts_at, w.edge_count, trace_function_count)


def _threads(first):
    """(ident, name, [frames, innermost first]) per thread, the main thread first; this
    thread's frames start at first (the writer's own frames are left out)."""
    main_ident = threading.main_thread().ident
    names = {}
    for t in threading.enumerate():
        names[t.ident] = t.name
    me = threading.get_ident()
    threads = []
    for ident, f in sys._current_frames().items():
        if ident == me:
            f = first
        chain = []
        while f is not None:
            if f.f_globals is not _GLOBALS:
                chain.append(f)
            f = f.f_back
        threads.append((ident, names.get(ident, "Thread-%d" % ident), chain))
    threads.sort(key=lambda t: (t[0] != main_ident, t[0]))
    return threads


def _modules(w):
    """(name, module) for sys.modules; records the modules' dicts: edges to a module's
    globals lead to the module."""
    modules = []
    for name, m in list(sys.modules.items()):
        if m is None:
            continue
        modules.append((name, m))
        if isinstance(m, types.ModuleType):
            try:
                w.moddicts[id(_module_dict(m))] = m
            except Exception:
                pass
    bi = sys.modules.get("builtins")
    if bi is not None:
        w.moddicts[id(_module_dict(bi))] = bi
    return modules


def _discover(w, threads, modules, own_ids):
    """Adds to w.objs what gc.get_objects() does not list: the threads' frames, untracked
    modules, untracked referents (transitively), and instance dicts the write creates."""
    extras = w.new_objects = []
    w.seen = set()
    for _ident, _name, chain in threads:
        extras.extend(chain)
    for _name, m in modules:
        if not gc.is_tracked(m):
            extras.append(m)
    visit = w.visit
    for obj in w.objs:
        if type(obj) is not types.FrameType or id(obj) not in own_ids:     # (id() makes an int)
            visit(obj)
    i = 0
    while i < len(extras):
        visit(extras[i])
        i += 1
    w.objs.extend(extras)
    w.new_objects = w.seen = None


def _node_set(w, own_ids):
    """Sorts w.objs by address and removes duplicates, the writer's frames, None, True and
    False: the objects' nodes, in this order.  Then the per-node arrays."""
    objs = w.objs
    objs.sort(key=id)
    addr_list = list(map(id, objs))
    n = 0
    last = -1
    for o, a in zip(objs, addr_list):
        if a != last and a not in own_ids and o is not None and o is not True and o is not False:
            objs[n] = o
            addr_list[n] = a
            n += 1
        last = a
    del objs[n:]
    del addr_list[n:]
    w.n = n
    w.addrs = addrs = array.array("Q", addr_list)
    # Edge targets are found by binary search in addrs.  In an array each probe makes an int
    # object; while tracemalloc traces every allocation that is slow, so then search a list.
    w.lookup = addr_list if w.tracing else addrs
    addr_list = None
    w.attr_flags = flags = bytearray(n)
    for a in w.attr_dicts:
        j = bisect.bisect_left(addrs, a)
        if j < n and addrs[j] == a:
            flags[j] = 1
    w.attr_dicts = None
    w.referenced = bytearray(n)


def _header(out, node_count):
    """Writes the snapshot's header, with room for the counts known only at the end; returns
    where they go."""
    meta = json.dumps(_META, separators=(",", ":"))
    out.write(('{"snapshot":{"meta":%s,"node_count":%d,"edge_count":' % (meta, node_count))
              .encode())
    edge_count_at = out.tell()
    out.write((" " * _PAD + ',"trace_function_count":').encode())
    tfc_at = out.tell()
    out.write((" " * _PAD + '},\n"nodes":[').encode())
    return edge_count_at, tfc_at


def _head_nodes(w, out, threads, modules):
    """Writes the synthetic nodes before the objects': root, (GC roots), (Thread frames), one
    per thread.  Returns their edges' text: the edges section starts with it."""
    sid = w.sid
    root_edges = [(E_ELEMENT, 1, 1)]
    for name, m in modules:
        j = w.ordinal(m)
        if j >= 0:
            w.referenced[j] = 1
            root_edges.append((E_SHORTCUT, sid(name), w.head + j))
    gc_edges = [(E_ELEMENT, 1, 2), (E_ELEMENT, 2, w.head + w.n)]    # to (Untracked), last
    thread_nodes = _thread_nodes(w, threads)
    frames_edges = [(E_ELEMENT, k, 3 + k) for k in range(len(threads))]
    nodes = [(sid(""), _ROOT_ID, root_edges),
             (sid("(GC roots)"), _GC_ROOTS_ID, gc_edges),
             (sid("(Thread frames)"), _THREADS_ID, frames_edges)] + thread_nodes
    parts = []
    eparts = []
    for k, (nm, nid, es) in enumerate(nodes):
        parts.append("%s%d,%d,%d,0,%d,0,0" % ("\n," if k else "", N_SYNTHETIC, nm, nid, len(es)))
        for et, en, to in es:
            eparts.append("%s%d,%d,%d" % ("\n," if w.edge_count else "", et, en, to * _NF))
            w.edge_count += 1
    out.write("".join(parts).encode())
    return "".join(eparts)


def _thread_nodes(w, threads):
    """(name, id, edges) of each thread's node: element edges to its frames.  Threads keep
    their ids from one snapshot to the next."""
    global _next_thread_id
    nodes = []
    live = {}
    for ident, tname, chain in threads:
        tid = _thread_ids.get(ident)
        if tid is None:
            tid = _next_thread_id
            _next_thread_id += 2
        live[ident] = tid
        tedges = []
        for fi, fr in enumerate(chain):
            j = w.ordinal(fr)
            if j >= 0:
                w.referenced[j] = 1
                tedges.append((E_ELEMENT, fi, w.head + j))
        nodes.append((w.sid(tname), tid, tedges))
    _thread_ids.clear()
    _thread_ids.update(live)
    return nodes


def _object_nodes(w, out):
    """Writes the objects' nodes, in address order; their edges go to the edges file."""
    w.next_id = _next_id
    w.finfos = [(0, w.sid("(root)"), 1, 0, 0, 0)]
    node = w.node
    nbuf = w.nbuf
    for j in range(w.n):
        node(j)
        if len(nbuf) >= _CHUNK * 6:
            _flush(out, _NODE_FORMAT, nbuf, 6)
    _flush(out, _NODE_FORMAT, nbuf, 6)
    _flush(w.eout, _EDGE_FORMAT, w.ebuf, 3)


def _untracked_node(w, out):
    """Writes (Untracked), the last node; returns the objects it holds: those no edge leads to."""
    referenced = w.referenced
    untracked = [j for j in range(w.n) if not referenced[j]]
    out.write(("\n,%d,%d,%d,0,%d,0,0" % (N_SYNTHETIC, w.sid("(Untracked)"), _UNTRACKED_ID,
                                          len(untracked))).encode())
    return untracked


def _edges(w, out, head_edges, untracked):
    """Writes the edges: the head nodes', the objects' (from the edges file), (Untracked)'s."""
    out.write(b'],\n"edges":[')
    out.write(head_edges.encode())
    w.eout.flush()
    w.eout.seek(0)
    shutil.copyfileobj(w.eout, out, 1 << 20)
    w.eout.close()
    head = w.head
    for c in range(0, len(untracked), _CHUNK):
        out.write("".join("\n,%d,%d,%d" % (E_ELEMENT, k, (head + j) * _NF)
                          for k, j in enumerate(untracked[c:c + _CHUNK], c)).encode())
    w.edge_count += len(untracked)


def _traces(w, out):
    """Writes trace_function_infos and trace_tree; returns the number of function infos."""
    out.write(b'],\n"trace_function_infos":[')
    if not w.tracing:
        out.write(b'],\n"trace_tree":[')
        return 0
    out.write(",".join("%d,%d,%d,%d,%d,%d" % f for f in w.finfos).encode())
    out.write(b'],\n"trace_tree":[')
    # Iterative pre-order. Each node is 5 values, id, function_info_index, count, size,
    # [children], and a node's children follow one another flat in that last array.
    t_finfo, t_count, t_size, t_children = w.t_finfo, w.t_count, w.t_size, w.t_children
    buf = []
    stack = [(0, 0)]
    while stack:
        node, state = stack.pop()
        if state == 1:
            buf.append("]")
            if stack and stack[-1][1] == 0:
                buf.append(",")
            continue
        buf.append("%d,%d,%d,%d,[" % (node + 1, t_finfo[node], t_count[node], t_size[node]))
        stack.append((node, 1))
        for ch in reversed(t_children.get(node, ())):
            stack.append((ch, 0))
        if len(buf) >= _CHUNK:
            out.write("".join(buf).encode())
            buf = []
    out.write("".join(buf).encode())
    return len(w.finfos)


def _strings(w, out):
    out.write(b'],\n"samples":[],\n"locations":[],\n"strings":[')
    enc = json.encoder.encode_basestring_ascii
    strings = w.strings
    for c in range(0, len(strings), _CHUNK):
        out.write(((",\n" if c else "") + ",\n".join(map(enc, strings[c:c + _CHUNK])))
                  .encode())
    out.write(b"]}\n")


def _finish(out, counts_at, edge_count, trace_function_count):
    """Fills in the counts and makes the file durable."""
    edge_count_at, tfc_at = counts_at
    out.seek(edge_count_at)
    out.write(str(edge_count).rjust(_PAD).encode())
    out.seek(tfc_at)
    out.write(str(trace_function_count).rjust(_PAD).encode())
    out.flush()
    os.fsync(out.fileno())
    out.close()


def _commit(w):
    """The new id registry: only once the file is in place, so a failed write changes
    nothing."""
    global _reg_addr, _reg_type, _reg_id, _next_id
    _reg_addr, _reg_type, _reg_id, _next_id = w.addrs, w.new_type, w.new_id, w.next_id


def snapshot_id(obj):
    """The node id ``obj`` had in the last snapshot this process wrote, or None if it was not
    in it (or is a different object of another type at the same address)."""
    a = id(obj)
    with _lock:
        j = bisect.bisect_left(_reg_addr, a)
        if j < len(_reg_addr) and _reg_addr[j] == a and _reg_type[j] == id(type(obj)):
            return int(_reg_id[j])
    return None


def install_signal_handler(signum=None, directory="."):
    """Writes ``directory/<pid>-<YYYYmmdd-HHMMSS>-<n>.heapsnapshot`` whenever ``signum``
    (default ``SIGUSR2``) arrives.

    Must be called from the main thread (a ``signal.signal`` rule).  Python runs signal
    handlers in the main thread, between two bytecodes, so the snapshot is written there,
    interrupting whatever the main thread was doing (a blocking call such as ``time.sleep``
    is interrupted; a long C call delays the snapshot until it returns).  ``n`` counts the
    snapshots this handler wrote, so names sort in order.  A signal that arrives while the
    main thread is itself writing a snapshot is ignored (with a message on stderr).  Errors
    are printed to stderr; they do not propagate into the interrupted code.  Returns the
    previous handler.
    """
    if signum is None:
        signum = signal.SIGUSR2
    directory = os.path.abspath(os.fspath(directory))
    counter = itertools.count()

    def _heapdiff_snapshot_handler(sig, frame):
        if _writer_thread == threading.get_ident():
            sys.stderr.write("heapdiff: signal %d ignored: a snapshot is being written\n" % sig)
            return
        name = "%d-%s-%04d.heapsnapshot" % (os.getpid(), time.strftime("%Y%m%d-%H%M%S"),
                                            next(counter))
        target = os.path.join(directory, name)
        global _handled_signals
        try:
            write_snapshot(target)
            sys.stderr.write("heapdiff: wrote %s\n" % target)
        except Exception as e:  # never break the interrupted code
            sys.stderr.write("heapdiff: could not write %s: %s\n" % (target, e))
        finally:
            _handled_signals += 1

    return signal.signal(signum, _heapdiff_snapshot_handler)


_handled_signals = 0     # snapshots the signal handler wrote or failed to write


def step(timeout=60.0):
    """One snapshot under ``heapdiff run --step``: prints the line ``heapdiff:snapshot`` on
    stdout, which asks heapdiff for a snapshot, and waits until the signal handler has written
    it (True) or ``timeout`` seconds have passed (False).  Call it where the work is done, so
    that snapshots compare like with like.  Outside ``heapdiff run --step`` (no
    ``HEAPDIFF_STEP`` in the environment) it does nothing and returns False.
    """
    if not os.environ.get("HEAPDIFF_STEP"):
        return False
    before = _handled_signals
    sys.stdout.write("heapdiff:snapshot\n")
    sys.stdout.flush()
    deadline = time.monotonic() + timeout
    while _handled_signals == before:       # the handler runs in the main thread, even
        if time.monotonic() >= deadline:    # while this one sleeps here
            return False
        time.sleep(0.05)
    return True
