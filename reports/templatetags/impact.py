from django import template

register = template.Library()


@register.filter
def web_charts(report, limit):
    """The report's charts, each of at most ``limit`` results."""
    return report.charts_of_first(int(limit))
