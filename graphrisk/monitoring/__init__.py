"""The risk-management cycle after scoring: monitoring, alerts, cases, re-assessment, audit.

``rules`` (pure checks of a batch against the policy's alert rules), ``records`` (alerts and
cases as versioned store records), ``casework`` (the case workflow, playbooks, contacts and
labels learned from outcomes), ``monitor`` (a batch to alerts and cases, crash-safe),
``reassess`` (who is due, who moved), ``backtest`` (a changed policy replayed beside the live
one) and ``service`` (all of it as typed calls; ``RiskService.monitoring``).
"""
