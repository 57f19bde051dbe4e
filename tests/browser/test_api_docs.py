"""The API's documentation (/api/v1/docs, Swagger UI from django-ninja's own static files) in headless
Chromium: it renders every operation of the served description, with no console error and no breach of
the service's content security policy, which allows only the site's own scripts and styles."""

import pytest

pytestmark = pytest.mark.django_db(transaction=True)

# Each breach of the content security policy, recorded by the page itself before any of its own scripts
# run, so that a blocked inline style or script is counted even when the console says nothing.
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || 'inline'} in ${event.sourceFile}:${event.lineNumber}`);
});
"""


def test_the_api_docs_list_every_operation_with_no_console_error_or_csp_violation(browser, live_server, client):
    description = client.get("/api/v1/openapi.json").json()
    operations = [
        (method.upper(), path)
        for path, item in description["paths"].items()
        for method in item
        if method in ("get", "put", "post", "patch", "delete")
    ]
    assert operations, "the served description has no operations"

    context = browser.new_context(base_url=live_server.url)
    errors = []
    try:
        context.add_init_script(RECORD_CSP_VIOLATIONS)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        response = page.goto("/api/v1/docs")
        assert response.ok
        assert "script-src 'self'" in response.headers["content-security-policy"]  # the service's own policy
        first_method, first_path = operations[0]
        page.locator(".opblock-summary-path", has_text=first_path).first.wait_for(timeout=15_000)
        shown = {
            (method.strip().upper(), path.strip().replace("\u200b", ""))
            for method, path in page.eval_on_selector_all(
                ".opblock-summary",
                "blocks => blocks.map(b => [b.querySelector('.opblock-summary-method').textContent,"
                " b.querySelector('.opblock-summary-path').getAttribute('data-path')])",
            )
        }
        violations = page.evaluate("window.__cspViolations")
    finally:
        context.close()
    assert set(operations) <= shown, f"operations missing from the docs page: {set(operations) - shown}"
    assert errors == []
    assert violations == []
