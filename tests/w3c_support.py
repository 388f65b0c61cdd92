"""Offline checks against the W3C Web Annotation test material (JSON Schemas and context)."""

import json
import re
from functools import cache

from tests.shared_material import W3C_DIR, require

ANNO_CONTEXT_URL = "http://www.w3.org/ns/anno.jsonld"
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
DATE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

# Definitions that every annotation must satisfy (the working group's MUST rules that apply to
# an annotation object), besides the "must" assertion files in w3c-test-definitions/.
ANNOTATION_DEFINITIONS = [
    ("id.json", "idValueFound"),
    ("annotations.json", "annotationTypeValueFound"),
    ("annotations.json", "motivationRecognizedIfPresent"),
    ("annotations.json", "bodyValueValidIfPresent"),
    ("otherProperties.json", "purposeRecognizedIfPresent"),
    ("otherProperties.json", "createdValidIfPresent"),
    ("otherProperties.json", "modifiedValidIfPresent"),
    ("otherProperties.json", "generatedValidIfPresent"),
    ("otherProperties.json", "creatorValidIfPresent"),
    ("otherProperties.json", "generatorValidIfPresent"),
    ("otherProperties.json", "rightsValidIfPresent"),
    ("otherProperties.json", "canonicalValidIfPresent"),
    ("otherProperties.json", "viaValidIfPresent"),
    ("bodyTarget.json", "formatValidIfPresent"),
    ("bodyTarget.json", "languageValidIfPresent"),
    ("bodyTarget.json", "processingLanguageValidIfPresent"),
    ("bodyTarget.json", "textDirectionValidIfPresent"),
    ("specificResource.json", "itemSelectorValidIfPresent"),
    ("specificResource.json", "textQuoteSelectorTypeValidIfPresent"),
    ("specificResource.json", "textPositionSelectorTypeValidIfPresent"),
]
CONTEXT_SCHEMA = {
    "type": "object",
    "required": ["@context", "id", "type", "target"],
    "properties": {
        "@context": {
            "oneOf": [
                {"$ref": "annotations.json#/definitions/contextValueFound"},
                {"$ref": "annotations.json#/definitions/contextValueInArrayFound"},
            ]
        }
    },
}
COLLECTION_DEFINITIONS = [
    ("collections.json", "annotationCollectionTypeValueFound"),
    ("collections.json", "firstValidIfPresent"),
    ("collections.json", "lastValidIfPresent"),
]


def require_material():
    require(W3C_DIR, "the W3C test material")


@cache
def _registry_and_musts():
    from referencing import Registry
    from referencing.jsonschema import DRAFT4

    resources, musts = [], []
    for path in sorted((W3C_DIR / "w3c-json-schemas").glob("*.json")):
        resources.append((path.name, DRAFT4.create_resource(json.loads(path.read_text()))))
    for path in sorted((W3C_DIR / "w3c-test-definitions").glob("*.json")):
        definition = json.loads(path.read_text())
        resources.append((path.name, DRAFT4.create_resource(definition)))
        if definition.get("assertionType") == "must" and definition["expectedResult"] == "valid":
            musts.append(path.name)
    # Nothing is fetched: a $ref outside these files fails instead of going to the network.
    return Registry().with_resources(resources), musts


def _format_checker():
    from jsonschema import FormatChecker

    checker = FormatChecker()
    # Without optional packages jsonschema skips these formats; check them plainly here.
    checker.checks("uri")(lambda value: not isinstance(value, str) or bool(URI.match(value)))
    checker.checks("date-time")(
        lambda value: not isinstance(value, str) or bool(DATE_TIME.match(value))
    )
    return checker


def schema_errors(document: dict, *, collection: bool = False) -> list[str]:
    """Every W3C rule the document breaks (empty when it validates)."""
    from jsonschema import Draft4Validator

    registry, musts = _registry_and_musts()
    if collection:
        refs = [f"{f}#/definitions/{d}" for f, d in COLLECTION_DEFINITIONS]
        schemas = [{"$ref": ref} for ref in refs]
    else:
        refs = [f"{f}#/definitions/{d}" for f, d in ANNOTATION_DEFINITIONS] + musts
        schemas = [{"$ref": ref} for ref in refs] + [CONTEXT_SCHEMA]
    errors = []
    for ref, schema in zip(refs + ["context"], schemas, strict=False):
        validator = Draft4Validator(schema, registry=registry, format_checker=_format_checker())
        errors += [f"{ref}: {error.message}" for error in validator.iter_errors(document)]
    return errors


def local_document_loader(extra: dict | None = None):
    """A pyld document loader that serves the W3C context from disk and refuses the rest."""
    documents = {
        ANNO_CONTEXT_URL: json.loads((W3C_DIR / "w3c-context" / "anno.jsonld").read_text())
    }
    documents.update(extra or {})

    def load(url, options=None):
        if url not in documents:
            raise AssertionError(f"JSON-LD processing tried to fetch {url}")
        return {"contextUrl": None, "documentUrl": url, "document": documents[url]}

    return load
