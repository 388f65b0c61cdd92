"""Default data every installation starts with: the role groups and a verdict scale.

Used by a data migration (with historical models) and by tests that flush the database.
"""

ROLE_GROUPS = ["Reviewer", "Editor", "Admin"]

# label, colour, ClaimReview rating (None: not on the 1–5 scale), description
DEFAULT_VERDICTS = [
    ("Accurate", "#2e7d32", 5, "The claim is correct and nothing important is missing."),
    ("Mostly accurate", "#7cb342", 4, "Correct in substance, with small errors or omissions."),
    (
        "Missing context",
        "#f9a825",
        3,
        "True as far as it goes, but leaves out what changes its meaning.",
    ),
    ("Misleading", "#ef6c00", 2, "Uses real facts to give a false impression."),
    ("Inaccurate", "#c62828", 1, "The claim is wrong."),
    ("Unverifiable", "#6d6f7b", None, "The evidence needed to check it is not available."),
]


def seed_defaults(group_model, verdict_model) -> None:
    """Create the role groups and default verdicts that do not exist yet."""
    for name in ROLE_GROUPS:
        group_model.objects.get_or_create(name=name)
    for order, (label, colour, rating, description) in enumerate(DEFAULT_VERDICTS, start=1):
        verdict_model.objects.get_or_create(
            label=label,
            defaults={
                "colour": colour,
                "rating": rating,
                "description": description,
                "order": order * 10,
            },
        )
