from django import forms
from django.db import models
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    """Admin with a History page listing who changed what, when, and which fields."""

    # A copy of simple_history's list without its inline style attribute (the CSP forbids it).
    object_history_list_template = "admin/annotations/object_history_list.html"
    history_list_per_page = 50
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    class Media:
        css = {"all": ["annotations/admin.css"]}


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
