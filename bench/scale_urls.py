"""The portal's routes plus a minimal Django view, the yardstick of bench/scale.py."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from portal.urls import handler400, handler403, handler404, handler500
from portal.urls import urlpatterns as portal_urlpatterns


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


urlpatterns = [path("bench-minimal/", minimal), *portal_urlpatterns]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
