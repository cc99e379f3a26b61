"""lancedb loads without its REST client (core/lean_imports.py) and still does all Archivist asks."""

import subprocess
import sys
import textwrap


def test_lancedb_works_without_loading_its_rest_client(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        import core
        from core.store import ChunkStore
        from tests_rows import rows_for
        store = ChunkStore(__import__("pathlib").Path({str(tmp_path)!r}), "m", 8)
        store.apply(rows_for("doc", ["alpha beta", "gamma delta"]))
        store.ensure_fts_index()
        hits = store.table.search("gamma", query_type="fts", fts_columns="text").limit(5).to_list()
        assert [h["id"] for h in hits] == ["doc:1"], hits
        store.repoint({{"doc": ("/new/place.md", "markdown")}})
        assert store.doc_paths() == {{"doc": "/new/place.md"}}
        assert "lance_namespace_urllib3_client.api" not in sys.modules
        print("ok")
    """)
    (tmp_path / "tests_rows.py").write_text(textwrap.dedent("""
        import numpy as np
        from core.store import ChunkRows

        def rows_for(doc, texts):
            rows = ChunkRows.empty()
            for i, text in enumerate(texts):
                for key, value in dict(id=f"{doc}:{i}", doc_id=doc, path=f"/{doc}.md", kind="markdown", page=0,
                                       heading="", start=0, end=len(text), ordinal=i, text=text,
                                       text_hash=str(i)).items():
                    rows.columns[key].append(value)
            rows.columns["vector"] = list(np.random.default_rng(0).random((len(texts), 8), dtype=np.float32))
            return rows
    """))
    result = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
