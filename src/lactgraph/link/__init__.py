"""Links to other drug ontologies: the prefix map, SSSOM mapping sets, the linker, publishing.

Mapping sets in `mappings/*.sssom.tsv` are the source of truth for every link to an outside
IRI; the linker only proposes candidates (`mappings/candidates/`), curators accept or reject
them, and the build publishes the accepted ones. Importing this package is cheap on purpose
(no rdflib, no curies): `vocab` reads the committed prefix map through `link.prefixes`.
"""
