"""Helpers for the curation tests: a CSV with disagreements and planted personal data."""

from __future__ import annotations

# Three annotators. Items 1, 2 and 5 have a majority; 3 and 4 do not (1-1-1 and a missing third label).
CSV = """id,text,annotator,label
1,The scan shows no fracture.,ann,normal
1,,bob,normal
1,,cy,normal
2,Call the patient at 13812345678 to confirm.,ann,abnormal
2,,bob,abnormal
2,,cy,normal
3,"Mild opacity, MRN 1234567, review later.",ann,normal
3,,bob,abnormal
3,,cy,unclear
4,E-mail results to wang.fang@example.com,ann,normal
4,,bob,abnormal
5,身份证 11010519491231002X，诊断为艾滋病,ann,abnormal
5,,bob,abnormal
5,,cy,abnormal
"""

JSONL = "\n".join(
    [
        '{"id": "a", "text": "first", "annotations": {"x": "pos", "y": "pos"}}',
        '{"id": 7, "text": "second", "annotations": {"x": "neg", "y": "pos"}}',
    ]
)


def upload(client, slug, content, name="items.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/api/v1/datasets/{slug}/import/", {"file": SimpleUploadedFile(name, content.encode())}, format="multipart"
    )
