"""Demo courses data: demo-instructor's course with demo-student enrolled, downloads of the materials by
all 327 universities (the seed's figure) and the seed's 21 provincial competition awards. Idempotent."""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from courses.models import Assignment, BundleDownload, Course, DerivedProject, Enrolment, Institution, InstitutionMember
from notebooks.models import Notebook
from notebooks.services import catalogue_sync

AWARDS = 21  # seed, chapter 5: projects built on the materials won 21 provincial competition awards
COMPETITIONS = [
    ("省大学生人工智能创新大赛", "Provincial AI Innovation Contest"),
    ("省大学生服务外包创新创业大赛", "Provincial Service-Outsourcing Contest"),
    ("省“互联网+”大学生创新创业大赛", "Provincial Internet+ Contest"),
]
PRIZES = ["一等奖 First prize", "二等奖 Second prize", "三等奖 Third prize"]
TOPICS = [
    "CT nodule segmentation for county hospitals", "De-identifying discharge summaries", "A drug catalogue lookup service",
    "4-bit quantised triage assistant", "KV-cache pruning for long clinical notes", "Task descriptors for lab robots",
    "HL7 ADT rule checker", "Annotation agreement dashboard", "ONNX Runtime on campus edge boxes", "GC tuning of a Go3s gateway",
    "Bias audit of a loan-scoring model", "Model cards with evidence",
]  # fmt: skip


def seed_courses(log: list[str]) -> None:
    rng = random.Random(327)
    if not Notebook.objects.filter(kind=Notebook.Kind.COURSE, is_active=True).exists():
        catalogue_sync(actor=None)
    notebooks = list(Notebook.objects.filter(kind=Notebook.Kind.COURSE, is_active=True, current_version__isnull=False))
    institutions = list(Institution.objects.order_by("id"))
    if not institutions:
        return
    home = institutions[0]
    instructor = User.objects.filter(username="demo-instructor").first()
    student = User.objects.filter(username="demo-student").first()
    if instructor is not None:
        InstitutionMember.objects.get_or_create(institution=home, user=instructor)
        course, created = Course.objects.get_or_create(
            institution=home, code="AI-101", term="2026 autumn", cohort="",
            defaults={"title": "Zero-threshold model factory", "invite_code": "GO3SDEMO", "created_by": instructor},
        )  # fmt: skip
        Enrolment.objects.get_or_create(course=course, user=instructor, defaults={"role": "instructor", "source": "created"})
        if student is not None:
            InstitutionMember.objects.get_or_create(institution=home, user=student)
            Enrolment.objects.get_or_create(course=course, user=student, defaults={"role": "student", "source": "invite"})
        if created:
            Assignment.objects.bulk_create(
                [Assignment(course=course, title=nb.title_en, notebook=nb, version=nb.current_version, created_by=instructor,
                            queue=nb.accelerator, due_at=timezone.now() + timedelta(days=14 * (i + 1)))
                 for i, nb in enumerate(notebooks[:3])]
            )  # fmt: skip
    if notebooks and not BundleDownload.objects.exists():
        rows = []
        start = timezone.now() - timedelta(days=365)
        for institution in institutions:
            for _ in range(rng.randint(1, 3)):
                key = uuid.uuid4()
                for notebook in rng.sample(notebooks, rng.randint(1, min(4, len(notebooks)))):
                    rows.append(
                        BundleDownload(bundle=key, institution=institution, notebook=notebook, version=notebook.current_version)
                    )
        BundleDownload.objects.bulk_create(rows, batch_size=2000)
        BundleDownload.objects.update(created_at=start)  # spread is not needed for the figures; one date keeps it quick
    if not DerivedProject.objects.exists():
        projects = []
        for index in range(AWARDS):
            zh, en = COMPETITIONS[index % len(COMPETITIONS)]
            projects.append(
                DerivedProject(
                    title=TOPICS[index % len(TOPICS)], team=f"Team {index + 1}",
                    institution=institutions[(index * 13) % len(institutions)],
                    competition=f"{zh} {en}", award=PRIZES[index % len(PRIZES)], year=2024 + index % 3, status="approved",
                    links=[],
                )
            )  # fmt: skip
        made = DerivedProject.objects.bulk_create(projects)
        through = DerivedProject.notebooks.through
        if notebooks:
            through.objects.bulk_create(
                [
                    through(derivedproject_id=project.pk, notebook_id=notebooks[i % len(notebooks)].pk)
                    for i, project in enumerate(made)
                ]
            )
    downloaders = BundleDownload.objects.exclude(institution=None).values("institution").distinct().count()
    project_count = DerivedProject.objects.count()
    log.append(f"courses: {Course.objects.count()}, downloading universities: {downloaders}, derived projects: {project_count}")
