"""What the API reads: each list and object through the same scoped querysets and filters as the pages."""

from ninja import Router

router = Router()
