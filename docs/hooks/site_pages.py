"""mkdocs hook: the site's pages are the repository's Markdown files at their own paths.

README.md is the home page; docs/*.md, rules/*.md (plus a generated rules/index.md, the
catalog), CONTRIBUTING.md and benchmarks/*.md keep their paths, so every relative link
written for GitHub resolves on the site too. The navigation is built here, rules included.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[2]
SECTIONS = {
    "Use": [{"Configuration": "docs/configuration.md"}, {"Command line": "docs/cli.md"},
            {"Integrations (CI, pre-commit, notebooks)": "docs/integrations.md"},
            {"Editors": "docs/editors.md"}],
    "Runtime": [{"PyTorch": "docs/runtime-torch.md"}, {"JAX": "docs/runtime-jax.md"},
                {"Training monitor": "docs/runtime-monitor.md"},
                {"Reports": "docs/runtime-reports.md"}],
    "Project": [{"Installing and releasing": "docs/releasing.md"},
                {"Contributing": "CONTRIBUTING.md"}, {"This site": "docs/site.md"},
                {"Benchmarks": "benchmarks/README.md"},
                {"Training-code corpus": "benchmarks/corpus/README.md"}],
}
# Links to folders, which GitHub lists and a static site cannot: their index pages.
FOLDER_LINKS = {"](rules/)": "](rules/index.md)", "](benchmarks/)": "](benchmarks/README.md)"}


def on_config(config):
    rules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "rules").glob("NN*.md"))
    config["nav"] = [
        {"Home": "README.md"},
        *({title: pages} for title, pages in SECTIONS.items()),
        {"Rules": ["rules/index.md", *rules]},
        {"Benchmark results": sorted(p.relative_to(ROOT).as_posix()
                                     for p in (ROOT / "benchmarks").glob("results-*.md"))},
    ]
    return config


def on_files(files: Files, config) -> Files:
    pages = Files([])
    patterns = ["README.md", "CONTRIBUTING.md", "docs/*.md", "docs/*.png", "rules/NN*.md",
                "benchmarks/*.md", "benchmarks/corpus/README.md"]
    for pattern in patterns:
        for path in sorted(ROOT.glob(pattern)):
            pages.append(File.generated(config, path.relative_to(ROOT).as_posix(),
                                        abs_src_path=str(path)))
    pages.append(File.generated(config, "rules/index.md", content=_catalog()))
    docs_dir = Path(config["docs_dir"]).resolve()
    for file in files:  # the theme's own assets (scripts, styles), not docs/ again
        if file.abs_src_path is None or not Path(file.abs_src_path).resolve().is_relative_to(
                docs_dir):
            pages.append(file)
    return pages


def on_page_markdown(markdown: str, page, config, files) -> str:
    for folder, index in FOLDER_LINKS.items():
        markdown = markdown.replace(folder, index)
    if page.file.src_uri == "README.md":  # the title bar already says lintnn
        markdown = re.sub(r"\A# lintnn\n", "# lintnn\n", markdown)
    return markdown


def _catalog() -> str:
    import sys

    sys.path.insert(0, str(ROOT))
    from lintnn.catalog import rule_infos

    lines = ["# Rules", "",
             "Every rule, and the codes lintnn reports about the input and the run (NN0xx). "
             "Each page says what the rule does, why it matters, an example the tests run, "
             "what to write instead, whether its fix is safe, and the checklist item it "
             "comes from.", "",
             "| code | name | severity | fix | frameworks | what it catches |",
             "|---|---|---|---|---|---|"]
    for info in rule_infos(builtins=True):
        lines.append(f"| [{info.code}]({info.code}.md) | {info.name} | {info.severity} | "
                     f"{'yes' if info.fixable else ''} | {', '.join(info.frameworks)} | "
                     f"{info.summary.replace('|', '/')} |")
    return "\n".join(lines) + "\n"
