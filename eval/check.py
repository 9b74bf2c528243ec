#!/usr/bin/env python3
"""Validate eval/questions.toml against the help-centre corpus in eval/articles/.

Usage: python3 eval/check.py [--verbose]

Checks:
  * every article has exactly one `# Title` line and 3-6 `## ` sections
  * every answerable question names an existing article, an existing `## `
    heading in it, and 1-3 facts that appear (case-insensitive) in the text
    of that section
  * unanswerable questions carry no article/heading/facts
  * no duplicate question texts
  * minimum counts: >= 15 articles, >= 60 answerable, >= 8 unanswerable

Facts that also appear in some *other* section are reported as warnings (they
make the answer-pass metric less discriminative) but do not fail the check.

Exit code 0 when everything is valid, 1 otherwise. Standard library only.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import Counter
from pathlib import Path

EVAL_DIR = Path(__file__).resolve().parent
ARTICLES_DIR = EVAL_DIR / "articles"
QUESTIONS_FILE = EVAL_DIR / "questions.toml"

MIN_ARTICLES = 15
MIN_ANSWERABLE = 60
MIN_UNANSWERABLE = 8
MIN_SECTIONS, MAX_SECTIONS = 3, 6
MAX_FACTS = 3


def normalise(text: str) -> str:
    """Lower-case and collapse whitespace, so facts match across line breaks."""
    return re.sub(r"\s+", " ", text).strip().lower()


def parse_article(path: Path, problems: list[str]) -> dict[str, str]:
    """Return {heading: section body} for one article, recording structural problems."""
    lines = path.read_text(encoding="utf-8").splitlines()
    titles = [l for l in lines if l.startswith("# ")]
    if len(titles) != 1:
        problems.append(f"{path.name}: expected exactly one '# ' title line, found {len(titles)}")
    elif not lines or not lines[0].startswith("# "):
        problems.append(f"{path.name}: the '# ' title must be the first line")

    sections: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        if line.startswith("## "):
            current = line[3:].strip()
            if current in sections:
                problems.append(f"{path.name}: duplicate heading '## {current}'")
            sections[current] = []
        elif line.startswith("#"):
            if not line.startswith("# "):
                problems.append(f"{path.name}: unexpected heading level: {line!r}")
            current = None
        elif current is not None:
            sections[current].append(line)

    if not MIN_SECTIONS <= len(sections) <= MAX_SECTIONS:
        problems.append(
            f"{path.name}: has {len(sections)} '## ' sections, expected {MIN_SECTIONS}-{MAX_SECTIONS}"
        )
    bodies = {h: "\n".join(b).strip() for h, b in sections.items()}
    for heading, body in bodies.items():
        if not body:
            problems.append(f"{path.name}: section '## {heading}' is empty")
    return bodies


def main() -> int:
    verbose = "--verbose" in sys.argv[1:]
    problems: list[str] = []
    warnings: list[str] = []

    # --- corpus ----------------------------------------------------------
    if not ARTICLES_DIR.is_dir():
        print(f"FAIL: {ARTICLES_DIR} does not exist")
        return 1
    articles: dict[str, dict[str, str]] = {}
    for path in sorted(ARTICLES_DIR.glob("*.md")):
        articles[path.name] = parse_article(path, problems)
    n_sections = sum(len(s) for s in articles.values())

    # --- questions -------------------------------------------------------
    try:
        with QUESTIONS_FILE.open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as err:
        print(f"FAIL: cannot read {QUESTIONS_FILE.name}: {err}")
        return 1

    questions = data.get("question", [])
    if not isinstance(questions, list):
        print("FAIL: 'question' must be an array of tables ([[question]])")
        return 1

    answerable = 0
    unanswerable = 0
    per_article: Counter[str] = Counter()
    per_section: Counter[tuple[str, str]] = Counter()
    texts: Counter[str] = Counter()

    for i, q in enumerate(questions, start=1):
        where = f"question #{i}"
        text = q.get("text")
        if not isinstance(text, str) or not text.strip():
            problems.append(f"{where}: missing or empty 'text'")
            continue
        where = f"question #{i} ({text!r})"
        texts[normalise(text)] += 1

        known = {"text", "answerable", "article", "heading", "facts"}
        extra = set(q) - known
        if extra:
            problems.append(f"{where}: unknown keys {sorted(extra)}")

        is_answerable = q.get("answerable", True)
        if not isinstance(is_answerable, bool):
            problems.append(f"{where}: 'answerable' must be true or false")
            continue

        if not is_answerable:
            unanswerable += 1
            for key in ("article", "heading", "facts"):
                if key in q:
                    problems.append(f"{where}: unanswerable question must not have '{key}'")
            continue

        answerable += 1
        article = q.get("article")
        heading = q.get("heading")
        facts = q.get("facts")
        if not isinstance(article, str) or not isinstance(heading, str):
            problems.append(f"{where}: answerable question needs string 'article' and 'heading'")
            continue
        if (
            not isinstance(facts, list)
            or not 1 <= len(facts) <= MAX_FACTS
            or not all(isinstance(f, str) and f.strip() for f in facts)
        ):
            problems.append(f"{where}: 'facts' must be a list of 1-{MAX_FACTS} non-empty strings")
            continue
        if article not in articles:
            problems.append(f"{where}: article '{article}' not found in {ARTICLES_DIR.name}/")
            continue
        sections = articles[article]
        if heading not in sections:
            problems.append(f"{where}: heading '## {heading}' not found in {article}")
            continue
        per_article[article] += 1
        per_section[(article, heading)] += 1

        section_text = normalise(sections[heading])
        for fact in facts:
            needle = normalise(fact)
            if needle not in section_text:
                problems.append(f"{where}: fact {fact!r} not in '{article}' ## {heading}")
                continue
            elsewhere = [
                f"{a} ## {h}"
                for a, secs in articles.items()
                for h, body in secs.items()
                if (a, h) != (article, heading) and needle in normalise(body)
            ]
            if elsewhere:
                warnings.append(f"{where}: fact {fact!r} also appears in: {'; '.join(elsewhere)}")

    for text, count in texts.items():
        if count > 1:
            problems.append(f"duplicate question text ({count}x): {text!r}")

    # --- counts ----------------------------------------------------------
    if len(articles) < MIN_ARTICLES:
        problems.append(f"only {len(articles)} articles, need at least {MIN_ARTICLES}")
    if answerable < MIN_ANSWERABLE:
        problems.append(f"only {answerable} answerable questions, need at least {MIN_ANSWERABLE}")
    if unanswerable < MIN_UNANSWERABLE:
        problems.append(f"only {unanswerable} unanswerable questions, need at least {MIN_UNANSWERABLE}")
    for name in articles:
        if per_article[name] == 0:
            warnings.append(f"article {name} has no questions")

    # --- report ----------------------------------------------------------
    print(f"articles:      {len(articles)} ({n_sections} sections)")
    print(f"questions:     {len(questions)}")
    print(f"  answerable:  {answerable} (covering {len(per_section)} sections)")
    print(f"  unanswerable:{unanswerable:>4}")
    if verbose:
        print("questions per article:")
        for name in sorted(articles):
            print(f"  {per_article[name]:>3}  {name}")
    for w in warnings:
        print(f"WARNING: {w}")
    for p in problems:
        print(f"ERROR: {p}")
    if problems:
        print(f"FAIL: {len(problems)} problem(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
