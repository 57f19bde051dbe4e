"""What the API writes: spend returns, milestone evidence, payments and recoveries, through the same services as
the pages."""

from ninja import Router

router = Router()
