"""Every PDF the service makes comes from one place: a Django template rendered
to HTML and laid out by WeasyPrint on A4.

PDF templates extend ``pdf/base.html``, which sets the page size, the running
footer ("Page x of y"), and table headers that repeat on every page. They are
never served as web pages, so their styles live inside them (the web pages'
Content Security Policy does not apply to a PDF).
"""

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

PDF_CONTENT_TYPE = "application/pdf"


def render_pdf_html(template_name: str, context: dict, request=None) -> str:
    context = {"generated_at": timezone.localtime(), **context}
    return render_to_string(template_name, context, request=request)


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    return HTML(string=html, base_url=base_url).write_pdf()


def render_pdf(template_name: str, context: dict, request=None) -> bytes:
    """The PDF bytes of a template, laid out on A4."""
    return html_to_pdf(render_pdf_html(template_name, context, request))


def pdf_response(template_name: str, context: dict, filename: str, request=None) -> HttpResponse:
    response = HttpResponse(render_pdf(template_name, context, request), content_type=PDF_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
