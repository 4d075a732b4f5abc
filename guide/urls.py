from django.urls import path

from guide import views

app_name = "guide"

urlpatterns = [
    path("guide/", views.index, name="index"),
    path("guide/search/", views.search, name="search"),
    path("guide/errata/", views.errata, name="errata"),
    path("guide/<slug:slug>/", views.chapter, name="chapter"),
    path("about/", views.about, name="about"),
]
