"""factory-boy factories for the domain model. Texts are invented, on neutral topics."""

import factory
from django.contrib.auth.models import Group

from annotations import anchoring
from annotations.models import (
    Article,
    Citation,
    Claim,
    Comment,
    Publisher,
    Role,
    Source,
    User,
    Verdict,
)

PARAGRAPHS = [
    "The city’s bus fleet carried 12.4 million passengers last year, up 8% on the year before.",
    "Officials said 94% of buses ran on time, although riders’ groups put the figure at 81%.",
    "A new route to the hospital opened in May and now carries 3,000 people a day.",
    "The transport authority expects fares to rise by 2.5% in January.",
]


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        """``UserFactory(role=Role.EDITOR)`` puts the user in that role's group."""
        if create and extracted:
            user.groups.add(Group.objects.get(name=Role(extracted).value))
            if extracted == Role.ADMIN:
                user.is_staff = True
                user.save(update_fields=["is_staff"])


class PublisherFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Publisher
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Gazette {n}")
    url = factory.LazyAttribute(lambda p: f"https://{p.name.lower().replace(' ', '-')}.example")


class ArticleFactory(factory.django.DjangoModelFactory):
    """``publisher`` may be given by name: ``ArticleFactory(publisher="Hillside Herald")``
    uses (or makes) the publisher of that name; "" means none."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"City buses carry record numbers ({n})")
    publisher = "Riverside Gazette"
    url = factory.Sequence(lambda n: f"https://gazette.example/news/buses-{n}")
    body = "\n\n".join(PARAGRAPHS)
    raw_text = factory.LazyAttributeSequence(
        lambda article, n: f"{article.title}\n\n{article.body}"
    )
    source_name = factory.Sequence(lambda n: f"article-{n}.txt")

    @classmethod
    def _adjust_kwargs(cls, **kwargs):
        if isinstance(kwargs.get("publisher"), str):
            kwargs["publisher"] = Publisher.objects.named(kwargs["publisher"])
        return kwargs


class VerdictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Verdict
        django_get_or_create = ("label",)

    label = factory.Sequence(lambda n: f"Verdict {n}")
    colour = "#336699"
    rating = 3
    order = factory.Sequence(lambda n: 100 + n)


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    title = factory.Sequence(lambda n: f"Transport statistics bulletin {n}")
    url = factory.Sequence(lambda n: f"https://stats.example/bulletins/{n}")
    publisher = "Office for Transport Statistics"
    kind = Source.Kind.OFFICIAL_STATISTICS


class ClaimFactory(factory.django.DjangoModelFactory):
    """A claim on the first words of the article's body (or of ``part``: headline,
    standfirst) unless ``start``/``end`` are given."""

    class Meta:
        model = Claim

    article = factory.SubFactory(ArticleFactory)
    part = Claim.Part.BODY
    start = 0
    end = factory.LazyAttribute(lambda claim: min(len(claim.article.text_of(claim.part)), 40))
    quote = factory.LazyAttribute(
        lambda claim: claim.article.text_of(claim.part)[claim.start : claim.end]
    )
    prefix = factory.LazyAttribute(
        lambda claim: claim.article.text_of(claim.part)[
            max(0, claim.start - anchoring.CONTEXT_LENGTH) : claim.start
        ]
    )
    suffix = factory.LazyAttribute(
        lambda claim: claim.article.text_of(claim.part)[
            claim.end : claim.end + anchoring.CONTEXT_LENGTH
        ]
    )
    statement = factory.LazyAttribute(lambda claim: f"Checkable: {claim.quote}")
    category = Claim.Category.STATISTIC
    created_by = factory.SubFactory(UserFactory)


class CitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Citation

    claim = factory.SubFactory(ClaimFactory)
    source = factory.SubFactory(SourceFactory)
    relation = Citation.Relation.SUPPORTS
    quote = "Passenger journeys: 12.4 million (2023: 11.5 million)."
    locator = "Table 1"


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    claim = factory.SubFactory(ClaimFactory)
    author = factory.SubFactory(UserFactory)
    body = "Checked the bulletin; the figure matches."
