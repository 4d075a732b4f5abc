"""Password-reset requests, rate-limited per address and per client.

Per address: at most PASSWORD_RESET_PER_ADDRESS_PER_HOUR e-mails to one address, so the form cannot be
used to flood someone's mailbox; over the limit the page reads exactly as before (whether the address
exists stays unknown) and nothing is sent. Per client: at most PASSWORD_RESET_PER_CLIENT_PER_HOUR requests
from one IP address; over it the form answers 429 and says when to try again. Counters live in the
cache (per process with the default local-memory cache; a shared cache makes them portal-wide).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

WINDOW_SECONDS = 3600


def _count(key: str) -> int:
    """One more request under `key` in the current window; the number so far, this one included."""
    if cache.add(key, 1, timeout=WINDOW_SECONDS):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=WINDOW_SECONDS)
        return 1


class RateLimitedPasswordResetView(auth_views.PasswordResetView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client = request.META.get("REMOTE_ADDR", "unknown")
        if _count(f"password-reset:client:{client}") > settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR:
            form = self.get_form()
            form.is_valid()
            form.add_error(None, _("Too many password reset requests from this network. Try again in an hour."))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(WINDOW_SECONDS)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: Any) -> HttpResponse:
        address = str(form.cleaned_data["email"]).casefold()
        if _count(f"password-reset:address:{address}") > settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR:
            return super(auth_views.PasswordResetView, self).form_valid(form)  # the same page, no e-mail
        return super().form_valid(form)
