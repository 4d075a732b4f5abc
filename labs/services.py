"""Into the lab and back: a pinned notebook copied into a student's JupyterLab, their edited copy submitted.

A notebook lands in a folder one level below the workspace (`course/…`, `assignments/…`) so that the
catalogue's relative links (`../data/…`) reach the `data` link the spawner puts in every home. A file that is
already there is never overwritten: opening again opens the student's own edits.
"""

from __future__ import annotations

import json
from typing import Any

import nbformat
from django.conf import settings
from django.utils.translation import gettext as _

from accounts.audit import audit_log_record, refusal_logged
from accounts.errors import ApplicationError, TooLarge, WrongState
from accounts.models import Role, User
from accounts.selectors import user_has_role
from courses.models import Assignment, Submission
from courses.selectors import course_access
from courses.services import assignment_run_start
from labs.hub_client import HubClient
from notebooks.catalogue import NotebookInvalid, read_notebook
from notebooks.models import Notebook, NotebookVersion

LAB_ROLES = (Role.STUDENT, Role.INSTRUCTOR, Role.ADMINISTRATOR)


def notebook_lab_path(notebook: Notebook) -> str:
    return f"course/{notebook.slug}.ipynb"


def assignment_lab_path(assignment: Assignment) -> str:
    return f"assignments/{assignment.pk}-{assignment.notebook.slug}.ipynb"


def _workspace_copy(version: NotebookVersion, **origin: Any) -> dict[str, Any]:
    """The version's notebook as it goes into a workspace: marked with where it came from."""
    document: dict[str, Any] = json.loads(version.source)
    document.setdefault("metadata", {})["go3s"] = {"version": version.sha256, **origin}
    return document


def _open(actor: User, path: str, document: dict[str, Any], client: HubClient | None) -> str:
    client = client or HubClient()
    client.ensure_server(actor.username)
    if client.get_notebook(actor.username, path) is None:
        client.put_notebook(actor.username, path, document)
    return client.lab_url(actor.username, path)


def lab_open_notebook(*, actor: User, notebook: Notebook, client: HubClient | None = None) -> str:
    """Copies the catalogue notebook's current version into the actor's lab (unless a copy is there) and
    returns the address that opens it. Needs a role the Hub lets in (student, instructor, administrator)."""
    if not user_has_role(actor, *LAB_ROLES):
        raise refusal_logged(
            actor=actor, action="lab.open", obj=notebook, reason=_("JupyterLab is for students, instructors and administrators.")
        )
    if not notebook.is_active or notebook.current_version is None:
        raise WrongState(_("This notebook is no longer in the catalogue."), code="notebook_retired")
    url = _open(actor, notebook_lab_path(notebook), _workspace_copy(notebook.current_version, notebook=notebook.slug), client)
    audit_log_record(actor=actor, action="lab.open", obj=notebook, after={"version": notebook.current_version.sha256})
    return url


def lab_open_assignment(*, actor: User, assignment: Assignment, client: HubClient | None = None) -> str:
    """Copies the assignment's pinned version into the actor's lab (unless their copy is there) and returns
    the address that opens it. For the course's students and those who oversee it."""
    access = course_access(actor, assignment.course)
    if access is None or not (access.is_student or access.oversees):
        raise refusal_logged(
            actor=actor, action="lab.open", obj=assignment, reason=_("Only members of this course open its assignments.")
        )
    document = _workspace_copy(assignment.version, assignment=assignment.pk)
    url = _open(actor, assignment_lab_path(assignment), document, client)
    audit_log_record(actor=actor, action="lab.open", obj=assignment, after={"version": assignment.version.sha256})
    return url


def _checked_submission(document: Any) -> str:
    """The student's notebook as the run executes it: valid nbformat 4 with the portal's metadata, outputs
    cleared (the run makes its own), within the upload size limit. Raises ApplicationError (400/413)."""
    if not isinstance(document, dict):
        raise ApplicationError(_("Your lab notebook is not a notebook."), code="invalid_notebook")
    for cell in document.get("cells") or []:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    source = json.dumps(document, ensure_ascii=False)
    if len(source.encode()) > settings.NOTEBOOK_UPLOAD_MAX_BYTES:
        raise TooLarge(
            _("Your lab notebook is larger than %(size)s KB without outputs.")
            % {"size": settings.NOTEBOOK_UPLOAD_MAX_BYTES // 1024}
        )
    try:
        read_notebook(source)
        nbformat.validate(nbformat.reads(source, as_version=4))
    except NotebookInvalid as error:
        raise ApplicationError(
            _("Your lab notebook cannot be run: %(problems)s") % {"problems": "; ".join(error.problems)}, code="invalid_notebook"
        ) from None
    return source


def lab_submit(*, actor: User, assignment: Assignment, client: HubClient | None = None) -> Submission:
    """Fetches the student's edited copy of the assignment from their running lab and submits it as a run of
    the assignment (same quota, limits, queue and sandbox as any run; recorded as a submission whose diff
    from the pinned version the portal shows). Nothing is created when the copy is missing or invalid."""
    access = course_access(actor, assignment.course)
    if access is None or not access.is_student:
        raise refusal_logged(
            actor=actor, action="lab.submit", obj=assignment, reason=_("Only a student of this course submits its assignments.")
        )
    client = client or HubClient()
    client.ensure_server(actor.username)  # a culled server starts again: the home, and the copy, are kept
    document = client.get_notebook(actor.username, assignment_lab_path(assignment))
    if document is None:
        raise WrongState(_("Open the assignment in JupyterLab first: your lab has no copy of it."), code="lab_notebook_missing")
    source = _checked_submission(document)
    return assignment_run_start(actor=actor, assignment=assignment, parameters={}, input_source=source)
