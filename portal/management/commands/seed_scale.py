"""`manage.py seed_scale`: the sizes of PRODUCT.md "Quality bars" for benchmarks — 10,000 models, 100,000
evaluations, 50,000 runs, 1,000 courses — bulk-inserted in a couple of minutes. For a scratch database only
(refuses with DEBUG off unless --allow-production): the rows are synthetic and share one evaluation package.

Seeding adds to what is there: a second call with the remaining sizes grows the same data, the class-scale lab
included (its course, assignments and first students stay; the new students join them). bench/scale.py measures
the pages at a hundredth of the sizes and again at the full sizes, on the same course, assignment and run.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Role, RoleGrant, User
from courses.models import Assignment, Course, Enrolment, Institution, Submission
from governance.models import Certification, CommunityModel, Evaluation, ModelVersion
from notebooks.models import Notebook, Run
from notebooks.services import catalogue_sync

UNITS = {"robustness": "percent", "explainability": "percent", "energy": "g_co2e_per_1k_inferences"}


class Command(BaseCommand):
    help = "Seeds benchmark-scale data (10,000 models, 100,000 evaluations, 50,000 runs, 1,000 courses)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--models", type=int, default=10_000)
        parser.add_argument("--evaluations", type=int, default=100_000)
        parser.add_argument("--runs", type=int, default=50_000)
        parser.add_argument("--courses", type=int, default=1_000)
        parser.add_argument("--class-size", type=int, default=300, help="Students of the one lab course at class scale.")
        parser.add_argument("--certified-share", type=float, default=0.9, help="Share of models whose values all pass.")
        parser.add_argument("--allow-production", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError("Refusing to write synthetic rows with DEBUG off; pass --allow-production for a scratch database.")
        rng = random.Random(10_000)  # noqa: S311 - synthetic benchmark data
        now = timezone.now()
        with transaction.atomic():
            owner, _ = User.objects.get_or_create(username="scale-owner", defaults={"email": "scale@go3s.example"})
            RoleGrant.objects.get_or_create(user=owner, role=Role.CURATOR)
            start = CommunityModel.objects.count()
            models = CommunityModel.objects.bulk_create(
                [
                    CommunityModel(slug=f"scale-{start + i:06d}", name=f"Scale {start + i}", created_by=owner)
                    for i in range(options["models"])
                ],
                batch_size=2000,
            )
            versions = ModelVersion.objects.bulk_create(
                [
                    ModelVersion(
                        model=m,
                        number=1,
                        version="1.0.0",
                        licence="Apache-2.0",
                        onnx_file="packages/scale/model.onnx",
                        eval_file="packages/scale/eval.npz",
                        metadata={"input_shape": [64], "value_range": [0, 1], "class_names": list("0123456789")},
                        onnx_sha256=uuid.uuid4().hex * 2,
                        onnx_bytes=36546,
                        opset=17,
                        eval_samples=400,
                        created_by=owner,
                    )
                    for m in models
                ],
                batch_size=2000,
            )
            for model, version in zip(models, versions, strict=True):
                model.current_version = version
            CommunityModel.objects.bulk_update(models, ["current_version"], batch_size=2000)
            evaluations = []
            per_model = max(3, options["evaluations"] // max(1, len(versions)))
            for position, version in enumerate(versions):
                passing = position < options["certified_share"] * len(versions)
                ranges = {
                    "robustness": (0.2, 4.9 if passing else 9),
                    "explainability": (82.5 if passing else 70, 97),
                    "energy": (0.005, 0.17 if passing else 0.3),
                }
                for index in range(per_model):
                    dimension = ["robustness", "explainability", "energy"][index % 3]
                    value = rng.uniform(*ranges[dimension])
                    when = now - timedelta(days=rng.randint(0, 170), minutes=index)
                    evaluations.append(
                        Evaluation(
                            version=version,
                            dimension=dimension,
                            value=Decimal(str(round(value, 4))),
                            unit=UNITS[dimension],
                            provenance="community",
                            status="counted",
                            evidence_note="scale seed",
                            measured_at=when,
                            counted_at=when,
                            estimated=dimension == "energy",
                            backend="estimate" if dimension == "energy" else "",
                        )
                    )
            Evaluation.objects.bulk_create(evaluations, batch_size=5000)
            self.stdout.write(f"{len(models)} models, {len(evaluations)} evaluations")
            # Certify the versions whose latest values pass, as certification_refresh would (bulk, same rule).
            latest: dict[tuple[int, str], Evaluation] = {}
            for evaluation in sorted(evaluations, key=lambda e: e.measured_at):
                latest[(evaluation.version_id, evaluation.dimension)] = evaluation
            from governance.methodology import THRESHOLDS

            certifications = []
            for version, model in zip(versions, models, strict=True):
                chosen = {d: latest[(version.pk, d)] for d in UNITS}
                if all(THRESHOLDS[d].passes(chosen[d].value) for d in UNITS):
                    newest = max(e.measured_at for e in chosen.values())
                    if newest + timedelta(days=180) > now:
                        certifications.append(
                            Certification(
                                version=version,
                                model=model,
                                robustness=chosen["robustness"],
                                explainability=chosen["explainability"],
                                energy=chosen["energy"],
                                valid_from=newest,
                                expires_at=newest + timedelta(days=180),
                            )
                        )
            Certification.objects.bulk_create(certifications, batch_size=5000)
            self.stdout.write(f"{len(certifications)} certified")
        if not Notebook.objects.filter(is_active=True).exists():
            catalogue_sync(actor=None)
        notebooks = list(Notebook.objects.filter(is_active=True, current_version__isnull=False))
        students = list(User.objects.filter(role_grants__role=Role.STUDENT)[:500]) or [owner]
        statuses = [Run.Status.SUCCEEDED] * 8 + [Run.Status.FAILED, Run.Status.CANCELLED]
        with transaction.atomic():
            runs = []
            for index in range(options["runs"]):
                notebook = notebooks[index % len(notebooks)]
                started = now - timedelta(minutes=index)
                runs.append(
                    Run(
                        notebook=notebook,
                        version=notebook.current_version,
                        owner=students[index % len(students)],
                        parameters={},
                        timeout_seconds=600,
                        memory_limit_mb=2048,
                        status=rng.choice(statuses),
                        cells_done=10,
                        cells_total=10,
                        started_at=started,
                        finished_at=started + timedelta(seconds=rng.randint(5, 300)),
                        metrics={"accuracy": rng.random()},
                    )
                )
            Run.objects.bulk_create(runs, batch_size=5000)
            institutions = list(Institution.objects.all()[:327])
            first = Course.objects.filter(code__startswith="SC").count()
            if institutions:
                Course.objects.bulk_create(
                    [
                        Course(
                            institution=institutions[i % len(institutions)],
                            code=f"SC{first + i:05d}",
                            title=f"Scale course {first + i}",
                            term="2026 autumn",
                            cohort=uuid.uuid4().hex[:8],
                            invite_code=uuid.uuid4().hex[:16],
                            created_by=owner,
                        )
                        for i in range(options["courses"])
                    ],
                    batch_size=2000,
                )
        self.stdout.write(f"{options['runs']} runs, {options['courses'] if institutions else 0} courses")
        if institutions and options["class_size"]:
            self._class_lab(institutions[0], notebooks[0], options["class_size"], rng, now)
        # The planner's statistics, as autovacuum would gather them a while after a bulk load: without them PostgreSQL
        # plans for empty tables, and the pages measured right after seeding would be measured on the wrong plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def _class_lab(self, institution: Institution, notebook: Notebook, size: int, rng: random.Random, now: Any) -> None:
        """A lab at class scale: `size` students, five assignments, two submitted runs each, and the burst
        of the lab in progress (one waiting run per student) — what the instructor's pages and the queue see.
        A lab seeded before with fewer students grows to `size`: the same course and assignments, more students."""
        instructor = User.objects.filter(username="demo-instructor").first() or User.objects.order_by("pk").first()
        version = notebook.current_version
        assert instructor is not None and version is not None
        with transaction.atomic():
            course, created = Course.objects.get_or_create(
                code="LAB300",
                defaults={
                    "institution": institution,
                    "title": "A lab at class scale",
                    "term": "2026 autumn",
                    "invite_code": uuid.uuid4().hex[:16],
                    "created_by": instructor,
                },
            )
            if created:
                Enrolment.objects.create(
                    course=course, user=instructor, role=Enrolment.Role.INSTRUCTOR, source=Enrolment.Source.CREATED
                )
                for n in range(1, 6):
                    Assignment.objects.create(
                        course=course,
                        title=f"Lab {n}",
                        notebook=notebook,
                        version=version,
                        grade_metric="accuracy",
                        created_by=instructor,
                    )
            assignments = list(course.assignments.order_by("pk"))
            enrolled = course.enrolments.filter(role=Enrolment.Role.STUDENT).count()
            students = User.objects.bulk_create(
                [User(username=f"lab-student-{i:04d}", email=f"lab-student-{i:04d}@example.edu") for i in range(enrolled, size)]
            )
            Enrolment.objects.bulk_create(
                [Enrolment(course=course, user=s, role=Enrolment.Role.STUDENT, source=Enrolment.Source.CSV) for s in students]
            )
            share = f"course:{course.pk}"
            runs, owners = [], []
            for assignment in assignments:
                for student in students:
                    for _ in range(2):
                        started = now - timedelta(minutes=rng.randint(10, 10_000))
                        runs.append(
                            Run(
                                notebook=notebook,
                                version=notebook.current_version,
                                owner=student,
                                parameters={},
                                timeout_seconds=600,
                                memory_limit_mb=2048,
                                status=Run.Status.SUCCEEDED,
                                share=share,
                                cells_done=10,
                                cells_total=10,
                                started_at=started,
                                finished_at=started + timedelta(seconds=rng.randint(5, 300)),
                                metrics={"accuracy": rng.random()},
                            )
                        )
                        owners.append((assignment, student))
            runs = Run.objects.bulk_create(runs, batch_size=5000)
            Submission.objects.bulk_create(
                [Submission(assignment=a, student=s, run=run, started_by=s) for (a, s), run in zip(owners, runs, strict=True)],
                batch_size=5000,
            )
            waiting = Run.objects.bulk_create(
                [
                    Run(
                        notebook=notebook,
                        version=notebook.current_version,
                        owner=student,
                        parameters={},
                        timeout_seconds=600,
                        memory_limit_mb=2048,
                        status=Run.Status.QUEUED,
                        share=share,
                        cells_total=10,
                    )
                    for student in students
                ]
            )
            Submission.objects.bulk_create(
                [Submission(assignment=assignments[-1], student=r.owner, run=r, started_by=r.owner) for r in waiting]
            )
        self.stdout.write(f"lab {course.pk}: {len(students)} new students, {len(runs)} runs submitted, {len(waiting)} waiting")
