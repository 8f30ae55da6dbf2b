"""The knowledge base of the chat: the product's own docs and the metric glossary, as passages.

Markdown is split on its headings first (``MarkdownHeaderTextSplitter``), so every passage knows
the section it came from, and long sections are then cut to ~``CHUNK_CHARS`` characters with an
overlap (``RecursiveCharacterTextSplitter``). A passage's ``source`` is ``path#heading``, which is
what an answer cites.

The docs are read from ``settings.ai_docs_dir`` (the repository root by default: README.md and
docs/*.md); the glossary ships inside the package, so a deployment without the docs still has it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

GLOSSARY = Path(__file__).with_name("glossary.md")
GLOSSARY_SOURCE = "glossary.md"
CHUNK_CHARS = 900
CHUNK_OVERLAP = 120
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]


@dataclass(frozen=True, slots=True)
class Passage:
    """One retrievable piece of text and where it came from."""

    source: str  # "docs/api.md#Analytics" or "live:NIFTY:2026-12-08@2026-12-02T10:00:00Z"
    path: str
    heading: str
    text: str


def doc_paths(docs_dir: Path) -> list[Path]:
    """README.md and docs/*.md under ``docs_dir`` that exist, in a stable order."""
    paths = [docs_dir / "README.md", *sorted((docs_dir / "docs").glob("*.md"))]
    return [p for p in paths if p.is_file()]


def split_markdown(text: str, path: str) -> list[Passage]:
    """Heading-aware passages of one Markdown document."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    sections = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=False).split_text(text)
    cutter = RecursiveCharacterTextSplitter(chunk_size=CHUNK_CHARS, chunk_overlap=CHUNK_OVERLAP)
    passages: list[Passage] = []
    for section in sections:
        meta = section.metadata
        heading = meta.get("h3") or meta.get("h2") or meta.get("h1") or ""
        trail = " > ".join(str(meta[h]) for h in ("h1", "h2", "h3") if meta.get(h))
        for piece in cutter.split_text(section.page_content):
            body = piece.strip()
            if len(body) < 40:  # a bare heading or a stray fence: nothing to retrieve
                continue
            # The heading trail is indexed with the text: it is the best summary of what a passage is about.
            passages.append(Passage(f"{path}#{heading}", path, str(heading), f"{trail}\n{body}"))
    return passages


def load_corpus(docs_dir: Path | None) -> list[Passage]:
    """The glossary plus every doc found under ``docs_dir``."""
    passages = split_markdown(GLOSSARY.read_text(encoding="utf-8"), GLOSSARY_SOURCE)
    if docs_dir is not None:
        for path in doc_paths(docs_dir):
            rel = path.relative_to(docs_dir).as_posix()
            passages.extend(split_markdown(path.read_text(encoding="utf-8"), rel))
    return passages
