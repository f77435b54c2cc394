"""``seedfeed init``: a commented config that loads to exactly the defaults, and never overwrites."""

from __future__ import annotations

import re

from seedfeed import config as config_module
from seedfeed.cli.init import template
from seedfeed.config import Overrides, load
from seedfeed.records import replace

from tests.conftest import run_cli, write

ALL_KEYS = config_module._TOP_KEYS | config_module._FEED_KEYS | config_module._SOURCE_KEYS


def test_init_writes_a_config_that_loads_to_the_defaults_and_a_seeds_folder(tmp_path):
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "seeds").is_dir()
    written = load(tmp_path / "seedfeed.toml", Overrides(), tmp_path)
    defaults = load(None, Overrides(), tmp_path)
    assert replace(written, source_file=None) == defaults
    # ... and build uses it as is
    write(tmp_path / "seeds" / "a.txt", "Title A\n\nBody.")
    assert run_cli("build", cwd=tmp_path).returncode == 0
    assert (tmp_path / "output" / "atom.xml").is_file()


def test_every_option_the_loader_accepts_is_in_the_template():
    text = template()
    missing = [key for key in sorted(ALL_KEYS)
               if not re.search(rf"^(# )?({key} =|\[\[{key}\]\])", text, re.MULTILINE)]
    assert missing == []


def test_every_commented_option_is_valid_when_uncommented(tmp_path):
    """Uncommenting the single-feed options (not the [[feeds]] alternative) still loads."""
    text = template().split("# More than one feed?")[0]
    text = re.sub(r"^# (\w+ =|\[)", r"\1", text, flags=re.MULTILINE).replace('cron = "*/10 7-22 * * *"\n', "")
    write(tmp_path / "seedfeed.toml", text)
    config = load(tmp_path / "seedfeed.toml", Overrides(), tmp_path)
    assert config.feeds[0].language == "en" and config.feeds[0].listings[0].selector == "article h2 a"
    assert dict(config.feeds[0].filters.rules)["max_age"] == "90d"
    assert config.feeds[0].feed_sources[0].url == "https://example.org/feed.xml"


def test_init_refuses_to_overwrite(tmp_path):
    write(tmp_path / "seedfeed.toml", "title = 'mine'\n")
    result = run_cli("init", cwd=tmp_path)
    assert result.returncode == 1
    assert "seedfeed.toml: already exists" in result.stderr and "--config" in result.stderr
    assert (tmp_path / "seedfeed.toml").read_text() == "title = 'mine'\n"
    assert not (tmp_path / "seeds").exists()


def test_init_with_config_path_creates_seeds_beside_it_and_keeps_existing_seeds(tmp_path):
    write(tmp_path / "site" / "seeds" / "a.txt", "Kept\n\nbody")
    result = run_cli("init", "--config", "site/seedfeed.toml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "seedfeed.toml").is_file()
    assert (tmp_path / "site" / "seeds" / "a.txt").read_text() == "Kept\n\nbody"
    assert "already exists" in result.stdout
