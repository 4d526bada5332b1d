"""Sphinx extension: drop scripts that extensions register twice on a page.

With Jupyter Book 1 some extensions (sphinx-thebe, sphinx-togglebutton) add their inline scripts
twice; the second ``const THEBE_JS_URL`` declaration is a JavaScript error in the browser.
"""

from __future__ import annotations

from typing import Any


def _dedup(app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, str]] = set()
    unique = []
    for script in scripts:
        name = str(getattr(script, "filename", script) or "")  # inline scripts: None or ""
        key = (name, str(getattr(script, "attributes", {}).get("body", "")))
        if key in seen:
            continue
        seen.add(key)
        unique.append(script)
    context["script_files"] = unique


def setup(app: Any) -> dict[str, Any]:
    app.connect("html-page-context", _dedup, priority=900)
    # The book's own extension (references in Spanish, citation box): loaded from here so that
    # _config.yml lists one local extension folder.
    app.setup_extension("compendio")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
