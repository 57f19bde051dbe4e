from django.contrib import admin
from django.urls import include, path
from django.views import defaults

from api.api import api
from api.errors import problem
from core import pages
from core.health import health
from core.middleware import NulCharacter
from grants import setup_urls
from grants import urls as grants_urls
from grants.views import money_glossary
from projects import payment_views, setup_views
from projects import urls as projects_urls
from reports.home_views import home, spend_returns_due, spend_returns_to_review
from reports.search_views import search_page
from reports.views import dashboard

urlpatterns = [
    path("", home, name="home"),
    path("health/", health, name="health"),
    path("help/money/", money_glossary, name="money-glossary"),
    path("search/", search_page, name="search"),
    # What waits for officers on their home page's task list: each return is reviewed on its allocation's page.
    path("spend-returns/to-review/", spend_returns_to_review, name="spend-returns-to-review"),
    path("spend-returns/due/", spend_returns_due, name="spend-returns-due"),
    # The pages every public-sector service must have, linked from every page's footer.
    path(
        "",
        include(
            (
                [
                    path("help/", pages.help_page, name="help"),
                    path("accessibility/", pages.accessibility, name="accessibility"),
                    path("cookies/", pages.cookies, name="cookies"),
                    path("privacy/", pages.privacy, name="privacy"),
                ],
                "pages",
            )
        ),
    ),
    # The message log (/messages/) and each person's choices of messages (/account/messages/).
    path("", include("notifications.urls")),
    path("account/api-tokens/", include("api.urls")),
    path("account/", include("accounts.urls")),
    # The staff dashboard reads the whole programme, so it lives in reports/; it keeps its
    # path and its name in the projects namespace, added here because projects sits below reports.
    path(
        "projects/",
        include(
            ([path("dashboard/", dashboard, name="dashboard"), *projects_urls.urlpatterns], projects_urls.app_name)
        ),
    ),
    # Money pages that read milestones live in projects/ (projects stand above the money) and keep
    # their paths and names in the grants namespace, added here.
    path(
        "grants/",
        include(
            (
                [
                    *grants_urls.urlpatterns,
                    path("new/<int:project_pk>/", payment_views.grant_create, name="create"),
                    path("allocations/<int:allocation_pk>/", payment_views.allocation_detail, name="allocation"),
                    path(
                        "allocations/<int:allocation_pk>/payments/new/",
                        payment_views.payment_create,
                        name="payment-create",
                    ),
                    path("payments/waiting/", payment_views.payments_waiting, name="payments-waiting"),
                    path("milestones/<int:milestone_pk>/pay/", payment_views.milestone_pay, name="milestone-pay"),
                ],
                grants_urls.app_name,
            )
        ),
    ),
    # Setting up the programme: its programmes, rounds and organisations (grants/), and the pages that also
    # read the work (an organisation's projects, the themes), which live in projects/ and keep their names here.
    path(
        "setup/",
        include(
            (
                [
                    *setup_urls.urlpatterns,
                    path(
                        "organisations/<int:organisation_pk>/",
                        setup_views.organisation_detail,
                        name="organisation",
                    ),
                    path("themes/", setup_views.theme_list, name="themes"),
                    path("themes/new/", setup_views.theme_create, name="theme-create"),
                    path("themes/<int:theme_pk>/edit/", setup_views.theme_edit, name="theme-edit"),
                ],
                setup_urls.app_name,
            )
        ),
    ),
    path("evaluations/", include("evaluations.urls")),
    path("exports/", include("reports.project_exports")),
    path("reports/impact/", include("reports.impact_urls")),
    path("reports/", include("reports.urls")),
    path("publish/", include("publish.urls")),
    path("imports/", include("imports.urls")),
    path("downloads/", include("downloads.urls")),
    path("", include("people.urls")),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]


# Django's own refusals (a NUL character refused by core.middleware, an address that matches nothing, a
# failure before a view runs) answer the API's clients in the API's one shape, an RFC 9457 problem; the
# pages keep their GOV.UK error pages.
def _in_the_api(request) -> bool:
    return request.path.startswith("/api/")


def bad_request(request, exception):
    if _in_the_api(request):
        # The NUL refusal says what to change; any other (a bad host header, say) says no more than that it was refused.
        reason = (
            "a NUL character is not allowed in the address, query or form fields"
            if isinstance(exception, NulCharacter)
            else ""
        )
        return problem(400, f"The request was refused: {reason}." if reason else "The request was refused.")
    return defaults.bad_request(request, exception)


def page_not_found(request, exception):
    if _in_the_api(request):
        return problem(404, "There is nothing at this address. The operations are listed at /api/v1/docs.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _in_the_api(request):
        return problem(500, "Something went wrong on our side. Try again later.")
    return defaults.server_error(request)


handler400 = bad_request
handler404 = page_not_found
handler500 = server_error
