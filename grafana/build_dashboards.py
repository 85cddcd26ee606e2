#!/usr/bin/env python3
"""Writes grafana/dashboards/*.json: the Grafana JSON model of the proxy911 dashboards.

The dashboards are generated so every panel shares one selector and one style; the JSON files
are committed (that is what users import) and tests/dashboards_and_rules.rs fails if they drift
from this script. Run: python3 grafana/build_dashboards.py
"""
import json
import sys
import pathlib

DS = {"type": "prometheus", "uid": "${datasource}"}
# Every selector filters by target: with one exporter per 911Proxy account there is no `target`
# label, and `target=~".*"` (the variable's All) matches series without it, so the single-target
# case shows everything as before. With a multi-target exporter (/probe?target=NAME, the label
# added by Prometheus' relabelling) the variable picks accounts.
TGT = 'target=~"$target"'
SEL = 'job=~"$job", instance=~"$instance", ' + TGT
ACC = SEL + ', product_type=~"$product_type", account=~"$account"'


def variables(with_account):
    def query(name, label, metric, extra=""):
        return {
            "name": name, "label": label, "type": "query", "datasource": DS,
            "query": {"query": f"label_values({metric}{extra}, {name})", "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "multi": True, "includeAll": True, "allValue": ".*",
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]}, "sort": 1,
        }
    out = [
        {"name": "datasource", "label": "Data source", "type": "datasource", "query": "prometheus",
         "refresh": 1, "hide": 0},
        # First, so every other variable can filter by it (the reverse would be a cycle). No values
        # at all for a single-target exporter: All, `.*`, still matches its unlabelled series.
        query("target", "Target", "proxy911_up"),
        query("job", "Job", "proxy911_up", "{" + TGT + "}"),
        query("instance", "Instance", "proxy911_up", '{job=~"$job", ' + TGT + '}'),
        query("product_type", "Product type", "proxy911_account_info", "{" + SEL + "}"),
    ]
    if with_account:
        out.append(query("account", "Account", "proxy911_account_info",
                         "{" + SEL + ', product_type=~"$product_type"}'))
    return out


class Board:
    def __init__(self):
        self.panels, self.y, self.x, self.row_h, self.next_id = [], 0, 0, 0, 1

    def add(self, title, kind, targets, w=12, h=8, unit=None, description="", options=None, field=None):
        if self.x + w > 24:
            self.x, self.y = 0, self.y + self.row_h
            self.row_h = 0
        defaults = {"unit": unit} if unit else {}
        if field:
            defaults.update(field)
        panel = {
            "id": self.next_id, "type": kind, "title": title, "description": description, "datasource": DS,
            "gridPos": {"x": self.x, "y": self.y, "w": w, "h": h},
            "fieldConfig": {"defaults": defaults, "overrides": []},
            "options": options or {},
            "targets": [dict(t, refId=chr(65 + i), datasource=DS) for i, t in enumerate(targets)],
        }
        self.panels.append(panel)
        self.next_id += 1
        self.x += w
        self.row_h = max(self.row_h, h)


# Legends name the target last: "{{account}} ({{product_type}}) {{target}}" reads
# "near (dynamic_residential_traffic) team-a", and without a target label exactly as before.
T = " {{target}}"


def t(expr, legend="", instant=False, fmt=None):
    target = {"expr": expr, "legendFormat": legend, "range": not instant, "instant": instant}
    if fmt:
        target["format"] = fmt
    return target


def dashboard(uid, title, description, board, with_account):
    return {
        "uid": uid, "title": title, "description": description, "tags": ["proxy911", "911proxy"],
        "editable": True, "graphTooltip": 1, "schemaVersion": 39, "version": 1, "refresh": "1m",
        "time": {"from": "now-24h", "to": "now"}, "timezone": "",
        "templating": {"list": variables(with_account)},
        "annotations": {"list": []},
        "links": [{"title": "proxy911 dashboards", "type": "dashboards", "tags": ["proxy911"], "asDropdown": True,
                   "icon": "external link", "includeVars": True, "keepTime": True, "targetBlank": False, "tooltip": ""}],
        "panels": board.panels,
    }


def overview():
    b = Board()
    table = {"showHeader": True}
    b.add("Exporter up", "stat", [t(f"min by (target) (proxy911_up{{{SEL}}})", "{{target}}", True)], w=4, h=5,
          description="1 when every collector's last refresh of 911Proxy data succeeded, 0 when one failed; one value per target.",
          field={"min": 0, "max": 1})
    b.add("Collector success", "stat", [t(f"proxy911_collector_success{{{SEL}}}", "{{collector}}" + T, True)], w=8, h=5,
          description="Last refresh of each collector: 1 succeeded, 0 failed.")
    b.add("Cache age", "timeseries", [t(f"proxy911_collector_cache_age_seconds{{{SEL}}}", "{{collector}}" + T)], w=12, h=5, unit="s",
          description="Age of the cached data each collector serves.")
    b.add("Upstream requests by outcome", "timeseries",
          [t(f"sum by (target, outcome) (rate(proxy911_upstream_requests_total{{{SEL}}}[$__rate_interval]))", "{{outcome}}" + T)], unit="reqps",
          description="Requests to the 911Proxy API; anything but success is an error (retries included).")
    b.add("Upstream error ratio", "timeseries",
          [t(f"(sum by (target) (rate(proxy911_upstream_requests_total{{{SEL}, outcome!=\"success\"}}[$__rate_interval])) or 0 * sum by (target) (rate(proxy911_upstream_requests_total{{{SEL}}}[$__rate_interval]))) / sum by (target) (rate(proxy911_upstream_requests_total{{{SEL}}}[$__rate_interval]))", "errors" + T)],
          w=6, unit="percentunit", description="Share of upstream requests that failed (timeouts, HTTP errors, refusals, undecodable answers).")
    b.add("Upstream refusals by reason", "timeseries",
          [t(f"sum by (target, reason) (increase(proxy911_upstream_api_errors_total{{{SEL}}}[$__rate_interval]))", "{{reason}}" + T)],
          w=6, description="Refusals in the answer envelope: invalid_app_key (code 3), not_real_name_authenticated (code 156), other.")
    b.add("Upstream latency p95", "timeseries",
          [t(f"histogram_quantile(0.95, sum by (le, target, endpoint) (rate(proxy911_upstream_request_duration_seconds_bucket{{{SEL}}}[$__rate_interval])))", "{{endpoint}}" + T)], unit="s")
    b.add("Upstream schema drift", "timeseries",
          [t(f"sum by (target, endpoint) (increase(proxy911_upstream_items_skipped_total{{{SEL}}}[$__rate_interval]))", "{{endpoint}}: items skipped" + T),
           t(f"sum by (target, endpoint, field) (increase(proxy911_upstream_fields_defaulted_total{{{SEL}}}[$__rate_interval]))", "{{endpoint}}: {{field}} defaulted" + T)],
          field={"min": 0},
          options={"legend": {"showLegend": True, "displayMode": "table", "placement": "bottom", "calcs": ["max"],
                              "sortBy": "Max", "sortDesc": True},
                   "tooltip": {"mode": "multi", "sort": "desc"}},
          description="Parts of the 911Proxy API's answers the exporter could not read, counted on every refresh. "
                      "Items skipped: list entries that were not JSON objects; they are left out and the rest of the list is kept. "
                      "Defaulted: a known field (named in the legend) came with a value of the wrong type or out of range; "
                      "the label it feeds reads `unknown`, or the sample it holds is left out for that item, never shown as 0. "
                      "All lines at 0 is normal. Above 0, the API changed its answers: what the dashboards show is still true "
                      "but incomplete. See the Proxy911UpstreamSchemaDrift runbook and run `proxy911-exporter check`.")
    b.add("Accounts enabled", "stat", [t(f"sum by (target) (proxy911_account_enabled{{{SEL}, product_type=~\"$product_type\"}})", "{{target}}", True)], w=6, h=5)
    b.add("Accounts disabled", "stat", [t(f"count by (target) (proxy911_account_enabled{{{SEL}, product_type=~\"$product_type\"}} == 0)", "{{target}}", True)], w=6, h=5)
    b.add("Accounts above 90% of their limit", "table",
          [t(f"proxy911_account_traffic_used_bytes_total{{{SEL}, product_type=~\"$product_type\"}} / proxy911_account_traffic_limit_bytes{{{SEL}, product_type=~\"$product_type\"}} > 0.9", "", True, "table")],
          w=12, h=5, unit="percentunit", options=table, description="Unlimited accounts never appear here.")
    b.add("Top 10 accounts by traffic rate", "timeseries",
          [t(f"topk(10, sum by (target, account, product_type) (rate(proxy911_account_traffic_used_bytes_total{{{SEL}, product_type=~\"$product_type\"}}[$__rate_interval])))", "{{account}} ({{product_type}})" + T)],
          unit="Bps")
    b.add("Daily traffic", "barchart", [t(f"sum by (date) (proxy911_traffic_daily_bytes{{{SEL}}})", "{{date}}", True, "table")], unit="bytes",
          description="Traffic of all sub-accounts per day, last 7 days, summed over the selected targets.")
    b.add("Package traffic remaining by state", "timeseries",
          [t(f"proxy911_package_remaining_bytes{{{SEL}}}", "{{product_type}} {{state}}" + T)], unit="bytes",
          description="Expiring (within 7 days) is part of effective.")
    b.add("Days until each package expires", "table",
          [t(f"(proxy911_package_expiry_timestamp_seconds{{{SEL}}} - time()) / 86400", "", True, "table")], unit="d", options=table)
    b.add("Static IPs available by country and type", "barchart",
          [t(f"max by (country, ip_type) (proxy911_static_ip_available{{{SEL}}})", "{{country}} {{ip_type}}", True, "table")],
          description="IPs on sale per country: the same for every 911Proxy account, so the largest count any target reports.")
    b.add("Purchased static IPs by status and country", "barchart",
          [t(f"sum by (country, status) (proxy911_static_ips{{{SEL}}})", "{{country}} {{status}}", True, "table")],
          description="Static IPs bought, summed over the selected targets.")
    b.add("Orders pending payment", "stat",
          [t(f"sum by (target) (proxy911_orders{{{SEL}, status=\"pending_payment\"}})", "{{target}}", True)], w=6, h=5,
          description="Orders placed and not paid yet. A renewal left unpaid lets static IPs lapse. "
                      "All product types: the product-type selector filters accounts only.")
    b.add("Oldest order pending payment", "stat",
          [t(f"time() - min by (target) (proxy911_order_oldest_pending_timestamp_seconds{{{SEL}}})", "{{target}}", True)], w=6, h=5, unit="s",
          description="How long the oldest order pending payment has waited; no data when none is pending. "
                      "Proxy911OrderPendingPayment fires past an hour.")
    b.add("Balance", "timeseries", [t(f"proxy911_balance{{{SEL}}}", "balance" + T)], w=12, h=5,
          description="Balance of the 911Proxy account, in its currency (the user collector, --collector.user). "
                      "Proxy911BalanceLow fires below 10.")
    b.add("Balance runway", "stat",
          [t(f"min by (target) (instance:proxy911_balance_runway:days{{{SEL}}})", "{{target}}", True)], w=6, h=5, unit="d",
          field={"decimals": 1},
          description="Days the balance lasts at the average daily paid spend of the last 7 days (top-ups are not spend). "
                      "Proxy911BalanceRunwayShort fires under 7. No data during the first 7 days of history, "
                      "or when nothing was spent in them; needs the user and orders collectors.")
    b.add("Paid spend a day, 7-day average", "timeseries",
          [t(f"instance:proxy911_orders_paid_spend:avg_daily_7d{{{SEL}}}", "spend a day" + T),
           t(f"proxy911_balance{{{SEL}}} / 7", "balance / 7 (the runway alert's line)" + T)], w=6, h=5,
          description="What the runway divides by: the growth of the paid orders' fees over the last 7 days, divided by 7, "
                      "in the account's currency. The runway is under 7 days when the spend line is above the balance line.")
    b.add("Spend by product type", "barchart",
          [t(f"sum by (product_type) (proxy911_orders_fee{{{SEL}, status=\"paid\"}})", "{{product_type}}", True, "table")],
          description="Sum of the paid orders' fees in the order list, by product type, in the account's currency, "
                      "summed over the selected targets.")
    b.add("Orders by status", "barchart",
          [t(f"sum by (status) (proxy911_orders{{{SEL}}})", "{{status}}", True, "table")],
          description="Orders in the order list: pending_payment, paid, canceled (unpaid, timed out), refunded; "
                      "summed over the selected targets.")
    b.add("Dynamic coverage by country", "barchart",
          [t(f"max by (country, level) (proxy911_dynamic_locations{{{SEL}}})", "{{country}} {{level}}", True, "table")],
          w=24, description="States and cities the dynamic proxy pool offers in each country (the regions collector, "
                            "--collector.regions; refreshed hourly). The same for every 911Proxy account, so the "
                            "largest count any target reports.")
    return dashboard("proxy911-overview", "911Proxy / Overview",
                     "Exporter health, accounts, packages, traffic, static IPs, orders, balance and dynamic coverage of a 911Proxy account.", b, False)


def accounts():
    b = Board()
    table = {"showHeader": True}
    b.add("Usage against limit", "bargauge",
          [t(f"proxy911_account_traffic_used_bytes_total{{{ACC}}} / proxy911_account_traffic_limit_bytes{{{ACC}}}", "{{account}} ({{product_type}})" + T, True)],
          w=12, h=10, unit="percentunit", field={"min": 0, "max": 1},
          description="Share of the traffic limit used. Unlimited accounts show 0% here and are listed beside.")
    b.add("Unlimited accounts: traffic used", "table",
          [t(f"proxy911_account_traffic_used_bytes_total{{{ACC}}} and on (target, account, account_id, product_type) (proxy911_account_traffic_limit_bytes{{{ACC}}} == Inf)", "", True, "table")],
          w=12, h=10, unit="bytes", options=table)
    b.add("Traffic rate per account", "timeseries",
          [t(f"sum by (target, account, product_type) (rate(proxy911_account_traffic_used_bytes_total{{{ACC}}}[$__rate_interval]))", "{{account}} ({{product_type}})" + T)], unit="Bps")
    b.add("Traffic used per account", "timeseries",
          [t(f"proxy911_account_traffic_used_bytes_total{{{ACC}}}", "{{account}} ({{product_type}})" + T),
           t(f"proxy911_account_traffic_limit_bytes{{{ACC}}} < Inf", "limit {{account}} ({{product_type}})" + T)], unit="bytes")
    b.add("Hours until the limit at the current rate", "table",
          [t(f"(proxy911_account_traffic_limit_bytes{{{ACC}}} - proxy911_account_traffic_used_bytes_total{{{ACC}}}) / rate(proxy911_account_traffic_used_bytes_total{{{ACC}}}[1h]) / 3600 < Inf", "", True, "table")],
          unit="h", options=table)
    b.add("Last hour against the 7-day habit", "timeseries",
          [t(f"account:proxy911_account_traffic_used_bytes:increase1h{{{ACC}}}", "{{account}} ({{product_type}}) last hour" + T),
           t(f"account:proxy911_account_traffic_used_bytes:avg_hourly_7d{{{ACC}}}", "{{account}} ({{product_type}}) habit" + T)],
          w=24, unit="bytes",
          description="Per account, the traffic of the last hour against its habit: its average hourly traffic over the 7 days "
                      "before that hour (the whole days it has, when younger; none under a day). "
                      "Proxy911AccountTrafficAnomaly (possible leaked credentials) fires when the last hour is more than "
                      "5 times the habit and more than 1 GiB, for 15 minutes.")
    b.add("Last hour as a multiple of the habit", "table",
          [t(f"sort_desc(account:proxy911_account_traffic_used_bytes:increase1h{{{ACC}}} / account:proxy911_account_traffic_used_bytes:avg_hourly_7d{{{ACC}}})", "", True, "table")],
          w=24, h=6, options=table, field={"decimals": 1},
          description="Above 5 (with more than 1 GiB in the hour) is the traffic anomaly. +Inf: an account idle all week that is using traffic now.")
    b.add("Accounts", "table",
          [t(f"proxy911_account_info{{{ACC}}} * on (target, account, account_id, product_type) group_left proxy911_account_enabled{{{ACC}}}", "", True, "table")],
          options=table, description="Value 1 enabled, 0 disabled; with the remark.")
    b.add("Account age", "table",
          [t(f"(time() - proxy911_account_created_timestamp_seconds{{{ACC}}}) / 86400", "", True, "table")], w=24, h=6, unit="d", options=table)
    return dashboard("proxy911-accounts", "911Proxy / Accounts",
                     "Per proxy sub-account: traffic against its limit, rates, state.", b, True)


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent / "dashboards"
    for name, board in (("proxy911-overview.json", overview()), ("proxy911-accounts.json", accounts())):
        (out / name).write_text(json.dumps(board, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
