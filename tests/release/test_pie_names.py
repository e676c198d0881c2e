"""The release's zips carry the names PIE looks for.

PIE's rules are rebuilt in packaging/pie/asset_name.py (pie_candidates); they
are checked here against the names PIE's own unit tests expect
(test/unit/Platform/PrePackagedBinaryAssetNameTest.php), then every zip of a
release must be among the candidates for the PHP it was built against, as
that PHP describes itself (the facts scripts/release recorded from its
`php -i`), and hold fpm_compat.so at its top.
"""

import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "packaging/pie"))
from asset_name import pie_candidates, release_name  # noqa: E402

VERSION = re.search(r'^version\s*=\s*"(.*)"', (ROOT / "Cargo.toml").read_text(), re.M)[1]


def test_rules_match_pie_unit_tests_nts():
    assert pie_candidates("foobar", "1.2.3", "8.2", "x86_64", "linux", "glibc", False, False) == [
        "php_foobar-1.2.3_php8.2-x86_64-linux-glibc.zip",
        "php_foobar-1.2.3_php8.2-x86_64-linux-glibc.tgz",
        "php_foobar-1.2.3_php8.2-x86_64-linux-glibc-nts.zip",
        "php_foobar-1.2.3_php8.2-x86_64-linux-glibc-nts.tgz",
        "php_foobar-1.2.3_php8.2-x64-linux-glibc.zip",
        "php_foobar-1.2.3_php8.2-x64-linux-glibc.tgz",
        "php_foobar-1.2.3_php8.2-x64-linux-glibc-nts.zip",
        "php_foobar-1.2.3_php8.2-x64-linux-glibc-nts.tgz",
    ]


def test_rules_match_pie_unit_tests_zts():
    assert pie_candidates("foobar", "1.2.3", "8.3", "x86_64", "linux", "glibc", False, True) == [
        "php_foobar-1.2.3_php8.3-x86_64-linux-glibc-zts.zip",
        "php_foobar-1.2.3_php8.3-x86_64-linux-glibc-zts.tgz",
        "php_foobar-1.2.3_php8.3-x64-linux-glibc-zts.zip",
        "php_foobar-1.2.3_php8.3-x64-linux-glibc-zts.tgz",
    ]


def test_rules_match_pie_unit_tests_debug():
    assert pie_candidates("foobar", "1.2.3", "8.4", "arm64", "darwin", "bsdlibc", True, False) == [
        "php_foobar-1.2.3_php8.4-arm64-darwin-bsdlibc-debug.zip",
        "php_foobar-1.2.3_php8.4-arm64-darwin-bsdlibc-debug.tgz",
        "php_foobar-1.2.3_php8.4-arm64-darwin-bsdlibc-debug-nts.zip",
        "php_foobar-1.2.3_php8.4-arm64-darwin-bsdlibc-debug-nts.tgz",
        "php_foobar-1.2.3_php8.4-aarch64-darwin-bsdlibc-debug.zip",
        "php_foobar-1.2.3_php8.4-aarch64-darwin-bsdlibc-debug.tgz",
        "php_foobar-1.2.3_php8.4-aarch64-darwin-bsdlibc-debug-nts.zip",
        "php_foobar-1.2.3_php8.4-aarch64-darwin-bsdlibc-debug-nts.tgz",
    ]


def targets(dist):
    """{tag: facts} from the release's .build/targets ("8.4.xy=8.4" lines)."""
    found = {}
    for line in (dist / ".build/targets").read_text().splitlines():
        key, value = line.split("=", 1)
        tag, name = key.rsplit(".", 1)
        found.setdefault(tag, {})[name] = value
    return found


@pytest.fixture(scope="module")
def dist(request):
    path = Path(request.config.getoption("--dist-dir") or ROOT / "dist")
    if not (path / ".build/targets").exists():
        pytest.skip(f"no release in {path} (scripts/release)")
    return path


def test_every_target_has_a_zip_pie_finds(dist):
    found = targets(dist)
    assert found, "the release recorded no target"
    zips = {p.name for p in dist.glob("*.zip")}
    for tag, facts in found.items():
        candidates = pie_candidates("fpm_compat", VERSION, facts["xy"], facts["arch"], "linux", facts.get("libc", "glibc"),
                                    facts["debug"] == "1", facts["zts"] == "1")
        ours = [name for name in zips if name in candidates]
        assert len(ours) == 1, f"PHP {tag}: zips {sorted(zips)}, PIE tries {candidates}"
        assert ours[0] == release_name("fpm_compat", VERSION, facts["xy"], facts["arch"], "linux", facts.get("libc", "glibc"),
                                       facts["debug"] == "1", facts["zts"] == "1")
        with zipfile.ZipFile(dist / ours[0]) as archive:
            assert archive.namelist() == ["fpm_compat.so"], f"{ours[0]}: {archive.namelist()}"
    # No zip that PIE would pick for none of the targets.
    assert len(zips) == len(found)
