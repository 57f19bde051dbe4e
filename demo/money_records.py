"""The demo's invented money story: milestones, scheduled, advance and late payments, the
recovery and the spend returns' shares. The tables are data (demo/data/); demo/datafile.py
says how they are written and read."""

from demo.datafile import DATE, DECIMAL, INT, STR, Fields, Map, Nullable, read
from grants.models import (
    RecoveryReason,
)

# --- Milestones ----------------------------------------------------------------
#
# All invented. Each belongs to the lead or a partner; "pay" is (amount in whole pounds,
# financial year of the allocation it draws on, paid on or null, remittance reference).
# "life" is its submissions in order, each accepted or returned (with a reason) on a day,
# or awaiting review. Submissions come from the organisation's demo user, reviews from
# the officer, payments from the finance officer. Due dates are fixed (a planned
# milestone due in 2016 stays overdue) except the one that must stay "due soon", which
# is counted from today ("due_in_days").

MILESTONES = read(
    "milestones.json",
    [
        {
            "project": STR,
            "organisation": STR,
            "title": STR,
            "due": DATE,
            "due_in_days": INT,
            "pay": Fields(("amount", INT), ("year", INT), ("paid_on", Nullable(DATE)), ("reference", STR)),
            "life": [{"submitted": DATE, "narrative": STR, "accepted": DATE, "returned": DATE, "reason": STR}],
        }
    ],
)

# --- Payments without milestones --------------------------------------------------
#
# All invented: (project, recipient, financial year of the allocation, amount in whole
# pounds, paid on, reference). Payments to a recipient never exceed its allocation.

SCHEDULED_PAYMENTS = read(
    "scheduled_payments.csv",
    [
        Fields(
            ("project", STR),
            ("recipient", STR),
            ("year", INT),
            ("amount", INT),
            ("paid_on", DATE),
            ("reference", STR),
        )
    ],
)

_PAYMENT = {"project": STR, "recipient": STR, "year": INT, "amount": INT, "paid_on": DATE, "reference": STR}
_PAYMENTS = read(
    "payments.json",
    {
        "advance": {**_PAYMENT, "advance_reason": STR},
        "recovery": {**_PAYMENT, "recovery_reason": RecoveryReason, "note": STR},
        "late_final_payment": STR,
    },
)
ADVANCE_PAYMENT = _PAYMENTS["advance"]
# The Isle of Wight's £80,000 paid and not spent in 2015-16 (see UNDERSPENT below).
RECOVERY = _PAYMENTS["recovery"]
# Payments in arrears of a year's last spend return fall after the grant's planned end
# when that year is the grant's last: a late final payment, with this reason recorded
# (a str.format template of {year} and {end}).
LATE_FINAL_PAYMENT = _PAYMENTS["late_final_payment"]

# --- Spend returns -----------------------------------------------------------
#
# Invented. Each allocation's spending is spread over its quarters in these shares,
# so spent + forecast equals the allocation, except the one clear underspend below.
# A year the project runs for in part (2014-15: Round 1 was awarded in October) has
# returns only for its quarters from the award on, and spreads the shares over them.
_SPEND_RETURNS = read(
    "spend_returns.json",
    {
        "quarter_shares": Map(INT, DECIMAL),
        "underspent": [
            {
                "project": STR,
                "recipient": STR,
                "year": INT,
                "quarters": Map(INT, Fields(("spent", INT), ("forecast", INT), ("comment", STR))),
            }
        ],
    },
)
QUARTER_SHARES = _SPEND_RETURNS["quarter_shares"]
# Round 2's last year (2019-20) has returns for Q1-Q3 only: Q4 is not yet due in the story.
# A rule of the story's timeline, not a table: it stays in code.
LAST_YEAR_RETURNED_QUARTERS = 3
# (project, recipient, year): {quarter: (spent, forecast for the rest of the year, comment)}
UNDERSPENT = {(row["project"], row["recipient"], row["year"]): row["quarters"] for row in _SPEND_RETURNS["underspent"]}
