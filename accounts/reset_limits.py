"""Password-reset requests, rate-limited per address and per client.

Per address: at most PASSWORD_RESET_PER_ADDRESS_PER_HOUR e-mails to one address, so the form cannot be
used to flood someone's mailbox; over the limit the page reads exactly as before (whether the address
exists stays unknown) and nothing is sent. Per client: at most PASSWORD_RESET_PER_CLIENT_PER_HOUR requests
from one IP address; over it the form answers 429 and says when to try again. The counters are rows of the
database (`accounts.RateCounter`, one per key and clock hour), so the limits hold across every web process
and machine; the increment is a single UPDATE, atomic on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import RateCounter

WINDOW_SECONDS = 3600


def _count(key: str) -> int:
    """One more request under `key` in the current clock hour; the number so far, this one included."""
    now = timezone.now()
    window = now.replace(minute=0, second=0, microsecond=0)
    if not RateCounter.objects.filter(key=key, window_start=window).update(count=F("count") + 1):
        try:
            with transaction.atomic():
                RateCounter.objects.create(key=key, window_start=window, count=1)
        except IntegrityError:  # another process created it first: count on its row
            RateCounter.objects.filter(key=key, window_start=window).update(count=F("count") + 1)
        RateCounter.objects.filter(window_start__lt=window).delete()
    return RateCounter.objects.get(key=key, window_start=window).count


def _seconds_left_in_window() -> int:
    now = timezone.now()
    return WINDOW_SECONDS - (now.minute * 60 + now.second)


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = request.META.get("REMOTE_ADDR", "unknown")
        if _count(f"password-reset:client:{client}") > settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR:
            form = self.get_form()
            form.is_valid()
            form.add_error(None, _("Too many password reset requests from this network. Try again in an hour."))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(_seconds_left_in_window())
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        address = str(form.cleaned_data["email"]).casefold()
        if _count(f"password-reset:address:{address}") > settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR:
            return super(auth_views.PasswordResetView, self).form_valid(form)  # the same page, no e-mail
        return super().form_valid(form)
