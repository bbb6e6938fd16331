"""The self-contained HTML SLA report: a table and an inline SVG compliance chart."""

from __future__ import annotations

from html import escape

from ..i18n import tr
from ..render import Column

_TITLE = {"en": "SLA report", "ru": "Отчёт об уровне сервиса"}
_CHART = {"en": "Reaction compliance by priority", "ru": "Соблюдение времени реакции"}
_DELAY = {"en": "Client-caused delay, business hours", "ru": "Задержка по вине клиента, рабочих часов"}
_TOTAL = {"en": "Total tickets, reaction compliance", "ru": "Всего заявок, соблюдение реакции"}
_EXT = {"en": "Estimate extensions", "ru": "Продлений оценки срока"}
_BILLABLE = {"en": "Billable work (sccli billing)", "ru": "Платные работы (sccli billing)"}


def _chart(rows: list[dict], lang: str) -> str:
    width, bar_h, gap, left = 520, 26, 12, 90
    height = len(rows) * (bar_h + gap) + gap + 20
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
             f' role="img" aria-label="{escape(_CHART[lang])}">']
    for i, row in enumerate(rows):
        y = gap + i * (bar_h + gap)
        value = row["compliance"]
        share = (value or 0) / 100
        color = "#2e7d32" if (value or 0) >= 95 else "#f9a825" if (value or 0) >= 80 else "#c62828"
        label = "n/a" if value is None else f"{value}%"
        label_text = tr(row["priority"], lang)
        parts.append(f'<text x="0" y="{y + 18}" font-size="14">{escape(label_text)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{width - left - 60}" height="{bar_h}" fill="#eee"/>')
        parts.append(f'<rect x="{left}" y="{y}" width="{(width - left - 60) * share:.1f}"'
                     f' height="{bar_h}" fill="{color}"/>')
        parts.append(f'<text x="{width - 55}" y="{y + 18}" font-size="14">{label}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(data: dict, columns: list[Column], lang: str) -> str:
    rows = data["priorities"]
    head = "".join(f"<th>{escape(c.header(lang))}</th>" for c in columns)
    def cell(row: dict, key: str) -> str:
        value = row.get(key)
        text = "" if value is None else str(tr(value, lang) if key == "priority" else value)
        return f"<td>{escape(text)}</td>"

    body = "".join("<tr>" + "".join(cell(r, c.key) for c in columns) + "</tr>" for r in rows)
    total = data["total"]
    share = "—" if total["compliance"] is None else f"{total['compliance']}%"
    total_html = f"<p><b>{escape(_TOTAL[lang])}</b>: {total['tickets']}, {share}</p>"
    delay = data["client_delay_hours"]
    delay_html = "".join(f"<li>{escape(k)}: {v}</li>" for k, v in delay.items()) or "<li>—</li>"
    title = f"{_TITLE[lang]} {escape(data['month'])}" + (
        f" — {escape(data['client'])}" if data["client"] else "")
    return f"""<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}th{{background:#f5f5f5}}</style>
</head><body>
<h1>{title}</h1>
<h2>{escape(_CHART[lang])}</h2>
{_chart(rows, lang)}
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
{total_html}
<h2>{escape(_DELAY[lang])}</h2><ul>{delay_html}</ul>
<p>{escape(_EXT[lang])}: {data['estimate_extensions']}</p>
<p>{escape(_BILLABLE[lang])}: {escape(", ".join(data.get("billable", [])) or "—")}</p>
</body></html>
"""
