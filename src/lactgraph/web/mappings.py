"""The accepted SSSOM mapping sets, served as they are (each linkset's dcterms:source).

What is served is what the last build checked and made the links from, copied into
`<graph>/mappings/` (`links.publish_mapping_sets`): not `mappings/` as it is now, which a
curator may have edited, or filled with a file a build refused. Machine candidates under
`mappings/candidates/` are not reviewed and are never copied.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort

from ..links import MAPPINGS_FOLDER
from .context import site
from .preconditions import send_conditional

blueprint = Blueprint("mappings", __name__)

SSSOM_TSV = "text/tab-separated-values"  # Flask adds the charset of a text type


@blueprint.get("/mappings/<name>.sssom.tsv")
def mapping_set(name: str) -> Response:
    folder = (site().settings.graph_path / MAPPINGS_FOLDER).resolve()
    try:
        found = (folder / f"{name}.sssom.tsv").is_file()
    except OSError:  # e.g. a name longer than the file system allows
        found = False
    if "/" in name or name.startswith(".") or not found:
        abort(404)
    return send_conditional(folder / f"{name}.sssom.tsv", mimetype=SSSOM_TSV, max_age=3600)
