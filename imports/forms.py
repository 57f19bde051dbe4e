from django import forms
from django.conf import settings

from core.forms import GovukForm
from core.uploads import describe_size


class UploadForm(GovukForm):
    file = forms.FileField(
        label="Upload the completed workbook",
        widget=forms.FileInput(attrs={"accept": ".xlsx"}),
        error_messages={
            "required": "Select the completed workbook",
            "empty": "The selected file is empty",
            "invalid": "Select the completed workbook",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[
            "file"
        ].help_text = (
            f"The template saved as an Excel Workbook (.xlsx), smaller than {describe_size(settings.UPLOAD_MAX_BYTES)}."
        )
