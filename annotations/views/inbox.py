"""The inbox: notifications about claims (assigned, awaiting review, sent back, approved,
mentions, comments), the header's unread badge, e-mail settings and the people a comment can
mention."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from annotations.forms import NotificationSettingsForm
from annotations.htmx import HtmxHttpRequest
from annotations.models import Notification, NotificationSettings, User
from annotations.roles import reviewer_required

MENTION_SUGGESTIONS = 8


@reviewer_required
@require_GET
@vary_on_headers("HX-Request")
def inbox(request: HtmxHttpRequest) -> HttpResponse:
    """The person's notifications, newest first; the header's badge asks here for its count."""
    mine = Notification.objects.filter(recipient=request.user)
    if request.htmx.target == "inbox-badge":
        context = {"unread": mine.badge()}
        return render(request, "annotations/notifications/inbox.html#inbox-badge", context)
    context = {
        "page": mine.inbox_page(
            older=request.GET.get("older", ""), newer=request.GET.get("newer", "")
        ),
        "open_prefix": reverse("annotations:notification-open", args=[0]).removesuffix("0/"),
    }
    if request.htmx.target == "inbox-list":
        return render(request, "annotations/notifications/inbox.html#inbox-list", context)
    return render(request, "annotations/notifications/inbox.html", context)


@reviewer_required
@require_POST
def notification_open(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read and go to its claim."""
    notification = get_object_or_404(Notification, recipient=request.user, pk=pk)
    Notification.objects.filter(pk=notification.pk).mark_read()
    return redirect(notification.get_absolute_url())


@reviewer_required
@require_POST
def inbox_mark_all_read(request: HtmxHttpRequest) -> HttpResponse:
    count = Notification.objects.filter(recipient=request.user).mark_read()
    messages.success(request, f"{count} marked read." if count else "Nothing was unread.")
    return redirect("annotations:inbox")


@reviewer_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HtmxHttpRequest) -> HttpResponse:
    initial = {"email_kinds": NotificationSettings.email_kinds_of(request.user)}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        NotificationSettings.objects.update_or_create(
            user=request.user, defaults={"email_kinds": form.cleaned_data["email_kinds"]}
        )
        messages.success(request, "E-mail settings saved.")
        return redirect("annotations:notification-settings")
    return render(
        request,
        "annotations/notifications/settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )


@reviewer_required
@require_GET
def people_search(request: HtmxHttpRequest) -> HttpResponse:
    """Who can be mentioned: people with a role whose user name starts with ``q``."""
    typed = request.GET.get("q", "").strip()[:150]
    people = User.objects.able_to_review().filter(username__istartswith=typed)
    people = list(people.order_by("username")[:MENTION_SUGGESTIONS])
    return render(request, "annotations/notifications/people.html", {"people": people})
