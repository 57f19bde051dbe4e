"""Who may see, change and rate which evidence: the permission-scoped querysets of
evaluations/models.py, the only way views, imports and reports reach its rows."""

from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, F, FilteredRelation, OuterRef, Q, Value, When

from evaluations.figures import EvidenceStrength, Judgement
from evaluations.models_measures import OutcomeMeasure
from projects.models import Project, ProjectPartner


class EvaluationQuerySet(models.QuerySet):
    def for_user(self, user):
        """Evaluators see the evaluations assigned to them and those they are named to
        review; recipients those of their projects; funder staff and viewers all."""
        if not user.is_authenticated:
            return self.none()
        if user.sees_whole_programme:
            return self
        if user.is_evaluator:
            return self.filter(
                Q(pk__in=self.model.evaluators.through.objects.filter(user=user).values("evaluation"))
                | Q(pk__in=self.model.reviewers.through.objects.filter(user=user).values("evaluation"))
            )
        if user.is_recipient:
            visible = Project.objects.for_user(user)
            return self.filter(
                pk__in=self.model.projects.through.objects.filter(project__in=visible).values("evaluation")
            )
        return self.none()

    def editable_by(self, user):
        """Officers edit every evaluation; an evaluator only those assigned to it (a reviewer
        reads and rates one, but does not change it)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_officer:
            return self
        if user.is_evaluator:
            return self.filter(pk__in=self.model.evaluators.through.objects.filter(user=user).values("evaluation"))
        return self.none()

    def ratable_by(self, user):
        """Whose evidence the user may rate: an officer any evaluation's, an evaluator those it
        is named to review, never one it carries out (no one marks their own work)."""
        if not user.is_authenticated:
            return self.none()
        if user.is_officer:
            return self.exclude(evaluators=user)
        if user.is_evaluator:
            return self.filter(
                pk__in=self.model.reviewers.through.objects.filter(user=user).values("evaluation")
            ).exclude(evaluators=user)
        return self.none()


class ThroughEvaluationQuerySet(models.QuerySet):
    """For the rows that belong to one evaluation (its reports, ratings and results)."""

    def _evaluations(self) -> EvaluationQuerySet:
        return self.model._meta.get_field("evaluation").related_model.objects.all()

    def for_user(self, user):
        return self.filter(evaluation__in=self._evaluations().for_user(user))

    def editable_by(self, user):
        return self.filter(evaluation__in=self._evaluations().editable_by(user))


class OutcomeResultQuerySet(ThroughEvaluationQuerySet):
    @staticmethod
    def _takes_part():
        """Whether the outer result's authority leads, or is a partner in, one of its evaluation's projects."""
        lead = Project.objects.filter(evaluations=OuterRef("evaluation"), lead_organisation=OuterRef("authority"))
        partner = ProjectPartner.objects.filter(
            project__evaluations=OuterRef("evaluation"), organisation=OuterRef("authority")
        )
        return Exists(lead), Exists(partner)

    def with_outside(self):
        """Each result with ``outside``: true when it is for an organisation that takes part in none
        of the evaluation's projects and is not named as a comparison group's. Such rows were
        recorded before the rule, or left outside when a partner or a project was taken off; they
        are kept (evidence is never silently lost) and listed for an officer to put right."""
        lead, partner = self._takes_part()
        outside = Q(authority__isnull=False, comparison_group="") & ~lead & ~partner
        return self.annotate(outside=ExpressionWrapper(outside, output_field=models.BooleanField()))

    def outside_the_project(self):
        return self.with_outside().filter(outside=True)

    def inside_the_project(self):
        """The results ``with_outside`` does not mark outside, for a report over many: those outside are found in a
        query of their own, whose NOT EXISTS the database runs as anti-joins, and left out by id. Tested row by row
        inside an OR instead, PostgreSQL costs them as a subquery per row, and that estimate alone makes it
        compile the report's queries (JIT) for longer than they take to run."""
        lead, partner = self._takes_part()
        # Among the results already chosen: for one project's few, not every result of the programme.
        outside = self.order_by().filter(authority__isnull=False, comparison_group="")
        return self.exclude(pk__in=outside.exclude(lead).exclude(partner).values("pk"))

    def with_evidence_strength(self):
        """Each result with ``evidence_strength``: its evaluation's ``Evaluation.evidence_strength`` worked out
        in the database (a Case over the design and the Maryland rating's value), so a report can count, group
        and page the results by it without building them. The rating is a left join on the evaluation's rating
        on the Maryland scale, of which there is at most one (``one_rating_per_scale``), so no result is
        repeated and the database reads it once per evaluation, not once per result and mention."""
        evaluation = self.model._meta.get_field("evaluation").related_model
        rating = evaluation._meta.get_field("ratings").related_model
        on_maryland = FilteredRelation(
            "evaluation__ratings", condition=Q(evaluation__ratings__scale=rating.Scale.MARYLAND)
        )
        # Levels are the single characters "1" to "5", so text order is number order.
        return self.annotate(maryland_rating=on_maryland, maryland_value=F("maryland_rating__value")).annotate(
            evidence_strength=Case(
                When(maryland_value__isnull=True, then=Value(EvidenceStrength.NOT_RATED.value)),
                When(
                    Q(maryland_value__gte=str(evaluation.STRONGER_FROM_LEVEL))
                    & ~Q(evaluation__design__in=evaluation.NO_COMPARISON_DESIGNS),
                    then=Value(EvidenceStrength.STRONGER.value),
                ),
                default=Value(EvidenceStrength.WEAKER.value),
            )
        )

    def with_judgement(self):
        """Each result with ``judged``: its ``ResultFigures.judgement`` (improved, worsened, unchanged or no
        follow-up yet, by the measure's direction) worked out in the database, so a report can count the results
        by it without building them. Named apart from the property, which every result keeps."""
        baseline = F("baseline_value")
        lower_is_better = Q(measure__direction=OutcomeMeasure.Direction.LOWER_IS_BETTER)
        return self.annotate(
            judged=Case(
                When(followup_value__isnull=True, then=Value(Judgement.NO_FOLLOWUP.value)),
                When(followup_value=baseline, then=Value(Judgement.UNCHANGED.value)),
                When(
                    (lower_is_better & Q(followup_value__lt=baseline))
                    | (~lower_is_better & Q(followup_value__gt=baseline)),
                    then=Value(Judgement.IMPROVED.value),
                ),
                default=Value(Judgement.WORSENED.value),
            )
        )
