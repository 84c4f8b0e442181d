"""Small policy files for tests, written in the SPEC §2 schema."""


def weekdays(*spans: str) -> str:
    """Monday to Friday with the same working hours, as calendar lines."""
    hours = ", ".join(f'"{span}"' for span in spans)
    return "".join(f"{day} = [{hours}]\n" for day in ("mon", "tue", "wed", "thu", "fri"))


OFFICE_WEEK = weekdays("09:00-18:00")
LUNCH_WEEK = weekdays("09:00-12:00", "13:00-18:00")

SERVICE_POLICY = """
[desk]
name = "Test Desk"
timezone = "Europe/Berlin"
default_sla = "standard"

[calendars.office]
timezone = "Europe/Berlin"
@OFFICE_WEEK@holidays = ["12-25"]

[calendars.always]
always = true

[sla.standard]
calendar = "office"
[sla.standard.targets]
urgent = { first_response = "30m", next_response = "1h", resolution = "4h" }
high   = { first_response = "1h",  next_response = "2h", resolution = "6h" }
normal = { first_response = "2h",  next_response = "4h", resolution = "2d" }
low    = { first_response = "4h" }

[sla.premium]
calendar = "always"
warn_at = "10m"
[sla.premium.targets]
urgent = { first_response = "15m", resolution = "2h" }
high   = { first_response = "30m", resolution = "4h" }
normal = { first_response = "1h",  resolution = "8h" }
low    = { first_response = "2h" }

[plans.premium]
sla = "premium"
quota = { tickets = 3, per = "week" }

[plans.flex]
sla = "premium"
quota = { tickets = 3, per = "week" }
overage = "billable"

[plans.basic]
sla = "standard"
quota = "unlimited"

[[rules]]
name = "outage"
when = { subject_contains = ["outage", "down", "障害"] }
set = { priority = "urgent", tags = ["outage"] }

[[rules]]
name = "securevault"
when = { subject_contains = ["SecureVault"] }
set = { product = "securevault" }
stop = true
"""

# Escalation (SPEC §5): office hours without a lunch break, and the same with one; tickets
# whose subject says "[lunch]" use the lunch calendar. Normal tickets: first response 2h
# (warning at 75 % = 1h30m), so a ticket opened Monday 09:00 warns at 10:30, breaches at
# 11:00 and reaches breach+2h at 13:00 (14:00 across the lunch break).
ESCALATION_POLICY = """
[desk]
name = "Escalation Desk"
timezone = "Europe/Berlin"
default_sla = "office"

[calendars.office]
timezone = "Europe/Berlin"
@OFFICE_WEEK@
[calendars.lunch]
timezone = "Europe/Berlin"
@LUNCH_WEEK@
[sla.office]
calendar = "office"
warn_at = "75%"
[sla.office.targets]
urgent = { first_response = "30m", resolution = "4h" }
high   = { first_response = "1h",  resolution = "8h" }
normal = { first_response = "2h",  resolution = "2d" }
low    = { first_response = "1d" }

[sla.lunch]
calendar = "lunch"
warn_at = "75%"
[sla.lunch.targets]
normal = { first_response = "2h", resolution = "2d" }

[[rules]]
name = "lunch calendar"
when = { subject_contains = ["[lunch]"] }
set = { sla = "lunch" }

[escalation]
NOTIFY_COMMAND

[[escalation.levels]]
name = "lead"
at = "warning"
notify = ["lead"]

[[escalation.levels]]
name = "manager"
at = "breach"
notify = ["manager"]
set = { tags = ["escalated"] }

[[escalation.levels]]
name = "executive"
at = "breach+2h"
notify = ["cto"]
"""


def _expand(text: str) -> str:
    return text.replace("@OFFICE_WEEK@", OFFICE_WEEK).replace("@LUNCH_WEEK@", LUNCH_WEEK)


SERVICE_POLICY = _expand(SERVICE_POLICY)
ESCALATION_POLICY = _expand(ESCALATION_POLICY)
