"""Server-rendered SVG charts (plain text, no browser, no plotting library).

The focus chart draws one horizontal bar per category, its length proportional to the seconds
focused (the longest fills the bar area). Every bar is a ``<rect class="bar">`` carrying
``data-category-id`` (``none`` for sessions without a category), ``data-label`` and
``data-seconds``, so clients and tests can read the numbers back. Text is XML-escaped.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from domain.focus import FocusReport

SVG_MEDIA_TYPE = "image/svg+xml"

WIDTH = 640
MARGIN = 16
LABEL_WIDTH = 190
VALUE_WIDTH = 90
BAR_AREA = WIDTH - 2 * MARGIN - LABEL_WIDTH - VALUE_WIDTH
TOP = 72
ROW = 32
BAR_HEIGHT = 20
LABEL_MAX = 22
DEFAULT_COLOR = "#94a3b8"


def duration(seconds: int) -> str:
    """``1 h 05 min``, ``25 min``, ``40 s``, ``0 min``."""
    hours, minutes = divmod(seconds // 60, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes or not seconds:
        return f"{minutes} min"
    return f"{seconds} s"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def focus_chart(report: FocusReport) -> str:
    bars = report.focus_by_category
    longest = max((bar.seconds for bar in bars), default=0)
    height = TOP + max(len(bars), 1) * ROW + MARGIN
    first_day = report.start.astimezone(report.tz.tzinfo).date().isoformat()
    pomodoros = report.completed_pomodoros
    subtitle = (
        f"{report.period.value.capitalize()} from {first_day} ({report.tz.name}) · "
        f"{duration(report.focus_seconds)} focused · {pomodoros} pomodoro{'s' if pomodoros != 1 else ''} completed"
    )
    parts = [
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
            f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="chart-title" '
            'font-family="system-ui, -apple-system, Segoe UI, sans-serif">'
        ),
        '<title id="chart-title">Focus time by category</title>',
        f'<rect class="background" x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="30" font-size="18" font-weight="600" fill="#0f172a">Focus time by category</text>',
        f'<text x="{MARGIN}" y="52" font-size="12" fill="#475569">{escape(subtitle)}</text>',
    ]
    if not bars:
        parts.append(
            f'<text x="{MARGIN}" y="{TOP + 14}" font-size="13" fill="#64748b">'
            "No categories and no focus time in this period.</text>"
        )
    bar_x = MARGIN + LABEL_WIDTH
    for index, bar in enumerate(bars):
        y = TOP + index * ROW
        length = round(BAR_AREA * bar.seconds / longest, 2) if longest else 0
        ident = "none" if bar.category_id is None else str(bar.category_id)
        color = bar.color or DEFAULT_COLOR
        parts += [
            (
                f'<text x="{bar_x - 8}" y="{y + 15}" font-size="13" text-anchor="end" fill="#0f172a">'
                f"{escape(_short(bar.name))}</text>"
            ),
            (
                f'<rect class="bar" x="{bar_x}" y="{y}" width="{length}" height="{BAR_HEIGHT}" rx="3" '
                f"fill={quoteattr(color)} data-category-id={quoteattr(ident)} data-label={quoteattr(bar.name)} "
                f'data-seconds="{bar.seconds}"/>'
            ),
            (
                f'<text x="{bar_x + length + 6}" y="{y + 15}" font-size="12" fill="#334155">'
                f"{escape(duration(bar.seconds))}</text>"
            ),
        ]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
