"""The accepted SSSOM mapping sets, served as they are (each linkset's dcterms:source).

Only the top level of `mappings/` is published: machine candidates under
`mappings/candidates/` are not reviewed and are never served.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, send_from_directory

from .context import site

blueprint = Blueprint("mappings", __name__)

SSSOM_TSV = "text/tab-separated-values"  # Flask adds the charset of a text type


@blueprint.get("/mappings/<name>.sssom.tsv")
def mapping_set(name: str) -> Response:
    folder = (site().settings.project_dir / "mappings").resolve()
    try:
        found = (folder / f"{name}.sssom.tsv").is_file()
    except OSError:  # e.g. a name longer than the file system allows
        found = False
    if "/" in name or name.startswith(".") or not found:
        abort(404)
    return send_from_directory(folder, f"{name}.sssom.tsv", mimetype=SSSOM_TSV,
                               conditional=True, max_age=3600)
