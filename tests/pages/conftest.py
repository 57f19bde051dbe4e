"""Helpers for walking pages as a user would: the links a page offers, and every page reachable from one."""

import re
from collections import deque

HREF = re.compile(r'<a [^>]*href="([^"#]*)(?:#[^"]*)?"')


def links_on(html: str) -> list[str]:
    """The service's own pages a page links to (not static files, other sites or mail)."""
    return [
        href.replace("&amp;", "&")
        for href in HREF.findall(html)
        if href.startswith("/") and not href.startswith(("/assets/", "//"))
    ]


def walk(client, start: str, limit: int = 80):
    """Yield (page, response) for every page reachable from ``start`` by its links, each fetched once:
    the pages a user can click through to, at most ``limit`` of them."""
    seen, queue = {start}, deque([start])
    for _ in range(limit):
        if not queue:
            return
        page = queue.popleft()
        response = client.get(page)
        yield page, response
        if response.status_code in (301, 302) and response.url.startswith("/") and response.url not in seen:
            seen.add(response.url)
            queue.append(response.url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        for link in links_on(response.content.decode()):
            if link not in seen:
                seen.add(link)
                queue.append(link)
