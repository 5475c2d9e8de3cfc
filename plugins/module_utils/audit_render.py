# -*- coding: utf-8 -*-
# Copyright (c) skupper.tls contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit report (audit.build_report) as Markdown and as one self-contained HTML page.

The page has no script and no external asset (no URL at all): inline CSS, an inline SVG graph of the
network (sites coloured by their worst finding, links by theirs) and an inline SVG expiry timeline.
Everything shown comes from the report, which holds no key material; every text is HTML-escaped.
"""

from __future__ import annotations

import datetime
import html
import math

COLORS = {"ok": "#2e7d32", "info": "#1565c0", "warning": "#ef6c00", "critical": "#c62828"}
LIGHT = {"ok": "#e8f5e9", "info": "#e3f2fd", "warning": "#fff3e0", "critical": "#ffebee"}
LABEL = {"ok": "OK", "info": "INFO", "warning": "WARNING", "critical": "CRITICAL"}


def _e(value):
    return html.escape("" if value is None else str(value), quote=True)


def _when(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)


def _md_cell(value):
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


# --------------------------------------------------------------------------- Markdown


def markdown(report, limit=50):
    """A short Markdown summary for the task output."""
    s = report["summary"]
    nxt = s.get("next_expiry")
    lines = ["## Skupper TLS audit: %s" % LABEL[s["status"]], "",
             "%d sites, %d links, %d certificates; findings: %d critical, %d warning, %d info (generated %s, warn %d days, fail %d days)."
             % (s["sites"], s["links"], s["certificates"], s["counts"]["critical"], s["counts"]["warning"], s["counts"]["info"],
                report["generated_at"], report["thresholds"]["warn_days"], report["thresholds"]["fail_days"])]
    if nxt:
        lines.append("Next expiry: %s/%s (%s) on %s, in %d days." % (nxt["site"], nxt["secret"], nxt["common_name"], nxt["not_after"], nxt["days_left"]))
    lines += ["", "| link | health | credential trusted | server verified |", "|---|---|---|---|"]
    for link in report["links"]:
        verified = ", ".join("%s %s" % (h, "yes" if ok else "NO") for h, ok in sorted(link["server_verified"].items())) or "-"
        trusted = {True: "yes", False: "NO", None: "-"}[link["credential_trusted"]]
        lines.append("| %s | %s | %s | %s |" % (_md_cell(link["id"]), LABEL[link["health"]], trusted, _md_cell(verified)))
    findings = report["findings"]
    lines.append("")
    if not findings:
        lines.append("No findings: every Secret and Link is healthy.")
    else:
        lines += ["| severity | site | object | check | message |", "|---|---|---|---|---|"]
        for f in findings[:limit]:
            obj = "%s %s/%s" % (f["object"]["kind"], f["object"]["namespace"], f["object"]["name"])
            lines.append("| %s | %s | %s | %s | %s |" % (LABEL[f["severity"]], _md_cell(f["site"]), _md_cell(obj), f["check"], _md_cell(f["message"])))
        if len(findings) > limit:
            lines.append("... %d more findings in the JSON report" % (len(findings) - limit))
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- SVG: link graph


def graph_svg(report, width=620, height=420):
    sites = report["sites"]
    n = max(len(sites), 1)
    cx, cy = width / 2.0, height / 2.0 + 5
    radius = min(width, height) / 2.0 - 80 if n > 1 else 0
    pos = {}
    for i, site in enumerate(sites):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        pos[site["name"]] = (cx + radius * math.cos(angle), cy + radius * math.sin(angle))
    out = ['<svg id="link-graph" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
           'aria-label="Link graph of the Skupper network">' % (width, height, width, height),
           "<defs>"]
    for sev, color in COLORS.items():
        out.append('<marker id="arrow-%s" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
                   '<path d="M 0 0 L 10 5 L 0 10 z" fill="%s"/></marker>' % (sev, color))
    out.append("</defs>")
    node_r = 38
    pairs = set((link["from"], link["to"]) for link in report["links"])
    for link in report["links"]:
        if link["from"] not in pos or link["to"] not in pos:
            continue
        (x1, y1), (x2, y2) = pos[link["from"]], pos[link["to"]]
        dx, dy = x2 - x1, y2 - y1
        dist = math.hypot(dx, dy) or 1
        ux, uy = dx / dist, dy / dist
        shift = 7 if (link["to"], link["from"]) in pairs else 0
        x1, y1, x2, y2 = x1 - uy * shift, y1 + ux * shift, x2 - uy * shift, y2 + ux * shift
        sx, sy, ex, ey = x1 + ux * node_r, y1 + uy * node_r, x2 - ux * (node_r + 3), y2 - uy * (node_r + 3)
        color = COLORS[link["health"]]
        dash = ' stroke-dasharray="8 5"' if link["health"] == "critical" else ""
        out.append('<g class="link" data-link="%s" data-health="%s"><title>%s: %s</title>'
                   '<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="4"%s marker-end="url(#arrow-%s)"/>'
                   % (_e(link["id"]), link["health"], _e(link["id"]), LABEL[link["health"]], sx, sy, ex, ey, color, dash, link["health"]))
        mx, my = (sx + ex) / 2 - uy * 14, (sy + ey) / 2 + ux * 14
        out.append('<text x="%.1f" y="%.1f" class="edge-label" fill="%s">cost %s</text></g>' % (mx, my, color, _e(link.get("cost"))))
    for site in sites:
        x, y = pos[site["name"]]
        health = site["health"]
        out.append('<g class="site" data-site="%s" data-health="%s"><title>%s (namespace %s): %s</title>'
                   '<circle cx="%.1f" cy="%.1f" r="%d" fill="%s" stroke="%s" stroke-width="4"/>'
                   '<text x="%.1f" y="%.1f" class="node-label">%s</text>'
                   '<text x="%.1f" y="%.1f" class="node-sub" fill="%s">%s</text></g>'
                   % (_e(site["name"]), health, _e(site["name"]), _e(site["namespace"]), LABEL[health], x, y, node_r, LIGHT[health], COLORS[health],
                      x, y + 2, _e(site["name"]), x, y + 18, COLORS[health], LABEL[health]))
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- SVG: expiry timeline


def _nice_ticks(start, end):
    span_days = (end - start).days
    ticks = []
    if span_days > 3 * 365:
        year = start.year + 1
        while datetime.datetime(year, 1, 1, tzinfo=datetime.timezone.utc) < end:
            ticks.append((datetime.datetime(year, 1, 1, tzinfo=datetime.timezone.utc), str(year)))
            year += 1
    else:
        month_step = 1 if span_days < 200 else (3 if span_days < 800 else 6)
        y, m = start.year, start.month + 1
        while True:
            if m > 12:
                y, m = y + 1, m - 12
            when = datetime.datetime(y, m, 1, tzinfo=datetime.timezone.utc)
            if when >= end:
                break
            if (m - 1) % month_step == 0:
                ticks.append((when, when.strftime("%b %Y")))
            m += 1
    return ticks


def timeline_svg(report, width=1240):
    certs = report["certificates"]
    now = _when(report["generated_at"])
    warn, fail = report["thresholds"]["warn_days"], report["thresholds"]["fail_days"]
    left, right, top, row = 300, 110, 34, 18
    height = top + max(len(certs), 1) * row + 30
    out = ['<svg id="expiry-timeline" xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" role="img" '
           'aria-label="Certificate expiry timeline">' % (width, height, width, height)]
    if not certs:
        out.append('<text x="10" y="40">no certificates found</text></svg>')
        return "".join(out)
    earliest = min(_when(c["not_after"]) for c in certs)
    latest = max(_when(c["not_after"]) for c in certs)
    start = min(now, earliest) - datetime.timedelta(days=max(3, warn // 4))
    end = max(latest, now + datetime.timedelta(days=2 * warn)) + datetime.timedelta(days=30)
    span = (end - start).total_seconds()
    plot = width - left - right

    def x_of(when):
        return left + plot * (when - start).total_seconds() / span

    bottom = top + len(certs) * row
    out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="#fafafa" stroke="#ddd"/>' % (left, top - 4, plot, bottom - top + 8))
    for when, label in _nice_ticks(start, end):
        x = x_of(when)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#e0e0e0"/><text x="%.1f" y="%d" class="tick">%s</text>'
                   % (x, top - 4, x, bottom + 4, x, bottom + 18, _e(label)))
    for days, sev in ((fail, "critical"), (warn, "warning")):
        x = x_of(now + datetime.timedelta(days=days))
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-dasharray="4 3"/>' % (x, top - 4, x, bottom + 4, COLORS[sev]))
    x_now = x_of(now)
    out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#212121" stroke-width="2"/>' % (x_now, top - 4, x_now, bottom + 4))
    legend = [("#212121", "", "today %s" % report["generated_at"][:10]), (COLORS["warning"], "4 3", "warning: %d days" % warn),
              (COLORS["critical"], "4 3", "critical: %d days" % fail)]
    lx = left
    for color, dash, text in legend:
        out.append('<line x1="%d" y1="12" x2="%d" y2="12" stroke="%s" stroke-width="2"%s/><text x="%d" y="16" class="tick" '
                   'style="text-anchor:start">%s</text>' % (lx, lx + 18, color, ' stroke-dasharray="%s"' % dash if dash else "", lx + 22, _e(text)))
        lx += 40 + 7 * len(text)
    for i, cert in enumerate(certs):
        y = top + i * row
        days = cert["days_left"]
        sev = "critical" if days <= fail else ("warning" if days <= warn else "ok")
        x_end = x_of(_when(cert["not_after"]))
        label = "%s / %s" % (cert["site"], cert["secret"])
        out.append('<g class="cert" data-days="%d"><title>%s %s (%s): expires %s, %d days</title>' % (
            days, _e(cert["site"]), _e(cert["secret"]), _e(cert["common_name"]), _e(cert["not_after"]), days))
        out.append('<text x="%d" y="%d" class="row-label">%s%s</text>' % (left - 8, y + 12, _e(label), " (CA)" if cert["is_ca"] else ""))
        x0 = min(x_now, x_end)
        out.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" rx="3" fill="%s" opacity="0.85"/>'
                   % (x0, y + 3, max(abs(x_end - x_now), 2), row - 6, COLORS[sev]))
        left_text = "%d days" % days if days >= 0 else "expired %d days ago" % -days
        out.append('<text x="%.1f" y="%d" class="days">%s</text></g>' % (max(x_end, x_now) + 4, y + 12, _e(left_text)))
    out.append("</svg>")
    return "".join(out)


# --------------------------------------------------------------------------- HTML page


CSS = """
body{font-family:-apple-system,'Segoe UI',Roboto,'DejaVu Sans',Arial,sans-serif;margin:0;background:#f4f5f7;color:#212121}
header{background:#263238;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:24px;font-weight:600}
header p{margin:4px 0 0;color:#b0bec5;font-size:13px}
main{padding:20px 32px}
.cards{display:flex;gap:14px;flex-wrap:wrap;margin-bottom:18px}
.card{background:#fff;border-radius:8px;padding:12px 18px;box-shadow:0 1px 3px rgba(0,0,0,.12);min-width:150px}
.card .v{font-size:22px;font-weight:600}
.card .k{font-size:12px;color:#607d8b;text-transform:uppercase;letter-spacing:.04em}
.status{border-left:8px solid}
section{background:#fff;border-radius:8px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:14px 20px;margin-bottom:18px}
section h2{font-size:17px;margin:0 0 10px}
.row2{display:flex;gap:18px;flex-wrap:wrap}
.row2 > section{flex:1 1 560px;min-width:0}
.nowrap{white-space:nowrap}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;background:#eceff1;padding:6px 8px;font-weight:600}
td{padding:5px 8px;border-top:1px solid #eceff1;vertical-align:top}
td.path{word-break:break-all;font-size:12px}
.sev{white-space:nowrap}
#findings td:not(.msg){white-space:nowrap}
.sev{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:11px;font-weight:700}
.msg{font-family:'DejaVu Sans Mono',Menlo,monospace;font-size:12px}
.none{color:#2e7d32;font-weight:600;padding:8px 0}
.node-label{font-size:15px;font-weight:700;text-anchor:middle;fill:#212121}
.node-sub{font-size:10px;font-weight:700;text-anchor:middle}
.edge-label{font-size:11px;text-anchor:middle}
.tick{font-size:11px;fill:#616161;text-anchor:middle}
.row-label{font-size:11.5px;text-anchor:end;fill:#37474f}
.days{font-size:11px;fill:#424242}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:12px;height:12px;border-radius:6px;margin-right:4px;vertical-align:-1px}
details summary{cursor:pointer;font-weight:600;margin:4px 0}
footer{color:#78909c;font-size:12px;padding:0 32px 24px}
"""


def _badge(sev):
    return '<span class="sev" style="background:%s">%s</span>' % (COLORS[sev], LABEL[sev])


def _legend():
    return '<div class="legend">%s</div>' % "".join('<span><i style="background:%s"></i>%s</span>' % (COLORS[s], LABEL[s]) for s in COLORS)


def _findings_table(findings):
    if not findings:
        return '<p class="none" id="no-findings">No findings: every Secret and Link of every site is healthy.</p>'
    rows = ['<table id="findings"><tr><th>severity</th><th>site</th><th>object</th><th>check</th><th>message</th></tr>']
    for f in findings:
        obj = f["object"]
        rows.append('<tr class="finding" data-severity="%s" style="background:%s"><td>%s</td><td>%s</td><td>%s<br>%s/%s</td><td>%s</td>'
                    '<td class="msg">%s%s</td></tr>'
                    % (f["severity"], LIGHT[f["severity"]], _badge(f["severity"]), _e(f["site"]), _e(obj["kind"]), _e(obj["namespace"]),
                       _e(obj["name"]), _e(f["check"]), _e(f["message"]), ("<br><small>%s</small>" % _e(f["reference"])) if f.get("reference") else ""))
    rows.append("</table>")
    return "".join(rows)


def _links_table(links):
    rows = ["<table id=\"links\"><tr><th>link</th><th>health</th><th>credential trusted by peer</th><th>peer server verified for</th>"
            "<th>live handshakes</th></tr>"]
    for link in links:
        verified = ", ".join("%s %s" % (_e(h), "&#10003;" if ok else "&#10007;") for h, ok in sorted(link["server_verified"].items())) or "-"
        shakes = link.get("handshakes")
        live = "%d/%d passed" % (sum(1 for h in shakes if h.get("ok")), len(shakes)) if shakes else "not run"
        trusted = {True: "&#10003; yes", False: "&#10007; no", None: "-"}[link["credential_trusted"]]
        rows.append("<tr><td class=\"nowrap\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                    % (_e(link["id"]).replace("-&gt;", " &rarr; "), _badge(link["health"]), trusted, verified, _e(live)))
    if not links:
        rows.append('<tr><td colspan="5">no links</td></tr>')
    rows.append("</table>")
    return "".join(rows)


def _sites_table(sites):
    rows = ["<table id=\"sites\"><tr><th>site</th><th>health</th><th>namespace</th><th>Skupper</th><th>where</th><th>CA rotation phases</th>"
            "<th>findings</th></tr>"]
    for s in sites:
        moving = dict((k, v) for k, v in s["ca_phases"].items() if v != "steady")
        phases = ", ".join("%s: %s" % (k, v) for k, v in sorted(moving.items())) or ("all steady" if s["ca_phases"] else "-")
        counts = ", ".join("%d %s" % (n, k) for k, n in s["counts"].items() if n) or "none"
        rows.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>v%s</td><td class=\"path\">%s</td><td>%s</td><td>%s</td></tr>"
                    % (_e(s["name"]), _badge(s["health"]), _e(s["namespace"]), _e(s["version"]), _e(s.get("store") or s["target"]), _e(phases), _e(counts)))
    rows.append("</table>")
    return "".join(rows)


def _objects_table(objects):
    rows = ["<table id=\"objects\"><tr><th>site</th><th>object</th><th>ownership</th><th>common name</th><th>expires</th><th>days</th>"
            "<th>what Skupper does</th><th>health</th></tr>"]
    for o in objects:
        cert = o.get("certificate") or {}
        sk = o.get("skupper") or {}
        rows.append("<tr><td>%s</td><td>%s %s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>"
                    % (_e(o["site"]), _e(o["kind"]), _e(o["name"]), _e(o.get("ownership")), _e(cert.get("common_name", "")), _e(cert.get("not_after", "")),
                       _e(cert.get("days_left", "")), _e(("%s: %s" % (sk["verdict"], sk["reason"])) if sk else ""), _badge(o["health"])))
    rows.append("</table>")
    return "".join(rows)


def html_page(report, title="Skupper TLS fleet audit"):
    """One self-contained HTML document (no script, no external URL)."""
    s = report["summary"]
    nxt = s.get("next_expiry")
    status = s["status"]
    next_text = ("%s / %s" % (nxt["site"], nxt["secret"]), "%s (%d days)" % (nxt["not_after"][:10], nxt["days_left"])) if nxt else ("-", "")
    cards = [
        '<div class="card status" style="border-color:%s" id="status"><div class="k">status</div><div class="v" style="color:%s">%s</div></div>'
        % (COLORS[status], COLORS[status], LABEL[status]),
        '<div class="card"><div class="k">sites / links</div><div class="v">%d / %d</div></div>' % (s["sites"], s["links"]),
        '<div class="card"><div class="k">certificates</div><div class="v">%d</div></div>' % s["certificates"],
        '<div class="card" id="next-expiry"><div class="k">next expiry</div><div class="v" style="font-size:16px">%s</div><div>%s</div></div>'
        % (_e(next_text[0]), _e(next_text[1])),
        '<div class="card"><div class="k">findings</div><div class="v" style="font-size:16px"><span style="color:%s">%d critical</span> &middot; '
        '<span style="color:%s">%d warning</span> &middot; <span style="color:%s">%d info</span></div></div>'
        % (COLORS["critical"], s["counts"]["critical"], COLORS["warning"], s["counts"]["warning"], COLORS["info"], s["counts"]["info"]),
    ]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>%s</title><style>%s</style></head><body>" % (_e(title), CSS),
        "<header><h1>%s</h1><p>generated %s &middot; schema %s &middot; thresholds: warning at %d days, critical at %d days &middot; "
        "Skupper rules of release %s</p></header><main>"
        % (_e(title), _e(report["generated_at"]), _e(report["schema_version"]), report["thresholds"]["warn_days"], report["thresholds"]["fail_days"],
           _e(report["skupper_release"])),
        '<div class="cards">%s</div>' % "".join(cards),
        '<section><h2>Findings by severity</h2>%s</section>' % _findings_table(report["findings"]),
        '<div class="row2"><section><h2>Network</h2>%s%s</section><section><h2>Links</h2>%s<h2 style="margin-top:16px">Sites</h2>%s</section></div>'
        % (graph_svg(report), _legend(), _links_table(report["links"]), _sites_table(report["sites"])),
        '<section><h2>Expiry timeline</h2>%s</section>' % timeline_svg(report),
        '<section><details><summary>Every object (%d)</summary>%s</details></section>' % (len(report["objects"]), _objects_table(report["objects"])),
        "</main><footer>skupper.tls audit &middot; read-only &middot; no key material or Secret data is shown</footer></body></html>",
    ]
    return "\n".join(parts) + "\n"
