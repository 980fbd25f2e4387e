#!/usr/bin/env python3
"""stack_graph.py - the core's call graph and worst stack depth, from GCC.

Reads the .ci files that `gcc -fcallgraph-info=su` writes (one VCG graph
per source file: a node per function with its frame size, an edge per call
site) and checks two things a kernel needs of code that runs on an
8-16 KiB thread stack:

  1. No recursion: the call graph has no cycle.  Every cycle is printed
     as a chain of calls, and the check fails.
  2. A bounded depth: from every entry point, the deepest chain of frames
     fits the budget.  The worst chain is printed with each frame.

Recursion the core still has: walks of its radix trees (amaps, page
trees, page tables) call themselves once per level.  Their depth is bound
by the tree's height, a constant, so each is listed in BOUNDED_RECURSION
with the constant that bounds it; such a function counts at that many
frames, plus its deepest other callee.  Only a function calling itself
directly can be listed.  Any other cycle fails, and so does a listed
entry that no longer recurses (so the list shrinks as walks become
loops; every entry is a debt, not a permission for new code).

How the graph is read:
  - A node's size is GCC's -fstack-usage figure for its frame (on x86-64
    it includes the return address).  "dynamic,bounded" frames count at
    their bound; an unbounded dynamic frame (alloca, a VLA) fails.
  - A static function's title is "FILE:NAME" (so statics of the same name
    in two files stay apart); a global's is its name, which is how calls
    across files meet.  GCC's clones (NAME.isra.0, .constprop.0) are
    nodes of their own with their own frames.
  - port_* functions are the host's (include/mvm/port.h): leaves outside
    the core that cost nothing here; the host must budget for its own
    frames on top.  memcpy, memmove, memset and memcmp are the compiler's
    freestanding helpers: leaves too.  Any other callee the core does not
    define fails the check, since its depth would be unknown.
  - Calls through function pointers (GCC's "__indirect_call"): an indirect
    call may call any address-taken core function of the same kind.
    Address-taken means the function's name appears in the sources other
    than as a call or its own declaration (comments and strings removed;
    over-approximating only adds edges).  The kind is the function's
    parameter count: each callback typedef of the core has its own arity
    (vm_amap_visit_fn 4, vm_amap_node_fn 4, pmap_walk_fn 3, map_set_fn 3,
    map_differs_fn 2, vm_file_sink 3, vm_file_source 4, port_io_done_fn
    1), so an indirect call site is given the arity of its call
    expression, read from the source at the call site's line and column.
    Address-taken functions are entry points too: a host may call them
    (port_io_done_fn callbacks are called by the host when I/O completes).
    The callbacks a host passes in (pmap_walk_fn, vm_file_sink and
    vm_file_source) are host code, like port_*: the host budgets for them.

Usage: stack_graph.py BUDGET_BYTES SOURCE_ROOT FILE.ci...
Exit status 0 if both checks pass, 1 otherwise.
"""
import re
import sys

FREESTANDING_HELPERS = {"memcpy", "memmove", "memset", "memcmp"}

# (file, function) -> (header, constant): a tree walk that recurses once
# per level of a tree whose height the constant bounds.
BOUNDED_RECURSION = {
    ("src/vm/amap.c", name): ("src/vm/amap.h", "AMAP_MAX_HEIGHT")
    for name in ("node_has", "clear_count", "visit_node", "walk_node", "verify_node",
                 "node_unref", "count_node", "clear_below", "merge_node")
}
BOUNDED_RECURSION.update({
    ("src/vm/pagetree.c", "next_in"): ("src/vm/pagetree.h", "PAGETREE_MAX_HEIGHT"),
    ("src/vm/pagetree.c", "verify_node"): ("src/vm/pagetree.h", "PAGETREE_MAX_HEIGHT"),
    ("src/pmap/pmap_verify.c", "pmap_verify_table"): ("include/mvm/pte.h", "PT_LEVELS"),
})
INDIRECT = "__indirect_call"

NODE_RE = re.compile(r'node: \{ title: "([^"]*)" label: "([^"]*)"(.*)\}')
EDGE_RE = re.compile(r'edge: \{ sourcename: "([^"]*)" targetname: "([^"]*)" label: "([^"]*)"')
SIZE_RE = re.compile(r"\\n(\d+) bytes \(([a-z,]+)\)$")


class Graph:
    def __init__(self):
        self.size = {}      # title -> frame bytes, for functions the core defines
        self.file = {}      # title -> source file defining it
        self.calls = {}     # title -> list of (callee title, "file:line:col")
        self.errors = []

    def read_ci(self, path):
        current_file = None
        with open(path) as f:
            for line in f:
                m = re.match(r'graph: \{ title: "([^"]*)"', line)
                if m:
                    current_file = m.group(1)
                m = NODE_RE.match(line)
                if m:
                    self.add_node(m.group(1), m.group(2), current_file)
                m = EDGE_RE.match(line)
                if m:
                    self.calls.setdefault(m.group(1), []).append((m.group(2), m.group(3)))

    def add_node(self, title, label, path):
        m = SIZE_RE.search(label)
        if m is None:
            return  # declared only: defined in another file, or outside the core
        size, kind = int(m.group(1)), m.group(2)
        if kind == "dynamic":
            self.errors.append(f"{title}: frame of unbounded size (alloca or a VLA)")
        self.size[title] = size
        self.file[title] = path
        self.calls.setdefault(title, [])


def base_name(title):
    """The C name of a node: no file prefix, no clone suffix."""
    return title.rsplit(":", 1)[-1].split(".", 1)[0]


def strip_comments_and_strings(text):
    pattern = r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\''
    # Keep the newlines so that line numbers still match.
    return re.sub(pattern, lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


def read_sources(paths):
    return {p: strip_comments_and_strings(open(p).read()) for p in paths}


def address_taken(graph, sources):
    """Titles of the functions whose name is used other than by a call."""
    taken = set()
    for title, path in graph.file.items():
        name = base_name(title)
        # Not a call, and not a struct or enum tag of the same name.
        use = re.compile(r"(?<!struct )(?<!union )(?<!enum )\b%s\b(?!\s*\()" % re.escape(name))
        scope = [path] if ":" in title else sources.keys()
        if any(use.search(sources[p]) for p in scope if p in sources):
            taken.add(title)
    return taken


def arity_at(sources, site):
    """Number of arguments of the call expression at FILE:LINE:COL."""
    path, line, col = site.rsplit(":", 2)
    text = sources.get(path)
    if text is None:
        return None
    lines = text.split("\n")
    rest = lines[int(line) - 1][int(col) - 1:] + "\n" + "\n".join(lines[int(line):])
    return count_args(rest)


def count_args(text):
    """Arguments of the first parenthesised list in TEXT (a call)."""
    start = text.find("(")
    depth, args, empty = 0, 1, True
    for ch in text[start:]:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return 0 if empty else args
        elif ch == "," and depth == 1:
            args += 1
        if depth >= 1 and not ch.isspace() and ch != "(":
            empty = False
    return None


def function_arity(sources, title, path):
    """Parameter count of a defined function, from its definition."""
    text = sources.get(path, "")
    m = re.search(r"\b%s\s*\(([^)]*)\)\s*\{" % re.escape(base_name(title)), text)
    if m is None:
        return None
    params = m.group(1).strip()
    return 0 if params in ("", "void") else params.count(",") + 1


def resolve(graph, sources):
    """Callee lists over defined functions only; errors for unknown callees."""
    taken = address_taken(graph, sources)
    by_arity = {}
    for t in taken:
        by_arity.setdefault(function_arity(sources, t, graph.file[t]), []).append(t)
    resolved = {}
    for caller, calls in graph.calls.items():
        if caller not in graph.size:
            continue
        out = []
        for callee, site in calls:
            if callee == INDIRECT:
                n = arity_at(sources, site)
                if n is None:
                    graph.errors.append(f"{site}: cannot read the indirect call's arguments")
                out += [(t, site + " (indirect)") for t in by_arity.get(n, [])]
            elif callee in graph.size:
                out.append((callee, site))
            elif callee.startswith("port_") or callee in FREESTANDING_HELPERS:
                continue  # a leaf outside the core
            else:
                graph.errors.append(f"{site}: {caller} calls {callee}, which the core does not define")
        resolved[caller] = out
    return resolved, taken


def recursion_bounds(graph, root):
    """Title -> frames at most, for the listed self-recursive functions."""
    bounds = {}
    for title, path in graph.file.items():
        key = (path.replace(root + "/", ""), base_name(title))
        if ":" in title and key in BOUNDED_RECURSION:
            header, name = BOUNDED_RECURSION[key]
            text = open(f"{root}/{header}").read()
            m = re.search(r"#define\s+%s\s+\(?(\d+)u?\)?" % name, text)
            if m is None:
                graph.errors.append(f"{header}: no #define {name} (bounds {key[1]})")
                continue
            bounds[title] = int(m.group(1))
    return bounds


def check_cycles(calls, bounds, root):
    """Prints every cycle that is not a listed bounded self-call; True if none."""
    ok = True
    for scc in find_cycles(calls):
        if len(scc) == 1 and scc[0] in bounds:
            continue
        ok = False
        print(f"stack-check: recursion among {len(scc)} function(s):")
        for caller, site in cycle_path(calls, scc):
            where = f"  calls at {site.replace(root + '/', '')}" if site else "  (back to the start)"
            print(f"    {show(caller)}{where}")
    for title in bounds:
        if not any(c == title for c, _ in calls[title]):
            ok = False
            print(f"stack-check: {show(title)} no longer recurses: take it off BOUNDED_RECURSION")
    return ok


def find_cycles(calls):
    """Strongly connected components with a cycle (Tarjan, iterative)."""
    index, low, on_stack, stack, sccs = {}, {}, set(), [], []
    counter = 0
    for root in calls:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            succ = calls.get(node, [])
            if i < len(succ):
                work.append((node, i + 1))
                nxt = succ[i][0]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                scc = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    scc.append(w)
                    if w == node:
                        break
                if len(scc) > 1 or any(c == node for c, _ in succ):
                    sccs.append(scc)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return sccs


def cycle_path(calls, scc):
    """One cycle through the component, as (caller, site) steps."""
    members = set(scc)
    start = scc[0]
    path, seen, node = [], {}, start
    while node not in seen:
        seen[node] = len(path)
        callee, site = next((c, s) for c, s in calls[node] if c in members)
        path.append((node, site))
        node = callee
    return path[seen[node]:] + [(node, None)]


def worst_chains(calls, size, bounds):
    """For every function: deepest stack of a chain starting there, and the
    next call.  A listed self-recursive function counts as BOUND frames of
    its own, the innermost of which makes its deepest other call."""
    depth, nxt = {}, {}
    for root in calls:
        work = [root]
        while work:
            node = work[-1]
            if node in depth:
                work.pop()
                continue
            pending = [c for c, _ in calls[node] if c not in depth and c != node]
            if pending:
                work.extend(pending)
                continue
            work.pop()
            best, via = 0, None
            for c, site in calls[node]:
                if c != node and depth[c] > best:
                    best, via = depth[c], (c, site)
            depth[node] = size[node] * bounds.get(node, 1) + best
            nxt[node] = via
    return depth, nxt


def show(title):
    if ":" not in title:
        return title
    path, name = title.rsplit(":", 1)
    return f"{name} ({path.rsplit('/', 1)[-1]}, static)"


def main():
    budget, root, cis = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3:]
    graph = Graph()
    for ci in cis:
        graph.read_ci(ci)
    sources = read_sources(sorted(set(graph.file.values())))
    calls, taken = resolve(graph, sources)
    ok = not graph.errors
    for e in graph.errors:
        print("stack-check: " + e)

    bounds = recursion_bounds(graph, root)
    if not check_cycles(calls, bounds, root):
        print("stack-check: FAIL: recursion makes the depth unbounded; not computed")
        return 1

    depth, nxt = worst_chains(calls, graph.size, bounds)
    entries = [t for t in calls if ":" not in t or t in taken]
    entries.sort(key=lambda t: -depth[t])
    worst = entries[0]
    print(f"stack-check: {len(graph.size)} functions, {len(entries)} entry points "
          f"({len(taken)} address-taken), budget {budget} bytes")
    print(f"stack-check: worst chain {depth[worst]} bytes, from {show(worst)}:")
    node, site = worst, None
    while node is not None:
        at = f"   <- {site.replace(root + '/', '')}" if site else ""
        frames = bounds.get(node, 1)
        times = f" x {frames} levels" if frames > 1 else ""
        print(f"    {graph.size[node] * frames:6d}  {show(node)}{times}{at}")
        step = nxt[node]
        node, site = (step if step else (None, None))
    print(f"stack-check: {len(bounds)} tree walks recurse, bounded by their tree's height:",
          ", ".join(sorted(show(t) for t in bounds)))
    print("stack-check: deepest entry points:")
    for t in entries[:8]:
        print(f"    {depth[t]:6d}  {show(t)}")
    if depth[worst] > budget:
        print(f"stack-check: FAIL: {depth[worst]} bytes exceeds the budget of {budget}")
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
