"""Build benchmark: full build, bulk dumps, incremental rebuild after one change, no-op
rebuild, and server start; each against a baseline measured in the same run.

- full build of the graph and its store (`lactgraph build --no-dumps`: seconds, peak
  memory) against what the build did before (rdflib graph, pyshacl on the whole graph,
  rdflib's Turtle writer), run only up to --baseline-max products (it takes minutes at
  5,000 and would take hours at 50,000);
- the bulk dumps (graph/dumps/), measured as the next `lactgraph build` writes them (the
  graph unchanged, the dumps older than it), and the full build as the command runs it:
  the sum of the two;
- incremental rebuild after one entry page changed (`--no-dumps`), against the full build;
  then the dumps after that change (the next build), against writing them all; and the
  incremental rebuild as the command runs it (the sum), against the full one;
- the incremental rebuild again, WARM_RUNS times, another page each time: the first one
  right after a full build reads from cold file caches, as a curator's next edits do not;
- server start from the store the build left, against loading graph/ into a new store.
"""

from __future__ import annotations

import shutil

from bench.common import Project, child, line, median, megabytes, ratio, seconds

WARM_RUNS = 5


def change_one_page(project: Project, position: float = 0.5) -> str:
    """Replace one source (a hard link to the corpus) by an edited copy, as a curator's
    update: a page gets a new date of last update; an export file, a longer commentary in
    its first record. position: where the source is in name order (0 first, 1 last)."""
    sources = sorted((project.folder / "sources").iterdir())
    page = sources[min(len(sources) - 1, int(len(sources) * position))]
    text = page.read_text("utf-8")
    page.unlink()  # the link alone: the corpus keeps its file
    if text.startswith("Last update"):
        _, _, rest = text.partition("\n")
        text = f"Last update Dec. 31, 2025\n{rest}"
    else:
        text = text.replace('"comentario_en": "', '"comentario_en": "Reviewed. ', 1)
    page.write_text(text, "utf-8")
    return page.name


def run(project: Project, jobs: int, baseline_max: int, timeout: float, memory_cap: float,
        reference: tuple[int, float] | None = None) -> float | None:
    """Print the figures; return the full build's seconds (None if it failed). reference:
    (products, seconds) of a full build of a smaller corpus in the same run, compared with
    when the baseline is skipped."""
    print(f"\n== build: {project.products} products ({jobs} jobs, each measured process "
          f"capped at {memory_cap:g} GB)", flush=True)
    shutil.rmtree(project.graph, ignore_errors=True)
    shutil.rmtree(project.folder / ".lactgraph-cache", ignore_errors=True)

    def measure(label: str, what: str, *flags: str) -> dict | None:
        """The figures of one child process, or None (and why, printed) if it failed."""
        result = child("child", what, str(project.folder), "--jobs", str(jobs),
                       "--memory-cap", f"{memory_cap:g}", *flags, cwd=project.folder,
                       timeout=timeout)
        if "error" in result:
            print(f"  {label} failed: {result['error']}")
            return None
        return result

    old = measure("baseline", "baseline") if project.products <= baseline_max else None
    no_old = "failed" if project.products <= baseline_max else f"skipped (> {baseline_max})"
    old_seconds = old["seconds"] if old else None
    full = measure("full build", "build", "--no-dumps")
    if full is None:
        return None
    line("full build (graph, store; no dumps)", seconds(full["seconds"]),
         seconds(old_seconds) if old else no_old, ratio(full["seconds"], old_seconds))
    if old is None and reference:
        products, took = reference
        line(f"  against {products:,} products", f"{full['seconds'] / took:.1f}x the time",
             seconds(took), f"for {project.products / products:.0f}x the products")
    line("  peak memory", megabytes(full["rss_kb"]), megabytes(old["rss_kb"]) if old else "",
         ratio(full["rss_kb"], old["rss_kb"]) if old else "")
    line("  Turtle written", f"{full['bytes'] / 2**20:.0f} MB")
    dumps = measure("bulk dumps", "build")  # nothing changed: only the dumps, now stale
    if dumps:
        line("bulk dumps (the next build)", seconds(dumps["seconds"]))
        line("  peak memory", megabytes(dumps["rss_kb"]))
        whole = full["seconds"] + dumps["seconds"]
        line("full build with dumps (sum)", seconds(whole),
             seconds(old_seconds) if old else no_old, ratio(whole, old_seconds))
    changed = change_one_page(project)
    incremental = measure("incremental build", "build", "--no-dumps")
    if incremental:
        if incremental["mode"] != "incremental":
            print(f"  (the rebuild ran as a {incremental['mode']} build: did the build code "
                  "change during the run?)")
        line("incremental (no dumps)", seconds(incremental["seconds"]),
             seconds(full["seconds"]) + " full", ratio(incremental["seconds"], full["seconds"]))
        line(f"  {changed[:24]} changed", f"{incremental['units']} unit(s) rewritten, "
             f"{incremental['validated']} nodes validated")
        line("  peak memory", megabytes(incremental["rss_kb"]))
        again = measure("dumps after the change", "build")
        if again:
            line("  dumps after the change", seconds(again["seconds"]),
                 seconds(dumps["seconds"]) + " all" if dumps else "",
                 ratio(again["seconds"], dumps["seconds"]) if dumps else "")
            line("  peak memory", megabytes(again["rss_kb"]))
            whole = incremental["seconds"] + again["seconds"]
            line("incremental with dumps (sum)", seconds(whole),
                 seconds(full["seconds"] + dumps["seconds"]) + " full" if dumps else "",
                 ratio(whole, full["seconds"] + dumps["seconds"]) if dumps else "")
    warm = []
    for turn in range(WARM_RUNS):
        page = change_one_page(project, (turn + 0.5) / WARM_RUNS * 0.9)  # not the middle one
        again = measure("incremental build", "build", "--no-dumps")
        if again and again["mode"] == "incremental":
            warm.append(again["seconds"])
        elif again:
            print(f"  (the rebuild after {page} changed ran as a {again['mode']} build)")
    if warm:
        line(f"incremental, warm ({len(warm)} runs)", f"median {seconds(median(warm))}",
             seconds(full["seconds"]) + " full", ratio(median(warm), full["seconds"]))
        line("  fastest, slowest", f"{seconds(min(warm))}, {seconds(max(warm))}")
    unchanged = measure("rebuild without change", "build", "--no-dumps")
    if unchanged:
        line("rebuild without change", seconds(unchanged["seconds"]))
    start = measure("server start", "start")
    load = measure("load", "load")
    if start:
        line("server start (built store)", seconds(start["seconds"]),
             seconds(load["seconds"]) + " load" if load else "failed",
             ratio(start["seconds"], load["seconds"] if load else None))
        line("  server memory after start", megabytes(start["rss_kb"]))
    return full["seconds"]
