"""Material bundles: contents and licence; every download recorded and counted per institution; the
public statistics; derived projects approved by a curator."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.test import override_settings

from accounts.errors import NotAllowed, WrongState
from accounts.models import Role
from courses import selectors, services
from courses.models import BundleDownload, DerivedProject, InstitutionMember
from tests.conftest import audit_actions
from tests.courses import factories

pytestmark = pytest.mark.django_db


def test_course_bundle_holds_the_pinned_notebooks_licence_attribution_and_readme(catalogue, make_user, nb):
    course = factories.course(make_user)
    factories.assignment(course, "short")
    factories.assignment(course, "sleeps")
    factories.assignment(course, "short")  # the same notebook twice is one file

    bundle = services.bundle_download(actor=factories.instructor_of(course), course=course)

    archive = zipfile.ZipFile(io.BytesIO(bundle.content))
    names = sorted(name.split("/", 1)[1] for name in archive.namelist())
    assert names == ["ATTRIBUTION.md", "LICENSE", "README.md", "notebooks/short.ipynb", "notebooks/sleeps.ipynb"]
    root = archive.namelist()[0].split("/")[0]
    licence = archive.read(f"{root}/LICENSE").decode()
    assert licence.startswith("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International")
    assert "Section 8 – Interpretation." in licence and "NonCommercial means not primarily intended for" in licence
    assert len(licence) > 15000
    attribution = archive.read(f"{root}/ATTRIBUTION.md").decode()
    assert nb("short").current_version.sha256 in attribution and "CC BY-NC-SA 4.0" in attribution
    notebook = json.loads(archive.read(f"{root}/notebooks/short.ipynb"))
    assert notebook["metadata"]["portal"]["slug"] == "short"


def test_every_download_is_recorded_with_user_institution_and_version(catalogue, make_user, nb):
    course = factories.course(make_user)
    factories.assignment(course, "short")
    instructor = factories.instructor_of(course)

    services.bundle_download(actor=instructor, course=course)

    row = BundleDownload.objects.get()
    assert (row.user, row.institution, row.course, row.version) == (
        instructor,
        course.institution,
        course,
        nb("short").current_version,
    )
    assert "bundle.download" in audit_actions()


def test_downloads_are_counted_per_institution(catalogue, make_user, nb):
    first, second = factories.institution(), factories.institution()
    people = [make_user(Role.INSTRUCTOR) for _ in range(3)]
    InstitutionMember.objects.create(institution=first, user=people[0])
    InstitutionMember.objects.create(institution=first, user=people[1])
    InstitutionMember.objects.create(institution=second, user=people[2])
    for person in people:
        services.bundle_download(actor=person, notebook=nb("short"))
    services.bundle_download(actor=make_user(), notebook=nb("sleeps"))  # no institution: counted, no university

    figures = selectors.download_figures()
    assert figures["bundles"] == 4 and figures["institutions"] == 2
    short = next(row for row in figures["per_notebook"] if row["slug"] == "short")
    assert (short["downloads"], short["institutions"]) == (3, 2)
    assert selectors.notebook_download_figures(nb("sleeps")) == {"downloads": 1, "institutions": 0}


def test_a_course_bundle_needs_membership_and_assignments(catalogue, make_user):
    course = factories.course(make_user)
    with pytest.raises(WrongState):
        services.bundle_download(actor=factories.instructor_of(course), course=course)
    factories.assignment(course)
    with pytest.raises(NotAllowed):
        services.bundle_download(actor=make_user(Role.INSTRUCTOR), course=course)


def test_bundle_page_is_a_zip_download(catalogue, make_user, client):
    course = factories.course(make_user)
    factories.assignment(course)
    client.force_login(factories.instructor_of(course))
    response = client.get(f"/courses/{course.pk}/bundle.zip")
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert "attachment" in response["Content-Disposition"]
    assert zipfile.ZipFile(io.BytesIO(response.content)).testzip() is None


def test_derived_projects_are_submitted_by_instructors_and_approved_by_curators(catalogue, make_user, nb, client):
    place = factories.institution()
    instructor = make_user(Role.INSTRUCTOR)
    InstitutionMember.objects.create(institution=place, user=instructor)
    project = services.derived_project_submit(
        actor=instructor, title="Nodules", team="A, B", institution=place, year=2025, competition="省赛", award="一等奖",
        notebooks=[nb("short")], links=["https://example.org/x"],
    )  # fmt: skip
    assert project.status == "pending"
    assert project not in selectors.derived_project_list()
    with pytest.raises(NotAllowed):
        services.derived_project_decide(actor=instructor, project=project, approve=True)

    services.derived_project_decide(actor=make_user(Role.CURATOR), project=project, approve=True)

    assert list(selectors.derived_project_list(notebook=nb("short"))) == [project]
    assert "Nodules" in client.get(f"/courses/institutions/{place.pk}/").content.decode()
    assert "Nodules" in client.get("/notebooks/short/").content.decode()
    with pytest.raises(WrongState):
        services.derived_project_decide(actor=make_user(Role.CURATOR), project=project, approve=False)


def test_projects_of_another_institution_are_refused(catalogue, make_user):
    instructor = make_user(Role.INSTRUCTOR)
    InstitutionMember.objects.create(institution=factories.institution(), user=instructor)
    with pytest.raises(NotAllowed):
        services.derived_project_submit(actor=instructor, title="X", team="Y", institution=factories.institution(), year=2025)


@override_settings(DEBUG=True)
def test_demo_data_reports_the_seeds_327_universities_and_21_awards(client):
    call_command("demo_data", verbosity=0)
    call_command("demo_data", verbosity=0)  # idempotent

    figures = client.get("/api/v1/stats/").json()
    assert figures["downloads"]["institutions"] == 327
    assert figures["derived_projects"] == 21 and figures["derived_project_awards"] == 21
    assert DerivedProject.objects.count() == 21
    page = client.get("/stats/").content.decode()
    assert "327" in page and "data-downloads-per-notebook" in page
