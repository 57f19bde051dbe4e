"""The demo programme: the Department for Education's Children's Social Care
Innovation Programme as DESIGN.md describes it, with enough money, milestones
and evidence to show every screen, and one demo user per role.

What is real: the funder, the programme and its rounds with their budgets, the
projects, their leads and partner councils, and the amounts awarded. What is
invented: award dates, how each grant is split between organisations and
financial years, milestones, payments, spend returns, and most outcome figures.
Every invented figure carries illustrative=True so that the service can say so;
comments mark the invented identifiers and names.

load_demo() matches every row on a natural key (org-id, programme code, project
reference, (grant, recipient, financial year), (project, title), username ...),
so running it again leaves the same rows. It runs in one transaction. Money and
decisions go through the services every other caller uses (grants.services,
projects.services, evaluations.services): allocations, milestones and their
commitments, payments within the grant's dates and the allocation's headroom, spend
returns, the recovery and the closure of a settled project, each keeping its
allocation's balance. So the demo obeys the same rules as a real programme; other
rows are full_clean()ed before they are saved. A payment or submission already on
record is never edited: money is corrected by new rows.

Things happen in the order of the story, each stamped with the day it happened
(its history rows too), so that figures "as at" a past date can be worked out.
"""

import contextlib
import datetime as dt
from collections import defaultdict
from decimal import Decimal
from functools import partial

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.db.models.signals import post_save
from django.utils import timezone

from accounts.models import Role, User
from evaluations.catalogue import CP_PLANS, DIRECT_WORK, load_measures
from evaluations.models import Evaluation, EvaluationReport, EvidenceRating, OutcomeMeasure, OutcomeResult
from evaluations.services import rate_evaluation, save_result
from grants.financial_year import FinancialYear
from grants import money
from grants.models import (
    Allocation,
    AllocationBalance,
    Grant,
    GrantStatusChange,
    Organisation,
    Payment,
    Programme,
    RecoveryReason,
    Round,
    SpendReturn,
    Variation,
)
from grants.services import (
    close_project,
    record_payment,
    record_recovery,
    review_spend_return,
    save_allocation,
    save_grant,
    save_milestone,
    submit_spend_return,
)
from projects.models import (
    Milestone,
    MilestoneReview,
    MilestoneStatusChange,
    MilestoneSubmission,
    Project,
    ProjectPartner,
    ProjectStatusChange,
    Theme,
)
from projects.services import review_milestone, submit_milestone

DEMO_PASSWORD = "innovation-demo-2014"


def gbp(pounds) -> Decimal:
    return Decimal(pounds).quantize(Decimal("0.01"))


def lae(code: str) -> str:
    return f"GB-LAE-{code}"


# --- Organisations -----------------------------------------------------------
# Local authorities come from load_authorities (GB-LAE-<code>); these are the others.

DFE = "GB-GOR-D6"
# Morning Lane Associates' company number is not in DESIGN.md: 09999001 is invented.
MORNING_LANE = "GB-COH-09999001"
# Charity numbers are not in DESIGN.md: both are invented.
FAMILY_RIGHTS_GROUP = "GB-CHC-9990001"
FOSTERING_NETWORK = "GB-CHC-9990002"
# The University of Bedfordshire developed contextual safeguarding with Hackney;
# its UK provider reference number here is invented.
BEDFORDSHIRE_UNIVERSITY = "GB-UKPRN-10099999"
# The evaluator is a fictional university (there is no University of Wessex),
# with an invented UK provider reference number.
EVALUATOR = "GB-UKPRN-10099998"

ORGANISATIONS = [
    {
        "org_id": DFE,
        "name": "Department for Education",
        "short_name": "DfE",
        "kind": Organisation.Kind.GOVERNMENT_DEPARTMENT,
        "website": "https://www.gov.uk/government/organisations/department-for-education",
    },
    {
        "org_id": MORNING_LANE,
        "name": "Morning Lane Associates",
        "short_name": "Morning Lane",
        "kind": Organisation.Kind.COMPANY,
        # Dissolved in June 2019: the organisation ends, its grant stays on record.
        "valid_to": dt.date(2019, 6, 30),
    },
    {
        "org_id": FAMILY_RIGHTS_GROUP,
        "name": "Family Rights Group",
        "kind": Organisation.Kind.CHARITY,
    },
    {
        "org_id": FOSTERING_NETWORK,
        "name": "The Fostering Network",
        "kind": Organisation.Kind.CHARITY,
    },
    {
        "org_id": BEDFORDSHIRE_UNIVERSITY,
        "name": "University of Bedfordshire",
        "kind": Organisation.Kind.UNIVERSITY,
    },
    {
        "org_id": EVALUATOR,
        "name": "University of Wessex",
        "short_name": "Wessex",
        "kind": Organisation.Kind.UNIVERSITY,
    },
]

# --- Users -------------------------------------------------------------------

DEMO_USERS = [
    # username, role, first name, last name, email, organisation
    ("officer", Role.OFFICER, "Helen", "Marsh", "officer@example.gov.uk", DFE),
    ("finance", Role.FINANCE, "Tom", "Adeyemi", "finance@example.gov.uk", DFE),
    ("derbyshire", Role.RECIPIENT, "Claire", "Booth", "derbyshire@example.gov.uk", lae("DBY")),
    ("harrow", Role.RECIPIENT, "Rajesh", "Patel", "harrow@example.gov.uk", lae("HRW")),
    ("morninglane", Role.RECIPIENT, "Isabel", "Quinn", "morninglane@example.com", MORNING_LANE),
    ("evaluator", Role.EVALUATOR, "Owen", "Price", "evaluator@example.ac.uk", EVALUATOR),
    ("viewer", Role.VIEWER, "Margaret", "Ellis", "viewer@example.gov.uk", None),
    ("admin", Role.ADMIN, "Sam", "Taylor", "admin@example.gov.uk", None),
]

# --- Programme, rounds, themes -------------------------------------------------

PROGRAMME = {
    "code": "cscip",
    "name": "Children's Social Care Innovation Programme",
    "description": (
        "The Department for Education's programme of 2014-2020 that put about £200m into projects "
        "that rethink children's social care."
    ),
    # "About £200m" in the published record: a rounded real figure, not an invented one.
    "budget": gbp(200_000_000),
    "budget_is_illustrative": False,
    # The programme's exact start and end days are illustrative.
    "start_date": dt.date(2014, 10, 1),
    "end_date": dt.date(2020, 3, 31),
    # The day the programme and each round were set up in the service: invented.
    "recorded_on": dt.date(2014, 7, 1),
}

ROUNDS = [
    {
        "number": 1,
        "name": "Round 1",
        "description": "2014-16: about £110m for 57 projects.",
        "budget": gbp(110_000_000),
        "start_date": dt.date(2014, 10, 1),
        "end_date": dt.date(2016, 3, 31),
        "recorded_on": dt.date(2014, 7, 1),
    },
    {
        "number": 2,
        "name": "Round 2",
        "description": "From 2017: £36m for 11 projects, many of them scaling up Round 1 work.",
        "budget": gbp(36_000_000),
        "start_date": dt.date(2017, 4, 1),
        "end_date": dt.date(2020, 3, 31),
        "recorded_on": dt.date(2016, 11, 1),
    },
]

THEMES = {
    "Reducing bureaucracy": "Giving social workers more time with families and less with forms.",
    "Family safeguarding": "Working with the whole family, with adult specialists alongside social workers.",
    "Adolescents": "Services for older children and young people, including those at risk outside the home.",
    "Fostering": "Recruiting, supporting and keeping foster carers.",
    "Contextual safeguarding": "Responding to the risks young people meet outside the family.",
    "Relationships and permanence": "Lasting relationships for children in care.",
    "New ways of running services": "Trusts and other new organisations to run children's social care.",
}

# --- Projects, their grants and allocations --------------------------------------
#
# Amounts awarded are the programme's (DESIGN.md); award dates are invented, so every
# grant's dates are marked illustrative, and its amount only where it is approximated.
# Allocations, one per recipient and financial year, are invented splits of the award:
# the number is the resource (revenue) amount, a pair is (resource, capital). "ratings"
# are the project's RAG ratings in the order given, each (day, rating, reason), the last
# the current one: all invented but the reasons DESIGN.md gives.

PARTNER = ProjectPartner.Role.PARTNER_AUTHORITY
DELIVERY = ProjectPartner.Role.DELIVERY_PARTNER
ROUND_1_DATES = {"award_date": dt.date(2014, 10, 10), "start": dt.date(2014, 11, 1), "end": dt.date(2016, 3, 31)}
ROUND_2_DATES = {"award_date": dt.date(2017, 3, 20), "start": dt.date(2017, 4, 1), "end": dt.date(2020, 3, 31)}
UNIT = "The council's family breakdown unit: social workers, clinician and unit co-ordinator."

PROJECTS = [
    {
        "reference": "CSCIP-R1-RSW",
        "round": 1,
        "title": "Reclaiming Social Work",
        "summary": (
            "Morning Lane Associates with five councils, Derbyshire, Harrow, Hull, Southwark and "
            "Buckinghamshire, reorganise children's social work into small family breakdown units. "
            "The aim: cut the time social workers spend on bureaucracy by 20%. Money for the services "
            "Morning Lane provides (a consultant psychologist across the five family breakdown units) "
            "goes to Morning Lane; money the councils spend goes to the councils."
        ),
        "lead": MORNING_LANE,
        # Buckinghamshire County Council, the authority of the time (it ended in 2020).
        "partners": [(lae(code), PARTNER) for code in ("DBY", "HRW", "KHL", "SWK", "BKM")],
        "themes": ["Reducing bureaucracy"],
        **ROUND_1_DATES,
        "status": Project.Status.CLOSING,
        "grant_status": Grant.Status.ACTIVE,
        "ratings": [
            (
                dt.date(2015, 7, 1),
                Project.Rag.GREEN,
                "All five family breakdown units are running; the baseline survey is in.",
            ),
            (
                dt.date(2016, 7, 1),
                Project.Rag.AMBER,
                "Closing: Morning Lane's final report and Derbyshire's sustainability plan await review, "
                "Harrow's six-month survey was returned and Southwark's final data return is overdue.",
            ),
        ],
        "amount": gbp(4_200_000),  # "about £4.2m"
        "allocations": [
            (
                MORNING_LANE,
                "Consultant psychologist across the five family breakdown units",
                {2014: 400_000, 2015: 500_000},
            ),
            (lae("DBY"), UNIT, {2014: (280_000, 20_000), 2015: 450_000}),
            (lae("HRW"), UNIT, {2014: 250_000, 2015: 400_000}),
            (lae("KHL"), UNIT, {2014: 250_000, 2015: 400_000}),
            (lae("SWK"), UNIT, {2014: 250_000, 2015: 400_000}),
            (lae("BKM"), UNIT, {2014: 250_000, 2015: 350_000}),
        ],
    },
    {
        "reference": "CSCIP-R1-HIOW",
        "round": 1,
        "title": "Hampshire and the Isle of Wight: transforming social care",
        "summary": (
            "Hampshire County Council with the Isle of Wight Council: family intervention teams, a "
            "volunteer network, social work co-ordinators who do the recording, and a Missing, "
            "Exploited and Trafficked team."
        ),
        "lead": lae("HAM"),
        "partners": [(lae("IOW"), PARTNER)],
        "themes": ["Reducing bureaucracy", "Adolescents"],
        **ROUND_1_DATES,
        "status": Project.Status.CLOSED,
        "grant_status": Grant.Status.CLOSED,
        # Closed through close_project, which checks the money is settled.
        "closure_reason": (
            "Delivered. Every allocation's final spend return is in, and the £80,000 the Isle of Wight "
            "did not spend in 2015-16 has been recovered, so net paid equals spent."
        ),
        "ratings": [
            (
                dt.date(2015, 7, 1),
                Project.Rag.GREEN,
                "Family intervention teams and the MET team running on both sides of the Solent.",
            ),
            (
                dt.date(2016, 7, 1),
                Project.Rag.GREEN,
                "Delivered; the £80,000 the Isle of Wight did not spend in 2015-16 has been recovered.",
            ),
        ],
        # "Almost £4m": the exact figure is not in DESIGN.md, so this one is rounded.
        "amount": gbp(3_950_000),
        "amount_is_approximate": True,
        "allocations": [
            (
                lae("HAM"),
                "Family intervention teams, volunteer network, social work co-ordinators, MET team",
                {2014: (1_100_000, 100_000), 2015: 1_750_000},
            ),
            (
                lae("IOW"),
                "Family intervention team and social work co-ordinators on the island",
                {2014: 400_000, 2015: 600_000},
            ),
        ],
    },
    {
        "reference": "CSCIP-R2-FS",
        "round": 2,
        "title": "Family Safeguarding: Hertfordshire's model in four more councils",
        "summary": (
            "Hertfordshire Family Safeguarding extended to Luton, Peterborough, Bracknell Forest and "
            "West Berkshire. In Hertfordshire the model halved child protection plans in 18 months: "
            "social workers work alongside specialists in domestic abuse, mental health and substance "
            "misuse, with the whole family."
        ),
        "lead": lae("HRT"),
        "partners": [(lae(code), PARTNER) for code in ("LUT", "PTE", "BRC", "WBK")],
        "themes": ["Family safeguarding"],
        **ROUND_2_DATES,
        "status": Project.Status.ACTIVE,
        "grant_status": Grant.Status.ACTIVE,
        "ratings": [
            (
                dt.date(2018, 10, 15),
                Project.Rag.AMBER,
                "Luton's adult specialists are not yet in post; the other four councils run the model.",
            ),
            (
                dt.date(2020, 1, 15),
                Project.Rag.GREEN,
                "All five councils run the model; child protection data arrive every quarter.",
            ),
        ],
        "amount": gbp(11_600_000),
        "allocations": [
            (
                lae("HRT"),
                "Practice model, training and support for the partner councils",
                {2017: 1_000_000, 2018: 1_200_000, 2019: 800_000},
            ),
            (
                lae("LUT"),
                "Multi-disciplinary Family Safeguarding teams",
                {2017: 700_000, 2018: 1_000_000, 2019: 850_000},
            ),
            (
                lae("PTE"),
                "Multi-disciplinary Family Safeguarding teams",
                {2017: 700_000, 2018: 1_000_000, 2019: 850_000},
            ),
            (lae("BRC"), "Multi-disciplinary Family Safeguarding teams", {2017: 500_000, 2018: 700_000, 2019: 550_000}),
            (lae("WBK"), "Multi-disciplinary Family Safeguarding teams", {2017: 500_000, 2018: 700_000, 2019: 550_000}),
        ],
    },
    {
        "reference": "CSCIP-R2-LL",
        "round": 2,
        "title": "Lifelong Links",
        "summary": (
            "Family Rights Group's Lifelong Links: finding the relatives and friends who matter to a "
            "child in care and helping those relationships last."
        ),
        "lead": FAMILY_RIGHTS_GROUP,
        "partners": [],
        "themes": ["Relationships and permanence"],
        **ROUND_2_DATES,
        "status": Project.Status.ACTIVE,
        "grant_status": Grant.Status.ACTIVE,
        "ratings": [
            (dt.date(2018, 10, 15), Project.Rag.GREEN, "On plan."),
            (dt.date(2020, 1, 15), Project.Rag.GREEN, "On plan."),
        ],
        "amount": gbp(5_000_000),
        "allocations": [
            (
                FAMILY_RIGHTS_GROUP,
                "Lifelong Links co-ordinators and training",
                {2017: 1_500_000, 2018: 2_000_000, 2019: 1_500_000},
            ),
        ],
    },
    {
        "reference": "CSCIP-R2-NTH",
        "round": 2,
        "title": "Northamptonshire children's trust",
        "summary": "Northamptonshire County Council sets up a children's trust to run its children's social care.",
        "lead": lae("NTH"),
        "partners": [],
        "themes": ["New ways of running services"],
        **ROUND_2_DATES,
        "status": Project.Status.ACTIVE,
        "grant_status": Grant.Status.ACTIVE,
        "ratings": [
            (
                dt.date(2018, 10, 15),
                Project.Rag.RED,
                "The council's finances put the move to a trust at risk; the department reviews it monthly.",
            ),
            (
                dt.date(2020, 1, 15),
                Project.Rag.RED,
                "The council's finances put the move to a trust at risk; the department reviews it monthly.",
            ),
        ],
        "amount": gbp(4_000_000),
        "allocations": [
            (lae("NTH"), "Setting up the children's trust", {2017: 1_200_000, 2018: 1_600_000, 2019: 1_200_000}),
        ],
    },
    {
        "reference": "CSCIP-R2-MOCK",
        "round": 2,
        "title": "Mockingbird",
        "summary": (
            "The Fostering Network's Mockingbird: foster families grouped in a constellation around an "
            "experienced hub home carer who offers support and sleepovers."
        ),
        "lead": FOSTERING_NETWORK,
        "partners": [],
        "themes": ["Fostering", "Relationships and permanence"],
        **ROUND_2_DATES,
        "status": Project.Status.ACTIVE,
        "grant_status": Grant.Status.ACTIVE,
        "ratings": [
            (dt.date(2018, 10, 15), Project.Rag.GREEN, "The first constellations are running."),
            (dt.date(2020, 1, 15), Project.Rag.GREEN, "Constellations running as planned."),
        ],
        "amount": gbp(3_800_000),
        "allocations": [
            (
                FOSTERING_NETWORK,
                "Hub home carers, liaison workers and training",
                {2017: 1_100_000, 2018: 1_500_000, 2019: 1_200_000},
            ),
        ],
    },
    {
        "reference": "CSCIP-R2-SLG",
        "round": 2,
        "title": "Slough children's services trust",
        "summary": "Innovation in Slough's children's services trust, which runs the council's children's social care.",
        "lead": lae("SLG"),
        "partners": [],
        "themes": ["New ways of running services"],
        **ROUND_2_DATES,
        "status": Project.Status.CLOSING,
        "grant_status": Grant.Status.ACTIVE,
        "ratings": [
            (dt.date(2018, 10, 15), Project.Rag.GREEN, "On plan."),
            (dt.date(2020, 4, 15), Project.Rag.AMBER, "Closing: the last spend return awaits review."),
        ],
        "amount": gbp(1_400_000),
        "allocations": [
            (lae("SLG"), "The trust's innovation work", {2017: 400_000, 2018: 600_000, 2019: 400_000}),
        ],
    },
    {
        "reference": "CSCIP-R2-HCK",
        "round": 2,
        "title": "Contextual safeguarding in Hackney",
        "summary": (
            "Hackney assesses and responds to the risks young people meet outside the home, in peer "
            "groups, schools and public places, with the University of Bedfordshire."
        ),
        "lead": lae("HCK"),
        "partners": [(BEDFORDSHIRE_UNIVERSITY, DELIVERY)],
        "themes": ["Contextual safeguarding", "Adolescents"],
        **ROUND_2_DATES,
        "status": Project.Status.ACTIVE,
        "grant_status": Grant.Status.ACTIVE,
        "ratings": [
            (dt.date(2018, 10, 15), Project.Rag.GREEN, "On plan."),
            (dt.date(2020, 1, 15), Project.Rag.GREEN, "On plan."),
        ],
        "amount": gbp(2_000_000),
        "allocations": [
            (
                lae("HCK"),
                "Contextual safeguarding practice in the council",
                {2017: 500_000, 2018: 700_000, 2019: 500_000},
            ),
            (BEDFORDSHIRE_UNIVERSITY, "Research support and tools", {2017: 100_000, 2018: 100_000, 2019: 100_000}),
        ],
    },
    {
        "reference": "CSCIP-R2-HAV",
        "round": 2,
        "title": "Havering multi-agency service for 11-24 year olds",
        "summary": "Havering brings together the services for young people aged 11 to 24 in one multi-agency team.",
        "lead": lae("HAV"),
        "partners": [],
        "themes": ["Adolescents"],
        **ROUND_2_DATES,
        "status": Project.Status.ACTIVE,
        "grant_status": Grant.Status.ACTIVE,
        "ratings": [
            (
                dt.date(2018, 10, 15),
                Project.Rag.AMBER,
                "Recruitment is behind plan; £300,000 of the award is not yet allocated.",
            ),
            (
                dt.date(2020, 1, 15),
                Project.Rag.AMBER,
                "Recruitment is behind plan; £300,000 of the award is not yet allocated.",
            ),
        ],
        "amount": gbp(2_400_000),
        # Deliberately £300,000 short of the award: headroom the officer has not yet allocated.
        # Reconciliation lists it; the grant's page says it is on purpose (DELIBERATE_DISCREPANCIES).
        "grant_note": (
            "Demo: £300,000 of this award is deliberately left unallocated until recruitment catches up, "
            "so reconciliation lists the allocations as £300,000 less than the award. The difference is "
            "there on purpose."
        ),
        "unallocated_reason": (
            "Held back until recruitment catches up (in the demo, left unallocated on purpose so that "
            "reconciliation shows an expected difference)."
        ),
        "allocations": [
            (lae("HAV"), "The multi-agency team", {2017: 600_000, 2018: 800_000, 2019: 700_000}),
        ],
    },
]

PROJECT_DATA = {project["reference"]: project for project in PROJECTS}

# The differences reconciliation lists in the demo, each there on purpose and said so on
# its grant's page (its "grant_note"): (kind, project reference, difference).
DELIBERATE_DISCREPANCIES = [
    ("allocations_differ_from_award", "CSCIP-R2-HAV", gbp(300_000)),
]

# --- Milestones ----------------------------------------------------------------
#
# All invented. Each belongs to the lead or a partner; "pay" is (amount, financial year of
# the allocation it draws on, paid on, remittance reference). Submissions come from the
# organisation's demo user, reviews from the officer, payments from the finance officer.
# Due dates are fixed (a planned milestone due in 2016 stays overdue) except the one that
# must stay "due soon", which is counted from today.

MILESTONES = [
    {
        "project": "CSCIP-R1-RSW",
        "organisation": MORNING_LANE,
        "title": "Consultant psychologist in post across the five family breakdown units",
        "due": dt.date(2015, 1, 31),
        "pay": (150_000, 2014, dt.date(2015, 2, 20), "CSCIP/14/M001"),
        "life": [
            {
                "submitted": dt.date(2015, 1, 20),
                "narrative": "Our consultant psychologist started on 5 January and now works with all five units.",
                "accepted": dt.date(2015, 2, 5),
            },
        ],
    },
    {
        "project": "CSCIP-R1-RSW",
        "organisation": lae("DBY"),
        "title": "Derbyshire family breakdown unit running",
        "due": dt.date(2015, 1, 31),
        "pay": (120_000, 2014, dt.date(2015, 2, 20), "CSCIP/14/M002"),
        "life": [
            {
                "submitted": dt.date(2015, 1, 26),
                "narrative": (
                    "The unit took its first families on 12 January: a consultant social worker, two social "
                    "workers, a clinician and a unit co-ordinator."
                ),
                "accepted": dt.date(2015, 2, 6),
            },
        ],
    },
    {
        "project": "CSCIP-R1-RSW",
        "organisation": lae("HRW"),
        "title": "Harrow family breakdown unit running",
        "due": dt.date(2015, 2, 28),
        "pay": (100_000, 2014, dt.date(2015, 3, 27), "CSCIP/14/M003"),
        "life": [
            {
                "submitted": dt.date(2015, 2, 25),
                "narrative": "The unit is running.",
                "returned": dt.date(2015, 3, 5),
                "reason": "Say when the unit's staff started and how many families it is working with.",
            },
            {
                "submitted": dt.date(2015, 3, 12),
                "narrative": "Staff started on 2 February; the unit works with 14 families, 31 children.",
                "accepted": dt.date(2015, 3, 20),
            },
        ],
    },
    {
        "project": "CSCIP-R1-RSW",
        "organisation": MORNING_LANE,
        "title": "Baseline survey of how social workers spend their time",
        "due": dt.date(2015, 3, 31),
        "life": [
            {
                "submitted": dt.date(2015, 3, 30),
                "narrative": "Time-use diaries from all five councils: the baseline share of time spent on recording.",
                "accepted": dt.date(2015, 4, 10),
            },
        ],
    },
    {
        "project": "CSCIP-R1-RSW",
        "organisation": lae("DBY"),
        "title": "Six-month time-use survey in Derbyshire",
        "due": dt.date(2015, 10, 31),
        "pay": (150_000, 2015, dt.date(2015, 11, 30), "CSCIP/15/M005"),
        "life": [
            {
                "submitted": dt.date(2015, 10, 28),
                "narrative": "Repeat diaries from the unit's social workers, compared with the March baseline.",
                "accepted": dt.date(2015, 11, 12),
            },
        ],
    },
    {
        "project": "CSCIP-R1-RSW",
        "organisation": lae("HRW"),
        "title": "Six-month time-use survey in Harrow",
        "due": dt.date(2015, 10, 31),
        "pay": (120_000, 2015, None, ""),
        "life": [
            {
                "submitted": dt.date(2015, 11, 2),
                "narrative": "Survey results attached for the unit's consultant social worker.",
                "returned": dt.date(2015, 11, 16),
                "reason": "The survey covers one member of staff; send the diaries of every social worker in the unit.",
            },
        ],
    },
    {
        "project": "CSCIP-R1-RSW",
        "organisation": MORNING_LANE,
        "title": "Final report on the consultant psychologist's work",
        "due": dt.date(2016, 3, 31),
        "pay": (200_000, 2015, None, ""),
        "life": [
            {
                "submitted": dt.date(2016, 4, 5),
                "narrative": (
                    "Final report on the psychologist's consultations with the five units and what the units "
                    "changed as a result."
                ),
            },
        ],
    },
    {
        "project": "CSCIP-R1-RSW",
        "organisation": lae("DBY"),
        "title": "Sustainability plan agreed by the council",
        "due": dt.date(2016, 3, 31),
        "life": [
            {
                "submitted": dt.date(2016, 3, 24),
                "narrative": "The council's cabinet agreed to keep the unit from April 2016.",
                "returned": dt.date(2016, 4, 7),
                "reason": "The plan does not say how the unit's clinician will be paid for after March 2016.",
            },
            {
                "submitted": dt.date(2016, 4, 21),
                "narrative": (
                    "The clinician's post moves to the council's base budget from April 2016; cabinet minute attached."
                ),
            },
        ],
    },
    {
        "project": "CSCIP-R1-RSW",
        "organisation": lae("SWK"),
        "title": "Southwark final data return",
        "due": dt.date(2016, 6, 30),
        "pay": (80_000, 2015, None, ""),
        "life": [],
    },
    {
        "project": "CSCIP-R2-FS",
        "organisation": lae("LUT"),
        "title": "Adult specialists in post in Luton's Family Safeguarding teams",
        "due": dt.date(2018, 3, 31),
        "pay": (150_000, 2018, None, ""),
        "life": [],
    },
    {
        "project": "CSCIP-R2-FS",
        "organisation": lae("HRT"),
        "title": "Child protection plan data from all five councils",
        "due_in_days": 14,  # stays "due soon" whenever the demo is loaded
        "pay": (250_000, 2019, None, ""),
        "life": [],
    },
]

# --- Payments without milestones --------------------------------------------------
#
# All invented: (project, recipient, financial year of the allocation, amount, paid on,
# reference). Payments to a recipient never exceed its allocation.

SCHEDULED_PAYMENTS = [
    ("CSCIP-R1-RSW", MORNING_LANE, 2014, 200_000, dt.date(2014, 11, 14), "CSCIP/14/0001"),
    ("CSCIP-R1-RSW", MORNING_LANE, 2015, 250_000, dt.date(2015, 7, 15), "CSCIP/15/0001"),
    ("CSCIP-R1-RSW", lae("DBY"), 2014, 150_000, dt.date(2014, 11, 14), "CSCIP/14/0002"),
    ("CSCIP-R1-RSW", lae("DBY"), 2015, 250_000, dt.date(2015, 7, 15), "CSCIP/15/0002"),
    ("CSCIP-R1-RSW", lae("HRW"), 2014, 120_000, dt.date(2014, 11, 14), "CSCIP/14/0003"),
    ("CSCIP-R1-RSW", lae("HRW"), 2015, 200_000, dt.date(2015, 7, 15), "CSCIP/15/0003"),
    ("CSCIP-R1-RSW", lae("KHL"), 2014, 250_000, dt.date(2014, 11, 14), "CSCIP/14/0004"),
    ("CSCIP-R1-RSW", lae("KHL"), 2015, 350_000, dt.date(2015, 7, 15), "CSCIP/15/0004"),
    ("CSCIP-R1-RSW", lae("SWK"), 2014, 250_000, dt.date(2014, 11, 14), "CSCIP/14/0005"),
    ("CSCIP-R1-RSW", lae("SWK"), 2015, 300_000, dt.date(2015, 7, 15), "CSCIP/15/0005"),
    ("CSCIP-R1-RSW", lae("BKM"), 2014, 125_000, dt.date(2015, 1, 15), "CSCIP/14/0006"),
    ("CSCIP-R1-RSW", lae("BKM"), 2015, 350_000, dt.date(2015, 7, 15), "CSCIP/15/0006"),
    ("CSCIP-R1-HIOW", lae("HAM"), 2014, 600_000, dt.date(2014, 11, 14), "CSCIP/14/0101"),
    ("CSCIP-R1-HIOW", lae("HAM"), 2014, 600_000, dt.date(2015, 2, 13), "CSCIP/14/0102"),
    ("CSCIP-R1-HIOW", lae("IOW"), 2014, 400_000, dt.date(2014, 11, 14), "CSCIP/14/0103"),
    ("CSCIP-R1-HIOW", lae("HAM"), 2015, 875_000, dt.date(2015, 5, 15), "CSCIP/15/0101"),
    ("CSCIP-R1-HIOW", lae("HAM"), 2015, 875_000, dt.date(2015, 11, 13), "CSCIP/15/0102"),
    ("CSCIP-R1-HIOW", lae("IOW"), 2015, 300_000, dt.date(2015, 5, 15), "CSCIP/15/0103"),
    ("CSCIP-R1-HIOW", lae("IOW"), 2015, 300_000, dt.date(2015, 11, 13), "CSCIP/15/0104"),
    ("CSCIP-R2-FS", lae("HRT"), 2017, 500_000, dt.date(2017, 6, 30), "CSCIP/17/0201"),
    ("CSCIP-R2-FS", lae("HRT"), 2017, 500_000, dt.date(2017, 12, 15), "CSCIP/17/0202"),
    ("CSCIP-R2-FS", lae("HRT"), 2018, 600_000, dt.date(2018, 6, 29), "CSCIP/18/0201"),
    ("CSCIP-R2-FS", lae("LUT"), 2017, 700_000, dt.date(2017, 9, 29), "CSCIP/17/0203"),
    ("CSCIP-R2-FS", lae("PTE"), 2017, 700_000, dt.date(2017, 9, 29), "CSCIP/17/0204"),
    ("CSCIP-R2-FS", lae("BRC"), 2017, 500_000, dt.date(2017, 9, 29), "CSCIP/17/0205"),
    ("CSCIP-R2-FS", lae("WBK"), 2017, 500_000, dt.date(2017, 9, 29), "CSCIP/17/0206"),
    ("CSCIP-R2-LL", FAMILY_RIGHTS_GROUP, 2017, 750_000, dt.date(2017, 7, 14), "CSCIP/17/0301"),
    ("CSCIP-R2-NTH", lae("NTH"), 2017, 600_000, dt.date(2017, 7, 14), "CSCIP/17/0401"),
    ("CSCIP-R2-MOCK", FOSTERING_NETWORK, 2017, 550_000, dt.date(2017, 7, 14), "CSCIP/17/0501"),
    ("CSCIP-R2-SLG", lae("SLG"), 2017, 400_000, dt.date(2017, 10, 13), "CSCIP/17/0601"),
    ("CSCIP-R2-HCK", lae("HCK"), 2017, 250_000, dt.date(2017, 7, 14), "CSCIP/17/0701"),
    ("CSCIP-R2-HCK", BEDFORDSHIRE_UNIVERSITY, 2017, 100_000, dt.date(2017, 10, 13), "CSCIP/17/0702"),
    ("CSCIP-R2-HAV", lae("HAV"), 2017, 300_000, dt.date(2017, 7, 14), "CSCIP/17/0801"),
]

ADVANCE_PAYMENT = {
    "project": "CSCIP-R1-RSW",
    "recipient": lae("BKM"),
    "year": 2014,
    "amount": 125_000,
    "paid_on": dt.date(2014, 10, 20),
    "reference": "CSCIP/14/A001",
    "advance_reason": (
        "The council had to recruit the unit's consultant social worker before the first milestone "
        "could be met; the programme board agreed half the year's allocation in advance."
    ),
}

# The Isle of Wight spent £520,000 of its £600,000 in 2015-16 (see UNDERSPENT below);
# the £80,000 paid and not spent is recovered.
RECOVERY = {
    "project": "CSCIP-R1-HIOW",
    "recipient": lae("IOW"),
    "year": 2015,
    "amount": 80_000,
    "paid_on": dt.date(2016, 6, 15),
    "reference": "CSCIP/16/R001",
    "recovery_reason": RecoveryReason.UNDERSPEND,
    "note": "Unspent at the end of 2015-16, recovered after the final spend return.",
}

# Payments in arrears of a year's last spend return fall after the grant's planned end
# when that year is the grant's last: a late final payment, with its reason recorded.
LATE_FINAL_PAYMENT = (
    "The final payment for {year}, made in arrears once the year's last spend return was in, "
    "after the grant's planned end on {end:%-d %B %Y}."
)

# --- Spend returns -----------------------------------------------------------
#
# Invented. Each allocation's spending is spread over its quarters in these shares,
# so spent + forecast equals the allocation, except the one clear underspend below.
# A year the project runs for in part (2014-15: Round 1 was awarded in October) has
# returns only for its quarters from the award on, and spreads the shares over them.
QUARTER_SHARES = {1: Decimal("0.20"), 2: Decimal("0.25"), 3: Decimal("0.25"), 4: Decimal("0.30")}
# Round 2's last year (2019-20) has returns for Q1-Q3 only: Q4 is not yet due in the story.
LAST_YEAR_RETURNED_QUARTERS = 3
# (project, recipient, year): {quarter: (spent, forecast for the rest of the year, comment)}
UNDERSPENT = {
    ("CSCIP-R1-HIOW", lae("IOW"), 2015): {
        1: (130_000, 470_000, ""),
        2: (130_000, 340_000, ""),
        3: (130_000, 150_000, "Two co-ordinator posts vacant since October: we will not spend the whole allocation."),
        4: (130_000, 0, "£80,000 of the year's allocation unspent."),
    },
}

# --- Evidence ---------------------------------------------------------------

# The measures are the catalogue's (evaluations/catalogue.py).
FS_INTERIM_REPORT = "Family Safeguarding in five councils: interim report"

EVALUATIONS = [
    {
        "title": "Family Safeguarding in five councils: evaluation",
        "projects": ["CSCIP-R2-FS"],
        "design": Evaluation.Design.BEFORE_AFTER,
        "status": Evaluation.Status.INTERIM_REPORTED,
        "summary": (
            "Follows child protection plans and children looked after in Hertfordshire and the four "
            "councils that adopted its model, before and after each started."
        ),
        "start_date": dt.date(2017, 9, 1),
        "end_date": dt.date(2020, 9, 30),
        # The report's title and date are invented; it has no file or address.
        "reports": [(FS_INTERIM_REPORT, EvaluationReport.Kind.INTERIM, dt.date(2019, 3, 29))],
        "ratings": [
            (
                EvidenceRating.Scale.MARYLAND,
                "2",
                "Before and after in each council with no comparison group (level 2): the fall in "
                "Hertfordshire is large, but other changes in the same months cannot be ruled out.",
            ),
        ],
        "results": [
            # DESIGN.md: Hertfordshire halved child protection plans in 18 months. The halving
            # is real; the rates, months and table are invented.
            {
                "measure": CP_PLANS,
                "authority": lae("HRT"),
                "baseline": ("40.0", dt.date(2015, 10, 1), dt.date(2015, 10, 31)),
                "followup": ("20.0", dt.date(2017, 4, 1), dt.date(2017, 4, 30)),
                "source_report": FS_INTERIM_REPORT,
                "source_location": "Figure 2",
            },
            {
                "measure": CP_PLANS,
                "authority": lae("LUT"),
                "baseline": ("55.0", dt.date(2017, 4, 1), dt.date(2018, 3, 31)),
                "target": "45.0",
                "source_report": FS_INTERIM_REPORT,
                "source_location": "Table 4",
            },
        ],
    },
    {
        "title": "Reclaiming Social Work: evaluation",
        "projects": ["CSCIP-R1-RSW"],
        "design": Evaluation.Design.MIXED,
        "status": Evaluation.Status.IN_PROGRESS,
        "summary": "Whether the five councils' units cut the time social workers spend on bureaucracy by 20%.",
        "start_date": dt.date(2014, 11, 1),
        "end_date": dt.date(2016, 9, 30),
        "reports": [],
        "ratings": [],
        "results": [
            # Baseline: the BASW survey found social workers spend 20% of their time face to
            # face (DESIGN.md). Cutting the other 80% by a fifth frees 16 points: a target of
            # 36%. The baseline period is invented.
            {
                "measure": DIRECT_WORK,
                "authority": None,
                "baseline": ("20.0", dt.date(2014, 11, 1), dt.date(2014, 12, 31)),
                "target": "36.0",
            },
        ],
    },
]


# --- Loading -------------------------------------------------------------------
#
# The services, set_status and the audit history stamp the moment they run. The demo's
# story happened years ago, so each step of it runs inside clock.on(day): when the step
# ends, every stamp it wrote (a history row's date, a status change, a payment's
# recorded_at, a submission's submitted_at ...) moves to that day; otherwise every
# payment of 2015 would read "recorded today" and figures as at a past date would count
# it. Each row's steps run in the order they happened, so each of its history rows holds
# the row as it stood on that day.


def load_demo() -> str:
    """Load (or bring up to date) the demo programme; return a one-line summary."""
    with transaction.atomic():
        clock = _Clock()
        call_command("load_authorities", verbosity=0)
        organisations = _load_organisations()
        users = _load_users(organisations)
        programme = _load_programme(organisations, users, clock)
        projects, grants, allocations = _load_projects(programme, organisations, users, clock)
        _load_milestones(projects, allocations, organisations, users, clock)
        _load_payments(allocations, users, clock)
        _load_spend_returns(projects, allocations, users, clock)
        _load_recovery(allocations, users, clock)
        _close_projects(projects, grants, users, clock)
        _load_evidence(projects, organisations, users, clock)
    return (
        f"Loaded the demo programme {programme.name}: {len(projects)} projects, "
        f"{Allocation.objects.filter(grant__project__programme=programme).count()} allocations, "
        f"{Payment.objects.filter(allocation__grant__project__programme=programme).count()} payments."
    )


def sign_in_table() -> str:
    """The demo users held in the database, for people to sign in with."""
    usernames = [username for username, *_ in DEMO_USERS]
    held = {user.username: user for user in User.objects.filter(username__in=usernames).select_related("organisation")}
    if not held:
        return "No demo users are in this database."
    rows = [("Username", "Role", "Organisation")] + [
        (user.username, user.get_role_display(), user.organisation.name if user.organisation else "")
        for user in (held[name] for name in usernames if name in held)
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(3)]
    lines = [f"Demo users (password: {DEMO_PASSWORD}):", ""]
    lines += ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _stamps() -> list[tuple]:
    """(model, field) of every stamp a step of the story may write with the clock."""
    stamps = [
        (GrantStatusChange, "changed_at"),
        (ProjectStatusChange, "changed_at"),
        (MilestoneStatusChange, "changed_at"),
        (MilestoneSubmission, "submitted_at"),
        (MilestoneReview, "reviewed_at"),
        (Payment, "recorded_at"),
        (SpendReturn, "submitted_at"),
        (SpendReturn, "reviewed_at"),
        (Grant, "modified_at"),
        (AllocationBalance, "updated_at"),
        (Variation, "requested_at"),
        (Variation, "decided_at"),
        (EvidenceRating, "rated_at"),
        (OutcomeResult, "updated_at"),
    ]
    for model in (Programme, Round, Grant, Allocation, Payment, SpendReturn, Project, Milestone):
        stamps.append((model.history.model, "history_date"))
    return stamps


class _Clock:
    """Moves what each step of the story writes to the day the step happened."""

    def __init__(self):
        self.started = timezone.now()
        self.stamps = _stamps()

    @contextlib.contextmanager
    def on(self, when: dt.datetime):
        saved = defaultdict(set)

        def note(sender, instance, **kwargs):
            saved[sender].add(instance.pk)

        post_save.connect(note, weak=False)
        try:
            yield
        finally:
            post_save.disconnect(note)
        for model, field in self.stamps:
            if saved[model]:
                # Of the rows the step saved, only the stamps it wrote: a return reviewed
                # today keeps the day it was submitted.
                model._default_manager.filter(pk__in=saved[model], **{f"{field}__gte": self.started}).update(
                    **{field: when}
                )


def _differs(obj, name, value) -> bool:
    field = obj._meta.get_field(name)
    if field.many_to_one:
        # Compare keys, not objects: reading obj.<name> would fetch the related row.
        return getattr(obj, field.attname) != (value.pk if value is not None else None)
    return getattr(obj, name) != value


def _set_changed(obj, values: dict) -> bool:
    """Set the values that differ; say whether there were any."""
    changed = [name for name, value in values.items() if _differs(obj, name, value)]
    for name in changed:
        setattr(obj, name, values[name])
    return bool(changed)


def _upsert(model, keys: dict, values: dict | None = None, *, by=None):
    """update_or_create on a natural key, with full_clean before every save; ``by`` names
    the user in the audit history."""
    values = values or {}
    obj = model.objects.filter(**keys).order_by("pk").first()
    created = obj is None
    if created:
        obj = model(**keys, **values)
    if created or _set_changed(obj, values):
        obj.full_clean()
        obj._history_user = by
        obj.save()
    return obj, created


def _advance(obj, path: list[tuple[str, dt.datetime]], *, by, clock) -> None:
    """Move obj along path [(status, when), ...] from where it stands, through set_status.

    A second run finds it at the end of the path and writes nothing. An object someone
    has moved off the path is left as it is.
    """
    statuses = [status for status, _ in path]
    if obj.status not in statuses:
        return
    for status, when in path[statuses.index(obj.status) + 1 :]:
        with clock.on(when):
            obj.set_status(status, by=by)


def _path_to(path, status):
    statuses = [s for s, _ in path]
    return path[: statuses.index(status) + 1]


def _closed_on(data) -> dt.datetime:
    # A project closes, and its grant with it, once the final returns are in and reviewed.
    return _at(data["end"] + dt.timedelta(days=92))


def _project_path(data):
    """[(status, when)] from proposed to where the project stands."""
    path = [
        (Project.Status.PROPOSED, _at(data["award_date"])),
        (Project.Status.ACTIVE, _at(data["start"])),
        (Project.Status.CLOSING, _at(data["end"])),
        (Project.Status.CLOSED, _closed_on(data)),
    ]
    return _path_to(path, data["status"])


def _grant_path(data):
    path = [
        (Grant.Status.AWARDED, _at(data["award_date"])),
        (Grant.Status.ACTIVE, _at(data["start"])),
        (Grant.Status.CLOSED, _closed_on(data)),
    ]
    return _path_to(path, data["grant_status"])


def _load_organisations() -> dict[str, Organisation]:
    for values in ORGANISATIONS:
        values = {"short_name": "", "valid_to": None, "website": "", **values}
        _upsert(Organisation, {"org_id": values.pop("org_id")}, values)
    wanted = set(_named_org_ids())
    found = {o.org_id: o for o in Organisation.objects.filter(org_id__in=wanted)}
    missing = sorted(wanted - found.keys())
    if missing:
        raise ValueError(f"The demo needs organisations load_authorities did not load: {', '.join(missing)}")
    return found


def _named_org_ids():
    yield from (o["org_id"] for o in ORGANISATIONS)
    yield from (u[5] for u in DEMO_USERS if u[5])
    for project in PROJECTS:
        yield project["lead"]
        yield from (org for org, _ in project["partners"])
        yield from (org for org, _, _ in project["allocations"])


def _load_users(organisations) -> dict[str, User]:
    # Set every time, so that the password the README and the command print stays true.
    # One hash for all eight: the password is published anyway, and hashing is slow by design.
    password = make_password(DEMO_PASSWORD)
    users = {}
    for username, role, first_name, last_name, email, org_id in DEMO_USERS:
        users[username], _ = _upsert(
            User,
            {"username": username},
            {
                "role": role,
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "organisation": organisations[org_id] if org_id else None,
                "is_active": True,
                "is_staff": role == Role.ADMIN,
                "is_superuser": role == Role.ADMIN,
                "password": password,
            },
        )
    return users


def _load_programme(organisations, users, clock) -> Programme:
    officer = users["officer"]
    values = dict(PROGRAMME)
    code, recorded_on = values.pop("code"), values.pop("recorded_on")
    with clock.on(_at(recorded_on)):
        programme, _ = _upsert(Programme, {"code": code}, {**values, "funder": organisations[DFE]}, by=officer)
    for values in ROUNDS:
        values = {**values, "budget_is_illustrative": False}
        number, recorded_on = values.pop("number"), values.pop("recorded_on")
        with clock.on(_at(recorded_on)):
            _upsert(Round, {"programme": programme, "number": number}, values, by=officer)
    for name, description in THEMES.items():
        _upsert(Theme, {"name": name}, {"description": description})
    return programme


def _load_projects(programme, organisations, users, clock):
    officer = users["officer"]
    rounds = {r.number: r for r in programme.rounds.all()}
    themes = {t.name: t for t in Theme.objects.filter(name__in=THEMES)}
    projects, grants, allocations = {}, {}, {}
    for data in PROJECTS:
        awarded = _at(data["award_date"])
        with clock.on(awarded):
            # Rated later, as the project goes (_project_events).
            project, created = _upsert(
                Project,
                {"reference": data["reference"]},
                {
                    "programme": programme,
                    "title": data["title"],
                    "summary": data["summary"],
                    "lead_organisation": organisations[data["lead"]],
                    "start_date": data["start"],
                    "end_date": data["end"],
                },
                by=officer,
            )
            if created:
                project.record_initial_status(by=officer, when=awarded)
        for org_id, role in data["partners"]:
            _upsert(
                ProjectPartner,
                {"project": project, "organisation": organisations[org_id]},
                {"role": role, "joined_on": data["start"]},
            )
        project.themes.add(*(themes[name] for name in data["themes"]))

        grant = _load_grant(project, rounds[data["round"]], data, officer, clock)
        for org_id, purpose, years in data["allocations"]:
            for year, pounds in years.items():
                resource, capital = pounds if isinstance(pounds, tuple) else (pounds, 0)
                allocations[data["reference"], org_id, year] = _load_allocation(
                    grant, organisations[org_id], FinancialYear(year), gbp(resource), gbp(capital), purpose,
                    by=officer, when=_at(data["award_date"], 12), clock=clock,
                )
        # A closed project's later ratings wait for its closure (_close_projects).
        closes = _closed_on(data) if data["status"] == Project.Status.CLOSED else None
        _live_project(project, data, [e for e in _project_events(data) if closes is None or e[0] < closes],
                      by=officer, clock=clock)
        projects[data["reference"]] = project
        grants[data["reference"]] = grant
    return projects, grants, allocations


def _project_events(data) -> list[tuple]:
    """The project's moves and ratings, in the order they happened: (when, status, rating).
    The move to closed is not among them: close_project makes it once the money is settled."""
    events = [(when, status, None) for status, when in _project_path(data) if status != Project.Status.CLOSED]
    events += [(_at(day, 12), None, (rag, reason)) for day, rag, reason in data["ratings"]]
    return sorted(events, key=lambda event: event[0])


def _live_project(project, data, events, *, by, clock) -> None:
    """Take the project through ``events`` from where it stands; a second run finds them done."""
    statuses = [status for status, _ in _project_path(data)]
    for when, status, rating in events:
        if status is not None:
            if project.status in statuses and statuses.index(status) > statuses.index(project.status):
                with clock.on(when):
                    project.set_status(status, by=by)
        elif project.rag_updated_at is None or project.rag_updated_at < when:
            with clock.on(when):
                project.rag, project.rag_reason = rating
                project.rag_updated_at = when
                project.full_clean()
                project._history_user = by
                project.save()


def _load_grant(project, round_, data, officer, clock) -> Grant:
    note = data.get("grant_note")
    values = {
        "recipient": project.lead_organisation,
        "title": data["title"],
        "description": f"{data['summary']}\n\n{note}" if note else data["summary"],
        "unallocated_reason": data.get("unallocated_reason", ""),
        "amount_awarded": data["amount"],
        "award_date": data["award_date"],
        "planned_start": data["start"],
        "planned_end": data["end"],
        # The amounts are the programme's (Hampshire's "almost £4m" is approximated);
        # the award and planned dates are invented.
        "illustrative": data.get("amount_is_approximate", False),
        "dates_are_illustrative": True,
    }
    grant = Grant.objects.filter(project=project, round=round_).order_by("pk").first()
    if grant is None:
        with clock.on(_at(data["award_date"])):
            grant = save_grant(grant=Grant(project=project, round=round_, **values), by=officer)
    elif _set_changed(grant, values):
        grant = save_grant(grant=grant, by=officer, reason="The demo's figures were corrected.")
    # A closed grant closes with its project, once the money is settled (_close_projects).
    path = [step for step in _grant_path(data) if step[0] != Grant.Status.CLOSED]
    _advance(grant, path, by=officer, clock=clock)
    return grant


def _load_allocation(grant, recipient, financial_year, resource, capital, purpose, *, by, when, clock) -> Allocation:
    values = {"resource": resource, "capital": capital, "purpose": purpose, "illustrative": True}
    allocation = Allocation.objects.filter(grant=grant, recipient=recipient, financial_year=financial_year).first()
    if allocation is None:
        with clock.on(when):
            allocation = save_allocation(
                grant=grant, recipient=recipient, financial_year=financial_year, by=by, **values
            )
    elif _set_changed(allocation, values):
        allocation = save_allocation(
            grant=grant, recipient=recipient, financial_year=financial_year, allocation=allocation, by=by,
            reason="The demo's figures were corrected.", **values,
        )
    return allocation


def _load_milestones(projects, allocations, organisations, users, clock):
    officer, finance = users["officer"], users["finance"]
    recipients = {user.organisation.org_id: user for user in users.values() if user.role == Role.RECIPIENT}
    for data in MILESTONES:
        project = projects[data["project"]]
        due = data["due"] if "due" in data else timezone.localdate() + dt.timedelta(days=data["due_in_days"])
        allocation = amount = None
        if "pay" in data:
            pounds, year, _, _ = data["pay"]
            amount = gbp(pounds)
            # Drawn from the milestone owner's own allocation under this project's grant.
            allocation = allocations[data["project"], data["organisation"], year]
        values = {
            "organisation": organisations[data["organisation"]],
            "due_date": due,
            "payment_amount": amount,
            "allocation": allocation,
            "illustrative": True,
        }
        milestone = Milestone.objects.filter(project=project, title=data["title"]).order_by("pk").first()
        if milestone is None:
            # Planned when the grant was awarded: its payment is committed from then on.
            with clock.on(_at(PROJECT_DATA[data["project"]]["award_date"], 11)):
                milestone = save_milestone(
                    milestone=Milestone(project=project, title=data["title"], **values), by=officer
                )
        elif _set_changed(milestone, values):
            # Only the milestone kept "due soon" changes, when the demo is loaded again another day.
            milestone = save_milestone(milestone=milestone, by=officer)
        if data["life"]:
            _live(milestone, data["life"], recipient=recipients[data["organisation"]], officer=officer, clock=clock)
        if "pay" in data and data["pay"][2]:
            _, _, paid_on, reference = data["pay"]
            # pay_milestone() with the illustrative mark, which it does not take.
            _record_once(
                {"milestone": milestone, "kind": Payment.Kind.PAYMENT},
                partial(
                    record_payment,
                    allocation=allocation,
                    amount=amount,
                    paid_on=paid_on,
                    by=finance,
                    milestone=milestone,
                    reference=reference,
                    note="Released by the accepted milestone.",
                    illustrative=True,
                ),
                on=paid_on,
                clock=clock,
            )


def _live(milestone, life, *, recipient, officer, clock):
    """Submit and review through the milestone workflow, in order. Steps already on
    record are left as they are, so a second run adds nothing."""
    for index, step in enumerate(life):
        submissions = list(milestone.submissions.order_by("submitted_at", "pk"))
        if index < len(submissions):
            submission = submissions[index]
        else:
            with clock.on(_at(step["submitted"])):
                submission = submit_milestone(milestone=milestone, by=recipient, narrative=step["narrative"])
        decision = next((d for d in MilestoneReview.Decision.values if d in step), None)
        if decision and not MilestoneReview.objects.filter(submission=submission).exists():
            with clock.on(_at(step[decision], hour=15)):
                review_milestone(milestone=milestone, by=officer, decision=decision, reason=step.get("reason", ""))


def _record_once(lookup: dict, record, *, on: dt.date, clock) -> Payment:
    """Record a payment or recovery on its day unless it is on record: money is never
    edited or deleted here, and the services refuse anything that breaks a money rule."""
    payment = Payment.objects.filter(**lookup).order_by("pk").first()
    if payment is None:
        with clock.on(_at(on)):
            payment = record()
    return payment


def _load_payments(allocations, users, clock):
    finance = users["finance"]
    for project, org_id, year, pounds, paid_on, reference in SCHEDULED_PAYMENTS:
        allocation = allocations[project, org_id, year]
        _record_once(
            {"allocation": allocation, "reference": reference},
            partial(
                record_payment,
                allocation=allocation,
                amount=gbp(pounds),
                paid_on=paid_on,
                by=finance,
                reference=reference,
                note="Scheduled payment.",
                illustrative=True,
            ),
            on=paid_on,
            clock=clock,
        )
    data = ADVANCE_PAYMENT
    allocation = allocations[data["project"], data["recipient"], data["year"]]
    _record_once(
        {"allocation": allocation, "reference": data["reference"]},
        partial(
            record_payment,
            allocation=allocation,
            amount=gbp(data["amount"]),
            paid_on=data["paid_on"],
            by=finance,
            in_advance=True,
            advance_reason=data["advance_reason"],
            reference=data["reference"],
            illustrative=True,
        ),
        on=data["paid_on"],
        clock=clock,
    )


def _pay_in_arrears(allocation, quarter: int, reference: str, *, by, clock) -> None:
    """Invented. Once a quarter's return is in, the funder pays what the recipient has
    spent and not yet been paid, so that spend never runs ahead of payments for long and
    `reconcile` lists only the demo's one deliberate discrepancy (Havering's £300,000 not
    yet allocated), today or as at any quarter's end. Never beyond the headroom: what a
    milestone still to be accepted will release stays committed to it, so that milestone
    can always be paid."""
    if allocation.payments.filter(reference=reference).exists():
        return
    figures = money.ledger_figures(allocation.pk)
    owed = min(figures.spent - figures.net_paid, figures.headroom)
    if owed <= 0:
        return
    year = allocation.financial_year
    paid_on = min(year.quarter(quarter).end + dt.timedelta(days=30), timezone.localdate())
    planned_end = allocation.grant.planned_end
    late = LATE_FINAL_PAYMENT.format(year=year, end=planned_end) if paid_on > planned_end else ""
    _record_once(
        {"allocation": allocation, "reference": reference},
        partial(
            record_payment,
            allocation=allocation,
            amount=owed,
            paid_on=paid_on,
            by=by,
            reference=reference,
            note=f"Paid in arrears against the spend return for Q{quarter}.",
            late_reason=late,
            illustrative=True,
        ),
        on=paid_on,
        clock=clock,
    )


def _load_recovery(allocations, users, clock):
    data = RECOVERY
    allocation = allocations[data["project"], data["recipient"], data["year"]]
    _record_once(
        {"allocation": allocation, "reference": data["reference"]},
        partial(
            record_recovery,
            allocation=allocation,
            amount=gbp(data["amount"]),
            paid_on=data["paid_on"],
            by=users["finance"],
            reason=data["note"],
            recovery_reason=data["recovery_reason"],
            reference=data["reference"],
            illustrative=True,
        ),
        on=data["paid_on"],
        clock=clock,
    )


def _return_quarters(data, year: int, last_year: int) -> tuple[list[int], list[int]]:
    """The quarters of ``year`` the project runs in (none ended before the award or starts
    after the project's end), and of those the quarters with a return on record."""
    fy = FinancialYear(year)
    running = [
        q for q in (1, 2, 3, 4) if fy.quarter(q).end >= data["award_date"] and fy.quarter(q).start <= data["end"]
    ]
    if data["round"] == 2 and year == last_year:
        return running, running[:LAST_YEAR_RETURNED_QUARTERS]
    return running, running


def _load_spend_returns(projects, allocations, users, clock):
    # Through the service, so that a return's quarter must fall within the grant's and the
    # project's dates. Most demo organisations have no user: a programme officer records
    # the returns they sent in, as the service allows. Each return is followed by the
    # payment in arrears it calls for.
    officer, finance = users["officer"], users["finance"]
    submitters = {user.organisation.org_id: user for user in users.values() if user.role == Role.RECIPIENT}
    last_year = {ref: max(year for (r, _, year) in allocations if r == ref) for ref in projects}
    for number, key in enumerate(sorted(allocations), start=1):
        ref, org_id, year = key
        allocation = allocations[key]
        data = PROJECT_DATA[ref]
        running, returned = _return_quarters(data, year, last_year[ref])
        # Work whose milestone payment is still committed is not yet spent: it stays in the
        # forecast, so spending never runs ahead of what the funder can pay.
        committed = money.ledger_figures(allocation.pk).committed
        figures = UNDERSPENT.get(key) or _even_spending(
            allocation.resource + allocation.capital, running, returned, not_yet_spent=committed
        )
        on_record = {r.quarter: r for r in allocation.spend_returns.all()}
        for quarter in returned:
            spend_return = on_record.get(quarter)
            end = FinancialYear(year).quarter(quarter).end
            if spend_return is None:
                spent, forecast, comment = figures[quarter]
                with clock.on(_at(end + dt.timedelta(days=21))):
                    spend_return = submit_spend_return(
                        allocation=allocation, by=submitters.get(org_id, officer), quarter=quarter,
                        spent=gbp(spent), forecast=gbp(forecast), comment=comment,
                    )
                    # submit_spend_return() takes no illustrative mark: the return, and its
                    # history, carry it as every invented figure does.
                    SpendReturn.objects.filter(pk=spend_return.pk).update(illustrative=True)
                    SpendReturn.history.filter(id=spend_return.pk).update(illustrative=True)
            _pay_in_arrears(allocation, quarter, f"CSCIP/{year % 100:02d}/S{number:03d}/Q{quarter}", by=finance,
                            clock=clock)
            # The latest return of a project still running awaits the officer's review.
            awaiting = data["status"] != Project.Status.CLOSED and year == last_year[ref] and quarter == returned[-1]
            if not awaiting and spend_return.status == SpendReturn.Status.SUBMITTED:
                with clock.on(_at(end + dt.timedelta(days=35), hour=15)):
                    review_spend_return(spend_return=spend_return, by=officer)


def _even_spending(
    total: Decimal, running: list[int], returned: list[int], not_yet_spent: Decimal = Decimal("0.00")
) -> dict[int, tuple[Decimal, Decimal, str]]:
    # Spent in whole pounds; the year's last quarter spends what is left and the forecast
    # is what is left of the year, so spent + forecast is the allocation to the penny.
    figures, spent_so_far = {}, Decimal("0.00")
    spendable = total - not_yet_spent
    weight = sum(QUARTER_SHARES[quarter] for quarter in running)
    for quarter in returned:
        if quarter == running[-1]:
            spent = spendable - spent_so_far
        else:
            spent = (spendable * QUARTER_SHARES[quarter] / weight).quantize(Decimal("1"))
        spent_so_far += spent
        figures[quarter] = (spent, total - spent_so_far, "")
    return figures


def _close_projects(projects, grants, users, clock):
    """Close each project the story closes, through close_project, which checks that its
    money is settled; then its grant; then the project's ratings since."""
    officer = users["officer"]
    for data in PROJECTS:
        if data["status"] != Project.Status.CLOSED:
            continue
        project, grant = projects[data["reference"]], grants[data["reference"]]
        closes = _closed_on(data)
        if project.status == Project.Status.CLOSING:
            with clock.on(closes):
                close_project(project=project, by=officer, reason=data["closure_reason"])
        _advance(grant, _grant_path(data), by=officer, clock=clock)
        _live_project(project, data, [e for e in _project_events(data) if e[0] >= closes], by=officer, clock=clock)


def _load_evidence(projects, organisations, users, clock):
    officer, evaluator = users["officer"], users["evaluator"]
    load_measures()
    measures = {measure.name: measure for measure in OutcomeMeasure.objects.filter(name__in=[CP_PLANS, DIRECT_WORK])}
    for data in EVALUATIONS:
        evaluation, _ = _upsert(
            Evaluation,
            {"title": data["title"]},
            {
                "evaluator_organisation": organisations[EVALUATOR],
                "design": data["design"],
                "status": data["status"],
                "summary": data["summary"],
                "start_date": data["start_date"],
                "end_date": data["end_date"],
            },
        )
        evaluation.projects.add(*(projects[ref] for ref in data["projects"]))
        evaluation.evaluators.add(evaluator)
        reports = {}
        for title, kind, published_on in data["reports"]:
            # A report known by its title only: add_report() is for uploaded files.
            reports[title], _ = _upsert(
                EvaluationReport,
                {"evaluation": evaluation, "title": title},
                {
                    "kind": kind,
                    "published_on": published_on,
                    "uploaded_by": evaluator,
                    "uploaded_at": _at(published_on),
                },
            )
        for scale, value, rationale in data["ratings"]:
            rating = EvidenceRating.objects.filter(evaluation=evaluation, scale=scale).first()
            if rating is None or (rating.value, rating.rationale) != (value, rationale):
                with clock.on(_at(data["end_date"] - dt.timedelta(days=365))):
                    rate_evaluation(evaluation=evaluation, by=officer, scale=scale, value=value, rationale=rationale)
        for result in data["results"]:
            _load_result(evaluation, result, measures, organisations, reports, evaluator, clock)


def _load_result(evaluation, data, measures, organisations, reports, evaluator, clock) -> None:
    keys = {
        "evaluation": evaluation,
        "measure": measures[data["measure"]],
        "authority": organisations[data["authority"]] if data["authority"] else None,
    }
    baseline, baseline_start, baseline_end = data["baseline"]
    followup, followup_start, followup_end = data.get("followup", (None, None, None))
    source = reports.get(data.get("source_report"))
    values = {
        "baseline_value": Decimal(baseline),
        "baseline_period_start": baseline_start,
        "baseline_period_end": baseline_end,
        "target_value": Decimal(data["target"]) if "target" in data else None,
        "followup_value": Decimal(followup) if followup else None,
        "followup_period_start": followup_start,
        "followup_period_end": followup_end,
        "source_report": source,
        "source_location": data.get("source_location", ""),
        "illustrative": True,
    }
    result = OutcomeResult.objects.filter(**keys).first()
    if result is None:
        # Recorded from the report it comes from, or a month after its baseline period.
        recorded = source.published_on if source else baseline_end + dt.timedelta(days=30)
        with clock.on(_at(recorded)):
            save_result(result=OutcomeResult(**keys, **values), by=evaluator)
    elif _set_changed(result, values):
        save_result(result=result, by=evaluator)
