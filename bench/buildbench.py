"""Build benchmark: full build, incremental rebuild after one change, no-op rebuild, and
server start; each against a baseline measured in the same run.

- full build (seconds, peak memory) against what the build did before (rdflib graph,
  pyshacl on the whole graph, rdflib's Turtle writer), run only up to --baseline-max
  products (it takes minutes at 5,000 and would take hours at 50,000);
- incremental rebuild after one entry page changed, against the full build;
- server start from the store the build left, against loading graph/ into a new store.
"""

from __future__ import annotations

import shutil

from bench.common import Project, child, line, megabytes, ratio, seconds


def change_one_page(project: Project) -> str:
    """Replace one source (a link to the corpus) by an edited copy, as a curator's update:
    a page gets a new date of last update; an export file, a longer commentary in its
    first record."""
    sources = sorted((project.folder / "sources").iterdir())
    page = sources[len(sources) // 2]
    text = page.read_text("utf-8")
    page.unlink()
    if text.startswith("Last update"):
        _, _, rest = text.partition("\n")
        text = f"Last update Dec. 31, 2025\n{rest}"
    else:
        text = text.replace('"comentario_en": "', '"comentario_en": "Reviewed. ', 1)
    page.write_text(text, "utf-8")
    return page.name


def run(project: Project, jobs: int, baseline_max: int, timeout: float) -> dict:
    print(f"\n== build: {project.products} products ({jobs} jobs)", flush=True)
    shutil.rmtree(project.graph, ignore_errors=True)
    shutil.rmtree(project.folder / ".lactgraph-cache", ignore_errors=True)
    results: dict[str, dict] = {}
    old = None
    if project.products <= baseline_max:
        old = child("child", "baseline", str(project.folder), cwd=project.folder,
                    timeout=timeout)
        results["baseline"] = old
    full = results["full"] = child("child", "build", str(project.folder), "--jobs", str(jobs),
                                   cwd=project.folder, timeout=timeout)
    if "error" in full:
        print(f"  full build failed: {full['error']}")
        return results
    old_seconds = old.get("seconds") if old and "error" not in old else None
    line("full build", seconds(full["seconds"]), seconds(old_seconds) if old else
         "skipped", ratio(full["seconds"], old_seconds))
    line("  peak memory", megabytes(full["rss_kb"]),
         megabytes(old.get("rss_kb")) if old and "error" not in old else "",
         ratio(full["rss_kb"], old.get("rss_kb")) if old and "error" not in old else "")
    if old and "error" in old:
        print(f"  (baseline: {old['error']})")
    line("  Turtle written", f"{full['bytes'] / 2**20:.0f} MB")
    changed = change_one_page(project)
    incremental = results["incremental"] = child("child", "build", str(project.folder),
                                                 "--jobs", str(jobs), cwd=project.folder,
                                                 timeout=timeout)
    if "error" in incremental:
        print(f"  incremental build failed: {incremental['error']}")
    line(f"incremental ({changed[:20]})", seconds(incremental.get("seconds")),
         seconds(full["seconds"]), ratio(incremental.get("seconds"), full["seconds"]))
    line("  units rewritten, nodes validated",
         f"{incremental.get('units')}, {incremental.get('validated')}")
    line("  peak memory", megabytes(incremental.get("rss_kb")))
    unchanged = results["unchanged"] = child("child", "build", str(project.folder),
                                             cwd=project.folder, timeout=timeout)
    line("rebuild without change", seconds(unchanged.get("seconds")))
    start = results["start"] = child("child", "start", str(project.folder), cwd=project.folder)
    load = results["load"] = child("child", "load", str(project.folder), cwd=project.folder,
                                   timeout=timeout)
    line("server start (built store)", seconds(start.get("seconds")),
         seconds(load.get("seconds")) + " load", ratio(start.get("seconds"),
                                                        load.get("seconds")))
    line("  server memory after start", megabytes(start.get("rss_kb")))
    return results
