from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """Admin with a History page listing who changed what, when, and which fields."""

    # A copy of simple_history's list without its inline style attribute (the CSP forbids it).
    object_history_list_template = "admin/annotations/object_history_list.html"
    history_list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        css = {"all": ["annotations/admin.css"]}

    def action_checkbox(self, obj):
        # Django draws each row's checkbox through the form renderer's widget templates: 40 %
        # of the rows' drawing in the source list of the 2,000,000-claim desk (make
        # bench-scale, "admin source list"). The same HTML, written directly
        # (tests/test_admin.py compares the two).
        label = format_html(_("Select this object for an action - {}"), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class PageOfRowsFormSet(BaseInlineFormSet):
    """The rows of a read-only inline, a page of them: a source cited 5,000 times listed every
    citation, two form fields each, so its page took seconds and its form could not be saved
    (Django refuses a POST of more than ``DATA_UPLOAD_MAX_NUMBER_FIELDS``)."""

    rows_shown = 50
    rows_total = 0

    def get_queryset(self):
        if not hasattr(self, "_page_of_rows"):
            rows = super().get_queryset()
            page = list(rows[: self.rows_shown + 1])
            more = len(page) > self.rows_shown
            self.rows_total = rows.count() if more else len(page)
            self._page_of_rows = page[: self.rows_shown]
            for row in self._page_of_rows:  # each row's own object is the page's (one query)
                self.fk.set_cached_value(row, self.instance)
        return self._page_of_rows


class PageOfRowsInline(admin.TabularInline):
    """A read-only list of what uses an object: a page of rows in ``rows_order``, a line saying
    how many there are, and a link to all of them in their own admin list."""

    template = "admin/annotations/edit_inline/page_of_rows.html"
    formset = PageOfRowsFormSet
    extra = 0
    can_delete = False
    rows_order: list[str] = []
    rows_caption = "The first {shown} of {total}."

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        return rows.order_by(*self.rows_order) if self.rows_order else rows

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        lookup = urlencode({f"{formset.fk.name}__id__exact": obj.pk if obj else ""})
        caption = self.rows_caption

        class PageOfRows(formset):
            all_rows_url = f"{changelist}?{lookup}"

            def rows_caption(self):
                return caption.format(shown=self.rows_shown, total=self.rows_total)

        return PageOfRows


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files in one field (an upload form's list of files)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else single(data, initial)


class VersionCheckedForm(forms.ModelForm):
    """An admin form that carries the version its object was loaded at (the model's ``save``
    raises ``version`` on every save): a save based on an older version is refused, nothing
    written, and the newer values are shown beside what was typed, as on the app's pages. The
    admin's fieldsets must name ``version`` (a hidden field)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].initial = self.instance.version
        self.stale = None

    def clean(self):
        cleaned = super().clean()
        if self.instance._state.adding:
            return cleaned
        model = type(self.instance)
        # Locked until the admin's request ends (its change view runs in one transaction), so
        # nobody saves between this check and the save.
        stored = model.objects.select_for_update().filter(pk=self.instance.pk).first()
        if stored is not None and cleaned.get("version") != stored.version:
            self.stale = stored
            # Shown again on the newer version: saving it now, having seen theirs, is deliberate.
            self.data = self.data.copy()
            self.data[self.add_prefix("version")] = stored.version
            theirs = format_html_join(
                "",
                "<li>{}: {}</li>",
                (
                    (model._meta.get_field(name).verbose_name.capitalize(), value)
                    for name, value in self._shown_values(stored)
                ),
            )
            raise ValidationError(
                format_html(
                    "Someone else changed this {} while you were editing it; nothing was "
                    "changed. Their version ({}) is below; your values are still in the form: "
                    "check them and save again.<ul>{}</ul>",
                    model._meta.verbose_name,
                    stored.version,
                    theirs,
                ),
                code="stale",
            )
        return cleaned

    def _shown_values(self, stored):
        # The form's own fields (the admin's read-only ones are not in it).
        for name in self.fields:
            if name == "version":
                continue
            display = getattr(stored, f"get_{name}_display", None)
            value = display() if display else getattr(stored, name)
            yield name, "—" if value in (None, "") else value
