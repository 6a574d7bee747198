"""Benchmark: edit fidelity over the real compose corpus, and the time per edit on its largest file.

Run: .venv/bin/python -m tests.bench.bench_edit [--runs 30] [--no-compose]
Not part of the test suite. Fidelity: every corpus file, each of the six edits, as PUT's full document
and as PATCH's merge patch, measured as tests/fidelity does (changed lines outside the edited key,
comments lost, stray or misplaced lines, meaning read back with ruamel's own loader), and, unless
--no-compose, every distinct result checked with `docker compose config -q` (with the .env the HTTP
fidelity test gives each stack). Time: p50/p95 of one edit of the largest file, beside ruamel's own
round trip of the same file (load + dump, what sdmd's editor did before) and `docker compose config`
of it, measured in the same run.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import tempfile
from collections import defaultdict
from pathlib import Path

from ruamel.yaml import YAML

from sdmd.services.editing import apply_document, apply_merge_patch
from tests.bench.common import median, ms, p95, timed
from tests.fidelity.corpus import EDITS, corpus_files, load, make_edit, measure, read, stack_environment


def compose_accepts(text: str, original: str) -> bool:
    with tempfile.TemporaryDirectory(prefix="sdmd-bench-edit-") as tmp:
        folder = Path(tmp)
        env, env_files = stack_environment(original)
        (folder / ".env").write_text(env)
        for env_file in env_files:
            (folder / env_file).parent.mkdir(parents=True, exist_ok=True)
            (folder / env_file).touch()
        with open(folder / "compose.yaml", "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        done = subprocess.run(["docker", "compose", "-p", "sdmd-bench-edit", "config", "-q"], cwd=folder,
                              capture_output=True, timeout=60)
        return done.returncode == 0


def fidelity(check_compose: bool) -> None:
    rows: dict[tuple[str, str], list] = defaultdict(list)
    compose_before = compose_after = compose_checked = 0
    for path in corpus_files():
        text = read(path)
        doc = load(text)
        accepted_before = compose_accepts(text, text) if check_compose else False
        compose_before += accepted_before
        for kind in EDITS:
            edit = make_edit(kind, doc)
            if not edit.applicable:
                continue
            results = {"PUT": apply_document(text, edit.document), "PATCH": apply_merge_patch(text, edit.patch)}
            for how, result in results.items():
                rows[(kind, how)].append(measure(text, result, edit))
            if check_compose and accepted_before:
                for result in set(results.values()):
                    compose_checked += 1
                    compose_after += compose_accepts(result, text)
    print(f"fidelity over {len(corpus_files())} corpus files")
    print(f"{'edit':16} {'via':6} {'edits':>5} {'zero unintended':>16} {'comments lost':>14} {'meaning exact':>14}"
          f" {'stray/misplaced':>16} {'lines changed':>14}")
    total = perfect = 0
    for (kind, how), measures in rows.items():
        n = len(measures)
        zero = sum(1 for m in measures if not m.unintended_lines)
        lost = sum(len(m.comments_lost) for m in measures)
        exact = sum(1 for m in measures if m.meaning_exact)
        stray = sum(m.stray_lines + m.misplaced_insertions for m in measures)
        changed = sum(m.changed_lines for m in measures)
        total += n
        perfect += sum(1 for m in measures if m.perfect)
        print(f"{kind:16} {how:6} {n:5} {zero / n:15.1%} {lost:14} {exact / n:13.1%} {stray:16} {changed:14}")
    print(f"all: {perfect}/{total} edits perfect ({perfect / total:.1%})")
    if check_compose:
        print(f"docker compose config -q: {compose_before}/{len(corpus_files())} files accepted before; "
              f"{compose_after}/{compose_checked} distinct edited results of those accepted after")


def timing(runs: int) -> None:
    path = max(corpus_files(), key=lambda p: p.stat().st_size)
    text = read(path)
    doc = load(text)
    print(f"\ntime per edit, largest file: {path.name} ({len(text)} bytes, {text.count(chr(10))} lines), {runs} runs")

    def ruamel_round_trip() -> None:
        y = YAML(typ="rt")
        y.dump(y.load(text), io.StringIO())

    baseline = timed(ruamel_round_trip, runs)
    print(f"{'ruamel load+dump':24} p50 {ms(median(baseline))}  p95 {ms(p95(baseline))}  (baseline)")
    with tempfile.TemporaryDirectory(prefix="sdmd-bench-edit-") as tmp:
        env, _ = stack_environment(text)
        (Path(tmp) / ".env").write_text(env)
        (Path(tmp) / "compose.yaml").write_text(text)
        config = timed(lambda: subprocess.run(["docker", "compose", "-p", "sdmd-bench-edit", "config", "-q"],
                                              cwd=tmp, capture_output=True, timeout=60), max(5, runs // 3), 1)
    print(f"{'docker compose config':24} p50 {ms(median(config))}  p95 {ms(p95(config))}  "
          f"({median(config) / median(baseline):.2f}x baseline)")
    for kind in EDITS:
        edit = make_edit(kind, doc)
        if not edit.applicable:
            continue
        for how, fn in (("PUT", lambda e=edit: apply_document(text, e.document)),
                        ("PATCH", lambda e=edit: apply_merge_patch(text, e.patch))):
            samples = timed(fn, runs)
            print(f"{kind + ' ' + how:24} p50 {ms(median(samples))}  p95 {ms(p95(samples))}  "
                  f"({median(samples) / median(baseline):.2f}x baseline)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--no-compose", action="store_true")
    args = parser.parse_args()
    fidelity(check_compose=not args.no_compose)
    timing(args.runs)


if __name__ == "__main__":
    main()
