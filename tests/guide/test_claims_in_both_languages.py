"""Every reviewed claim in Chinese and English, shown in the reader's language; the claims added in the second
review pass are loaded and badged in their sections; the errata log follows the reader's language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from django.test import Client

from guide.models import Claim
from guide.services import BILINGUAL_FIELDS, guide_import

pytestmark = pytest.mark.django_db

CONTENT = Path(__file__).resolve().parents[2] / "guide" / "content"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
NEW_CLAIMS = {
    "gomaxprocs-reset-stw": ("sec-2-1", "ch2", "incorrect"),
    "gogc-lower-fast-alloc": ("sec-2-2", "ch2", "incorrect"),
    "alignedsize-sigbus": ("sec-4-3", "ch4", "incorrect"),
    "pthread-setspecific-syscall": ("sec-3-1", "ch3", "incorrect"),
    "switchlang-updatetls": ("sec-3-1", "ch3", "incorrect"),  # re-rated from go3s-unverifiable
}


@pytest.fixture
def guide():
    report = guide_import(actor=None)
    assert report.problems == []
    return report


def _page(path: str, language: str) -> BeautifulSoup:
    response = Client(HTTP_ACCEPT_LANGUAGE=language).get(path)
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_every_claim_record_has_its_texts_in_both_languages():
    records = yaml.safe_load((CONTENT / "claims.yaml").read_text(encoding="utf-8"))

    assert len(records) == 34
    for record in records:
        for name in BILINGUAL_FIELDS:
            english, chinese = record.get(f"{name}_en", ""), record.get(f"{name}_zh", "")
            assert bool(english) == bool(chinese), (record["id"], name)
            if chinese:
                assert CHINESE.search(chinese), (record["id"], name)
        assert record["summary_zh"] and record["evidence_zh"] and record["go_version_checked_zh"], record["id"]
        if record.get("fix_command"):
            assert record.get("fix_note_en") and record.get("fix_note_zh"), record["id"]


def test_every_imported_claim_has_its_chinese_texts(guide):
    assert Claim.objects.count() == 34
    for claim in Claim.objects.all():
        assert claim.summary_zh and claim.evidence_zh, claim.key
        assert bool(claim.correction_zh) == bool(claim.correction_en), claim.key
        assert bool(claim.fix_note_zh) == bool(claim.fix_command), claim.key


def test_a_chinese_reader_gets_the_chinese_note_correction_and_fix_note(guide):
    claim = Claim.objects.get(key="gocache-off")
    soup = _page("/guide/ch1/", "zh-hans")
    badge = soup.select_one('.claim[data-claim="gocache-off"]')
    note = badge.select_one(".claim-note").get_text()

    assert badge["lang"] == "zh-hans"
    assert "自 Go 1.12 起构建缓存无法关闭" in note  # correction_zh
    assert "文中以" in note  # summary_zh
    assert claim.correction_en not in note
    fix = soup.select_one('.claim-block[data-claim="gocache-off"] .fix')
    assert fix.select_one("pre").get_text() == "go build -a -o app ."
    assert fix.select_one(".fix-note").get_text().startswith("-a 会重新编译所有包")
    assert "无法按原样运行" in soup.select_one('.claim-block[data-claim="gocache-off"] .broken').get_text()


def test_an_english_reader_gets_the_english_note_correction_and_fix_note(guide):
    soup = _page("/guide/ch1/", "en")
    badge = soup.select_one('.claim[data-claim="gocache-off"]')
    note = badge.select_one(".claim-note").get_text()

    assert badge["lang"] == "en"
    assert "The build cache cannot be switched off since Go 1.12." in note
    assert not CHINESE.search(note)
    fix_note = soup.select_one('.claim-block[data-claim="gocache-off"] .fix-note').get_text()
    assert fix_note.startswith("-a rebuilds every package")


def test_a_claim_without_a_chinese_correction_falls_back_to_english_marked_as_english(guide):
    Claim.objects.filter(key="gctrace-percent").update(correction_zh="")
    soup = _page("/guide/ch1/", "zh-hans")
    note = soup.select_one('.claim[data-claim="gctrace-percent"] .claim-note')

    fallback = note.select_one('span[lang="en"]')
    assert fallback is not None and "cumulative GC CPU share" in fallback.get_text()
    assert "gctrace 的格式" not in note.get_text()  # the Chinese summary is still Chinese
    assert "输出" in note.get_text()


@pytest.mark.parametrize(("key", "expected"), list(NEW_CLAIMS.items()))
def test_the_second_pass_claims_are_loaded_and_badged_in_their_sections(guide, key, expected):
    anchor, slug, status = expected
    claim = Claim.objects.select_related("section").get(key=key)
    soup = _page(f"/guide/{slug}/", "zh-hans")
    badges = soup.select(f'.claim[data-claim="{key}"]')

    assert (claim.section.anchor, claim.status) == (anchor, status)
    assert claim.checked_on.isoformat() == "2026-11-27" and claim.go_version_checked_en and claim.go_version_checked_zh
    assert len(badges) == 1
    assert badges[0].find_previous("h2")["id"] == anchor
    assert badges[0].select_one(".claim-badge").get_text() == "有误"  # the Chinese label of "incorrect"


def test_the_new_claims_cite_sources_and_versions():
    records = {r["id"]: r for r in yaml.safe_load((CONTENT / "claims.yaml").read_text(encoding="utf-8"))}

    assert "src/runtime/debug.go" in records["gomaxprocs-reset-stw"]["evidence_en"]
    assert "go1.19" in records["gomaxprocs-reset-stw"]["evidence_en"]
    assert "go1.22" in records["gomaxprocs-reset-stw"]["evidence_en"]
    assert "catalogue/data/go-gctrace" in records["gogc-lower-fast-alloc"]["evidence_en"]
    assert "go1.19.8" in records["gogc-lower-fast-alloc"]["go_version_checked_en"]
    assert "mmap(2)" in records["alignedsize-sigbus"]["evidence_en"]
    assert "not a system call" in records["pthread-setspecific-syscall"]["evidence_en"]
    assert "不是系统调用" in records["pthread-setspecific-syscall"]["evidence_zh"]


def test_the_go_traces_the_gogc_claim_quotes_are_shipped():
    traces = Path(__file__).resolve().parents[2] / "catalogue" / "data" / "go-gctrace" / "traces"
    cycles = {}
    for setting in ("050", "100"):
        for summary in sorted(traces.glob(f"gogc{setting}_run*.summary.json")):
            cycles.setdefault(setting, []).append(yaml.safe_load(summary.read_text())["num_gc"])

    assert min(cycles["050"]) == 192 and max(cycles["050"]) == 198
    assert min(cycles["100"]) == 85 and max(cycles["100"]) == 88


@pytest.mark.parametrize(
    ("language", "heading", "summary"),
    [
        ("zh-hans", "勘误日志 —— Go3s 调优指南", "文中以 GOCACHE=off go build"),
        ("en", "Errata — Go3s tuning guide", "GOCACHE=off go build … is given as"),
    ],
)
def test_the_errata_page_is_in_the_readers_language(guide, language, heading, summary):
    soup = _page("/guide/errata/", language)

    body = soup.select_one(".guide-body")
    assert body["lang"] == language
    assert heading in body.select_one("h1").get_text()
    assert "gomaxprocs-reset-stw" in body.get_text()
    assert any(summary in cell.get_text() for cell in soup.select("table.data td"))


def test_the_seed_has_eleven_mermaid_diagrams_and_the_errata_say_so():
    fences = sum(path.read_text(encoding="utf-8").count("```mermaid") for path in (CONTENT / "zh").glob("*.md"))

    assert fences == 11
    assert "**11** Mermaid diagrams, not 13" in (CONTENT / "errata.md").read_text(encoding="utf-8")
    assert "共有 **11** 幅 Mermaid 图，而不是 13 幅" in (CONTENT / "errata.zh-hans.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("language", "warning", "fix_note"),
    [("zh-hans", "无法按原样运行", "抓取 10 秒 CPU profile"), ("en", "Does not run as shown", "Fetches a 10-second CPU profile")],
)
def test_a_broken_command_in_running_text_is_tagged_and_its_note_gives_the_working_command(guide, language, warning, fix_note):
    soup = _page("/guide/ch1/", language)
    badge = soup.select_one('.claim[data-claim="pprof-http-no-source"]')

    assert badge.find_parent(class_="claim-block") is None  # in running text, no box below a code block
    assert badge.select_one(".claim-broken").get_text() == warning
    fix = badge.select_one(".claim-note .claim-fix")
    assert (
        fix.select_one("code").get_text()
        == "go tool pprof -http=:8080 -seconds=10 ./app http://localhost:6060/debug/pprof/profile"
    )
    assert fix_note in fix.get_text()
    assert soup.select_one('.claim[data-claim="gctrace-percent"] .claim-broken') is None  # not a broken command
