"""Who may see, change and rate which evidence: the permission-scoped querysets of
evaluations/models.py, the only way views, imports and reports reach its rows."""

from django.db import models
from django.db.models import Case, Exists, ExpressionWrapper, OuterRef, Q, Subquery, Value, When

from evaluations.figures import EvidenceStrength
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
    def with_outside(self):
        """Each result with ``outside``: true when it is for an organisation that takes part in none
        of the evaluation's projects and is not named as a comparison group's. Such rows were
        recorded before the rule, or left outside when a partner or a project was taken off; they
        are kept (evidence is never silently lost) and listed for an officer to put right."""
        lead = Project.objects.filter(evaluations=OuterRef("evaluation"), lead_organisation=OuterRef("authority"))
        partner = ProjectPartner.objects.filter(
            project__evaluations=OuterRef("evaluation"), organisation=OuterRef("authority")
        )
        outside = Q(authority__isnull=False, comparison_group="") & ~Exists(lead) & ~Exists(partner)
        return self.annotate(outside=ExpressionWrapper(outside, output_field=models.BooleanField()))

    def outside_the_project(self):
        return self.with_outside().filter(outside=True)

    def with_evidence_strength(self):
        """Each result with ``evidence_strength``: its evaluation's ``Evaluation.evidence_strength`` worked out
        in the database (a Case over the design and a subquery of the Maryland rating's value), so a report can
        count, group and page the results by it without building them."""
        evaluation = self.model._meta.get_field("evaluation").related_model
        rating = evaluation._meta.get_field("ratings").related_model
        maryland = rating.objects.filter(evaluation=OuterRef("evaluation"), scale=rating.Scale.MARYLAND)
        # Levels are the single characters "1" to "5", so text order is number order.
        return self.annotate(maryland_value=Subquery(maryland.values("value")[:1])).annotate(
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
