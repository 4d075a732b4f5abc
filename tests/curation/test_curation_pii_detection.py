"""The PII detector (pure): what it finds, what it must not find."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from curation.pii import find_pii, redact, resident_id_is_valid


def _kinds(text, terms=()):
    return [(span.kind, span.text) for span in find_pii(text, terms)]


def _with_check_digit(first17: str) -> str:
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights, strict=True)) % 11]


def test_resident_id_with_valid_check_digit_is_flagged():
    # 11010519491231002X is the GB 11643 specimen number; its check digit is X.
    assert _kinds("身份证号 11010519491231002X 已登记") == [("resident_id", "11010519491231002X")]


def test_resident_id_with_wrong_check_digit_is_not_flagged():
    assert resident_id_is_valid("110105194912310021") is False
    assert _kinds("编号 110105194912310021") == []


@given(st.from_regex(r"[1-9][0-9]{16}", fullmatch=True))
def test_every_number_with_its_computed_check_digit_is_valid_and_no_other_digit_is(first17):
    number = _with_check_digit(first17)
    assert resident_id_is_valid(number)
    wrong = [first17 + digit for digit in "0123456789X" if digit != number[-1]]
    assert not any(resident_id_is_valid(candidate) for candidate in wrong)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("请拨 13812345678", "13812345678"),
        ("手机 +86 138-1234-5678 联系", "+86 138-1234-5678"),
        ("电话 010-12345678", "010-12345678"),
        ("电话 (0755) 8765432", "(0755) 8765432"),
        ("call +1 415 555 2671 now", "+1 415 555 2671"),
        ("tel +44 20 7946 0958", "+44 20 7946 0958"),
    ],
)
def test_phone_numbers(text, expected):
    assert _kinds(text) == [("phone", expected)]


def test_numbers_that_are_not_phones():
    assert _kinds("第 2023 年共 123 例, 准确率 0.9876") == []
    assert _kinds("订单 12345678901234567890") == []


def test_email_and_medical_record_numbers():
    text = "写信给 li.wei+study@hospital.example.cn; MRN 1234567; 病历号：A2023-0001, 住院号88765。"
    assert _kinds(text) == [
        ("email", "li.wei+study@hospital.example.cn"),
        ("medical_record", "MRN 1234567"),
        ("medical_record", "病历号：A2023-0001"),
        ("medical_record", "住院号88765"),
    ]


def test_deny_list_terms_match_any_case_with_exact_offsets():
    text = "Patient has HIV; 艾滋病 screening, hiv negative"
    spans = find_pii(text, ["hiv", "艾滋病"])

    assert [(span.kind, text[span.start : span.end]) for span in spans] == [
        ("deny_term", "HIV"),
        ("deny_term", "艾滋病"),
        ("deny_term", "hiv"),
    ]


def test_redaction_keeps_offsets_of_other_spans():
    text = "a@b.cn 和 13812345678"
    first, second = find_pii(text)
    masked = redact(text, first.start, first.end)

    assert masked[second.start : second.end] == "13812345678"
    assert "a@b.cn" not in masked
    assert len(masked) == len(text)
