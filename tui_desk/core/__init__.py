"""Pure domain core: policy, calendars, SLA clocks, quotas, escalation, KPIs. Imports nothing of the faces or the store."""
