"""The site's form renderer: every Django and allauth form lays out its
fields with templates/forms/ (label, input, help, then that field's errors
right below it), not Django's default of errors above the label."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"
