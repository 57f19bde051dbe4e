"""Forms that render as the GOV.UK Design System expects: classes on every
widget, error classes and aria-describedby when a field has an error."""

from django import forms
from django.forms.renderers import TemplatesSetting

from core.fields import GovukDateInput

_WIDGET_CLASSES = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.ClearableFileInput: "govuk-file-upload",
    forms.FileInput: "govuk-file-upload",
    forms.CheckboxInput: "govuk-checkboxes__input",
    forms.RadioSelect: "govuk-radios__input",
    forms.CheckboxSelectMultiple: "govuk-checkboxes__input",
}
_ERROR_CLASSES = {
    "govuk-input": "govuk-input--error",
    "govuk-textarea": "govuk-textarea--error",
    "govuk-select": "govuk-select--error",
    "govuk-file-upload": "govuk-file-upload--error",
}


class LabelledChoices(forms.models.ModelChoiceIterator):
    """A model's choices read as (key, label) pairs straight from the column its ``choice_label`` names, rather
    than as whole objects, when the field labels a choice by the object's ``str`` (which must be that column):
    a select of every organisation is hundreds of objects otherwise, built on every form that offers one.
    Any other field, or a model without ``choice_label``, gets whole objects, as Django gives them, but read
    in one query: Django reads them through ``QuerySet.iterator()``, which on PostgreSQL is a server-side
    cursor, three round trips to the database for a list of a few rows."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        column = getattr(self.queryset.model, "choice_label", None)
        labelled_by_str = getattr(self.field.label_from_instance, "__func__", None) is (
            forms.ModelChoiceField.label_from_instance
        )
        if column is not None and labelled_by_str:
            yield from self.queryset.values_list("pk", column)
        else:
            yield from (self.choice(obj) for obj in self.queryset.all())


class GovukRenderer(TemplatesSetting):
    field_template_name = "govuk/field.html"
    form_template_name = "govuk/form.html"


class GovukFormMixin:
    default_renderer = GovukRenderer

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.iterator = LabelledChoices
                field.widget.choices = field.choices  # the widget kept an iterator of the field's first class
            widget = field.widget
            if isinstance(widget, GovukDateInput):
                continue  # its three boxes carry their own classes
            css = next((c for w, c in _WIDGET_CLASSES.items() if isinstance(widget, w)), "govuk-input")
            if isinstance(widget, forms.NumberInput | forms.DateInput) and "govuk-input--width" not in css:
                css = "govuk-input govuk-input--width-10"
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()

    def full_clean(self):
        super().full_clean()
        self._style_errors()

    def add_error(self, field, error):
        # Also styles errors added after validation, e.g. a rule a service refused.
        super().add_error(field, error)
        if hasattr(self, "cleaned_data"):
            self._style_errors()

    def _style_errors(self):
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            if isinstance(widget, GovukDateInput):
                # The boxes a message is about are marked: all three unless it names some.
                first = self.errors.as_data()[name][0]
                widget.error_parts = tuple(getattr(first, "parts", ()))
                continue
            classes = widget.attrs.get("class", "").split()
            missing = [_ERROR_CLASSES[c] for c in classes if c in _ERROR_CLASSES and _ERROR_CLASSES[c] not in classes]
            widget.attrs["class"] = " ".join(classes + missing)
            bound = self[name]
            described = [f"{bound.auto_id}_helptext"] if bound.help_text else []
            widget.attrs["aria-describedby"] = " ".join([*described, f"{bound.id_for_label}-error"])


class GovukForm(GovukFormMixin, forms.Form):
    pass


class GovukModelForm(GovukFormMixin, forms.ModelForm):
    pass


def show_refusal(form, error, field=None):
    """Put a service's refusal (a ValidationError) on the form: on the field it names where the form
    has that field, otherwise on ``field`` or the form as a whole."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(field, error.messages)
