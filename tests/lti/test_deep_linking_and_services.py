"""Deep Linking, Assignment and Grade Services and Names and Role Provisioning Services against the test
LMS: a picked notebook becomes an assignment whose signed reply the LMS verifies; a succeeded run's score
arrives at the LMS (also after the LMS refused it first); the roster is enrolled."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from bs4 import BeautifulSoup

from courses.models import Assignment, Enrolment, Submission
from lti.models import ContextBinding, GradeSend, LtiIdentity, ResourceLink
from lti.services.grades import run_finished, score_of
from notebooks.models import Run
from tests.courses import factories
from tests.lti.platform import INSTRUCTOR, LEARNER, LTI

pytestmark = pytest.mark.django_db
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


@pytest.fixture
def binding(platform, make_user, catalogue) -> ContextBinding:
    course = factories.course(make_user, at=platform.institution)
    return ContextBinding.objects.create(platform=platform, context_id="ctx-1", course=course, deployment_id="deployment-1")


def _teacher_of(binding: ContextBinding, do_launch: Any) -> None:
    """The LMS's instructor launches once (and so teaches the bound course)."""
    assert do_launch(sub="teacher-1", roles=[INSTRUCTOR]).status_code == 302


def test_an_instructor_picks_a_notebook_and_the_lms_receives_the_signed_assignment(binding, do_launch, lms, client) -> None:
    response = do_launch(sub="teacher-1", roles=[INSTRUCTOR], message_type="LtiDeepLinkingRequest")
    assert response.status_code == 302 and response["Location"] == "/lti/deep-link/"
    picker = client.get("/lti/deep-link/")
    assert picker.status_code == 200
    short = next(
        o for o in BeautifulSoup(picker.content, "html.parser").select("select[name=notebook] option") if "short" in o.text
    )

    reply = client.post("/lti/deep-link/", {"notebook": short["value"], "title": "Week 1"})

    assert reply.status_code == 200
    assignment = Assignment.objects.get(course=binding.course, title="Week 1")
    form = BeautifulSoup(reply.content, "html.parser").select_one("form[data-lti-autopost]")
    jwt_input = form.select_one("input[name=JWT]") if form else None
    assert form is not None and jwt_input is not None
    assert form["action"] == f"{lms.base}/deep_link_return"
    assert f"form-action 'self' {lms.base}" in reply["Content-Security-Policy"]
    # The browser posts the form to the LMS, which checks the signature against the portal's JWKS.
    accepted = requests.post(str(form["action"]), data={"JWT": str(jwt_input["value"])}, timeout=10)
    assert accepted.status_code == 200, accepted.text
    (claims,) = lms.deep_link_replies
    (item,) = claims["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert item["type"] == "ltiResourceLink" and item["url"] == "http://testserver/lti/launch/"
    assert item["custom"] == {"assignment": str(assignment.pk)} and item["lineItem"]["scoreMaximum"] == 1
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-data-1"
    assert claims[LTI + "deployment_id"] == "deployment-1"


def test_a_learner_cannot_deep_link_and_nothing_is_created(binding, do_launch) -> None:
    response = do_launch(sub="student-9", roles=[LEARNER], message_type="LtiDeepLinkingRequest")
    assert response.status_code == 403 and not LtiIdentity.objects.exists()


@pytest.mark.parametrize(
    ("value", "score"),
    [(0.8, 0.8), (1, 1.0), (0, 0.0), (87.5, 0.875), (100, 1.0), (101, None), (-0.1, None), ("a", None), (True, None)],
)
def test_the_metric_maps_to_a_score_between_0_and_1(value, score) -> None:
    assert score_of(value) == score


def _launched_student(binding: ContextBinding, do_launch: Any, client: Any) -> tuple[Assignment, Any]:
    assignment = factories.assignment(binding.course, grade_metric="accuracy")
    assert do_launch(sub="student-1", custom={"assignment": str(assignment.pk)}).status_code == 302
    return assignment, LtiIdentity.objects.get(sub="student-1").user


def _succeeded(assignment: Assignment, student: Any, **metrics: Any) -> Run:
    run = Run.objects.create(
        notebook=assignment.notebook, version=assignment.version, owner=student, parameters={},
        timeout_seconds=60, memory_limit_mb=512, status=Run.Status.SUCCEEDED, metrics=metrics,
    )  # fmt: skip
    Submission.objects.create(assignment=assignment, student=student, run=run, started_by=student)
    return run


def test_the_score_of_a_succeeded_run_arrives_at_the_lms(
    binding, do_launch, lms, client, django_capture_on_commit_callbacks
) -> None:
    assignment, student = _launched_student(binding, do_launch, client)
    run = _succeeded(assignment, student, accuracy=0.75, loss=3.2)

    with django_capture_on_commit_callbacks(execute=True):
        run_finished(run.pk)
        run_finished(run.pk)  # a second call sends nothing more

    (score,) = lms.scores
    assert score["lineitem"] == "/contexts/ctx-1/lineitems/link-1"
    assert (score["userId"], score["scoreGiven"], score["scoreMaximum"]) == ("student-1", 0.75, 1)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    send = GradeSend.objects.get()
    assert (send.status, send.attempts, send.metric) == ("sent", 1, "accuracy")


def test_without_a_chosen_metric_the_score_is_the_first_numeric_metric_the_grade_book_counts(
    binding, do_launch, lms, client, django_capture_on_commit_callbacks
) -> None:
    # Given an assignment whose instructor chose no grade metric, and a run reporting a label and two numbers
    assignment, student = _launched_student(binding, do_launch, client)
    assignment.grade_metric = ""
    assignment.save(update_fields=["grade_metric"])
    run = _succeeded(assignment, student, label="best", accuracy=0.5, recall=0.9)

    # When the run finishes
    with django_capture_on_commit_callbacks(execute=True):
        run_finished(run.pk)

    # Then the LMS receives the metric the grade book grades by: the first numeric one, by name
    (score,) = lms.scores
    assert score["scoreGiven"] == 0.5
    assert GradeSend.objects.get().metric == "accuracy"


def test_a_score_the_lms_refuses_first_is_retried_until_it_arrives(
    binding, do_launch, lms, client, settings, django_capture_on_commit_callbacks
) -> None:
    assignment, student = _launched_student(binding, do_launch, client)
    run = _succeeded(assignment, student, accuracy=0.5)
    lms.fail_scores = 2

    with django_capture_on_commit_callbacks(execute=True):
        run_finished(run.pk)

    assert lms.score_failures == 2 and [s["scoreGiven"] for s in lms.scores] == [0.5]
    send = GradeSend.objects.get()
    assert (send.status, send.attempts, send.last_error) == ("sent", 3, "")


def test_a_score_the_lms_keeps_refusing_stays_failed_and_visible(
    binding, do_launch, lms, client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.LTI_GRADE_MAX_ATTEMPTS = 2
    assignment, student = _launched_student(binding, do_launch, client)
    run = _succeeded(assignment, student, accuracy=0.5)
    lms.fail_scores = 10

    with django_capture_on_commit_callbacks(execute=True):
        run_finished(run.pk)

    send = GradeSend.objects.get()
    assert (send.status, send.attempts) == ("failed", 2) and "503" in send.last_error and not lms.scores
    teacher = binding.course.enrolments.get(role="instructor").user
    client.force_login(teacher)
    page = client.get(f"/lti/courses/{binding.course.pk}/")
    assert page.status_code == 200 and "503" in page.content.decode()


def test_the_instructor_reads_the_roster_and_it_is_enrolled(binding, do_launch, lms, client) -> None:
    lms.members = [
        {"user_id": "student-7", "name": "Ada Lovelace", "roles": [LEARNER], "status": "Active"},
        {"user_id": "student-8", "name": "Left Early", "roles": [LEARNER], "status": "Inactive"},
        {"user_id": "teacher-2", "name": "Co Teacher", "roles": [INSTRUCTOR], "status": "Active"},
    ]
    _teacher_of(binding, do_launch)  # the launch reads the roster too
    ada = Enrolment.objects.get(course=binding.course, user__lti_identities__sub="student-7")
    assert ada.role == "student" and ada.source == "lms"
    lms.members.append({"user_id": "student-10", "name": "Late Joiner", "roles": [LEARNER], "status": "Active"})

    response = client.post(f"/lti/contexts/{binding.pk}/roster/")

    assert response.status_code == 302
    roles = dict(Enrolment.objects.filter(course=binding.course, source="lms").values_list("user__lti_identities__sub", "role"))
    assert roles == {"student-7": "student", "teacher-2": "instructor", "student-10": "student", "teacher-1": "instructor"}
    assert not ResourceLink.objects.exists()
