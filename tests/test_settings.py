"""Settings on disk hold the user's choices only, so an improved default reaches everyone else."""

import json

from core.config import Settings


def test_only_what_differs_from_the_defaults_is_written(tmp_path):
    settings = Settings(data_dir=tmp_path)
    settings.save()
    assert json.loads(settings.settings_path.read_text()) == {}  # a default is not a choice

    settings.chunk_overlap = 0.25
    settings.ignore_patterns = ["*.tmp"]
    settings.save()
    assert json.loads(settings.settings_path.read_text()) == {"chunk_overlap": 0.25, "ignore_patterns": ["*.tmp"]}
    again = Settings.load(tmp_path)
    assert (again.chunk_overlap, again.ignore_patterns) == (0.25, ["*.tmp"])
    assert again.embed_batch_size == Settings().embed_batch_size


def test_unknown_and_unreadable_settings_are_passed_over(tmp_path):
    (tmp_path / "settings.json").write_text(json.dumps({"from_a_newer_version": 1, "max_file_mb": 64}))
    assert Settings.load(tmp_path).max_file_mb == 64
    (tmp_path / "settings.json").write_text("{not json")
    assert Settings.load(tmp_path).max_file_mb == Settings().max_file_mb
