"""Regression: parser workers are spawned, so they re-import the app's heavy main module first.

An absolute address-space cap then left no room to parse anything ("ran out of memory" on a
29-byte file). The cap must bound growth, not the imports.
"""

import subprocess
import sys
import textwrap


def test_pool_parses_when_the_main_module_imports_the_whole_app(tmp_path):
    script = tmp_path / "app_main.py"
    script.write_text(textwrap.dedent(f"""
        import core.api, lancedb, fastembed, onnxruntime  # what the real entry points import
        from core.parsing import ParserPool

        if __name__ == "__main__":
            note = r"{tmp_path / 'note.md'}"
            open(note, "w").write("# Hello\\n\\nA tiny note.")
            with ParserPool(memory_mb=256) as pool:
                doc = pool.submit(note).result(timeout=120)
            print(doc.sections[0].text)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                         cwd=str(tmp_path), env={"PYTHONPATH": str(__import__("pathlib").Path(__file__).parent.parent)})
    assert out.returncode == 0, out.stderr[-2000:]
    assert "A tiny note." in out.stdout
