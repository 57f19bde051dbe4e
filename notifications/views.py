from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.permissions import OFFICERS, role_required
from core.paging import sort_and_page
from notifications import services
from notifications.catalogue import FOR_ROLE, REQUIRED
from notifications.filters import MessageFilter
from notifications.forms import PreferenceForm
from notifications.models import Message
from notifications.tables import MessageTable


@role_required(*OFFICERS)
def message_log(request):
    messages_sent = Message.objects.for_user(request.user).select_related("user")
    filterset = MessageFilter(request.GET or None, queryset=messages_sent, request=request)
    table = MessageTable(filterset.qs)
    sort_and_page(request, table)
    return render(
        request,
        "notifications/log.html",
        {"filter": filterset, "form": filterset.form, "table": table, "attempts": settings.MESSAGE_ATTEMPTS},
    )


@require_POST
@role_required(*OFFICERS)
def send_again(request, message_pk):
    message = get_object_or_404(Message.objects.for_user(request.user), pk=message_pk)
    if services.send_again(message=message):
        messages.success(request, f"The message to {message.email} is queued to be sent again")
    else:
        messages.info(request, f"The message to {message.email} had not failed, so it was not sent again")
    return redirect("notifications:log")


@login_required
def preferences(request):
    user = request.user
    preference = services.preference_of(user)
    initial = {
        "wanted": [kind.value for kind in FOR_ROLE.get(user.role, ()) if kind.value not in preference.switched_off],
        "frequency": preference.frequency,
    }
    form = PreferenceForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.save_preferences(
            user=user,
            switched_off=form.switched_off(),
            weekly=form.cleaned_data["frequency"] == preference.Frequency.WEEKLY,
        )
        messages.success(request, "Your message choices are saved")
        return redirect("notifications:preferences")
    recent = Message.objects.filter(user=user).order_by("-created_at", "-pk")[:10]
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "required": [kind for kind in FOR_ROLE.get(user.role, ()) if kind in REQUIRED],
            "recent": recent,
        },
    )
